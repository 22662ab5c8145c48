"""A source Airflow with real history: the seed DAGs (local/seed_dags) installed and run by
the scheduler, manual runs and notes through the REST API, plus pools, variables and
connections. Nothing is written to the metadata database directly."""

import json
import shutil
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional

from .airflow_env import AirflowEnv, AirflowEnvError
from .stack import LOCAL_DIR

SEED_DAGS_DIR = LOCAL_DIR / "seed_dags"
# Each kind of history (XComs, mapped tasks, SLA misses, retries, failures, reschedules) in a few
# runs; the bulk of the runs in one-task hourly pipelines (seed_hourly.py), which are cheap to run.
RICH_DAGS = ("seed_etl", "seed_flaky", "seed_sensor")
BULK_DAGS = (
    "seed_ingest_orders",
    "seed_ingest_clicks",
    "seed_refresh_dashboards",
    "seed_sync_crm",
    "seed_compact_events",
)
SCHEDULED_DAGS = RICH_DAGS + BULK_DAGS
MANUAL_DAG = "seed_manual"
TERMINAL_RUN_STATES = ("success", "failed")
# How often a caller that asked for progress hears how far the seeding is.
PROGRESS_SECONDS = 20

# The tables the export carries (the bundle contract in DESIGN.md §3), and the note tables.
# task_instance_history exists from Airflow 2.10 on.
EXPORT_TABLES = (
    "dag_run",
    "task_instance",
    "task_instance_history",
    "task_fail",
    "task_reschedule",
    "log",
    "job",
    "xcom",
    "rendered_task_instance_fields",
    "sla_miss",
    "slot_pool",
    "variable",
    "connection",
)
NOTE_TABLES = ("dag_run_note", "task_instance_note")
SUMMARY_TABLES = EXPORT_TABLES + NOTE_TABLES

LARGE_VARIABLE_BYTES = 200_000

POOLS = [
    {"name": "seed_pool", "slots": 2, "description": "mapped seed tasks"},
    {"name": "reporting", "slots": 5, "description": "Berichte für das Team ✓"},
]


