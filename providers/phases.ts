/**
 * The data-moving phases of a migration (bulk export/import, cutover, cleanup) plug in here.
 *
 * They are dynamic-provider resources (MetadataExport, MetadataImport, task-log copy) built by the
 * providers/ package. `Migration` calls `buildPhases` with everything they need, in stage order, and
 * chains them export -> import -> cutover with dependsOn. Until a phase's resource exists in this build,
 * `buildPhases` reports it as not wired (see `missing`), and the stack says so at preview instead of
 * pretending the phase ran.
 */
import * as pulumi from "@pulumi/pulumi";
import { CutoverSourcePause, CutoverTargetActivation } from "./cutoverResources";
import { MetadataExport } from "./metadataExport";
import { MetadataImport } from "./metadataImport";
import { mwaaAirflow, s3DagFolder, selfManagedAirflow } from "./framework/phaseInputs";
import type { AirflowTarget } from "./framework/target";
import type { MigrationGrants } from "../components/grants";
import type { MigrationBucket } from "../components/migrationBucket";
import type { SourceEnvironment } from "../components/sourceEnvironment";
import type { StagePlan } from "../rules/stages";
import type { TargetEnvironment } from "../components/targetEnvironment";

export interface PhaseContext {
  /** Prefix for child resource names (the Migration component's name). */
  readonly name: string;
  readonly parent: pulumi.ComponentResource;
  readonly plan: StagePlan;
  readonly region: string;
  readonly source: SourceEnvironment;
  readonly target: TargetEnvironment;
  readonly bucket: MigrationBucket;
  /** Key prefix for export bundles inside the migration bucket. */
  readonly bundlePrefix: string;
  /** Present while the stage plan keeps grants. Phases that read or write the bundle depend on it. */
  readonly grants?: MigrationGrants;
}

export interface MigrationPhases {
  readonly bulkExport?: pulumi.Resource;
  readonly bulkImport?: pulumi.Resource;
  readonly cutover?: pulumi.Resource;
  readonly cleanup?: pulumi.Resource;
}

export type PhaseName = keyof MigrationPhases;

/** The phases a stage plan calls for. */
export function plannedPhases(plan: StagePlan): PhaseName[] {
  const phases: PhaseName[] = [];
  if (plan.bulkExport) phases.push("bulkExport");
  if (plan.bulkImport) phases.push("bulkImport");
  if (plan.cutover) phases.push("cutover");
  if (plan.cleanup) phases.push("cleanup");
  return phases;
}

/** Phases planned for the stage but not built (their provider is not part of this build). */
export function missingPhases(plan: StagePlan, built: MigrationPhases): PhaseName[] {
  return plannedPhases(plan).filter((phase) => built[phase] === undefined);
}

/**
 * Builds the phase resources for the stage, each parented to `context.parent`:
 * - bulk: MetadataExport (phase bulk) -> MetadataImport, after the grants;
 * - cutover: CutoverSourcePause -> MetadataExport (phase delta, from the bulk watermark) ->
 *   MetadataImport (verified) -> CutoverTargetActivation (the DAGs the pause found active);
 * - complete: no data moves; the two cutover switches stay as they are (source paused, target
 *   active), because deleting them is how going back a stage undoes the cutover.
 */
export function buildPhases(context: PhaseContext): MigrationPhases {
  const { name, parent, plan, region, source, target, bucket } = context;
  const opts = (dependsOn: (pulumi.Resource | undefined)[]): pulumi.CustomResourceOptions => ({
    parent,
    dependsOn: dependsOn.filter((r): r is pulumi.Resource => r !== undefined),
  });
  const sourceAirflow: pulumi.Input<AirflowTarget> =
    source.kind === "mwaa"
      ? source.airflowVersion.apply((version) => mwaaAirflow(source.name, version, region))
      : pulumi
          .all([source.airflowVersion, source.restApi!.password])
          .apply(([version, password]) => selfManagedAirflow({ ...source.restApi!, password }, version));
  const sourceDagFolder: pulumi.Input<string> =
    source.kind === "mwaa"
      ? pulumi
          .all([source.sourceBucketArn!, source.dagS3Path!])
          .apply(([arn, dagPath]) => s3DagFolder(arn, dagPath))
      : source.dagsLocation!;
  const targetAirflow = target.environment.airflowVersion.apply((version) =>
    mwaaAirflow(target.environmentName, version, region),
  );
  const targetDagFolder = target.dagBucketName.apply((bucketName) =>
    s3DagFolder(bucketName, target.dagS3Path),
  );
  const bundle = { bucket: bucket.bucketName, prefix: context.bundlePrefix, kmsKeyId: bucket.keyArn, region };
  // Task logs are in CloudWatch only for MWAA sources; the import copies those of the task instances it moved.
  const taskLogs = source.taskLogGroupArn
    ? pulumi
        .all([source.taskLogGroupArn, target.taskLogGroupArn])
        .apply(([sourceLogGroup, targetLogGroup]) => ({ sourceLogGroup, targetLogGroup }))
    : undefined;

  const phases: { -readonly [K in keyof MigrationPhases]: MigrationPhases[K] } = {};
  let bulkExport: MetadataExport | undefined;
  if (plan.bulkExport) {
    bulkExport = new MetadataExport(
      `${name}-bulk-export`,
      { ...bundle, airflow: sourceAirflow, dagFolder: sourceDagFolder, phase: "bulk" },
      opts([context.grants]),
    );
    phases.bulkExport = bulkExport;
  }
  if (plan.bulkImport && bulkExport) {
    phases.bulkImport = new MetadataImport(
      `${name}-bulk-import`,
      {
        ...bundle,
        airflow: targetAirflow,
        dagFolder: targetDagFolder,
        exportId: bulkExport.exportId,
        taskLogs,
      },
      opts([context.grants, target, bulkExport]),
    );
  }
  if (plan.cutover || plan.cleanup) {
    const pause = new CutoverSourcePause(
      `${name}-cutover-pause`,
      { airflow: sourceAirflow },
      opts([phases.bulkImport]),
    );
    let last: pulumi.Resource = pause;
    if (plan.cutover) {
      const deltaExport = new MetadataExport(
        `${name}-delta-export`,
        {
          ...bundle,
          airflow: sourceAirflow,
          dagFolder: sourceDagFolder,
          phase: bulkExport ? "delta" : "full",
          watermark: bulkExport ? bulkExport.watermark.apply((w) => w ?? "") : undefined,
        },
        opts([context.grants, pause]),
      );
      last = new MetadataImport(
        `${name}-delta-import`,
        {
          ...bundle,
          airflow: targetAirflow,
          dagFolder: targetDagFolder,
          exportId: deltaExport.exportId,
          taskLogs,
        },
        opts([context.grants, target, deltaExport]),
      );
    }
    const activation = new CutoverTargetActivation(
      `${name}-cutover-activation`,
      { airflow: targetAirflow, activeDags: pause.pausedDags },
      opts([last]),
    );
    if (plan.cutover) phases.cutover = activation;
    else phases.cleanup = activation;
  }
  return phases;
}
