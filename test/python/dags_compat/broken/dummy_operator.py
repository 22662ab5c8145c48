"""Removed import: airflow.operators.dummy and DummyOperator are gone in Airflow 3."""

import pendulum
from airflow import DAG
from airflow.operators.dummy import DummyOperator

with DAG("compat_dummy", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), schedule="@daily", catchup=False):
    DummyOperator(task_id="start")
