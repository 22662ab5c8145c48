"""What the two DAGs' tasks do: read the run's conf, run the library in this Airflow."""

import logging
from typing import Any, Dict

from . import bundle, conf, db
from .export import run_export
from .importer import run_import
from .secrets import airflow_fernet_keys

log = logging.getLogger("airflow.task")


def _airflow_version() -> str:
    import airflow

    return airflow.__version__


def _run_conf(context: Dict[str, Any]) -> Dict[str, Any]:
    dag_run = context.get("dag_run")
    return dict((dag_run.conf if dag_run is not None else None) or {})


def export_task(**context: Any) -> Dict[str, Any]:
    options = conf.export_options(_run_conf(context), _airflow_version(), airflow_fernet_keys())
    connection = db.connect(db.airflow_database_url())
    try:
        manifest = run_export(connection, bundle.s3_client(), options, log.info)
    finally:
        connection.close()
    # The XCom is what a caller polls for; the manifest itself stays in S3.
    return {
        "manifestKey": bundle.manifest_key(options.prefix, options.export_id),
        "watermark": manifest["watermark"],
        "rows": {name: entry["rows"] for name, entry in manifest["tables"].items()},
    }


def import_task(**context: Any) -> Dict[str, Any]:
    options = conf.import_options(_run_conf(context), _airflow_version(), airflow_fernet_keys())
    connection = db.connect(db.airflow_database_url())
    try:
        report = run_import(connection, bundle.s3_client(), options, log.info)
    finally:
        connection.close()
    return {
        "reportKey": bundle.report_key(options.prefix, options.export_id),
        "status": report["status"],
        "missingOnTarget": report.get("dags", {}).get("missingOnTarget", []),
    }
