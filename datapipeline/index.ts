/**
 * AWS Data Pipeline definitions to Airflow DAG files (the migration guide's second part).
 * `convertDefinition` builds the plan, `renderDag` prints it; `readPipeline` reads a live pipeline.
 */

export { AIRFLOW_VERSIONS, type AirflowVersion } from "./airflow";
export {
  convertDefinition,
  DEFAULT_OPTIONS,
  SHELL_RUNNERS,
  type ConvertOptions,
  type ShellRunner,
} from "./convert";
export { DefinitionError, parseDefinition, type PipelineDefinition } from "./definition";
export { PIPELINE_ID, readPipeline, type LivePipeline } from "./live";
export { type DagPlan, type Outcome } from "./plan";
export { renderDag } from "./render";
export { conversionTable, counts } from "./report";
