"""SubDagOperator is removed in Airflow 3 (TaskGroup replaces it)."""

import pendulum
from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.operators.subdag import SubDagOperator

START = pendulum.datetime(2025, 1, 1, tz="UTC")


def child(parent_dag_id, child_id):
    with DAG("%s.%s" % (parent_dag_id, child_id), start_date=START, schedule="@daily", catchup=False) as dag:
        EmptyOperator(task_id="inner")
    return dag


with DAG("compat_subdag", start_date=START, schedule="@daily", catchup=False) as parent:
    SubDagOperator(task_id="section", subdag=child("compat_subdag", "section"))
