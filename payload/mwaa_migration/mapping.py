"""Source columns (from the manifest) to target columns (reflected): a plan.

The plan is data: for every target column, where its value comes from. It is
built from the table spec and the two column lists alone, so a version pair is
supported when its plan builds, and an unknown difference fails here, before
any row moves, with a message that names the table, the column and the fix.
"""

import re
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from . import codec
from .db import Column
from .spec import TABLES, Derivation, Lookup, TableSpec

# ColumnPlan.kind
COPY = "copy"  # the source column's value (possibly renamed)
REMAP = "remap"  # a surrogate id of another table, translated through its map
SURROGATE = "surrogate"  # this table's own id, from its map (or the target's sequence)
DERIVE = "derive"  # an SQL expression over source columns (spec.derivations)
CLEAR = "clear"  # not migrated: NULL
DEFAULT = "default"  # new on the target: left to the column's default / NULL
IDENTITY = "identity"  # the row's own UUID: copied (source) or generated (expression); never updated
CONVERT = "convert"  # the source column's value converted to the target's type (convert.py)

# Whether the target has a table (column None) or a column of it: "dag_run", "logical_date".
TargetHas = Callable[[str, Optional[str]], bool]


class ColumnPlan(NamedTuple):
    target: str
    kind: str
    source: Optional[str] = None  # source column for COPY / REMAP / IDENTITY / CONVERT
    portable: Optional[str] = None  # source portable type for COPY / REMAP
    referenced: Optional[str] = None  # REMAP: the referenced table
    expression: Optional[str] = None  # DERIVE / IDENTITY without source: SQL with {column} placeholders
    value_map: Optional[Dict[str, str]] = None  # COPY: values renamed on the way in
    null_value: Optional[str] = None  # COPY: SQL literal written for NULL (target NOT NULL)
    lookup: Optional[Lookup] = None  # DERIVE: the target's own value (spec.from_target), joined


def converted_column(source: str) -> str:
    """The staging column holding a CONVERT column's converted value (JSON text)."""
    return "mm_conv_" + source


class TablePlan(NamedTuple):
    table: str
    columns: List[ColumnPlan]
    dropped: List[str]  # source columns the target no longer has
    replaced: List[str] = []  # source columns whose value the target's own replaces (from_target)

    def inserted(self) -> List[ColumnPlan]:
        return [c for c in self.columns if c.kind not in (DEFAULT,)]

    def by_target(self) -> Dict[str, ColumnPlan]:
        return {c.target: c for c in self.columns}

    def key_columns(self, spec: TableSpec) -> List[ColumnPlan]:
        """The natural key in target terms (a renamed key column follows its rename; a target that
        names the row's task instance by id takes the spec's key in those terms)."""
        for key in (spec.natural_key,) + spec.target_natural_keys:
            plans = []
            for name in key:
                # A key column known under another name on one side (execution_date, logical_date).
                names = {name} | {r.new for r in spec.renames if r.old == name} | {r.old for r in spec.renames if r.new == name}
                found = [c for c in self.columns if c.target in names or (c.source in names and c.kind != IDENTITY)]
                if not found or found[0].kind in (DEFAULT, CLEAR):
                    break
                plans.append(found[0])
            else:
                return plans
        raise MappingError(
            "%s: the natural key %s is missing on the source or the target; "
            "add a rename or a target_natural_keys entry for it in spec.py" % (spec.name, ", ".join(spec.natural_key))
        )


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


def _derivation(spec: TableSpec, name: str, source: Dict[str, str], target_has: TargetHas) -> Optional[str]:
    """The SQL of the first usable derivation of a target column, or None."""
    entry = spec.derivations.get(name)
    if entry is None:
        return None
    choices = (entry,) if isinstance(entry, (str, Derivation)) else entry
    for choice in choices:
        sql, needs = (choice, ()) if isinstance(choice, str) else (choice.sql, choice.target_needs)
        if not all(p in source for p in _PLACEHOLDER.findall(sql)):
            continue
        if all(target_has(*need.split(".", 1)) for need in needs):
            return sql
    return None


