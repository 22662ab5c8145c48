"""Import a bundle into an Airflow 2.x metadata database, in one transaction.

For each table, in foreign-key order:
1. COPY the stream into a staging table while hashing it; refuse it when the
   sha256 or the row count differs from the manifest.
2. Type the staged JSON (jsonb_to_record with the manifest's column types).
3. For tables whose surrogate ids are referenced (job, dag_run, log_template):
   a map from source id to target id, matching rows the target already has by
   natural key and drawing new ids from the target's sequence.
4. UPDATE the rows the target already has where the bundle holds a newer copy
   (spec freshness columns: a run cleared and re-run after the bulk export), then
   INSERT ... SELECT through the column plan (mapping.py), skipping rows whose
   natural key is already present, ON CONFLICT DO NOTHING.
5. Reconcile: every staged row of a DAG the target has must now be present.
Pools, variables and connections go through Python instead, for the conflict
policy and the Fernet re-encryption. Anything failing rolls everything back.
"""

import datetime
import json
import time
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Set

from . import bundle, codec, db, mapping
from .contract import CONFLICT_POLICIES
from .mapping import COPY, DEFAULT, DERIVE, REMAP, SURROGATE, ColumnPlan, TablePlan
from .secrets import Cipher, reveal_row, seal_row
from .spec import TABLES, TableSpec, select_tables

SUPPORTED_TARGET_MAJOR = 2
MIN_TARGET_MINOR = 9

# From this many staged rows on, a table's load is planned without nested loops.
HASH_JOIN_THRESHOLD = 10000

# Tables whose surrogate ids other tables point at.
MAPPED_TABLES = sorted({ref for spec in TABLES for ref in spec.references.values()})

_SENTINELS = {
    "varchar": "''",
    "text": "''",
    "int4": "-2147483648",
    "int8": "-2147483648",
    "timestamptz": "'-infinity'::timestamptz",
    "timestamp": "'-infinity'::timestamp",
}


class ImportOptions(NamedTuple):
    bucket: str
    prefix: str
    export_id: str
    conflict_policy: str = "skip"
    import_orphan_history: bool = False
    tables: Optional[List[str]] = None
    kms_key_id: Optional[str] = None
    fernet_keys: Optional[str] = None
    continue_schedules: bool = True
    airflow_version: Optional[str] = None


class ImportFailed(Exception):
    pass


class PolicyConflict(ImportFailed):
    pass


def validate(options: ImportOptions) -> None:
    if options.conflict_policy not in CONFLICT_POLICIES:
        raise ValueError(
            "conflictPolicy must be one of %s, got %r" % ("/".join(CONFLICT_POLICIES), options.conflict_policy)
        )
    if not options.bucket or not options.export_id:
        raise ValueError("bucket and exportId are required")
    check_target_version(options.airflow_version)


def check_target_version(version: Optional[str]) -> None:
    if not version:
        return
    parts = version.split(".")
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        raise ValueError("cannot read the target Airflow version %r" % version) from None
    if major != SUPPORTED_TARGET_MAJOR or minor < MIN_TARGET_MINOR:
        raise ValueError(
            "the target runs Airflow %s; this import writes the metadata database of Airflow "
            "2.%d to 2.x targets (Airflow 3 tasks cannot open the database)" % (version, MIN_TARGET_MINOR)
        )


def check_manifest(manifest: Dict[str, Any]) -> None:
    if manifest.get("formatVersion") != bundle.FORMAT_VERSION:
        raise ImportFailed(
            "the manifest has format version %r; this import reads version %d: run the "
            "export with the same release of the migration DAGs" % (manifest.get("formatVersion"), bundle.FORMAT_VERSION)
        )
    for name, entry in manifest.get("tables", {}).items():
        for field in ("key", "columns", "rows", "sha256"):
            if field not in entry:
                raise ImportFailed("the manifest entry for table %s has no %r" % (name, field))


def _ident(name: str) -> str:
    return codec.quote_ident(name)


