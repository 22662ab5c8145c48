"""Test support: real Airflow environments with history, the two ways to migrate, and
row-level comparison of source and target metadata."""

import collections
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from mwaa_local import AirflowEnv, AirflowEnvError, new_fernet_key, stack_info

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = ROOT / "payload"
HISTORY_DAGS = Path(__file__).resolve().parent / "dags" / "history_dags.py"
EDGE_DAGS = Path(__file__).resolve().parent / "dags" / "edge_dags.py"
USER_DAGS = ("hist_etl", "hist_manual")
EDGE_DAG = "hist_edge"
# The DAGs whose rows the text comparison (text_differences) looks at.
COMPARED_DAGS = USER_DAGS + (EDGE_DAG,)
BUCKET = "migration-bundles"

# Values that must never show up in a log line or the manifest.
SECRET_PASSWORD = "pa55-w0rd-ß-never-logged"
SECRET_EXTRA_TOKEN = "extra-token-never-logged"
SECRET_VARIABLE = "variable-value-never-logged"
LARGE_VARIABLE = "x" * 300_000


def install_dags(env: AirflowEnv, history: bool = True) -> None:
    folder = Path(env.dags_folder)
    for item in PAYLOAD.iterdir():
        if item.name == "__pycache__":
            continue
        if item.is_dir():
            shutil.copytree(item, folder / item.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(item, folder / item.name)
    # The contract documents, delivered beside the library as the providers deliver them.
    contract_data = folder / "mwaa_migration" / "contract_data"
    contract_data.mkdir(exist_ok=True)
    for document in (ROOT / "contract").glob("*.json"):
        shutil.copy(document, contract_data / document.name)
    if history:
        shutil.copy(HISTORY_DAGS, folder / HISTORY_DAGS.name)
        shutil.copy(EDGE_DAGS, folder / EDGE_DAGS.name)
    reserialize(env)


def reserialize(env: AirflowEnv, attempts: int = 3) -> None:
    """`airflow dags reserialize`, again when it raced a running scheduler's DAG processor writing the same
    new DAG first (a duplicate key on `dag`): the second pass finds the row and updates it."""
    for attempt in range(1, attempts + 1):
        try:
            env.airflow("dags", "reserialize", timeout=300)
            return
        except AirflowEnvError as error:
            if "UniqueViolation" not in str(error) or attempt == attempts:
                raise


def create_env(name: str, version: str, history_dags: bool = True) -> AirflowEnv:
    env = AirflowEnv.create(name, version, new_fernet_key())
    install_dags(env, history_dags)
    return env


SEED_OBJECTS = """
import json
from airflow.models import Connection, Pool, Variable
from airflow.utils.session import create_session

with create_session() as session:
    session.add(Connection(conn_id="warehouse", conn_type="postgres", host="db.internal", login="etl",
                           password=%(password)r, port=5432, schema="dw",
                           extra=json.dumps({"sslmode": "require", "token": %(token)r})))
    session.add(Connection(conn_id="plain_http", conn_type="http", host="example.invalid"))
    session.add(Pool(pool="etl_pool", slots=3, description="ETL ünïcode pool", include_deferred=False))
Variable.set("json_config", {"tables": ["a", "b"], "limit": 10, "name": "größe"}, serialize_json=True)
Variable.set("unicode_note", "Grüße aus Köln — 東京 ✓")
Variable.set("api_key", %(secret)r, description="secret")
Variable.set("large_value", %(large)r)
"""


def seed_objects(env: AirflowEnv) -> None:
    script = SEED_OBJECTS % {
        "password": SECRET_PASSWORD,
        "token": SECRET_EXTRA_TOKEN,
        "secret": SECRET_VARIABLE,
        "large": LARGE_VARIABLE,
    }
    env.python(["-"], input=script)


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def unfinished_runs(env: AirflowEnv, dag_ids: Tuple[str, ...] = USER_DAGS) -> int:
    return env.query(
        "SELECT count(*) FROM dag_run WHERE dag_id = ANY(%s) AND state NOT IN ('success', 'failed')",
        (list(dag_ids),),
    )[0][0]


def run_count(env: AirflowEnv, dag_id: str) -> int:
    return env.query("SELECT count(*) FROM dag_run WHERE dag_id = %s", (dag_id,))[0][0]


def trigger(env: AirflowEnv, dag_id: str, conf: Optional[Dict[str, Any]] = None, note: Optional[str] = None) -> str:
    run = env.rest("POST", "/dags/%s/dagRuns" % dag_id, json={"conf": conf or {}}, expect=(200,))
    if note:
        env.rest("PATCH", "/dags/%s/dagRuns/%s/setNote" % (dag_id, run["dag_run_id"]), json={"note": note})
    return run["dag_run_id"]


def wait_run(env: AirflowEnv, dag_id: str, run_id: str, timeout: float = 300) -> str:
    def finished() -> Optional[str]:
        state = env.rest("GET", "/dags/%s/dagRuns/%s" % (dag_id, run_id))["state"]
        return state if state in ("success", "failed") else None

    return wait_for(finished, timeout, "run %s of %s" % (run_id, dag_id))


def seed_history(env: AirflowEnv) -> None:
    """Runs the history DAGs for real: 4 catch-up runs of hist_etl, manual runs of hist_manual."""
    seed_objects(env)
    env.start()
    env.wait_healthy(timeout=240)
    for dag_id in USER_DAGS:
        env.rest("PATCH", "/dags/%s" % dag_id, json={"is_paused": False})
    ok = trigger(env, "hist_manual", {"source": "test", "text": "ünïcode ✓"}, note="manual run note ✓")
    failed = trigger(env, "hist_manual", {"fail": True})
    wait_run(env, "hist_manual", ok)
    wait_run(env, "hist_manual", failed)
    wait_for(lambda: run_count(env, "hist_etl") >= 4 and unfinished_runs(env) == 0, 420, "hist_etl catch-up runs")
    # SLA misses are recorded by the DAG processor shortly after the runs; let them land
    # now, so that they belong to the bulk export rather than appear half-way.
    try:
        wait_for(lambda: env.query("SELECT count(*) FROM sla_miss")[0][0] > 0, 60, "SLA misses", interval=3)
    except AssertionError:
        pass
    run_id = env.query("SELECT run_id FROM dag_run WHERE dag_id = 'hist_etl' ORDER BY execution_date LIMIT 1")[0][0]
    env.rest(
        "PATCH",
        "/dags/hist_etl/dagRuns/%s/taskInstances/extract/setNote" % run_id,
        json={"note": "task note ✓"},
    )


# --- migrating ------------------------------------------------------------------------


def bundle_conf(prefix: str, export_id: str) -> Dict[str, Any]:
    return {"bucket": BUCKET, "prefix": prefix, "exportId": export_id}


def kms_key_id(env: AirflowEnv) -> str:
    kms = env.boto3_client("kms")
    for key in kms.list_keys()["Keys"]:
        return key["KeyId"]
    return kms.create_key(Description="migration bundles")["KeyMetadata"]["KeyId"]


def ensure_bucket(env: AirflowEnv) -> None:
    s3 = env.boto3_client("s3")
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass


def empty_prefix(env: AirflowEnv, prefix: str) -> None:
    """Removes the bundles an earlier test session left under prefix: an export id is used once."""
    s3 = env.boto3_client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix.rstrip("/") + "/"):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=BUCKET, Delete={"Objects": keys})


