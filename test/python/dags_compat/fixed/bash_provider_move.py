"""Fixed: the operators come from the standard provider."""

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def hello():
    print("hello")


with DAG("compat_moved", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), schedule="@daily", catchup=False):
    BashOperator(task_id="bash", bash_command="echo hi") >> PythonOperator(task_id="python", python_callable=hello)
