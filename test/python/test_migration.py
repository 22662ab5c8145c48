"""Export and import on real Airflow + PostgreSQL + moto, for two version pairs.

2.8.1 -> 2.11.0 runs the DAG wrappers inside Airflow (export DAG triggered on the
source, import DAG on the target) and crosses task_instance_history, log.run_id and
other schema changes; 2.10.3 -> 2.11.0 uses the direct mode. The tests of one pair
build on each other in file order (bulk, re-import, failures, delta, scheduling),
as a migration does.
"""

import gzip
import json
import os
import signal
import subprocess
import time
from typing import Any, Dict

import edge_rows
import pytest
import support
from mwaa_local import AirflowEnv, new_fernet_key
from mwaa_migration import codec
from mwaa_migration.spec import UNFINISHED_TI_STATES

PAIRS = [
    pytest.param(("2.8.1", "2.11.0", "dag"), id="2.8.1-to-2.11.0-dags"),
    pytest.param(("2.10.3", "2.11.0", "direct"), id="2.10.3-to-2.11.0-direct"),
]


class Migration:
    """A source with history, a target, and how to run export/import between them."""

    def __init__(self, source: AirflowEnv, target: AirflowEnv, mode: str, prefix: str):
        self.source = source
        self.target = target
        self.mode = mode
        self.prefix = prefix
        self.kms_key = support.kms_key_id(source)
        self.outputs = []  # stdout/stderr of direct-mode commands

    def conf(self, export_id: str, **extra: Any) -> Dict[str, Any]:
        conf = support.bundle_conf(self.prefix, export_id)
        conf["kmsKeyId"] = self.kms_key
        conf.update(extra)
        return conf

    def export(self, export_id: str, **extra: Any) -> Dict[str, Any]:
        conf = self.conf(export_id, **extra)
        if self.mode == "dag":
            state = support.run_migration_dag(self.source, "mwaa_migration_export", conf)
            assert state == "success", "the export DAG run ended %s" % state
        else:
            result = support.direct(self.source, "export", support.direct_args(conf))
            self.outputs.append(result.stdout + result.stderr)
        return support.s3_json(self.source, "%s/%s/manifest.json" % (self.prefix, export_id))

    def import_(self, export_id: str, via_dag: bool = True, **extra: Any) -> Dict[str, Any]:
        conf = self.conf(export_id, **extra)
        if self.mode == "dag" and via_dag:
            state = support.run_migration_dag(self.target, "mwaa_migration_import", conf)
            assert state == "success", "the import DAG run ended %s" % state
        else:
            result = support.direct(self.target, "import", support.direct_args(conf))
            self.outputs.append(result.stdout + result.stderr)
        return self.report(export_id)

    def report(self, export_id: str) -> Dict[str, Any]:
        return support.s3_json(self.target, "%s/%s/import-report.json" % (self.prefix, export_id))


@pytest.fixture(scope="module", params=PAIRS)
def migration(request, stack):
    source_version, target_version, mode = request.param
    tag = source_version.replace(".", "")
    source = support.create_env("src-" + tag, source_version)
    target = None
    support.ensure_bucket(source)
    support.empty_prefix(source, "pair-" + tag)
    try:
        support.seed_history(source)
        edge_run = edge_rows.seed_edge_rows(source)
        # Created once the source runs: a new environment takes the first free port.
        target = support.create_env("tgt-" + tag, target_version)
        if mode == "dag":
            target.start()
        else:
            target.start(scheduler=False)
        target.wait_healthy(timeout=240)
        m = Migration(source, target, mode, "pair-" + tag)
        m.edge_run = edge_run
        m.bulk_manifest = m.export("bulk-1", phase="bulk")
        m.bulk_report = m.import_("bulk-1")
        m.next_run_after_import = target.query("SELECT next_dagrun FROM dag WHERE dag_id = 'hist_etl'")[0][0]
        yield m
    finally:
        source.stop()
        if target is not None:
            target.stop()


