"""Imports started through the plugin: one at a time per target database, found again by run id.

The API server may run several worker processes (MWAA several API servers), so what a run
is doing is kept where every one of them sees it, and nothing is added to Airflow's schema:
- while it runs, its database session holds a session-level advisory lock, and the
  session's application_name carries the run id and the last table it loaded;
- when it ends, import-report.json beside the manifest carries the run id and the outcome
  (the report the DAG path writes too, so the provider reads results the same way).
A run killed with its process leaves neither: its one transaction rolled back, the target
is unchanged, and starting the same run id again runs it again.
"""

import collections
import re
import threading
import time
from typing import Any, Callable, Deque, Dict, NamedTuple, Optional, Tuple

from . import bundle, conf, db
from .plugin_access import BundleLocation, bundle_refusal
from .spec import TABLES

# pg_advisory_lock key of the migration's import ("mwmig" and a serial), one per database.
LOCK_KEY = 0x6D776D6967000001
_APP_NAME = "mm:%s:%s:%d"  # run id, table index ("-": none yet), rows staged
_APP_NAME_PATTERN = re.compile(r"^mm:([^:]+):([^:]+):(\d+)$")
_PROGRESS_LINE = re.compile(r"imported\s+([A-Za-z0-9_]+)\s+(\d+) staged")

RUNNING = "running"
SUCCESS = "success"
FAILED = "failed"
UNKNOWN = "unknown"


class RunStatus(NamedTuple):
    run_id: str
    state: str  # running, success, failed, unknown
    table: Optional[str] = None
    rows: Optional[int] = None
    error: Optional[str] = None
    report_key: Optional[str] = None
    elapsed_seconds: Optional[float] = None

    def document(self, created: Optional[bool] = None, log: Optional[list] = None) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "runId": self.run_id,
            "state": self.state,
            "table": self.table,
            "rows": self.rows,
            "error": self.error,
            "reportKey": self.report_key,
            "elapsedSeconds": self.elapsed_seconds,
        }
        if created is not None:
            out["created"] = created
        if log is not None:
            out["log"] = log
        return out


class RunRefused(Exception):
    """A start the plugin turns down; status is the HTTP status the caller gets."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def application_name(run_id: str, table: Optional[str] = None, rows: int = 0) -> str:
    index = next((str(i) for i, spec in enumerate(TABLES) if spec.name == table), "-")
    return _APP_NAME % (run_id, index, rows)


def parse_application_name(name: Optional[str]) -> Optional[Tuple[str, Optional[str], Optional[int]]]:
    """(run id, last table loaded, its rows) from a running import's application_name."""
    match = _APP_NAME_PATTERN.match(name or "")
    if not match:
        return None
    index = match.group(2)
    table = TABLES[int(index)].name if index.isdigit() and int(index) < len(TABLES) else None
    return match.group(1), table, int(match.group(3)) if table else None


def progress_from_line(line: str) -> Optional[Tuple[str, int]]:
    """The table and rows of an `imported <table> <n> staged ...` line of the import's log."""
    match = _PROGRESS_LINE.search(line)
    return (match.group(1), int(match.group(2))) if match else None


def _lock_parts() -> Tuple[int, int]:
    return LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF


def running_import(conn: Any) -> Optional[RunStatus]:
    """The import holding the lock in this database, if any."""
    high, low = _lock_parts()
    rows = db.rows(
        conn,
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 1",
        (high, low),
    )
    conn.commit()
    if not rows:
        return None
    parsed = parse_application_name(rows[0][0])
    if parsed is None:
        return RunStatus("?", RUNNING)
    run_id, table, count = parsed
    return RunStatus(run_id, RUNNING, table, count)


def reported_status(s3: Any, bucket: str, prefix: str, export_id: str, run_id: str) -> Optional[RunStatus]:
    """The outcome import-report.json records for this run id; None when it records another run's."""
    key = bundle.report_key(prefix, export_id)
    try:
        report = bundle.get_json(s3, bucket, key)
    except FileNotFoundError:
        return None
    if report.get("runId") != run_id:
        return None
    state = SUCCESS if report.get("status") == "succeeded" else FAILED
    return RunStatus(run_id, state, error=report.get("error"), report_key=key,
                     elapsed_seconds=report.get("elapsedSeconds"))


