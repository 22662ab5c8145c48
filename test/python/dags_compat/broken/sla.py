"""SLAs are removed in Airflow 3: DAG(sla_miss_callback=...) and the task argument sla."""

from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.operators.empty import EmptyOperator


def missed(*args):
    print(args)


with DAG(
    "compat_sla",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    schedule="@daily",
    catchup=False,
    sla_miss_callback=missed,
):
    EmptyOperator(task_id="noop", sla=timedelta(hours=1))
