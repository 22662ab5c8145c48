"""How values travel in the bundle: one JSON object per row, typed by the manifest.

The manifest names each column's portable type. Values are encoded as:
- text, integer, float, boolean: the JSON scalar;
- timestamp: ISO-8601 string in UTC with offset, e.g. "2024-05-01T06:00:00.123456+00:00"
  (columns without a time zone are read as UTC);
- bytes (pickles, XCom values, executor_config): {"$b64": "<standard base64>"};
- json-text: a json/jsonb column's document as a JSON string, exactly as PostgreSQL
  stores it (number forms, key order, spacing, escapes; SQL NULL stays distinct
  from the JSON document null);
- SQL NULL: JSON null, for every type.

The export has PostgreSQL build each line (row_to_json) so that rows never pass
through Python one by one; the same rules are implemented in Python for the few
tables whose secrets must be decrypted on the way.
"""

import base64
import datetime
import json
from typing import Any, Dict, List, Tuple

B64_TAG = "$b64"

# PostgreSQL data_type (information_schema) -> portable type.
_PG_TO_PORTABLE = {
    "smallint": "integer",
    "integer": "integer",
    "bigint": "integer",
    "double precision": "float",
    "real": "float",
    "numeric": "float",
    "boolean": "boolean",
    "timestamp with time zone": "timestamp",
    "timestamp without time zone": "timestamp",
    "bytea": "bytes",
    "json": "json-text",
    "jsonb": "json-text",
    "character varying": "text",
    "character": "text",
    "text": "text",
    "uuid": "uuid",
}

# Portable type -> column type of the import's typed staging table.
_STAGE_TYPES = {
    "integer": "bigint",
    "float": "double precision",
    "boolean": "boolean",
    "timestamp": "timestamptz",
    "bytes": "jsonb",
    "json-text": "text",
    # Bundles written before json-text carried the parsed document.
    "json": "jsonb",
    "text": "text",
    "uuid": "uuid",
}


def portable_type(table: str, column: str, pg_type: str) -> str:
    try:
        return _PG_TO_PORTABLE[pg_type]
    except KeyError:
        raise ValueError(
            "%s.%s has type %r, which the bundle format cannot carry; "
            "add it to codec._PG_TO_PORTABLE" % (table, column, pg_type)
        ) from None


def stage_type(portable: str) -> str:
    try:
        return _STAGE_TYPES[portable]
    except KeyError:
        raise ValueError("unknown portable type %r in the manifest" % portable) from None


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def export_expression(alias: str, column: str, pg_type: str) -> str:
    """SQL that yields the column's bundle value, for use inside row_to_json."""
    ref = "%s.%s" % (alias, quote_ident(column))
    if pg_type == "timestamp without time zone":
        return "(%s AT TIME ZONE 'UTC')" % ref
    if pg_type in ("json", "jsonb"):
        # As text: row_to_json would embed the document, and a reader would parse it.
        return "%s::text" % ref
    if pg_type == "bytea":
        return (
            "CASE WHEN %s IS NULL THEN NULL ELSE json_build_object('%s', "
            "translate(encode(%s, 'base64'), E'\\n', '')) END" % (ref, B64_TAG, ref)
        )
    return ref


def encode_value(value: Any, portable: str) -> Any:
    """Python-side encoding, identical in meaning to export_expression."""
    if value is None:
        return None
    if portable == "timestamp":
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).isoformat()
    if portable == "bytes":
        return {B64_TAG: base64.b64encode(bytes(value)).decode("ascii")}
    return value


def decode_value(value: Any, portable: str) -> Any:
    if value is None:
        return None
    if portable == "timestamp":
        return datetime.datetime.fromisoformat(value)
    if portable == "bytes":
        if not isinstance(value, dict) or B64_TAG not in value:
            raise ValueError("a bytes value must be an object {%r: ...}, got %r" % (B64_TAG, value))
        return base64.b64decode(value[B64_TAG])
    return value


def dump_line(row: Dict[str, Any]) -> bytes:
    # ensure_ascii keeps every control character escaped, so a line never holds
    # a raw byte below 0x20 (the import's COPY relies on that).
    return json.dumps(row, separators=(",", ":"), ensure_ascii=True).encode("ascii") + b"\n"


def columns_with_types(columns: List[Dict[str, str]]) -> List[Tuple[str, str]]:
    return [(c["name"], c["type"]) for c in columns]