class _TableLoad:
    """SQL for one history table: joins, value expressions, key match, eligibility."""

    def __init__(self, spec: TableSpec, plan: TablePlan, target: Dict[str, db.Column], staged: List[str], orphans: bool):
        self.spec = spec
        self.plan = plan
        self.target = target
        self.staged = set(staged)
        self.rows = "mm_rows_" + spec.name
        self.orphans = orphans

    def reference_join(self, column: ColumnPlan, required: bool) -> str:
        """Join that resolves a REMAP column to the target's id (alias r_<column>)."""
        ref = column.referenced
        alias = "r_" + column.target
        kind = "JOIN" if required else "LEFT JOIN"
        ref_spec = next(s for s in TABLES if s.name == ref)
        if ref == "dag_run" and all(k in self.staged for k in ref_spec.natural_key):
            # The row names its run itself: resolve through the target's dag_run.
            cond = " AND ".join("%s.%s = s.%s" % (alias, _ident(k), _ident(k)) for k in ref_spec.natural_key)
            return "%s %s %s ON %s" % (kind, ref, alias, cond)
        return "%s mm_map_%s %s ON %s.src_id = s.%s" % (kind, ref, alias, alias, _ident(column.source or ""))

    def expression(self, column: ColumnPlan) -> str:
        if column.kind == SURROGATE:
            return "m_self.tgt_id"
        if column.kind == REMAP:
            alias = "r_" + column.target
            ref_spec = next(s for s in TABLES if s.name == column.referenced)
            if alias_is_table(self, column, ref_spec):
                return "%s.id" % alias
            return "%s.tgt_id" % alias
        if column.kind == DERIVE:
            return mapping.derivation_expression(column)
        return mapping.value_expression(column, self.target[column.target])

    def inserted_columns(self) -> List[ColumnPlan]:
        own_map = self.spec.name in MAPPED_TABLES
        return [
            c
            for c in self.plan.columns
            if c.kind in (COPY, REMAP, DERIVE) or (c.kind == SURROGATE and own_map)
        ]

    def joins(self, strict: bool) -> str:
        """strict: required references as inner joins (insert); else all LEFT (verify)."""
        parts = []
        if self.spec.name in MAPPED_TABLES:
            parts.append("%s mm_map_%s m_self ON m_self.src_id = s.%s" % (
                "JOIN" if strict else "LEFT JOIN", self.spec.name, _ident(self.spec.surrogate or "id")))
        for column in self.plan.columns:
            if column.kind == REMAP:
                required = strict and not self.target[column.target].nullable
                parts.append(self.reference_join(column, required))
        return " ".join(parts)

    def eligible(self) -> str:
        if self.orphans:
            return "true"
        if "dag_id" in self.staged:
            return "(s.dag_id IS NULL OR s.dag_id IN (SELECT dag_id FROM mm_target_dags))"
        for column in self.plan.columns:
            # Rows that name their run only by id (notes) follow the run's eligibility.
            if column.kind == REMAP and column.referenced == "dag_run":
                return "s.%s IN (SELECT src_id FROM mm_map_dag_run)" % _ident(column.source or "")
        return "true"

    def key_match(self, alias: str) -> str:
        terms = []
        for column in self.plan.key_columns(self.spec):
            target_col = self.target[column.target]
            left = "%s.%s" % (alias, _ident(column.target))
            right = self.expression(column)
            sentinel = _SENTINELS.get(target_col.udt_name)
            if not target_col.nullable:
                terms.append("%s = %s" % (left, right))
            elif sentinel:
                terms.append("coalesce(%s, %s) = coalesce(%s, %s)" % (left, sentinel, right, sentinel))
            else:
                terms.append("%s IS NOT DISTINCT FROM %s" % (left, right))
        return " AND ".join(terms)

    def present(self) -> str:
        return "EXISTS (SELECT 1 FROM %s x WHERE %s)" % (self.spec.name, self.key_match("x"))

    def missing(self) -> str:
        return "NOT " + self.present()

    def newer(self) -> Optional[str]:
        """SQL true when the staged row is a newer copy of target row x; None: insert-only table."""
        by_target = self.plan.by_target()
        columns = [
            by_target[name]
            for name in self.spec.freshness
            if name in by_target and by_target[name].kind == COPY and by_target[name].source in self.staged
        ]
        if not columns:
            return None
        # greatest() skips NULLs: a run that never finished still has its updated_at.
        staged = ", ".join(self.expression(c) for c in columns)
        current = ", ".join("x.%s" % _ident(c.target) for c in columns)
        return "coalesce(greatest(%s), '-infinity') > coalesce(greatest(%s), '-infinity')" % (staged, current)


