"""Run by a local Airflow's own Python (not the tools venv): runs DAGs of a folder once each with
`dag.test()`, against that Airflow's database and the stack's AWS endpoint, and writes each run's
state and its tasks' states as JSON. No scheduler is involved, so a paused DAG runs as well.

    <airflow venv>/bin/python run_once.py <dag folder> <cap seconds> <output.json> <dag id>...

Each DAG runs for its timetable's first run (the run after time of that run, from which Airflow infers
the data interval the scheduler would give it); a DAG with no schedule runs now. A rehearsal run is
bounded: every task gets one attempt, and no task, sensor or poke wait lasts longer than the cap.
What was bounded is listed per task, so the report can say so.
"""

import json
import sys
import time
import traceback
import warnings
from datetime import timedelta

warnings.simplefilter("ignore")

try:  # Airflow 3
    from airflow.dag_processing.dagbag import DagBag

    BAG_OPTIONS = {}
    AIRFLOW_3 = True
except ImportError:  # Airflow 2
    from airflow.models.dagbag import DagBag

    BAG_OPTIONS = {"include_examples": False}
    AIRFLOW_3 = False
from airflow.timetables.base import TimeRestriction
from airflow.utils import timezone

try:
    from airflow.serialization.encoders import coerce_to_core_timetable
except ImportError:

    def coerce_to_core_timetable(timetable):
        return timetable


POKE_CAP_SECONDS = 5


def first_run_after(dag):
    """When the DAG's first scheduled run would start; now for a DAG without a schedule."""
    timetable = coerce_to_core_timetable(dag.timetable)
    if dag.start_date is None or not getattr(timetable, "can_be_scheduled", True):
        return timezone.utcnow()
    restriction = TimeRestriction(earliest=dag.start_date, latest=dag.end_date, catchup=True)
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    return info.run_after if info is not None else timezone.utcnow()


def bound(dag, cap):
    """One attempt per task, and every wait within `cap` seconds; returns what changed, per task."""
    limit = timedelta(seconds=cap)
    bounded = {}
    for task in dag.tasks:
        changes = []
        if task.retries:
            changes.append("retries %d -> 0" % task.retries)
            task.retries = 0
        if task.execution_timeout is None or task.execution_timeout > limit:
            if task.execution_timeout is not None:
                changes.append("execution_timeout %ss -> %ss" % (int(task.execution_timeout.total_seconds()), cap))
            task.execution_timeout = limit
        timeout = getattr(task, "timeout", None)
        if hasattr(task, "poke_interval") and timeout is not None:
            seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
            if seconds > cap:
                changes.append("sensor timeout %ss -> %ss" % (int(seconds), cap))
                task.timeout = cap
            poke = task.poke_interval
            poke_seconds = poke.total_seconds() if isinstance(poke, timedelta) else float(poke)
            if poke_seconds > POKE_CAP_SECONDS:
                task.poke_interval = POKE_CAP_SECONDS
            if getattr(task, "mode", "poke") != "poke":
                changes.append("mode %s -> poke" % task.mode)
                task.mode = "poke"
        if changes:
            bounded[task.task_id] = changes
    return bounded


def run(dag, cap):
    bounded = bound(dag, cap)
    run_after = first_run_after(dag)
    started = time.monotonic()
    if AIRFLOW_3:
        dag_run = dag.test(logical_date=run_after, run_after=run_after)
    else:
        dag_run = dag.test(execution_date=run_after)
    return {
        "state": str(getattr(dag_run.state, "value", dag_run.state)),
        "runAfter": run_after.isoformat(),
        "seconds": round(time.monotonic() - started, 1),
        "tasks": {
            ti.task_id: str(getattr(ti.state, "value", ti.state))
            for ti in sorted(dag_run.get_task_instances(), key=lambda ti: ti.task_id)
        },
        "bounded": bounded,
    }


def main(folder, cap, output, dag_ids):
    bag = DagBag(dag_folder=folder, safe_mode=False, **BAG_OPTIONS)
    results = {}
    for dag_id in dag_ids:
        dag = bag.dags.get(dag_id)
        if dag is None:
            error = bag.import_errors.get(next((f for f in bag.import_errors if dag_id in f), ""), "not in the DAG folder")
            results[dag_id] = {"state": "not run", "error": str(error), "tasks": {}, "bounded": {}}
            continue
        print("=== %s: one run" % dag_id, flush=True)
        try:
            results[dag_id] = run(dag, cap)
        except Exception as error:  # noqa: BLE001 - one DAG's failure is reported, the others still run
            traceback.print_exc()
            results[dag_id] = {"state": "not run", "error": "%s: %s" % (type(error).__name__, error), "tasks": {}, "bounded": {}}
        print("=== %s: %s" % (dag_id, results[dag_id]["state"]), flush=True)
    with open(output, "w") as handle:
        json.dump(results, handle)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:])
