"""The import of two payload trees side by side, each beside COPY FROM STDIN, in interleaved runs.

    PYTHONPATH=local:bench python bench/ab_import.py BEFORE_ROOT AFTER_ROOT [REPS]

BEFORE_ROOT and AFTER_ROOT are checkouts of the project (e.g. `git archive <commit> | tar -x -C dir`); each
exports the quarter-size history (bench.py's seed) with its own payload and imports its own bundle into
Airflow 2.11.0 and 3.3.2, REPS times (default 3), the order alternating. Each import is timed between two
`COPY FROM STDIN` of the same tables into an empty copy database, and compared with their mean: on a
machine whose load changes from minute to minute, a ratio to the COPY next to it says more than one to a
COPY run minutes apart. Prints each run and the medians. Run with the tools venv after bench/run.sh has
started the local stack.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

import bench
from bench import BASELINE_TABLES, BUCKET, HISTORY, PREFIX, AirflowEnv, existing, measured, new_fernet_key, psql, reset

TARGETS = ("2.11.0", "3.3.2")


def run(env: AirflowEnv, root: Path, command: str, export_id: str, *extra: str) -> Tuple[float, float, str]:
    argv = [str(env.venv / "bin" / "python"), "-m", "mwaa_migration", command, "--db-url", env.sql_url,
            "--bucket", BUCKET, "--prefix", PREFIX, "--export-id", export_id, *extra]
    return measured(argv, env.process_env({"PYTHONPATH": str(root / "payload")}))


def main(argv: List[str]) -> int:
    roots = {"before": Path(argv[0]).resolve(), "after": Path(argv[1]).resolve()}
    reps = int(argv[2]) if len(argv) > 2 else 3
    bench.ensure_stack()
    size = bench.SIZES[0][1]
    source = AirflowEnv.create("bench-src", "2.10.3", new_fernet_key())
    targets = [AirflowEnv.create("bench-tgt-%s" % v.replace(".", ""), v, new_fernet_key()) for v in TARGETS]
    reset(source, existing(source, HISTORY))
    bench.add_dags(source, size["dags"])
    for target in targets:
        reset(target, existing(target, HISTORY))
        bench.add_dags(target, size["dags"])
    bench.seed(source, "quarter", size)
    admin = bench.stack_info()["postgres_url"]
    copy_db = "bench_copy"
    psql(admin, "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % copy_db)
    psql(admin, "-c", "CREATE DATABASE %s TEMPLATE %s" % (copy_db, source.database))
    copy_dsn = admin.rsplit("/", 1)[0] + "/" + copy_db
    s3 = source.boto3_client("s3")
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass

    stamp = int(time.time())
    ids = {}
    for which, root in roots.items():
        ids[which] = "ab-%s-%d" % (which, stamp)
        wall, rss, _ = run(source, root, "export", ids[which], "--allow-secrets-without-kms-key")
        print("export %-6s %.1f s, peak RSS %.0f MiB" % (which, wall, rss), flush=True)
    work = Path(tempfile.mkdtemp())
    for table in BASELINE_TABLES:
        with open(work / (table + ".copy"), "wb") as sink:
            psql(source.dsn, "-c", "COPY %s TO STDOUT" % table, stdout=sink)

    def copy_in() -> float:
        reset(copy_dsn, BASELINE_TABLES)
        started = time.monotonic()
        for table in BASELINE_TABLES:
            with open(work / (table + ".copy"), "rb") as feed:
                psql(copy_dsn, "-c", "COPY %s FROM STDIN" % table, stdin=feed)
        return time.monotonic() - started

    results: Dict[Tuple[str, str], List[Tuple[float, float, float]]] = {(t.version, w): [] for t in targets for w in roots}
    for rep in range(reps):
        for index, target in enumerate(targets):
            order = ["before", "after"] if (rep + index) % 2 == 0 else ["after", "before"]
            for which in order:
                reset(target, existing(target, HISTORY))
                before_copy = copy_in()
                wall, rss, _ = run(target, roots[which], "import", ids[which])
                after_copy = copy_in()
                copy = (before_copy + after_copy) / 2
                results[(target.version, which)].append((wall, copy, rss))
                print("run %d into %s %-6s import %5.1f s, COPY FROM STDIN %4.1f / %4.1f s, ratio %.2f, peak RSS %.0f MiB,"
                      " load %s" % (rep + 1, target.version, which, wall, before_copy, after_copy, wall / copy, rss,
                                    open("/proc/loadavg").read().split()[0]), flush=True)
    print()
    for (version, which), rows in results.items():
        ratios = [wall / copy for wall, copy, _ in rows]
        print("into %s %-6s import median %5.1f s, COPY median %4.1f s, ratio median %.2f (%s), peak RSS %.0f MiB" % (
            version, which, statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows),
            statistics.median(ratios), ", ".join("%.2f" % r for r in ratios), max(r[2] for r in rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
