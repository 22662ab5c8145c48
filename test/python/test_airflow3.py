"""Airflow 2.10.3 -> 3.3.2 through the migration plugin in the target's API server, on real Airflow.

Airflow 3 tasks cannot open the metadata database, so the import runs in the API server: the
plugin's FastAPI app, called as the provider calls it (an Admin's JWT, a run id chosen by the
caller, polled until it ends). The source's history is made by its own scheduler (plus the
edge rows), exported in direct mode, and compared with the target row by row on natural keys.
The tests build on the module's fixture in file order.
"""

import datetime
import json
import pickle
import time
import uuid

import compare3
import edge_rows
import pytest
import requests
import support
import support3
from mwaa_migration.plugin_access import CONFIG_OPTION

PREFIX = "af3-2103"
# A conf Airflow 3 cannot hold (a datetime in a pickle) and an XCom pickled by enable_xcom_pickling.
UNCONVERTIBLE_CONF = {"when": datetime.datetime(2024, 5, 1, 6, 0)}
PICKLED_XCOM_KEY = "pickled_by_xcom_pickling"


class Pair:
    def __init__(self, source, prefix):
        self.source = source
        self.prefix = prefix
        self.kms_key = support.kms_key_id(source)

    def conf(self, export_id, **extra):
        return dict(support.bundle_conf(self.prefix, export_id), kmsKeyId=self.kms_key, **extra)

    def export(self, export_id, **extra):
        support.direct(self.source, "export", support.direct_args(self.conf(export_id, **extra)))
        return support.s3_json(self.source, "%s/%s/manifest.json" % (self.prefix, export_id))


def _values_airflow3_cannot_hold(source):
    """A run whose conf pickles a datetime, and an XCom stored as a pickle (enable_xcom_pickling)."""
    conn = __import__("psycopg2").connect(source.dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "UPDATE dag_run SET conf = %s WHERE dag_id = 'hist_manual' AND run_id ="
                " (SELECT min(run_id) FROM dag_run WHERE dag_id = 'hist_manual' AND state = 'failed')",
                (pickle.dumps(UNCONVERTIBLE_CONF),),
            )
            cur.execute(
                "INSERT INTO xcom (dag_run_id, task_id, map_index, key, dag_id, run_id, value, timestamp)"
                " SELECT dag_run_id, task_id, map_index, %s, dag_id, run_id, %s, timestamp FROM xcom"
                " WHERE dag_id = 'hist_manual' AND task_id = 'hello' ORDER BY timestamp LIMIT 1",
                (PICKLED_XCOM_KEY, pickle.dumps({"pickled": True})),
            )
    finally:
        conn.close()


@pytest.fixture(scope="module")
def to3(stack):
    source = support.create_env("src3-2103", "2.10.3")
    target = None
    support.ensure_bucket(source)
    support.empty_prefix(source, PREFIX)
    try:
        support.seed_history(source)
        edge_rows.seed_edge_rows(source)
        _values_airflow3_cannot_hold(source)
        # The direct export reads the database only: the source's processes can rest.
        source.stop()
        m = Pair(source, PREFIX)
        m.manifest = m.export("bulk-1", phase="bulk")
        target = support3.create_target("tgt3-332", "3.3.2", PREFIX)
        m.target = target
        m.empty_digest = support3.table_digest(target)

        # A failure half-way: the log stream (loaded after dag_run and task_instance) altered after export.
        support3.copy_bundle(target, PREFIX, "bulk-1", "bulk-tampered", tamper="log")
        m.failed_status, m.failed_report, _ = support3.import_through_plugin(
            target, "i1-tampered", m.conf("bulk-tampered", skipUnstorableRows=True)
        )
        m.digest_after_failure = support3.table_digest(target)

        # The import. The edge rows hold values jsonb refuses (a \u0000 escape in next_kwargs): left out on request.
        m.status, m.report, m.seconds = support3.import_through_plugin(
            target, "i1-bulk", m.conf("bulk-1", skipUnstorableRows=True)
        )
        m.next_run_after_import = target.query(
            "SELECT next_dagrun, next_dagrun_create_after FROM dag WHERE dag_id = 'hist_etl'")[0]
        yield m
    finally:
        source.stop()
        if target is not None:
            target.stop()