def _variables() -> List[Dict[str, Any]]:
    large = "".join("line %06d of a large variable\n" % i for i in range(LARGE_VARIABLE_BYTES // 30))
    return [
        {
            "key": "seed_settings_json",
            "value": json.dumps(
                {"region": "us-east-1", "retries": 3, "owners": ["data", "ml"], "nested": {"on": True}}
            ),
            "description": "JSON settings read by seed_manual",
        },
        {"key": "seed_unicode", "value": "Grüße aus Köln — 日本語 — emoji 🚀", "description": "unicode value"},
        {"key": "seed_large", "value": large, "description": "a value of about %d bytes" % len(large)},
        {"key": "seed_api_secret", "value": "s3cr3t-variable-value-9f8e7d", "description": "masked by name"},
        {"key": "seed_empty", "value": ""},
    ]


def _connections() -> List[Dict[str, Any]]:
    return [
        {
            "connection_id": "seed_postgres",
            "conn_type": "postgres",
            "host": "db.internal.example",
            "login": "etl_user",
            "password": "p@ss:w/rd?#%&=+ünï",
            "port": 5432,
            "schema": "warehouse",
            "extra": json.dumps({"sslmode": "require", "application_name": "seed"}),
        },
        {
            "connection_id": "seed_http",
            "conn_type": "http",
            "host": "api.example.com",
            "login": "svc",
            "password": "tok-123-abc",
            "schema": "https",
            "extra": json.dumps({"Authorization": "Bearer extra-secret-token", "timeout": 30}),
        },
        {
            "connection_id": "seed_aws",
            "conn_type": "aws",
            "extra": json.dumps({"region_name": "eu-west-1", "role_arn": "arn:aws:iam::123456789012:role/seed"}),
        },
    ]


def plan_runs(runs: int) -> Dict[str, int]:
    """How many runs each seed DAG gets for a total of `runs` (DAGs without runs are left out).
    The rich DAGs run several tasks (and the sensor waits between pokes), so they get a twentieth
    or so each; the one-task pipelines share the rest."""
    if runs < 10:
        raise ValueError("runs=%d is too small to cover every kind of history; use at least 10" % runs)
    plan = {
        "seed_etl": max(3, runs // 20),
        "seed_flaky": max(3, runs // 20),
        "seed_sensor": max(2, runs // 60),
        MANUAL_DAG: max(2, runs // 30),
    }
    rest = runs - sum(plan.values())
    for index, dag_id in enumerate(BULK_DAGS):
        share = rest // len(BULK_DAGS) + (1 if index < rest % len(BULK_DAGS) else 0)
        if share > 0:
            plan[dag_id] = share
    return plan


def scheduled_dags(plan: Dict[str, int]) -> List[str]:
    return [dag_id for dag_id in SCHEDULED_DAGS if dag_id in plan]


def install_seed_dags(env: AirflowEnv, plan: Dict[str, int], now: datetime) -> None:
    """Copies the seed DAGs into env.dags_folder with the settings that fix their history."""
    env.dags_folder.mkdir(parents=True, exist_ok=True)
    for source in sorted(SEED_DAGS_DIR.glob("*.py")):
        shutil.copy2(source, env.dags_folder / source.name)
    longest = max(plan[dag_id] for dag_id in scheduled_dags(plan))
    # All intervals end an hour before now, so every one of them is due at once.
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=longest + 2)
    settings = {"start": start.isoformat(), "runs": plan}
    (env.dags_folder / "seed_settings.json").write_text(json.dumps(settings, indent=2))


def seed_history(
    env: AirflowEnv, runs: int = 30, timeout: float = 0, progress: Optional[Callable[[str], None]] = None
) -> Dict[str, Any]:
    """Gives env a history of about `runs` DAG runs, all run by its scheduler, and returns a
    summary: row counts per table, runs per DAG and state, and the seconds it took.
    `progress`, when given, receives a line about every PROGRESS_SECONDS while the runs run."""
    started = time.monotonic()
    plan = plan_runs(runs)
    # Generous: a shared 2-core machine ran about 0.3 task instances per second.
    timeout = timeout or 900 + runs * 20
    now = datetime.now(timezone.utc)

    install_seed_dags(env, plan, now)
    env.airflow("dags", "reserialize", timeout=600)
    env.start()
    env.wait_healthy()
    _check_dags_registered(env, plan)

    for pool in POOLS:
        env.rest("POST", "/pools", json=pool)
    for variable in _variables():
        env.rest("POST", "/variables", json=variable)
    for connection in _connections():
        env.rest("POST", "/connections", json=connection)

    for dag_id in scheduled_dags(plan) + [MANUAL_DAG]:
        env.rest("PATCH", "/dags/%s" % dag_id, params={"update_mask": "is_paused"}, json={"is_paused": False})
    manual_runs = []
    for index in range(plan[MANUAL_DAG]):
        run_id = "manual__seed_%03d" % index
        env.rest(
            "POST",
            "/dags/%s/dagRuns" % MANUAL_DAG,
            json={
                "dag_run_id": run_id,
                "logical_date": (now - timedelta(minutes=index + 1)).isoformat(),
                "conf": {"who": "operator %d" % index, "ticket": "OPS-%d" % (1000 + index)},
            },
        )
        manual_runs.append(run_id)

    _wait_for_runs(env, plan, deadline=started + timeout, progress=progress)
    _set_notes(env, manual_runs)
    # A DAG its owner paused: the migration must carry the paused state over as it was.
    env.rest("PATCH", "/dags/seed_sensor", params={"update_mask": "is_paused"}, json={"is_paused": True})
    sla_wait_until = time.monotonic() + 60
    while _count(env, "sla_miss") == 0 and time.monotonic() < sla_wait_until:
        time.sleep(2)

    return {
        "airflow_version": env.version,
        "plan": plan,
        "tables": table_counts(env),
        "dag_runs": runs_by_state(env),
        "seconds": round(time.monotonic() - started, 1),
    }


def _check_dags_registered(env: AirflowEnv, plan: Dict[str, int]) -> None:
    rows = env.query("SELECT dag_id FROM dag WHERE dag_id LIKE 'seed\\_%'")
    missing = sorted(set(plan) - {row[0] for row in rows})
    if missing:
        errors = env.query("SELECT filename, stacktrace FROM import_error")
        raise AirflowEnvError("seed DAGs %s were not registered in %r; import errors: %s" % (missing, env.name, errors))


def _wait_for_runs(
    env: AirflowEnv, plan: Dict[str, int], deadline: float, progress: Optional[Callable[[str], None]] = None
) -> None:
    counts: Dict[str, Any] = {}
    started = last_report = time.monotonic()
    while time.monotonic() < deadline:
        counts = {
            dag_id: {"total": total, "finished": finished, "expected": plan[dag_id]}
            for dag_id, total, finished in env.query(
                "SELECT dag_id, count(*), count(*) FILTER (WHERE state IN ('success', 'failed')) "
                "FROM dag_run WHERE dag_id LIKE 'seed\\_%' GROUP BY dag_id"
            )
        }
        if all(
            counts.get(dag_id, {}).get("finished") == expected and counts[dag_id]["total"] == expected
            for dag_id, expected in plan.items()
        ):
            return
        if progress and time.monotonic() - last_report >= PROGRESS_SECONDS:
            last_report = time.monotonic()
            finished = sum(c["finished"] for c in counts.values())
            progress(
                "seeding %r: %d of %d runs finished (%.0f s)"
                % (env.name, finished, sum(plan.values()), last_report - started)
            )
        if not env.running("scheduler"):
            raise AirflowEnvError("the scheduler of %r exited; see %s" % (env.name, env.log_file("scheduler")))
        time.sleep(3)
    raise AirflowEnvError(
        "seeding %r did not finish in time; runs so far: %s; see %s"
        % (env.name, json.dumps(counts), env.log_file("scheduler"))
    )


def _set_notes(env: AirflowEnv, manual_runs: List[str]) -> None:
    for index, run_id in enumerate(manual_runs):
        base = "/dags/%s/dagRuns/%s" % (MANUAL_DAG, run_id)
        env.rest("PATCH", base + "/setNote", json={"note": "triggered for ticket OPS-%d ✓" % (1000 + index)})
        if index % 2 == 0:
            env.rest(
                "PATCH", base + "/taskInstances/greet/setNote", json={"note": "checked by on-call, run %d" % index}
            )
    first_etl = env.query("SELECT run_id FROM dag_run WHERE dag_id = 'seed_etl' ORDER BY execution_date LIMIT 2")
    for (run_id,) in first_etl:
        base = "/dags/seed_etl/dagRuns/%s" % run_id
        env.rest("PATCH", base + "/setNote", json={"note": "backfilled after the outage"})
        env.rest("PATCH", base + "/taskInstances/extract/setNote", json={"note": "source file was late"})


def _count(env: AirflowEnv, table: str) -> int:
    return int(env.query('SELECT count(*) FROM "%s"' % table)[0][0])


def table_counts(env: AirflowEnv) -> Dict[str, int]:
    present = {
        row[0] for row in env.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    }
    return {table: _count(env, table) for table in SUMMARY_TABLES if table in present}


def runs_by_state(env: AirflowEnv) -> Dict[str, Dict[str, int]]:
    result: Dict[str, Dict[str, int]] = {}
    for dag_id, state, count in env.query(
        "SELECT dag_id, state, count(*) FROM dag_run GROUP BY dag_id, state ORDER BY dag_id, state"
    ):
        result.setdefault(dag_id, {})[state] = int(count)
    return result
