/**
 * The export bundle contract: where a bundle's objects sit (`s3://bucket/prefix/exportId/` with
 * `tables/<table>.csv.gz`, manifest.json written last so its presence marks a complete export, and
 * import-report.json), the DAG ids and run parameters of the payload, and the manifest and report as
 * the TypeScript side reads them. The names are data in bundle.json, which the Python payload reads
 * too, so both sides share one definition.
 *
 * The summaries turn the documents into resource outputs, tolerating missing fields (outputs written
 * by older versions are read back by `read` and `delete`).
 */
import versions from "./airflowVersions.json";
import contract from "./bundle.json";

/** The documents the Python payload reads, by file name (delivered with it). */
export const CONTRACT_DOCUMENTS: Readonly<Record<string, unknown>> = {
  "airflowVersions.json": versions,
  "bundle.json": contract,
};

export const BUNDLE_FORMAT_VERSION: number = contract.formatVersion;
export const MANIFEST_FILE: string = contract.files.manifest;
/** The import DAG's report, written beside the manifest of the export it imported. */
export const IMPORT_REPORT_FILE: string = contract.files.importReport;
/** The payload's Python package, delivered beside the DAG files. */
export const LIBRARY_FOLDER: string = contract.libraryFolder;
export const EXPORT_DAG_ID: string = contract.dagIds.export;
export const IMPORT_DAG_ID: string = contract.dagIds.import;
/** Both migration DAGs: never paused or unpaused by the cutover. */
export const MIGRATION_DAG_IDS: readonly string[] = [EXPORT_DAG_ID, IMPORT_DAG_ID];
export const EXPORT_PHASES = contract.exportPhases as readonly ExportPhase[];
export type ExportPhase = "full" | "bulk" | "delta";
export const CONFLICT_POLICIES = contract.conflictPolicies as readonly ConflictPolicy[];
export type ConflictPolicy = "skip" | "overwrite" | "fail";
/** Run parameters each DAG accepts (its conf keys); the payload refuses any other. */
export const RUN_CONF_KEYS: { readonly export: readonly string[]; readonly import: readonly string[] } =
  contract.runConf;
/** The key prefix of bundles in the migration bucket when none is configured. */
export const DEFAULT_BUNDLE_PREFIX: string = contract.defaultPrefix;

export interface BundleLocation {
  bucket: string;
  prefix: string;
  exportId: string;
}

/** The bundle a work resource's inputs (or outputs) point at. */
export function bundleLocation(inputs: {
  bucket?: unknown;
  prefix?: unknown;
  exportId?: unknown;
}): BundleLocation {
  return {
    bucket: String(inputs.bucket),
    prefix: String(inputs.prefix ?? ""),
    exportId: String(inputs.exportId),
  };
}

export function bundleKeyPrefix(location: BundleLocation): string {
  const prefix = location.prefix.replace(/^\/+|\/+$/g, "");
  return `${prefix === "" ? "" : `${prefix}/`}${location.exportId}/`;
}

export function bundleUri(location: BundleLocation): string {
  return `s3://${location.bucket}/${bundleKeyPrefix(location)}`;
}

/** The object key of one table's stream. */
export function tableStreamKey(location: BundleLocation, table: string): string {
  return `${bundleKeyPrefix(location)}${contract.files.tablesFolder}/${table}${contract.files.tableStreamExtension}`;
}

/** Whether a path relative to the bundle's folder names a table stream, e.g. "tables/dag_run.csv.gz". */
export function isTableStreamPath(relative: string): boolean {
  const folder = `${contract.files.tablesFolder}/`;
  return (
    relative.startsWith(folder) &&
    relative.endsWith(contract.files.tableStreamExtension) &&
    /^[A-Za-z0-9_]+$/.test(relative.slice(folder.length, -contract.files.tableStreamExtension.length))
  );
}

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
const asNumber = (value: unknown): number =>
  typeof value === "number" && Number.isFinite(value) ? value : 0;
const asString = (value: unknown): string | null => (typeof value === "string" ? value : null);
const sum = (values: Json): number =>
  Object.values(values).reduce<number>((total, v) => total + asNumber(v), 0);

export interface ExportSummary {
  exportId: string;
  phase: string;
  watermark: string | null;
  sourceAirflowVersion: string | null;
  rowsPerTable: Record<string, number>;
  /** Seconds the export spent on each table (bundles written before it kept them have none). */
  secondsPerTable: Record<string, number>;
  /** Task instances left out because they were still running/queued/... at export time. */
  skippedTaskInstances: number;
  /** DAG ids that were not paused when the export ran. */
  activeDags: string[];
}

/** manifest.json as the export DAG writes it (payload/mwaa_migration/export.py). */
/** A table stream's columns (name and portable type) as the manifest lists them; none for a table it lacks. */
export function streamColumns(manifest: Json, table: string): { name: string; type: string }[] {
  const columns = asObject(asObject(manifest.tables)[table]).columns;
  return Array.isArray(columns)
    ? columns.map(asObject).map((column) => ({ name: String(column.name), type: String(column.type) }))
    : [];
}

