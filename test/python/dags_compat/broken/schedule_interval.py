"""DAG(schedule_interval=...) is removed in Airflow 3: the argument is `schedule`."""

import pendulum
from airflow import DAG
from airflow.operators.empty import EmptyOperator

with DAG(
    "compat_schedule_interval",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    schedule_interval="@hourly",
    catchup=False,
):
    EmptyOperator(task_id="noop")
