"""Core operators moved to the standard provider: airflow.operators.bash and airflow.operators.python."""

import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator


def hello():
    print("hello")


with DAG("compat_moved", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), schedule="@daily", catchup=False):
    BashOperator(task_id="bash", bash_command="echo hi") >> PythonOperator(task_id="python", python_callable=hello)