def _natural_key_of(table: str) -> Tuple[str, ...]:
    return next(spec.natural_key for spec in TABLES if spec.name == table)


def _everything(_table: str, _column: Optional[str] = None) -> bool:
    return True


def plan_table(
    spec: TableSpec,
    source_columns: Sequence[Tuple[str, str]],
    target_columns: Sequence[Column],
    target_has: TargetHas = _everything,
) -> TablePlan:
    source = dict(source_columns)  # name -> portable type
    target = {c.name: c for c in target_columns}
    used = set()
    replaced: List[str] = []
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
        if name in spec.from_target:
            plans.append(ColumnPlan(name, DERIVE, lookup=spec.from_target[name]))
            if name in source:
                used.add(name)
                replaced.append(name)
            continue
        if name in spec.identities:
            if name in source:
                used.add(name)
                plans.append(ColumnPlan(name, IDENTITY, name, source[name]))
            else:
                plans.append(ColumnPlan(name, IDENTITY, expression=spec.identities[name]))
            continue
        origin = name if name in source else _rename_source(spec, name, source, target)
        if origin is not None:
            used.add(origin)
            portable = source[origin]
            conversion = spec.conversions.get(name)
            if name in spec.references:
                plans.append(ColumnPlan(name, REMAP, origin, portable, referenced=spec.references[name]))
            elif conversion and conversion.source_type == portable and column.udt_name in conversion.target_types:
                plans.append(ColumnPlan(name, CONVERT, origin, portable))
            else:
                _check_compatible(spec.name, name, portable, column)
                value_map = spec.value_maps.get(name)
                plans.append(
                    ColumnPlan(
                        name,
                        COPY,
                        origin,
                        portable,
                        value_map=value_map.values if value_map and target_has(value_map.target_table, None) else None,
                        null_value=spec.null_values.get(name) if not column.nullable else None,
                    )
                )
            continue
        referenced = spec.key_references.get(name)
        if referenced is not None and all(k in source for k in _natural_key_of(referenced)):
            used.update(_natural_key_of(referenced))
            plans.append(ColumnPlan(name, REMAP, referenced=referenced))
            continue
        derivation = _derivation(spec, name, source, target_has)
        if derivation is not None:
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
    return TablePlan(spec.name, plans, dropped, sorted(replaced))


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
    "uuid": {"uuid"},
}


def _check_compatible(table: str, column: str, portable: str, target: Column) -> None:
    allowed = _COMPATIBLE.get(portable, set())
    if target.udt_name not in allowed:
        raise MappingError(
            "%s.%s is %s in the bundle but %s on the target; add a derivation that converts it in spec.py"
            % (table, column, portable, target.data_type)
        )


def value_expression(plan: ColumnPlan, target: Column, alias: str = "s") -> str:
    """SQL producing the target value of a COPY (or copied IDENTITY) column from the typed staging row."""
    ref = "%s.%s" % (alias, codec.quote_ident(plan.source or plan.target))
    if plan.kind == CONVERT:
        return "%s.%s::%s" % (alias, codec.quote_ident(converted_column(plan.source or "")), target.udt_name)
    if plan.portable in ("json-text", "json"):
        return "%s::%s" % (ref, target.udt_name)
    if plan.value_map:
        cases = " ".join(
            "WHEN %s THEN %s" % (_literal(old), _literal(new)) for old, new in sorted(plan.value_map.items())
        )
        ref = "(CASE %s %s ELSE %s END)" % (ref, cases, ref)
    if plan.null_value is not None:
        ref = "coalesce(%s, %s)" % (ref, plan.null_value)
    return ref


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def derivation_expression(plan: ColumnPlan, alias: str = "s") -> str:
    assert plan.expression is not None
    return _PLACEHOLDER.sub(lambda m: "%s.%s" % (alias, codec.quote_ident(m.group(1))), plan.expression)
