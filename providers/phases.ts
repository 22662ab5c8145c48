/**
 * The one migration sequence: which phase resources a stage builds, in which order, with which
 * inputs and dependencies. The program (components/migration.ts) and the rehearsal (rehearsal/) both
 * call `migrationPhases`, the program with what its AWS components expose and the rehearsal with the
 * local stand-ins for them, so a rehearsal runs exactly the resources `pulumi up` runs.
 *
 * - prepare, bulk, cutover: TargetDagParse (after the target's DAG files: what the target parses, against
 *   the DAGs active on the source);
 * - bulk, cutover: DagParseGate, which refuses at preview while a DAG active on the source does not parse
 *   on the target (unless accepted), before anything moves;
 * - bulk: MetadataExport (phase bulk) -> MetadataImport, after the grants and the target;
 * - cutover: MigrationDagStaging of the export DAG on the source and the import DAG on an Airflow 2 target
 *   (delivered and parsed while the source still runs, so the freeze window holds no parse wait) ->
 *   CutoverSourcePause (pause, then wait until the paused DAGs are quiet) -> MetadataExport
 *   (delta from the bulk watermark, or full when no bulk ran) -> MetadataImport ->
 *   CutoverTargetActivation (the DAGs the pause found active);
 * - complete: no data moves; the two cutover switches stay as they are (source paused, target
 *   active), and from here on are retained on delete: the cutover is final, so destroying the stack
 *   leaves the source paused and the target active. Before complete, deleting them is how going back
 *   a stage undoes the cutover.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ConflictPolicy } from "../contract";
import type { StagePlan } from "../rules/stages";
import { CutoverSourcePause, CutoverTargetActivation } from "./cutoverResources";
import { DagParseGate, TargetDagParse } from "./dagParseResources";
import type { AwsAccess } from "./framework/awsAccess";
import type { AirflowTarget } from "./framework/target";
import { workPathFor } from "./framework/workPath";
import { MetadataExport } from "./metadataExport";
import { MetadataImport } from "./metadataImport";
import { MigrationDagStaging } from "./migrationDagStaging";

/** One side of the migration as the phases reach it. */
export interface MigrationSide {
  readonly airflow: pulumi.Input<AirflowTarget>;
  /** Where the migration DAGs are delivered: "s3://bucket/prefix" or an absolute folder. */
  readonly dagFolder: pulumi.Input<string>;
  /** The side's CloudWatch task log group (ARN or name); MWAA environments have one. */
  readonly taskLogGroup?: pulumi.Input<string>;
  /** How the side's own AWS resources are reached when not with the default chain in the stack's region. */
  readonly access?: AwsAccess;
}

/** How long each kind of phase may take, and how often it looks. */
export interface PhaseTiming {
  readonly deadlineSeconds?: number;
  readonly parseDeadlineSeconds?: number;
  readonly pollIntervalSeconds?: number;
}

/** What a user decides about the phases (the stack's config). Absent values take the providers' defaults. */
export interface PhaseSettings {
  readonly export?: PhaseTiming;
  readonly import?: PhaseTiming;
  readonly conflictPolicy?: ConflictPolicy;
  readonly importOrphanHistory?: boolean;
  /** Leave out, and report, rows the target cannot store instead of failing the import. */
  readonly skipUnstorableRows?: boolean;
  /** DAGs the cutover leaves running on the source. */
  readonly keepRunningDags?: readonly string[];
  readonly quiesceDeadlineSeconds?: number;
  readonly runFinishGraceSeconds?: number;
  /** DAGs whose history may move although they do not parse on the target. */
  readonly acceptUnparsedDags?: readonly string[];
  /** Leave the target's DAGs paused after cutover. */
  readonly leaveTargetPaused?: boolean;
  /** Which task instances' logs the import copies. */
  readonly taskLogStates?: readonly string[];
  readonly taskLogMaxAgeDays?: number;
  /** Delete an export's bundle with its resource (default: the bucket's lifecycle rule expires it). */
  readonly purgeBundlesOnDelete?: boolean;
}

