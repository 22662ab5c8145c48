"""How values travel in the bundle: one CSV stream per table, typed by the manifest.

Each stream is CSV as PostgreSQL's COPY writes it (FORMAT csv, HEADER): a header line
naming the columns in the manifest's order, then one record per row, fields separated
by commas, a field quoted with double quotes (a quote inside doubled) when it holds a
comma, a quote, a line break or nothing at all. The manifest names each column's
portable type, and values are PostgreSQL's text forms, which the import's COPY reads
straight into typed staging columns:
- text, json-text: the characters as stored (a json/jsonb column's document exactly as
  PostgreSQL stores it: number forms, key order, spacing, escapes);
- integer, float: decimal, floats with as many digits as round-trip exactly;
- boolean: t / f;
- timestamp: ISO 8601 in UTC, "2024-05-01 06:00:00.123456+00" (columns without a time
  zone are read as UTC);
- bytes (pickles, XCom values, executor_config): \\x and two hex digits per byte;
- uuid: its canonical text;
- SQL NULL: an empty field without quotes, for every type (an empty text is "").

The export has PostgreSQL write the stream (COPY ... TO STDOUT) so that rows never pass
through Python one by one; the same rules are implemented in Python for the few tables
whose secrets are decrypted on the way (and read by the import in Python).
"""

import datetime
import re
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

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
    "bytes": "bytea",
    "json-text": "text",
    # Manifests written before json-text named a json/jsonb column so.
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


# Session settings under which PostgreSQL writes every value in the form above, whatever
# the server's or the role's defaults: UTC ISO timestamps, hex bytea, floats that round-trip.
EXPORT_SETTINGS = (
    "SET TIME ZONE 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET bytea_output = 'hex'",
    "SET extra_float_digits = 3",
)

# COPY options of a table stream, for writing (TO STDOUT) and reading (FROM STDIN, after
# the import has checked the header line itself).
COPY_OUT = "WITH (FORMAT csv, HEADER)"
COPY_IN = "WITH (FORMAT csv)"


def export_expression(alias: str, column: str, pg_type: str) -> str:
    """SQL that yields the column's bundle value (its text form under EXPORT_SETTINGS)."""
    ref = "%s.%s" % (alias, quote_ident(column))
    if pg_type == "timestamp without time zone":
        return "(%s AT TIME ZONE 'UTC')" % ref
    if pg_type in ("json", "jsonb"):
        return "%s::text" % ref
    return ref


# --- Python's side of the same rules (secret tables) ---------------------------------------

_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def csv_field(text: Optional[str]) -> str:
    """One field: empty for NULL, quoted when it holds a delimiter, quote or line break, or is empty."""
    if text is None:
        return ""
    if text == "" or _NEEDS_QUOTES.search(text) or text == "\\.":
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_record(fields: Sequence[Optional[str]]) -> bytes:
    return (",".join(csv_field(f) for f in fields) + "\n").encode("utf-8")


def header(names: Sequence[str]) -> bytes:
    """The stream's first line for these columns, as COPY ... HEADER writes it."""
    return csv_record(list(names))


def encode_value(value: Any, portable: str) -> Optional[str]:
    """A Python value (as psycopg2 reads it) as its text in the stream; None for NULL."""
    if value is None:
        return None
    if portable == "timestamp":
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).isoformat(sep=" ")
    if portable == "bytes":
        return "\\x" + bytes(value).hex()
    if portable == "boolean":
        return "t" if value else "f"
    if portable == "float":
        return repr(float(value))
    return str(value)


_TRUE = {"t", "true", "y", "yes", "on", "1"}
_FALSE = {"f", "false", "n", "no", "off", "0"}
# PostgreSQL's "2024-05-01 06:00:00.12+00": the fraction as long as needed, the offset in hours.
_PG_TIMESTAMP = re.compile(r"^(.*\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?([+-]\d\d)(?::?(\d\d))?$")


def decode_value(text: Optional[str], portable: str) -> Any:
    """A field of the stream as the Python value psycopg2 would give for its column."""
    if text is None:
        return None
    if portable == "integer":
        return int(text)
    if portable == "float":
        return float(text)
    if portable == "boolean":
        lowered = text.strip().lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE
        raise ValueError("a boolean value must be t or f, got %r" % text)
    if portable == "timestamp":
        # fromisoformat before Python 3.11 wants six digits of fraction and "+00:00".
        match = _PG_TIMESTAMP.match(text)
        if match:
            text = "%s.%s%s:%s" % (match.group(1), (match.group(2) or "").ljust(6, "0"), match.group(3), match.group(4) or "00")
        return datetime.datetime.fromisoformat(text)
    if portable == "bytes":
        if not text.startswith("\\x"):
            raise ValueError("a bytes value must be \\x and hex digits, got %r" % text[:20])
        return bytes.fromhex(text[2:])
    return text


# A field: quoted (quotes doubled inside) or bare, then a comma, a line end or the end.
_FIELD = re.compile(r'(?:"((?:[^"]+|"")*)"|([^,"\r\n]*))(,|\r?\n|$)')


def parse_records(text: str) -> Iterator[List[Optional[str]]]:
    """The records of a CSV stream written by the rules above; a bare empty field is None (NULL)."""
    position, record = 0, []  # type: Tuple[int, List[Optional[str]]]
    while position < len(text):
        match = _FIELD.match(text, position)
        if match is None or match.end() == position and match.group(3) == "":
            raise ValueError("the stream is not CSV as the export writes it (at character %d)" % position)
        quoted, bare, end = match.group(1), match.group(2), match.group(3)
        record.append(quoted.replace('""', '"') if quoted is not None else (bare or None))
        position = match.end()
        if end != ",":
            yield record
            record = []
    if record:  # a last record without its line end, after a comma
        record.append(None)
        yield record


def columns_with_types(columns: List[Dict[str, str]]) -> List[Tuple[str, str]]:
    return [(c["name"], c["type"]) for c in columns]
