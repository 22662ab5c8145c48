"""airflow.utils.dates.days_ago is removed in Airflow 3."""

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.utils.dates import days_ago

with DAG("compat_days_ago", start_date=days_ago(2), schedule="@daily", catchup=False):
    EmptyOperator(task_id="noop")
