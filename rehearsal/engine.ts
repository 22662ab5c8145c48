/**
 * Drives the project's dynamic providers the way the Pulumi engine does for a create: `check` with
 * the program's inputs (failures stop here, as in a preview), then `create` with the checked inputs.
 * The rehearsal therefore runs exactly the code `pulumi up` runs, only without the engine around it.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { cutoverSourcePauseProvider, cutoverTargetActivationProvider } from "../providers/cutoverResources";
import { metadataExportProvider } from "../providers/metadataExport";
import { metadataImportProvider } from "../providers/metadataImport";
import { EXPORT_DAG_ID, IMPORT_DAG_ID, summariseManifest, summariseReport } from "../contract";
import type { ExportSummary, ImportSummary } from "../contract";
import { payloadInputs } from "../providers/framework/resource";
import type { AirflowTarget } from "../providers/framework/target";
import type { TaskLogCopyResult } from "../providers/taskLogs/copy";

type Inputs = Record<string, unknown>;

/** check then create; a check failure or a create error names the resource. */
export async function createThroughProvider(
  resource: string,
  provider: dynamic.ResourceProvider,
  inputs: Inputs,
): Promise<Inputs> {
  const checked = await provider.check!({}, inputs);
  if (checked.failures && checked.failures.length > 0) {
    throw new Error(
      `${resource}: the provider's check refused the inputs:\n  ` +
        checked.failures.map((f) => `${f.property}: ${f.reason}`).join("\n  "),
    );
  }
  try {
    const result = await provider.create!(checked.inputs ?? inputs);
    return result.outs ?? {};
  } catch (e) {
    const reasons = (e as { reasons?: string[] }).reasons;
    throw new Error(`${resource} failed: ${reasons ? reasons.join("\n") : (e as Error).message}`);
  }
}

export interface BundleSettings {
  bucket: string;
  prefix: string;
  kmsKeyId: string;
  pollIntervalSeconds: number;
  deadlineSeconds: number;
  parseDeadlineSeconds: number;
}

export interface Environment {
  airflow: AirflowTarget;
  /** s3://<dag bucket>/dags: MWAA's DAG folder, synced into the local Airflow by the stand-in. */
  dagFolder: string;
}

export async function exportMetadata(
  source: Environment,
  bundle: BundleSettings,
  phase: "bulk" | "delta" | "full",
  watermark?: string,
): Promise<ExportSummary & { exportId: string; outs: Inputs }> {
  const outs = await createThroughProvider(`MetadataExport (${phase})`, metadataExportProvider, {
    airflow: source.airflow,
    dagFolder: source.dagFolder,
    ...bundle,
    phase,
    ...(watermark ? { watermark } : {}),
    ...payloadInputs(undefined, EXPORT_DAG_ID),
  });
  return { ...summaryOfExport(outs), exportId: String(outs.exportId), outs };
}

/** The export outputs in the shape the manifest summary has (they are that summary plus run fields). */
function summaryOfExport(outs: Inputs): ExportSummary {
  return {
    exportId: String(outs.exportId),
    phase: String(outs.phase),
    watermark: typeof outs.watermark === "string" ? outs.watermark : null,
    sourceAirflowVersion: typeof outs.sourceAirflowVersion === "string" ? outs.sourceAirflowVersion : null,
    rowsPerTable: (outs.rowsPerTable ?? {}) as Record<string, number>,
    skippedTaskInstances: Number(outs.skippedTaskInstances ?? 0),
    activeDags: (outs.activeDags ?? []) as string[],
  };
}

export interface ImportResult extends ImportSummary {
  /** What the import's task-log copy did (when the import was given log groups). */
  taskLogCopy: TaskLogCopyResult | null;
}

export async function importMetadata(
  target: Environment,
  bundle: BundleSettings,
  exportId: string,
  extra: Inputs = {},
): Promise<ImportResult> {
  const outs = await createThroughProvider(`MetadataImport (${exportId})`, metadataImportProvider, {
    airflow: target.airflow,
    dagFolder: target.dagFolder,
    ...bundle,
    exportId,
    ...extra,
    ...payloadInputs(undefined, IMPORT_DAG_ID),
  });
  return {
    insertedPerTable: (outs.insertedPerTable ?? {}) as Record<string, number>,
    alreadyPresentPerTable: (outs.alreadyPresentPerTable ?? {}) as Record<string, number>,
    updatedPerTable: (outs.updatedPerTable ?? {}) as Record<string, number>,
    runsPerDag: (outs.runsPerDag ?? {}) as Record<string, number>,
    missingDags: (outs.missingDags ?? []) as string[],
    verified: outs.verified === true,
    problems: [],
    taskLogCopy: (outs.taskLogCopy ?? null) as TaskLogCopyResult | null,
  };
}

export async function pauseSource(source: Environment): Promise<string[]> {
  const outs = await createThroughProvider("CutoverSourcePause", cutoverSourcePauseProvider, {
    airflow: source.airflow,
  });
  return (outs.pausedDags ?? []) as string[];
}

export async function activateTarget(
  target: Environment,
  activeDags: string[],
): Promise<{ unpaused: string[]; missing: string[] }> {
  const outs = await createThroughProvider("CutoverTargetActivation", cutoverTargetActivationProvider, {
    airflow: target.airflow,
    activeDags,
  });
  return { unpaused: (outs.unpausedDags ?? []) as string[], missing: (outs.missingDags ?? []) as string[] };
}

/** Re-exported so callers summarise bundle documents with the providers' own rules. */
export { summariseManifest, summariseReport };
