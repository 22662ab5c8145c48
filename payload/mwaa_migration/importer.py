"""Import a bundle into an Airflow metadata database (2.9 to 3.x), in one transaction.

Tables load in foreign-key order: history tables through staging tables and SQL
(history.py), pools, variables and connections through Python for the conflict
policy and the Fernet re-encryption (policy.py). Then each DAG's schedule is moved
past its last imported run (scheduling.py). Anything failing rolls everything
back; the report (report.py) is written either way.
"""

import time
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Set

from . import bundle, codec, db, mapping, report
from .analyze import analyze_after_load
from .contract import CONFLICT_POLICIES, capabilities_of
from .errors import ImportFailed, PolicyConflict  # noqa: F401  (raised to callers)
from .history import load_history_table
from .load_sql import ImportState
from .policy import conflict_error, load_policy_table
from .secrets import TARGET, Cipher
from .spec import TableSpec, select_tables


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
    # A row holding a value the target cannot store: False fails the import naming it,
    # True leaves the row (and the rows that belong to it) out and reports it.
    skip_unstorable_rows: bool = False
    # No fernet_keys because the target has no Fernet key configured (its own Airflow
    # says so, or the user does): variables and connections are stored unencrypted.
    no_fernet_key: bool = False
    # Who started the import (the plugin's run id), recorded in the report so that a caller
    # finds the outcome of its own run.
    run_id: Optional[str] = None


def validate(options: ImportOptions) -> None:
    if options.conflict_policy not in CONFLICT_POLICIES:
        raise ValueError(
            "conflictPolicy must be one of %s, got %r" % ("/".join(CONFLICT_POLICIES), options.conflict_policy)
        )
    if not options.bucket or not options.export_id:
        raise ValueError("bucket and exportId are required")
    check_target_version(options.airflow_version)


def check_target_version(version: Optional[str]) -> None:
    """Refuses a target whose schema the import does not write (the versions table's importPath)."""
    if not version:
        return
    try:
        row = capabilities_of(version)
    except ValueError:
        raise ValueError("cannot read the target Airflow version %r" % version) from None
    if not row.get("importPath"):
        raise ValueError("the target runs Airflow %s: %s" % (version, row.get("importRefusal")))


# Bundle formats this release no longer reads, and what their streams were.
FORMAT_VERSIONS_BEFORE = {1: "gzip JSON Lines streams"}


def check_manifest(manifest: Dict[str, Any]) -> None:
    version = manifest.get("formatVersion")
    if version != bundle.FORMAT_VERSION:
        earlier = version in FORMAT_VERSIONS_BEFORE
        raise ImportFailed(
            "the manifest has format version %r%s; this import reads version %d (gzip CSV streams): export "
            "again with this release of the migration DAGs (a new exportId), then import that bundle"
            % (version, " (%s, written by an earlier release)" % FORMAT_VERSIONS_BEFORE[version] if earlier else "",
               bundle.FORMAT_VERSION)
        )
    for name, entry in manifest.get("tables", {}).items():
        for field in ("key", "columns", "rows", "sha256"):
            if field not in entry:
                raise ImportFailed("the manifest entry for table %s has no %r" % (name, field))


def fernet_key_problem(keys: Optional[str], no_key: bool, encrypted_rows: int) -> Optional[str]:
    """Why the import cannot go on with the target's Fernet key as given; None when it can."""
    if keys:
        return None
    if not no_key:
        return (
            "no Fernet key for the target: give the target environment's [core] fernet_key (--fernet-key or "
            "AIRFLOW__CORE__FERNET_KEY), or, when the target really has none configured, --no-fernet-key "
            "(variables and connections are then stored unencrypted)"
        )
    if encrypted_rows:
        return (
            "the target is said to have no Fernet key, but %d of its variables and connections are stored "
            "encrypted, so it has one: give the target environment's [core] fernet_key" % encrypted_rows
        )
    return None


def _encrypted_rows(conn: Any) -> int:
    total = 0
    for table in ("variable", "connection"):
        columns = {c.name for c in db.reflect_columns(conn, table) or []}
        flags = [f for f in ("is_encrypted", "is_extra_encrypted") if f in columns]
        if flags:
            total += int(db.scalar(conn, "SELECT count(*) FROM %s WHERE %s" % (table, " OR ".join(flags))))
    return total


NO_FERNET_KEY = "the target has no Fernet key configured: variables and connections are stored unencrypted"


def _target_cipher(
    conn: Any, options: ImportOptions, manifest: Dict[str, Any], result: Dict[str, Any], log: Callable[[str], None]
) -> Cipher:
    secrets = [s.name for s in select_tables(options.tables) if s.secrets and s.name in manifest.get("tables", {})]
    if not secrets:
        result["target"]["fernetKey"] = "not needed (no variables or connections in this import)"
    elif options.fernet_keys:
        result["target"]["fernetKey"] = "configured"
    else:
        problem = fernet_key_problem(options.fernet_keys, options.no_fernet_key, _encrypted_rows(conn))
        if problem:
            raise ImportFailed(problem)
        result["target"]["fernetKey"] = NO_FERNET_KEY
        log(NO_FERNET_KEY)
    return Cipher(options.fernet_keys, TARGET)


def _target_dags(conn: Any) -> Set[str]:
    dags = {row[0] for row in db.rows(conn, "SELECT dag_id FROM dag")}
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE mm_target_dags (dag_id text PRIMARY KEY) ON COMMIT DROP")
        cur.executemany("INSERT INTO mm_target_dags VALUES (%s)", [(d,) for d in sorted(dags)])
    return dags


