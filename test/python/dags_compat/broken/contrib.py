"""airflow.contrib, the 1.10-era module tree (deprecated aliases in 2.x), is gone in Airflow 3."""

import pendulum
from airflow import DAG
from airflow.contrib.operators.aws_sqs_publish_operator import SqsPublishOperator

with DAG("compat_contrib", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), schedule="@daily", catchup=False):
    SqsPublishOperator(
        task_id="publish",
        sqs_queue="https://sqs.us-east-1.amazonaws.com/123456789012/orders",
        message_content="{{ ds }}",
    )
