/**
 * `npm run convert-pipeline -- <definition.json | folder | pipeline id>... --out <folder>`: one DAG
 * file per pipeline, and a table per pipeline of what became of each object. A broken definition is
 * reported with the object and field at fault and converts to nothing; the exit code is 1 when any
 * input failed.
 */

import * as fs from "fs";
import * as path from "path";
import { AIRFLOW_VERSIONS } from "./airflow";
import { convertDefinition, ConvertOptions, DEFAULT_OPTIONS, SHELL_RUNNERS, ShellRunner } from "./convert";
import { DefinitionError, parseDefinition, PipelineDefinition } from "./definition";
import { PIPELINE_ID, readPipeline } from "./live";
import { DagPlan } from "./plan";
import { renderDag } from "./render";
import { conversionTable } from "./report";

export const USAGE = `usage: npm run convert-pipeline -- <definition.json | folder | pipeline id>... --out <folder> [options]

  <definition.json>            a definition file: the console's export or get-pipeline-definition's output
  <folder>                     every *.json file in it
  <pipeline id>                a live pipeline (df-...), read with the default AWS credentials and region
  --out <folder>               where the DAG files go (one <dag_id>.py per pipeline)
  --airflow-version <version>  ${AIRFLOW_VERSIONS.join(" or ")} (default ${DEFAULT_OPTIONS.airflowVersion})
  --shell-runner <runner>      where ShellCommandActivity on an Ec2Resource runs: worker (the Airflow worker,
                               default), ssm (SSM Run Command on instances tagged with the resource's id)
                               or ecs (an ECS task)
  --ssm-target-tag <key>       the instance tag SSM targets (default ${DEFAULT_OPTIONS.ssmTargetTag})
  --ecs-cluster <name>         ECS cluster for --shell-runner ecs (default ${DEFAULT_OPTIONS.ecsCluster})
  --ecs-task-definition <name> ECS task definition (default ${DEFAULT_OPTIONS.ecsTaskDefinition})
  --ecs-container <name>       its container (default ${DEFAULT_OPTIONS.ecsContainer})
  --aws-conn-id <id>           Airflow connection for AWS calls (default ${DEFAULT_OPTIONS.awsConnId}: MWAA's execution role)
  --role-connection <role=id>  use connection <id> where the pipeline names IAM role <role> (repeatable)
  --activation-time <time>     start of pipelines that start at FIRST_ACTIVATION_DATE_TIME (UTC,
                               YYYY-MM-DDTHH:MM:SS; default: now)
  --pipeline-version <v>       for live pipelines: latest (default) or active
  --report <file.json>         also write the conversion plans as JSON
  --help                       this text`;

export class UsageError extends Error {}

export interface CliOptions {
  inputs: string[];
  out: string;
  report?: string;
  pipelineVersion: "latest" | "active";
  convert: Omit<ConvertOptions, "pipelineName" | "source" | "description">;
}

