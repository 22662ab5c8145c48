"""The Airflow 2 -> 3 schema mapping as data (spec.py), the value conversions and the migration
plugin's own rules, without a database: what the plan does with each column Airflow 3 renamed,
retyped, added or removed, and who and what the plugin refuses."""

import json
import pickle

import pytest
from mwaa_migration import convert, mapping
from mwaa_migration.db import Column
from mwaa_migration.plugin_access import (
    BundleLocation,
    bearer_token,
    bundle_refusal,
    is_admin,
    parse_bundle_location,
    run_id_refusal,
)
from mwaa_migration.plugin_runs import application_name, parse_application_name, progress_from_line
from mwaa_migration.spec import table_spec

_DATA_TYPES = {
    "varchar": "character varying",
    "int4": "integer",
    "timestamptz": "timestamp with time zone",
    "jsonb": "jsonb",
    "uuid": "uuid",
    "bytea": "bytea",
}


def col(name, udt="varchar", nullable=True, default=False):
    return Column(name, _DATA_TYPES[udt], udt, nullable, default)


TI_KEY_210 = [("dag_id", "text"), ("task_id", "text"), ("run_id", "text"), ("map_index", "integer")]
TI_KEY_3 = [col("dag_id", nullable=False), col("task_id", nullable=False), col("run_id", nullable=False),
            col("map_index", "int4", nullable=False)]


def airflow3(table, column=None):
    return table != "sla_miss" and column != "execution_date"


def test_task_instance_gets_a_uuid_per_try_and_the_targets_dag_version():
    source = TI_KEY_210 + [("start_date", "timestamp"), ("queued_dttm", "timestamp"), ("job_id", "integer")]
    target = [col("id", "uuid", nullable=False)] + TI_KEY_3 + [
        col("start_date", "timestamptz"), col("queued_dttm", "timestamptz"), col("dag_version_id", "uuid")]
    plan = mapping.plan_table(table_spec("task_instance"), source, target, airflow3)
    columns = plan.by_target()
    assert columns["id"].kind == mapping.IDENTITY and "gen_random_uuid()" in columns["id"].expression
    assert "{start_date}" in columns["id"].expression
    version = columns["dag_version_id"]
    assert version.kind == mapping.DERIVE and "FROM dag_version" in version.lookup.rows and version.lookup.key == "dag_id"
    assert plan.dropped == ["job_id"]
    # A 3.x source's ids are the task instances' own: copied, never regenerated.
    source3 = TI_KEY_210 + [("id", "uuid"), ("dag_version_id", "uuid")]
    plan3 = mapping.plan_table(table_spec("task_instance"), source3, target, airflow3)
    assert plan3.by_target()["id"] == mapping.ColumnPlan("id", mapping.IDENTITY, "id", "uuid")
    assert plan3.replaced == ["dag_version_id"]


def test_reschedules_and_task_notes_name_their_task_instance_by_id_on_airflow_3():
    source = TI_KEY_210 + [("try_number", "integer"), ("reschedule_date", "timestamp"), ("id", "integer")]
    target = [col("id", "int4", False, True), col("ti_id", "uuid", nullable=False),
              col("reschedule_date", "timestamptz", nullable=False)]
    spec = table_spec("task_reschedule")
    plan = mapping.plan_table(spec, source, target, airflow3)
    ti_id = plan.by_target()["ti_id"]
    assert (ti_id.kind, ti_id.source, ti_id.referenced) == (mapping.REMAP, None, "task_instance")
    assert [c.target for c in plan.key_columns(spec)] == ["ti_id", "reschedule_date"]
    # The task instance's key resolves ti_id; only the try number has no place (Airflow's own upgrade).
    assert plan.dropped == ["try_number"]


def test_renames_value_maps_and_derivations_of_a_dag_run():
    source = [("dag_id", "text"), ("run_id", "text"), ("execution_date", "timestamp"), ("run_type", "text"),
              ("data_interval_end", "timestamp"), ("queued_at", "timestamp"), ("start_date", "timestamp"),
              ("external_trigger", "boolean"), ("conf", "bytes")]
    target = [col("dag_id", nullable=False), col("run_id", nullable=False), col("logical_date", "timestamptz"),
              col("run_type", nullable=False), col("data_interval_end", "timestamptz"),
              col("queued_at", "timestamptz"), col("start_date", "timestamptz"),
              col("run_after", "timestamptz", nullable=False), col("triggered_by"), col("created_at", "timestamptz"),
              col("conf", "jsonb"), col("created_dag_version_id", "uuid"), col("backfill_id", "int4"),
              col("span_status", nullable=False, default=True)]
    plan = mapping.plan_table(table_spec("dag_run"), source, target, airflow3)
    kinds = {c.target: c.kind for c in plan.columns}
    assert plan.by_target()["logical_date"].source == "execution_date"
    assert plan.by_target()["run_type"].value_map == {"dataset_triggered": "asset_triggered"}
    assert "CASE s.\"run_type\" WHEN 'dataset_triggered' THEN 'asset_triggered'" in mapping.value_expression(
        plan.by_target()["run_type"], target[3])
    assert (kinds["run_after"], kinds["triggered_by"], kinds["created_at"]) == (mapping.DERIVE,) * 3
    assert kinds["conf"] == mapping.CONVERT
    assert (kinds["backfill_id"], kinds["span_status"]) == (mapping.CLEAR, mapping.DEFAULT)
    assert plan.dropped == ["external_trigger"]
    # A 2.x target keeps dataset_triggered: the value map applies only where the asset tables are.
    target2 = [col("dag_id", nullable=False), col("run_id", nullable=False), col("run_type", nullable=False)]
    plan2 = mapping.plan_table(table_spec("dag_run"), source[:2] + [("run_type", "text")], target2,
                               lambda table, column=None: table != "asset")
    assert plan2.by_target()["run_type"].value_map is None


