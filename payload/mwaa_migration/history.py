"""History tables (dag_run, task_instance, xcom, log, ...): staged rows into the target.

For each table, in foreign-key order:
1. stage the stream (staging.py) and find values the target cannot store
   (storable.py): fail naming them, or leave their rows out when asked to, with
   every row that follows them (a left-out run takes its task instances along);
2. for tables whose surrogate ids are referenced (job, dag_run, log_template), a map
   from source id to target id: rows the target already has keep theirs (matched by
   natural key), new rows draw from the target's sequence;
3. check the other unique keys of the target: a new row that collides with a row the
   target has (a run at the same logical date under another run id) fails the import
   with both rows named;
4. bring the target up to date: rows whose copy in the bundle is newer (spec
   freshness), and the rows of every run this import inserts or refreshes (spec
   with_run: a task cleared and re-run after the bulk export brings new rendered
   fields, task_fail rows, notes, SLA misses) are updated, and rows of such runs
   that the bundle no longer has are removed;
5. INSERT ... SELECT the rows whose natural key is missing, ON CONFLICT DO NOTHING;
6. reconcile: every eligible staged row must now be on the target.
"""

from typing import Any, Dict, List, Optional

from . import analyze, collisions, convert, db, staging, storable
from .errors import ImportFailed
from .load_sql import MAPPED_TABLES, REFRESHED_RUNS, STALE_RUNS, ImportState, TableLoad, ident, insert_order
from .mapping import REMAP, TablePlan
from .report import StepClock
from .spec import SCOPE_RUN, WITH_RUN_REPLACE, TableSpec

# SQLSTATE of a unique key's violation.
UNIQUE_VIOLATION = "23505"

# From this many staged rows on, a table's load is planned without nested loops.
HASH_JOIN_THRESHOLD = 10000


def _build_map(conn: Any, load: TableLoad) -> None:
    spec = load.spec
    joins = " ".join(load.reference_join(c, False) for c in load.plan.key_columns(spec) if c.kind == REMAP)
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE mm_map_%(t)s ON COMMIT DROP AS"
            " SELECT src_id, existing_id,"
            " coalesce(existing_id, nextval(pg_get_serial_sequence('%(t)s', '%(id)s'))) AS tgt_id"
            " FROM (SELECT DISTINCT ON (s.%(sid)s) s.%(sid)s AS src_id, x.%(sid)s AS existing_id"
            " FROM %(rows)s s %(joins)s LEFT JOIN %(t)s x ON %(match)s WHERE %(eligible)s"
            " ORDER BY s.%(sid)s, x.%(sid)s) q"
            % {
                "t": spec.name,
                "id": spec.surrogate or "id",
                "sid": ident(spec.surrogate or "id"),
                "rows": load.rows,
                "joins": joins,
                "match": load.key_match("x"),
                "eligible": load.eligible(),
            }
        )
        cur.execute("CREATE UNIQUE INDEX ON mm_map_%s (src_id)" % spec.name)
        cur.execute("ANALYZE mm_map_%s" % spec.name)


