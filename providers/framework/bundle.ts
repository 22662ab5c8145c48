/**
 * The export bundle as the resources see it: `s3://bucket/prefix/exportId/` with manifest.json
 * (written last, so its presence marks a complete export) and import-report.json. The
 * summaries below turn those documents into resource outputs, tolerating missing fields
 * (outputs written by older versions are read back by `read` and `delete`).
 */

export interface BundleLocation {
  bucket: string;
  prefix: string;
  exportId: string;
}

/** The bundle a work resource's inputs (or outputs) point at. */
export function bundleLocation(inputs: Record<string, unknown>): BundleLocation {
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
  /** Task instances left out because they were still running/queued/... at export time. */
  skippedTaskInstances: number;
  /** DAG ids that were not paused when the export ran. */
  activeDags: string[];
}

/** The import DAG's report, written beside the manifest of the export it imported. */
export const IMPORT_REPORT_FILE = "import-report.json";

/** manifest.json as the export DAG writes it (payload/mwaa_migration/export.py). */
export function summariseManifest(manifest: Json): ExportSummary {
  const rowsPerTable: Record<string, number> = {};
  for (const [table, entry] of Object.entries(asObject(manifest.tables)))
    rowsPerTable[table] = asNumber(asObject(entry).rows);
  const dags = Array.isArray(manifest.dags) ? manifest.dags.map(asObject) : [];
  return {
    exportId: asString(manifest.exportId) ?? "",
    phase: asString(manifest.phase) ?? "",
    watermark: asString(manifest.watermark),
    sourceAirflowVersion: asString(asObject(manifest.source).airflowVersion),
    rowsPerTable,
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
  /** Runs of each DAG in the target after the import that came from the bundle. */
  runsPerDag: Record<string, number>;
  /** Source DAGs the target has not parsed (their history is imported only with importOrphanHistory). */
  missingDags: string[];
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
  for (const [table, entry] of Object.entries(asObject(report.tables))) {
    insertedPerTable[table] = asNumber(asObject(entry).inserted);
    alreadyPresentPerTable[table] = asNumber(asObject(entry).alreadyPresent);
    updatedPerTable[table] = asNumber(asObject(entry).updated);
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
    runsPerDag,
    missingDags,
    verified: problems.length === 0,
    problems,
  };
}

function s3Client(region: string | undefined) {
  const { S3Client } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  return new S3Client(region ? { region } : {});
}

/** Reads a JSON document from the bundle; undefined when it is not there (yet). */
export async function readBundleJson(
  location: BundleLocation,
  name: string,
  region?: string,
): Promise<Json | undefined> {
  const { GetObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const client = s3Client(region);
  try {
    const reply = await client.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: `${bundleKeyPrefix(location)}${name}` }),
    );
    const text = await reply.Body!.transformToString();
    return JSON.parse(text) as Json;
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === "NoSuchKey" || name === "NotFound") return undefined;
    throw e;
  } finally {
    client.destroy();
  }
}

/**
 * Reads one table stream of the bundle (`tables/<table>.jsonl.gz`) row by row, without holding
 * the file in memory. A table the bundle does not have yields nothing.
 */
export async function readBundleRows(
  location: BundleLocation,
  table: string,
  region: string | undefined,
  onRow: (row: Json) => void,
): Promise<number> {
  const { GetObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const zlib = require("zlib") as typeof import("zlib");
  const readline = require("readline") as typeof import("readline");
  const client = s3Client(region);
  let rows = 0;
  try {
    let body: NodeJS.ReadableStream;
    try {
      const reply = await client.send(
        new GetObjectCommand({
          Bucket: location.bucket,
          Key: `${bundleKeyPrefix(location)}tables/${table}.jsonl.gz`,
        }),
      );
      body = reply.Body as NodeJS.ReadableStream;
    } catch (e) {
      if ((e as { name?: string }).name === "NoSuchKey") return 0;
      throw e;
    }
    const lines = readline.createInterface({ input: body.pipe(zlib.createGunzip()), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === "") continue;
      onRow(JSON.parse(line) as Json);
      rows++;
    }
  } finally {
    client.destroy();
  }
  return rows;
}

/** Deletes every object under the bundle prefix (purgeOnDelete). Returns how many were removed. */
export async function purgeBundle(location: BundleLocation, region?: string): Promise<number> {
  const { ListObjectsV2Command, DeleteObjectsCommand } =
    require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const client = s3Client(region);
  let removed = 0;
  try {
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: location.bucket,
          Prefix: bundleKeyPrefix(location),
          ContinuationToken: token,
        }),
      );
      const objects = (page.Contents ?? []).map((object) => ({ Key: object.Key! }));
      if (objects.length > 0) {
        await client.send(
          new DeleteObjectsCommand({ Bucket: location.bucket, Delete: { Objects: objects, Quiet: true } }),
        );
        removed += objects.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    client.destroy();
  }
  return removed;
}