def test_every_migrated_row_is_on_the_target(migration):
    assert migration.bulk_report["status"] == "succeeded"
    assert support.missing_rows(migration.source, migration.target) == {}
    # The history is real: every kind the issue names is there to compare.
    source = migration.source
    counts = dict(
        source.query(
            "SELECT 'retries', count(*) FROM task_instance WHERE try_number > 1"
            " UNION ALL SELECT 'mapped', count(*) FROM task_instance WHERE map_index >= 0"
            " UNION ALL SELECT 'reschedules', count(*) FROM task_reschedule"
            " UNION ALL SELECT 'failed_runs', count(*) FROM dag_run WHERE state = 'failed'"
            " UNION ALL SELECT 'xcoms', count(*) FROM xcom WHERE dag_id LIKE 'hist_%%'"
            " UNION ALL SELECT 'notes', (SELECT count(*) FROM dag_run_note) + (SELECT count(*) FROM task_instance_note)"
            " UNION ALL SELECT 'manual', count(*) FROM dag_run WHERE run_type = 'manual' AND dag_id LIKE 'hist_%%'"
            " UNION ALL SELECT 'scheduled', count(*) FROM dag_run WHERE run_type = 'scheduled'"
        )
    )
    assert all(n > 0 for n in counts.values()), counts


def test_edge_rows_arrive_as_the_source_holds_them(migration):
    """JSON and text byte for byte, every column of a finished row, every finished state."""
    source = migration.source
    states = dict(
        source.query("SELECT coalesce(state, 'none'), count(*) FROM task_instance WHERE dag_id = %s GROUP BY 1",
                     (support.EDGE_DAG,))
    )
    assert set(states) >= {"success", "failed", "skipped", "upstream_failed", "removed", "none"} | set(
        UNFINISHED_TI_STATES
    ), states
    skipped = migration.bulk_manifest["skipped"]["task_instance"]
    assert all(skipped.get(state, 0) >= 1 for state in UNFINISHED_TI_STATES), skipped
    assert support.text_differences(source, migration.target) == {}
    # What the import leaves behind on purpose is in its report, with why.
    report = migration.bulk_report
    assert report["skipped"] == migration.bulk_manifest["skipped"]
    ti = report["tables"]["task_instance"]
    assert list(ti["droppedColumns"]) == ["trigger_id"] and "trigger" in ti["droppedColumns"]["trigger_id"]
    # Task instances queued by the source's scheduler name a job that is still running there.
    assert ti["unresolvedReferences"]["queued_by_job_id"] > 0


def test_a_new_column_is_derived_on_the_target(migration):
    if tuple(int(p) for p in migration.source.version.split(".")[:2]) >= (2, 10):
        pytest.skip("log.run_id exists on both sides")
    unresolved = migration.target.query(
        "SELECT count(*) FROM log WHERE dag_id = 'hist_etl' AND execution_date IS NOT NULL AND run_id IS NULL"
    )[0][0]
    assert unresolved == 0
    assert "run_id" in migration.bulk_report["tables"]["log"]["derivedColumns"]


def test_variables_and_connections_readable_with_the_targets_key(migration):
    assert migration.source.fernet_key != migration.target.fernet_key
    source = support.airflow_secrets(migration.source)
    target = support.airflow_secrets(migration.target)
    assert target["variables"] == source["variables"]
    assert target["variables"]["large_value"] == support.LARGE_VARIABLE
    assert target["connections"]["warehouse"] == source["connections"]["warehouse"]
    assert target["connections"]["warehouse"]["password"] == support.SECRET_PASSWORD
    stored = migration.target.query("SELECT password, is_encrypted FROM connection WHERE conn_id = 'warehouse'")[0]
    assert stored[1] is True and support.SECRET_PASSWORD not in stored[0]
    pools = migration.target.query("SELECT slots, description FROM slot_pool WHERE pool = 'etl_pool'")
    assert pools == [(3, "ETL ünïcode pool")]


