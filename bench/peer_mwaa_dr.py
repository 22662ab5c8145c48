"""Runs the peer tool mwaa-dr's own backup or restore, driven outside MWAA, for bench/bench.py.

    python bench/peer_mwaa_dr.py backup|restore --bucket B --prefix P

Run by an Airflow 2.10.3 venv's python with mwaa-dr (and smart-open) on PYTHONPATH and the environment of
the Airflow whose metadata database is backed up or restored into (AirflowEnv.process_env). It builds
mwaa-dr's backup or restore DAG with its DRFactory_2_10 and calls each task's python_callable in the DAG's
dependency order, one at a time in this process, instead of having a scheduler run the tasks: running the
DAG for real would write its own dag_run and task_instance rows into the databases being measured.

The only Airflow context supplied is `dag_run`: a stand-in whose `conf` names the bucket (mwaa-dr reads
`dag_run.conf["bucket"]` before the DR_BACKUP_BUCKET Variable, so no Variable is written), with a dag_id
and run_id and no task instances for the result that mwaa-dr's notify_success task prints. Every other
setting falls back to mwaa-dr's defaults (Variable.get on the database, which holds none of them).
"""

import argparse
import graphlib
import sys
import time
from types import SimpleNamespace

from airflow.operators.python import PythonOperator
from mwaa_dr.v_2_10.dr_factory import DRFactory_2_10


def dag_of(step: str, prefix: str):
    factory = DRFactory_2_10(dag_id="%s_metadata" % step, path_prefix=prefix, storage_type="S3")
    return factory.create_backup_dag() if step == "backup" else factory.create_restore_dag()


def in_dependency_order(dag) -> list:
    order = graphlib.TopologicalSorter({t.task_id: t.upstream_task_ids for t in dag.tasks}).static_order()
    return [dag.get_task(task_id) for task_id in order]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["backup", "restore"])
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--prefix", required=True)
    args = parser.parse_args()

    dag = dag_of(args.step, args.prefix)
    dag_run = SimpleNamespace(conf={"bucket": args.bucket}, dag_id=dag.dag_id, run_id="bench",
                              get_task_instances=list)
    for task in in_dependency_order(dag):
        if not isinstance(task, PythonOperator):
            continue  # restore_start / restore_end: empty operators
        started = time.monotonic()
        task.python_callable(dag_run=dag_run)
        print("mwaa-dr %s %.2f s" % (task.task_id, time.monotonic() - started), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