export function parseArgs(argv: readonly string[]): CliOptions | "help" {
  const inputs: string[] = [];
  let out: string | undefined;
  let report: string | undefined;
  let pipelineVersion: "latest" | "active" = "latest";
  const convert: CliOptions["convert"] = { ...DEFAULT_OPTIONS, roleConnections: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined || next.startsWith("--"))
        throw new UsageError(`${arg} needs a value\n\n${USAGE}`);
      return next;
    };
    switch (arg) {
      case "--help":
      case "-h":
        return "help";
      case "--out":
        out = value();
        break;
      case "--report":
        report = value();
        break;
      case "--airflow-version": {
        const version = value();
        if (!(AIRFLOW_VERSIONS as readonly string[]).includes(version)) {
          throw new UsageError(`--airflow-version ${version}: choose ${AIRFLOW_VERSIONS.join(" or ")}`);
        }
        convert.airflowVersion = version;
        break;
      }
      case "--shell-runner": {
        const runner = value();
        if (!(SHELL_RUNNERS as readonly string[]).includes(runner)) {
          throw new UsageError(`--shell-runner ${runner}: choose ${SHELL_RUNNERS.join(", ")}`);
        }
        convert.shellRunner = runner as ShellRunner;
        break;
      }
      case "--ssm-target-tag":
        convert.ssmTargetTag = value();
        break;
      case "--ecs-cluster":
        convert.ecsCluster = value();
        break;
      case "--ecs-task-definition":
        convert.ecsTaskDefinition = value();
        break;
      case "--ecs-container":
        convert.ecsContainer = value();
        break;
      case "--aws-conn-id":
        convert.awsConnId = value();
        break;
      case "--role-connection": {
        const [role, connId] = value().split("=");
        if (!role || !connId) throw new UsageError("--role-connection takes <role>=<connection id>");
        convert.roleConnections[role] = connId;
        break;
      }
      case "--activation-time": {
        const text = value();
        const time = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`);
        if (Number.isNaN(time.getTime()))
          throw new UsageError(`--activation-time ${text}: expected YYYY-MM-DDTHH:MM:SS`);
        convert.activationTime = time;
        break;
      }
      case "--pipeline-version": {
        const v = value();
        if (v !== "latest" && v !== "active")
          throw new UsageError("--pipeline-version takes latest or active");
        pipelineVersion = v;
        break;
      }
      default:
        if (arg.startsWith("--")) throw new UsageError(`unknown option ${arg}\n\n${USAGE}`);
        inputs.push(arg);
    }
  }
  if (inputs.length === 0) throw new UsageError(`no definition or pipeline id given\n\n${USAGE}`);
  if (!out) throw new UsageError(`--out <folder> is required\n\n${USAGE}`);
  return { inputs, out, report, pipelineVersion, convert };
}

interface Source {
  label: string;
  name: string;
  description?: string;
  load: () => Promise<PipelineDefinition>;
}

/** Files, folders and pipeline ids, expanded into one source per pipeline. */
export function sources(inputs: readonly string[], pipelineVersion: "latest" | "active"): Source[] {
  const result: Source[] = [];
  for (const input of inputs) {
    if (!fs.existsSync(input) && PIPELINE_ID.test(input)) {
      // The name and description come with the definition, so they are set when it is loaded.
      const source: Source = {
        label: `pipeline ${input}`,
        name: input,
        load: async () => {
          const live = await readPipeline(input, pipelineVersion);
          source.name = live.name;
          source.description = live.description;
          return live.definition;
        },
      };
      result.push(source);
      continue;
    }
    if (!fs.existsSync(input)) throw new UsageError(`${input}: no such file, folder or pipeline id (df-...)`);
    const files = fs.statSync(input).isDirectory()
      ? fs
          .readdirSync(input)
          .filter((f) => f.endsWith(".json"))
          .sort()
          .map((f) => path.join(input, f))
      : [input];
    for (const file of files) {
      result.push({
        label: `file ${file}`,
        name: path.basename(file).replace(/\.json$/, ""),
        load: async () => parseDefinition(JSON.parse(fs.readFileSync(file, "utf8"))),
      });
    }
  }
  return result;
}

export async function main(
  argv: readonly string[],
  print = console.log,
  printError = console.error,
): Promise<number> {
  let options: CliOptions | "help";
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`convert-pipeline: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (options === "help") {
    print(USAGE);
    return 0;
  }
  fs.mkdirSync(options.out, { recursive: true });
  let failed = 0;
  const plans: DagPlan[] = [];
  const written = new Map<string, string>();
  let inputs: Source[];
  try {
    inputs = sources(options.inputs, options.pipelineVersion);
  } catch (error) {
    printError(`convert-pipeline: ${(error as Error).message}`);
    return 2;
  }
  for (const source of inputs) {
    try {
      const definition = await source.load();
      const plan = convertDefinition(definition, {
        ...options.convert,
        pipelineName: source.name,
        source: source.label,
        description: source.description,
      });
      const file = path.join(options.out, `${plan.dagId}.py`);
      if (written.has(file)) throw new Error(`${source.label} and ${written.get(file)} both become ${file}`);
      written.set(file, source.label);
      fs.writeFileSync(file, renderDag(plan));
      plans.push(plan);
      print(conversionTable(plan, file));
      print("");
    } catch (error) {
      failed++;
      const what = error instanceof DefinitionError ? "broken definition" : "failed";
      printError(`convert-pipeline: ${source.label}: ${what}: ${(error as Error).message}`);
    }
  }
  if (options.report) fs.writeFileSync(options.report, `${JSON.stringify(plans, null, 2)}\n`);
  print(`${plans.length} pipeline(s) converted into ${options.out}${failed ? `, ${failed} failed` : ""}`);
  return failed > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`convert-pipeline: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
