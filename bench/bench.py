"""Export/import throughput and memory against a psql COPY baseline, at two sizes.

Seeds an Airflow 2.10.3 metadata database with synthetic history (seed.sql), exports it
with the direct mode, imports the bundle into an empty database of each target version
(BENCH_TARGETS, default 2.11.0 and 3.3.2: the Airflow 3 import maps every row to the 3.x
schema), and in the same run copies the same tables with `COPY ... TO STDOUT` /
`COPY ... FROM STDIN` through psql: out of the source and into a copy of it, and, for each
target, the rows the import wrote into a copy of that target as it was before the import (its
indexes and foreign keys), twice: in the order they were written on the source (by time, the
baseline an import into it compares with) and in the order the import left them (by key, which
PostgreSQL's indexes take faster). Prints one table per size and a summary; peak memory is the
max RSS of each process.

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
if os.environ.get("BENCH_SIZES"):  # "small": a quick check of the harness itself; "quarter": the quarter size only
    SIZES = {"small": [("tiny", {"runs": 2000, "tis_per_run": 5, "logs": 5000, "xcoms": 1000, "dags": 10})],
             "quarter": SIZES[:1]}[os.environ["BENCH_SIZES"]]

HISTORY = ["dag_run", "task_instance", "task_instance_history", "task_fail", "task_reschedule", "xcom",
           "rendered_task_instance_fields", "dag_run_note", "task_instance_note", "sla_miss", "log", "job"]
# What the COPY baseline moves: the seeded tables, parents first.
BASELINE_TABLES = ["dag_run", "task_instance", "xcom", "log"]
# The order each table's rows were written in on the source (the seed writes them hour by hour): the first
# of these columns the table has (dag_run's is logical_date on Airflow 3).
WRITTEN_ORDER = {"dag_run": ["logical_date", "execution_date"], "task_instance": ["start_date"],
                 "xcom": ["timestamp"], "log": ["dttm"]}
PEER = ["mwaa-dr==2.2.0", "smart-open==7.1.0"]  # smart-open is mwaa-dr's one requirement; wrapt, its own, is in Airflow
PEER_VERSION = "2.10.3"  # mwaa-dr restores into the version it backed up
# What else mwaa-dr 2.2.0 moves for Airflow 2.10 (active_dag is its own table of unpaused DAGs, active_dags).
PEER_OTHER_TABLES = ["variable", "connection", "slot_pool", "job", "trigger", "task_fail", "active_dags"]
# Every 29th run goes, with its task instances, XComs and log rows: the runs left have gaps in their ids.
GAPS = """
DELETE FROM log l USING dag_run r WHERE r.id % 29 = 3 AND l.dag_id = r.dag_id AND l.execution_date = r.execution_date;
DELETE FROM xcom x USING dag_run r WHERE r.id % 29 = 3 AND x.dag_run_id = r.id;
DELETE FROM task_instance t USING dag_run r WHERE r.id % 29 = 3 AND t.dag_id = r.dag_id AND t.run_id = r.run_id;
DELETE FROM dag_run WHERE id % 29 = 3;
"""
# XComs whose dag_run_id is not the id of their own (dag_id, run_id) on the database.
WRONG_RUN = """SELECT count(*) FROM xcom x LEFT JOIN dag_run r ON r.id = x.dag_run_id
WHERE r.id IS NULL OR (r.dag_id, r.run_id) <> (x.dag_id, x.run_id)"""


def psql(dsn: str, *args: str, stdin=None, stdout=None) -> None:
    # No NOTICEs (a TRUNCATE ... CASCADE names every table it reaches).
    quiet = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn] + list(args),
                   check=True, stdin=stdin, stdout=stdout or subprocess.DEVNULL, env=quiet)


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


def scalar(dsn: str, sql: str) -> int:
    out = subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip())


def rows_on_target(source: AirflowEnv, target: AirflowEnv, tables: List[str], what: str) -> List[str]:
    """Prints each table's rows on the source and the target; returns the tables where they differ."""
    moved = {t: (count(source, t), count(target, t)) for t in tables}
    print("  %s (source -> target): %s" % (what, ", ".join(
        "%s %d -> %d" % (t, a, b) for t, (a, b) in moved.items())), flush=True)
    return [t for t, (a, b) in moved.items() if a != b]


