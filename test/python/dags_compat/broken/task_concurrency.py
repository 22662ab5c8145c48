"""Arguments Airflow 3 no longer accepts: DAG(concurrency=...), task_concurrency on a task."""

import pendulum
from airflow import DAG
from airflow.operators.empty import EmptyOperator

with DAG(
    "compat_concurrency",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    schedule="@daily",
    catchup=False,
    concurrency=4,
):
    EmptyOperator(task_id="noop", task_concurrency=1)
