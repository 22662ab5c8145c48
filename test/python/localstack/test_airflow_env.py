"""Real Airflow environments on the stack: migrated, serving REST, with seeded history and
task logs in moto's CloudWatch Logs."""

import json
import os
import re
import signal
import time

import pytest
import requests

import mwaa_local
from conftest import REPO_ROOT
from mwaa_local.seed import EXPORT_TABLES, NOTE_TABLES

# Every table the export reads must have rows; task_instance_history only exists on 2.10+.
HISTORY_TABLES = tuple(table for table in EXPORT_TABLES + NOTE_TABLES if table != "task_instance_history")


def _version(env):
    return tuple(int(part) for part in env.version.split("."))


def test_env_is_migrated_and_serves_rest_v1_with_basic_auth(seeded_env):
    env, _ = seeded_env
    assert env.rest("GET", "/version")["version"] == env.version
    env.airflow("db", "check-migrations", "--migration-wait-timeout", "5")
    with pytest.raises(mwaa_local.RestError) as denied:
        mwaa_local.AirflowEnv(dict(env._settings, admin_password="wrong")).rest("GET", "/dags")
    assert denied.value.status == 401
    dag_ids = {dag["dag_id"] for dag in env.rest("GET", "/dags")["dags"]}
    assert {"seed_etl", "seed_flaky", "seed_sensor", "seed_manual"} <= dag_ids


def test_seeding_fills_every_table_the_export_reads(seeded_env):
    env, summary = seeded_env
    tables = mwaa_local.table_counts(env)
    empty = [table for table in HISTORY_TABLES if not tables.get(table)]
    assert not empty, "no rows in %s: %s" % (empty, tables)
    if _version(env) >= (2, 10):
        assert tables.get("task_instance_history", 0) > 0
    assert tables["dag_run"] == sum(summary["plan"].values())


def test_history_has_each_kind_of_run(seeded_env):
    env, summary = seeded_env
    runs = summary["dag_runs"]
    assert runs["seed_etl"] == {"success": summary["plan"]["seed_etl"]}
    assert runs["seed_flaky"].get("failed", 0) > 0 and runs["seed_flaky"].get("success", 0) > 0
    assert runs["seed_sensor"] == {"success": summary["plan"]["seed_sensor"]}
    retried = env.query("SELECT count(*) FROM task_instance WHERE task_id = 'wobbly' AND try_number >= 2")
    assert retried[0][0] == summary["plan"]["seed_flaky"]
    mapped = env.query("SELECT count(DISTINCT map_index) FROM task_instance WHERE task_id = 'process'")
    assert mapped[0][0] == 3
    manual = env.query("SELECT run_type, conf IS NOT NULL FROM dag_run WHERE dag_id = 'seed_manual'")
    assert manual and all(row == ("manual", True) for row in manual)
    scheduled = env.query("SELECT count(*) FROM dag_run WHERE run_type = 'scheduled'")[0][0]
    assert scheduled == sum(runs for dag_id, runs in summary["plan"].items() if dag_id != "seed_manual")
    notes = env.rest("GET", "/dags/seed_manual/dagRuns/manual__seed_000")["note"]
    assert notes.startswith("triggered for ticket OPS-1000")
    paused = {dag["dag_id"]: dag["is_paused"] for dag in env.rest("GET", "/dags")["dags"]}
    assert paused["seed_sensor"] is True and paused["seed_etl"] is False


def test_variables_and_connections_are_encrypted_and_readable(seeded_env):
    env, _ = seeded_env
    unicode_value = env.airflow("variables", "get", "seed_unicode").stdout.strip()
    assert unicode_value == "Grüße aus Köln — 日本語 — emoji 🚀"
    assert json.loads(env.airflow("variables", "get", "seed_settings_json").stdout)["region"] == "us-east-1"
    large = env.query("SELECT length(val), is_encrypted FROM variable WHERE key = 'seed_large'")[0]
    assert large[0] > 200_000 and large[1] is True
    stored = env.query(
        "SELECT password, is_encrypted, is_extra_encrypted FROM connection WHERE conn_id = 'seed_postgres'"
    )
    assert stored[0][1] is True and stored[0][2] is True and "p@ss" not in stored[0][0]
    listed = json.loads(env.airflow("connections", "get", "seed_postgres", "-o", "json").stdout)
    assert listed[0]["password"] == "p@ss:w/rd?#%&=+ünï"


def test_task_logs_reach_cloudwatch_with_mwaa_stream_names(seeded_env):
    env, _ = seeded_env
    logs = env.boto3_client("logs")
    streams = []
    for page in logs.get_paginator("describe_log_streams").paginate(logGroupName="airflow-%s-Task" % env.name):
        streams.extend(stream["logStreamName"] for stream in page["logStreams"])
    pattern = re.compile(r"^dag_id=[\w.-]+/run_id=[^:/]+/task_id=[\w.-]+/(map_index=\d+/)?attempt=\d+\.log$")
    assert streams and all(pattern.match(name) for name in streams), streams[:5]
    assert any("/map_index=2/" in name for name in streams)
    assert any(name.endswith("/task_id=wobbly/attempt=2.log") for name in streams)
    first_try = next(name for name in streams if name.endswith("/task_id=wobbly/attempt=1.log"))
    events = logs.get_log_events(logGroupName=env.log_group, logStreamName=first_try)["events"]
    assert any("first attempt fails on purpose" in event["message"] for event in events)


def test_stop_ends_scheduler_and_webserver(seeded_env):
    env, _ = seeded_env
    env.stop()
    assert not env.running("scheduler") and not env.running("webserver")
    assert not mwaa_local.stack.port_in_use(env.port)
    env.start()
    env.wait_healthy()



def test_a_wedged_scheduler_is_restarted_once_with_its_stacks_saved(stack):
    env = mwaa_local.AirflowEnv.create("wedged", "2.10.3", mwaa_local.new_fernet_key())
    try:
        env.start()
        env.wait_healthy()
        leader = int(env._pidfile("scheduler").read_text())
        os.kill(leader, signal.SIGSTOP)
        # Airflow calls a scheduler unhealthy once its heartbeat is 30 s old.
        deadline = time.monotonic() + 120
        while requests.get(env.url + "/health", timeout=5).json()["scheduler"]["status"] != "unhealthy":
            assert time.monotonic() < deadline, "the stopped scheduler never became unhealthy"
            time.sleep(2)
        env.wait_healthy(timeout=240, stall_seconds=5)
        assert int(env._pidfile("scheduler").read_text()) != leader
        assert "=== pid %d" % leader in env.log_file("scheduler-stacks").read_text()
    finally:
        env.stop()


LOCKED_VERSIONS = sorted(
    (path.stem[len("airflow-") :] for path in (REPO_ROOT / "local" / "locks").glob("airflow-*.txt")),
    key=lambda version: tuple(int(part) for part in version.split(".")),
)


@pytest.mark.parametrize("version", LOCKED_VERSIONS)
def test_every_locked_version_migrates_and_serves_rest(stack, version):
    env = mwaa_local.AirflowEnv.create("lock-" + version.replace(".", "-"), version, mwaa_local.new_fernet_key())
    try:
        env.start(scheduler=False)
        health = env.wait_healthy(scheduler=False)
        assert health["metadatabase"]["status"] == "healthy"
        assert env.rest("GET", "/version")["version"] == version
        assert env.rest("GET", "/pools")["pools"][0]["name"] == "default_pool"
    finally:
        env.stop()
