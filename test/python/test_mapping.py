"""The column plan: how a source table's columns become the target's, from data alone."""

import pytest
from mwaa_migration import mapping
from mwaa_migration.analyze import analyze_after_load, staging_columns
from mwaa_migration.db import Column, column_map
from mwaa_migration.load_sql import ImportState, TableLoad, insert_order
from mwaa_migration.spec import TABLES, TableSpec, select_tables, table_spec


def col(name, udt="varchar", nullable=True, default=False):
    data_type = {
        "varchar": "character varying",
        "int4": "integer",
        "timestamptz": "timestamp with time zone",
        "bytea": "bytea",
        "json": "json",
        "jsonb": "jsonb",
        "text": "text",
        "uuid": "uuid",
    }[udt]
    return Column(name, data_type, udt, nullable, default)


LOG_28 = [("id", "integer"), ("dttm", "timestamp"), ("dag_id", "text"), ("task_id", "text"),
          ("event", "text"), ("execution_date", "timestamp"), ("owner", "text"), ("extra", "text")]
LOG_211 = [col("id", "int4", False, True), col("dttm", "timestamptz"), col("dag_id"), col("task_id"),
           col("event"), col("execution_date", "timestamptz"), col("run_id"), col("owner"), col("extra"),
           col("try_number", "int4")]


def kinds(plan):
    return {c.target: c.kind for c in plan.columns}


def test_a_column_new_on_the_target_is_derived_when_the_spec_says_how():
    plan = mapping.plan_table(table_spec("log"), LOG_28, LOG_211)
    assert kinds(plan)["run_id"] == mapping.DERIVE
    assert kinds(plan)["try_number"] == mapping.DEFAULT
    assert kinds(plan)["id"] == mapping.SURROGATE
    sql = mapping.derivation_expression(plan.by_target()["run_id"])
    assert 's."dag_id"' in sql and 's."execution_date"' in sql


def test_a_source_that_has_the_column_copies_it_instead_of_deriving():
    source = LOG_28 + [("run_id", "text")]
    plan = mapping.plan_table(table_spec("log"), source, LOG_211)
    assert kinds(plan)["run_id"] == mapping.COPY


def test_columns_the_target_lost_are_dropped_and_reported():
    source = LOG_28 + [("obsolete", "text")]
    plan = mapping.plan_table(table_spec("log"), source, LOG_211)
    assert plan.dropped == ["obsolete"]


def test_a_not_null_column_without_source_or_default_fails_naming_it():
    target = LOG_211 + [col("new_required", nullable=False)]
    with pytest.raises(mapping.MappingError, match=r"log\.new_required is NOT NULL"):
        mapping.plan_table(table_spec("log"), LOG_28, target)


def test_renames_apply_in_either_direction_by_reflection():
    spec = table_spec("sla_miss")
    source = [("task_id", "text"), ("dag_id", "text"), ("execution_date", "timestamp")]
    target = [col("task_id", nullable=False), col("dag_id", nullable=False),
              col("logical_date", "timestamptz", nullable=False)]
    plan = mapping.plan_table(spec, source, target)
    assert plan.by_target()["logical_date"].source == "execution_date"
    assert [c.target for c in plan.key_columns(spec)] == ["dag_id", "task_id", "logical_date"]
    back = mapping.plan_table(spec, [("task_id", "text"), ("dag_id", "text"), ("logical_date", "timestamp")],
                              [col("task_id"), col("dag_id"), col("execution_date", "timestamptz")])
    assert back.by_target()["execution_date"].source == "logical_date"


