"""Fixed: the callable reads logical_date and the data interval."""

import pendulum
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def stamp(**context):
    print(context["logical_date"], context["data_interval_end"])


with DAG("compat_context", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), schedule="@daily", catchup=False):
    PythonOperator(task_id="stamp", python_callable=stamp)
