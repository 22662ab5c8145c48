"""Values whose type changed between Airflow versions, converted in the staging table.

Airflow 2 pickles dag_run.conf and keeps XCom values as bytes; Airflow 3 keeps both as
JSON. Each CONVERT column of a table's plan gets a staging column (mapping.converted_column)
holding the JSON text of every value that converts. What does not convert is cleared or
leaves its row out, as the spec's Conversion says, and is listed by the row's natural key.

The rules follow Airflow's own upgrade where it has one: a pickled conf is unpickled and
written as JSON, non-finite floats quoted and NUL characters stripped (migration 0055); a
pickled XCom is not unpickled (migration 0049 archives those instead).
"""

import json
import math
import pickle
from typing import Any, Dict, List, Optional, Tuple

from . import codec
from .mapping import CONVERT, TablePlan, converted_column
from .spec import CLEAR_VALUE, Conversion, TableSpec

# How many values the report names (all are counted).
NAMED = 50
ADJUSTED = (
    "converted to JSON with NaN and Infinity written as strings and NUL characters removed, "
    "which strict JSON cannot hold (as Airflow's own upgrade converts them)"
)
PICKLE_PROTOCOL_2_AND_LATER = 0x80


class NotConvertible(ValueError):
    pass


class _NoGlobals(pickle.Unpickler):
    """Unpickles containers and scalars only: a conf that names a class or function (the only way a
    pickle runs code) is not JSON and is refused without importing anything."""

    def find_class(self, module: str, name: str) -> Any:
        raise NotConvertible("holds a %s.%s object" % (module, name))


