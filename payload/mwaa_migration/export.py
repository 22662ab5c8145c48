"""Export: every table in spec order, streamed from PostgreSQL to the bundle.

PostgreSQL renders each row as a CSV record (COPY ... TO STDOUT, codec.py has the
rules) and streams the records to a StreamWriter (gzip, sha256, multipart upload) as
they come, so memory stays at one upload part however large the table. The manifest
goes last.
"""

import datetime
import time
from typing import Any, Callable, Dict, List, NamedTuple, Optional

from . import bundle, codec, db, pausing
from .contract import EXPORT_PHASES
from .secrets import SOURCE, Cipher, reveal_row
from .spec import (
    FINISHED_RUN_STATES,
    OWN_DAG_IDS,
    SCOPE_DAG,
    SCOPE_GLOBAL,
    SCOPE_NOTE,
    SCOPE_RUN,
    SCOPE_TASK,
    UNFINISHED_TI_STATES,
    TableSpec,
    run_changed_since,
    select_tables,
    table_spec,
)

PHASES = EXPORT_PHASES


class ExportOptions(NamedTuple):
    bucket: str
    prefix: str
    export_id: str
    phase: str = "full"
    watermark: Optional[str] = None  # delta: export what changed since this instant
    tables: Optional[List[str]] = None
    kms_key_id: Optional[str] = None
    pause_active: bool = False
    deadline_seconds: float = 1800.0
    poll_seconds: float = 10.0
    airflow_version: Optional[str] = None
    fernet_keys: Optional[str] = None
    # Refuse to write decrypted secrets (variables, connections) without kms_key_id,
    # that is under the bucket's default key rather than the migration key.
    kms_key_required_for_secrets: bool = False


def secret_tables(tables: Optional[List[str]]) -> List[str]:
    return [spec.name for spec in select_tables(tables) if spec.secrets]


def validate(options: ExportOptions) -> None:
    if options.phase not in PHASES:
        raise ValueError("phase must be one of %s, got %r" % ("/".join(PHASES), options.phase))
    if options.phase == "delta" and not options.watermark:
        raise ValueError(
            "a delta export needs the watermark of the bulk export it follows "
            "(the manifest's 'watermark' field)"
        )
    if options.phase == "bulk" and options.pause_active:
        raise ValueError("pauseActive applies to full and delta exports; a bulk export runs beside live DAGs")
    if not options.bucket or not options.export_id:
        raise ValueError("bucket and exportId are required")
    if "/" in options.export_id:
        raise ValueError("exportId %r must not contain '/'" % options.export_id)
    secrets = secret_tables(options.tables)
    if options.kms_key_required_for_secrets and not options.kms_key_id and secrets:
        raise ValueError(
            "%s hold decrypted secrets in the bundle, and without --kms-key-id they would be encrypted with "
            "the bucket's default key instead of the migration key: pass --kms-key-id (the migration bucket's "
            "key), leave them out with --tables, or pass --allow-secrets-without-kms-key to accept the default "
            "key (the manifest then says so)" % " and ".join(secrets)
        )


def secrets_note(options: ExportOptions) -> Dict[str, Any]:
    """The manifest's account of how the decrypted secrets are protected."""
    note: Dict[str, Any] = {"tables": secret_tables(options.tables), "kmsKeyId": options.kms_key_id}
    if not options.kms_key_id:
        note["warning"] = (
            "exported without a KMS key id: the streams are encrypted (SSE-KMS) with the bucket's default key, "
            "not the migration key"
        )
    return note


def refuse_complete_bundle(s3: Any, options: ExportOptions) -> None:
    key = bundle.manifest_key(options.prefix, options.export_id)
    if bundle.object_exists(s3, options.bucket, key):
        raise bundle.BundleExists(
            "s3://%s/%s exists: export %s is complete and may have been imported already, so this export "
            "stops before writing anything; export under a new exportId" % (options.bucket, key, options.export_id)
        )


def _finished_run(alias: str) -> str:
    return "%s.state IN (%s)" % (alias, _literals(FINISHED_RUN_STATES))