def test_runs_are_visible_through_the_target_rest_api(migration):
    for dag_id in support.USER_DAGS:
        runs = migration.target.rest("GET", "/dags/%s/dagRuns" % dag_id, params={"limit": 100})
        source_runs = migration.source.rest("GET", "/dags/%s/dagRuns" % dag_id, params={"limit": 100})
        assert sorted(r["dag_run_id"] for r in runs["dag_runs"]) == sorted(
            r["dag_run_id"] for r in source_runs["dag_runs"]
        )
        assert {(r["dag_run_id"], r["state"]) for r in runs["dag_runs"]} == {
            (r["dag_run_id"], r["state"]) for r in source_runs["dag_runs"]
        }
    first = runs["dag_runs"][0]["dag_run_id"]
    tis = migration.target.rest("GET", "/dags/hist_manual/dagRuns/%s/taskInstances" % first)
    assert {ti["task_id"] for ti in tis["task_instances"]} == {"hello", "check"}


def test_manifest_describes_the_bundle(migration):
    manifest = migration.bulk_manifest
    assert manifest["formatVersion"] == 2 and manifest["phase"] == "bulk"
    assert manifest["source"]["airflowVersion"] == migration.source.version
    assert manifest["source"]["alembicRevision"]
    assert {d["dagId"]: d["isPaused"] for d in manifest["dags"]}["hist_etl"] is False
    assert manifest["secrets"] == {"tables": ["variable", "connection"], "kmsKeyId": migration.kms_key}
    s3 = migration.source.boto3_client("s3")
    for name, entry in manifest["tables"].items():
        head = s3.head_object(Bucket=support.BUCKET, Key=entry["key"])
        assert head["ServerSideEncryption"] == "aws:kms", name
        assert migration.kms_key in head.get("SSEKMSKeyId", ""), name
        body = s3.get_object(Bucket=support.BUCKET, Key=entry["key"])["Body"].read()
        header, *records = codec.parse_records(gzip.decompress(body).decode("utf-8"))
        assert header == [c["name"] for c in entry["columns"]], name
        assert len(records) == entry["rows"], name
        assert entry["key"].endswith("/tables/%s.csv.gz" % name), name
    # The export leaves out its own DAG and the import DAG.
    runs = gzip.decompress(
        s3.get_object(Bucket=support.BUCKET, Key=manifest["tables"]["dag_run"]["key"])["Body"].read()
    ).decode("utf-8")
    assert "mwaa_migration_" not in runs


def test_running_the_import_again_changes_nothing(migration):
    before = support.table_digest(migration.target)
    report = migration.import_("bulk-1")
    assert report["status"] == "succeeded"
    inserted = {name: t["inserted"] for name, t in report["tables"].items() if t["inserted"]}
    assert inserted == {}
    after = support.table_digest(migration.target)
    assert after == before


CHANGE_ON_TARGET = """
from airflow.models import Connection, Pool, Variable
from airflow.utils.session import create_session
Variable.set("unicode_note", "changed on target")
with create_session() as session:
    session.query(Pool).filter(Pool.pool == "etl_pool").update({"slots": 7})
    session.query(Connection).filter(Connection.conn_id == "plain_http").update({"host": "changed.invalid"})
"""


def test_conflict_policy_names_every_conflict_at_once(migration):
    target = migration.target
    target.python(["-"], input=CHANGE_ON_TARGET)
    before = support.table_digest(target)
    result = support.direct(target, "import", support.direct_args(migration.conf("bulk-1", conflictPolicy="fail")), check=False)
    message = support.failed_clearly(result, "import")
    for conflict in ("slot_pool etl_pool", "variable unicode_note", "connection plain_http"):
        assert conflict in message
    assert support.table_digest(target) == before
    support.direct(target, "import", support.direct_args(migration.conf("bulk-1", conflictPolicy="skip")))
    assert support.airflow_secrets(target)["variables"]["unicode_note"] == "changed on target"
    support.direct(target, "import", support.direct_args(migration.conf("bulk-1", conflictPolicy="overwrite")))
    secrets = support.airflow_secrets(target)
    assert secrets["variables"]["unicode_note"] == "Grüße aus Köln — 東京 ✓"
    assert secrets["connections"]["plain_http"]["host"] == "example.invalid"
    assert target.query("SELECT slots FROM slot_pool WHERE pool = 'etl_pool'") == [(3,)]


