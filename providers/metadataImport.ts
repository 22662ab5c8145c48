/**
 * MetadataImport: runs the import DAG inside the target Airflow against a complete export
 * bundle, and exposes the import report (inserted / already present per table, runs per DAG,
 * whether the counts reconcile) as outputs. A report that does not reconcile fails the create.
 * Deleting the resource leaves the imported history in place: there is no un-import.
 */
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import { copyTaskLogs, TaskLogCopyResult } from "./taskLogs/copy";
import {
  CONFLICT_POLICIES,
  type ConflictPolicy,
  IMPORT_DAG_ID,
  IMPORT_REPORT_FILE,
  MANIFEST_FILE,
  bundleFormatProblem,
  bundleLocation,
  bundleUri,
  type ImportSummary,
  summariseManifest,
  summariseReport,
  streamColumns,
} from "../contract";
import type { AwsAccess } from "./framework/awsAccess";
import { readBundleJson, readBundleRows } from "./framework/bundleStore";
import { Failures, fail, isUnknown, optionalBoolean, optionalOneOf, requireString } from "./framework/checks";
import { logGroupName, logicalDates, migratedTaskInstances } from "./framework/taskLogSelection";
import { COMMON_REPLACING, type CommonWorkInputs } from "./framework/commonInputs";
import { resourceProvider } from "./framework/provider";
import { payloadInputs, RESOURCE_MODULE, WorkResourceArgs, workResourceOptions } from "./framework/resource";
import { checkAssumeRole, sideAccess } from "./framework/target";
import { workResourceType, type WorkState } from "./framework/work";

/** Task-log copy after the import: CloudWatch task logs of every migrated task instance. */
export interface TaskLogCopySettings {
  /** The source's task log group (name or ARN), e.g. airflow-<source>-Task. */
  sourceLogGroup: string;
  targetLogGroup: string;
  /** Task instance states whose logs are copied (default: success, failed, skipped, upstream_failed). */
  states?: string[];
  /** Leave out task instances that ended longer ago than this. */
  maxAgeDays?: number;
  /** GetLogEvents calls per second (default 25, CloudWatch's default quota). */
  getLogEventsPerSecond?: number;
}

function checkTaskLogs(failures: Failures, value: unknown): void {
  if (value === undefined || isUnknown(value)) return;
  const settings = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  for (const group of ["sourceLogGroup", "targetLogGroup"]) {
    const name = settings[group];
    if (!isUnknown(name) && (typeof name !== "string" || name === "")) {
      fail(
        failures,
        `taskLogs.${group}`,
        `taskLogs.${group} is required: the CloudWatch log group name or ARN, e.g. "airflow-<environment>-Task"`,
      );
    }
  }
  const rate = settings.getLogEventsPerSecond;
  if (rate !== undefined && !isUnknown(rate) && (typeof rate !== "number" || !(rate > 0) || rate > 1000)) {
    fail(
      failures,
      "taskLogs.getLogEventsPerSecond",
      `taskLogs.getLogEventsPerSecond is ${JSON.stringify(rate)}; give calls per second above 0 (CloudWatch's default quota is 25)`,
    );
  }
}

export interface MetadataImportInputs extends CommonWorkInputs {
  conflictPolicy: ConflictPolicy;
  importOrphanHistory: boolean;
  continueSchedules: boolean;
  /** Leave out (and report) rows the target cannot store, instead of failing the import. */
  skipUnstorableRows: boolean;
  taskLogs?: TaskLogCopySettings;
  /**
   * How the source's task log group is read (awsAccess) when the source is another account's or region's;
   * the target's group is written as the target's side is reached. Not in `taskLogs`: a new role re-runs nothing.
   */
  taskLogsSourceAccess?: AwsAccess;
}

/** The import report's summary and where the bundle is, plus the run that wrote it. */
export interface MetadataImportOutputs extends Omit<ImportSummary, "problems">, WorkState {
  bundleUri: string;
  taskLogCopy: TaskLogCopyResult | null;
}

/**
 * The import's task-log copy, run as the deployer after the import: the migrated task instances from the
 * bundle's dag_run and task_instance streams, their logs from the source's group to the target's.
 */