def test_references_are_remapped_and_pointers_to_unmigrated_things_cleared():
    spec = table_spec("task_instance")
    source = [("dag_id", "text"), ("task_id", "text"), ("run_id", "text"), ("map_index", "integer"),
              ("job_id", "integer"), ("trigger_id", "integer")]
    target = [col("dag_id", nullable=False), col("task_id", nullable=False), col("run_id", nullable=False),
              col("map_index", "int4", nullable=False), col("job_id", "int4"), col("trigger_id", "int4")]
    plan = mapping.plan_table(spec, source, target)
    assert plan.by_target()["job_id"].kind == mapping.REMAP
    assert plan.by_target()["job_id"].referenced == "job"
    assert kinds(plan)["trigger_id"] == mapping.CLEAR


def test_a_type_change_without_a_derivation_fails():
    spec = table_spec("dag_run")
    source = [("dag_id", "text"), ("run_id", "text"), ("queued_at", "bytes")]
    target = [col("dag_id", nullable=False), col("run_id", nullable=False), col("queued_at", "json")]
    with pytest.raises(mapping.MappingError, match="dag_run.queued_at is bytes in the bundle but json"):
        mapping.plan_table(spec, source, target)


def test_a_type_change_with_a_conversion_is_planned_as_one():
    """Airflow 2 pickles dag_run.conf, Airflow 3 keeps JSON: the spec's conversion applies."""
    spec = table_spec("dag_run")
    source = [("dag_id", "text"), ("run_id", "text"), ("conf", "bytes")]
    target = [col("dag_id", nullable=False), col("run_id", nullable=False), col("conf", "jsonb")]
    assert mapping.plan_table(spec, source, target).by_target()["conf"].kind == mapping.CONVERT
    with pytest.raises(mapping.MappingError, match="dag_run.conf is bytes in the bundle but text"):
        mapping.plan_table(spec, source, target[:2] + [col("conf", "text")])


def test_specs_are_in_foreign_key_order():
    seen = set()
    for spec in TABLES:
        for referenced in spec.references.values():
            assert referenced in seen, "%s refers to %s, which comes later" % (spec.name, referenced)
        seen.add(spec.name)


def test_table_selection_keeps_order_and_rejects_unknown_names():
    assert [s.name for s in select_tables(["xcom", "dag_run"])] == ["dag_run", "xcom"]
    with pytest.raises(ValueError, match="unknown table 'dag'"):
        select_tables(["dag"])


def test_every_spec_names_a_natural_key():
    for spec in TABLES:
        assert isinstance(spec, TableSpec) and spec.natural_key, spec.name
        assert spec.surrogate not in spec.natural_key, spec.name


def test_a_finished_task_keeps_its_deferral_columns_and_only_the_trigger_id_is_dropped_with_why():
    from mwaa_migration import report

    spec = table_spec("task_instance")
    source = [("dag_id", "text"), ("task_id", "text"), ("run_id", "text"), ("map_index", "integer"),
              ("trigger_id", "integer"), ("trigger_timeout", "timestamp"), ("next_method", "text"),
              ("next_kwargs", "json-text"), ("obsolete", "text")]
    target = [col("dag_id", nullable=False), col("task_id", nullable=False), col("run_id", nullable=False),
              col("map_index", "int4", nullable=False), col("trigger_id", "int4"), col("trigger_timeout", "timestamptz"),
              col("next_method"), col("next_kwargs", "json")]
    plan = mapping.plan_table(spec, source, target)
    assert {c: kinds(plan)[c] for c in ("trigger_timeout", "next_method", "next_kwargs")} == {
        "trigger_timeout": mapping.COPY, "next_method": mapping.COPY, "next_kwargs": mapping.COPY}
    dropped = report.dropped_columns(spec, plan)
    assert list(dropped) == ["obsolete", "trigger_id"]
    assert "trigger" in dropped["trigger_id"] and "no such column" in dropped["obsolete"]


def test_json_travels_as_its_text():
    from mwaa_migration import codec

    assert codec.portable_type("t", "c", "json") == "json-text"
    assert codec.export_expression("t", "c", "json") == 't."c"::text'
    assert codec.stage_type("json-text") == "text"
    plan = mapping.ColumnPlan("c", mapping.COPY, "c", "json-text")
    assert mapping.value_expression(plan, col("c", "json")) == 's."c"::json'


