"""DAG arguments of the old UI."""

import pendulum
from airflow import DAG
from airflow.operators.empty import EmptyOperator

with DAG(
    "compat_view",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    schedule="@daily",
    catchup=False,
    default_view="graph",
    orientation="TB",
):
    EmptyOperator(task_id="noop")
