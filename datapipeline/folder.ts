/**
 * A folder of Data Pipeline definitions converted for the stack (`mwaa-migration:pipelineDefinitions`): the
 * DAG files to upload and what became of each pipeline. Pure and synchronous, so it runs at preview and
 * gives the same files for the same input: a changed file is a diff a reviewer sees, an unchanged one none.
 */
import * as fs from "fs";
import * as path from "path";
import { convertDefinition, DEFAULT_OPTIONS } from "./convert";
import { DefinitionError, parseDefinition } from "./definition";
import { counts } from "./report";
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
const ACTIVATION_KEY = "mwaa-migration:pipelineActivationTime";

/**
 * Converts every *.json definition in `folder` for `airflowVersion`. `activationTime` stands for the
 * pipelines' first activation (`startAt: FIRST_ACTIVATION_DATE_TIME`); without it such a pipeline is a
 * problem, since "now" would change the DAG at every preview.
 */
export function convertPipelineFolder(
  folder: string,
  airflowVersion: string,
  activationTime?: Date,
): FolderConversion {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory())
    return {
      pipelines: [],
      problems: [`${KEY} ${folder} is not a folder; point it at the definition files.`],
    };
  const files = fs
    .readdirSync(folder)
    .filter((f) => f.endsWith(".json"))
    .sort();
  if (files.length === 0)
    return {
      pipelines: [],
      problems: [`${KEY} ${folder} holds no *.json definition; set the key to "" for none.`],
    };
  const pipelines: ConvertedPipeline[] = [];
  const problems: string[] = [];
  const byDagFile = new Map<string, string>();
  for (const file of files) {
    const render = (activation: Date) => {
      const definition = parseDefinition(JSON.parse(fs.readFileSync(path.join(folder, file), "utf8")));
      const plan = convertDefinition(definition, {
        ...DEFAULT_OPTIONS,
        airflowVersion,
        pipelineName: file.replace(/\.json$/, ""),
        source: `file ${file}`,
        activationTime: activation,
      });
      return { plan, content: renderDag(plan) };
    };
    try {
      const { plan, content } = render(activationTime ?? new Date(0));
      if (!activationTime && render(new Date(Date.UTC(2000, 0, 1))).content !== content) {
        problems.push(
          `${KEY}: ${file} starts at its first activation (FIRST_ACTIVATION_DATE_TIME); set ${ACTIVATION_KEY} ` +
            `to when its DAG should start (ISO 8601, e.g. 2027-01-04T00:00:00Z).`,
        );
        continue;
      }
      const dagFile = `${PIPELINE_DAG_FOLDER}/${plan.dagId}.py`;
      const other = byDagFile.get(dagFile);
      if (other) {
        problems.push(`${KEY}: ${file} and ${other} both become ${dagFile}; rename one pipeline.`);
        continue;
      }
      byDagFile.set(dagFile, file);
      const c = counts(plan);
      pipelines.push({
        definition: file,
        dagId: plan.dagId,
        dagFile,
        content,
        converted: c.converted,
        approximated: c.approximated,
        notConverted: c["not converted"],
      });
    } catch (error) {
      const what = error instanceof DefinitionError ? "is not a valid definition" : "could not be converted";
      problems.push(`${KEY}: ${file} ${what}: ${(error as Error).message}`);
    }
  }
  return { pipelines, problems };
}
