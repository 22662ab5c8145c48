import { strict as assert } from "assert";
import { pollUntil } from "../clock";
import { formatElapsed, formatProgress, lastTableProgress } from "./progress";
import { fakeClock } from "../../test/support/fakeClock";
import { summariseManifest, summariseReport, bundleUri } from "../../contract";

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
    const log = [
      "[2026-01-01] INFO - exported dag_run                              10 rows      0.1 s        0.0 MiB",
      "[2026-01-01] INFO - exported task_instance                    123456 rows     12.0 s        4.2 MiB",
    ].join("\n");
    const table = lastTableProgress(log);
    assert.deepEqual(table, { table: "task_instance", rows: 123456 });
    assert.deepEqual(
      lastTableProgress("imported xcom                  42 staged    40 inserted     2 present"),
      { table: "xcom", rows: 42 },
    );
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
      formatVersion: 1,
      exportId: "bulk-1",
      phase: "bulk",
      watermark: "2026-01-01T00:00:00+00:00",
      source: { airflowVersion: "2.8.1", alembicRevision: "x" },
      // A table's time is absent from bundles written before the export kept it.
      tables: { dag_run: { rows: 3, sha256: "x", seconds: 0.25 }, task_instance: { rows: 9 } },
      skipped: { dag_run: { running: 1 }, task_instance: { running: 2, queued: 1 } },
      dags: [
        { dagId: "b", isPaused: false },
        { dagId: "a", isPaused: false },
        { dagId: "c", isPaused: true },
      ],
    });
    assert.deepEqual(summary, {
      exportId: "bulk-1",
      phase: "bulk",
      watermark: "2026-01-01T00:00:00+00:00",
      sourceAirflowVersion: "2.8.1",
      rowsPerTable: { dag_run: 3, task_instance: 9 },
      secondsPerTable: { dag_run: 0.25 },
      skippedTaskInstances: 3,
      activeDags: ["a", "b"],
    });
  });

  it("summarises an import report and verifies that every run of a DAG the target has arrived", () => {
    const report = {
      status: "succeeded",
      tables: {
        dag_run: {
          staged: 4,
          inserted: 3,
          alreadyPresent: 1,
          updated: 1,
          seconds: { stage: 0.5, load: 1.25, reconcile: 0.25 },
        },
        xcom: { staged: 2, inserted: 2, alreadyPresent: 0 },
      },
      dags: {
        runs: { etl: { runs: 4, imported: 4, inserted: 3 }, gone: { runs: 2, imported: 0, inserted: 0 } },
        missingOnTarget: ["gone"],
        orphanHistoryImported: false,
      },
      // An Airflow 3 target: a whole table it has no place for, and a table that lost only some values.
      notHeldByTarget: {
        sla_miss: { rows: 2, reason: "Airflow 3 has no SLA misses" },
        xcom: { values: { value: { rows: 1, leftOut: 0, reason: "pickled" } } },
      },
    };
    assert.deepEqual(summariseReport(report), {
      insertedPerTable: { dag_run: 3, xcom: 2 },
      alreadyPresentPerTable: { dag_run: 1, xcom: 0 },
      // A report written before updates existed counts none.
      updatedPerTable: { dag_run: 1, xcom: 0 },
      // The sum of a table's step laps; none for a report written before they were kept.
      secondsPerTable: { dag_run: 2 },
      runsPerDag: { etl: 4, gone: 0 },
      missingDags: ["gone"],
      notHeldByTarget: { sla_miss: { rows: 2, reason: "Airflow 3 has no SLA misses" } },
      verified: true,
      problems: [],
    });
    const short = { ...report, dags: { ...report.dags, runs: { etl: { runs: 4, imported: 3 } } } };
    assert.deepEqual(summariseReport(short).problems, [
      "etl: 4 runs in the bundle, 3 in the target (expected 4)",
    ]);
    assert.match(
      summariseReport({ status: "failed", error: "ImportFailed: x" }).problems[0],
      /import status is "failed": ImportFailed: x/,
    );
  });

  it("bundle URIs follow the contract", () => {
    assert.equal(bundleUri({ bucket: "b", prefix: "/m/", exportId: "bulk-1" }), "s3://b/m/bulk-1/");
    assert.equal(bundleUri({ bucket: "b", prefix: "", exportId: "bulk-1" }), "s3://b/bulk-1/");
  });
});
