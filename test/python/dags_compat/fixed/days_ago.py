"""Fixed: a fixed start date replaces days_ago()."""

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("compat_days_ago", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), schedule="@daily", catchup=False):
    EmptyOperator(task_id="noop")
