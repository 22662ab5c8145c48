"""Fixed: max_active_tasks and max_active_tis_per_dag."""

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(
    "compat_concurrency",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    schedule="@daily",
    catchup=False,
    max_active_tasks=4,
):
    EmptyOperator(task_id="noop", max_active_tis_per_dag=1)
