"""The tables the migration carries, described once as data.

Export, schema mapping and import all read these specs; nothing else in the
package names a table's columns. Supporting a new Airflow version means editing
this file: a rename, a derivation for a new NOT NULL column, or a new table.

Columns themselves are not listed: the export takes whatever the source has
(reflected), and the import reflects the target and maps by name. Only what
reflection cannot know is written here.
"""

from typing import Dict, List, NamedTuple, Optional, Tuple, Union

# The migration's own DAGs: their runs are never exported and never imported.
OWN_DAG_IDS = ("mwaa_migration_export", "mwaa_migration_import")

# Task-instance states that cannot resume in another environment. Such task
# instances are left out of the export and counted in the manifest as skipped.
UNFINISHED_TI_STATES = (
    "running",
    "queued",
    "scheduled",
    "up_for_retry",
    "up_for_reschedule",
    "deferred",
    "restarting",
)

# A DAG run is exported once it is finished; a run that is still going is
# picked up by a later delta export (its end_date is after the watermark).
FINISHED_RUN_STATES = ("success", "failed")

# What a delta export compares with the watermark to find the runs that changed.
# A finished run belongs to a delta when any of these columns is at or after it:
# - end_date moves whenever a run finishes again: cleared and re-run, or marked
#   success/failed (DagRun.set_state stamps it);
# - updated_at (dag_run, Airflow 2.5.0+, revision ee8d93fcc81e) is set by the ORM
#   on every change to the row, so it also catches changes that leave end_date
#   alone; rows written before 2.5 have it NULL until touched, hence end_date too.
# Every supported source (2.7 to 2.10) has both. A changed run travels whole: the
# run row and every row of its task instances, so the import can bring them up to
# date (TableSpec.freshness) and add the new tries.
RUN_CHANGE_COLUMNS = ("end_date", "updated_at")


def run_changed_since(alias: str, since_literal: str) -> str:
    """SQL true when run <alias> changed at or after the watermark (an SQL literal)."""
    return "(%s)" % " OR ".join(
        "%s.%s >= %s::timestamptz" % (alias, column, since_literal) for column in RUN_CHANGE_COLUMNS
    )

# Scope: which rows of a table belong to an export.
SCOPE_RUN = "run"  # rows of exported (finished) DAG runs, keyed by dag_id + run_id
SCOPE_TASK = "task"  # rows of exported task instances (same key as task_instance)
SCOPE_DAG = "dag"  # rows carrying a dag_id, filtered on it and on the watermark
SCOPE_NOTE = "note"  # rows that point at dag_run.id
SCOPE_GLOBAL = "global"  # environment-wide rows (pools, variables, connections, jobs)


class Secret(NamedTuple):
    """A column stored Fernet-encrypted when its flag column is true."""

    column: str
    flag: str


class Rename(NamedTuple):
    """A column known under another name on some versions.

    Applied when the source has `old`, the target has `new` and not `old`, so
    the rule holds in both directions of a version pair without version numbers.
    """

    old: str
    new: str


class Derivation(NamedTuple):
    """SQL over staged columns ({column}) for a target column the bundle lacks. `target_needs`
    names what the SQL reads on the target ("table.column"): among a column's derivations the
    first whose placeholders the bundle has and whose needs the target meets is used."""

    sql: str
    target_needs: Tuple[str, ...] = ()


class Conversion(NamedTuple):
    """A column whose type changed between Airflow versions: its values are converted on the way in.

    Applies when the bundle carries the column as `source_type` and the target's column is of
    one of `target_types`; convert.py holds the converters. A value that does not convert is
    either cleared (the row arrives, the column NULL) or leaves its row out; both are listed
    in the import report by the row's natural key, with `reason`.
    """

    source_type: str
    target_types: Tuple[str, ...]
    converter: str
    unconvertible: str
    reason: str


# Conversion.unconvertible
CLEAR_VALUE = "clear"
LEAVE_ROW_OUT = "leave-out"


class Lookup(NamedTuple):
    """A value the target holds for each value of a staged column (from_target): `rows` is a query
    over the target with one row per `key` and its `value`; joined once per statement on the staged
    column `key`, rather than looked up row by row."""

    rows: str
    key: str


class ValueMap(NamedTuple):
    """Values a column's meaning renamed (dataset_triggered became asset_triggered), applied when
    the target has `target_table` (the schema that introduced the new name)."""

    values: Dict[str, str]
    target_table: str