class Runs:
    """Starts imports in a background thread of the API server and reports on them."""

    def __init__(
        self,
        connect: Callable[[], Any],
        s3_client: Callable[[], Any],
        airflow_version: str,
        fernet_keys: Callable[[], Optional[str]],
        work: Callable[..., Dict[str, Any]],
        log: Callable[[str], None],
    ) -> None:
        self._connect = connect
        self._s3 = s3_client
        self._version = airflow_version
        self._fernet_keys = fernet_keys
        self._work = work
        self._log = log
        # Log lines of the runs this process started (a caller on another worker sees none).
        self._lines: Dict[str, Deque[str]] = {}
        self._guard = threading.Lock()

    def log_tail(self, run_id: str) -> Optional[list]:
        lines = self._lines.get(run_id)
        return list(lines) if lines is not None else None

    def status(self, run_id: str, where: Optional[Tuple[str, str, str]]) -> RunStatus:
        conn = self._connect()
        try:
            running = running_import(conn)
        finally:
            conn.close()
        if running is not None and running.run_id == run_id:
            return running
        if where is not None:
            reported = reported_status(self._s3(), where[0], where[1], where[2], run_id)
            if reported is not None:
                return reported
        return RunStatus(run_id, UNKNOWN)

    def start(self, run_id: str, params: Dict[str, Any], allowed: BundleLocation) -> Tuple[RunStatus, bool]:
        """Starts the import, or finds the run of this id; (status, whether this call started it)."""
        keys = self._fernet_keys()
        try:
            # The Airflow this runs in is the target: no key in its configuration means it has none.
            options = conf.import_options(params, self._version, keys, no_fernet_key=keys is None)
        except ValueError as error:
            raise RunRefused(400, str(error)) from None
        refusal = bundle_refusal(allowed, options.bucket, options.prefix, options.export_id)
        if refusal:
            raise RunRefused(403, refusal + "; the plugin reads bundles only there")
        options = options._replace(run_id=run_id)
        s3 = self._s3()
        conn = self._connect()
        started = False
        try:
            status = self._existing(conn, s3, options, run_id)
            if status is not None:
                return status, False
            manifest_key = bundle.manifest_key(options.prefix, options.export_id)
            if not bundle.object_exists(s3, options.bucket, manifest_key):
                raise RunRefused(
                    404,
                    "no manifest at s3://%s/%s: the export is not complete (or the API server's role may not read "
                    "it); import a complete export" % (options.bucket, manifest_key),
                )
            if not db.scalar(conn, "SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)):
                conn.commit()
                status = self._existing(conn, s3, options, run_id)
                if status is not None:
                    return status, False
                raise RunRefused(409, "another import started just now; try again when it has finished")
            db.scalar(conn, "SELECT set_config('application_name', %s, false)", (application_name(run_id),))
            conn.commit()
            self._launch(conn, s3, options, run_id)
            started = True
            return RunStatus(run_id, RUNNING), True
        finally:
            if not started:
                conn.close()

    def _existing(self, conn: Any, s3: Any, options: Any, run_id: str) -> Optional[RunStatus]:
        running = running_import(conn)
        if running is not None:
            if running.run_id == run_id:
                return running
            raise RunRefused(
                409,
                "import %s is running in this Airflow; one import runs at a time: wait for it to finish" % running.run_id,
            )
        return reported_status(s3, options.bucket, options.prefix, options.export_id, run_id)

    def _launch(self, conn: Any, s3: Any, options: Any, run_id: str) -> None:
        lines: Deque[str] = collections.deque(maxlen=200)
        with self._guard:
            self._lines[run_id] = lines

        def log(line: str) -> None:
            lines.append(line)
            self._log("[%s] %s" % (run_id, line))
            progress = progress_from_line(line)
            if progress is None:
                return
            try:
                # Visible to every session at once, inside the import's own transaction.
                db.scalar(conn, "SELECT set_config('application_name', %s, false)",
                          (application_name(run_id, progress[0], progress[1]),))
            except Exception:  # noqa: BLE001 - progress must never stop the import
                pass

        def work() -> None:
            started = time.monotonic()
            try:
                self._work(conn, s3, options, log)
            except Exception as error:  # noqa: BLE001 - the report holds the outcome; keep a line here
                log("import %s failed after %.1f s: %s" % (options.export_id, time.monotonic() - started, error))
            finally:
                conn.close()  # releases the lock

        threading.Thread(target=work, name="mwaa-migration-import-%s" % run_id, daemon=True).start()
