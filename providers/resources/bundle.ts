/**
 * The export bundle as the resources see it: `s3://bucket/prefix/exportId/` with manifest.json
 * (written last, so its presence marks a complete export) and import-report.json. The
 * summaries below turn those documents into resource outputs; they accept the key spellings
 * the payload writes (snake_case) and camelCase alike, so older bundles still read.
 */

export interface BundleLocation {
  bucket: string;
  prefix: string;
  exportId: string;
}

export function bundleKeyPrefix(location: BundleLocation): string {
  const prefix = location.prefix.replace(/^\/+|\/+$/g, "");
  return `${prefix === "" ? "" : `${prefix}/`}${location.exportId}/`;
}

export function bundleUri(location: BundleLocation): string {
  return `s3://${location.bucket}/${bundleKeyPrefix(location)}`;
}

type Json = Record<string, unknown>;

function pick(doc: Json, ...names: string[]): unknown {
  for (const name of names) if (doc[name] !== undefined) return doc[name];
  return undefined;
}

function asNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** Tables may be a map {name: {...}} or a list [{name, ...}]; returns [name, entry] pairs. */
function tableEntries(value: unknown): [string, Json][] {
  if (Array.isArray(value)) {
    return value
      .filter((entry): entry is Json => typeof entry === "object" && entry !== null)
      .map((entry) => [String(pick(entry, "name", "table")), entry]);
  }
  if (typeof value === "object" && value !== null) {
    return Object.entries(value as Json).map(([name, entry]) => [
      name,
      typeof entry === "object" && entry !== null ? (entry as Json) : { rows: entry },
    ]);
  }
  return [];
}

export interface ExportSummary {
  exportId: string;
  phase: string;
  watermark: string | null;
  sourceAirflowVersion: string | null;
  rowsPerTable: Record<string, number>;
  skippedTaskInstances: number;
  /** DAG ids that were not paused when the export ran (the ones cutover unpauses on the target). */
  activeDags: string[];
}

export function summariseManifest(manifest: Json): ExportSummary {
  const rowsPerTable: Record<string, number> = {};
  for (const [name, entry] of tableEntries(pick(manifest, "tables"))) {
    rowsPerTable[name] = asNumber(pick(entry, "rows", "row_count", "rowCount", "count")) ?? 0;
  }
  const dags = pick(manifest, "dags", "dag_states", "dagStates");
  const activeDags = Array.isArray(dags)
    ? dags
        .filter((dag): dag is Json => typeof dag === "object" && dag !== null)
        .filter((dag) => pick(dag, "is_paused", "isPaused", "paused") === false)
        .map((dag) => String(pick(dag, "dag_id", "dagId")))
        .sort()
    : [];
  const skipped = pick(manifest, "skipped", "skipped_task_instances", "skippedTaskInstances");
  const skippedCount =
    asNumber(skipped) ??
    (typeof skipped === "object" && skipped !== null
      ? Object.values(skipped as Json).reduce<number>((sum, v) => sum + (asNumber(v) ?? 0), 0)
      : 0);
  const watermark = pick(manifest, "watermark");
  const version = pick(
    manifest,
    "airflow_version",
    "airflowVersion",
    "source_airflow_version",
    "sourceAirflowVersion",
  );
  return {
    exportId: String(pick(manifest, "export_id", "exportId") ?? ""),
    phase: String(pick(manifest, "phase") ?? ""),
    watermark: typeof watermark === "string" ? watermark : null,
    sourceAirflowVersion: typeof version === "string" ? version : null,
    rowsPerTable,
    skippedTaskInstances: skippedCount,
    activeDags,
  };
}

export interface ImportSummary {
  insertedPerTable: Record<string, number>;
  alreadyPresentPerTable: Record<string, number>;
  runsPerDag: Record<string, number>;
  verified: boolean;
  problems: string[];
}

export function summariseReport(report: Json): ImportSummary {
  const insertedPerTable: Record<string, number> = {};
  const alreadyPresentPerTable: Record<string, number> = {};
  for (const [name, entry] of tableEntries(pick(report, "tables"))) {
    insertedPerTable[name] = asNumber(pick(entry, "inserted")) ?? 0;
    alreadyPresentPerTable[name] = asNumber(pick(entry, "already_present", "alreadyPresent", "skipped")) ?? 0;
  }
  const runsPerDag: Record<string, number> = {};
  const runs = pick(report, "runs_per_dag", "runsPerDag", "dag_runs_per_dag");
  if (typeof runs === "object" && runs !== null) {
    for (const [dag, count] of Object.entries(runs as Json)) runsPerDag[dag] = asNumber(count) ?? 0;
  }
  const problemsValue = pick(report, "problems", "errors", "mismatches");
  const problems = Array.isArray(problemsValue)
    ? problemsValue.map((p) => (typeof p === "string" ? p : JSON.stringify(p)))
    : [];
  const verifiedValue = pick(report, "verified", "reconciled", "ok");
  return {
    insertedPerTable,
    alreadyPresentPerTable,
    runsPerDag,
    verified:
      typeof verifiedValue === "boolean" ? verifiedValue && problems.length === 0 : problems.length === 0,
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