def alias_is_table(load: _TableLoad, column: ColumnPlan, ref_spec: TableSpec) -> bool:
    return column.referenced == "dag_run" and all(k in load.staged for k in ref_spec.natural_key)


def _stage(conn: Any, s3: Any, options: ImportOptions, name: str, entry: Dict[str, Any]) -> int:
    """Copies the stream into mm_rows_<name> (typed), verifying sha256 and row count.

    The lines land as plain text first: COPY into a jsonb column would build a binary
    document per row only for jsonb_to_record to take it apart again, and json_to_record
    parses each line once (measured: a third less time for a million task instances).
    The text lands in an unlogged table rather than a temporary one so that parallel
    workers can parse it (temporary tables are private to one backend): about half the
    time on two cores. It is created and dropped inside the import's transaction, so a
    failed import leaves nothing behind.
    """
    reader = bundle.StreamReader(s3, options.bucket, entry["key"])
    raw = "mm_stage_%s_%d" % (name, conn.get_backend_pid())
    with conn.cursor() as cur:
        cur.execute("CREATE UNLOGGED TABLE %s (doc text)" % raw)
        cur.copy_expert("COPY %s (doc) FROM STDIN %s" % (raw, _COPY_JSON_LINES), reader, size=reader.CHUNK)
        reader.verify(entry["sha256"])
        definition = ", ".join("%s %s" % (_ident(c["name"]), codec.stage_type(c["type"])) for c in entry["columns"])
        # The planner prices json_to_record as nearly free and so never splits the
        # parse across workers on its own.
        cur.execute("SET LOCAL parallel_setup_cost = 0")
        cur.execute("SET LOCAL parallel_tuple_cost = 0")
        cur.execute(
            "CREATE TEMP TABLE mm_rows_%s ON COMMIT DROP AS SELECT x.* FROM %s, json_to_record(doc::json) AS x(%s)"
            % (name, raw, definition)
        )
        staged = cur.rowcount
        cur.execute("SET LOCAL parallel_setup_cost TO DEFAULT")
        cur.execute("SET LOCAL parallel_tuple_cost TO DEFAULT")
        cur.execute("DROP TABLE %s" % raw)
        cur.execute("ANALYZE mm_rows_%s" % name)
    if staged != entry["rows"]:
        raise ImportFailed(
            "table %s: the stream holds %d rows but the manifest records %d; the bundle is "
            "incomplete or altered, export again" % (name, staged, entry["rows"])
        )
    return staged


_COPY_JSON_LINES = "WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"


def _build_map(conn: Any, load: _TableLoad) -> None:
    spec = load.spec
    surrogate = _ident(spec.surrogate or "id")
    joins = " ".join(
        load.reference_join(c, False) for c in load.plan.key_columns(spec) if c.kind == REMAP
    )
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
                "sid": surrogate,
                "rows": load.rows,
                "joins": joins,
                "match": load.key_match("x"),
                "eligible": load.eligible(),
            }
        )
        cur.execute("CREATE UNIQUE INDEX ON mm_map_%s (src_id)" % spec.name)
        cur.execute("ANALYZE mm_map_%s" % spec.name)


def _empty_map(conn: Any, name: str) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('pg_temp.mm_map_%s') IS NOT NULL" % name)
        if not cur.fetchone()[0]:
            cur.execute(
                "CREATE TEMP TABLE mm_map_%s (src_id bigint PRIMARY KEY, existing_id bigint, tgt_id bigint)"
                " ON COMMIT DROP" % name
            )