def selected_runs(alias: str, since: Optional[str]) -> str:
    """The runs an export considers: every run of a user DAG; for a delta, those that
    changed since the watermark and those not finished. Its finished runs are the
    bundle's runs; the others are what it leaves out (the manifest's skipped counts)."""
    sql = "%s.dag_id NOT IN (%s)" % (alias, _literals(OWN_DAG_IDS))
    if since:
        sql += " AND (%s OR NOT coalesce(%s, false))" % (run_changed_since(alias, _literal(since)), _finished_run(alias))
    return sql


def _runs_predicate(alias: str, since: Optional[str], own_change: Optional[str] = None) -> str:
    """Finished runs of user DAGs (and, for a delta, those that changed since): the
    finished ones among selected_runs.

    own_change: a column of the exported row (alias t) that also puts the row in a
    delta when it is at or after the watermark, whether or not its run changed.
    """
    sql = "%s AND %s.dag_id NOT IN (%s)" % (_finished_run(alias), alias, _literals(OWN_DAG_IDS))
    if since:
        changed = run_changed_since(alias, _literal(since))
        if own_change:
            changed = "(%s OR t.%s >= %s::timestamptz)" % (changed, codec.quote_ident(own_change), _literal(since))
        sql += " AND " + changed
    return sql


def _finished_ti(alias: str) -> str:
    return "(%s.state IS NULL OR %s.state NOT IN (%s))" % (alias, alias, _literals(UNFINISHED_TI_STATES))


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _literals(values: Any) -> str:
    return ", ".join(_literal(v) for v in values)


class Relation(NamedTuple):
    """What an export reads for a table: the relation (a table name, or a subquery that adds the
    natural key of a row the table names by id) and the columns it exports."""

    sql: str
    columns: List[db.Column]


def relation(conn: Any, spec: TableSpec) -> Optional[Relation]:
    """The table as the export reads it; None when the source's Airflow has no such table.

    Airflow 3 names a task instance by its id (ti_id) in its notes and reschedules; the bundle
    carries the task instance's natural key instead, as it does from Airflow 2, so the export
    joins it in and leaves the id out (the target resolves it against its own task instances).
    """
    columns = db.reflect_columns(conn, spec.name)
    if columns is None:
        return None
    names = {c.name for c in columns}
    for column, table in sorted(spec.key_references.items()):
        key = table_spec(table).natural_key
        if column not in names or all(k in names for k in key):
            continue
        referenced = {c.name: c for c in db.reflect_columns(conn, table) or []}
        joined = [referenced[k] for k in key]
        sql = "(SELECT x.*, %s FROM %s x JOIN %s k ON k.id = x.%s)" % (
            ", ".join("k.%s" % codec.quote_ident(k) for k in key),
            spec.name,
            table,
            codec.quote_ident(column),
        )
        columns = [c for c in columns if c.name != column] + joined
        return Relation(sql, columns)
    return Relation(spec.name, columns)


