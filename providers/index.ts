/**
 * The providers' public face: the phase resources with their typed inputs and outputs, the one
 * migration sequence that builds them, and the shapes of their `airflow` input. The program and the
 * rehearsal import only this module; the framework, the Airflow clients and the task-log copy
 * underneath are the providers' own.
 */
export {
  CutoverSourcePause,
  CutoverTargetActivation,
  type CutoverSourcePauseArgs,
  type CutoverSourcePauseInputs,
  type CutoverSourcePauseOutputs,
  type CutoverTargetActivationArgs,
  type CutoverTargetActivationInputs,
  type CutoverTargetActivationOutputs,
} from "./cutoverResources";
export {
  DagParseGate,
  TargetDagParse,
  type TargetDagParseArgs,
  type TargetDagParseInputs,
  type TargetDagParseOutputs,
} from "./dagParseResources";
export type { ImportErrorFinding, ParseParity, UnparsedDag } from "./dagParse";
export { describeParity } from "./dagParse";
export {
  MetadataExport,
  type MetadataExportArgs,
  type MetadataExportInputs,
  type MetadataExportOutputs,
} from "./metadataExport";
export {
  MetadataImport,
  type MetadataImportArgs,
  type MetadataImportInputs,
  type MetadataImportOutputs,
  type TaskLogCopySettings,
} from "./metadataImport";
export {
  migrationPhases,
  phasesInOrder,
  type MigrationPhases,
  type MigrationSide,
  type PhaseContext,
  type PhaseSettings,
  type PhaseTiming,
} from "./phases";
export { mwaaAirflow, selfManagedAirflow } from "./framework/phaseInputs";
export {
  ASSUMED_SESSION_NAME,
  type AwsAccess,
  type RegionalAccess,
  sdkSettings,
} from "./framework/awsAccess";
export {
  BUNDLE_LOCATION_OPTION,
  bundleLocationOption,
  migrationPluginFiles,
  pluginsZipWithMigrationPlugin,
  zipWithFiles,
} from "./framework/pluginPackage";
export { DEFAULT_PAYLOAD_DIR } from "./framework/resource";
export { readBundleJson } from "./framework/bundleStore";
export { airflowClientFor } from "./framework/target";
export type { AirflowTarget } from "./framework/target";
export { AirflowRole, type AirflowRoleArgs } from "./airflowRole";
export type { AirflowClient, DagSummary } from "./airflow/client";
export type { TaskLogCopyResult } from "./taskLogs/copy";
