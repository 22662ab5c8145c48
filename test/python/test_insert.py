"""The insert of new history rows: a plain INSERT first, ON CONFLICT DO NOTHING after a unique violation."""

import pytest
from mwaa_migration import history, mapping
from mwaa_migration.db import Column, column_map
from mwaa_migration.load_sql import ImportState, TableLoad
from mwaa_migration.spec import table_spec


class UniqueViolation(Exception):
    pgcode = "23505"


class OtherError(Exception):
    pgcode = "23503"


class Cursor:
    def __init__(self, log, fail_first_insert_with):
        self.log = log
        self.fail = fail_first_insert_with
        self.rowcount = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, params=None):
        self.log.append(sql)
        self.rowcount = -1
        if sql.startswith("INSERT"):
            if self.fail is not None:
                error, self.fail = self.fail, None
                raise error
            self.rowcount = 7


class Connection:
    def __init__(self, fail_first_insert_with=None):
        self.log = []
        self.fail = fail_first_insert_with

    def cursor(self):
        cursor = Cursor(self.log, self.fail)
        self.fail = None
        return cursor


def task_instance_load():
    key = [("dag_id", "text"), ("task_id", "text"), ("run_id", "text"), ("map_index", "integer")]
    target = [Column(n, "text", "varchar", False, False) for n, _ in key[:3]] + [
        Column("map_index", "integer", "int4", False, True)]
    plan = mapping.plan_table(table_spec("task_instance"), key, target)
    return TableLoad(table_spec("task_instance"), plan, column_map(target), [n for n, _ in key], ImportState(True, False))


def test_new_rows_go_in_without_on_conflict_in_the_indexes_order():
    conn = Connection()
    assert history._insert(conn, task_instance_load(), ["dag_id", "task_id", "run_id", "map_index"]) == 7
    savepoint, insert, release = conn.log
    assert (savepoint, release) == ("SAVEPOINT mm_insert", "RELEASE SAVEPOINT mm_insert")
    assert "ON CONFLICT" not in insert
    assert insert.endswith('ORDER BY s."dag_id", s."task_id", s."run_id", s."map_index"')


def test_a_unique_violation_makes_the_insert_again_with_on_conflict_do_nothing():
    conn = Connection(fail_first_insert_with=UniqueViolation())
    assert history._insert(conn, task_instance_load(), []) == 7
    savepoint, first, rollback, again, release = conn.log
    assert (savepoint, rollback, release) == (
        "SAVEPOINT mm_insert", "ROLLBACK TO SAVEPOINT mm_insert", "RELEASE SAVEPOINT mm_insert")
    assert again == first + " ON CONFLICT DO NOTHING"


def test_any_other_error_of_the_insert_fails_the_import():
    conn = Connection(fail_first_insert_with=OtherError())
    with pytest.raises(OtherError):
        history._insert(conn, task_instance_load(), [])
    assert not any("ON CONFLICT" in sql for sql in conn.log)
