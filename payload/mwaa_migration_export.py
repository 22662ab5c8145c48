"""Airflow DAG that exports this environment's metadata to the migration bucket.

Triggered with a conf such as
    {"bucket": "...", "prefix": "...", "exportId": "...", "phase": "full",
     "kmsKeyId": "...", "pauseActive": true, "deadlineSeconds": 1800}
(see mwaa_migration/conf.py for every parameter, README "Export bundle" for the format).
"""

from mwaa_migration import EXPORT_DAG_ID
from mwaa_migration.dag_tasks import export_task, migration_dag

dag = migration_dag(EXPORT_DAG_ID, "MWAA migration: export metadata to S3", "export", export_task)