export interface PhaseContext {
  readonly source: MigrationSide;
  readonly target: MigrationSide;
  readonly bundle: {
    readonly bucket: pulumi.Input<string>;
    readonly prefix: string;
    readonly kmsKeyId: pulumi.Input<string>;
    readonly region: string;
    /** Who reaches the bucket: the target's side when the bucket is in another account. */
    readonly access?: AwsAccess;
  };
  /** What the phases that read or write the bundle wait for (the grants). */
  readonly bundleAccess: readonly pulumi.Resource[];
  /** What the imports wait for: the target environment and its workflow assets. */
  readonly targetReady: readonly pulumi.Resource[];
  /** The target's Airflow version as the stack builds it: whether its import runs as a DAG to stage. */
  readonly targetAirflowVersion: string;
  /** The target's DAG files (name -> content hash), uploaded by what `targetReady` holds. */
  readonly targetDagFiles: pulumi.Input<Record<string, pulumi.Input<string>>>;
  readonly settings: PhaseSettings;
}

export interface MigrationPhases {
  readonly dagParse?: TargetDagParse;
  readonly gate?: DagParseGate;
  readonly bulkExport?: MetadataExport;
  readonly bulkImport?: MetadataImport;
  readonly stageExport?: MigrationDagStaging;
  readonly stageImport?: MigrationDagStaging;
  readonly pause?: CutoverSourcePause;
  readonly deltaExport?: MetadataExport;
  readonly deltaImport?: MetadataImport;
  readonly activation?: CutoverTargetActivation;
}