def test_a_wrong_or_missing_fernet_key_names_the_side_and_the_row(migration):
    source, target = migration.source, migration.target
    wrong = new_fernet_key()
    args = support.direct_args(migration.conf("bulk-1"))
    message = support.failed_clearly(support.direct(target, "import", args + [f"--fernet-key={wrong}"], check=False), "import")
    assert "the target's variable '" in message and "cannot be decrypted" in message
    missing = support.direct(target, "import", args, check=False, extra_env={"AIRFLOW__CORE__FERNET_KEY": ""})
    assert "no Fernet key for the target" in support.failed_clearly(missing, "import")
    declared = support.direct(target, "import", args + ["--no-fernet-key"], check=False,
                              extra_env={"AIRFLOW__CORE__FERNET_KEY": ""})
    assert "are stored encrypted, so it has one" in support.failed_clearly(declared, "import")
    export = support.direct(source, "export", support.direct_args(migration.conf("wrong-key", tables="variable"))
                            + [f"--fernet-key={wrong}"], check=False)
    message = support.failed_clearly(export, "export")
    assert "the source's variable '" in message and "cannot be decrypted" in message
    debug = support.direct(target, "import", args + [f"--fernet-key={wrong}", "--debug"], check=False)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_secrets_leave_without_the_migration_key_only_when_asked(migration):
    source = migration.source
    conf = support.bundle_conf(migration.prefix, "no-kms-key")
    conf["tables"] = "variable,connection"
    refused = support.direct(source, "export", support.direct_args(conf), check=False)
    assert "--kms-key-id" in support.failed_clearly(refused, "export")
    support.direct(source, "export", support.direct_args(conf) + ["--allow-secrets-without-kms-key"])
    manifest = support.s3_json(source, "%s/no-kms-key/manifest.json" % migration.prefix)
    assert manifest["secrets"]["kmsKeyId"] is None and "default key" in manifest["secrets"]["warning"]


def test_an_export_under_a_complete_export_id_is_refused(migration):
    source = migration.source
    key = "%s/bulk-1/manifest.json" % migration.prefix
    before = support.s3_text(source, key)
    result = support.direct(source, "export", support.direct_args(migration.conf("bulk-1", phase="bulk")), check=False)
    assert "export bulk-1 is complete" in support.failed_clearly(result, "export")
    assert support.s3_text(source, key) == before


def test_a_failed_export_restores_the_dags_it_paused(migration):
    source = migration.source
    states = lambda: dict(  # noqa: E731
        source.query("SELECT dag_id, is_paused FROM dag WHERE dag_id = ANY(%s)", (list(support.USER_DAGS),))
    )
    before = states()
    assert not any(before.values())
    conf = migration.conf("export-fails", phase="full", pauseActive=True, deadlineSeconds=60, pollSeconds=1)
    conf["bucket"] = "no-such-bucket"
    result = support.direct(source, "export", support.direct_args(conf), check=False)
    assert result.returncode != 0
    assert "unpausing the 2 DAGs it paused" in result.stdout + result.stderr
    assert states() == before


