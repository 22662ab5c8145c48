"""The two DAGs and what their tasks do: read the run's conf, run the library in this Airflow."""

import datetime
import logging
from typing import Any, Callable, Dict

from . import bundle, conf, db
from .export import run_export
from .importer import run_import
from .secrets import airflow_fernet_keys

log = logging.getLogger("airflow.task")


def _run(context: Dict[str, Any], to_options: Callable[..., Any], work: Callable[..., Dict[str, Any]]) -> Any:
    import airflow

    dag_run = context.get("dag_run")
    params = dict((dag_run.conf if dag_run is not None else None) or {})
    options = to_options(params, airflow.__version__, airflow_fernet_keys())
    connection = db.connect(db.airflow_database_url())
    try:
        return options, work(connection, bundle.s3_client(), options, log.info)
    finally:
        connection.close()


def export_task(**context: Any) -> Dict[str, Any]:
    options, manifest = _run(context, conf.export_options, run_export)
    # The XCom is what a caller polls for; the manifest itself stays in S3.
    return {
        "manifestKey": bundle.manifest_key(options.prefix, options.export_id),
        "watermark": manifest["watermark"],
        "rows": {name: entry["rows"] for name, entry in manifest["tables"].items()},
    }


def _import_options(params: Dict[str, Any], version: str, keys: Any) -> Any:
    # The Airflow this runs in is the target: no key in its configuration means it has none.
    return conf.import_options(params, version, keys, no_fernet_key=keys is None)


def import_task(**context: Any) -> Dict[str, Any]:
    options, report = _run(context, _import_options, run_import)
    return {
        "reportKey": bundle.report_key(options.prefix, options.export_id),
        "status": report["status"],
        "missingOnTarget": report.get("dags", {}).get("missingOnTarget", []),
    }


def migration_dag(dag_id: str, description: str, task_id: str, work: Callable[..., Any]) -> Any:
    """A manually triggered DAG of one task; it runs when triggered, even if new."""
    from airflow import DAG
    from airflow.operators.python import PythonOperator

    with DAG(
        dag_id=dag_id,
        description=description,
        schedule=None,
        start_date=datetime.datetime(2024, 1, 1),
        catchup=False,
        max_active_runs=1,
        is_paused_upon_creation=False,
        tags=["mwaa-migration"],
        default_args={"retries": 0},
    ) as dag:
        PythonOperator(task_id=task_id, python_callable=work)
    return dag
