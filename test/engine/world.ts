/**
 * What the engine tests run on: the local stack with a fault proxy in front of moto, one source
 * Airflow with real history (shared by every scenario, each under its own bundle prefix so that no
 * two scenarios share a run id), and per scenario a fresh target Airflow, the MWAA stand-in serving
 * both, and a fresh stack of the rehearsal's program on a local backend, driven by the real Pulumi
 * engine. Built from the rehearsal's own parts, so the tests take the path `npm run rehearse` takes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { airflowClientFor, type AirflowClient, type PhaseSettings } from "../../providers";
import {
  ensurePulumiCli,
  openStack,
  runStage,
  type PulumiCli,
  type StageRecord,
} from "../../rehearsal/engine";
import {
  cleanUp,
  envsPy,
  onCleanup,
  readStackInfo,
  stackIsUp,
  stackDown,
  stackUp,
  startStandin,
  stateDir,
} from "../../rehearsal/processes";
import { REHEARSAL_CONFIG, rehearsalProgram, type RehearsalFacts } from "../../rehearsal/program";
import type { DatabaseSnapshot } from "../../rehearsal/report";
import {
  createAirflow,
  createExecutionRoles,
  rehearsalEnvironment,
  standinConfig,
  workflowFilesOf,
  type LocalAirflow,
} from "../../rehearsal/rehearsal";
import { Display } from "../../rehearsal/display";
import { startFaultProxy, type FaultProxy } from "../support/faultProxy";

export const SOURCE_VERSION = "2.8.1";
export const TARGET_VERSION = "2.11.0";
export const MIGRATION_BUCKET = "engine-migration";

/**
 * A DAG whose one task runs until the test releases its run (or 15 minutes pass): something in flight
 * when the cutover pauses the source, however long the engine takes to get there.
 */
export const SLOW_DAG_ID = "engine_slow";
const slowDag = (releaseDir: string) => `
import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG("${SLOW_DAG_ID}", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None, catchup=False):
    BashOperator(
        task_id="slow",
        bash_command='for i in $(seq 900); do [ -e "${releaseDir}/{{ run_id }}" ] && exit 0; sleep 1; done; exit 1',
    )
`;

/** A DAG active on the source that does not parse on the target's version: what the parse gate stops. */
export const GATE_DAG_ID = "engine_gate";
const gateDag = `
import pendulum
import airflow
from airflow import DAG
from airflow.operators.empty import EmptyOperator

if airflow.__version__ == "${TARGET_VERSION}":
    raise ImportError("engine_gate needs an operator Airflow ${TARGET_VERSION} no longer has")

with DAG("${GATE_DAG_ID}", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None, catchup=False):
    EmptyOperator(task_id="noop")
`;

function releaseDirOf(source: LocalAirflow): string {
  return path.join(path.dirname(source.dagsFolder), "released");
}

/** Lets the slow DAG's run `runId` finish. */
export function releaseSlowRun(source: LocalAirflow, runId: string): void {
  fs.mkdirSync(releaseDirOf(source), { recursive: true });
  fs.writeFileSync(path.join(releaseDirOf(source), runId), "");
}

/** Something a test does while a `pulumi up` runs, once its output matches `when`. */
export interface OutputCue {
  when: RegExp;
  then: (match: RegExpMatchArray) => void;
}

export const DEFAULT_SETTINGS: PhaseSettings = {
  export: { pollIntervalSeconds: 2, parseDeadlineSeconds: 300 },
  import: { pollIntervalSeconds: 2, parseDeadlineSeconds: 300 },
  quiesceDeadlineSeconds: 600,
  // Accepted so the walk goes on; the test of the gate takes the acceptance away first.
  acceptUnparsedDags: [GATE_DAG_ID],
  // The pause finishes a run whose tasks ended after it at once, rather than after the scheduler's sweep.
  runFinishGraceSeconds: 0,
};

export interface World {
  source: LocalAirflow;
  proxy: FaultProxy;
  cli: PulumiCli;
  display: Display;
  say(line: string): void;
}

