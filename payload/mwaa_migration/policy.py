"""Pools, variables and connections: through Python, for the conflict policy and Fernet.

A row the target does not have is inserted; one it has with the same values counts
as already present; one it has with other values is a conflict, settled by the
conflict policy: skip (keep the target's), overwrite (take the bundle's) or fail.
Secrets are compared in clear text and written encrypted with the target's key.
"""

from typing import Any, Dict, List, Optional

from . import bundle, codec, db
from .errors import ImportFailed, PolicyConflict
from .load_sql import ident
from .mapping import COPY, DERIVE, REMAP, ColumnPlan, TablePlan
from .secrets import Cipher, reveal_row, seal_row
from .spec import TableSpec
from .staging import check_header


def _read_stream(s3: Any, bucket: str, spec: TableSpec, entry: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The stream's rows as Python values (few rows, read whole: secrets never reach a table of the
    target's database in clear text)."""
    reader = bundle.StreamReader(s3, bucket, entry["key"])
    columns = codec.columns_with_types(entry["columns"])
    first = reader.first_line()
    text = reader.read()
    reader.verify(entry["sha256"])
    check_header(spec.name, entry, first)
    rows = []
    for record in codec.parse_records(text.decode("utf-8")):
        if len(record) != len(columns):
            raise ImportFailed(
                "table %s: a row of the stream has %d fields, the manifest %d columns; the bundle is "
                "altered, export again" % (spec.name, len(record), len(columns))
            )
        rows.append({name: codec.decode_value(v, portable) for (name, portable), v in zip(columns, record)})
    if len(rows) != entry["rows"]:
        raise ImportFailed("table %s: %d rows in the stream, %d in the manifest" % (spec.name, len(rows), entry["rows"]))
    return rows


def _existing(conn: Any, spec: TableSpec, copied: List[ColumnPlan], key_cols: List[str], cipher: Cipher) -> Dict[tuple, Dict[str, Any]]:
    """The target's rows by natural key, secrets in clear text."""
    names = [c.target for c in copied]
    existing = {}
    for row in db.rows(conn, "SELECT %s FROM %s" % (", ".join(ident(n) for n in names), spec.name)):
        record = reveal_row(spec, dict(zip(names, row)), cipher)
        existing[tuple(record[k] for k in key_cols)] = record
    return existing


def _insert(conn: Any, table: str, row: Dict[str, Any]) -> None:
    names = list(row)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO %s (%s) VALUES (%s)" % (table, ", ".join(ident(n) for n in names), ", ".join(["%s"] * len(names))),
            [row[n] for n in names],
        )


def _overwrite(conn: Any, table: str, row: Dict[str, Any], key_cols: List[str], key: tuple) -> None:
    names = list(row)
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE %s SET %s WHERE %s"
            % (table, ", ".join("%s = %%s" % ident(n) for n in names), " AND ".join("%s = %%s" % ident(k) for k in key_cols)),
            [row[n] for n in names] + list(key),
        )


def load_policy_table(
    conn: Any,
    s3: Any,
    bucket: str,
    conflict_policy: str,
    spec: TableSpec,
    entry: Dict[str, Any],
    plan: TablePlan,
    target: Dict[str, db.Column],
    cipher: Cipher,
) -> Dict[str, Any]:
    """Loads the table by the conflict policy; returns its counts."""
    incoming = _read_stream(s3, bucket, spec, entry)
    for column in plan.columns:
        if column.kind in (REMAP, DERIVE):
            raise ImportFailed("table %s: %s columns are not supported for policy tables" % (spec.name, column.kind))
    copied = [c for c in plan.columns if c.kind == COPY]
    flags = {s.flag for s in spec.secrets}
    values = [c for c in copied if c.target not in flags]
    key_cols = [c.target for c in plan.key_columns(spec)]
    existing = _existing(conn, spec, copied, key_cols, cipher)

    counts = {"staged": len(incoming), "inserted": 0, "alreadyPresent": 0, "conflicts": 0, "overwritten": 0}
    conflicts = []
    for source_row in incoming:
        row = {c.target: source_row.get(c.source or c.target) for c in values}
        key = tuple(row[k] for k in key_cols)
        current = existing.get(key)
        if current is not None and all(current.get(c.target) == row[c.target] for c in values):
            counts["alreadyPresent"] += 1
            continue
        sealed = seal_row(spec, row, cipher, target)
        if current is None:
            _insert(conn, spec.name, sealed)
            counts["inserted"] += 1
            continue
        counts["conflicts"] += 1
        conflicts.append("/".join(str(k) for k in key))
        if conflict_policy == "overwrite":
            _overwrite(conn, spec.name, sealed, key_cols, key)
            counts["overwritten"] += 1
    # Names only: the values may be secrets. Under policy fail the caller raises once
    # for every table's conflicts (conflict_error).
    counts["conflictKeys"] = sorted(conflicts)
    return counts


def conflict_error(conflicts: Dict[str, List[str]]) -> Optional[PolicyConflict]:
    """One error naming every conflicting pool, variable and connection; None without any."""
    named = ["%s %s" % (table, ", ".join(keys)) for table, keys in sorted(conflicts.items()) if keys]
    if not named:
        return None
    return PolicyConflict(
        "%d entries already exist on the target with other values (%s); nothing was imported. Choose "
        "conflictPolicy skip (keep the target's) or overwrite (take the source's)"
        % (sum(len(keys) for keys in conflicts.values()), "; ".join(named))
    )
