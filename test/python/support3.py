"""Test support for Airflow 3 targets: an Airflow 3 with the migration plugin in its API server, the
plugin's HTTP calls as the provider makes them, and history made by a real Airflow 3 scheduler."""

import gzip
import json
import shutil
import time
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Tuple

import requests
import support
from mwaa_local import AirflowEnv, install_migration_plugin, new_fernet_key

DAGS = Path(__file__).resolve().parent / "dags"
# The DAG files an Airflow 3 parses for the test history (edge_dags3.py: see its docstring).
AIRFLOW3_DAG_FILES = (support.HISTORY_DAGS, DAGS / "edge_dags3.py")
PLUGIN = "/mwaa-migration"
VIEWER = "viewer"
VIEWER_PASSWORD = "viewer-password"


def create_target(name: str, version: str, prefix: str, dag_files: Iterable[Path] = AIRFLOW3_DAG_FILES) -> AirflowEnv:
    """An Airflow 3 with the plugin allowed to read s3://<bucket>/<prefix>, started, its DAGs parsed
    (paused, as a new environment's are), and a Viewer besides the Admin."""
    env = AirflowEnv.create(name, version, new_fernet_key(), users={VIEWER: ("VIEWER", VIEWER_PASSWORD)})
    for path in dag_files:
        shutil.copy(path, env.dags_folder / path.name)
    install_migration_plugin(env, "s3://%s/%s" % (support.BUCKET, prefix))
    env.start()
    env.wait_healthy(timeout=300)
    dag_ids = set(support.COMPARED_DAGS)
    support.wait_for(
        lambda: dag_ids <= {row[0] for row in env.query("SELECT dag_id FROM dag")}, 300, "the target to parse its DAGs"
    )
    return env


def call(env: AirflowEnv, method: str, path: str, user: Optional[str] = None, **kwargs: Any) -> requests.Response:
    """A request to the plugin as the Admin (or another user), with the JWT as a Bearer token."""
    headers = kwargs.pop("headers", {"Authorization": "Bearer " + env.jwt(user)})
    return requests.request(method, env.url + PLUGIN + path, headers=headers, timeout=60, **kwargs)


def start_import(env: AirflowEnv, run_id: str, conf: Dict[str, Any]) -> requests.Response:
    return call(env, "POST", "/imports/" + run_id, json=conf)


def import_through_plugin(
    env: AirflowEnv, run_id: str, conf: Dict[str, Any], timeout: float = 600
) -> Tuple[Dict[str, Any], Dict[str, Any], float]:
    """Starts the import and polls it as the provider does; (last status, import report, seconds)."""
    started = time.monotonic()
    response = start_import(env, run_id, conf)
    assert response.status_code in (200, 202), response.text
    where = {"bucket": conf["bucket"], "prefix": conf["prefix"], "exportId": conf["exportId"]}

    def finished() -> Optional[Dict[str, Any]]:
        status = call(env, "GET", "/imports/" + run_id, params=where).json()
        return status if status["state"] in ("success", "failed") else None

    status = support.wait_for(finished, timeout, "import %s in the plugin" % run_id, interval=1)
    seconds = time.monotonic() - started
    report = support.s3_json(env, "%s/%s/import-report.json" % (conf["prefix"], conf["exportId"]))
    return status, report, seconds


def copy_bundle(env: AirflowEnv, prefix: str, export_id: str, new_id: str, tamper: Optional[str] = None) -> None:
    """A copy of a bundle under another exportId; `tamper`: a table whose stream is altered after export."""
    s3 = env.boto3_client("s3")
    old, new = "%s/%s/" % (prefix, export_id), "%s/%s/" % (prefix, new_id)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=support.BUCKET, Prefix=old):
        for item in page.get("Contents", []):
            if item["Key"].endswith("import-report.json"):
                continue
            body = s3.get_object(Bucket=support.BUCKET, Key=item["Key"])["Body"].read()
            if tamper and item["Key"].endswith("/tables/%s.csv.gz" % tamper):
                body = gzip.compress(gzip.decompress(body).replace(b"hist_", b"hisT_", 1))
            if item["Key"].endswith("/manifest.json"):
                # The manifest names each stream's key: the copy's streams are its own.
                manifest = json.loads(body)
                for entry in manifest["tables"].values():
                    entry["key"] = new + entry["key"][len(old):]
                manifest["exportId"] = new_id
                body = json.dumps(manifest).encode("utf-8")
            s3.put_object(Bucket=support.BUCKET, Key=new + item["Key"][len(old):], Body=body)


