"""Row-by-row comparison of a source's history with an Airflow 3 target's, matched on natural keys.

A column the two versions store alike is compared as PostgreSQL prints it (exact text); one whose
type changed (pickled conf and bytes XComs to JSON, timestamp to timestamptz, json to jsonb) is
compared by value, the source's value converted by the import's own documented rules
(mwaa_migration.convert). Renamed columns (execution_date) and renamed values (dataset_triggered)
follow the spec. Ids and references to ids differ by design and are not compared.
"""

import datetime
import json
from typing import Any, Dict, List, Optional, Set, Tuple

import support
from mwaa_local import AirflowEnv
from mwaa_migration import convert
from mwaa_migration.spec import UNFINISHED_TI_STATES, table_spec

TI_KEY = ("dag_id", "task_id", "run_id", "map_index")
TABLES = (
    "dag_run",
    "task_instance",
    "task_instance_history",
    "task_reschedule",
    "xcom",
    "rendered_task_instance_fields",
    "dag_run_note",
    "task_instance_note",
    "log",
    "job",
)
# The target writes rows of these itself (its own jobs, audit log entries of its API calls).
TARGET_WRITES_TOO = ("log", "job")
NOT_COMPARED = support.NOT_COMPARED | {
    "task_instance_id",
    "ti_id",
    "dag_version_id",
    "created_dag_version_id",
    "scheduled_by_job_id",
    "backfill_id",
    "bundle_version",
}
CONVERTERS = {("dag_run", "conf"): convert.pickle_to_json, ("xcom", "value"): convert.xcom_to_json}


def _columns(env: AirflowEnv, table: str) -> Dict[str, str]:
    return dict(
        env.query(
            "SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = 'public'"
            " AND table_name = %s ORDER BY ordinal_position",
            (table,),
        )
    )


def _relation(table: str, columns: Dict[str, str], keyed: Optional[Set[str]] = None) -> Tuple[str, List[str]]:
    """FROM ... (alias t, the row's task instance as k where it names it by id) and its key expressions;
    keyed: the key columns both sides have (Airflow 3 keeps no try number for a reschedule)."""
    spec = table_spec(table)
    key = [c for c in spec.natural_key if keyed is None or c in keyed or c in TI_KEY]
    if table == "dag_run_note":
        return "dag_run_note t JOIN dag_run k ON k.id = t.dag_run_id", ["k.dag_id", "k.run_id"]
    if "ti_id" in columns and "dag_id" not in columns:
        rest = [c for c in key if c not in TI_KEY]
        return "%s t JOIN task_instance k ON k.id = t.ti_id" % table, ["k.%s" % c for c in TI_KEY] + [
            "t.%s" % c for c in rest
        ]
    logical = "logical_date" if "logical_date" in columns else "execution_date"
    return table + " t", ["t.%s" % (logical if c == "execution_date" else c) for c in key]


def _scope(table: str, columns: Dict[str, str]) -> str:
    dag = "k.dag_id" if table == "dag_run_note" or ("ti_id" in columns and "dag_id" not in columns) else "t.dag_id"
    where = "%s = ANY(%%s)" % dag
    if table == "task_instance":
        where += " AND (t.state IS NULL OR t.state NOT IN (%s))" % ", ".join("'%s'" % s for s in UNFINISHED_TI_STATES)
    return where


def _utc(value: Any) -> Any:
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc)
    return value


LEFT_OUT = object()


def _normalise(table: str, column: str, value: Any, source: bool) -> Any:
    """A value as the target should hold it; LEFT_OUT for an XCom the import leaves out."""
    if value is None:
        return None
    if source and (table, column) in CONVERTERS and isinstance(value, (bytes, memoryview)):
        try:
            return json.loads(CONVERTERS[(table, column)](bytes(value))[0])
        except convert.NotConvertible:
            # A conf arrives cleared; an XCom is left out (spec.py's conversions).
            return LEFT_OUT if table == "xcom" else None
    if isinstance(value, memoryview):
        return bytes(value)
    return _utc(value)


