"""Exports this environment's Airflow metadata to the migration bucket.

Triggered with a conf such as
    {"bucket": "...", "prefix": "...", "exportId": "...", "phase": "full",
     "kmsKeyId": "...", "pauseActive": true, "deadlineSeconds": 1800}
(see mwaa_migration/conf.py for every parameter).
"""

import datetime

from airflow import DAG
from airflow.operators.python import PythonOperator

from mwaa_migration import EXPORT_DAG_ID
from mwaa_migration.dag_tasks import export_task

with DAG(
    dag_id=EXPORT_DAG_ID,
    description="MWAA migration: export metadata to S3",
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=False,
    tags=["mwaa-migration"],
    default_args={"retries": 0},
) as dag:
    PythonOperator(task_id="export", python_callable=export_task)
