"""Times every SQL statement of one import, to see where an import spends its time.

    python bench/profile_import.py --db-url URL --bucket B --prefix P --export-id ID \
        [--tables dag_run,task_instance] [--truncate] [--explain] [--commit]

Runs the import in the target's venv (PYTHONPATH=payload), rolled back at the end
unless --commit is given, so the same bundle can be profiled again and again (the import
report in the bundle is still rewritten). --truncate empties the target's history tables
first, inside the same transaction. --explain runs every INSERT/UPDATE ... SELECT under
EXPLAIN (ANALYZE, BUFFERS) and prints the plan; the statements still take effect, but
the import's own row counts are then meaningless.
"""

import argparse
import os
import sys
import time
from typing import Any, List, Tuple

from mwaa_migration import bundle, conf, db
from mwaa_migration.importer import run_import

HISTORY = ["dag_run", "task_instance", "xcom", "log", "job"]


class _Timings:
    def __init__(self) -> None:
        self.statements: List[Tuple[float, str]] = []


def _timed_connection(url: str, timings: _Timings, explain: bool, commit: bool) -> Any:
    import psycopg2.extensions

    class TimedCursor(psycopg2.extensions.cursor):
        def execute(self, sql, params=None):  # type: ignore[override]
            started = time.monotonic()
            text = sql if isinstance(sql, str) else str(sql)
            head = text.lstrip().split(None, 1)[0].upper() if text.strip() else ""
            if explain and head in ("INSERT", "UPDATE") and " SELECT " in text.upper():
                super().execute("EXPLAIN (ANALYZE, BUFFERS) " + text, params)
                print("\n".join(row[0] for row in self.fetchall()), flush=True)
            else:
                super().execute(sql, params)
            timings.statements.append((time.monotonic() - started, " ".join(text.split())[:160]))

        def copy_expert(self, sql, file, size=8192):  # type: ignore[override]
            started = time.monotonic()
            super().copy_expert(sql, file, size)
            timings.statements.append((time.monotonic() - started, " ".join(sql.split())[:160]))

    class RolledBackConnection(psycopg2.extensions.connection):
        def commit(self):  # type: ignore[override]
            if commit:
                super().commit()

    conn = psycopg2.connect(db.libpq_url(url), connection_factory=RolledBackConnection, cursor_factory=TimedCursor)
    with conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
    return conn


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--export-id", required=True)
    parser.add_argument("--tables")
    parser.add_argument("--truncate", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--commit", action="store_true")
    args = parser.parse_args(argv)
    timings = _Timings()
    conn = _timed_connection(args.db_url, timings, args.explain, args.commit)
    if args.truncate:
        with conn.cursor() as cur:
            cur.execute("TRUNCATE %s CASCADE" % ", ".join(HISTORY))
    params = {"bucket": args.bucket, "prefix": args.prefix, "exportId": args.export_id,
              "continueSchedules": False}
    if args.tables:
        params["tables"] = args.tables
    options = conf.import_options(params, "2.11.0", os.environ.get("AIRFLOW__CORE__FERNET_KEY"))
    started = time.monotonic()
    try:
        run_import(conn, bundle.s3_client(), options)
    finally:
        elapsed = time.monotonic() - started
        conn.rollback()
        conn.close()
    print("\n%8s  statement" % "seconds")
    for seconds, text in timings.statements:
        if seconds >= 0.05:
            print("%8.2f  %s" % (seconds, text))
    print("%8.2f  total" % elapsed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