class TargetSchema:
    """What the target's schema has, reflected once per table (plan_table's target_has)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._columns: Dict[str, Optional[Set[str]]] = {}

    def __call__(self, table: str, column: Optional[str] = None) -> bool:
        if table not in self._columns:
            reflected = db.reflect_columns(self._conn, table)
            self._columns[table] = None if reflected is None else {c.name for c in reflected}
        names = self._columns[table]
        return names is not None and (column is None or column in names)


def not_held(spec: TableSpec, rows: int) -> Dict[str, Any]:
    """The counts of a table the target's Airflow does not have (sla_miss, task_fail on Airflow 3)."""
    return {"staged": rows, "inserted": 0, "alreadyPresent": 0, "notHeldByTarget": rows, "reason": spec.absent_on_target}


def _load_table(
    conn: Any,
    s3: Any,
    options: ImportOptions,
    spec: TableSpec,
    entry: Dict[str, Any],
    cipher: Cipher,
    state: ImportState,
    schema: TargetSchema,
) -> Optional[Dict[str, Any]]:
    """Loads one table's stream; None when neither the target nor the bundle has rows for it."""
    target_columns = db.reflect_columns(conn, spec.name)
    if target_columns is None:
        if entry["rows"] and spec.absent_on_target:
            return not_held(spec, entry["rows"])
        if entry["rows"]:
            raise ImportFailed(
                "the target has no table %s but the bundle has %d rows for it; "
                "the target's Airflow version is not supported by this mapping" % (spec.name, entry["rows"])
            )
        return None
    plan = mapping.plan_table(spec, codec.columns_with_types(entry["columns"]), target_columns, schema)
    target = db.column_map(target_columns)
    if spec.policy_managed:
        counts = load_policy_table(conn, s3, options.bucket, options.conflict_policy, spec, entry, plan, target, cipher)
    else:
        counts = load_history_table(conn, s3, options.bucket, spec, entry, plan, target, state)
    return report.add_columns(counts, spec, plan)


def _without_jit(conn: Any) -> None:
    """Turns JIT compilation off for the import's transaction (where the server has it).

    A big load's statements are priced above jit_above_cost, so PostgreSQL compiles them,
    inlining and optimising too: on Airflow 3 the task_instance insert (priced high for its
    DAG version lookup) spent about a second compiling, on expressions too simple to gain
    from it. SET LOCAL: the setting ends with the transaction.
    """
    with conn.cursor() as cur:
        cur.execute("SELECT set_config('jit', 'off', true) WHERE current_setting('jit', true) IS NOT NULL")


def _import(conn: Any, s3: Any, options: ImportOptions, manifest: Dict[str, Any], result: Dict[str, Any], log: Callable[[str], None]) -> None:
    check_manifest(manifest)
    _without_jit(conn)
    cipher = _target_cipher(conn, options, manifest, result, log)
    target_dags = _target_dags(conn)
    result["target"]["alembicRevision"] = db.alembic_revision(conn)
    state = ImportState(options.import_orphan_history, options.skip_unstorable_rows)
    specs = select_tables(options.tables)
    rows = {name: entry.get("rows", 0) for name, entry in manifest.get("tables", {}).items()}
    state.analyzed = {s.name for i, s in enumerate(specs) if analyze_after_load(s.name, specs[i + 1 :], rows)}
    schema = TargetSchema(conn)
    for spec in specs:
        entry = manifest["tables"].get(spec.name)
        if entry is None:
            continue
        table_started = time.monotonic()
        counts = _load_table(conn, s3, options, spec, entry, cipher, state, schema)
        if counts is None:
            continue
        result["tables"][spec.name] = counts
        log(report.table_line(spec.name, counts, time.monotonic() - table_started))
    if options.conflict_policy == "fail":
        conflicts = conflict_error({n: t.get("conflictKeys", []) for n, t in result["tables"].items()})
        if conflicts:
            raise conflicts

    runs = report.run_counts(conn) if "dag_run" in result["tables"] else {}
    missing = report.missing_dags(manifest, runs, target_dags)
    result["dags"] = report.dags_section(runs, missing, options.import_orphan_history)
    if missing:
        log(
            "%d DAGs of the source are not on the target (history %s): %s"
            % (len(missing), "imported" if options.import_orphan_history else "not imported", ", ".join(missing))
        )
    result["notHeldByTarget"] = report.not_held_summary(result["tables"])
    if options.continue_schedules and runs:
        from .scheduling import continue_schedules

        result["schedules"] = continue_schedules(conn, [d for d in runs if d in target_dags])


def run_import(conn: Any, s3: Any, options: ImportOptions, log: Callable[[str], None] = print) -> Dict[str, Any]:
    """Loads the bundle, writes import-report.json beside the manifest, returns the report."""
    validate(options)
    started = time.monotonic()
    manifest = bundle.read_where_found(
        bundle.get_json(s3, options.bucket, bundle.manifest_key(options.prefix, options.export_id)),
        options.prefix,
        options.export_id,
    )
    result = report.new_report(
        options.export_id, manifest, options.airflow_version, options.conflict_policy, options.run_id
    )
    try:
        _import(conn, s3, options, manifest, result, log)
        conn.commit()
        result["status"] = "succeeded"
    except BaseException as error:
        conn.rollback()
        result["error"] = "%s: %s" % (type(error).__name__, error)
        raise
    finally:
        report_key = bundle.report_key(options.prefix, options.export_id)
        report.finish(result, started, s3, options.bucket, report_key, options.kms_key_id, log)
    log("import %s %s in %.1f s" % (options.export_id, result["status"], result["elapsedSeconds"]))
    return result