def test_values_the_target_cannot_store_are_found_in_sql(stack):
    import psycopg2
    from mwaa_migration import storable

    target = {"short": col("short", "varchar", nullable=False)._replace(max_length=5),
              "doc": Column("doc", "jsonb", "jsonb", True, False), "n": col("n", "int4")}
    plan = mapping.TablePlan("t", [mapping.ColumnPlan("short", mapping.COPY, "short", "text"),
                                   mapping.ColumnPlan("doc", mapping.COPY, "doc", "json-text"),
                                   mapping.ColumnPlan("n", mapping.COPY, "n", "integer")], [])
    checks = storable.checks(plan, target)
    rows = [("fits", r'{"a": "\\u0000 is text here"}', 1), (None, "{}", 1), ("too long", "{}", 1),
            ("ok", r'{"a": "\u0000"}', 1), ("ok", r'{"\\\u0000": 1}', 1), ("ok", "{}", 2 ** 40)]
    conn = psycopg2.connect(stack["postgres_url"])
    try:
        with conn.cursor() as cur:
            found = []
            for row in rows:
                cur.execute("SELECT %s FROM (SELECT %%s::text AS short, %%s::text AS doc, %%s::bigint AS n) s"
                            % ", ".join("(%s) IS TRUE" % c.condition for c in checks), row)
                found.append([c.column for c, hit in zip(checks, cur.fetchone()) if hit])
    finally:
        conn.close()
    assert found == [[], ["short"], ["short"], ["doc"], ["doc"], ["n"]]


def test_new_rows_go_in_in_the_order_of_the_targets_unique_index_over_the_natural_key():
    ti_key = ["dag_id", "task_id", "run_id", "map_index"]
    airflow3 = [("task_instance_composite_key", ti_key), ("task_instance_pkey", ["id"])]
    assert insert_order(ti_key, airflow3) == ti_key
    assert insert_order(["dag_id", "run_id"], [("dag_run_pkey", ["id"]), ("k", ["run_id", "dag_id"])]) == ["run_id", "dag_id"]
    # No index over log's natural key on the target: the bundle's order.
    assert insert_order(["dttm", "event", "dag_id", "task_id", "execution_date"], [("log_pkey", ["id"])]) == []


def test_statistics_are_gathered_on_the_tables_later_loads_read():
    specs = select_tables(None)
    names = [s.name for s in specs]

    def later(name):
        return specs[names.index(name) + 1 :]

    rows = {"dag_run": 10, "task_instance": 50, "xcom": 5, "log": 20}
    assert analyze_after_load("job", later("job"), rows)  # dag_run refers to its jobs
    assert analyze_after_load("dag_run", later("dag_run"), {"dag_run": 10})  # the schedules read it
    assert not analyze_after_load("task_instance", later("task_instance"), rows)
    assert analyze_after_load("task_instance", later("task_instance"), dict(rows, task_instance_note=1))
    assert not analyze_after_load("xcom", later("xcom"), rows) and not analyze_after_load("log", later("log"), rows)


def test_staged_rows_get_statistics_on_the_columns_the_load_joins_on():
    spec = table_spec("task_instance")
    source = [("dag_id", "text"), ("task_id", "text"), ("run_id", "text"), ("map_index", "integer"),
              ("job_id", "integer"), ("hostname", "text")]
    target = [col("dag_id", nullable=False), col("task_id", nullable=False), col("run_id", nullable=False),
              col("map_index", "int4", nullable=False), col("job_id", "int4"), col("hostname")]
    plan = mapping.plan_table(spec, source, target)
    load = TableLoad(spec, plan, column_map(target), [name for name, _ in source], ImportState(False, False))
    assert staging_columns(load) == ["dag_id", "task_id", "run_id", "map_index", "job_id"]
