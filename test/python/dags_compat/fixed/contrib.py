"""Fixed: the operator comes from the Amazon provider."""

import pendulum
from airflow.providers.amazon.aws.operators.s3 import S3CopyObjectOperator
from airflow.sdk import DAG

with DAG("compat_contrib", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), schedule="@daily", catchup=False):
    S3CopyObjectOperator(
        task_id="copy",
        source_bucket_key="s3://example-in/data.csv",
        dest_bucket_key="s3://example-out/data.csv",
    )