def _rows(
    env: AirflowEnv, table: str, columns: Dict[str, str], plan: List[Tuple[str, str, str]], source: bool, keyed: Set[str]
):
    relation, key = _relation(table, columns, keyed)
    exprs = []
    for source_name, target_name, mode in plan:
        name = source_name if source else target_name
        exprs.append("t.%s::text" % name if mode == "text" else "t.%s" % name)
    sql = "SELECT %s FROM %s WHERE %s" % (", ".join(["(%s)::text" % k for k in key] + exprs), relation, _scope(table, columns))
    found = {}
    for row in env.query(sql, (list(support.COMPARED_DAGS),)):
        values = []
        for (source_name, target_name, mode), value in zip(plan, row[len(key):]):
            if mode == "value":
                value = _normalise(table, target_name, value, source)
            if source and target_name == "run_type" and value == "dataset_triggered":
                value = "asset_triggered"
            values.append(value)
        if LEFT_OUT not in values:
            found[tuple(row[: len(key)])] = values
    return found


def _plan(table: str, source_columns: Dict[str, str], target_columns: Dict[str, str]) -> List[Tuple[str, str, str]]:
    """(source name, target name, "text" or "value") of every compared column."""
    renames = {r.old: r.new for r in table_spec(table).renames if r.old in source_columns and r.new in target_columns}
    plan = []
    for name, udt in source_columns.items():
        target_name = renames.get(name, name)
        if target_name not in target_columns or name in NOT_COMPARED or target_name in NOT_COMPARED:
            continue
        same = udt == target_columns[target_name] and (table, target_name) not in CONVERTERS
        plan.append((name, target_name, "text" if same else "value"))
    return plan


def left_out_task_instances(report: Dict[str, Any]) -> Set[Tuple[str, ...]]:
    """Task instances the import left out as unstorable, by key as text."""
    found = report["tables"].get("task_instance", {}).get("unstorableRowsLeftOut", {}).get("values", [])
    return {tuple(str(value["key"][k]) for k in TI_KEY) for value in found}


def differences(source: AirflowEnv, target: AirflowEnv, report: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Per table: keys the target lacks, keys only the target has, values that differ (by column)."""
    skipped = left_out_task_instances(report) if report else set()
    problems: Dict[str, Any] = {}
    for table in TABLES:
        source_columns, target_columns = _columns(source, table), _columns(target, table)
        if not source_columns or not target_columns:
            continue
        plan = _plan(table, source_columns, target_columns)
        keyed = {target for _, target, _ in plan} | {"execution_date"}
        left = _rows(source, table, source_columns, plan, True, keyed)
        right = _rows(target, table, target_columns, plan, False, keyed)
        if table in ("log",):
            # An audit log row of a left-out task instance stays out with it (history.py).
            tasks = {(k[0], k[1]) for k in skipped}
            left = {k: v for k, v in left.items() if (k[2], k[3]) not in tasks}
        elif table not in ("job", "dag_run", "dag_run_note"):
            left = {k: v for k, v in left.items() if k[:4] not in skipped}
        found: Dict[str, Any] = {}
        missing = sorted(k for k in left if k not in right)
        extra = sorted(k for k in right if k not in left) if table not in TARGET_WRITES_TOO else []
        different: Dict[str, List[Any]] = {}
        for key in left.keys() & right.keys():
            for (_, name, _mode), mine, theirs in zip(plan, left[key], right[key]):
                if mine != theirs:
                    different.setdefault(name, []).append((key, str(mine)[:120], str(theirs)[:120]))
        if missing:
            found["missing"] = missing[:10]
        if extra:
            found["extra"] = extra[:10]
        if different:
            found["different"] = different
        if found:
            problems[table] = found
    return problems


def compared_counts(env: AirflowEnv) -> Dict[str, int]:
    """Rows per history table of the compared DAGs (to show the comparison had rows to compare)."""
    counts = {}
    for table in TABLES:
        columns = _columns(env, table)
        if columns:
            relation, _ = _relation(table, columns)
            counts[table] = env.query(
                "SELECT count(*) FROM %s WHERE %s" % (relation, _scope(table, columns)), (list(support.COMPARED_DAGS),)
            )[0][0]
    return counts