def row_source(spec: TableSpec, since: Optional[str], table: Optional[str] = None) -> str:
    """FROM ... WHERE ... selecting the table's rows (alias t) for this export; table: the
    relation to read (relation()), by default the spec's table."""
    name = table or spec.name
    if spec.scope == SCOPE_RUN:
        return "FROM %s t WHERE %s" % (name, _runs_predicate("t", since))
    if spec.scope == SCOPE_TASK:
        sql = "FROM %s t JOIN dag_run r ON r.dag_id = t.dag_id AND r.run_id = t.run_id WHERE %s" % (
            name,
            _runs_predicate("r", since, spec.watermark_column),
        )
        if spec.name == "task_instance":
            return sql + " AND " + _finished_ti("t")
        return sql + (
            " AND EXISTS (SELECT 1 FROM task_instance ti WHERE ti.dag_id = t.dag_id"
            " AND ti.task_id = t.task_id AND ti.run_id = t.run_id AND ti.map_index = t.map_index"
            " AND %s)" % _finished_ti("ti")
        )
    if spec.scope == SCOPE_NOTE:
        return "FROM %s t JOIN dag_run r ON r.id = t.dag_run_id WHERE %s" % (
            name,
            _runs_predicate("r", since, spec.watermark_column),
        )
    conditions = ["true"]
    if spec.scope == SCOPE_DAG:
        conditions.append("(t.dag_id IS NULL OR t.dag_id NOT IN (%s))" % _literals(OWN_DAG_IDS))
    elif spec.scope != SCOPE_GLOBAL:
        raise ValueError("table %s has unknown scope %r" % (spec.name, spec.scope))
    if spec.name == "job":
        conditions.append("(t.dag_id IS NULL OR t.dag_id NOT IN (%s))" % _literals(OWN_DAG_IDS))
    if spec.export_exclude:
        conditions.append("(%s) IS NOT TRUE" % spec.export_exclude)
    if since and spec.watermark_column:
        changed = "t.%s >= %s::timestamptz" % (codec.quote_ident(spec.watermark_column), _literal(since))
        if spec.run_key:
            # The rows of every run the delta carries travel with it, changed or not.
            changed = "(%s OR EXISTS (SELECT 1 FROM dag_run r WHERE %s AND %s))" % (
                changed,
                " AND ".join("r.%s = t.%s" % (codec.quote_ident(c), codec.quote_ident(c)) for c in spec.run_key),
                _runs_predicate("r", since),
            )
        conditions.append(changed)
    return "FROM %s t WHERE %s" % (name, " AND ".join(conditions))


def select_rows(spec: TableSpec, columns: List[db.Column], since: Optional[str], table: Optional[str] = None) -> str:
    """The SELECT whose result is the table's stream: one column per manifest column, named alike."""
    exprs = ", ".join(
        "%s AS %s" % (codec.export_expression("t", c.name, c.data_type), codec.quote_ident(c.name))
        for c in columns
    )
    return "SELECT %s %s" % (exprs, row_source(spec, since, table))


def manifest_columns(spec: TableSpec, columns: List[db.Column]) -> List[Dict[str, Any]]:
    """Name and portable type; nullable and maxLength tell the import which values can never
    be too long or NULL for its target, so that it checks only the others (storable.py)."""
    described = []
    for c in columns:
        column: Dict[str, Any] = {"name": c.name, "type": codec.portable_type(spec.name, c.name, c.data_type)}
        column["nullable"] = c.nullable
        if c.max_length is not None:
            column["maxLength"] = c.max_length
        described.append(column)
    return described


def _export_table(
    conn: Any,
    s3: Any,
    options: ExportOptions,
    spec: TableSpec,
    read: Relation,
    since: Optional[str],
    cipher: Cipher,
) -> Dict[str, Any]:
    key = bundle.table_key(options.prefix, options.export_id, spec.name)
    writer = bundle.StreamWriter(s3, options.bucket, key, options.kms_key_id)
    columns = read.columns
    query = select_rows(spec, columns, since, read.sql)
    try:
        with conn.cursor() as cur:
            if spec.secrets:
                # Few rows; each passes through Python to have its secrets decrypted.
                names = [c.name for c in columns]
                types = [codec.portable_type(spec.name, c.name, c.data_type) for c in columns]
                writer.write(codec.header(names))
                cur.execute(query)
                rows = 0
                for values in cur:
                    row = reveal_row(spec, dict(zip(names, values)), cipher)
                    writer.write(codec.csv_record([codec.encode_value(row[n], t) for n, t in zip(names, types)]))
                    rows += 1
            else:
                cur.copy_expert("COPY (%s) TO STDOUT %s" % (query, codec.COPY_OUT), writer)
                rows = cur.rowcount
        sha256 = writer.close()
    except BaseException:
        writer.abort()
        raise
    return {
        "key": key,
        "columns": manifest_columns(spec, columns),
        "rows": rows,
        "sha256": sha256,
        "bytes": writer.bytes_written,
    }


