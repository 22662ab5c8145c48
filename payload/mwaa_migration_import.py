"""Airflow DAG that imports an export bundle into this environment's metadata database.

Triggered with a conf such as
    {"bucket": "...", "prefix": "...", "exportId": "...", "conflictPolicy": "skip",
     "importOrphanHistory": false}
(see mwaa_migration/conf.py for every parameter, README "Export bundle" for the format).
"""

from mwaa_migration import IMPORT_DAG_ID
from mwaa_migration.dag_tasks import import_task, migration_dag

dag = migration_dag(IMPORT_DAG_ID, "MWAA migration: import metadata from S3", "import", import_task)