def _insert(conn: Any, load: _TableLoad) -> int:
    columns = load.inserted_columns()
    sql = "INSERT INTO %s (%s) SELECT %s FROM %s s %s WHERE %s AND %s ON CONFLICT DO NOTHING" % (
        load.spec.name,
        ", ".join(_ident(c.target) for c in columns),
        ", ".join(load.expression(c) for c in columns),
        load.rows,
        load.joins(strict=True),
        load.eligible(),
        load.missing(),
    )
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.rowcount


def _update(conn: Any, load: _TableLoad) -> int:
    """Brings rows the target already has up to date where the bundle's copy is newer.

    "Newer" is decided by the table's freshness columns (spec.py); a bundle older than
    what the target holds (an earlier export imported again) changes nothing, and so
    does the same bundle imported twice.
    """
    newer = load.newer()
    if newer is None:
        return 0
    keys = {c.target for c in load.plan.key_columns(load.spec)}
    columns = [c for c in load.inserted_columns() if c.kind != SURROGATE and c.target not in keys]
    sql = "UPDATE %s x SET %s FROM %s s %s WHERE %s AND %s AND %s" % (
        load.spec.name,
        ", ".join("%s = %s" % (_ident(c.target), load.expression(c)) for c in columns),
        load.rows,
        load.joins(strict=False),
        load.eligible(),
        load.key_match("x"),
        newer,
    )
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.rowcount


def _counts(conn: Any, load: _TableLoad) -> Dict[str, int]:
    """Eligible staged rows, and how many of them the target has (by natural key)."""
    source = "FROM %s s %s WHERE %s" % (load.rows, load.joins(strict=False), load.eligible())
    eligible = db.scalar(conn, "SELECT count(*) " + source)
    present = db.scalar(conn, "SELECT count(*) %s AND %s" % (source, load.present()))
    return {"eligible": int(eligible), "present": int(present)}


def _missing(conn: Any, load: _TableLoad) -> int:
    source = "FROM %s s %s WHERE %s" % (load.rows, load.joins(strict=False), load.eligible())
    # NOT EXISTS in WHERE (an anti-join); inside an aggregate FILTER it would run per row.
    return int(db.scalar(conn, "SELECT count(*) %s AND %s" % (source, load.missing())))


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


def _load_history_table(
    conn: Any, s3: Any, options: ImportOptions, spec: TableSpec, entry: Dict[str, Any], plan: TablePlan,
    target: Dict[str, db.Column],
) -> Dict[str, Any]:
    steps = _StepClock()
    staged = _stage(conn, s3, options, spec.name, entry)
    steps.lap("stage")
    load = _TableLoad(spec, plan, target, [c["name"] for c in entry["columns"]], options.import_orphan_history)
    for column in plan.columns:
        if column.kind == REMAP and not alias_is_table(load, column, next(s for s in TABLES if s.name == column.referenced)):
            _empty_map(conn, column.referenced or "")
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
        with conn.cursor() as cur:
            cur.execute("SET LOCAL enable_nestloop = off")
    before = _counts(conn, load)
    steps.lap("count")
    updated = _update(conn, load)
    steps.lap("update")
    inserted = _insert(conn, load)
    steps.lap("insert")
    if spec.lookup_only and inserted:
        _keep_target_log_template_current(conn, previous_latest)
    if inserted:
        # Fresh statistics, or the planner takes a table that just grew from empty to
        # millions of rows for empty and later joins against it turn quadratic.
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
        with conn.cursor() as cur:
            cur.execute("SET LOCAL enable_nestloop = on")
    if missing:
        raise ImportFailed(
            "table %s does not reconcile: %d of %d rows are not on the target after the load "
            "(a row conflicting on another unique key, or a reference that did not resolve)"
            % (spec.name, missing, before["eligible"])
        )
    return {
        "staged": staged,
        "inserted": inserted,
        "updated": updated,
        "alreadyPresent": before["eligible"] - inserted,
        "notOnTarget": staged - before["eligible"],
        "seconds": steps.laps,
    }


