"""Example workload: a daily report with a retry-able extract, deployed to the new environment."""

from __future__ import annotations

import pendulum
from airflow import DAG
from airflow.operators.python import PythonOperator


def extract(**context):
    print(f"extracting sales for {context['ds']}")


def report(**context):
    print(f"writing the report for {context['ds']}")


with DAG(
    dag_id="daily_sales_report",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example"],
) as dag:
    PythonOperator(task_id="extract", python_callable=extract, retries=2) >> PythonOperator(
        task_id="report", python_callable=report
    )