def wrong_run(dsn: str) -> int:
    return scalar(dsn, WRONG_RUN)


def seed(source: AirflowEnv, label: str, size: Dict[str, int]) -> None:
    """The synthetic history, less every 29th run (so the run ids left have gaps)."""
    started = time.monotonic()
    psql(source.dsn, *sum((["-v", "%s=%d" % kv] for kv in size.items()), []), "-f", str(SEED))
    psql(source.dsn, "-c", GAPS)
    psql(source.dsn, "-c", "VACUUM ANALYZE")
    print("[%s] seeded in %.1f s: %s; %d runs left after the gaps, ids up to %d; xcom rows pointing at the wrong"
          " run on the source: %d" % (label, time.monotonic() - started, size, count(source, "dag_run"),
                                      scalar(source.dsn, "SELECT max(id) FROM dag_run"), wrong_run(source.dsn)),
          flush=True)


def run_peer(source: AirflowEnv, target: AirflowEnv, site: Path, label: str) -> Dict[str, float]:
    """mwaa-dr's backup of the source and its restore into the (emptied) target, timed, with the rows checked."""
    prefix = "mwaa-dr/%s-%d" % (label, int(time.time()))
    backup_wall, backup_rss, _ = peer(source, "backup", site, prefix)
    restore_wall, restore_rss, out = peer(target, "restore", site, prefix)
    print("mwaa-dr into %s: %s" % (target.version, "; ".join(
        line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("mwaa-dr restore_"))))
    short = rows_on_target(source, target, BASELINE_TABLES, "rows on the target")
    if short:
        print("  mwaa-dr's rows differ from the source's in %s" % ", ".join(short))
    rows_on_target(source, target, existing(source, PEER_OTHER_TABLES), "also moved by mwaa-dr")
    return {"backup": backup_wall, "backup_rss": backup_rss, "restore": restore_wall, "restore_rss": restore_rss,
            "rows": sum(count(target, t) for t in BASELINE_TABLES), "wrong": wrong_run(target.dsn)}


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


def install_peer(env: AirflowEnv) -> Path:
    """mwaa-dr and smart-open, without dependencies, in a new directory for the PYTHONPATH of env's python."""
    uv = subprocess.run(["bash", "-c", "source local/lib/venv.sh && mwaa_uv"], cwd=ROOT, check=True,
                        capture_output=True, text=True).stdout.strip()
    site = Path(tempfile.mkdtemp(prefix="bench-mwaa-dr-"))
    subprocess.run([uv, "pip", "install", "--quiet", "--no-deps", "--python", str(env.venv / "bin" / "python"),
                    "--target", str(site)] + PEER, check=True)
    return site


def peer(env: AirflowEnv, step: str, site: Path, prefix: str) -> Tuple[float, float, str]:
    argv = [str(env.venv / "bin" / "python"), str(ROOT / "bench" / "peer_mwaa_dr.py"), step,
            "--bucket", BUCKET, "--prefix", prefix]
    return measured(argv, env.process_env({"PYTHONPATH": str(site)}))


