"""The import report (import-report.json beside the manifest): what the import did.

Per table the rows staged, inserted, already present and updated, the columns the
mapping dropped, defaulted or derived, and the time per step; per DAG the runs;
the DAGs the target lacks. Written whether the import succeeded or failed.
"""

import datetime
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Set

from . import bundle, db
from .convert import ADJUSTED
from .mapping import CLEAR, DEFAULT, DERIVE, TablePlan
from .spec import TableSpec


class StepClock:
    """Wall time per step of a table's load, for the report (where an import spends its time)."""

    def __init__(self) -> None:
        self.laps: Dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, step: str) -> None:
        now = time.monotonic()
        self.laps[step] = round(now - self._last, 3)
        self._last = now


def new_report(
    export_id: str,
    manifest: Dict[str, Any],
    airflow_version: Optional[str],
    conflict_policy: str,
    run_id: Optional[str] = None,
) -> Dict[str, Any]:
    return {
        "exportId": export_id,
        "runId": run_id,
        "phase": manifest.get("phase"),
        "source": manifest.get("source"),
        "target": {"airflowVersion": airflow_version},
        "conflictPolicy": conflict_policy,
        # What the export left on the source (unfinished runs and task instances).
        "skipped": manifest.get("skipped"),
        "tables": {},
        "status": "failed",
    }


NOT_ON_TARGET = "the target's schema has no such column"
REPLACED_BY_TARGET = "the target's own value is used (a DAG version the target parsed)"


def dropped_columns(spec: TableSpec, plan: TablePlan) -> Dict[str, str]:
    """Source columns whose values do not reach the target, each with why."""
    dropped = {name: NOT_ON_TARGET for name in plan.dropped}
    dropped.update({c.target: spec.cleared[c.target] for c in plan.columns if c.kind == CLEAR})
    dropped.update({name: REPLACED_BY_TARGET for name in plan.replaced})
    return dict(sorted(dropped.items()))


def not_held_summary(tables: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    """Per table, what the target cannot hold as the bundle has it: a table it does not have, values
    its types cannot take (left out or cleared), columns it has no place for."""
    summary: Dict[str, Any] = {}
    for name, counts in sorted(tables.items()):
        entry: Dict[str, Any] = {}
        if counts.get("notHeldByTarget"):
            entry["rows"] = counts["notHeldByTarget"]
            entry["reason"] = counts.get("reason")
        for column, found in sorted((counts.get("unconvertedValues") or {}).items()):
            values: Dict[str, Any] = {}
            if found["rows"]:
                values.update(rows=found["rows"], leftOut=found["leftOut"], reason=found["reason"])
            if found["adjusted"]:
                values.update(adjusted=found["adjusted"], adjustedReason=ADJUSTED)
            entry.setdefault("values", {})[column] = values
        if counts.get("unstorableRowsLeftOut"):
            entry["unstorableRowsLeftOut"] = counts["unstorableRowsLeftOut"]["rows"]
        if counts.get("droppedColumns"):
            entry["columns"] = counts["droppedColumns"]
        if entry:
            summary[name] = entry
    return summary


def add_columns(counts: Dict[str, Any], spec: TableSpec, plan: TablePlan) -> Dict[str, Any]:
    """The table's counts with what the column plan did beyond copying."""
    counts["droppedColumns"] = dropped_columns(spec, plan)
    counts["defaultedColumns"] = [c.target for c in plan.columns if c.kind == DEFAULT]
    counts["derivedColumns"] = [c.target for c in plan.columns if c.kind == DERIVE]
    return counts


def table_line(name: str, counts: Dict[str, Any], seconds: float) -> str:
    return "imported %-30s %10d staged %10d inserted %10d updated %10d present %8.1f s" % (
        name,
        counts["staged"],
        counts["inserted"],
        counts.get("updated", 0),
        counts["alreadyPresent"],
        seconds,
    )


def run_counts(conn: Any) -> Dict[str, Dict[str, int]]:
    """Per DAG: runs in the bundle, imported (now on the target), newly inserted."""
    rows = db.rows(
        conn,
        "SELECT s.dag_id, count(*), count(m.src_id), count(*) FILTER (WHERE m.src_id IS NOT NULL AND m.existing_id IS NULL)"
        " FROM mm_rows_dag_run s LEFT JOIN mm_map_dag_run m ON m.src_id = s.id GROUP BY 1 ORDER BY 1",
    )
    return {d: {"runs": int(n), "imported": int(e), "inserted": int(i)} for d, n, e, i in rows}


def missing_dags(manifest: Dict[str, Any], runs: Iterable[str], target_dags: Set[str]) -> List[str]:
    """DAGs of the source (listed in the manifest or with runs in the bundle) the target lacks."""
    source_dags = {d["dagId"] for d in manifest.get("dags", [])} | set(runs)
    return sorted(source_dags - target_dags)


def dags_section(runs: Dict[str, Dict[str, int]], missing: List[str], orphans_imported: bool) -> Dict[str, Any]:
    return {"runs": runs, "missingOnTarget": missing, "orphanHistoryImported": orphans_imported}


def finish(
    report: Dict[str, Any],
    started: float,
    s3: Any,
    bucket: str,
    key: str,
    kms_key_id: Optional[str],
    log: Callable[[str], None],
) -> None:
    """Stamps the report and writes it; a failure to write is logged, never raised."""
    report["elapsedSeconds"] = round(time.monotonic() - started, 3)
    report["finishedAt"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
    try:
        bundle.put_json(s3, bucket, key, report, kms_key_id)
    except Exception as error:  # noqa: BLE001 - never hide the import's own outcome
        log("could not write the import report: %s" % error)