class _StepClock:
    """Wall time per step of a table's load, for the report (where an import spends its time)."""

    def __init__(self) -> None:
        self.laps: Dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, step: str) -> None:
        now = time.monotonic()
        self.laps[step] = round(now - self._last, 3)
        self._last = now


def _load_policy_table(
    conn: Any, s3: Any, options: ImportOptions, spec: TableSpec, entry: Dict[str, Any], plan: TablePlan,
    target: Dict[str, db.Column], cipher: Cipher,
) -> Dict[str, Any]:
    reader = bundle.StreamReader(s3, options.bucket, entry["key"])
    types = dict(codec.columns_with_types(entry["columns"]))
    incoming = []
    for line in reader.lines():
        raw = json.loads(line)
        incoming.append({k: codec.decode_value(v, types.get(k, "text")) for k, v in raw.items()})
    reader.verify(entry["sha256"])
    if len(incoming) != entry["rows"]:
        raise ImportFailed("table %s: %d rows in the stream, %d in the manifest" % (spec.name, len(incoming), entry["rows"]))
    for column in plan.columns:
        if column.kind in (REMAP, DERIVE):
            raise ImportFailed("table %s: %s columns are not supported for policy tables" % (spec.name, column.kind))
    copied = [c for c in plan.columns if c.kind == COPY]
    flags = {s.flag for s in spec.secrets}
    values = [c for c in copied if c.target not in flags]
    key_cols = [c.target for c in plan.key_columns(spec)]

    with conn.cursor() as cur:
        cur.execute("SELECT %s FROM %s" % (", ".join(_ident(c.target) for c in copied), spec.name))
        existing = {}
        for row in cur.fetchall():
            record = reveal_row(spec, dict(zip([c.target for c in copied], row)), cipher)
            existing[tuple(record[k] for k in key_cols)] = record

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
        names = list(sealed)
        with conn.cursor() as cur:
            if current is None:
                cur.execute(
                    "INSERT INTO %s (%s) VALUES (%s)"
                    % (spec.name, ", ".join(_ident(n) for n in names), ", ".join(["%s"] * len(names))),
                    [sealed[n] for n in names],
                )
                counts["inserted"] += 1
                continue
            counts["conflicts"] += 1
            conflicts.append("/".join(str(k) for k in key))
            if options.conflict_policy == "overwrite":
                cur.execute(
                    "UPDATE %s SET %s WHERE %s"
                    % (
                        spec.name,
                        ", ".join("%s = %%s" % _ident(n) for n in names),
                        " AND ".join("%s = %%s" % _ident(k) for k in key_cols),
                    ),
                    [sealed[n] for n in names] + list(key),
                )
                counts["overwritten"] += 1
    if conflicts and options.conflict_policy == "fail":
        # Names only: the values may be secrets.
        raise PolicyConflict(
            "%s: %d entries already exist on the target with other values (%s); choose "
            "conflictPolicy skip (keep the target's) or overwrite (take the source's)"
            % (spec.name, len(conflicts), ", ".join(sorted(conflicts)[:20]))
        )
    return counts


def _target_dags(conn: Any) -> Set[str]:
    return {row[0] for row in db.rows(conn, "SELECT dag_id FROM dag")}


def _run_counts(conn: Any) -> Dict[str, Dict[str, int]]:
    rows = db.rows(
        conn,
        "SELECT s.dag_id, count(*), count(m.src_id), count(*) FILTER (WHERE m.src_id IS NOT NULL AND m.existing_id IS NULL)"
        " FROM mm_rows_dag_run s LEFT JOIN mm_map_dag_run m ON m.src_id = s.id GROUP BY 1 ORDER BY 1",
    )
    return {d: {"runs": int(n), "imported": int(e), "inserted": int(i)} for d, n, e, i in rows}


