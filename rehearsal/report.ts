/**
 * The rehearsal report as data: built from what the providers returned (export manifests, import
 * reports, the task-log copy result) and from snapshots of both databases, then checked for
 * reconciliation. Pure functions only; rendering lives in render.ts.
 */
import type { Report as CompatReport } from "../compat";
import type { ExportSummary, ImportSummary } from "../contract";
import type { ParseParity, TaskLogCopyResult } from "../providers";
import type { PipelineRun } from "./pipelines";

export const REPORT_FORMAT_VERSION = 1;

/** What envs.py snapshot returns for one environment. */
export interface DatabaseSnapshot {
  airflowVersion: string;
  dags: Record<string, { isPaused: boolean | null; runs: number; finishedRuns: number }>;
  /** Rows the migration carries, counted with the export's rules. */
  tables: Record<string, number>;
  /** Per migrated table, rows repeating another row's natural key. */
  duplicates?: Record<string, number>;
}

export interface StageTiming {
  stage: string;
  seconds: number;
  ok: boolean;
  detail?: string;
}

export interface TableRow {
  table: string;
  exported: number;
  imported: number;
  /** Rows already present on the target (re-exported by the delta) plus rows the export left out. */
  skipped: number;
  /** Rows of a table the target's Airflow has no place for (e.g. sla_miss on Airflow 3). */
  notHeld: number;
  /** Why the target does not hold them; absent when it holds every row. */
  notHeldReason?: string;
  /** Seconds the exports and the imports spent on the table (0 when the bundle did not say). */
  exportSeconds: number;
  importSeconds: number;
}

export interface DagRow {
  dagId: string;
  runsBefore: number;
  runsAfter: number;
  pausedOnSourceBefore: boolean | null;
  pausedOnSourceAfter: boolean | null;
  pausedOnTarget: boolean | null;
}

export interface LogSummary {
  streams: number;
  copied: number;
  alreadyThere: number;
  missing: number;
  eventsCopied: number;
  eventsArchived: number;
  archiveLocation: string | null;
}

/** One stage as the engine ran it: what its preview proposed and what its update did. */
export interface EngineStageSummary {
  stage: string;
  /** The preview's steps, e.g. "create MetadataExport rehearsal-bulk-export". */
  planned: string[];
  /** The engine's summary of the update (operation -> resources). */
  update: Record<string, number>;
  /** The preview after the update proposed nothing. */
  settled: boolean;
  previewSeconds: number;
  updateSeconds: number;
}

export interface Report {
  formatVersion: number;
  mode: "rehearsal" | "bundle";
  startedAt: string;
  finishedAt: string;
  source: { airflowVersion: string; seededRuns: number | null; account?: string } | null;
  /** `reachedAs`: the role the migration reached a target in another account as. */
  target: { airflowVersion: string; account?: string; reachedAs?: string };
  stages: StageTiming[];
  tables: TableRow[];
  dags: DagRow[];
  logs: LogSummary | null;
  /** How long the source's DAGs were paused: from the cutover pause to the target's activation. */
  freezeWindowSeconds: number | null;
  /** What the freeze window was spent on, in order (absent in reports written before it was measured). */
  freezeWindowParts?: FreezeWindowPart[];
  /** How long the cutover took to stage its migration DAGs, before the pause (outside the window). */
  stagedBeforePauseSeconds?: number | null;
  /** DAGs whose history the target refused or would refuse (not parsed there). */
  refusedDags: string[];
  /**
   * `npm run check-dags` over the source's DAG folder for the target version (rehearsals only): whether
   * the workflows run on the target before their history moves there; `error` when the check could not run.
   */
  dagCompatibility?: CompatReport | { error: string };
  /** The prepare stage's parse check on the target (TargetDagParse): what parses there and what does not. */
  targetParse?: ParseParity;
  /** The custom web UI role made on the target (AirflowRole, as a `webUiAccess` mapping's), or why none. */
  webUiRole?: { name: string; dags: string[]; permissions: number } | { skipped: string };
  /**
   * `--pipelines`: each converted Data Pipeline pipeline and its one run on the target, every wait within
   * `capSeconds`; the runs' output is in `log`.
   */
  pipelines?: { runs: PipelineRun[]; capSeconds: number; log: string };
  /** The Pulumi engine's view of each stage (absent in reports written before it ran the stages). */
  engine?: { cli: { version: string; builtSeconds: number | null }; stages: EngineStageSummary[] };
  reconciled: boolean;
  problems: string[];
}

const add = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
};

/**
 * Per table, over every export and import of the rehearsal (bulk, then the cutover's delta).
 * Task instances the export left out (still running) count as skipped, as the manifest does.
 */
