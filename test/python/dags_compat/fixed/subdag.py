"""Fixed: a TaskGroup replaces the SubDAG."""

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TaskGroup

with DAG("compat_subdag", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), schedule="@daily", catchup=False):
    with TaskGroup("section"):
        EmptyOperator(task_id="inner")
