"""Fixed: `schedule` replaces `schedule_interval`."""

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(
    "compat_schedule_interval",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    schedule="@hourly",
    catchup=False,
):
    EmptyOperator(task_id="noop")