def test_history_arrives_row_by_row_through_the_plugin(to3):
    assert to3.status["state"] == "success", to3.status
    report = to3.report
    assert report["status"] == "succeeded" and report["runId"] == "i1-bulk"
    assert report["target"]["airflowVersion"] == "3.3.2"
    assert compare3.differences(to3.source, to3.target, report) == {}
    counts = compare3.compared_counts(to3.target)
    assert all(counts[t] > 0 for t in compare3.TABLES), counts
    for dag_id in support.COMPARED_DAGS:
        assert support.run_count(to3.target, dag_id) == support.run_count(to3.source, dag_id)
    print("imported %d rows into Airflow 3.3.2 through the plugin in %.1f s (import %.2f s)" % (
        sum(t.get("inserted", 0) for t in report["tables"].values()), to3.seconds, report["elapsedSeconds"]))


def test_what_airflow_3_cannot_hold_is_listed_per_table(to3):
    held = to3.report["notHeldByTarget"]
    manifest = to3.manifest["tables"]
    assert held["sla_miss"]["rows"] == manifest["sla_miss"]["rows"] > 0 and "SLA" in held["sla_miss"]["reason"]
    assert held["task_fail"]["rows"] == manifest["task_fail"]["rows"] > 0
    assert "task_instance_history" in held["task_fail"]["reason"]
    assert set(held["dag_run"]["columns"]) >= {"external_trigger", "dag_hash"}
    assert set(held["task_instance"]["columns"]) >= {"job_id", "trigger_id"}
    assert list(held["task_reschedule"]["columns"]) == ["try_number"]
    assert held["task_instance"]["unstorableRowsLeftOut"] == 2
    # The XCom pickle is left out and named; the unconvertible conf is cleared and named.
    xcom = to3.report["tables"]["xcom"]["unconvertedValues"]["value"]
    assert xcom["rows"] == 1 and xcom["leftOut"] and xcom["values"][0]["key"]["key"] == PICKLED_XCOM_KEY
    assert "pickle" in xcom["values"][0]["why"]
    assert not to3.target.query("SELECT 1 FROM xcom WHERE key = %s", (PICKLED_XCOM_KEY,))
    conf = to3.report["tables"]["dag_run"]["unconvertedValues"]["conf"]
    assert conf["rows"] == 1 and not conf["leftOut"] and "datetime.datetime" in conf["values"][0]["why"]
    run_id = conf["values"][0]["key"]["run_id"]
    assert to3.target.query("SELECT conf FROM dag_run WHERE run_id = %s", (run_id,)) == [(None,)]


def test_airflow_3_columns_get_their_values(to3):
    target = to3.target
    versions = dict(target.query("SELECT dag_id, max(version_number) FROM dag_version GROUP BY 1"))
    linked = target.query(
        "SELECT t.dag_id, v.version_number FROM task_instance t JOIN dag_version v ON v.id = t.dag_version_id"
    )
    assert linked and all(versions[dag_id] == number for dag_id, number in linked)
    assert target.query("SELECT count(*) FROM task_instance WHERE dag_version_id IS NULL")[0][0] == 0
    # One UUID (version 7) per try: the task instance's and each earlier try's in the history.
    ids = [row[0] for row in target.query(
        "SELECT id::text FROM task_instance UNION ALL SELECT task_instance_id::text FROM task_instance_history")]
    assert len(ids) == len(set(ids)) and all(uuid.UUID(text).version == 7 for text in ids)
    runs = target.query(
        "SELECT run_type, triggered_by, run_after = coalesce(data_interval_end, logical_date),"
        " created_dag_version_id IS NOT NULL FROM dag_run WHERE dag_id = ANY(%s)", (list(support.COMPARED_DAGS),)
    )
    assert {(t, by) for t, by, _, _ in runs} == {("scheduled", "TIMETABLE"), ("manual", None)}
    assert all(after and version for _, _, after, version in runs)