/** Builds the stage's phase resources, named `<name>-<phase>`, each parented to `parent`. */
export function migrationPhases(
  name: string,
  plan: StagePlan,
  context: PhaseContext,
  parent?: pulumi.Resource,
): MigrationPhases {
  const { source, target, settings } = context;
  const after = (...dependsOn: (pulumi.Resource | undefined)[]): pulumi.CustomResourceOptions => ({
    parent,
    dependsOn: dependsOn.filter((r): r is pulumi.Resource => r !== undefined),
  });
  const { access: bundleSide, ...bundleWhere } = context.bundle;
  const bundle = {
    ...bundleWhere,
    bundleAssumeRoleArn: bundleSide?.assumeRoleArn,
    bundleProfile: bundleSide?.profile,
    purgeOnDelete: settings.purgeBundlesOnDelete,
  };
  // Task logs are copied where the source has a log group (MWAA, or a self-managed Airflow logging to CloudWatch).
  const taskLogs =
    source.taskLogGroup && target.taskLogGroup
      ? pulumi.all([source.taskLogGroup, target.taskLogGroup]).apply(([sourceLogGroup, targetLogGroup]) => ({
          sourceLogGroup,
          targetLogGroup,
          ...(settings.taskLogStates ? { states: [...settings.taskLogStates] } : {}),
          ...(settings.taskLogMaxAgeDays !== undefined ? { maxAgeDays: settings.taskLogMaxAgeDays } : {}),
        }))
      : undefined;
  const exportOf = (
    phaseName: string,
    phase: "bulk" | "delta" | "full",
    changedSince?: pulumi.Input<string>,
    ...deps: pulumi.Resource[]
  ) =>
    new MetadataExport(
      `${name}-${phaseName}`,
      {
        ...bundle,
        ...settings.export,
        airflow: source.airflow,
        dagFolder: source.dagFolder,
        phase,
        changedSince,
      },
      after(...context.bundleAccess, ...deps),
    );
  const importOf = (phaseName: string, exported: MetadataExport) =>
    new MetadataImport(
      `${name}-${phaseName}`,
      {
        ...bundle,
        ...settings.import,
        airflow: target.airflow,
        dagFolder: target.dagFolder,
        exportId: exported.exportId,
        conflictPolicy: settings.conflictPolicy,
        importOrphanHistory: settings.importOrphanHistory,
        skipUnstorableRows: settings.skipUnstorableRows,
        taskLogs,
        taskLogsSourceAccess: taskLogs ? source.access : undefined,
      },
      after(...context.bundleAccess, ...context.targetReady, exported),
    );

  const phases: { -readonly [K in keyof MigrationPhases]: MigrationPhases[K] } = {};
  if (plan.dagParseCheck) {
    phases.dagParse = new TargetDagParse(
      `${name}-dag-parse`,
      {
        airflow: target.airflow,
        sourceAirflow: source.airflow,
        dagFiles: context.targetDagFiles,
        parseDeadlineSeconds: settings.import?.parseDeadlineSeconds,
        pollIntervalSeconds: settings.import?.pollIntervalSeconds,
      },
      after(...context.targetReady),
    );
  }
  if (phases.dagParse && (plan.bulkExport || plan.cutover)) {
    phases.gate = new DagParseGate(
      `${name}-dag-parse-gate`,
      { unparsed: phases.dagParse.unparsed, accepted: settings.acceptUnparsedDags ?? [] },
      after(phases.dagParse),
    );
  }
  if (plan.bulkExport) {
    phases.bulkExport = exportOf("bulk-export", "bulk", undefined, ...(phases.gate ? [phases.gate] : []));
    phases.bulkImport = importOf("bulk-import", phases.bulkExport);
  }
  if (plan.cutover || plan.cleanup) {
    const switchOptions = (...dependsOn: (pulumi.Resource | undefined)[]) => ({
      ...after(...dependsOn),
      retainOnDelete: plan.cleanup,
    });
    if (plan.cutover) {
      const stagingOf = (
        phaseName: string,
        kind: "export" | "import",
        side: MigrationSide,
        timing?: PhaseTiming,
      ) =>
        new MigrationDagStaging(
          `${name}-${phaseName}`,
          {
            airflow: side.airflow,
            kind,
            dagFolder: side.dagFolder,
            parseDeadlineSeconds: timing?.parseDeadlineSeconds,
            pollIntervalSeconds: timing?.pollIntervalSeconds,
          },
          after(phases.bulkImport, phases.gate),
        );
      phases.stageExport = stagingOf("cutover-stage-export", "export", source, settings.export);
      // An Airflow 3 target imports in the migration plugin: it has no import DAG to stage.
      if (workPathFor("import", context.targetAirflowVersion).kind === "dag-task")
        phases.stageImport = stagingOf("cutover-stage-import", "import", target, settings.import);
    }
    phases.pause = new CutoverSourcePause(
      `${name}-cutover-pause`,
      {
        airflow: source.airflow,
        keepRunning: settings.keepRunningDags ? [...settings.keepRunningDags] : undefined,
        quiesceDeadlineSeconds: settings.quiesceDeadlineSeconds,
        runFinishGraceSeconds: settings.runFinishGraceSeconds,
        pollIntervalSeconds: settings.export?.pollIntervalSeconds,
      },
      switchOptions(phases.bulkImport, phases.gate, phases.stageExport, phases.stageImport),
    );
    if (plan.cutover) {
      const bulk = phases.bulkExport;
      phases.deltaExport = bulk
        ? exportOf(
            "delta-export",
            "delta",
            bulk.watermark.apply((w) => w ?? ""),
            phases.pause,
          )
        : exportOf("delta-export", "full", undefined, phases.pause);
      phases.deltaImport = importOf("delta-import", phases.deltaExport);
    }
    phases.activation = new CutoverTargetActivation(
      `${name}-cutover-activation`,
      {
        airflow: target.airflow,
        activeDags: phases.pause.pausedDags,
        leavePaused: settings.leaveTargetPaused,
      },
      switchOptions(phases.deltaImport ?? phases.pause),
    );
  }
  return phases;
}

/** The phase resources in the order they run, for outputs and progress. */
export function phasesInOrder(phases: MigrationPhases): pulumi.Resource[] {
  return [
    phases.dagParse,
    phases.gate,
    phases.bulkExport,
    phases.bulkImport,
    phases.stageExport,
    phases.stageImport,
    phases.pause,
    phases.deltaExport,
    phases.deltaImport,
    phases.activation,
  ].filter((r): r is NonNullable<typeof r> => r !== undefined);
}