def json_safe(value: Any) -> Tuple[Any, bool]:
    """The value as strict JSON can hold it (Airflow 0055's rules), and whether anything changed."""
    changed = [False]

    def walk(obj: Any) -> Any:
        if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
            changed[0] = True
            return "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")
        if isinstance(obj, str):
            if "\x00" in obj:
                changed[0] = True
                return obj.replace("\x00", "")
            return obj
        if isinstance(obj, dict):
            return {walk(k): walk(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [walk(v) for v in obj]
        if obj is None or isinstance(obj, (bool, int, float)):
            return obj
        raise NotConvertible("holds a %s, which JSON cannot hold" % type(obj).__name__)

    return walk(value), changed[0]


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def pickle_to_json(raw: bytes) -> Tuple[str, bool]:
    """A pickled dag_run.conf (or one already JSON text) as JSON text; NotConvertible if it is neither."""
    if raw[:1] == bytes([PICKLE_PROTOCOL_2_AND_LATER]) or raw[:1] in (b"(", b"}", b"]"):
        import io

        try:
            value = _NoGlobals(io.BytesIO(raw)).load()
        except NotConvertible:
            raise
        except Exception as error:  # noqa: BLE001 - a broken pickle is one more value that does not convert
            raise NotConvertible("is not a readable pickle (%s)" % type(error).__name__) from None
    else:
        value = _json_text(raw)
    safe, changed = json_safe(value)
    return _dump(safe), changed


def _json_text(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise NotConvertible("is neither a pickle nor JSON text") from None


def xcom_to_json(raw: bytes) -> Tuple[str, bool]:
    """An Airflow 2 XCom value (JSON text in bytes) as JSON text; a pickle is NotConvertible."""
    if raw[:1] == bytes([PICKLE_PROTOCOL_2_AND_LATER]):
        raise NotConvertible("is a pickle (enable_xcom_pickling)")
    safe, changed = json_safe(_json_text(raw))
    return _dump(safe), changed


CONVERTERS = {"pickle-json": pickle_to_json, "xcom-json": xcom_to_json}

# The common case in SQL: bytes that are UTF-8 JSON text jsonb accepts as they are. Others go
# through Python (pickles, NaN, NUL escapes, broken text). Lives in pg_temp for the session.
_SQL_FAST_PATH = """
CREATE OR REPLACE FUNCTION pg_temp.mm_json_bytes(v bytea) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF v IS NULL OR length(v) = 0 OR get_byte(v, 0) = 128 THEN RETURN NULL; END IF;
  RETURN (convert_from(v, 'UTF8')::jsonb)::text;
EXCEPTION WHEN others THEN RETURN NULL;
END $$
"""


# Pickles of an empty dict (protocols 4 and 5): the conf of most runs, converted in SQL.
_EMPTY_DICT_PICKLES = (b"\x80\x04}\x94.", b"\x80\x05}\x94.")
_BATCH = 1000


def _decode_staged(value: Any) -> bytes:
    return bytes(value)  # bytea: psycopg2 reads a memoryview


def convert_columns(
    conn: Any, spec: TableSpec, plan: TablePlan, staging: str, key_columns: List[str]
) -> Optional[Dict[str, Any]]:
    """Fills the staging columns of the plan's CONVERT columns; returns what did not convert (or
    was adjusted) per column, None when the plan converts nothing. Rows left out are deleted
    from staging; their keys are in the result."""
    columns = [c for c in plan.columns if c.kind == CONVERT]
    if not columns:
        return None
    outcome: Dict[str, Any] = {}
    with conn.cursor() as cur:
        cur.execute(_SQL_FAST_PATH)
        for column in columns:
            source = column.source or column.target
            conversion = spec.conversions[column.target]
            target = codec.quote_ident(converted_column(source))
            value = "s.%s" % codec.quote_ident(source)
            cur.execute("ALTER TABLE %s ADD COLUMN %s text" % (staging, target))
            if conversion.converter == "xcom-json":
                cur.execute("UPDATE %s s SET %s = pg_temp.mm_json_bytes(%s)" % (staging, target, value))
            else:
                cur.execute(
                    "UPDATE %s s SET %s = '{}' WHERE %s = ANY(%%s)" % (staging, target, value),
                    (list(_EMPTY_DICT_PICKLES),),
                )
            keys = ", ".join("s.%s::text" % codec.quote_ident(k) for k in key_columns)
            cur.execute(
                "SELECT s.ctid, %s, s.%s FROM %s s WHERE %s IS NOT NULL AND s.%s IS NULL"
                % (keys, codec.quote_ident(source), staging, value, target)
            )
            pending = cur.fetchall()
            outcome[column.target] = _convert_rows(cur, staging, target, conversion, key_columns, pending)
    return {name: found for name, found in outcome.items() if found["rows"] or found["adjusted"]} or None


def _convert_rows(
    cur: Any, staging: str, target: str, conversion: Conversion, key_columns: List[str], pending: List[tuple]
) -> Dict[str, Any]:
    from psycopg2.extras import execute_values

    convert = CONVERTERS[conversion.converter]
    failed: List[Dict[str, Any]] = []
    adjusted: List[Dict[str, str]] = []
    converted: List[Tuple[str, str]] = []
    for row in pending:
        ctid, key, raw = row[0], dict(zip(key_columns, row[1:-1])), row[-1]
        try:
            text, changed = convert(_decode_staged(raw))
        except NotConvertible as why:
            failed.append({"key": key, "ctid": ctid, "why": str(why)})
            continue
        converted.append((ctid, text))
        if changed:
            adjusted.append(key)
    for start in range(0, len(converted), _BATCH):
        execute_values(
            cur,
            "UPDATE %s s SET %s = v.doc FROM (VALUES %%s) AS v(row_id, doc) WHERE s.ctid = v.row_id::tid"
            % (staging, target),
            converted[start : start + _BATCH],
        )
    if failed and conversion.unconvertible != CLEAR_VALUE:
        cur.execute("DELETE FROM %s WHERE ctid = ANY(%%s::tid[])" % staging, ([f["ctid"] for f in failed],))
    return {
        "rows": len(failed),
        "leftOut": conversion.unconvertible != CLEAR_VALUE,
        "reason": conversion.reason,
        "values": [{"key": f["key"], "why": f["why"]} for f in failed[:NAMED]],
        "adjusted": len(adjusted),
        "adjustedKeys": adjusted[:NAMED],
    }
