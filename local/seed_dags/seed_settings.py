"""Reads seed_settings.json, written next to this file by mwaa_local.seed_history: the
fixed start of the scheduled history and how many runs each seeded workflow gets; builds
the catch-up DAGs from it.
(Python 3.8 syntax: this file is parsed by every Airflow version the stack runs.)"""

import json
import os
from datetime import datetime, timedelta, timezone

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed_settings.json")

INTERVAL = timedelta(hours=1)


def _load():
    try:
        with open(_PATH) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {"start": "2024-01-01T00:00:00+00:00", "runs": {}}


SETTINGS = _load()
START = datetime.fromisoformat(SETTINGS["start"]).astimezone(timezone.utc)


def runs_for(workflow_id, default=1):
    return int(SETTINGS["runs"].get(workflow_id, default))


def end_for(workflow_id):
    """The last logical date such that exactly runs_for(workflow_id) intervals are scheduled."""
    return START + INTERVAL * (runs_for(workflow_id) - 1)


def catch_up_dag(dag_id, max_active_runs=3):
    """An hourly DAG whose catch-up creates exactly runs_for(dag_id) scheduled runs."""
    from airflow import DAG

    return DAG(
        dag_id=dag_id,
        schedule=INTERVAL,
        start_date=START,
        end_date=end_for(dag_id),
        catchup=True,
        max_active_runs=max_active_runs,
        tags=["seed"],
    )