class TableSpec(NamedTuple):
    name: str
    # Columns that identify a row across environments (never a surrogate id).
    natural_key: Tuple[str, ...]
    scope: str
    # Surrogate id column whose values are reassigned by the target's sequence.
    surrogate: Optional[str] = None
    # Columns holding another table's surrogate id: column -> referenced table.
    references: Dict[str, str] = {}
    # Columns that point at things that are not migrated, set to NULL: column -> why
    # (the import report repeats it). Every other column travels as the source has it.
    cleared: Dict[str, str] = {}
    # Column compared with the watermark for delta exports: SCOPE_DAG/GLOBAL rows
    # are exported when it is at or after the watermark; SCOPE_TASK/NOTE rows when
    # their run changed (RUN_CHANGE_COLUMNS) or it is (a note edited later).
    watermark_column: Optional[str] = None
    # Columns that tell which of two copies of a row is newer (their greatest
    # value), all set by Airflow on every change of the row. A row the target
    # already has is brought up to date from a newer copy in the bundle; tables
    # without them are history that only grows (new rows are added).
    freshness: Tuple[str, ...] = ()
    # What a newer copy of a DAG run in the bundle (a run cleared and re-run, or
    # noted, after an earlier export) does to this table's rows of that run:
    # WITH_RUN_UPDATE brings the rows the bundle has up to date; WITH_RUN_REPLACE
    # makes the run's rows the bundle's (updated, added, and removed when the
    # bundle no longer has them). None: the table does not follow its run.
    with_run: Optional[str] = None
    # Columns naming the row's DAG run by its dag_id and logical date, for a
    # SCOPE_DAG table whose rows follow their run (sla_miss).
    run_key: Tuple[str, ...] = ()
    secrets: Tuple[Secret, ...] = ()
    # Pools, variables, connections: the import's conflict policy applies.
    policy_managed: bool = False
    renames: Tuple[Rename, ...] = ()
    # Target column -> SQL expression over staged source columns (written as
    # {column}), used when the target has the column and the source does not; a
    # Derivation, or several to choose from, when the SQL reads the target.
    derivations: Dict[str, Union[str, Derivation, Tuple[Derivation, ...]]] = {}
    # Rows the export leaves out, as an SQL condition over alias t.
    export_exclude: Optional[str] = None
    # Read only to translate references: rows are matched to the target's own
    # rows by natural key rather than imported as history.
    lookup_only: bool = False
    # Natural keys in the target's terms, for targets that lack a column of natural_key
    # (Airflow 3 names a task instance by its id, ti_id, in its notes and reschedules).
    target_natural_keys: Tuple[Tuple[str, ...], ...] = ()
    # Columns of the target that name another table's row by its id where the bundle
    # carries that row's natural key: column -> table, resolved against the target's rows.
    key_references: Dict[str, str] = {}
    # The row's own UUID: copied when the bundle has it, else generated (SQL over staged
    # columns, like derivations); never changed once the row exists.
    identities: Dict[str, str] = {}
    # Target column -> the target's own value for the row, whatever the bundle holds (a DAG
    # version the target parsed); the bundle's value is reported dropped.
    from_target: Dict[str, Lookup] = {}
    conversions: Dict[str, Conversion] = {}
    value_maps: Dict[str, ValueMap] = {}
    # What a NULL becomes in a column the target declares NOT NULL, as Airflow's own
    # upgrade does it (SQL literal).
    null_values: Dict[str, str] = {}
    # Why the target may not have this table at all; its rows are then reported as not
    # held by the target instead of failing the import.
    absent_on_target: Optional[str] = None


WITH_RUN_UPDATE = "update"
WITH_RUN_REPLACE = "replace"

_RUN_KEY = ("dag_id", "run_id")
_TI_KEY = ("dag_id", "task_id", "run_id", "map_index")

_NO_TRIGGERS = "points at a row of the trigger table, which is not migrated (a finished task's trigger is gone)"
_NO_USERS = "names a web UI user of the source; users are not migrated"

# Airflow 3 calls execution_date logical_date; harmless on 2.x pairs.
_LOGICAL_DATE = Rename("execution_date", "logical_date")

# --- Airflow 3 --------------------------------------------------------------------------------

# A version 7 UUID (time-ordered, as Airflow 3's uuid7()) for a row the bundle has no id for:
# the millisecond timestamp of {time} in the first 48 bits, random bits after, version 7.
_UUID7 = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing"
    " substring(int8send((extract(epoch from {time}) * 1000)::bigint) from 3) from 1 for 6),"
    " 52, 1), 53, 1), 'hex')::uuid"
)
_TRY_UUID = _UUID7.replace("{time}", "coalesce({start_date}, {queued_dttm}, now())")