export async function copyLogsOfBundle(
  inputs: MetadataImportInputs,
  bundle: AwsAccess,
  log: (line: string) => void,
): Promise<TaskLogCopyResult> {
  const settings = inputs.taskLogs!;
  const where = bundleLocation(inputs);
  const document = (await readBundleJson(where, MANIFEST_FILE, bundle)) ?? {};
  const problem = bundleFormatProblem(document);
  if (problem) throw new Error(`[MetadataImport] cannot copy the task logs: ${problem}`);
  const manifest = summariseManifest(document);
  const runs: Record<string, unknown>[] = [];
  await readBundleRows(where, "dag_run", bundle, streamColumns(document, "dag_run"), (row) =>
    runs.push({
      dag_id: row.dag_id,
      run_id: row.run_id,
      execution_date: row.execution_date,
      logical_date: row.logical_date,
    }),
  );
  const taskRows: Record<string, unknown>[] = [];
  await readBundleRows(where, "task_instance", bundle, streamColumns(document, "task_instance"), (row) =>
    taskRows.push(row),
  );
  const taskInstances = migratedTaskInstances(taskRows, logicalDates(runs));
  log(
    `[MetadataImport] copying task logs of ${taskInstances.length} task instances from ${settings.sourceLogGroup} to ${settings.targetLogGroup}`,
  );
  const airflow = inputs.airflow;
  return copyTaskLogs(
    {
      region: bundle.region ?? "",
      sourceAccess: inputs.taskLogsSourceAccess,
      targetAccess: sideAccess(airflow, bundle.region),
      archiveAccess: bundle,
      sourceLogGroup: logGroupName(settings.sourceLogGroup),
      targetLogGroup: logGroupName(settings.targetLogGroup),
      sourceAirflowVersion: manifest.sourceAirflowVersion ?? airflow.airflowVersion,
      targetAirflowVersion: airflow.airflowVersion,
      taskInstances,
      states: settings.states,
      maxAgeDays: settings.maxAgeDays,
      archive: {
        bucket: where.bucket,
        prefix: `${where.prefix.replace(/\/+$/, "")}/${where.exportId}/`,
        kmsKeyId: inputs.kmsKeyId,
        // One record of finished streams per migration, so the delta import skips what the bulk one copied.
        recordsPrefix: where.prefix.replace(/^\/+/, ""),
      },
      getLogEventsPerSecond: settings.getLogEventsPerSecond,
    },
    { progress: (line) => log(`[MetadataImport] ${line}`) },
  );
}

export const metadataImportType = workResourceType<
  MetadataImportInputs,
  Omit<MetadataImportOutputs, keyof WorkState> & { problems: string[] }
>({
  name: "MetadataImport",
  kind: "import",
  dagId: IMPORT_DAG_ID,
  defaults: {
    conflictPolicy: "skip",
    importOrphanHistory: false,
    continueSchedules: true,
    skipUnstorableRows: false,
  },
  replacing: [
    ...COMMON_REPLACING,
    "conflictPolicy",
    "importOrphanHistory",
    "continueSchedules",
    "skipUnstorableRows",
    "taskLogs",
  ],
  checkSpecific(inputs, failures: Failures) {
    requireString(failures, inputs, "exportId", "pass the MetadataExport's exportId output");
    optionalOneOf(failures, inputs, "conflictPolicy", CONFLICT_POLICIES);
    optionalBoolean(failures, inputs, "importOrphanHistory");
    optionalBoolean(failures, inputs, "continueSchedules");
    optionalBoolean(failures, inputs, "skipUnstorableRows");
    checkTaskLogs(failures, inputs.taskLogs);
    const sourceAccess = inputs.taskLogsSourceAccess as AwsAccess | undefined;
    if (sourceAccess && !isUnknown(sourceAccess))
      checkAssumeRole(failures, "taskLogsSourceAccess.assumeRoleArn", sourceAccess.assumeRoleArn);
  },
  derive: (inputs) => inputs,
  conf(inputs) {
    return {
      bucket: inputs.bucket,
      prefix: inputs.prefix,
      exportId: inputs.exportId,
      kmsKeyId: inputs.kmsKeyId ?? null,
      conflictPolicy: inputs.conflictPolicy,
      importOrphanHistory: inputs.importOrphanHistory,
      continueSchedules: inputs.continueSchedules,
      skipUnstorableRows: inputs.skipUnstorableRows,
    };
  },
  async outputs(inputs, bundle, _airflow, log) {
    const where = bundleLocation(inputs);
    const report = await readBundleJson(where, IMPORT_REPORT_FILE, bundle);
    if (!report)
      throw new Error(
        `no ${IMPORT_REPORT_FILE} under ${bundleUri(where)}; the import did not write its report (its task log says ` +
          `why: the target's execution role needs s3:PutObject on <prefix>/*/${IMPORT_REPORT_FILE}, the import grant's WriteImportReport)`,
      );
    const summary = summariseReport(report);
    if (!summary.verified) {
      throw new Error(
        `the import report under ${bundleUri(where)} does not reconcile: ${summary.problems.join("; ") || "verification failed"}`,
      );
    }
    const taskLogCopy = inputs.taskLogs ? await copyLogsOfBundle(inputs, bundle, log) : null;
    return { ...summary, bundleUri: bundleUri(where), taskLogCopy };
  },
  async failureDetail(inputs, bundle, since) {
    const where = bundleLocation(inputs);
    const report = (await readBundleJson(where, IMPORT_REPORT_FILE, bundle)) as
      { error?: unknown; finishedAt?: unknown } | undefined;
    // A report older than this run (with a minute for clock skew) is an earlier attempt's.
    const finishedAt = Date.parse(String(report?.finishedAt));
    if (typeof report?.error !== "string" || !(finishedAt >= since.getTime() - 60_000)) return undefined;
    return `the import report under ${bundleUri(where)} (written ${String(report.finishedAt)}) says: ${report.error}`;
  },
  async onDelete(props, _region, log) {
    log(
      `[MetadataImport] imported history for export ${String(props.exportId)} stays in the target (there is no un-import)`,
    );
  },
});

