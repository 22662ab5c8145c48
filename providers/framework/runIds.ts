/**
 * Deterministic names for the work a resource does. The same inputs always give the same
 * exportId and run id, so a create that is retried (after a crash, or a partial-state resume)
 * finds its run in Airflow instead of starting a second one. Run ids are short on purpose:
 * InvokeRestApi paths are limited to 64 characters and the run id is part of several of them.
 */
import * as crypto from "crypto";

export function shortHash(value: unknown, length = 8): string {
  return crypto.createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, length);
}

/** `<phase>-<8 hex>` from everything that decides what the export contains and where it goes. */
export function defaultExportId(identity: {
  source: unknown;
  bucket: string;
  prefix: string;
  phase: string;
  watermark?: string;
  tables?: readonly string[];
}): string {
  return `${identity.phase}-${shortHash([identity.source, identity.bucket, identity.prefix, identity.phase, identity.watermark ?? null, identity.tables ?? null])}`;
}

export type WorkKind = "export" | "import";

/**
 * `e1-<8 hex>` / `i1-<8 hex>`: attempt 1 is the first run, a resume after a failed run uses the
 * next attempt; the hash is of the exportId. At most 14 characters up to attempt 99, which is
 * what InvokeRestApi's 64-character limit leaves for a run id after
 * `/dags/mwaa_migration_export/dagRuns/<run>/taskInstances`.
 */
export function runIdFor(kind: WorkKind, exportId: string, attempt: number): string {
  return `${kind === "export" ? "e" : "i"}${attempt}-${shortHash(exportId)}`;
}