def _copy_bundle(migration, export_id: str, copy_id: str) -> Dict[str, Any]:
    s3 = migration.source.boto3_client("s3")
    prefix = "%s/%s/" % (migration.prefix, export_id)
    for obj in s3.list_objects_v2(Bucket=support.BUCKET, Prefix=prefix).get("Contents", []):
        new_key = obj["Key"].replace(prefix, "%s/%s/" % (migration.prefix, copy_id), 1)
        if obj["Key"].endswith("import-report.json"):
            continue
        s3.copy_object(
            Bucket=support.BUCKET,
            Key=new_key,
            CopySource={"Bucket": support.BUCKET, "Key": obj["Key"]},
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=migration.kms_key,
        )
    manifest = support.s3_json(migration.source, "%s/%s/manifest.json" % (migration.prefix, copy_id))
    manifest["exportId"] = copy_id
    for entry in manifest["tables"].values():
        entry["key"] = entry["key"].replace("/%s/" % export_id, "/%s/" % copy_id)
    s3.put_object(
        Bucket=support.BUCKET,
        Key="%s/%s/manifest.json" % (migration.prefix, copy_id),
        Body=json.dumps(manifest).encode(),
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=migration.kms_key,
    )
    return manifest


def _wait_no_open_transaction(env: AirflowEnv) -> None:
    """The killed import's staging tables vanish when PostgreSQL ends its transaction."""
    support.wait_for(
        lambda: env.query("SELECT count(*) = 0 FROM pg_class WHERE relname LIKE 'mm\\_%%'")[0][0],
        30,
        "the killed import's transaction to end",
        interval=0.5,
    )


