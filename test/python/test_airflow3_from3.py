"""Airflow 3.0.6 -> 3.3.2: a 3.x source's history into a later 3.x through the migration plugin.

The source's history is made by its own (Airflow 3) scheduler; the export runs in direct mode
against its database (the export DAG cannot run on Airflow 3 either); the import runs in the
target's API server. A 3.x source names a task instance by its UUID in its notes and
reschedules: the bundle carries the task instance's natural key instead, and the target resolves
it against its own rows, while the task instances keep their UUIDs.
"""

import compare3
import pytest
import support
import support3

PREFIX = "af3-306"


@pytest.fixture(scope="module")
def from3(stack):
    source = support.create_env("src3-306", "3.0.6", history_dags=False)
    target = None
    support.ensure_bucket(source)
    support.empty_prefix(source, PREFIX)
    try:
        for path in support3.AIRFLOW3_DAG_FILES:
            (source.dags_folder / path.name).write_bytes(path.read_bytes())
        support3.seed_history(source)
        source.stop()
        conf = dict(support.bundle_conf(PREFIX, "bulk-1"), kmsKeyId=support.kms_key_id(source))
        support.direct(source, "export", support.direct_args(dict(conf, phase="bulk")))
        manifest = support.s3_json(source, "%s/bulk-1/manifest.json" % PREFIX)
        target = support3.create_target("tgt3-from306", "3.3.2", PREFIX)
        status, report, seconds = support3.import_through_plugin(target, "i1-from306", conf)
        yield {"source": source, "target": target, "manifest": manifest, "status": status, "report": report,
               "seconds": seconds, "conf": conf}
    finally:
        source.stop()
        if target is not None:
            target.stop()


def test_a_3x_history_arrives_row_by_row(from3):
    source, target, report = from3["source"], from3["target"], from3["report"]
    assert from3["status"]["state"] == "success", from3["status"]
    assert report["status"] == "succeeded" and report["source"]["airflowVersion"] == "3.0.6"
    assert set(from3["manifest"]["absentTables"]) >= {"sla_miss", "task_fail"}
    assert compare3.differences(source, target, report) == {}
    counts = compare3.compared_counts(target)
    for table in ("dag_run", "task_instance", "task_instance_history", "task_reschedule", "xcom",
                  "rendered_task_instance_fields", "dag_run_note", "task_instance_note", "log"):
        assert counts[table] > 0, counts
    print("imported %d rows from 3.0.6 into 3.3.2 through the plugin in %.1f s" % (
        sum(t.get("inserted", 0) for t in report["tables"].values()), from3["seconds"]))


def test_task_instances_keep_their_ids_and_link_the_targets_dag_versions(from3):
    source, target = from3["source"], from3["target"]
    ids = "SELECT id::text FROM task_instance WHERE dag_id = ANY(%s) AND state IN ('success', 'failed', 'skipped')"
    tries = "SELECT task_instance_id::text FROM task_instance_history WHERE dag_id = ANY(%s)"
    for sql in (ids, tries):
        expected = {row[0] for row in source.query(sql, (list(support.COMPARED_DAGS),))}
        assert expected and expected <= {row[0] for row in target.query(sql, (list(support.COMPARED_DAGS),))}
    # Notes and reschedules name the target's task instance (the same UUID here).
    assert target.query(
        "SELECT count(*) FROM task_reschedule r LEFT JOIN task_instance t ON t.id = r.ti_id WHERE t.id IS NULL"
    ) == [(0,)]
    own_versions = {row[0] for row in target.query("SELECT id::text FROM dag_version")}
    linked = {row[0] for row in target.query("SELECT DISTINCT dag_version_id::text FROM task_instance")}
    assert linked and linked <= own_versions
    dropped = from3["report"]["tables"]["task_instance"]["droppedColumns"]
    assert "dag_version_id" in dropped and "DAG version" in dropped["dag_version_id"]


def test_importing_again_changes_nothing_and_variables_arrive(from3):
    target = from3["target"]
    assert support.airflow_secrets(target) == support.airflow_secrets(from3["source"])
    before = support3.table_digest(target)
    status, report, _ = support3.import_through_plugin(target, "i2-from306", from3["conf"])
    assert status["state"] == "success"
    assert {name: t["inserted"] for name, t in report["tables"].items() if t["inserted"]} == {}
    assert support3.table_digest(target) == before
