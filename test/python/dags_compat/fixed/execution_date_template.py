"""Fixed: logical_date and the data interval replace the removed context keys."""

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG("compat_templates", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), schedule="@daily", catchup=False):
    BashOperator(
        task_id="report",
        bash_command="echo run {{ logical_date }} after {{ prev_data_interval_start_success | ds }}",
    )
    BashOperator(task_id="next", bash_command="echo {{ data_interval_end | ds_nodash }} {{ ds }}")
