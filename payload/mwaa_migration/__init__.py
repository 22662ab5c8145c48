"""Airflow metadata export and import for the MWAA migration.

Runs inside Airflow (the DAGs mwaa_migration_export / mwaa_migration_import) or
as a command against a metadata database URL (python -m mwaa_migration). Keeps
to Python 3.8 syntax: it runs inside MWAA's Airflow images.
"""

from .contract import EXPORT_DAG_ID, IMPORT_DAG_ID  # noqa: F401  (the DAG files import them from here)