# --- history made by an Airflow 3 scheduler -------------------------------------------------------------


def trigger(env: AirflowEnv, dag_id: str, conf: Optional[Dict[str, Any]] = None) -> str:
    run = env.rest("POST", "/dags/%s/dagRuns" % dag_id, json={"logical_date": None, "conf": conf or {}})
    return run["dag_run_id"]


def catch_up_done(env: AirflowEnv, dag_id: str) -> bool:
    rows = env.query(
        "SELECT next_dagrun_create_after IS NULL OR next_dagrun_create_after > now() FROM dag WHERE dag_id = %s",
        (dag_id,),
    )
    return bool(rows and rows[0][0])


def seed_history(env: AirflowEnv) -> None:
    """The history DAGs run by Airflow 3: catch-up runs of hist_etl (retries, mapped tasks, a rescheduling
    sensor), manual runs of hist_manual with a conf and notes, and the edge DAG's run."""
    support.seed_objects(env)
    env.start()
    env.wait_healthy(timeout=300)
    support.wait_for(
        lambda: set(support.COMPARED_DAGS) <= {r[0] for r in env.query("SELECT dag_id FROM dag")}, 300, "DAGs parsed"
    )
    for dag_id in support.COMPARED_DAGS:
        env.rest("PATCH", "/dags/%s" % dag_id, json={"is_paused": False})
    ok = trigger(env, "hist_manual", {"source": "test", "text": "ünïcode ✓"})
    failed = trigger(env, "hist_manual", {"fail": True})
    edge = trigger(env, "hist_edge")
    for run_id, dag_id in ((ok, "hist_manual"), (failed, "hist_manual"), (edge, "hist_edge")):
        support.wait_for(
            lambda: env.rest("GET", "/dags/%s/dagRuns/%s" % (dag_id, run_id))["state"] in ("success", "failed"),
            420,
            "run %s of %s" % (run_id, dag_id),
        )
    # The catch-up is over when the scheduler has no run left to create before now (Airflow 3's default
    # timetable also runs the current year's interval, so the count alone says too little).
    support.wait_for(
        lambda: support.run_count(env, "hist_etl") >= 4
        and catch_up_done(env, "hist_etl")
        and support.unfinished_runs(env) == 0,
        600,
        "hist_etl runs",
    )
    env.rest("PATCH", "/dags/hist_manual/dagRuns/%s" % ok, json={"note": "manual run note ✓"})
    run_id = env.query("SELECT run_id FROM dag_run WHERE dag_id = 'hist_etl' ORDER BY logical_date LIMIT 1")[0][0]
    env.rest("PATCH", "/dags/hist_etl/dagRuns/%s/taskInstances/extract" % run_id, json={"note": "task note ✓"})
    for dag_id in support.COMPARED_DAGS:
        env.rest("PATCH", "/dags/%s" % dag_id, json={"is_paused": True})


def table_digest(env: AirflowEnv) -> Dict[str, Tuple[int, str]]:
    """Row count and an order-independent md5 of the migrated rows of every table, Airflow 3's
    task-instance-by-id tables joined to their task instances (support.table_digest for 3.x)."""
    import compare3

    queries = {}
    for table in compare3.TABLES:
        columns = compare3._columns(env, table)
        if columns:
            relation, _ = compare3._relation(table, columns)
            queries[table] = "SELECT t.* FROM %s WHERE %s" % (relation, compare3._scope(table, columns))
    for table in ("slot_pool", "variable", "connection", "log_template"):
        queries[table] = "SELECT t.* FROM %s t WHERE %%s IS NOT NULL" % table
    queries["dag"] = (
        "SELECT dag_id, is_paused, next_dagrun, next_dagrun_create_after FROM dag t WHERE t.dag_id = ANY(%s)"
    )
    return {
        table: env.query(
            "SELECT count(*), coalesce(md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))), '') FROM (%s) x" % sql,
            (list(support.COMPARED_DAGS),),
        )[0]
        for table, sql in queries.items()
    }
