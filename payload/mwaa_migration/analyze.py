"""Where the import gathers planner statistics (ANALYZE), decided from the plan and the specs.

An ANALYZE reads a sample of the table and computes statistics for every column it is
given: on task_instance at a quarter of the benchmark's size, about a quarter of a second
for all columns. The import's statements join and filter staged rows on a few columns only
(the natural key, the ids it remaps, the DAG), and only some target tables are read again
by the loads that follow them in the same import: those are what the statistics are for.
"""

from typing import Dict, Iterable, List

from .load_sql import TableLoad
from .mapping import REMAP
from .spec import TableSpec

# Target tables read after every table has loaded (the run counts and the schedules).
READ_AFTER_THE_LOADS = ("dag_run",)


def staging_columns(load: TableLoad) -> List[str]:
    """The staged columns the load's statements join and filter on, in the staged table."""
    wanted = list(load.key_source_columns()) + ["dag_id", "run_id"]
    if load.spec.surrogate:
        wanted.append(load.spec.surrogate)  # the table's own id map
    for column in load.plan.columns:
        if column.kind == REMAP and column.source:
            wanted.append(column.source)
        if column.lookup is not None:
            wanted.append(column.lookup.key)
    wanted.extend(load.spec.run_key)
    chosen: List[str] = []
    for name in wanted:
        if name in load.staged and name not in chosen:
            chosen.append(name)
    return chosen


def reads(spec: TableSpec) -> List[str]:
    """The target tables a load of this spec reads besides its own: the tables it refers to, and
    those its derivations need."""
    names = list(spec.references.values()) + list(spec.key_references.values())
    for entry in spec.derivations.values():
        choices = entry if isinstance(entry, tuple) else (entry,)
        for choice in choices:
            names.extend(need.split(".", 1)[0] for need in getattr(choice, "target_needs", ()))
    return names


def analyze_after_load(name: str, later: Iterable[TableSpec], rows: Dict[str, int]) -> bool:
    """Whether the target table should get fresh statistics once this import has loaded it:
    when a later table of the import with rows in the bundle (rows: per table) reads it, or the
    import reads it after the loads. Its statistics otherwise come from autovacuum after the
    commit, as for any table that grew."""
    if name in READ_AFTER_THE_LOADS:
        return True
    return any(rows.get(spec.name, 0) and name in reads(spec) for spec in later)
