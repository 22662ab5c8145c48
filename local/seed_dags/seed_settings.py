"""Reads seed_settings.json, written next to this file by mwaa_local.seed_history: the
fixed start of the scheduled history and how many runs each seeded workflow gets.
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