def direct(
    env: AirflowEnv, command: str, args: List[str], check: bool = True, extra_env: Optional[Dict[str, str]] = None
) -> "subprocess.CompletedProcess[str]":
    """python -m mwaa_migration <command> in the environment's venv against its database."""
    argv = ["-m", "mwaa_migration", command, "--db-url", env.sql_url] + args
    return env.python(argv, check=check, env=dict({"PYTHONPATH": str(PAYLOAD)}, **(extra_env or {})), timeout=900)


def output(result: "subprocess.CompletedProcess[str]") -> str:
    return result.stdout + result.stderr


def failed_clearly(result: "subprocess.CompletedProcess[str]", command: str) -> str:
    """The one-line failure message of a direct-mode command that must fail without a traceback."""
    assert result.returncode == 1, output(result)
    assert "Traceback" not in output(result), output(result)
    lines = [line for line in result.stderr.splitlines() if line.startswith("mwaa_migration %s failed: " % command)]
    assert len(lines) == 1, output(result)
    return lines[0]


def direct_args(conf: Dict[str, Any]) -> List[str]:
    args = []
    for key, value in conf.items():
        flag = "--" + "".join("-" + c.lower() if c.isupper() else c for c in key)
        if value is True:
            args.append(flag)
        elif value is not False and value is not None:
            args += [flag, str(value)]
    return args


def run_migration_dag(env: AirflowEnv, dag_id: str, conf: Dict[str, Any], timeout: float = 600) -> str:
    run_id = trigger(env, dag_id, conf)
    return wait_run(env, dag_id, run_id, timeout)


def s3_json(env: AirflowEnv, key: str) -> Dict[str, Any]:
    body = env.boto3_client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return json.loads(body)


def s3_text(env: AirflowEnv, key: str) -> str:
    return env.boto3_client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().decode("utf-8")