def test_a_derivation_that_reads_the_target_follows_the_targets_column_names():
    log = table_spec("log")
    source = [("dttm", "timestamp"), ("dag_id", "text"), ("task_id", "text"), ("event", "text"),
              ("execution_date", "timestamp")]
    target = [col("dttm", "timestamptz"), col("dag_id"), col("task_id"), col("event", nullable=False),
              col("logical_date", "timestamptz"), col("run_id")]
    plan = mapping.plan_table(log, source, target, airflow3)
    assert "r.logical_date = {execution_date}" in plan.by_target()["run_id"].expression
    assert mapping.value_expression(plan.by_target()["event"], target[3]) == "coalesce(s.\"event\", '')"
    plan2 = mapping.plan_table(log, source, target[:4] + [col("execution_date", "timestamptz"), col("run_id")])
    assert "r.execution_date = {execution_date}" in plan2.by_target()["run_id"].expression


def test_pickled_confs_become_json_as_airflow_3_keeps_them():
    assert convert.pickle_to_json(pickle.dumps({})) == ("{}", False)
    text, adjusted = convert.pickle_to_json(pickle.dumps({"n": 1, "t": "ünï", "l": [1.5, None], "x": float("nan")}))
    assert json.loads(text) == {"n": 1, "t": "ünï", "l": [1.5, None], "x": "NaN"} and adjusted
    with pytest.raises(convert.NotConvertible, match="datetime.datetime"):
        import datetime

        convert.pickle_to_json(pickle.dumps({"when": datetime.datetime(2024, 1, 1)}))


def test_a_pickle_naming_a_callable_is_refused_without_running_it():
    class Boom:
        def __reduce__(self):
            return (print, ("ran",))

    with pytest.raises(convert.NotConvertible, match="builtins.print"):
        convert.pickle_to_json(pickle.dumps(Boom()))


def test_xcom_values_convert_unless_pickled():
    assert convert.xcom_to_json(b'{"a": [1, 2]}') == ('{"a": [1, 2]}', False)
    assert convert.xcom_to_json(b'"nul \\u0000 here"') == ('"nul  here"', True)
    with pytest.raises(convert.NotConvertible, match="pickle"):
        convert.xcom_to_json(pickle.dumps({"a": 1}))
    with pytest.raises(convert.NotConvertible, match="neither"):
        convert.xcom_to_json(b"\xff\xfe not text")


def test_the_plugin_reads_only_under_the_configured_bundle_location():
    allowed = parse_bundle_location("s3://migration-bucket/migration/")
    assert allowed == BundleLocation("migration-bucket", "migration")
    assert bundle_refusal(allowed, "migration-bucket", "migration", "bulk-1") is None
    assert bundle_refusal(allowed, "migration-bucket", "migration/2026", "bulk-1") is None
    assert "not in the migration bucket" in bundle_refusal(allowed, "other-bucket", "migration", "bulk-1")
    assert "not under s3://migration-bucket/migration" in bundle_refusal(allowed, "migration-bucket", "migrationx", "e")
    assert "'..'" in bundle_refusal(allowed, "migration-bucket", "migration/../secrets", "e")
    assert "exportId" in bundle_refusal(allowed, "migration-bucket", "migration", "../e")
    for text in ("", None, "migration-bucket/migration", "s3://Bad_Bucket/x"):
        with pytest.raises(ValueError, match=r"\[mwaa_migration\] bundle_location"):
            parse_bundle_location(text)


def test_only_admins_pass_and_a_bearer_token_wins_over_the_cookie():
    class Simple:
        def __init__(self, role):
            self.role = role

    class Role:
        def __init__(self, name):
            self.name = name

    class Fab:
        def __init__(self, *roles):
            self.roles = [Role(r) for r in roles]

    assert is_admin(Simple("ADMIN")) and is_admin(Simple("admin"))
    assert not is_admin(Simple("OP")) and not is_admin(Simple(None))
    assert is_admin(Fab("Viewer", "Admin")) and not is_admin(Fab("Op", "User"))
    assert bearer_token("Bearer abc", "cookie") == "abc"
    assert bearer_token(None, "cookie") == "cookie"
    assert bearer_token("Basic dXNlcg==", None) is None
    assert run_id_refusal("i1-3f9a2c1d") is None
    assert run_id_refusal("i1:evil") and run_id_refusal("x" * 33)


def test_a_running_imports_progress_travels_in_its_session_name():
    name = application_name("i1-3f9a2c1d", "task_instance", 1234)
    assert len(name) <= 63
    assert parse_application_name(name) == ("i1-3f9a2c1d", "task_instance", 1234)
    assert parse_application_name(application_name("i2-00000000")) == ("i2-00000000", None, None)
    assert parse_application_name("psql") is None
    assert progress_from_line("imported task_instance     1234 staged     1200 inserted") == ("task_instance", 1234)
