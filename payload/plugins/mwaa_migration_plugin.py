"""Airflow plugin of the MWAA migration: its import, served by the API server of an Airflow 3 target.

Shipped in the target's plugins folder (on MWAA, inside plugins.zip) beside the
`mwaa_migration` library, which a `.airflowignore` keeps out of plugin discovery.
Airflow 2 has no FastAPI apps: there the plugin adds nothing and the import runs as a
task of the migration's import workflow instead.
"""

from airflow.plugins_manager import AirflowPlugin

try:
    from fastapi import FastAPI  # noqa: F401  (only Airflow 3 API servers serve FastAPI apps)
except ImportError:  # Airflow 2
    _APPS = []
else:
    from mwaa_migration.plugin_app import URL_PREFIX, create_app

    _APPS = [{"name": "mwaa_migration", "app": create_app(), "url_prefix": URL_PREFIX}]


class MwaaMigrationPlugin(AirflowPlugin):
    name = "mwaa_migration"
    fastapi_apps = _APPS
