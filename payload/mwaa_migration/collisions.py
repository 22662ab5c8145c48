"""New rows that would take a unique key another row of the target holds.

The natural key decides whether the target has a row already; the target's other
unique keys can still refuse a new row: dag_run's (dag_id, execution_date) when
the target's scheduler ran the same interval under its own run id before the
import. ON CONFLICT DO NOTHING would drop such a row without a word, so each is
found first and the import fails naming both rows and the key.
"""

from typing import Any, List, Tuple

from . import db
from .errors import ImportFailed
from .load_sql import TableLoad, ident
from .mapping import COPY, DERIVE, REMAP

# Columns whose target value the import decides (others the target fills itself).
_CARRIED = (COPY, REMAP, DERIVE)

# How many colliding rows an error message names.
_NAMED = 20


def check_unique_keys(conn: Any, load: TableLoad, unique_indexes: List[Tuple[str, List[str]]]) -> None:
    """A new row may not take a unique key that a different row of the target holds.

    unique_indexes: the target table's (db.unique_indexes)."""
    keys = [c.target for c in load.plan.key_columns(load.spec)]
    by_target = load.plan.by_target()
    for name, columns in unique_indexes:
        columns = list(columns)
        if set(columns) >= set(keys) or any(c not in by_target or by_target[c].kind not in _CARRIED for c in columns):
            continue  # the natural key (or wider), or a column the target fills itself

        def values(names: List[str]) -> str:
            return ", ".join("(%s)::text" % load.expression(by_target[c]) for c in names)

        rows = db.rows(
            conn,
            "SELECT %s, %s, %s FROM %s s %s JOIN %s y ON %s WHERE %s AND %s LIMIT %d"
            % (
                values(columns),
                values(keys),
                ", ".join("y.%s::text" % ident(c) for c in keys),
                load.rows,
                load.joins(strict=False),
                load.spec.name,
                " AND ".join("y.%s = %s" % (ident(c), load.expression(by_target[c])) for c in columns),
                load.eligible(),
                load.missing(),
                _NAMED,
            ),
        )
        if rows:
            raise ImportFailed(
                "table %s: %d row(s) of the bundle take unique key %s (%s) that another row of the target "
                "already holds: %s. Nothing was imported. The target made these rows itself before the import "
                "(for runs: its scheduler or a trigger); delete them on the target and import again"
                % (load.spec.name, len(rows), name, ", ".join(columns), "; ".join(_clash(columns, keys, r) for r in rows))
            )


def _pairs(names: List[str], values: tuple) -> str:
    return ", ".join("%s=%s" % pair for pair in zip(names, values))


def _clash(columns: List[str], keys: List[str], row: tuple) -> str:
    n, k = len(columns), len(keys)
    return "%s: the bundle's (%s), the target's (%s)" % (
        _pairs(columns, row[:n]), _pairs(keys, row[n : n + k]), _pairs(keys, row[n + k :]))