def empty_copy_of(target: AirflowEnv, admin: str) -> str:
    """A database cloned from the target before its import (its DAGs and DAG versions, no history)."""
    name = "bench_copy_" + target.database
    psql(admin, "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
    psql(admin, "-c", "CREATE DATABASE %s TEMPLATE %s" % (name, target.database))
    return admin.rsplit("/", 1)[0] + "/" + name


def copy_in_after(target: AirflowEnv, copy_dsn: str, workdir: Path, written_order: bool) -> float:
    """Seconds of COPY FROM STDIN of the rows the import wrote into the target, into its pre-import clone
    (emptied first): in the order they were written on the source, or as the import left them."""
    reset(copy_dsn, BASELINE_TABLES)
    seconds = 0.0
    for table in BASELINE_TABLES:
        path = workdir / (table + ".target.copy")
        query = table
        if written_order:
            column = next(c for c in WRITTEN_ORDER[table] if existing_column(target, table, c))
            query = "(SELECT * FROM %s ORDER BY %s)" % (table, column)
        with open(path, "wb") as sink:
            psql(target.dsn, "-c", "COPY %s TO STDOUT" % query, stdout=sink)
        started = time.monotonic()
        with open(path, "rb") as feed:
            psql(copy_dsn, "-c", "COPY %s FROM STDIN" % table, stdin=feed)
        seconds += time.monotonic() - started
        path.unlink()
    return seconds


def existing_column(env: AirflowEnv, table: str, column: str) -> bool:
    return bool(env.query("SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
                          (table, column)))


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
    print("creating benchmark environments (Airflow 2.10.3 source; targets %s; mwaa-dr into %s) ..."
          % (", ".join(TARGETS), PEER_VERSION), flush=True)
    source = AirflowEnv.create("bench-src", "2.10.3", new_fernet_key())
    targets = [AirflowEnv.create("bench-tgt-%s" % v.replace(".", ""), v, new_fernet_key()) for v in TARGETS]
    peer_target = AirflowEnv.create("bench-tgt-dr", PEER_VERSION, new_fernet_key())
    site = install_peer(peer_target)
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
        for target in targets + [peer_target]:
            reset(target, existing(target, HISTORY))
            add_dags(target, size["dags"])
        psql(peer_target.dsn, "-c", "DROP TABLE IF EXISTS active_dags")
        target_copies = {t.version: empty_copy_of(t, admin) for t in targets}
        seed(source, label, size)

        export_id = "%s-%d" % (label, int(time.time()))
        exp_wall, exp_rss, exp_out = direct(source, "export", export_id)
        rows = sum(exported_rows(exp_out).values())
        print(exp_out.strip().splitlines()[-2] if exp_out.strip() else "", flush=True)
        imports = []
        for target in targets:
            imp_wall, imp_rss, imp_out = direct(target, "import", export_id)
            print("into %s: %s" % (target.version, "; ".join(
                " ".join(line.split()) for line in imp_out.splitlines() if line.startswith("imported task_instance "))))
            short = rows_on_target(source, target, BASELINE_TABLES, "rows on the target")
            if short:
                raise SystemExit("the import into %s did not move every row of %s" % (target.version, ", ".join(short)))
            workdir = Path(tempfile.mkdtemp())
            by_key = copy_in_after(target, target_copies[target.version], workdir, written_order=False)
            copy_in_target = copy_in_after(target, target_copies[target.version], workdir, written_order=True)
            print("  COPY FROM STDIN of the same rows into %s as it was before the import: %.1f s in the order"
                  " written (import %.2fx), %.1f s in key order (import %.2fx)"
                  % (target.version, copy_in_target, imp_wall / copy_in_target, by_key, imp_wall / by_key),
                  flush=True)
            imports.append((target.version, imp_wall, imp_rss, wrong_run(target.dsn), copy_in_target,
                            wrong_run(target_copies[target.version]), by_key))
        peer_result = run_peer(source, peer_target, site, label)
        copy_out, copy_in, copy_rows = copy_baseline(source, copy_dsn, Path(tempfile.mkdtemp()))
        results.append({"label": label, "rows": rows, "exp_wall": exp_wall, "exp_rss": exp_rss, "imports": imports,
                        "peer": peer_result, "copy_rows": copy_rows, "copy_out": copy_out, "copy_in": copy_in,
                        "copy_wrong": wrong_run(copy_dsn)})

    print()
    print_steps(results)
    print()
    print_side_by_side(results)
    if len(results) > 1:
        small, large = results[0], results[-1]
        print("\npeak RSS from %s to %s (%.1fx the rows): export %.0f -> %.0f MiB; import %s; mwaa-dr backup"
              " %.0f -> %.0f MiB, restore %.0f -> %.0f MiB"
              % (small["label"], large["label"], large["rows"] / small["rows"], small["exp_rss"], large["exp_rss"],
                 ", ".join("into %s %.0f -> %.0f MiB" % (a[0], a[2], b[2])
                           for a, b in zip(small["imports"], large["imports"])),
                 small["peer"]["backup_rss"], large["peer"]["backup_rss"],
                 small["peer"]["restore_rss"], large["peer"]["restore_rss"]))
    return 0


def print_steps(results: List[Dict]) -> None:
    """Each step of each tool, timed, against the COPY step it compares with: an import against COPY into
    the same target (its schema, indexes and foreign keys), the peer's restore against COPY into the source's."""
    print("%-8s %-28s %10s %9s %12s %12s %9s" % ("size", "step", "rows", "wall s", "rows/s", "peak RSS MiB", "vs COPY"))
    for r in results:
        exp_wall, exp_rss, copy_out, copy_in, dr = r["exp_wall"], r["exp_rss"], r["copy_out"], r["copy_in"], r["peer"]
        lines = [("export (direct mode)", r["rows"], exp_wall, exp_rss, exp_wall / copy_out)]
        for version, imp_wall, imp_rss, _, target_in, _, by_key in r["imports"]:
            lines += [
                ("import into %s" % version, r["rows"], imp_wall, imp_rss, imp_wall / target_in),
                ("export + import into %s" % version, r["rows"], exp_wall + imp_wall, max(exp_rss, imp_rss),
                 (exp_wall + imp_wall) / (copy_out + target_in)),
                ("COPY FROM STDIN into %s" % version, r["rows"], target_in, None, 1.0),
                ("  the same, in key order", r["rows"], by_key, None, by_key / target_in),
            ]
        lines += [
            ("mwaa-dr backup", dr["rows"], dr["backup"], dr["backup_rss"], dr["backup"] / copy_out),
            ("mwaa-dr restore into %s" % PEER_VERSION, dr["rows"], dr["restore"], dr["restore_rss"],
             dr["restore"] / copy_in),
            ("mwaa-dr backup + restore", dr["rows"], dr["backup"] + dr["restore"],
             max(dr["backup_rss"], dr["restore_rss"]), (dr["backup"] + dr["restore"]) / (copy_out + copy_in)),
            ("psql COPY TO STDOUT", r["copy_rows"], copy_out, None, 1.0),
            ("psql COPY FROM STDIN (src)", r["copy_rows"], copy_in, None, 1.0),
            ("COPY out + in", r["copy_rows"], copy_out + copy_in, None, 1.0),
        ]
        for step, n, wall, rss, ratio in lines:
            print("%-8s %-28s %10d %9.1f %12.0f %12s %8.2fx" % (
                r["label"], step, n, wall, n / wall if wall else 0, "%.0f" % rss if rss else "-", ratio))


def print_side_by_side(results: List[Dict]) -> None:
    """Ours / mwaa-dr / COPY over the same seeded rows (dag_run, task_instance, xcom, log), out + in; each
    tool against COPY out of the source and into a database of the version it writes."""
    print("%-8s %-26s %10s %9s %9s %9s %10s %12s %8s  %s" % (
        "size", "tool (out + in)", "rows", "out s", "in s", "total s", "rows/s", "peak RSS MiB", "vs COPY",
        "xcom rows pointing at the wrong run"))
    for r in results:
        copy_total = r["copy_out"] + r["copy_in"]
        dr = r["peer"]
        tools = []
        for v, wall, rss, wrong, target_in, copy_wrong, _ in r["imports"]:
            tools += [("mwaa-migration -> %s" % v, r["exp_wall"], wall, max(r["exp_rss"], rss), wrong,
                       r["copy_out"] + target_in),
                      ("psql COPY -> %s" % v, r["copy_out"], target_in, None, copy_wrong, r["copy_out"] + target_in)]
        tools += [("mwaa-dr 2.2.0 -> %s" % PEER_VERSION, dr["backup"], dr["restore"],
                   max(dr["backup_rss"], dr["restore_rss"]), dr["wrong"], copy_total),
                  ("psql COPY -> %s" % PEER_VERSION, r["copy_out"], r["copy_in"], None, r["copy_wrong"], copy_total)]
        for tool, out_s, in_s, rss, wrong, baseline in tools:
            total = out_s + in_s
            print("%-8s %-26s %10d %9.1f %9.1f %9.1f %10.0f %12s %7.2fx  %d" % (
                r["label"], tool, r["copy_rows"], out_s, in_s, total, r["copy_rows"] / total,
                "%.0f" % rss if rss else "-", total / baseline, wrong))


if __name__ == "__main__":
    sys.exit(main())