def test_delta_with_failures_first_then_equal(migration):
    source, target = migration.source, migration.target
    for conf in ({"delta": 1}, {"delta": 2, "fail": True}):
        support.wait_run(source, "hist_manual", support.trigger(source, "hist_manual", conf))
    delta = migration.export(
        "delta-1", phase="delta", watermark=migration.bulk_manifest["watermark"], pauseActive=True,
        deadlineSeconds=120, pollSeconds=2,
    )
    assert delta["tables"]["dag_run"]["rows"] >= 2
    assert set(delta["pausedByExport"]) == set(support.USER_DAGS)
    # The edge run's unfinished task instances are in a run this delta does not carry.
    assert delta["skipped"] == {"dag_run": {}, "task_instance": {}}
    paused = dict(source.query("SELECT dag_id, is_paused FROM dag WHERE dag_id = ANY(%s)", (list(support.USER_DAGS),)))
    assert all(paused.values()), "a full/delta export with pauseActive leaves the source paused"
    before = support.table_digest(target)

    # A tampered stream is refused by its checksum, and nothing of the import stays.
    _copy_bundle(migration, "delta-1", "delta-tampered")
    s3 = source.boto3_client("s3")
    key = "%s/delta-tampered/tables/log.csv.gz" % migration.prefix
    original = gzip.decompress(s3.get_object(Bucket=support.BUCKET, Key=key)["Body"].read())
    s3.put_object(
        Bucket=support.BUCKET, Key=key, Body=gzip.compress(original.replace(b"hist_manual", b"hist_manuaX", 1)),
        ServerSideEncryption="aws:kms", SSEKMSKeyId=migration.kms_key,
    )
    result = support.direct(target, "import", support.direct_args(migration.conf("delta-tampered")), check=False)
    assert result.returncode != 0
    assert "sha256" in result.stdout + result.stderr
    assert support.table_digest(target) == before
    assert migration.report("delta-tampered")["status"] == "failed"

    # An import killed halfway (after task_instance was loaded) leaves the target unchanged.
    _copy_bundle(migration, "delta-1", "delta-killed")
    argv = [str(target.venv / "bin" / "python"), "-m", "mwaa_migration", "import", "--db-url", target.sql_url]
    argv += support.direct_args(migration.conf("delta-killed"))
    process = subprocess.Popen(
        argv,
        env=target.process_env({"PYTHONPATH": str(support.PAYLOAD)}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    killed_after = None
    for line in process.stdout:
        if line.startswith("imported task_instance "):
            killed_after = line
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert killed_after and process.returncode == -signal.SIGKILL
    _wait_no_open_transaction(target)
    assert support.table_digest(target) == before

    # A run the target made itself at the logical date of a run in the delta: named, nothing imported.
    new_run, logical_date = source.query(
        "SELECT run_id, execution_date FROM dag_run WHERE dag_id = 'hist_manual' AND run_id <> ALL(%s)"
        " ORDER BY execution_date LIMIT 1",
        ([r[0] for r in target.query("SELECT run_id FROM dag_run WHERE dag_id = 'hist_manual'")],),
    )[0]
    target.rest("POST", "/dags/hist_manual/dagRuns", json={"dag_run_id": "made_on_target", "logical_date": logical_date.isoformat()})
    try:
        before = support.table_digest(target)
        result = support.direct(target, "import", support.direct_args(migration.conf("delta-1")), check=False)
        message = support.failed_clearly(result, "import")
        for part in ("hist_manual", new_run, "made_on_target", "dag_run_dag_id_execution_date_key"):
            assert part in message
        assert support.table_digest(target) == before
    finally:
        target.rest("DELETE", "/dags/hist_manual/dagRuns/made_on_target", expect=(204,))

    # The real delta: afterwards the target has every row the source has.
    report = migration.import_("delta-1")
    assert report["status"] == "succeeded"
    assert report["tables"]["dag_run"]["inserted"] >= 2
    assert support.missing_rows(source, target) == {}
    for dag_id in support.USER_DAGS:
        assert support.run_count(target, dag_id) == support.run_count(source, dag_id)


def test_a_run_cleared_and_rerun_after_the_bulk_is_brought_up_to_date(migration):
    source, target = migration.source, migration.target
    failed = "SELECT run_id FROM dag_run WHERE dag_id = 'hist_manual' AND state = 'failed' ORDER BY execution_date"
    run_id = source.query(failed)[0][0]
    assert run_id in [r[0] for r in target.query(failed)], "the bulk import brought the run over as failed"

    # On the source, the failed run is cleared and runs again, this time to success.
    markers = source.dags_folder / ".markers"
    markers.mkdir(exist_ok=True)
    (markers / ("recover-" + run_id.replace(":", "_").replace("+", "_"))).touch()
    source.rest("PATCH", "/dags/hist_manual", json={"is_paused": False})
    source.rest("POST", "/dags/hist_manual/dagRuns/%s/clear" % run_id, json={"dry_run": False})
    try:
        assert support.wait_run(source, "hist_manual", run_id) == "success"
    finally:
        source.rest("PATCH", "/dags/hist_manual", json={"is_paused": True})
    tries = source.query(
        "SELECT try_number FROM task_instance WHERE dag_id = 'hist_manual' AND run_id = %s AND task_id = 'check'",
        (run_id,),
    )[0][0]
    assert tries >= 2

    delta = migration.export("delta-rerun", phase="delta", watermark=migration.bulk_manifest["watermark"])
    assert delta["tables"]["dag_run"]["rows"] >= 1
    report = migration.import_("delta-rerun")
    assert report["status"] == "succeeded"
    assert report["tables"]["dag_run"]["updated"] >= 1
    assert report["tables"]["task_instance"]["updated"] >= 2  # hello and check ran again

    assert target.query("SELECT state FROM dag_run WHERE dag_id = 'hist_manual' AND run_id = %s", (run_id,)) == [
        ("success",)
    ]
    assert support.missing_rows(source, target) == {}
    # Nothing of the run's first outcome stays behind on the target.
    stale = ["dag_run", "task_instance", "task_instance_history"]
    assert support.missing_rows(target, source, stale) == {}

    # Importing it again changes nothing, and an older bundle never takes a row back.
    before = support.table_digest(target)
    again = migration.import_("delta-rerun", via_dag=False)
    assert {n: (t["inserted"], t.get("updated", 0)) for n, t in again["tables"].items() if t["inserted"] or t.get("updated")} == {}
    older = migration.import_("bulk-1", via_dag=False)
    assert older["tables"]["dag_run"]["updated"] == 0 and older["tables"]["task_instance"]["updated"] == 0
    assert support.table_digest(target) == before


def test_rows_of_a_rerun_task_follow_their_run(migration):
    """A task cleared and re-run after the bulk export: the delta brings its run's rows up to date."""
    source, target = migration.source, migration.target
    run_id = migration.edge_run
    source.rest("PATCH", "/dags/%s" % support.EDGE_DAG, json={"is_paused": False})
    try:
        source.rest(
            "POST",
            "/dags/%s/clearTaskInstances" % support.EDGE_DAG,
            json={"dry_run": False, "only_failed": False, "dag_run_id": run_id, "task_ids": ["render"],
                  "reset_dag_runs": True},
        )
        support.wait_run(source, support.EDGE_DAG, run_id)
    finally:
        source.rest("PATCH", "/dags/%s" % support.EDGE_DAG, json={"is_paused": True})
    source.rest("PATCH", "/dags/%s/dagRuns/%s/setNote" % (support.EDGE_DAG, run_id), json={"note": "edited ✓"})
    edge_rows.execute(
        source,
        "UPDATE sla_miss SET notification_sent = true, description = 'notified' WHERE dag_id = %s",
        (support.EDGE_DAG,),
    )
    rendered = "SELECT rendered_fields::text FROM rendered_task_instance_fields WHERE dag_id = %s AND task_id = 'render'"
    assert source.query(rendered, (support.EDGE_DAG,)) != target.query(rendered, (support.EDGE_DAG,))

    migration.export("delta-edge", phase="delta", watermark=migration.bulk_manifest["watermark"])
    report = migration.import_("delta-edge")
    assert report["status"] == "succeeded"
    edge = (support.EDGE_DAG,)
    assert support.text_differences(source, target, dag_ids=edge) == {}
    assert report["tables"]["xcom"]["removed"] >= 1  # the first try's XComs, cleared on the source

    # Imported again, and an older bundle after it: nothing changes.
    for export_id in ("delta-edge", "bulk-1"):
        again = migration.import_(export_id, via_dag=False)
        changed = {n: t for n, t in again["tables"].items() if t["inserted"] or t.get("updated") or t.get("removed")}
        assert changed == {}, export_id
        assert support.text_differences(source, target, dag_ids=edge) == {}


def test_a_value_the_target_cannot_store_fails_naming_it_or_is_left_out_on_request(migration):
    source, target = migration.source, migration.target
    # A source whose log.event is wider than the target's varchar(60).
    width = source.query(
        "SELECT character_maximum_length FROM information_schema.columns WHERE table_name = 'log' AND column_name = 'event'"
    )[0][0]
    event = "e" * 100
    edge_rows.execute(source, "ALTER TABLE log ALTER COLUMN event TYPE varchar(200)")
    edge_rows.execute(
        source,
        "INSERT INTO log (dttm, dag_id, task_id, event, owner) VALUES (now(), 'hist_manual', 'check', %s, 'edge')",
        (event,),
    )
    try:
        migration.export("too-wide", phase="delta", watermark=migration.bulk_manifest["watermark"], tables="log")
        before = support.table_digest(target)
        result = support.direct(target, "import", support.direct_args(migration.conf("too-wide")), check=False)
        message = support.failed_clearly(result, "import")
        for part in ("table log", "column event", "event=" + event[:60], "dag_id=hist_manual", "--skip-unstorable-rows"):
            assert part in message
        assert support.table_digest(target) == before
        assert migration.report("too-wide")["status"] == "failed"

        report = migration.import_("too-wide", via_dag=False, skipUnstorableRows=True)
        left_out = report["tables"]["log"]["unstorableRowsLeftOut"]
        assert left_out["rows"] == 1 and left_out["values"][0]["column"] == "event"
        assert target.query("SELECT count(*) FROM log WHERE event = %s", (event,)) == [(0,)]
    finally:
        edge_rows.execute(source, "DELETE FROM log WHERE event = %s", (event,))
        edge_rows.execute(source, "ALTER TABLE log ALTER COLUMN event TYPE varchar(%d)" % width)


ORPHAN_DAG = """
import datetime
from airflow import DAG
from airflow.operators.python import PythonOperator

with DAG(dag_id="hist_orphan", schedule=None, catchup=False,
         start_date=datetime.datetime(2022, 1, 1, tzinfo=datetime.timezone.utc)):
    PythonOperator(task_id="only_on_the_source", python_callable=lambda: "orphan")
"""


def test_history_of_a_dag_the_target_lacks_is_reported_and_imported_only_on_request(migration):
    source, target = migration.source, migration.target
    (source.dags_folder / "hist_orphan.py").write_text(ORPHAN_DAG)
    support.reserialize(source)
    source.rest("PATCH", "/dags/hist_orphan", json={"is_paused": False})
    support.wait_run(source, "hist_orphan", support.trigger(source, "hist_orphan"))
    orphan = ("hist_orphan",)
    export = migration.export("delta-orphan", phase="delta", watermark=migration.bulk_manifest["watermark"])
    assert export["tables"]["dag_run"]["rows"] >= 1

    report = migration.import_("delta-orphan")
    assert report["status"] == "succeeded"
    assert "hist_orphan" in report["dags"]["missingOnTarget"]
    assert report["dags"]["orphanHistoryImported"] is False
    assert report["tables"]["dag_run"]["notOnTarget"] >= 1
    assert report["tables"]["task_instance"]["notOnTarget"] >= 1
    assert support.run_count(target, "hist_orphan") == 0

    report = migration.import_("delta-orphan", importOrphanHistory=True)
    assert report["status"] == "succeeded"
    assert report["dags"]["orphanHistoryImported"] is True
    assert report["tables"]["dag_run"]["inserted"] == support.run_count(source, "hist_orphan") >= 1
    assert support.run_count(target, "hist_orphan") == support.run_count(source, "hist_orphan")
    assert support.missing_rows(source, target, ["dag_run", "task_instance", "xcom"], orphan) == {}


def test_no_secret_in_task_logs_manifest_or_report(migration):
    secrets = (support.SECRET_PASSWORD, support.SECRET_EXTRA_TOKEN, support.SECRET_VARIABLE)
    texts = {
        "bulk manifest": support.s3_text(migration.source, "%s/bulk-1/manifest.json" % migration.prefix),
        "delta manifest": support.s3_text(migration.source, "%s/delta-1/manifest.json" % migration.prefix),
        "import report": support.s3_text(migration.source, "%s/delta-1/import-report.json" % migration.prefix),
        "direct-mode output": "\n".join(migration.outputs),
    }
    if migration.mode == "dag":
        texts["source task logs"] = support.all_task_log_text(migration.source)
        texts["target task logs"] = support.all_task_log_text(migration.target)
        assert "exported task_instance" in texts["source task logs"]
        assert "imported task_instance" in texts["target task logs"]
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, "a secret value appears in the %s" % where


def test_scheduling_continues_after_the_last_imported_run(migration):
    target = migration.target
    last = target.query("SELECT max(execution_date) FROM dag_run WHERE dag_id = 'hist_etl'")[0][0]
    next_run = migration.next_run_after_import
    assert next_run is not None and next_run.year == last.year + 1, (last, next_run)
    imported = support.run_count(target, "hist_etl")
    target.start()
    target.wait_healthy(timeout=240)
    target.rest("PATCH", "/dags/hist_etl", json={"is_paused": False})
    time.sleep(25)  # a dozen scheduler loops (heartbeat 2 s)
    target.rest("PATCH", "/dags/hist_etl", json={"is_paused": True})
    created = target.query(
        "SELECT run_id FROM dag_run WHERE dag_id = 'hist_etl' AND run_type = 'scheduled' AND execution_date > %s",
        (last,),
    )
    assert support.run_count(target, "hist_etl") == imported
    assert created == []
