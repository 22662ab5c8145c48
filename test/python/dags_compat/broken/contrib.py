"""airflow.contrib, the 1.10-era module tree, is gone in Airflow 3."""

import pendulum
from airflow import DAG
from airflow.contrib.operators.s3_copy_object_operator import S3CopyObjectOperator

with DAG("compat_contrib", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), schedule="@daily", catchup=False):
    S3CopyObjectOperator(
        task_id="copy",
        source_bucket_key="s3://example-in/data.csv",
        dest_bucket_key="s3://example-out/data.csv",
    )
