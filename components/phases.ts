/**
 * The data-moving phases of a migration (bulk export/import, cutover, cleanup) plug in here.
 *
 * They are dynamic-provider resources (MetadataExport, MetadataImport, task-log copy) built by the
 * providers/ package. `Migration` calls `buildPhases` with everything they need, in stage order, and
 * chains them export -> import -> cutover with dependsOn. Until a phase's resource exists in this build,
 * `buildPhases` reports it as not wired (see `missing`), and the stack says so at preview instead of
 * pretending the phase ran.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { MigrationGrants } from "./grants";
import type { MigrationBucket } from "./migrationBucket";
import type { SourceEnvironment } from "./sourceEnvironment";
import type { StagePlan } from "./stages";
import type { TargetEnvironment } from "./targetEnvironment";

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
 * Builds the phase resources for the stage. The providers' MetadataExport / MetadataImport resources
 * are created here, each parented to `context.parent`, depending on `context.grants` and on the
 * previous phase.
 */
export function buildPhases(context: PhaseContext): MigrationPhases {
  void context;
  return {};
}
