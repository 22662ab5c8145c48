"""Imports an export bundle into this environment's Airflow metadata database.

Triggered with a conf such as
    {"bucket": "...", "prefix": "...", "exportId": "...", "conflictPolicy": "skip",
     "importOrphanHistory": false}
(see mwaa_migration/conf.py for every parameter).
"""

import datetime

from airflow import DAG
from airflow.operators.python import PythonOperator

from mwaa_migration import IMPORT_DAG_ID
from mwaa_migration.dag_tasks import import_task

with DAG(
    dag_id=IMPORT_DAG_ID,
    description="MWAA migration: import metadata from S3",
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=False,
    tags=["mwaa-migration"],
    default_args={"retries": 0},
) as dag:
    PythonOperator(task_id="import", python_callable=import_task)