def run_import(conn: Any, s3: Any, options: ImportOptions, log: Callable[[str], None] = print) -> Dict[str, Any]:
    """Loads the bundle, writes import-report.json beside the manifest, returns the report."""
    validate(options)
    started = time.monotonic()
    manifest = bundle.get_json(s3, options.bucket, bundle.manifest_key(options.prefix, options.export_id))
    report: Dict[str, Any] = {
        "exportId": options.export_id,
        "phase": manifest.get("phase"),
        "source": manifest.get("source"),
        "target": {"airflowVersion": options.airflow_version},
        "conflictPolicy": options.conflict_policy,
        "tables": {},
        "status": "failed",
    }
    try:
        check_manifest(manifest)
        cipher = Cipher(options.fernet_keys)
        target_dags = _target_dags(conn)
        report["target"]["alembicRevision"] = db.alembic_revision(conn)
        with conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE mm_target_dags (dag_id text PRIMARY KEY) ON COMMIT DROP")
            cur.executemany("INSERT INTO mm_target_dags VALUES (%s)", [(d,) for d in sorted(target_dags)])
        streams = manifest["tables"]
        for spec in select_tables(options.tables):
            entry = streams.get(spec.name)
            if entry is None:
                continue
            target_columns = db.reflect_columns(conn, spec.name)
            if target_columns is None:
                if entry["rows"]:
                    raise ImportFailed(
                        "the target has no table %s but the bundle has %d rows for it; "
                        "the target's Airflow version is not supported by this mapping" % (spec.name, entry["rows"])
                    )
                continue
            plan = mapping.plan_table(spec, codec.columns_with_types(entry["columns"]), target_columns)
            target = db.column_map(target_columns)
            table_started = time.monotonic()
            if spec.policy_managed:
                counts = _load_policy_table(conn, s3, options, spec, entry, plan, target, cipher)
            else:
                counts = _load_history_table(conn, s3, options, spec, entry, plan, target)
            counts["droppedColumns"] = plan.dropped
            counts["defaultedColumns"] = [c.target for c in plan.columns if c.kind == DEFAULT]
            counts["derivedColumns"] = [c.target for c in plan.columns if c.kind == DERIVE]
            report["tables"][spec.name] = counts
            log(
                "imported %-30s %10d staged %10d inserted %10d updated %10d present %8.1f s"
                % (
                    spec.name,
                    counts["staged"],
                    counts["inserted"],
                    counts.get("updated", 0),
                    counts["alreadyPresent"],
                    time.monotonic() - table_started,
                )
            )

        run_counts = _run_counts(conn) if "dag_run" in report["tables"] else {}
        source_dags = {d["dagId"] for d in manifest.get("dags", [])} | set(run_counts)
        missing = sorted(source_dags - target_dags)
        report["dags"] = {
            "runs": run_counts,
            "missingOnTarget": missing,
            "orphanHistoryImported": options.import_orphan_history,
        }
        if missing:
            log(
                "%d DAGs of the source are not on the target (history %s): %s"
                % (len(missing), "imported" if options.import_orphan_history else "not imported", ", ".join(missing))
            )
        if options.continue_schedules and run_counts:
            from .scheduling import continue_schedules

            report["schedules"] = continue_schedules(conn, [d for d in run_counts if d in target_dags])
        conn.commit()
        report["status"] = "succeeded"
    except BaseException as error:
        conn.rollback()
        report["error"] = "%s: %s" % (type(error).__name__, error)
        raise
    finally:
        report["elapsedSeconds"] = round(time.monotonic() - started, 3)
        report["finishedAt"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
        try:
            bundle.put_json(
                s3, options.bucket, bundle.report_key(options.prefix, options.export_id), report, options.kms_key_id
            )
        except Exception as error:  # noqa: BLE001 - never hide the import's own outcome
            log("could not write the import report: %s" % error)
    log("import %s %s in %.1f s" % (options.export_id, report["status"], report["elapsedSeconds"]))
    return report
