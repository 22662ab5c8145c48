/**
 * A folder of Data Pipeline definitions converted for the stack (`mwaa-migration:pipelineDefinitions`): the
 * DAG files to upload and what became of each pipeline. Pure and synchronous, so it runs at preview and
 * gives the same files for the same input: a changed file is a diff a reviewer sees, an unchanged one none.
 */
import * as fs from "fs";
import * as path from "path";
import { convertDefinition } from "./convert";
import { DefinitionError, parseDefinition, type PipelineDefinition } from "./definition";
import { counts } from "./report";
import type { LivePipeline } from "./live";
import { DEFAULT_CHOICES, type ConversionChoices } from "./options";
import { renderDag } from "./render";

export interface ConvertedPipeline {
  /** The definition file, relative to the folder. */
  definition: string;
  dagId: string;
  /** The DAG file's name in the target's DAG folder, relative to it. */
  dagFile: string;
  content: string;
  converted: number;
  approximated: number;
  notConverted: number;
}

export interface FolderConversion {
  pipelines: ConvertedPipeline[];
  /** Each naming the definition file, the key and the fix. */
  problems: string[];
}

/** Where converted DAGs go inside the target's DAG folder, apart from the user's own files. */
export const PIPELINE_DAG_FOLDER = "datapipeline";

const KEY = "mwaa-migration:pipelineDefinitions";
const IDS_KEY = "mwaa-migration:pipelineIds";
const ACTIVATION_KEY = "mwaa-migration:pipelineActivationTime";

/** One pipeline to convert: where it came from, the name its DAG takes, and its definition (read lazily). */
export interface PipelineSource {
  /** How the conversion table and problems name it: the file, or the pipeline id. */
  label: string;
  /** The config key that brought it in, for problems. */
  key: string;
  name: string;
  /** What the DAG's comments cite as its source, e.g. "file etl.json" or "pipeline df-..." */
  source: string;
  definition: () => PipelineDefinition;
}

/** The *.json definitions in `folder`, by file name, or the problem with the folder itself. */
export function pipelineFolderSources(folder: string): { sources: PipelineSource[]; problems: string[] } {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory())
    return { sources: [], problems: [`${KEY} ${folder} is not a folder; point it at the definition files.`] };
  const files = fs
    .readdirSync(folder)
    .filter((f) => f.endsWith(".json"))
    .sort();
  if (files.length === 0)
    return {
      sources: [],
      problems: [`${KEY} ${folder} holds no *.json definition; set the key to "" for none.`],
    };
  const sources = files.map((file) => ({
    label: file,
    key: KEY,
    name: file.replace(/\.json$/, ""),
    source: `file ${file}`,
    definition: () => parseDefinition(JSON.parse(fs.readFileSync(path.join(folder, file), "utf8"))),
  }));
  return { sources, problems: [] };
}

/** A pipeline read from the account (`mwaa-migration:pipelineIds`), named as the pipeline is named there. */
export function livePipelineSource(pipeline: LivePipeline): PipelineSource {
  return {
    label: pipeline.id,
    key: IDS_KEY,
    name: pipeline.name,
    source: `pipeline ${pipeline.id}`,
    definition: () => pipeline.definition,
  };
}

/** What a stack converts with besides the target's Airflow version. */
export interface StackConversion {
  /**
   * Stands for the pipelines' first activation (`startAt: FIRST_ACTIVATION_DATE_TIME`); without it such a
   * pipeline is a problem, since "now" would change the DAG at every preview.
   */
  activationTime?: Date;
  choices?: ConversionChoices;
}

/** Converts every *.json definition in `folder` for `airflowVersion`. */
export function convertPipelineFolder(
  folder: string,
  airflowVersion: string,
  conversion: StackConversion = {},
): FolderConversion {
  const { sources, problems } = pipelineFolderSources(folder);
  if (problems.length > 0) return { pipelines: [], problems };
  return convertPipelines(sources, airflowVersion, conversion);
}

/**
 * Converts each pipeline for `airflowVersion`, one DAG file each under PIPELINE_DAG_FOLDER; a pipeline that
 * cannot be converted, or whose DAG file another one already takes, is a problem naming it and the fix.
 */
export function convertPipelines(
  sources: readonly PipelineSource[],
  airflowVersion: string,
  { activationTime, choices = DEFAULT_CHOICES }: StackConversion = {},
): FolderConversion {
  const pipelines: ConvertedPipeline[] = [];
  const problems: string[] = [];
  const byDagFile = new Map<string, string>();
  for (const pipeline of sources) {
    const render = (activation: Date) => {
      const plan = convertDefinition(pipeline.definition(), {
        ...choices,
        airflowVersion,
        pipelineName: pipeline.name,
        source: pipeline.source,
        activationTime: activation,
      });
      return { plan, content: renderDag(plan) };
    };
    try {
      const { plan, content } = render(activationTime ?? new Date(0));
      if (!activationTime && render(new Date(Date.UTC(2000, 0, 1))).content !== content) {
        problems.push(
          `${pipeline.key}: ${pipeline.label} starts at its first activation (FIRST_ACTIVATION_DATE_TIME); set ${ACTIVATION_KEY} ` +
            `to when its DAG should start (ISO 8601, e.g. 2027-01-04T00:00:00Z).`,
        );
        continue;
      }
      const dagFile = `${PIPELINE_DAG_FOLDER}/${plan.dagId}.py`;
      const other = byDagFile.get(dagFile);
      if (other) {
        problems.push(
          `${pipeline.key}: ${pipeline.label} and ${other} both become ${dagFile}; rename one pipeline.`,
        );
        continue;
      }
      byDagFile.set(dagFile, pipeline.label);
      const c = counts(plan);
      pipelines.push({
        definition: pipeline.label,
        dagId: plan.dagId,
        dagFile,
        content,
        converted: c.converted,
        approximated: c.approximated,
        notConverted: c["not converted"],
      });
    } catch (error) {
      const what = error instanceof DefinitionError ? "is not a valid definition" : "could not be converted";
      problems.push(`${pipeline.key}: ${pipeline.label} ${what}: ${(error as Error).message}`);
    }
  }
  return { pipelines, problems };
}