export function tableRows(
  exportSummaries: readonly ExportSummary[],
  imports: readonly ImportSummary[],
): TableRow[] {
  const exported: Record<string, number> = {};
  const imported: Record<string, number> = {};
  const skipped: Record<string, number> = {};
  const notHeld: Record<string, number> = {};
  const reasons: Record<string, string> = {};
  const exportSeconds: Record<string, number> = {};
  const importSeconds: Record<string, number> = {};
  for (const summary of exportSummaries) {
    add(exported, summary.rowsPerTable);
    add(exportSeconds, summary.secondsPerTable);
    add(skipped, { task_instance: summary.skippedTaskInstances });
  }
  for (const summary of imports) {
    add(imported, summary.insertedPerTable);
    add(importSeconds, summary.secondsPerTable);
    add(skipped, summary.alreadyPresentPerTable);
    for (const [table, entry] of Object.entries(summary.notHeldByTarget ?? {})) {
      add(notHeld, { [table]: entry.rows });
      reasons[table] = entry.reason;
    }
  }
  const names = new Set([...Object.keys(exported), ...Object.keys(imported)]);
  return [...names].sort().map((table) => ({
    table,
    exported: exported[table] ?? 0,
    imported: imported[table] ?? 0,
    skipped: skipped[table] ?? 0,
    notHeld: notHeld[table] ?? 0,
    ...(reasons[table] ? { notHeldReason: reasons[table] } : {}),
    exportSeconds: round3(exportSeconds[table] ?? 0),
    importSeconds: round3(importSeconds[table] ?? 0),
  }));
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** Rows per second, or null when the time is too short to say (under 5 ms) or unknown. */
export function rowsPerSecond(rows: number, seconds: number): number | null {
  return seconds >= 0.005 ? Math.round(rows / seconds) : null;
}

/** One bar of the report's timeline, placed on a 0..1 axis of the whole run. */
export interface TimelineBar {
  label: string;
  /** A stage, or the freeze window drawn inside the cutover. */
  kind: "stage" | "freeze";
  start: number;
  width: number;
  seconds: number;
  ok: boolean;
}

/**
 * The stages end to end on one axis, and the freeze window as its own bar inside the cutover stage,
 * followed by a bar per part of the window.
 * The window runs from the pause to the target's activation, the first and last steps of the
 * cutover's update, so it ends where that update ends: `cutoverUpdateEndSeconds` after the stage
 * began (its preview and update, from the engine's timings), else at the end of the stage.
 */
export function timeline(
  stages: readonly StageTiming[],
  freezeWindowSeconds: number | null,
  cutoverUpdateEndSeconds?: number,
  parts: readonly FreezeWindowPart[] = [],
): TimelineBar[] {
  const total = stages.reduce((sum, s) => sum + s.seconds, 0);
  if (total <= 0) return [];
  const bars: TimelineBar[] = [];
  let at = 0;
  for (const stage of stages) {
    bars.push({
      label: stage.stage,
      kind: "stage",
      start: at / total,
      width: stage.seconds / total,
      seconds: stage.seconds,
      ok: stage.ok,
    });
    at += stage.seconds;
  }
  const cutover = bars.find((bar) => bar.label === "cutover");
  if (cutover && freezeWindowSeconds !== null) {
    const end =
      cutoverUpdateEndSeconds === undefined
        ? cutover.start + cutover.width
        : cutover.start + Math.min(cutoverUpdateEndSeconds / total, cutover.width);
    const width = Math.min(freezeWindowSeconds / total, end - cutover.start);
    bars.push({
      label: "freeze window",
      kind: "freeze",
      start: end - width,
      width,
      seconds: freezeWindowSeconds,
      ok: true,
    });
    // The window's parts, one after the other from its start, on the same scale.
    let partStart = end - width;
    for (const part of parts) {
      const partWidth = Math.min(part.seconds / total, end - partStart);
      bars.push({
        label: part.part,
        kind: "freeze",
        start: partStart,
        width: partWidth,
        seconds: part.seconds,
        ok: true,
      });
      partStart += partWidth;
    }
  }
  return bars;
}

/**
 * Per DAG of the source: runs on the source when it froze (or before, when it never froze), runs on
 * the target after, and the paused states before and after cutover.
 */
export function dagRows(
  sourceBefore: DatabaseSnapshot,
  sourceAfter: DatabaseSnapshot | null,
  targetAfter: DatabaseSnapshot,
): DagRow[] {
  return Object.keys(sourceBefore.dags)
    .sort()
    .map((dagId) => ({
      dagId,
      runsBefore: sourceAfter?.dags[dagId]?.runs ?? sourceBefore.dags[dagId].runs,
      runsAfter: targetAfter.dags[dagId]?.runs ?? 0,
      pausedOnSourceBefore: sourceBefore.dags[dagId].isPaused,
      pausedOnSourceAfter: sourceAfter?.dags[dagId]?.isPaused ?? null,
      pausedOnTarget: targetAfter.dags[dagId]?.isPaused ?? null,
    }));
}

export function logSummary(result: TaskLogCopyResult | TaskLogCopyResult[]): LogSummary {
  const results = Array.isArray(result) ? result : [result];
  return {
    streams: Math.max(0, ...results.map((r) => r.streams.total)),
    copied: results.reduce((n, r) => n + r.streams.copied, 0),
    alreadyThere: results.length ? results[results.length - 1].streams.skipped : 0,
    missing: results.length ? results[results.length - 1].streams.missing : 0,
    eventsCopied: results.reduce((n, r) => n + r.eventsCopied, 0),
    eventsArchived: results.reduce((n, r) => n + r.eventsArchived, 0),
    archiveLocation: results.map((r) => r.archiveLocation).find((l) => l !== undefined) ?? null,
  };
}

export interface FreezeWindowPart {
  part: string;
  seconds: number;
}

/** What the cutover's phases report about their own time, for the window's parts. */
export interface CutoverTimes {
  pausedAtMs: number | null;
  quietAtMs: number | null;
  deltaExportSeconds: number | null;
  deltaImportSeconds: number | null;
}

/**
 * The freeze window in its parts: the pause until the source was quiet, the delta's export and import
 * (each run's own time), and the rest (the engine's steps between the phases and the target's
 * activation). Empty when the window or a part is unknown.
 */
export function freezeWindowParts(windowSeconds: number | null, times: CutoverTimes): FreezeWindowPart[] {
  const { pausedAtMs, quietAtMs, deltaExportSeconds, deltaImportSeconds } = times;
  if (windowSeconds === null || pausedAtMs === null || quietAtMs === null) return [];
  if (deltaExportSeconds === null || deltaImportSeconds === null) return [];
  const tenths = (seconds: number) => Math.round(seconds * 10) / 10;
  const quiesce = tenths(Math.max(0, (quietAtMs - pausedAtMs) / 1000));
  const rest = tenths(Math.max(0, windowSeconds - quiesce - deltaExportSeconds - deltaImportSeconds));
  return [
    { part: "pause and quiesce", seconds: quiesce },
    { part: "delta export", seconds: tenths(deltaExportSeconds) },
    { part: "delta import", seconds: tenths(deltaImportSeconds) },
    { part: "activation and engine steps", seconds: rest },
  ];
}

/** Seconds between two instants (ms), or null when either is unknown. */
export function freezeWindow(pausedAtMs: number | null, activatedAtMs: number | null): number | null {
  if (pausedAtMs === null || activatedAtMs === null) return null;
  return Math.max(0, Math.round((activatedAtMs - pausedAtMs) / 100) / 10);
}

/** Tables whose imported total must equal the source's migratable rows once the source is still. */
const RECONCILED_TABLES = ["dag_run", "task_instance", "variable", "connection", "slot_pool"];

/**
 * What does not add up, in words a reader can act on. A full rehearsal reconciles when the target
 * gained exactly the source's migratable rows, every DAG has its runs on the target, and each DAG
 * active on the source before cutover is active on the target after it (and paused ones stay paused).
 */
export function reconcile(
  tables: readonly TableRow[],
  dags: readonly DagRow[],
  sourceAfter: DatabaseSnapshot,
  stages: readonly StageTiming[],
): string[] {
  const problems: string[] = [];
  for (const stage of stages.filter((s) => !s.ok))
    problems.push(`stage ${stage.stage} failed: ${stage.detail ?? ""}`);
  const byName = new Map(tables.map((row) => [row.table, row]));
  for (const table of RECONCILED_TABLES) {
    const expected = sourceAfter.tables[table];
    if (expected === undefined) continue;
    const imported = byName.get(table)?.imported ?? 0;
    if (imported !== expected)
      problems.push(`${table}: the source has ${expected} migratable rows, the target gained ${imported}`);
  }
  for (const dag of dags) {
    const finished = sourceAfter.dags[dag.dagId]?.finishedRuns ?? dag.runsBefore;
    if (dag.runsAfter < finished)
      problems.push(`${dag.dagId}: ${finished} finished runs on the source, ${dag.runsAfter} on the target`);
    if (dag.pausedOnSourceBefore !== null && dag.pausedOnTarget !== dag.pausedOnSourceBefore)
      problems.push(
        `${dag.dagId}: ${dag.pausedOnSourceBefore ? "paused" : "active"} on the source before cutover, ` +
          `${dag.pausedOnTarget === null ? "absent" : dag.pausedOnTarget ? "paused" : "active"} on the target after it`,
      );
  }
  return problems;
}

/** Stage durations in order, one entry per stage name (a repeated stage adds up). */
export function stageTotals(stages: readonly StageTiming[]): StageTiming[] {
  const merged = new Map<string, StageTiming>();
  for (const stage of stages) {
    const seen = merged.get(stage.stage);
    merged.set(
      stage.stage,
      seen
        ? {
            ...seen,
            seconds: seen.seconds + stage.seconds,
            ok: seen.ok && stage.ok,
            detail: stage.detail ?? seen.detail,
          }
        : { ...stage },
    );
  }
  return [...merged.values()];
}

/** File names for the three renderings, from the start time: reports/rehearsal-20260101-101500.{txt,html,json}. */
export function reportBaseName(mode: Report["mode"], startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${mode}-${stamp}`;
}