# --- comparing ------------------------------------------------------------------------

# Per table: columns compared (identity comes from these, never from surrogate ids).
# Columns that a version pair does not share are left out automatically.
COMPARED_TABLES = {
    "dag_run": "SELECT {cols} FROM dag_run t WHERE t.dag_id = ANY(%s)",
    "task_instance": "SELECT {cols} FROM task_instance t WHERE t.dag_id = ANY(%s)",
    "task_instance_history": "SELECT {cols} FROM task_instance_history t WHERE t.dag_id = ANY(%s)",
    "task_fail": "SELECT {cols} FROM task_fail t WHERE t.dag_id = ANY(%s)",
    "task_reschedule": "SELECT {cols} FROM task_reschedule t WHERE t.dag_id = ANY(%s)",
    "xcom": "SELECT {cols} FROM xcom t WHERE t.dag_id = ANY(%s)",
    "rendered_task_instance_fields": "SELECT {cols} FROM rendered_task_instance_fields t WHERE t.dag_id = ANY(%s)",
    "task_instance_note": "SELECT {cols} FROM task_instance_note t WHERE t.dag_id = ANY(%s)",
    "dag_run_note": "SELECT r.dag_id, r.run_id, {cols} FROM dag_run_note t JOIN dag_run r ON r.id = t.dag_run_id"
    " WHERE r.dag_id = ANY(%s)",
    "sla_miss": "SELECT {cols} FROM sla_miss t WHERE t.dag_id = ANY(%s)",
    "log": "SELECT {cols} FROM log t WHERE t.dag_id = ANY(%s)",
    "job": "SELECT {cols} FROM job t WHERE t.dag_id = ANY(%s)",
}
# Surrogate ids and the references to them (remapped by design), and what the import
# deliberately clears (note authors, triggers: neither is migrated).
NOT_COMPARED = {
    "id", "dag_run_id", "job_id", "queued_by_job_id", "creating_job_id", "log_template_id", "user_id", "trigger_id",
}


def _columns(env: AirflowEnv, table: str) -> List[str]:
    return [
        row[0]
        for row in env.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'"
            " AND table_name = %s ORDER BY ordinal_position",
            (table,),
        )
    ]


