"""Fixed: no SLA; a task timeout with a failure callback where an alert is needed."""

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG


def failed(context):
    print(context["task_instance"])


with DAG("compat_sla", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), schedule="@daily", catchup=False):
    EmptyOperator(task_id="noop", execution_timeout=timedelta(hours=1), on_failure_callback=failed)
