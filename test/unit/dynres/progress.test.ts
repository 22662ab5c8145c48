import { strict as assert } from "assert";
import {
  formatElapsed,
  formatProgress,
  lastTableProgress,
  pollUntil,
} from "../../../providers/resources/progress";
import { fakeClock } from "./support/fakeClock";
import { summariseManifest, summariseReport, bundleUri } from "../../../providers/resources/bundle";

describe("progress and deadlines", () => {
  it("polls at the interval and stops at the deadline, never sleeping past it", async () => {
    const clock = fakeClock();
    let calls = 0;
    await assert.rejects(
      pollUntil(
        clock,
        25_000,
        10_000,
        async () => (calls++, undefined),
        () => new Error("late"),
      ),
      /late/,
    );
    assert.equal(calls, 4);
    assert.deepEqual(clock.slept, [10_000, 10_000, 5_000]);
  });

  it("returns the first value", async () => {
    const clock = fakeClock();
    let calls = 0;
    assert.equal(
      await pollUntil(
        clock,
        60_000,
        1_000,
        async () => (++calls === 3 ? "done" : undefined),
        () => new Error("late"),
      ),
      "done",
    );
  });

  it("reads the last table progress line from a task log and formats a progress line", () => {
    const log = "x\nprogress table=dag_run rows=10\n...\nprogress table=task_instance rows=123456\nbye";
    const table = lastTableProgress(log);
    assert.deepEqual(table, { table: "task_instance", rows: 123456 });
    assert.equal(
      formatProgress({
        resource: "MetadataExport",
        runId: "bulk-1-e1",
        state: "running",
        task: "export_tables",
        table,
        elapsedMs: 125_000,
      }),
      "[MetadataExport] bulk-1-e1: running · task export_tables · table task_instance · 123,456 rows · 2m05s elapsed",
    );
    assert.equal(formatElapsed(3_725_000), "1h02m");
  });
});

describe("bundle documents", () => {
  it("summarises a manifest: rows per table, skipped task instances, DAGs active at export time", () => {
    const summary = summariseManifest({
      format_version: 1,
      export_id: "bulk-1",
      phase: "bulk",
      watermark: "2026-01-01T00:00:00+00:00",
      airflow_version: "2.8.1",
      tables: { dag_run: { rows: 3, sha256: "x" }, task_instance: { row_count: 9 } },
      skipped: { running: 2, queued: 1 },
      dags: [
        { dag_id: "b", is_paused: false },
        { dag_id: "a", is_paused: false },
        { dag_id: "c", is_paused: true },
      ],
    });
    assert.deepEqual(summary, {
      exportId: "bulk-1",
      phase: "bulk",
      watermark: "2026-01-01T00:00:00+00:00",
      sourceAirflowVersion: "2.8.1",
      rowsPerTable: { dag_run: 3, task_instance: 9 },
      skippedTaskInstances: 3,
      activeDags: ["a", "b"],
    });
  });

  it("summarises an import report and fails verification on any problem", () => {
    const ok = summariseReport({
      tables: [{ name: "dag_run", inserted: 3, already_present: 1 }],
      runs_per_dag: { etl: 4 },
      verified: true,
    });
    assert.deepEqual(ok, {
      insertedPerTable: { dag_run: 3 },
      alreadyPresentPerTable: { dag_run: 1 },
      runsPerDag: { etl: 4 },
      verified: true,
      problems: [],
    });
    assert.equal(
      summariseReport({ verified: true, problems: ["dag_run: 3 exported, 2 present"] }).verified,
      false,
    );
  });

  it("bundle URIs follow the contract", () => {
    assert.equal(bundleUri({ bucket: "b", prefix: "/m/", exportId: "bulk-1" }), "s3://b/m/bulk-1/");
    assert.equal(bundleUri({ bucket: "b", prefix: "", exportId: "bulk-1" }), "s3://b/bulk-1/");
  });
});
