import { strict as assert } from "assert";
import type { ExportSummary, ImportSummary } from "../contract";
import {
  DatabaseSnapshot,
  dagRows,
  freezeWindow,
  freezeWindowParts,
  logSummary,
  reconcile,
  reportBaseName,
  rowsPerSecond,
  stageTotals,
  tableRows,
  timeline,
} from "./report";

const exportOf = (rows: Record<string, number>, skippedTaskInstances = 0): ExportSummary => ({
  exportId: "e",
  phase: "bulk",
  watermark: null,
  sourceAirflowVersion: "2.8.1",
  rowsPerTable: rows,
  secondsPerTable: {},
  skippedTaskInstances,
  activeDags: [],
});

const importOf = (
  inserted: Record<string, number>,
  alreadyPresent: Record<string, number> = {},
): ImportSummary => ({
  insertedPerTable: inserted,
  alreadyPresentPerTable: alreadyPresent,
  updatedPerTable: {},
  secondsPerTable: {},
  runsPerDag: {},
  missingDags: [],
  notHeldByTarget: {},
  verified: true,
  problems: [],
});

const snapshot = (
  dags: Record<string, [boolean | null, number, number]>,
  tables: Record<string, number> = {},
): DatabaseSnapshot => ({
  airflowVersion: "2.8.1",
  dags: Object.fromEntries(
    Object.entries(dags).map(([id, [isPaused, runs, finishedRuns]]) => [
      id,
      { isPaused, runs, finishedRuns },
    ]),
  ),
  tables,
});