def test_secrets_readable_through_the_targets_own_api(to3):
    source, target = to3.source, to3.target
    assert source.fernet_key != target.fernet_key
    expected = support.airflow_secrets(source)
    for key in ("json_config", "unicode_note", "large_value"):
        value = target.rest("GET", "/variables/%s" % key)["value"]
        # Airflow 3's API writes a JSON variable compactly; what it holds is the same document.
        assert value == expected["variables"][key] or json.loads(value) == json.loads(expected["variables"][key])
    connection = target.rest("GET", "/connections/warehouse")
    assert (connection["host"], connection["login"], connection["password"]) == ("db.internal", "etl", "***")
    # The API masks secret values; the target's own models decrypt them with its key.
    assert support.airflow_secrets(target) == expected
    assert target.query("SELECT is_encrypted FROM connection WHERE conn_id = 'warehouse'") == [(True,)]


def test_runs_are_visible_through_the_targets_rest_api(to3):
    for dag_id in support.COMPARED_DAGS:
        runs = to3.target.rest("GET", "/dags/%s/dagRuns" % dag_id, params={"limit": 100})["dag_runs"]
        expected = to3.source.query("SELECT run_id, state FROM dag_run WHERE dag_id = %s", (dag_id,))
        assert sorted((r["dag_run_id"], r["state"]) for r in runs) == sorted(expected)
    run_id = runs[0]["dag_run_id"]
    tis = to3.target.rest("GET", "/dags/%s/dagRuns/%s/taskInstances" % (dag_id, run_id))["task_instances"]
    assert tis and all(ti.get("dag_version") for ti in tis), tis


def test_a_failure_half_way_leaves_the_target_unchanged(to3):
    assert to3.failed_status["state"] == "failed"
    assert "sha256" in to3.failed_status["error"]
    assert to3.failed_report["status"] == "failed" and to3.failed_report["runId"] == "i1-tampered"
    # dag_run and task_instance were loaded before the log stream failed its checksum: rolled back.
    assert to3.digest_after_failure == to3.empty_digest


def test_a_second_import_changes_nothing(to3):
    target = to3.target
    # The same run id finds the finished import: nothing runs again.
    again = support3.start_import(target, "i1-bulk", to3.conf("bulk-1", skipUnstorableRows=True))
    assert again.status_code == 200 and again.json()["created"] is False and again.json()["state"] == "success"
    before = support3.table_digest(target)
    status, report, _ = support3.import_through_plugin(target, "i2-bulk", to3.conf("bulk-1", skipUnstorableRows=True))
    assert status["state"] == "success"
    assert {name: t["inserted"] for name, t in report["tables"].items() if t["inserted"]} == {}
    assert support3.table_digest(target) == before


def test_the_plugin_refuses_callers_and_bundles_it_must_not_serve(to3):
    target = to3.target
    conf = to3.conf("bulk-1")
    anonymous = requests.post(target.url + support3.PLUGIN + "/imports/i9-anon", json=conf, timeout=30)
    assert anonymous.status_code == 401
    forged = support3.call(target, "POST", "/imports/i9-forged", json=conf, headers={"Authorization": "Bearer x.y.z"})
    assert forged.status_code == 403
    for method, path, body in (("POST", "/imports/i9-viewer", conf), ("GET", "/imports/i1-bulk", None),
                               ("GET", "/health", None)):
        refused = support3.call(target, method, path, user=support3.VIEWER, json=body)
        assert refused.status_code == 403 and "not an Admin" in refused.json()["detail"], refused.text
    for bucket, prefix in (("another-bucket", PREFIX), (support.BUCKET, "elsewhere"), (support.BUCKET, PREFIX + "x")):
        outside = support3.start_import(target, "i9-outside", dict(conf, bucket=bucket, prefix=prefix))
        assert outside.status_code == 403 and CONFIG_OPTION in outside.json()["detail"], outside.text
    # The UI's session cookie authenticates as the Bearer header does.
    cookie = requests.get(target.url + support3.PLUGIN + "/health", cookies={"_token": target.jwt()}, timeout=30)
    assert cookie.status_code == 200 and cookie.json()["bundleLocation"] == "s3://%s/%s" % (support.BUCKET, PREFIX)
    where = {"bucket": support.BUCKET, "prefix": PREFIX, "exportId": "bulk-1"}
    for run_id in ("i9-anon", "i9-forged", "i9-viewer", "i9-outside"):
        assert support3.call(target, "GET", "/imports/" + run_id, params=where).json()["state"] == "unknown"