# The DAG version a row of history links to: the newest the target has parsed for its DAG
# (the source's versions are not migrated; NULL for a DAG the target has not parsed).
_TARGET_DAG_VERSION = Lookup(
    "SELECT DISTINCT ON (dag_id) dag_id AS key, id AS value FROM dag_version ORDER BY dag_id, version_number DESC",
    "dag_id",
)

_AIRFLOW3_DROPS_SLAS = "Airflow 3 removed SLAs (sla_miss); its Deadline Alerts keep no history of earlier misses"
_AIRFLOW3_DROPS_TASK_FAIL = (
    "Airflow 3 dropped task_fail; each failed try of a task stays in task_instance_history"
)
_NO_BACKFILLS = "points at a backfill of the source, which is not migrated"
_NO_BUNDLE_VERSIONS = "names a version of the source's DAG bundle, which the target does not have"

# Airflow 2 pickles dag_run.conf; Airflow 3 keeps JSON (migration 0055 converts the same way).
_CONF_TO_JSON = Conversion(
    "bytes",
    ("jsonb", "json"),
    "pickle-json",
    CLEAR_VALUE,
    "the run's conf is a pickle of Python objects JSON cannot hold; the run arrives without its conf",
)
# Airflow 2 keeps XCom values as bytes (JSON text, or a pickle with enable_xcom_pickling);
# Airflow 3 keeps JSON. A pickle is not unpickled (as Airflow's own upgrade, migration 0049).
_XCOM_TO_JSON = Conversion(
    "bytes",
    ("jsonb", "json"),
    "xcom-json",
    LEAVE_ROW_OUT,
    "the XCom value is a pickle or not JSON text, and Airflow 3 keeps XCom values as JSON; the XCom is left out",
)