let current: World | undefined;

export async function startWorld(): Promise<World> {
  if (current) return current;
  const display = new Display();
  const say = (line: string) => display.line(line);
  const wasUp = await stackIsUp();
  await stackUp([SOURCE_VERSION, TARGET_VERSION]);
  if (!wasUp) onCleanup("the local stack", stackDown);
  const info = readStackInfo();
  Object.assign(process.env, info.env);
  // Everything AWS-bound goes through the proxy: the providers (this process and the engine's
  // children, by AWS_ENDPOINT_URL) and the Airflows' tasks and logging (set when each is created).
  const proxy = await startFaultProxy(info.env.AWS_ENDPOINT_URL);
  onCleanup("the fault proxy", () => proxy.close());
  process.env.AWS_ENDPOINT_URL = proxy.url;
  process.env.MWAA_LOCAL_AWS_ENDPOINT_URL = proxy.url;

  const source = await createAirflow("eng-src", SOURCE_VERSION, display);
  fs.mkdirSync(releaseDirOf(source), { recursive: true });
  fs.writeFileSync(path.join(source.dagsFolder, `${SLOW_DAG_ID}.py`), slowDag(releaseDirOf(source)));
  fs.writeFileSync(path.join(source.dagsFolder, `${GATE_DAG_ID}.py`), gateDag);
  const seeded = await envsPy<{ seconds: number }>(["seed", source.name, "10"], say);
  say(`source history seeded in ${seeded.seconds} s`);
  // Every DAG of the source is parsed before a scenario looks at its paused states.
  for (const dagId of [SLOW_DAG_ID, GATE_DAG_ID])
    await airflowOf(source).waitUntilParsed(dagId, {
      deadlineMs: Date.now() + 300_000,
      pollIntervalMs: 2000,
    });
  await airflowOf(source).setPaused(GATE_DAG_ID, false);
  const cli = await ensurePulumiCli(say);
  current = { source, proxy, cli, display, say };
  return current;
}

export async function stopWorld(): Promise<void> {
  await cleanUp((line) => current?.say(line) ?? console.log(line));
  current = undefined;
}

/** One migration on a fresh target, as a stack the tests move through its stages. */
export class Scenario {
  private constructor(
    readonly world: World,
    readonly label: string,
    readonly target: LocalAirflow,
    readonly stack: Stack,
    private facts: RehearsalFacts,
    private readonly stopStandin: () => Promise<void>,
  ) {}

  static async open(world: World, label: string): Promise<Scenario> {
    const target = await createAirflow(`eng-${label}`, TARGET_VERSION, world.display);
    await createExecutionRoles([world.source, target]);
    const stopStandin = await serveAsMwaa([world.source, target]);
    const facts: RehearsalFacts = {
      source: rehearsalEnvironment(world.source),
      target: rehearsalEnvironment(target),
      bucketName: MIGRATION_BUCKET,
      prefix: label,
      expirationDays: 30,
      workflowFolder: world.source.dagsFolder,
      workflowFiles: workflowFilesOf(world.source.dagsFolder),
      // The DAGs the target's assets wait for: all but the one that cannot parse there.
      dagIds: Object.keys((await snapshotOf(world.source.name)).dags).filter((id) => id !== GATE_DAG_ID),
      generatedDags: [],
      settings: DEFAULT_SETTINGS,
    };
    const stack = await openStack({
      projectName: `mwaa-engine-${label}`,
      stackName: label,
      program: rehearsalProgram(facts),
      cli: world.cli,
      fresh: true,
    });
    return new Scenario(world, label, target, stack, facts, stopStandin);
  }

  /** The program with other facts (settings, prefix, versions): what a config change does to a real stack. */
  reprogram(change: (facts: RehearsalFacts) => RehearsalFacts): void {
    this.facts = change(this.facts);
    this.stack.workspace.program = rehearsalProgram(this.facts);
  }

  /** preview, up, refresh and preview, as the rehearsal runs a stage. */
  stage(stage: string): Promise<StageRecord> {
    return runStage(this.stack, `${REHEARSAL_CONFIG}:stage`, stage, this.world.say, {
      onOutput: (text) => fs.appendFileSync(this.logFile, text),
    });
  }