def _empty_map(conn: Any, name: str) -> None:
    """A referenced table that this import does not carry: every reference resolves to nothing."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('pg_temp.mm_map_%s') IS NOT NULL" % name)
        if not cur.fetchone()[0]:
            cur.execute(
                "CREATE TEMP TABLE mm_map_%s (src_id bigint PRIMARY KEY, existing_id bigint, tgt_id bigint)"
                " ON COMMIT DROP" % name
            )


# --- runs brought up to date -------------------------------------------------------------------


def _record_runs(conn: Any, load: TableLoad) -> None:
    """The runs whose rows follow them: those this import inserts or brings up to date
    (REFRESHED_RUNS), and those the target holds a newer copy of (STALE_RUNS)."""
    logical = next(c for c in load.plan.columns if c.target in ("execution_date", "logical_date"))
    which = {
        REFRESHED_RUNS: "m.existing_id IS NULL OR (%s)" % (load.newer() or "false"),
        STALE_RUNS: "m.existing_id IS NOT NULL AND (%s)" % (load.newer(than_target=False) or "false"),
    }
    with conn.cursor() as cur:
        for table, condition in which.items():
            cur.execute(
                "CREATE TEMP TABLE %s ON COMMIT DROP AS"
                " SELECT s.dag_id, s.run_id, %s AS logical_date, m.src_id, m.tgt_id"
                " FROM %s s JOIN mm_map_dag_run m ON m.src_id = s.id LEFT JOIN dag_run x ON x.id = m.existing_id"
                " WHERE %s" % (table, load.expression(logical), load.rows, condition)
            )
            load.state.runs[table] = cur.rowcount
            cur.execute("CREATE INDEX ON %s (dag_id, run_id)" % table)
            cur.execute("ANALYZE %s" % table)
            load.state.tables.add(table)


def _remove_dropped(conn: Any, load: TableLoad) -> int:
    """Rows of refreshed runs that the bundle no longer has (a cleared task's old XCom)."""
    if load.spec.with_run != WITH_RUN_REPLACE:
        return 0
    refreshed = load.follows_refreshed_run("x")
    task = load.task_in_bundle()
    if refreshed is None or task is None:
        return 0
    sql = "DELETE FROM %s x WHERE %s AND %s AND NOT EXISTS (SELECT 1 FROM %s s %s WHERE %s)" % (
        load.spec.name, refreshed, task, load.rows, load.joins(strict=False), load.key_match("x"))
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.rowcount


def _update(conn: Any, load: TableLoad) -> int:
    """Brings rows the target already has up to date from the bundle.

    A row is updated when the bundle's copy is newer by the table's freshness columns,
    or when it belongs to a run this import refreshes and differs. A bundle older than
    what the target holds (an earlier export imported again) changes nothing, and so
    does the same bundle imported twice.
    """
    reasons = []
    newer = load.newer()
    if newer is not None:
        reasons.append(newer)
    refreshed = load.follows_refreshed_run("s") if load.spec.with_run else None
    if refreshed is not None:
        reasons.append("(%s AND %s)" % (refreshed, load.differs()))
    columns = load.updated_columns()
    if not reasons or not columns:
        return 0
    sql = "UPDATE %s x SET %s FROM %s s %s WHERE %s AND %s AND (%s)" % (
        load.spec.name,
        ", ".join("%s = %s" % (ident(c.target), load.expression(c)) for c in columns),
        load.rows,
        load.joins(strict=False),
        load.eligible(),
        load.key_match("x"),
        " OR ".join(reasons),
    )
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.rowcount


def _insert(conn: Any, load: TableLoad, order: List[str]) -> int:
    """INSERT ... SELECT of the eligible staged rows the target does not have, in `order`.

    Tried first without ON CONFLICT, under a savepoint: a plain insert skips the speculative
    insertion that ON CONFLICT costs per row (a tenth of the task_instance insert). A new row
    can only conflict when the staged rows share a key, or the target got the row after the
    count; then the insert is rolled back to the savepoint and made again with ON CONFLICT DO
    NOTHING, as always before, so the outcome is the same either way.
    """
    columns = load.inserted_columns()
    sql = "INSERT INTO %s (%s) SELECT %s %s AND %s%s" % (
        load.spec.name,
        ", ".join(ident(c.target) for c in columns),
        ", ".join(load.expression(c) for c in columns),
        load.source(strict=True),
        load.missing(),
        load.order_by(order),
    )
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT mm_insert")
        try:
            cur.execute(sql)
        except Exception as error:
            if getattr(error, "pgcode", None) != UNIQUE_VIOLATION:
                raise
            cur.execute("ROLLBACK TO SAVEPOINT mm_insert")
            cur.execute(sql + " ON CONFLICT DO NOTHING")
        inserted = cur.rowcount
        cur.execute("RELEASE SAVEPOINT mm_insert")
        return inserted


# --- counting ------------------------------------------------------------------------------------


def _counts(conn: Any, load: TableLoad) -> Dict[str, Any]:
    """Eligible staged rows, how many the target has, and references that resolve to nothing."""
    nullable_refs = [c for c in load.plan.columns if c.kind == REMAP and load.target[c.target].nullable]
    unresolved = [
        "count(*) FILTER (WHERE s.%s IS NOT NULL AND %s IS NULL)" % (ident(c.source or ""), load.expression(c))
        for c in nullable_refs
    ]
    row = db.rows(conn, "SELECT %s %s" % (", ".join(["count(*)"] + unresolved), load.source()))[0]
    # EXISTS in WHERE (a semi-join); inside an aggregate FILTER it would run per row.
    present = db.scalar(conn, "SELECT count(*) %s AND %s" % (load.source(), load.present()))
    stale = load.follows_stale_run()
    older = db.scalar(conn, "SELECT count(*) FROM %s s WHERE %s" % (load.rows, stale)) if stale else 0
    return {
        "eligible": int(row[0]),
        "present": int(present),
        "unresolved": {c.target: int(n) for c, n in zip(nullable_refs, row[1:]) if n},
        "older": int(older),
    }


def _missing(conn: Any, load: TableLoad) -> int:
    # NOT EXISTS in WHERE (an anti-join); inside an aggregate FILTER it would run per row.
    return int(db.scalar(conn, "SELECT count(*) %s AND %s" % (load.source(), load.missing())))


def _keep_target_log_template_current(conn: Any, previous_latest: Optional[int]) -> None:
    """Airflow names new runs' logs with the newest log_template row; keep it the target's own."""
    if previous_latest is None:
        return
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO log_template (filename, elasticsearch_id, created_at)"
            " SELECT filename, elasticsearch_id, now() FROM log_template WHERE id = %s",
            (previous_latest,),
        )


