/**
 * Pipelines read from the Data Pipeline API: the definition (GetPipelineDefinition, the API's shape
 * that `parseDefinition` reads) and the pipeline's name and description (DescribePipelines).
 *
 * Credentials and region come from the AWS SDK's default chain, endpoints from its standard
 * configuration (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DATA_PIPELINE`); the SDK is loaded on first use,
 * so converting files needs no AWS configuration at all.
 */

import type { DataPipelineClient } from "@aws-sdk/client-data-pipeline";
import { parseDefinition, PipelineDefinition } from "./definition";

export interface LivePipeline {
  id: string;
  name: string;
  description?: string;
  definition: PipelineDefinition;
}

/** Data Pipeline ids: "df-" and 19 to 21 upper-case letters and digits (moto's are lower-case hex). */
export const PIPELINE_ID = /^df-[A-Za-z0-9]{4,32}$/;

/** `version`: "latest" (the last saved definition) or "active" (the one the pipeline runs). */
export async function readPipeline(
  pipelineId: string,
  version: "latest" | "active" = "latest",
  client?: DataPipelineClient,
): Promise<LivePipeline> {
  const sdk = require("@aws-sdk/client-data-pipeline") as typeof import("@aws-sdk/client-data-pipeline");
  const dp = client ?? new sdk.DataPipelineClient({});
  try {
    const described = await dp.send(new sdk.DescribePipelinesCommand({ pipelineIds: [pipelineId] }));
    const description = described.pipelineDescriptionList?.[0];
    if (!description) throw new Error(`pipeline ${pipelineId} was not found`);
    const output = await dp.send(new sdk.GetPipelineDefinitionCommand({ pipelineId, version }));
    const definition = parseDefinition({
      pipelineObjects: output.pipelineObjects ?? [],
      parameterObjects: output.parameterObjects ?? [],
      parameterValues: output.parameterValues ?? [],
    } as unknown);
    const field = (key: string) => description.fields?.find((f) => f.key === key)?.stringValue;
    return {
      id: pipelineId,
      name: description.name ?? pipelineId,
      description: description.description || field("description") || undefined,
      definition,
    };
  } finally {
    if (!client) dp.destroy();
  }
}

/**
 * The pipelines of the stack's `mwaa-migration:pipelineIds`, read before the program declares anything, so
 * that their DAGs are files of the preview like those of definition files. A pipeline that cannot be read
 * fails the preview with its id, the reason and what the deployer needs.
 */
export async function readConfiguredPipelines(
  pipelineIds: readonly string[],
  region: string,
  client?: DataPipelineClient,
): Promise<LivePipeline[]> {
  if (pipelineIds.length === 0) return [];
  const sdk = require("@aws-sdk/client-data-pipeline") as typeof import("@aws-sdk/client-data-pipeline");
  const dp = client ?? new sdk.DataPipelineClient({ region });
  const pipelines: LivePipeline[] = [];
  const problems: string[] = [];
  for (const id of pipelineIds) {
    try {
      pipelines.push(await readPipeline(id, "latest", dp));
    } catch (error) {
      problems.push(
        `mwaa-migration:pipelineIds: ${id} could not be read from the Data Pipeline API: ${(error as Error).message}. ` +
          "Check the id and the region (aws:region), and that the deployer may call datapipeline:DescribePipelines " +
          "and datapipeline:GetPipelineDefinition (the deployerPolicy output's ReadDataPipelineDefinitions statement).",
      );
    }
  }
  if (!client) dp.destroy();
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return pipelines;
}
