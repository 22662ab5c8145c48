"""Values the target cannot store, found before any row moves.

A row of the bundle can hold a value its target column refuses: a text longer than
the target's varchar, NULL in a column the target declares NOT NULL, an integer out
of the target's range, or a JSON document with a NUL escape (\\u0000) bound for a
jsonb column (jsonb refuses it; json keeps it). Each check is an SQL condition over
the staged row; the import names every row that meets one and, by the user's choice
(skipUnstorableRows), fails or leaves those rows out.
"""

from typing import Any, Dict, List, NamedTuple, Optional

from . import codec, db
from .errors import ImportFailed
from .load_sql import RUN_KEY, SKIPPED_RUNS, SKIPPED_TASKS, TI_KEY, TableLoad, ident
from .mapping import COPY, ColumnPlan, TablePlan

_INTEGER_RANGES = {"int2": (-32768, 32767), "int4": (-2147483648, 2147483647)}

# An escaped NUL in JSON text: \u0000 after an even number of backslashes (an odd
# number would make it the text "\u0000", which jsonb stores).
_JSON_NUL_ESCAPE = r"(^|[^\\])(\\\\)*\\u0000"


class Check(NamedTuple):
    column: str  # target column
    condition: str  # SQL, true when the staged value cannot be stored
    reason: str


def checks(
    plan: TablePlan, target: Dict[str, db.Column], source: Optional[Dict[str, Dict[str, Any]]] = None, alias: str = "s"
) -> List[Check]:
    """The checks for one table's copied columns, over its staging table (alias).

    source: the manifest's description of each source column (nullable, maxLength);
    a check that the source's own schema already guarantees is left out.
    """
    found = []
    for column in plan.columns:
        if column.kind == COPY:
            described = (source or {}).get(column.source or column.target, {})
            found.extend(_column_checks(column, target[column.target], described, alias))
    return found


def _column_checks(plan: ColumnPlan, target: db.Column, source: Dict[str, Any], alias: str) -> List[Check]:
    value = "%s.%s" % (alias, codec.quote_ident(plan.source or plan.target))
    found = []
    if not target.nullable and source.get("nullable", True) and plan.null_value is None:
        found.append(Check(plan.target, "%s IS NULL" % value, "NULL in a NOT NULL column"))
    longest = source.get("maxLength")
    fits = longest is not None and target.max_length is not None and longest <= target.max_length
    if target.max_length is not None and plan.portable in ("text", "json-text") and not fits:
        found.append(
            Check(
                plan.target,
                "char_length(%s) > %d" % (value, target.max_length),
                "longer than the target's %s(%d)" % (target.udt_name, target.max_length),
            )
        )
    if target.udt_name in _INTEGER_RANGES and plan.portable == "integer":
        low, high = _INTEGER_RANGES[target.udt_name]
        found.append(
            Check(plan.target, "%s NOT BETWEEN %d AND %d" % (value, low, high), "outside the range of %s" % target.udt_name)
        )
    if target.udt_name == "jsonb" and plan.portable == "json-text":
        found.append(Check(plan.target, "%s ~ '%s'" % (value, _JSON_NUL_ESCAPE), "a \\u0000 escape, which jsonb refuses"))
    return found


# --- finding them in the staged rows ------------------------------------------------------

# A row left out of these leaves out the rows that follow it in later tables.
_FOLLOWED = {"dag_run": (SKIPPED_RUNS, RUN_KEY), "task_instance": (SKIPPED_TASKS, TI_KEY)}

# How many values an error message or the report names (all are counted).
_NAMED = 50


def _key_text(load: TableLoad) -> List[str]:
    """SQL for the staged row's natural key as text, in source terms (for messages)."""
    return ["s.%s::text" % ident(name) for name in load.key_source_columns()]


def _unstorable(conn: Any, load: TableLoad, checks: List[Check]) -> List[Dict[str, Any]]:
    """Every eligible staged row holding a value the target cannot store, with why."""
    flags = ", ".join("CASE WHEN %s THEN %d END" % (c.condition, i) for i, c in enumerate(checks))
    keys = _key_text(load)
    rows = db.rows(
        conn,
        "SELECT %s, array_remove(ARRAY[%s], NULL) FROM %s s WHERE %s AND (%s)"
        % (", ".join(keys), flags, load.rows, load.eligible(), " OR ".join("(%s)" % c.condition for c in checks)),
    )
    names = load.key_source_columns()
    found = []
    for row in rows:
        key = dict(zip(names, row[: len(names)]))
        for index in row[len(names)]:
            found.append({"key": key, "column": checks[index].column, "reason": checks[index].reason})
    return found


def _describe(found: List[Dict[str, Any]]) -> str:
    def short(value: Any) -> str:
        text = str(value)
        return text if len(text) <= 60 else text[:60] + "..."

    return "; ".join(
        "(%s) column %s: %s" % (", ".join("%s=%s" % (k, short(v)) for k, v in f["key"].items()), f["column"], f["reason"])
        for f in found[:_NAMED]
    )


def _leave_out(conn: Any, load: TableLoad, checks: List[Check]) -> int:
    """Removes the unstorable rows from staging, recording runs/task instances that others follow."""
    condition = " OR ".join("(%s)" % c.condition for c in checks)
    followed = _FOLLOWED.get(load.spec.name)
    with conn.cursor() as cur:
        if followed:
            table, key = followed
            if table not in load.state.tables:
                cur.execute(
                    "CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT %s FROM %s WHERE false"
                    % (table, ", ".join(key), load.rows)
                )
                load.state.tables.add(table)
            cur.execute(
                "INSERT INTO %s SELECT %s FROM %s s WHERE %s" % (table, ", ".join("s.%s" % k for k in key), load.rows, condition)
            )
        cur.execute("DELETE FROM %s s WHERE %s" % (load.rows, condition))
        return cur.rowcount


def check_rows(conn: Any, load: TableLoad, source: Dict[str, Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """None when every value fits; else the values left out (or ImportFailed naming them)."""
    conditions = checks(load.plan, load.target, source)
    if not conditions:
        return None
    found = _unstorable(conn, load, conditions)
    if not found:
        return None
    if not load.state.skip_unstorable_rows:
        raise ImportFailed(
            "table %s: %d value(s) cannot be stored on the target: %s. Nothing was imported. Correct the "
            "value(s) on the source and export again, or import with skipUnstorableRows (--skip-unstorable-rows) "
            "to leave these rows, and the rows that belong to them, out; the import report lists them"
            % (load.spec.name, len(found), _describe(found))
        )
    return {"rows": _leave_out(conn, load, conditions), "values": found[:_NAMED]}