/** Why this release cannot read the bundle's streams (another format version); undefined when it can. */
export function bundleFormatProblem(manifest: Json): string | undefined {
  const version = manifest.formatVersion;
  if (version === BUNDLE_FORMAT_VERSION) return undefined;
  return (
    `the bundle's manifest has format version ${JSON.stringify(version ?? null)}; this release reads version ` +
    `${BUNDLE_FORMAT_VERSION} (gzip CSV streams): export again with this release (a new exportId), then import that bundle`
  );
}

export function summariseManifest(manifest: Json): ExportSummary {
  const rowsPerTable: Record<string, number> = {};
  const secondsPerTable: Record<string, number> = {};
  for (const [table, entry] of Object.entries(asObject(manifest.tables))) {
    rowsPerTable[table] = asNumber(asObject(entry).rows);
    const seconds = asObject(entry).seconds;
    if (typeof seconds === "number") secondsPerTable[table] = seconds;
  }
  const dags = Array.isArray(manifest.dags) ? manifest.dags.map(asObject) : [];
  return {
    exportId: asString(manifest.exportId) ?? "",
    phase: asString(manifest.phase) ?? "",
    watermark: asString(manifest.watermark),
    sourceAirflowVersion: asString(asObject(manifest.source).airflowVersion),
    rowsPerTable,
    secondsPerTable,
    skippedTaskInstances: sum(asObject(asObject(manifest.skipped).task_instance)),
    activeDags: dags
      .filter((dag) => dag.isPaused === false)
      .map((dag) => String(dag.dagId))
      .sort(),
  };
}

export interface ImportSummary {
  insertedPerTable: Record<string, number>;
  alreadyPresentPerTable: Record<string, number>;
  /** Rows the target had that a newer copy in the bundle brought up to date (a run re-run after the bulk export). */
  updatedPerTable: Record<string, number>;
  /** Seconds the import spent on each table, all its steps (stage, key remapping, load, reconcile). */
  secondsPerTable: Record<string, number>;
  /** Runs of each DAG in the target after the import that came from the bundle. */
  runsPerDag: Record<string, number>;
  /** Source DAGs the target has not parsed (their history is imported only with importOrphanHistory). */
  missingDags: string[];
  /** Whole tables of the bundle the target's Airflow has no place for (e.g. sla_miss on Airflow 3), and why. */
  notHeldByTarget: Record<string, { rows: number; reason: string }>;
  verified: boolean;
  problems: string[];
}

/**
 * import-report.json as the import DAG writes it (payload/mwaa_migration/importer.py),
 * checked once more here: the import succeeded, and every run of a DAG the target has is there.
 */
export function summariseReport(report: Json): ImportSummary {
  const insertedPerTable: Record<string, number> = {};
  const alreadyPresentPerTable: Record<string, number> = {};
  const updatedPerTable: Record<string, number> = {};
  const secondsPerTable: Record<string, number> = {};
  for (const [table, entry] of Object.entries(asObject(report.tables))) {
    insertedPerTable[table] = asNumber(asObject(entry).inserted);
    alreadyPresentPerTable[table] = asNumber(asObject(entry).alreadyPresent);
    updatedPerTable[table] = asNumber(asObject(entry).updated);
    const laps = asObject(asObject(entry).seconds);
    if (Object.keys(laps).length > 0) secondsPerTable[table] = sum(laps);
  }
  const notHeldByTarget: Record<string, { rows: number; reason: string }> = {};
  for (const [table, entry] of Object.entries(asObject(report.notHeldByTarget ?? {}))) {
    const { rows, reason } = asObject(entry);
    if (typeof rows === "number" && rows > 0) notHeldByTarget[table] = { rows, reason: String(reason ?? "") };
  }
  const dags = asObject(report.dags);
  const missingDags = Array.isArray(dags.missingOnTarget) ? dags.missingOnTarget.map(String).sort() : [];
  const orphansImported = dags.orphanHistoryImported === true;
  const runsPerDag: Record<string, number> = {};
  const problems: string[] = [];
  if (report.status !== "succeeded")
    problems.push(
      `import status is ${JSON.stringify(report.status)}${report.error ? `: ${String(report.error)}` : ""}`,
    );
  for (const [dag, counts] of Object.entries(asObject(dags.runs))) {
    const { runs, imported } = asObject(counts);
    runsPerDag[dag] = asNumber(imported);
    const expected = !orphansImported && missingDags.includes(dag) ? 0 : asNumber(runs);
    if (asNumber(imported) !== expected)
      problems.push(
        `${dag}: ${asNumber(runs)} runs in the bundle, ${asNumber(imported)} in the target (expected ${expected})`,
      );
  }
  return {
    insertedPerTable,
    alreadyPresentPerTable,
    updatedPerTable,
    secondsPerTable,
    runsPerDag,
    missingDags,
    notHeldByTarget,
    verified: problems.length === 0,
    problems,
  };
}