def test_scheduling_continues_where_the_source_stopped(to3):
    """The source (2.x) ran hist_etl's yearly intervals up to the one that ended 2026-01-01. Airflow 3
    reads the same @yearly as a cron trigger (its default), so its next run is the first trigger after
    the last run the source made: 2027-01-01, not a run for any time the source already covered."""
    target = to3.target
    last, last_after = target.query(
        "SELECT max(logical_date), max(run_after) FROM dag_run WHERE dag_id = 'hist_etl'")[0]
    next_run, create_after = to3.next_run_after_import
    assert create_after is not None and create_after.year == last_after.year + 1, (last_after, create_after)
    assert next_run > last_after
    imported = support.run_count(target, "hist_etl")
    target.rest("PATCH", "/dags/hist_etl", json={"is_paused": False})
    # The scheduler works on the migrated history: a run triggered now runs to the end.
    target.rest("PATCH", "/dags/hist_manual", json={"is_paused": False})
    run_id = support3.trigger(target, "hist_manual", {"source": "after the migration"})
    support.wait_for(
        lambda: target.rest("GET", "/dags/hist_manual/dagRuns/%s" % run_id)["state"] in ("success", "failed"),
        300,
        "a run on the target",
    )
    time.sleep(20)  # more scheduler loops with hist_etl unpaused (heartbeat 2 s)
    target.rest("PATCH", "/dags/hist_etl", json={"is_paused": True})
    created = target.query(
        "SELECT run_id FROM dag_run WHERE dag_id = 'hist_etl' AND run_type = 'scheduled' AND logical_date > %s", (last,)
    )
    assert created == [] and support.run_count(target, "hist_etl") == imported


def test_the_same_bundle_into_airflow_3_0(to3):
    """MWAA's 3.0 line, whose schema lies between 2.x and 3.3: the same bundle, row by row, then again."""
    to3.target.stop()  # the 3.3.2 target's part is done; its processes would only compete for the CPU
    support3.copy_bundle(to3.target, PREFIX, "bulk-1", "bulk-306")
    conf = to3.conf("bulk-306", skipUnstorableRows=True)
    target = support3.create_target("tgt3-306", "3.0.6", PREFIX)
    try:
        status, report, seconds = support3.import_through_plugin(target, "i306-bulk", conf)
        assert status["state"] == "success", status
        assert report["target"]["airflowVersion"] == "3.0.6"
        assert compare3.differences(to3.source, target, report) == {}
        counts = compare3.compared_counts(target)
        assert all(counts[t] > 0 for t in compare3.TABLES), counts
        assert target.query("SELECT count(*) FROM task_instance WHERE dag_version_id IS NULL")[0][0] == 0
        before = support3.table_digest(target)
        status, again, _ = support3.import_through_plugin(target, "i306-again", conf)
        assert status["state"] == "success"
        assert {name: t["inserted"] for name, t in again["tables"].items() if t["inserted"]} == {}
        assert support3.table_digest(target) == before
        print("imported %d rows into Airflow 3.0.6 through the plugin in %.1f s" % (
            sum(t.get("inserted", 0) for t in report["tables"].values()), seconds))
    finally:
        target.stop()