  /**
   * An `up` expected to fail; resolves with the engine's error and output. Each cue acts once, when
   * the output first matches its pattern (e.g. signals the running `pulumi up`).
   */
  async failingUp(stage: string, ...cues: OutputCue[]): Promise<string> {
    await this.stack.setConfig(`${REHEARSAL_CONFIG}:stage`, { value: stage });
    let printed = "";
    const pending = new Set(cues);
    const outcome = await this.stack
      .up({
        onOutput: (text) => {
          printed += text;
          fs.appendFileSync(this.logFile, text);
          for (const cue of pending) {
            const match = printed.match(cue.when);
            if (!match) continue;
            pending.delete(cue);
            this.world.say(`during pulumi up, at: ${match[0]}`);
            cue.then(match);
          }
        },
      })
      .then(
        () => undefined,
        (e: Error) => e,
      );
    if (!outcome) throw new Error(`pulumi up at ${stage} succeeded; it was expected to fail`);
    return `${outcome.message}\n${printed}`;
  }

  /** A preview expected to fail; resolves with the engine's error and output. */
  async failingPreview(stage: string): Promise<string> {
    await this.stack.setConfig(`${REHEARSAL_CONFIG}:stage`, { value: stage });
    let printed = "";
    const outcome = await this.stack.preview({ onOutput: (text) => (printed += text) }).then(
      () => undefined,
      (e: Error) => e,
    );
    if (!outcome) throw new Error(`pulumi preview at ${stage} succeeded; it was expected to fail`);
    return `${outcome.message}\n${printed}`;
  }

  async preview(): Promise<{ steps: string[]; changes: Record<string, number> }> {
    const steps: string[] = [];
    const result = await this.stack.preview({
      onEvent: (event) => {
        const meta = event.resourcePreEvent?.metadata;
        if (meta && meta.op !== "same" && meta.op !== "read")
          steps.push(`${meta.op} ${meta.urn.slice(meta.urn.lastIndexOf("::") + 2)}`);
      },
    });
    const changes = Object.fromEntries(
      Object.entries(result.changeSummary ?? {}).filter(([op, n]) => op !== "same" && op !== "read" && n > 0),
    );
    return { steps, changes };
  }

  get logFile(): string {
    return path.join(stateDir(), "engine", `mwaa-engine-${this.label}`, "engine.log");
  }

  async close(): Promise<void> {
    await this.stopStandin();
    await envsPy(["stop", this.target.name]);
  }
}

/** The stand-in serving these environments as MWAA (restarted per scenario: its config is read at start). */
async function serveAsMwaa(envs: LocalAirflow[]): Promise<() => Promise<void>> {
  const info = readStackInfo();
  const dir = path.join(stateDir(), "engine");
  fs.mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, "environments.json");
  fs.writeFileSync(configFile, JSON.stringify(standinConfig(info, envs), null, 2));
  const cert = process.env.MWAA_REHEARSE_TLS_CERT;
  const key = process.env.MWAA_REHEARSE_TLS_KEY;
  if (!cert || !key)
    throw new Error(
      "run the engine tests through scripts/test-engine.sh (it makes the stand-in's certificate)",
    );
  const api = info.ports.mwaa_standin;
  const stop = await startStandin(configFile, { api, web: api + 1 }, { cert, key });
  process.env.AWS_ENDPOINT_URL_MWAA = `http://127.0.0.1:${api}`;
  return stop;
}

/** A local Airflow through its REST API, as a self-managed source is reached. */
export function airflowOf(env: LocalAirflow): AirflowClient {
  return airflowClientFor({
    kind: "self-managed",
    url: env.url,
    username: env.username,
    password: env.password,
    airflowVersion: env.airflowVersion,
  });
}

export function snapshotOf(name: string): Promise<DatabaseSnapshot> {
  return envsPy<DatabaseSnapshot>(["snapshot", name]);
}
