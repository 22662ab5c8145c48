"""Source columns (from the manifest) to target columns (reflected): a plan.

The plan is data: for every target column, where its value comes from. It is
built from the table spec and the two column lists alone, so a version pair is
supported when its plan builds, and an unknown difference fails here, before
any row moves, with a message that names the table, the column and the fix.
"""

import re
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from . import codec
from .db import Column
from .spec import TableSpec

# ColumnPlan.kind
COPY = "copy"  # the source column's value (possibly renamed)
REMAP = "remap"  # a surrogate id of another table, translated through its map
SURROGATE = "surrogate"  # this table's own id, from its map (or the target's sequence)
DERIVE = "derive"  # an SQL expression over source columns (spec.derivations)
CLEAR = "clear"  # not migrated: NULL
DEFAULT = "default"  # new on the target: left to the column's default / NULL


class ColumnPlan(NamedTuple):
    target: str
    kind: str
    source: Optional[str] = None  # source column for COPY / REMAP
    portable: Optional[str] = None  # source portable type for COPY / REMAP
    referenced: Optional[str] = None  # REMAP: the referenced table
    expression: Optional[str] = None  # DERIVE: SQL with {column} placeholders


class TablePlan(NamedTuple):
    table: str
    columns: List[ColumnPlan]
    dropped: List[str]  # source columns the target no longer has

    def inserted(self) -> List[ColumnPlan]:
        return [c for c in self.columns if c.kind not in (DEFAULT,)]

    def by_target(self) -> Dict[str, ColumnPlan]:
        return {c.target: c for c in self.columns}

    def key_columns(self, spec: TableSpec) -> List[ColumnPlan]:
        """The natural key in target terms (a renamed key column follows its rename)."""
        plans = []
        for key in spec.natural_key:
            found = [c for c in self.columns if c.target == key or c.source == key]
            if not found or found[0].kind in (DEFAULT, CLEAR):
                raise MappingError(
                    "%s: natural key column %r is missing on the source or the target; "
                    "add a rename for it in spec.py" % (spec.name, key)
                )
            plans.append(found[0])
        return plans


class MappingError(ValueError):
    pass


_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def _rename_source(spec: TableSpec, target_column: str, source: Dict[str, str], target: Dict[str, Column]) -> Optional[str]:
    for rename in spec.renames:
        if rename.new == target_column and rename.old in source and rename.old not in target:
            return rename.old
        if rename.old == target_column and rename.new in source and rename.new not in target:
            return rename.new
    return None


def plan_table(spec: TableSpec, source_columns: Sequence[Tuple[str, str]], target_columns: Sequence[Column]) -> TablePlan:
    source = dict(source_columns)  # name -> portable type
    target = {c.name: c for c in target_columns}
    used = set()
    plans: List[ColumnPlan] = []
    for column in target_columns:
        name = column.name
        if name == spec.surrogate:
            plans.append(ColumnPlan(name, SURROGATE))
            used.add(name)
            continue
        if name in spec.cleared:
            if not column.nullable and not column.has_default:
                raise MappingError(
                    "%s.%s is cleared on import but NOT NULL on the target; "
                    "give it a derivation in spec.py" % (spec.name, name)
                )
            plans.append(ColumnPlan(name, CLEAR))
            used.add(name)
            continue
        origin = name if name in source else _rename_source(spec, name, source, target)
        if origin is not None:
            used.add(origin)
            portable = source[origin]
            if name in spec.references:
                plans.append(ColumnPlan(name, REMAP, origin, portable, referenced=spec.references[name]))
            else:
                _check_compatible(spec.name, name, portable, column)
                plans.append(ColumnPlan(name, COPY, origin, portable))
            continue
        derivation = spec.derivations.get(name)
        if derivation is not None and all(p in source for p in _PLACEHOLDER.findall(derivation)):
            plans.append(ColumnPlan(name, DERIVE, expression=derivation))
            continue
        if column.nullable or column.has_default:
            plans.append(ColumnPlan(name, DEFAULT))
            continue
        raise MappingError(
            "%s.%s is NOT NULL on the target, has no default and no source column maps to it "
            "(source columns: %s); add a rename or derivation for it in spec.py"
            % (spec.name, name, ", ".join(sorted(source)))
        )
    for name in spec.cleared:
        used.add(name)
    dropped = sorted(n for n in source if n not in used and n not in target)
    return TablePlan(spec.name, plans, dropped)


# Which target base types (udt_name) can take a value of each portable type.
_COMPATIBLE = {
    "integer": {"int2", "int4", "int8", "float4", "float8", "numeric"},
    "float": {"float4", "float8", "numeric"},
    "boolean": {"bool"},
    "timestamp": {"timestamptz", "timestamp"},
    "bytes": {"bytea"},
    "json-text": {"json", "jsonb"},
    "json": {"json", "jsonb"},
    "text": {"varchar", "text", "bpchar"},
}


def _check_compatible(table: str, column: str, portable: str, target: Column) -> None:
    allowed = _COMPATIBLE.get(portable, set())
    if target.udt_name not in allowed:
        raise MappingError(
            "%s.%s is %s in the bundle but %s on the target; add a derivation that converts it in spec.py"
            % (table, column, portable, target.data_type)
        )


def value_expression(plan: ColumnPlan, target: Column, alias: str = "s") -> str:
    """SQL producing the target value of a COPY column from the typed staging row."""
    ref = "%s.%s" % (alias, codec.quote_ident(plan.source or plan.target))
    if plan.portable == "bytes":
        return "decode(%s->>'%s', 'base64')" % (ref, codec.B64_TAG)
    if plan.portable in ("json-text", "json"):
        return "%s::%s" % (ref, target.udt_name)
    return ref


def derivation_expression(plan: ColumnPlan, alias: str = "s") -> str:
    assert plan.expression is not None
    return _PLACEHOLDER.sub(lambda m: "%s.%s" % (alias, codec.quote_ident(m.group(1))), plan.expression)