def skipped_counts(conn: Any, since: Optional[str]) -> Dict[str, Any]:
    """What the export leaves out because it can still change, by state.

    Counted over the runs the export selects (selected_runs), as its rows are: the
    unfinished runs, and the unfinished task instances of the selected runs.
    """
    runs = db.rows(
        conn,
        "SELECT coalesce(r.state, 'none'), count(*) FROM dag_run r WHERE %s AND NOT coalesce(%s, false)"
        " GROUP BY 1 ORDER BY 1" % (selected_runs("r", since), _finished_run("r")),
    )
    tis = db.rows(
        conn,
        "SELECT t.state, count(*) FROM task_instance t JOIN dag_run r ON r.dag_id = t.dag_id AND r.run_id = t.run_id"
        " WHERE t.state IN (%s) AND %s GROUP BY 1 ORDER BY 1" % (_literals(UNFINISHED_TI_STATES), selected_runs("r", since)),
    )
    return {
        "dag_run": {state: int(n) for state, n in runs},
        "task_instance": {state: int(n) for state, n in tis},
    }


def run_export(
    conn: Any,
    s3: Any,
    options: ExportOptions,
    log: Callable[[str], None] = print,
) -> Dict[str, Any]:
    """Writes the bundle and returns its manifest. Restores pauses on failure."""
    validate(options)
    refuse_complete_bundle(s3, options)
    started = time.monotonic()
    cipher = Cipher(options.fernet_keys, SOURCE)
    watermark = db.scalar(conn, "SELECT now()").astimezone(datetime.timezone.utc).isoformat()
    since = options.watermark if options.phase == "delta" else None
    dags = pausing.dag_pause_states(conn)
    conn.commit()

    paused_by_export: List[str] = []
    try:
        if options.pause_active:
            paused_by_export = pausing.pause_active(conn)
            log("paused %d active DAGs: %s" % (len(paused_by_export), ", ".join(paused_by_export)))
            pausing.wait_until_idle(conn, options.deadline_seconds, options.poll_seconds, log)

        # One snapshot for every table, so that children match their parents.
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor() as cur:
            for setting in codec.EXPORT_SETTINGS:
                cur.execute(setting)
        tables: Dict[str, Any] = {}
        absent: List[str] = []
        for spec in select_tables(options.tables):
            read = relation(conn, spec)
            if read is None:
                absent.append(spec.name)
                continue
            table_started = time.monotonic()
            tables[spec.name] = _export_table(conn, s3, options, spec, read, since, cipher)
            entry = tables[spec.name]
            entry["seconds"] = round(time.monotonic() - table_started, 3)
            log(
                "exported %-30s %10d rows %8.1f s %10.1f MiB"
                % (spec.name, entry["rows"], entry["seconds"], entry["bytes"] / 1048576.0)
            )
        skipped = skipped_counts(conn, since)
        revision = db.alembic_revision(conn)
        conn.commit()
        conn.set_session(isolation_level="READ COMMITTED", readonly=False)

        manifest = {
            "formatVersion": bundle.FORMAT_VERSION,
            "exportId": options.export_id,
            "phase": options.phase,
            "since": since,
            "watermark": watermark,
            "source": {"airflowVersion": options.airflow_version, "alembicRevision": revision},
            "tables": tables,
            "absentTables": absent,
            "skipped": skipped,
            "secrets": secrets_note(options),
            "dags": [{"dagId": d, "isPaused": p} for d, p in dags],
            "pausedByExport": paused_by_export,
            "createdAt": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        }
        if not options.kms_key_id and manifest["secrets"]["tables"]:
            log(manifest["secrets"]["warning"])
        # Only if absent: an export under the id of a complete bundle never replaces its manifest.
        bundle.put_json(
            s3,
            options.bucket,
            bundle.manifest_key(options.prefix, options.export_id),
            manifest,
            options.kms_key_id,
            only_if_absent=True,
        )
    except BaseException:
        if paused_by_export:
            log("export failed: unpausing the %d DAGs it paused" % len(paused_by_export))
            conn.rollback()
            conn.set_session(isolation_level="READ COMMITTED", readonly=False)
            pausing.unpause(conn, paused_by_export)
        raise
    log(
        "export %s (%s) complete: %d tables, %d rows, %.1f s"
        % (
            options.export_id,
            options.phase,
            len(tables),
            sum(t["rows"] for t in tables.values()),
            time.monotonic() - started,
        )
    )
    return manifest
