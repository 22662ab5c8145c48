"""Run by an Airflow virtualenv's Python (not by pytest): loads a folder of DAG files into a DagBag
and prints, as JSON, what test_datapipeline_dags.py checks against the converter's plans: import
errors, each DAG's tasks (operator, upstream tasks, retries, timeouts, teardown) and arguments that
hold a template where Airflow renders none, the first runs of its timetable, and the parse time.

    <airflow venv>/bin/python test/python/datapipeline_dagbag.py <dag folder> <output.json>

(Airflow logs to stdout, so the JSON goes to a file.)
"""

import json
import sys
import time
import warnings

warnings.simplefilter("ignore")

try:  # Airflow 3: no example DAGs to leave out (AIRFLOW__CORE__LOAD_EXAMPLES is off)
    from airflow.dag_processing.dagbag import DagBag

    BAG_OPTIONS = {}
except ImportError:  # Airflow 2
    from airflow.models.dagbag import DagBag

    BAG_OPTIONS = {"include_examples": False}
from airflow.timetables.base import TimeRestriction

try:  # Airflow 3: the DAG file's timetable is a definition; the scheduler's own is the core one
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.serialization.serialized_objects import DagSerialization as Serializer
except ImportError:  # Airflow 2
    from airflow.serialization.serialized_objects import SerializedDAG as Serializer

    def coerce_to_core_timetable(timetable):
        return timetable

try:
    from airflow.sdk.execution_time import macros
except ImportError:
    from airflow import macros

NOT_OPERATOR_ARGUMENTS = {"on_failure_callback", "on_success_callback", "on_retry_callback", "on_execute_callback"}


def seconds(value):
    return None if value is None else value.total_seconds()


def holds_template(value):
    return "{{" in json.dumps(value, default=str)


def task_summary(task):
    untemplated = sorted(
        name
        for name, value in vars(task).items()
        if not name.startswith("_")
        and name not in task.template_fields
        and name not in NOT_OPERATOR_ARGUMENTS
        and name not in ("doc_md", "params")
        and isinstance(value, (str, list, dict, tuple))
        and holds_template(value)
    )
    return {
        "operator": type(task).__name__,
        "upstream": sorted(task.upstream_task_ids),
        "retries": task.retries,
        "retry_delay": seconds(task.retry_delay),
        "execution_timeout": seconds(task.execution_timeout),
        "timeout": seconds(getattr(task, "timeout", None)) if hasattr(getattr(task, "timeout", None), "total_seconds") else getattr(task, "timeout", None),
        "is_teardown": bool(getattr(task, "is_teardown", False)),
        "trigger_rule": str(getattr(task.trigger_rule, "value", task.trigger_rule)),
        "untemplated": untemplated,
        "callbacks": sorted(
            name for name in NOT_OPERATOR_ARGUMENTS if getattr(task, name, None)
        ),
    }


class _Stub:
    def __init__(self, **values):
        self.__dict__.update(values)

    def xcom_pull(self, task_ids=None, key="return_value"):
        return ["s-EXAMPLESTEP"]


def render_all(dag, task, run):
    """Renders every template of the task (and of its alarms) for its first run, with Airflow's own
    Jinja environment and macros; returns the rendered values and the errors."""
    import pendulum

    start = pendulum.parse(run["interval_start"]) if run else pendulum.datetime(2025, 1, 1, tz="UTC")
    end = pendulum.parse(run["interval_end"]) if run else start
    ti = _Stub(task_id=task.task_id, start_date=end, end_date=end, state="failed", xcom_pull=None)
    ti.xcom_pull = _Stub().xcom_pull
    context = {
        "data_interval_start": start,
        "data_interval_end": end,
        "logical_date": start,
        "macros": macros,
        "params": {key: dag.params[key] for key in dag.params},
        "ti": ti,
        "task_instance": ti,
        "dag": dag,
        "dag_run": _Stub(run_after=end, run_id="scheduled__example"),
        "exception": "example failure",
    }
    env = dag.get_template_env()
    rendered, errors = {}, []

    def render(value, where):
        if isinstance(value, str):
            if "{{" not in value:
                return value
            try:
                return env.from_string(value).render(**context)
            except Exception as error:  # noqa: BLE001 - reported, not raised
                errors.append("%s: %s: %s" % (where, type(error).__name__, error))
                return None
        if isinstance(value, dict):
            return {k: render(v, where) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [render(v, where) for v in value]
        return value

    for field in task.template_fields:
        value = render(getattr(task, field, None), field)
        if json.dumps(getattr(task, field, None), default=str) != json.dumps(value, default=str):
            rendered[field] = value
    for name in NOT_OPERATOR_ARGUMENTS:
        callbacks = getattr(task, name, None) or []
        for callback in callbacks if isinstance(callbacks, list) else [callbacks]:
            for field in getattr(callback, "template_fields", ()):
                rendered["%s.%s" % (name, field)] = render(getattr(callback, field, None), "%s.%s" % (name, field))
    return rendered, errors


def first_runs(dag, count=5):
    if dag.timetable is None or not getattr(dag.timetable, "can_be_scheduled", True) or dag.start_date is None:
        return []
    restriction = TimeRestriction(earliest=dag.start_date, latest=dag.end_date, catchup=True)
    timetable = coerce_to_core_timetable(dag.timetable)
    runs, last = [], None
    for _ in range(count):
        info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        if info is None:
            break
        runs.append(
            {
                "runs_at": info.run_after.isoformat(),
                "interval_start": info.data_interval.start.isoformat(),
                "interval_end": info.data_interval.end.isoformat(),
            }
        )
        last = info.data_interval
    return runs


def main(folder, output):
    started = time.monotonic()
    bag = DagBag(dag_folder=folder, safe_mode=False, **BAG_OPTIONS)
    parsed = time.monotonic() - started
    out = {
        "parse_seconds": round(parsed, 2),
        "import_errors": {path: str(error) for path, error in bag.import_errors.items()},
        "dags": {},
    }
    for dag_id, dag in sorted(bag.dags.items()):
        try:  # what the DAG processor does with every DAG it parses
            Serializer.to_dict(dag)
            serialization_error = None
        except Exception as error:  # noqa: BLE001 - reported, not raised
            serialization_error = "%s: %s" % (type(error).__name__, error)
        runs = first_runs(dag)
        renders = {task.task_id: render_all(dag, task, runs[0] if runs else None) for task in dag.tasks}
        out["dags"][dag_id] = {
            "serialization_error": serialization_error,
            "rendered": {task_id: r[0] for task_id, r in renders.items()},
            "render_errors": [e for r in renders.values() for e in r[1]],
            "file": dag.fileloc,
            "timetable": type(dag.timetable).__name__,
            "catchup": dag.catchup,
            "params": sorted(dag.params.keys()),
            "tasks": {task.task_id: task_summary(task) for task in dag.tasks},
            "runs": runs,
        }
    with open(output, "w") as handle:
        json.dump(out, handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