describe("rehearsal report data", () => {
  it("adds up the time each export and import spent on a table, and says rows per second only when it can", () => {
    const [row] = tableRows(
      [
        { ...exportOf({ dag_run: 100 }), secondsPerTable: { dag_run: 0.5 } },
        { ...exportOf({ dag_run: 20 }), secondsPerTable: { dag_run: 0.1 } },
      ],
      [{ ...importOf({ dag_run: 120 }), secondsPerTable: { dag_run: 1.2 } }],
    );
    assert.deepEqual([row.exportSeconds, row.importSeconds], [0.6, 1.2]);
    assert.equal(rowsPerSecond(row.exported, row.exportSeconds), 200);
    assert.equal(rowsPerSecond(5, 0.001), null, "too short to say");
  });

  it("lays the stages end to end and the freeze window inside the cutover, ending with its update", () => {
    const stages = [
      { stage: "setup", seconds: 50, ok: true },
      { stage: "cutover", seconds: 40, ok: true },
      { stage: "verify", seconds: 10, ok: false },
    ];
    const bars = timeline(stages, 20, 30);
    assert.deepEqual(
      bars.map((b) => [b.label, Number(b.start.toFixed(6)), Number(b.width.toFixed(6)), b.ok]),
      [
        ["setup", 0, 0.5, true],
        ["cutover", 0.5, 0.4, true],
        ["verify", 0.9, 0.1, false],
        ["freeze window", 0.6, 0.2, true],
      ],
    );
    assert.equal(timeline(stages, null).length, 3, "no freeze window without a cutover's times");
    assert.deepEqual(timeline([], 5), []);
    const parts = [
      { part: "pause and quiesce", seconds: 5 },
      { part: "delta export", seconds: 10 },
      { part: "activation and engine steps", seconds: 5 },
    ];
    assert.deepEqual(
      timeline(stages, 20, 30, parts)
        .slice(4)
        .map((b) => [b.label, Number(b.start.toFixed(6)), Number(b.width.toFixed(6))]),
      [
        ["pause and quiesce", 0.6, 0.05],
        ["delta export", 0.65, 0.1],
        ["activation and engine steps", 0.75, 0.05],
      ],
      "the window's parts follow one another from its start",
    );
  });

  it("splits the freeze window into the quiesce, the delta's export and import, and the rest", () => {
    const pausedAtMs = Date.parse("2026-12-03T10:00:00Z");
    const times = {
      pausedAtMs,
      quietAtMs: pausedAtMs + 2_340,
      deltaExportSeconds: 6.1,
      deltaImportSeconds: 4.5,
    };
    assert.deepEqual(freezeWindowParts(15, times), [
      { part: "pause and quiesce", seconds: 2.3 },
      { part: "delta export", seconds: 6.1 },
      { part: "delta import", seconds: 4.5 },
      { part: "activation and engine steps", seconds: 2.1 },
    ]);
    assert.deepEqual(freezeWindowParts(null, times), [], "no window, no parts");
    assert.deepEqual(freezeWindowParts(15, { ...times, deltaImportSeconds: null }), [], "a part unknown");
  });

  it("adds bulk and delta per table; rows the delta found already imported and running task instances count as skipped", () => {
    const rows = tableRows(
      [
        exportOf({ dag_run: 10, task_instance: 40 }, 2),
        exportOf({ dag_run: 3, task_instance: 9, variable: 1 }, 1),
      ],
      [
        importOf({ dag_run: 10, task_instance: 40 }),
        importOf({ dag_run: 2, task_instance: 7 }, { dag_run: 1, task_instance: 2 }),
      ],
    );
    assert.deepEqual(rows, [
      {
        table: "dag_run",
        exported: 13,
        imported: 12,
        skipped: 1,
        notHeld: 0,
        exportSeconds: 0,
        importSeconds: 0,
      },
      {
        table: "task_instance",
        exported: 49,
        imported: 47,
        skipped: 5,
        notHeld: 0,
        exportSeconds: 0,
        importSeconds: 0,
      },
      {
        table: "variable",
        exported: 1,
        imported: 0,
        skipped: 0,
        notHeld: 0,
        exportSeconds: 0,
        importSeconds: 0,
      },
    ]);
  });

  it("takes runs before from the source at freeze time and paused states from before and after cutover", () => {
    const before = snapshot({ etl: [false, 5, 5], sensor: [true, 2, 2] });
    const atFreeze = snapshot({ etl: [true, 6, 6], sensor: [true, 2, 2] });
    const target = snapshot({ etl: [false, 7, 7] });
    assert.deepEqual(dagRows(before, atFreeze, target), [
      {
        dagId: "etl",
        runsBefore: 6,
        runsAfter: 7,
        pausedOnSourceBefore: false,
        pausedOnSourceAfter: true,
        pausedOnTarget: false,
      },
      {
        dagId: "sensor",
        runsBefore: 2,
        runsAfter: 0,
        pausedOnSourceBefore: true,
        pausedOnSourceAfter: true,
        pausedOnTarget: null,
      },
    ]);
  });

  it("reconciles when the target gained exactly the source's migratable rows and kept each DAG's paused state", () => {
    const source = snapshot({ etl: [true, 6, 6], sensor: [true, 2, 2] }, { dag_run: 8, task_instance: 30 });
    const tables = [
      {
        table: "dag_run",
        exported: 9,
        imported: 8,
        skipped: 1,
        notHeld: 0,
        exportSeconds: 0,
        importSeconds: 0,
      },
      {
        table: "task_instance",
        exported: 30,
        imported: 30,
        skipped: 0,
        notHeld: 0,
        exportSeconds: 0,
        importSeconds: 0,
      },
    ];
    const dags = [
      {
        dagId: "etl",
        runsBefore: 6,
        runsAfter: 6,
        pausedOnSourceBefore: false,
        pausedOnSourceAfter: true,
        pausedOnTarget: false,
      },
      {
        dagId: "sensor",
        runsBefore: 2,
        runsAfter: 2,
        pausedOnSourceBefore: true,
        pausedOnSourceAfter: true,
        pausedOnTarget: true,
      },
    ];
    assert.deepEqual(reconcile(tables, dags, source, [{ stage: "bulk", seconds: 1, ok: true }]), []);
  });

  it("names every count that does not add up", () => {
    const source = snapshot({ etl: [true, 6, 6] }, { dag_run: 6, task_instance: 30 });
    const problems = reconcile(
      [
        {
          table: "dag_run",
          exported: 6,
          imported: 5,
          skipped: 0,
          notHeld: 0,
          exportSeconds: 0,
          importSeconds: 0,
        },
      ],
      [
        {
          dagId: "etl",
          runsBefore: 6,
          runsAfter: 5,
          pausedOnSourceBefore: false,
          pausedOnSourceAfter: true,
          pausedOnTarget: true,
        },
      ],
      source,
      [{ stage: "cutover", seconds: 3, ok: false, detail: "import failed" }],
    );
    assert.deepEqual(problems, [
      "stage cutover failed: import failed",
      "dag_run: the source has 6 migratable rows, the target gained 5",
      "task_instance: the source has 30 migratable rows, the target gained 0",
      "etl: 6 finished runs on the source, 5 on the target",
      "etl: active on the source before cutover, paused on the target after it",
    ]);
  });

  it("measures the freeze window from the pause to the target's activation", () => {
    assert.equal(freezeWindow(1_000, 43_250), 42.3);
    assert.equal(freezeWindow(null, 5), null);
  });

  it("sums task-log copies of bulk and delta; streams already copied come from the last run", () => {
    const result = (total: number, copied: number, skipped: number, events: number) => ({
      streams: { total, copied, skipped, missing: 0, archivedOnly: 0 },
      eventsCopied: events,
      eventsArchived: 0,
      taskInstances: { selected: 0, filteredByState: 0, filteredByAge: 0 },
      getLogEventsCalls: 0,
      throttledCalls: 0,
    });
    assert.deepEqual(logSummary([result(40, 40, 0, 400), result(48, 8, 40, 90)]), {
      streams: 48,
      copied: 48,
      alreadyThere: 40,
      missing: 0,
      eventsCopied: 490,
      eventsArchived: 0,
      archiveLocation: null,
    });
  });

  it("adds up a stage that ran twice and keeps the first-run order", () => {
    assert.deepEqual(
      stageTotals([
        { stage: "prepare", seconds: 1, ok: true },
        { stage: "import", seconds: 2, ok: false, detail: "x" },
        { stage: "prepare", seconds: 3, ok: true },
      ]),
      [
        { stage: "prepare", seconds: 4, ok: true, detail: undefined },
        { stage: "import", seconds: 2, ok: false, detail: "x" },
      ],
    );
  });

  it("names report files after the mode and the start time", () => {
    assert.equal(
      reportBaseName("rehearsal", new Date("2026-03-04T05:06:07.890Z")),
      "rehearsal-20260304-050607",
    );
  });
});
