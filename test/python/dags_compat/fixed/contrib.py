"""Fixed: the operator comes from the Amazon provider."""

import pendulum
from airflow.providers.amazon.aws.operators.sqs import SqsPublishOperator
from airflow.sdk import DAG

with DAG("compat_contrib", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), schedule="@daily", catchup=False):
    SqsPublishOperator(
        task_id="publish",
        sqs_queue="https://sqs.us-east-1.amazonaws.com/123456789012/orders",
        message_content="{{ ds }}",
    )
