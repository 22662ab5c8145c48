"""A Python callable that reads removed context keys from its context."""

import pendulum
from airflow import DAG
from airflow.operators.python import PythonOperator


def stamp(**context):
    print(context["execution_date"], context["next_execution_date"])


with DAG("compat_context", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), schedule="@daily", catchup=False):
    PythonOperator(task_id="stamp", python_callable=stamp)
