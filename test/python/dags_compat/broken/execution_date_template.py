"""Templates that read context keys Airflow 3 removed: execution_date, prev_ds, next_ds_nodash."""

import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG("compat_templates", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), schedule="@daily", catchup=False):
    BashOperator(
        task_id="report",
        bash_command="echo run {{ execution_date }} after {{ prev_ds }}",
    )
    BashOperator(task_id="next", bash_command="echo {{ next_ds_nodash }} {{ ds }}")
