"""Airflow 2.8.1 -> 3.0.6 through the migration plugin: the oldest 2.x source the export reads into MWAA's
3.0 line. 2.8.1's schema lacks what 2.9 and 2.10 added (task_instance_history, dag_run.clear_number among
them), so the 2.x -> 3.x mapping fills those from their defaults; every row still compares on natural keys.
"""

import compare3
import pytest
import support
import support3

PREFIX = "af3-281"


@pytest.fixture(scope="module")
def from28(stack):
    source = support.create_env("src3-281", "2.8.1")
    target = None
    support.ensure_bucket(source)
    support.empty_prefix(source, PREFIX)
    try:
        support.seed_history(source)
        source.stop()
        conf = dict(support.bundle_conf(PREFIX, "bulk-1"), kmsKeyId=support.kms_key_id(source))
        support.direct(source, "export", support.direct_args(dict(conf, phase="bulk")))
        target = support3.create_target("tgt3-from281", "3.0.6", PREFIX)
        status, report, seconds = support3.import_through_plugin(target, "i1-from281", conf)
        yield {"source": source, "target": target, "status": status, "report": report, "conf": conf}
    finally:
        source.stop()
        if target is not None:
            target.stop()


def test_a_2_8_history_arrives_in_airflow_3_0_row_by_row(from28):
    source, target, report = from28["source"], from28["target"], from28["report"]
    assert from28["status"]["state"] == "success", from28["status"]
    assert report["source"]["airflowVersion"] == "2.8.1" and report["target"]["airflowVersion"] == "3.0.6"
    assert compare3.differences(source, target, report) == {}
    counts = compare3.compared_counts(target)
    assert all(counts[t] > 0 for t in ("dag_run", "task_instance", "xcom", "log")), counts
    assert target.query("SELECT count(*) FROM task_instance WHERE dag_version_id IS NULL")[0][0] == 0


def test_importing_the_2_8_bundle_again_changes_nothing(from28):
    target = from28["target"]
    before = support3.table_digest(target)
    status, again, _ = support3.import_through_plugin(target, "i1-from281-again", from28["conf"])
    assert status["state"] == "success", status
    assert {name: t["inserted"] for name, t in again["tables"].items() if t["inserted"]} == {}
    assert support3.table_digest(target) == before