def _normalise(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value


def table_rows(
    env: AirflowEnv, table: str, columns: List[str], dag_ids: Tuple[str, ...] = USER_DAGS
) -> "collections.Counter[tuple]":
    cols = ", ".join("t.%s" % c for c in columns)
    rows = env.query(COMPARED_TABLES[table].format(cols=cols), (list(dag_ids),))
    return collections.Counter(tuple(_normalise(v) for v in row) for row in rows)


def missing_rows(
    source: AirflowEnv, target: AirflowEnv, tables: Optional[List[str]] = None, dag_ids: Tuple[str, ...] = USER_DAGS
) -> Dict[str, Any]:
    """Per table, source rows (of the user DAGs) that the target does not have.

    Called the other way round (target, source), it finds rows the target keeps that the
    source no longer has, such as a run's state from before it was cleared and re-run.
    """
    problems = {}
    for table in tables or list(COMPARED_TABLES):
        source_cols = _columns(source, table)
        target_cols = set(_columns(target, table))
        if not source_cols or not target_cols:
            continue
        common = [c for c in source_cols if c in target_cols and c not in NOT_COMPARED]
        missing = table_rows(source, table, common, dag_ids) - table_rows(target, table, common, dag_ids)
        if missing:
            problems[table] = {"columns": common, "missing": list(missing.elements())[:5], "count": sum(missing.values())}
    return problems


def table_digest(env: AirflowEnv) -> Dict[str, Tuple[int, str]]:
    """Row count and an order-independent md5 of the migrated rows of every table.

    History tables are limited to the user DAGs: the migration DAGs' own runs and the
    scheduler's heartbeats change other rows while a test looks.
    """
    queries = {table: sql.format(cols="t.*") for table, sql in COMPARED_TABLES.items()}
    for table in ("slot_pool", "variable", "connection", "log_template"):
        queries[table] = "SELECT t.* FROM %s t WHERE %%s IS NOT NULL" % table
    queries["dag"] = (
        "SELECT dag_id, is_paused, next_dagrun, next_dagrun_create_after FROM dag t WHERE t.dag_id = ANY(%s)"
    )
    digest = {}
    for table, sql in queries.items():
        if not _columns(env, table):
            continue
        rows = env.query(
            "SELECT count(*), coalesce(md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))), '')"
            " FROM (%s) x" % sql,
            (list(USER_DAGS),),
        )
        digest[table] = rows[0]
    return digest


def airflow_secrets(env: AirflowEnv) -> Dict[str, Any]:
    """Variables and connections as the environment's own Airflow models read them."""
    script = """
import json
from airflow.models import Connection, Variable
from airflow.utils.session import create_session
with create_session() as session:
    variables = {v.key: v.val for v in session.query(Variable)}
    conns = {c.conn_id: {"password": c.password, "extra": c.extra_dejson, "host": c.host, "login": c.login}
             for c in session.query(Connection)}
print(json.dumps({"variables": variables, "connections": conns}))
"""
    out = env.python(["-c", script]).stdout.strip().splitlines()[-1]
    return json.loads(out)


def all_task_log_text(env: AirflowEnv) -> str:
    """Every task log line of the environment: CloudWatch (remote logging) and local files."""
    logs = env.boto3_client("logs")
    texts = []
    paginator = logs.get_paginator("filter_log_events")
    for page in paginator.paginate(logGroupName=env.log_group):
        texts.extend(event["message"] for event in page["events"])
    for path in Path(env.home, "logs").rglob("*.log"):
        texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


def env_path() -> str:
    return os.pathsep.join([str(ROOT / "local"), str(PAYLOAD)])


def stack_endpoint() -> str:
    return stack_info()["aws_endpoint_url"]


# --- comparing as text ----------------------------------------------------------------

# How each compared table's rows are selected and which expressions identify a row across
# environments (its natural key; surrogate ids differ by design).
_TEXT_SOURCES = {
    "dag_run_note": ("FROM dag_run_note t JOIN dag_run r ON r.id = t.dag_run_id WHERE r.dag_id = ANY(%s)",
                     ["r.dag_id", "r.run_id"]),
}


def _natural_key(table: str) -> List[str]:
    from mwaa_migration.spec import table_spec

    return ["t.%s" % c for c in table_spec(table).natural_key]


def text_rows(env: AirflowEnv, table: str, columns: List[str], dag_ids: Tuple[str, ...]) -> "collections.Counter[tuple]":
    """(natural key, {column: value as PostgreSQL prints it}) per row: JSON as stored, not parsed."""
    source, key = _TEXT_SOURCES.get(table, ("FROM %s t WHERE t.dag_id = ANY(%%s)" % table, _natural_key(table)))
    if table == "task_instance":
        # Unfinished task instances are left on the source by design (the manifest counts them).
        from mwaa_migration.spec import UNFINISHED_TI_STATES

        source += " AND (t.state IS NULL OR t.state NOT IN (%s))" % ", ".join("'%s'" % s for s in UNFINISHED_TI_STATES)
    exprs = ["(%s)::text" % k for k in key] + ["t.%s::text" % c for c in columns]
    rows = env.query("SELECT %s %s" % (", ".join(exprs), source), (list(dag_ids),))
    return collections.Counter((row[: len(key)], row[len(key):]) for row in rows)


def _short(value: Optional[str]) -> Optional[str]:
    return value if value is None or len(value) <= 80 else "%s...(%d chars)" % (value[:80], len(value))


def text_differences(
    source: AirflowEnv,
    target: AirflowEnv,
    tables: Optional[List[str]] = None,
    dag_ids: Tuple[str, ...] = COMPARED_DAGS,
) -> Dict[str, Any]:
    """Per table, rows of the DAGs compared column by column as text, matched on natural keys.

    "missing": keys the target lacks; "extra": keys only the target has; "different": per
    column, the keys whose values differ, with both values. Empty when the target holds
    every row exactly as the source does.
    """
    problems: Dict[str, Any] = {}
    for table in tables or list(COMPARED_TABLES):
        source_cols = _columns(source, table)
        target_cols = set(_columns(target, table))
        if not source_cols or not target_cols:
            continue
        common = [c for c in source_cols if c in target_cols and c not in NOT_COMPARED]
        left = text_rows(source, table, common, dag_ids)
        right = text_rows(target, table, common, dag_ids)
        only_left, only_right = left - right, right - left
        if not only_left and not only_right:
            continue
        by_key_right = {key: values for key, values in only_right}
        found: Dict[str, Any] = {"missing": [], "extra": [], "different": collections.defaultdict(list)}
        for key, values in only_left:
            other = by_key_right.pop(key, None)
            if other is None:
                found["missing"].append(key)
                continue
            for column, mine, theirs in zip(common, values, other):
                if mine != theirs:
                    found["different"][column].append((key, _short(mine), _short(theirs)))
        found["extra"] = list(by_key_right)
        problems[table] = {name: value for name, value in found.items() if value}
        problems[table]["different"] = dict(found["different"])
        if not problems[table]["different"]:
            del problems[table]["different"]
    return problems
