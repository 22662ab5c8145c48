"""Export/import throughput and memory against a psql COPY baseline, at two sizes.

Seeds an Airflow 2.10.3 metadata database with synthetic history (seed.sql), exports it
with the direct mode, imports the bundle into an empty database of each target version
(BENCH_TARGETS, default 2.11.0 and 3.3.2: the Airflow 3 import maps every row to the 3.x
schema), and in the same run copies the same tables with `COPY ... TO STDOUT` /
`COPY ... FROM STDIN` through psql. Prints one table per size and a summary; peak memory is
the max RSS of each process.

Run with bench/run.sh (it starts the local stack first).
"""

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

from mwaa_local import AirflowEnv, ensure_stack, new_fernet_key, stack_info

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = ROOT / "payload"
SEED = ROOT / "bench" / "seed.sql"
BUCKET = "bench-bundles"
PREFIX = "bench"

TARGETS = os.environ.get("BENCH_TARGETS", "2.11.0,3.3.2").split(",")
FULL = {"runs": 200_000, "tis_per_run": 5, "logs": 500_000, "xcoms": 100_000, "dags": 50}
SIZES = [("quarter", {k: (v // 4 if k in ("runs", "logs", "xcoms") else v) for k, v in FULL.items()}), ("full", FULL)]
if os.environ.get("BENCH_SIZES") == "small":  # a quick check of the harness itself
    SIZES = [("tiny", {"runs": 2000, "tis_per_run": 5, "logs": 5000, "xcoms": 1000, "dags": 10})]

HISTORY = ["dag_run", "task_instance", "task_instance_history", "task_fail", "task_reschedule", "xcom",
           "rendered_task_instance_fields", "dag_run_note", "task_instance_note", "sla_miss", "log", "job"]
# What the COPY baseline moves: the seeded tables, parents first.
BASELINE_TABLES = ["dag_run", "task_instance", "xcom", "log"]


def psql(dsn: str, *args: str, stdin=None, stdout=None) -> None:
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn] + list(args),
                   check=True, stdin=stdin, stdout=stdout or subprocess.DEVNULL)


def existing(env: AirflowEnv, tables: List[str]) -> List[str]:
    return [t for t in tables if env.query("SELECT to_regclass(%s) IS NOT NULL", (t,))[0][0]]


def reset(env_or_dsn, tables: List[str]) -> None:
    dsn = env_or_dsn if isinstance(env_or_dsn, str) else env_or_dsn.dsn
    psql(dsn, "-c", "TRUNCATE %s RESTART IDENTITY CASCADE" % ", ".join(tables))


def add_dags(env: AirflowEnv, count: int) -> None:
    """bench_dag_0..count-1 in the dag table, with a value for every column the version requires; on Airflow 3
    also their DAG bundle and a first DAG version (what a parse writes, and what imported runs link to)."""
    columns = env.query(
        "SELECT column_name, data_type, is_nullable = 'NO' AND column_default IS NULL"
        " FROM information_schema.columns WHERE table_name = 'dag'"
    )
    known = {
        "dag_id": "'bench_dag_' || d", "is_paused": "true", "is_active": "true", "is_stale": "false",
        "is_subdag": "false", "fileloc": "'/dags/bench.py'", "max_active_tasks": "16",
        "bundle_name": "'dags-folder'", "timetable_type": "''",
    }
    by_type = {"boolean": "false", "integer": "0", "text": "''", "character varying": "''", "json": "'[]'"}
    values = {}
    for name, data_type, required in columns:
        if name in known:
            values[name] = known[name]
        elif required:
            values[name] = by_type.get(data_type, "now()")
    if "bundle_name" in values:
        psql(env.dsn, "-c", "INSERT INTO dag_bundle (name, active) VALUES ('dags-folder', true) ON CONFLICT DO NOTHING")
    psql(env.dsn, "-c", "INSERT INTO dag (%s) SELECT %s FROM generate_series(0, %d) d ON CONFLICT DO NOTHING"
         % (", ".join(values), ", ".join(values.values()), count - 1))
    if existing(env, ["dag_version"]):
        psql(env.dsn, "-c",
             "INSERT INTO dag_version (id, version_number, dag_id, bundle_name, created_at, last_updated)"
             " SELECT gen_random_uuid(), 1, dag_id, 'dags-folder', now(), now() FROM dag"
             " WHERE dag_id LIKE 'bench_dag_%' AND NOT EXISTS (SELECT 1 FROM dag_version v WHERE v.dag_id = dag.dag_id)")


def exported_rows(output: str) -> Dict[str, int]:
    """Rows per table from the export's per-table lines ("exported <table> <rows> rows ...")."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^exported (\S+)\s+(\d+) rows", output, re.M)}


def count(env: AirflowEnv, table: str) -> int:
    return env.query("SELECT count(*) FROM %s" % table)[0][0]


def measured(argv: List[str], env: Dict[str, str]) -> Tuple[float, float, str]:
    """Runs a command; returns wall seconds, peak RSS in MiB and its output."""
    started = time.monotonic()
    with tempfile.TemporaryFile(mode="w+") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        out.seek(0)
        text = out.read()
    if process.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (" ".join(argv[:4]), text[-3000:]))
    return wall, usage.ru_maxrss / 1024.0, text


def direct(env: AirflowEnv, command: str, export_id: str, *extra: str) -> Tuple[float, float, str]:
    argv = [str(env.venv / "bin" / "python"), "-m", "mwaa_migration", command, "--db-url", env.sql_url,
            "--bucket", BUCKET, "--prefix", PREFIX, "--export-id", export_id, *extra]
    if command == "export":
        # The seeded tables hold no secrets; the bucket's default key is enough on moto.
        argv.append("--allow-secrets-without-kms-key")
    return measured(argv, env.process_env({"PYTHONPATH": str(PAYLOAD)}))


def copy_baseline(source: AirflowEnv, copy_dsn: str, workdir: Path) -> Tuple[float, float, int]:
    out_seconds = in_seconds = 0.0
    total = 0
    for table in BASELINE_TABLES:
        path = workdir / (table + ".copy")
        started = time.monotonic()
        with open(path, "wb") as sink:
            psql(source.dsn, "-c", "COPY %s TO STDOUT" % table, stdout=sink)
        out_seconds += time.monotonic() - started
        started = time.monotonic()
        with open(path, "rb") as feed:
            psql(copy_dsn, "-c", "COPY %s FROM STDIN" % table, stdin=feed)
        in_seconds += time.monotonic() - started
        total += source.query("SELECT count(*) FROM %s" % table)[0][0]
        path.unlink()
    return out_seconds, in_seconds, total


def main() -> int:
    ensure_stack()
    info = stack_info()
    print("creating benchmark environments (Airflow 2.10.3 source; targets %s) ..." % ", ".join(TARGETS), flush=True)
    source = AirflowEnv.create("bench-src", "2.10.3", new_fernet_key())
    targets = [AirflowEnv.create("bench-tgt-%s" % v.replace(".", ""), v, new_fernet_key()) for v in TARGETS]
    copy_db = "bench_copy"
    admin = info["postgres_url"]
    psql(admin, "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % copy_db)
    psql(admin, "-c", "CREATE DATABASE %s TEMPLATE %s" % (copy_db, source.database))
    copy_dsn = admin.rsplit("/", 1)[0] + "/" + copy_db
    s3 = source.boto3_client("s3")
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass

    results = []
    for label, size in SIZES:
        reset(source, existing(source, HISTORY))
        reset(copy_dsn, BASELINE_TABLES)
        add_dags(source, size["dags"])
        for target in targets:
            reset(target, existing(target, HISTORY))
            add_dags(target, size["dags"])
        started = time.monotonic()
        psql(source.dsn, *sum((["-v", "%s=%d" % kv] for kv in size.items()), []), "-f", str(SEED))
        psql(source.dsn, "-c", "VACUUM ANALYZE")
        print("[%s] seeded in %.1f s: %s" % (label, time.monotonic() - started, size), flush=True)

        export_id = "%s-%d" % (label, int(time.time()))
        exp_wall, exp_rss, exp_out = direct(source, "export", export_id)
        rows = sum(exported_rows(exp_out).values())
        print(exp_out.strip().splitlines()[-2] if exp_out.strip() else "", flush=True)
        imports = []
        for target in targets:
            imp_wall, imp_rss, imp_out = direct(target, "import", export_id)
            imports.append((target.version, imp_wall, imp_rss))
            print("into %s: %s" % (target.version, "; ".join(
                " ".join(l.split()) for l in imp_out.splitlines() if l.startswith("imported task_instance "))))
            moved = {t: (count(source, t), count(target, t)) for t in BASELINE_TABLES}
            print("  rows on the target (source -> target): %s" % ", ".join(
                "%s %d -> %d" % (t, a, b) for t, (a, b) in moved.items()), flush=True)
            short = [t for t, (a, b) in moved.items() if a != b]
            if short:
                raise SystemExit("the import into %s did not move every row of %s" % (target.version, ", ".join(short)))
        copy_out, copy_in, copy_rows = copy_baseline(source, copy_dsn, Path(tempfile.mkdtemp()))
        results.append((label, rows, exp_wall, exp_rss, imports, copy_rows, copy_out, copy_in))

    print()
    print("%-8s %-28s %10s %9s %12s %12s %9s" % ("size", "step", "rows", "wall s", "rows/s", "peak RSS MiB", "vs COPY"))
    for label, rows, exp_wall, exp_rss, imports, copy_rows, copy_out, copy_in in results:
        lines = [("export (direct mode)", rows, exp_wall, exp_rss, exp_wall / copy_out)]
        for version, imp_wall, imp_rss in imports:
            lines += [
                ("import into %s" % version, rows, imp_wall, imp_rss, imp_wall / copy_in),
                ("export + import into %s" % version, rows, exp_wall + imp_wall, max(exp_rss, imp_rss),
                 (exp_wall + imp_wall) / (copy_out + copy_in)),
            ]
        lines += [
            ("psql COPY TO STDOUT", copy_rows, copy_out, None, 1.0),
            ("psql COPY FROM STDIN", copy_rows, copy_in, None, 1.0),
            ("COPY out + in", copy_rows, copy_out + copy_in, None, 1.0),
        ]
        for step, n, wall, rss, ratio in lines:
            print("%-8s %-28s %10d %9.1f %12.0f %12s %8.2fx" % (
                label, step, n, wall, n / wall if wall else 0, "%.0f" % rss if rss else "-", ratio))
    if len(results) > 1:
        small, large = results[0], results[-1]
        print("\npeak RSS from %s to %s (%.1fx the rows): export %.0f -> %.0f MiB; import %s"
              % (small[0], large[0], large[1] / small[1], small[3], large[3], ", ".join(
                  "into %s %.0f -> %.0f MiB" % (a[0], a[2], b[2]) for a, b in zip(small[4], large[4]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