export const metadataImportProvider = resourceProvider(metadataImportType);

export interface MetadataImportArgs extends WorkResourceArgs {
  /** The MetadataExport's exportId output. */
  exportId: pulumi.Input<string>;
  conflictPolicy?: pulumi.Input<ConflictPolicy>;
  /** Import history of DAGs the target does not have (default: report them, import nothing). */
  importOrphanHistory?: pulumi.Input<boolean>;
  /** Move each DAG's next run after its last imported run, so unpausing creates no catch-up runs (default true). */
  continueSchedules?: pulumi.Input<boolean>;
  /** Leave out, and list in the report, rows the target cannot store (default: fail the import). */
  skipUnstorableRows?: pulumi.Input<boolean>;
  /** Copy the migrated task instances' CloudWatch logs after the import (MWAA sources). */
  taskLogs?: pulumi.Input<TaskLogCopySettings>;
  /** How the source's task log group is read when the source is in another account or region. */
  taskLogsSourceAccess?: pulumi.Input<AwsAccess>;
}

export class MetadataImport extends dynamic.Resource {
  declare readonly runId: pulumi.Output<string>;
  declare readonly bundleUri: pulumi.Output<string>;
  declare readonly insertedPerTable: pulumi.Output<Record<string, number>>;
  declare readonly alreadyPresentPerTable: pulumi.Output<Record<string, number>>;
  declare readonly updatedPerTable: pulumi.Output<Record<string, number>>;
  declare readonly secondsPerTable: pulumi.Output<Record<string, number>>;
  declare readonly runsPerDag: pulumi.Output<Record<string, number>>;
  declare readonly missingDags: pulumi.Output<string[]>;
  /** Tables the target's Airflow has no place for, with their rows and why (listed, never silently dropped). */
  declare readonly notHeldByTarget: pulumi.Output<Record<string, { rows: number; reason: string }>>;
  declare readonly taskLogCopy: pulumi.Output<TaskLogCopyResult | null>;
  declare readonly verified: pulumi.Output<boolean>;
  declare readonly elapsedSeconds: pulumi.Output<number>;
  /** Which run of the work this is: 1, or more after failed runs were resumed by later updates. */
  declare readonly attempt: pulumi.Output<number>;

  constructor(name: string, args: MetadataImportArgs, opts?: pulumi.CustomResourceOptions) {
    const { payloadDir, ...rest } = args;
    super(
      metadataImportProvider,
      name,
      {
        ...rest,
        ...payloadInputs(payloadDir, IMPORT_DAG_ID),
        runId: undefined,
        bundleUri: undefined,
        insertedPerTable: undefined,
        alreadyPresentPerTable: undefined,
        updatedPerTable: undefined,
        secondsPerTable: undefined,
        runsPerDag: undefined,
        missingDags: undefined,
        notHeldByTarget: undefined,
        taskLogCopy: undefined,
        verified: undefined,
        elapsedSeconds: undefined,
        attempt: undefined,
      },
      workResourceOptions(opts),
      RESOURCE_MODULE,
      "MetadataImport",
    );
  }
}