def _set_nestloop(conn: Any, on: bool) -> None:
    with conn.cursor() as cur:
        cur.execute("SET LOCAL enable_nestloop = %s" % ("on" if on else "off"))


def load_history_table(
    conn: Any,
    s3: Any,
    bucket: str,
    spec: TableSpec,
    entry: Dict[str, Any],
    plan: TablePlan,
    target: Dict[str, db.Column],
    state: ImportState,
) -> Dict[str, Any]:
    steps = StepClock()
    staged = staging.stage(conn, s3, bucket, spec.name, entry)
    state.tables.add(staging.staging_table(spec.name))
    steps.lap("stage")
    load = TableLoad(spec, plan, target, [c["name"] for c in entry["columns"]], state)
    with conn.cursor() as cur:
        # Statistics on the columns the load's statements join and filter staged rows on.
        cur.execute("ANALYZE %s (%s)" % (load.rows, ", ".join(ident(c) for c in analyze.staging_columns(load))))
    unconverted = convert.convert_columns(conn, spec, plan, load.rows, load.key_source_columns())
    left_out = sum(found["rows"] for found in (unconverted or {}).values() if found["leftOut"])
    if unconverted:
        steps.lap("convert")
    unstorable = storable.check_rows(conn, load, {c["name"]: c for c in entry["columns"]})
    steps.lap("check")
    for referenced in load.maps_needed():
        _empty_map(conn, referenced)
    previous_latest = None
    if spec.name in MAPPED_TABLES:
        _build_map(conn, load)
        if spec.lookup_only:
            previous_latest = db.scalar(conn, "SELECT max(id) FROM log_template")
        steps.lap("map")
    # Big loads join staged rows against whole tables: hash joins, never a nested loop
    # over a table whose statistics say empty (a fresh or truncated target).
    big = staged >= HASH_JOIN_THRESHOLD
    if big:
        _set_nestloop(conn, False)
    before = _counts(conn, load)
    steps.lap("count")
    unique_indexes = db.unique_indexes(conn, spec.name)
    collisions.check_unique_keys(conn, load, unique_indexes)
    if spec.scope == SCOPE_RUN:
        _record_runs(conn, load)
    removed = _remove_dropped(conn, load)
    updated = _update(conn, load)
    steps.lap("update")
    inserted = _insert(conn, load, insert_order([c.target for c in plan.key_columns(spec)], unique_indexes))
    steps.lap("insert")
    if spec.lookup_only and inserted:
        _keep_target_log_template_current(conn, previous_latest)
    if (inserted or removed) and spec.name in state.analyzed:
        # Fresh statistics for a table that later loads read (analyze.py), or the planner
        # takes a table that just grew from empty to millions of rows for empty and later
        # joins against it turn quadratic.
        with conn.cursor() as cur:
            cur.execute("ANALYZE %s" % spec.name)
    # Reconcile. Each inserted row comes from one eligible staged row that the target
    # did not have, so when present-before plus inserted covers every eligible row,
    # every one is now there. Otherwise (a row lost to a conflict on another unique
    # key, an unresolved reference, or staged rows sharing a natural key) count the
    # missing ones row by row.
    missing = 0
    if before["present"] + inserted != before["eligible"]:
        missing = _missing(conn, load)
    steps.lap("reconcile")
    if big:
        _set_nestloop(conn, True)
    if missing:
        raise ImportFailed(
            "table %s does not reconcile: %d of %d rows are not on the target after the load "
            "(a row conflicting on another unique key, or a reference that did not resolve)"
            % (spec.name, missing, before["eligible"])
        )
    counts: Dict[str, Any] = {
        "staged": staged,
        "inserted": inserted,
        "updated": updated,
        "removed": removed,
        "alreadyPresent": before["eligible"] - inserted,
        # Of runs the target holds a newer copy of (an older bundle imported after a newer one).
        "olderThanTarget": before["older"],
        # Of DAGs the target lacks, or following a run or task instance left out as unstorable.
        "notOnTarget": staged - left_out - (unstorable or {}).get("rows", 0) - before["eligible"] - before["older"],
        "seconds": steps.laps,
    }
    if unstorable:
        counts["unstorableRowsLeftOut"] = unstorable
    if unconverted:
        # Values the target's type cannot take as the bundle has them (see convert.py).
        counts["unconvertedValues"] = unconverted
    if before["unresolved"]:
        counts["unresolvedReferences"] = before["unresolved"]
    return counts
