"""The freeze window's history-dependent part, at 1x and 10x the history: the cutover's delta export and
import, with the bulk already imported.

For each scale, seeds an Airflow 2.10.3 source with synthetic history (seed.sql, BENCH_FREEZE_BASE_RUNS DAG
runs at 1x, default 200,000 with five task instances each), exports and imports it in bulk into an Airflow
2.11.0 target (direct mode), then writes a cutover delta on the source (delta.sql: an hour of new runs of
every DAG and old task instances cleared and run again) and times the delta export from the bulk's
watermark and its import. The rest of the window (pause, quiesce, activation) is REST calls whose cost does
not depend on the history; the rehearsal report measures the whole window. Prints one line per scale and
the ratio of the largest to the smallest.

Run with bench/run.sh freeze (it starts the local stack first).
"""

import json
import os
import sys
import time
from typing import Dict, List

from bench import BUCKET, HISTORY, PREFIX, SEED, add_dags, count, direct, existing, exported_rows, psql, reset
from mwaa_local import AirflowEnv, ensure_stack, new_fernet_key

DELTA = SEED.parent / "delta.sql"
BASE_RUNS = int(os.environ.get("BENCH_FREEZE_BASE_RUNS", "200000"))
SCALES = [int(s) for s in os.environ.get("BENCH_FREEZE_SCALES", "1,10").split(",")]
DAGS = 50
DELTA_RUNS_PER_DAG = 12  # an hour at five-minute intervals
DELTA_RERUNS = 1000


def watermark_of(env: AirflowEnv, export_id: str) -> str:
    body = env.boto3_client("s3").get_object(Bucket=BUCKET, Key="%s/%s/manifest.json" % (PREFIX, export_id))["Body"]
    return json.loads(body.read())["watermark"]


def main() -> int:
    ensure_stack()
    print("creating environments (Airflow 2.10.3 source, 2.11.0 target) ...", flush=True)
    source = AirflowEnv.create("freeze-src", "2.10.3", new_fernet_key())
    target = AirflowEnv.create("freeze-tgt", "2.11.0", new_fernet_key())
    s3 = source.boto3_client("s3")
    try:
        s3.create_bucket(Bucket=BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass

    results: List[Dict[str, float]] = []
    for scale in SCALES:
        runs = BASE_RUNS * scale
        size = {"runs": runs, "tis_per_run": 5, "logs": runs * 5 // 2, "xcoms": runs // 2, "dags": DAGS}
        label = "%dx" % scale
        for env in (source, target):
            reset(env, existing(env, HISTORY))
            add_dags(env, DAGS)
        started = time.monotonic()
        psql(source.dsn, *sum((["-v", "%s=%d" % kv] for kv in size.items()), []), "-f", str(SEED))
        psql(source.dsn, "-c", "VACUUM ANALYZE")
        print("[%s] seeded %d runs in %.1f s" % (label, runs, time.monotonic() - started), flush=True)

        bulk_id = "freeze-bulk-%s-%d" % (label, int(time.time()))
        bulk_export = direct(source, "export", bulk_id)[0]
        bulk_import = direct(target, "import", bulk_id)[0]
        psql(target.dsn, "-c", "VACUUM ANALYZE")
        print("[%s] bulk: export %.1f s, import %.1f s" % (label, bulk_export, bulk_import), flush=True)

        psql(source.dsn, "-v", "runs=%d" % DELTA_RUNS_PER_DAG, "-v", "rerun=%d" % DELTA_RERUNS, "-f", str(DELTA))
        delta_id = "freeze-delta-%s-%d" % (label, int(time.time()))
        watermark = watermark_of(source, bulk_id)
        export_seconds, _, export_out = direct(source, "export", delta_id, "--phase", "delta", "--watermark", watermark)
        import_seconds, import_rss, _ = direct(target, "import", delta_id)
        moved = exported_rows(export_out)
        for table in ("dag_run", "task_instance"):
            if count(source, table) != count(target, table):
                raise SystemExit("[%s] after the delta, %s differs: source %d, target %d"
                                 % (label, table, count(source, table), count(target, table)))
        results.append({
            "scale": scale, "runs": runs, "task_instances": runs * 5,
            "delta_runs": moved.get("dag_run", 0), "delta_tis": moved.get("task_instance", 0),
            "export": export_seconds, "import": import_seconds, "rss": import_rss,
        })
        print("[%s] delta: %d runs, %d task instances; export %.1f s, import %.1f s"
              % (label, moved.get("dag_run", 0), moved.get("task_instance", 0), export_seconds, import_seconds),
              flush=True)

    print()
    print("%-6s %10s %14s %11s %11s %10s %10s %13s" % (
        "scale", "runs", "task inst.", "delta runs", "delta TIs", "export s", "import s", "export+import"))
    for r in results:
        print("%-6s %10d %14d %11d %11d %10.1f %10.1f %13.1f" % (
            "%dx" % r["scale"], r["runs"], r["task_instances"], r["delta_runs"], r["delta_tis"],
            r["export"], r["import"], r["export"] + r["import"]))
    if len(results) > 1:
        small, large = results[0], results[-1]
        ratio = (large["export"] + large["import"]) / (small["export"] + small["import"])
        print("\nthe delta's export + import at %dx the history took %.2fx its time at %dx (goal: 1.2x or less)"
              % (large["scale"] // small["scale"], ratio, small["scale"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