# In foreign-key order: a table comes after every table it refers to.
TABLES: List[TableSpec] = [
    TableSpec(
        name="log_template",
        natural_key=("filename", "elasticsearch_id"),
        scope=SCOPE_GLOBAL,
        surrogate="id",
        lookup_only=True,
    ),
    TableSpec(
        name="job",
        natural_key=("job_type", "start_date", "hostname"),
        scope=SCOPE_GLOBAL,
        surrogate="id",
        watermark_column="latest_heartbeat",
        # A job still running belongs to a live scheduler/triggerer process.
        export_exclude="t.state = 'running'",
    ),
    TableSpec(
        name="dag_run",
        natural_key=_RUN_KEY,
        scope=SCOPE_RUN,
        surrogate="id",
        references={"creating_job_id": "job", "scheduled_by_job_id": "job", "log_template_id": "log_template"},
        cleared={"backfill_id": _NO_BACKFILLS, "bundle_version": _NO_BUNDLE_VERSIONS},
        renames=(_LOGICAL_DATE,),
        freshness=("updated_at", "end_date"),
        derivations={
            # As Airflow's own upgrade (migration 0058) sets it for runs older than the column.
            "run_after": "coalesce({data_interval_end}, {execution_date})",
            "triggered_by": "CASE {run_type} WHEN 'scheduled' THEN 'TIMETABLE' WHEN 'backfill' THEN 'BACKFILL'"
            " WHEN 'dataset_triggered' THEN 'ASSET' END",
            "created_at": tuple(
                Derivation("coalesce({queued_at}, {start_date}, {%s})" % logical)
                for logical in ("execution_date", "logical_date")
            ),
        },
        from_target={"created_dag_version_id": _TARGET_DAG_VERSION},
        conversions={"conf": _CONF_TO_JSON},
        value_maps={"run_type": ValueMap({"dataset_triggered": "asset_triggered"}, "asset")},
    ),
    TableSpec(
        name="task_instance",
        natural_key=_TI_KEY,
        scope=SCOPE_TASK,
        references={"job_id": "job", "queued_by_job_id": "job"},
        cleared={"trigger_id": _NO_TRIGGERS},
        freshness=("updated_at", "end_date"),
        with_run=WITH_RUN_UPDATE,
        identities={"id": _TRY_UUID},
        from_target={"dag_version_id": _TARGET_DAG_VERSION},
    ),
    TableSpec(
        name="task_instance_history",
        natural_key=_TI_KEY + ("try_number",),
        scope=SCOPE_TASK,
        surrogate="id",
        references={"job_id": "job", "queued_by_job_id": "job"},
        cleared={"trigger_id": _NO_TRIGGERS},
        with_run=WITH_RUN_REPLACE,
        # Airflow 3: each earlier try keeps the id the task instance had during that try.
        identities={"task_instance_id": _TRY_UUID},
        from_target={"dag_version_id": _TARGET_DAG_VERSION},
    ),
    TableSpec(
        name="task_fail",
        natural_key=_TI_KEY + ("start_date", "end_date"),
        scope=SCOPE_TASK,
        surrogate="id",
        with_run=WITH_RUN_REPLACE,
        absent_on_target=_AIRFLOW3_DROPS_TASK_FAIL,
    ),
    TableSpec(
        name="task_reschedule",
        natural_key=_TI_KEY + ("try_number", "reschedule_date"),
        scope=SCOPE_TASK,
        surrogate="id",
        with_run=WITH_RUN_REPLACE,
        # Airflow 3 keeps a task instance's reschedules under its id and no try number
        # (its own upgrade, migration 0063, attaches them all to the task instance).
        target_natural_keys=(("ti_id", "reschedule_date"),),
        key_references={"ti_id": "task_instance"},
    ),
    TableSpec(
        name="xcom",
        natural_key=_TI_KEY + ("key",),
        scope=SCOPE_TASK,
        references={"dag_run_id": "dag_run"},
        freshness=("timestamp",),
        with_run=WITH_RUN_REPLACE,
        conversions={"value": _XCOM_TO_JSON},
    ),
    TableSpec(
        name="rendered_task_instance_fields",
        natural_key=_TI_KEY,
        scope=SCOPE_TASK,
        with_run=WITH_RUN_REPLACE,
    ),
    TableSpec(
        name="dag_run_note",
        natural_key=("dag_run_id",),
        scope=SCOPE_NOTE,
        references={"dag_run_id": "dag_run"},
        cleared={"user_id": _NO_USERS},
        watermark_column="updated_at",
        freshness=("updated_at",),
        with_run=WITH_RUN_REPLACE,
    ),
    TableSpec(
        name="task_instance_note",
        natural_key=_TI_KEY,
        scope=SCOPE_TASK,
        cleared={"user_id": _NO_USERS},
        watermark_column="updated_at",
        freshness=("updated_at",),
        with_run=WITH_RUN_REPLACE,
        target_natural_keys=(("ti_id",),),
        key_references={"ti_id": "task_instance"},
    ),
    TableSpec(
        name="sla_miss",
        natural_key=("dag_id", "task_id", "execution_date"),
        scope=SCOPE_DAG,
        watermark_column="timestamp",
        renames=(_LOGICAL_DATE,),
        # Airflow updates a miss (notification_sent, email_sent) without a timestamp
        # to show for it: a delta carries the misses of every run it carries.
        run_key=("dag_id", "execution_date"),
        with_run=WITH_RUN_REPLACE,
        absent_on_target=_AIRFLOW3_DROPS_SLAS,
    ),
    TableSpec(
        name="log",
        natural_key=("dttm", "event", "dag_id", "task_id", "execution_date"),
        scope=SCOPE_DAG,
        surrogate="id",
        watermark_column="dttm",
        renames=(_LOGICAL_DATE,),
        # log.run_id appeared in 2.10; older sources have only execution_date.
        derivations={
            "run_id": tuple(
                Derivation(
                    "(SELECT r.run_id FROM dag_run r WHERE r.dag_id = {dag_id} AND r.%s = {execution_date})" % column,
                    ("dag_run.%s" % column,),
                )
                for column in ("execution_date", "logical_date")
            ),
        },
        # Airflow 3.2 made event NOT NULL; its upgrade (migration 0097) writes '' for NULL.
        null_values={"event": "''"},
    ),
    TableSpec(
        name="slot_pool",
        natural_key=("pool",),
        scope=SCOPE_GLOBAL,
        surrogate="id",
        policy_managed=True,
        # Every environment has its own default_pool; its size is not history.
        export_exclude="t.pool = 'default_pool'",
    ),
    TableSpec(
        name="variable",
        natural_key=("key",),
        scope=SCOPE_GLOBAL,
        surrogate="id",
        policy_managed=True,
        secrets=(Secret("val", "is_encrypted"),),
    ),
    TableSpec(
        name="connection",
        natural_key=("conn_id",),
        scope=SCOPE_GLOBAL,
        surrogate="id",
        policy_managed=True,
        secrets=(Secret("password", "is_encrypted"), Secret("extra", "is_extra_encrypted")),
    ),
]

TABLES_BY_NAME: Dict[str, TableSpec] = {spec.name: spec for spec in TABLES}


def table_spec(name: str) -> TableSpec:
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise ValueError(
            "unknown table %r: the migration carries %s" % (name, ", ".join(TABLES_BY_NAME))
        ) from None


def select_tables(names: Optional[List[str]]) -> List[TableSpec]:
    """The specs for the requested table names, kept in foreign-key order."""
    if not names:
        return list(TABLES)
    wanted = {table_spec(n).name for n in names}
    return [spec for spec in TABLES if spec.name in wanted]
