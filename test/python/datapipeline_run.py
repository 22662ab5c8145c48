"""Run by an Airflow virtualenv's Python (not by pytest): runs DAGs of a folder once each with
`dag.test()` (no scheduler: the tasks run in this process against the environment's database and
AWS endpoint) and writes, as JSON, each run's state and its tasks' states.

    <airflow venv>/bin/python test/python/datapipeline_run.py <dag folder> <runs.json> <output.json>

<runs.json> lists {"dag_id", "mark_success"}: mark_success is a regex of task ids to mark successful
instead of running (waits on what the AWS stand-in never finishes, such as an EMR step).
Each DAG runs for its timetable's first run: the run after time of that run, from which Airflow infers
the same data interval the scheduler would give it.
"""

import json
import sys
import warnings
from pathlib import Path

import pendulum
from airflow.models.dagbag import DagBag

from datapipeline_dagbag import first_runs

warnings.simplefilter("ignore")


def main(folder, runs_file, output):
    bag = DagBag(dag_folder=folder, include_examples=False, safe_mode=False)
    assert not bag.import_errors, bag.import_errors
    results = {}
    for run in json.loads(Path(runs_file).read_text()):
        dag = bag.dags[run["dag_id"]]
        first = first_runs(dag, count=1)[0]
        dag_run = dag.test(
            execution_date=pendulum.parse(first["runs_at"]),
            mark_success_pattern=run.get("mark_success"),
        )
        results[run["dag_id"]] = {
            "state": str(dag_run.state),
            "data_interval_start": dag_run.data_interval_start.isoformat(),
            "tasks": {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()},
        }
    Path(output).write_text(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
