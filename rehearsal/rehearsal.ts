/**
 * The rehearsal: a source Airflow with real history and a target Airflow (the setup, standing in for
 * the environments that exist on AWS), then the migration's stages run by the real Pulumi engine as a
 * user runs them, through the same phase resources as the project's program (rehearsal/program.ts),
 * and a report that checks every count against both databases.
 */
import { check as checkDags, type Report as CompatReport } from "../compat";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ExportSummary, ImportSummary } from "../contract";
import {
  type AwsAccess,
  DEFAULT_PAYLOAD_DIR,
  type ParseParity,
  bundleLocationOption,
  pluginsZipWithMigrationPlugin,
  sdkSettings,
  type TaskLogCopyResult,
} from "../providers";
import { STAGES } from "../rules/stages";
import { importRunsInPlugin } from "../rules/versions";
import type { Display } from "./display";
import {
  convertForRehearsal,
  generatedDagHashes,
  pipelineRuns,
  RUN_CAP_SECONDS,
  taskSummary,
  type PipelineRun,
  type RunOnceResult,
} from "./pipelines";
import { ensurePulumiCli, openStack, runStage, type StageRecord } from "./engine";
import { STACK_ACCOUNT_ID, type RehearsalOptions } from "./options";
import { envsPy, onCleanup, readStackInfo, startStandin, stateDir, StackInfo } from "./processes";
import { REHEARSAL_CONFIG, rehearsalProgram, type RehearsalEnvironment } from "./program";
import {
  DatabaseSnapshot,
  dagRows,
  EngineStageSummary,
  freezeWindow,
  freezeWindowParts,
  logSummary,
  reconcile,
  Report,
  REPORT_FORMAT_VERSION,
  StageTiming,
  stageTotals,
  tableRows,
} from "./report";

export const SOURCE_NAME = "rehearse-src";
export const TARGET_NAME = "rehearse-tgt";
export const MIGRATION_BUCKET = "rehearsal-migration";
export const BUNDLE_PREFIX = "rehearsal";

/** What envs.py create returns. */
export interface LocalAirflow {
  name: string;
  airflowVersion: string;
  url: string;
  username: string;
  password: string;
  dagsFolder: string;
  dagBucket: string;
  logGroup: string;
  /** The AWS account of moto the environment is in (its processes, DAG bucket and log group). */
  account: string;
  /** Its roles are FAB's: every Airflow 2, and an Airflow 3 whose lock has the FAB provider (as MWAA runs it). */
  fabRoles: boolean;
  dsn: string;
  cli: { command: string; env: Record<string, string> };
  region: string;
}

/** The stand-in's description of the local environments it serves as MWAA. */
export function standinConfig(info: StackInfo, envs: LocalAirflow[]): Record<string, unknown> {
  return {
    region: info.aws_region,
    accountId: STACK_ACCOUNT_ID,
    // A target in another account is reached with that account's keys, which moto issued.
    iamEndpoint: info.aws_endpoint_url,
    environments: Object.fromEntries(
      envs.map((env) => [
        env.name,
        {
          airflowVersion: env.airflowVersion,
          restApiUrl: env.url,
          username: env.username,
          password: env.password,
          cli: env.cli,
          sourceBucketArn: `arn:aws:s3:::${env.dagBucket}`,
          dagS3Path: "dags",
          dagsFolder: env.dagsFolder,
          executionRoleArn: `arn:aws:iam::${env.account}:role/${executionRoleName(env.name)}`,
          logGroups: { Task: env.logGroup },
          ...(env.account !== STACK_ACCOUNT_ID ? { accountId: env.account } : {}),
        },
      ]),
    ),
  };
}

/** The source's own DAG files: what prepare copies to the target as its workflow assets. */
export function workflowAssetFiles(names: readonly string[]): string[] {
  return names.filter((name) => /\.(py|json)$/.test(name) && !name.startsWith("mwaa_migration")).sort();
}

export class Stages {
  readonly timings: StageTiming[] = [];
  constructor(private readonly display: Display) {}

  async run<T>(stage: string, what: string, work: () => Promise<T>): Promise<T> {
    this.display.enter(stage, what);
    const started = Date.now();
    try {
      const value = await work();
      this.timings.push({ stage, seconds: (Date.now() - started) / 1000, ok: true });
      return value;
    } catch (e) {
      this.timings.push({
        stage,
        seconds: (Date.now() - started) / 1000,
        ok: false,
        detail: (e as Error).message,
      });
      throw e;
    }
  }
}

/**
 * What MWAA would put into a target environment besides its DAGs: for a target whose import runs in the
 * migration plugin (Airflow 3), the plugins.zip and the bundle location option the stack gives it.
 */
function targetExtras(version: string, migrationBucket: string): string[] {
  if (!importRunsInPlugin(version)) return [];
  const dir = path.join(stateDir(), "rehearse");
  fs.mkdirSync(dir, { recursive: true });
  const zip = path.join(dir, "plugins.zip");
  fs.writeFileSync(zip, pluginsZipWithMigrationPlugin(DEFAULT_PAYLOAD_DIR));
  return [zip, JSON.stringify(bundleLocationOption(migrationBucket, BUNDLE_PREFIX))];
}

/** A target environment: the migration bucket it imports from, and its account when not the stack's own. */
export interface TargetPlacement {
  migrationBucket: string;
  account?: string;
}

/** check-dags over the source's DAGs for the target: what the rehearsal's report shows before any history moves. */
async function checkCompatibility(
  dagsFolder: string,
  options: RehearsalOptions,
  display: Display,
): Promise<CompatReport | { error: string }> {
  try {
    const result = await checkDags(
      {
        targetVersion: options.targetVersion,
        sourceVersion: options.sourceVersion,
        dags: dagsFolder,
        config: {},
        configOrigin: {},
      },
      (line) => display.line(line),
    );
    const blocking = result.findings.filter((f) => f.severity === "blocks").length;
    display.line(`check-dags: ${blocking} blocking, ${result.findings.length - blocking} warnings`);
    return result;
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * An environment's DAG bucket; in another account its name carries the account, since bucket names are
 * global and moto lets only the owner delete a bucket: a rehearsal in either account can follow the other's
 * on one stack.
 */
export const dagBucketName = (environment: string, account?: string) =>
  account ? `${environment}-dags-${account}` : `${environment}-dags`;

export async function createAirflow(
  name: string,
  version: string,
  display: Display,
  target?: TargetPlacement,
): Promise<LocalAirflow> {
  onCleanup(`Airflow ${name}`, async () => {
    await envsPy(["stop", name]);
  });
  const account = target?.account;
  const extras = target ? targetExtras(version, target.migrationBucket) : [];
  const env = await envsPy<LocalAirflow>(
    [
      "create",
      name,
      version,
      dagBucketName(name, account),
      ...extras,
      ...(account ? [`--account=${account}`] : []),
    ],
    (line) => display.line(line),
  );
  createdAirflows.push(env);
  return env;
}

export async function startStandinFor(envs: LocalAirflow[], display: Display): Promise<void> {
  const info = readStackInfo();
  const dir = path.join(stateDir(), "rehearse");
  fs.mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, "environments.json");
  fs.writeFileSync(configFile, JSON.stringify(standinConfig(info, envs), null, 2));
  const cert = process.env.MWAA_REHEARSE_TLS_CERT ?? path.join(dir, "tls-cert.pem");
  const key = process.env.MWAA_REHEARSE_TLS_KEY ?? path.join(dir, "tls-key.pem");
  const api = info.ports.mwaa_standin;
  const stop = await startStandin(configFile, { api, web: api + 1 }, { cert, key });
  onCleanup("the MWAA stand-in", stop);
  process.env.AWS_ENDPOINT_URL_MWAA = `http://127.0.0.1:${api}`;
  display.line(`MWAA stand-in serving ${envs.map((e) => e.name).join(", ")} on http://127.0.0.1:${api}`);
}

export interface RehearsalResult {
  report: Report;
  envs: LocalAirflow[];
}

/** Every Airflow the rehearsal created, in order: what --keep lists even after a failure. */
export const createdAirflows: LocalAirflow[] = [];

/** What the rehearsal knows of a local Airflow, as the program's components know an MWAA environment. */
export function rehearsalEnvironment(env: LocalAirflow): RehearsalEnvironment {
  return {
    name: env.name,
    airflowVersion: env.airflowVersion,
    region: env.region,
    account: env.account,
    dagBucket: env.dagBucket,
    dagPath: "dags",
    logGroup: env.logGroup,
    executionRoleName: executionRoleName(env.name),
    fabRoles: env.fabRoles,
  };
}

export const executionRoleName = (environment: string) => `${environment}-execution`;

/**
 * The execution roles the grants land on, in moto's IAM (on AWS they exist before the migration), each in
 * its environment's account: reached there with `access` when that is not the stack's own.
 */
export async function createExecutionRoles(
  envs: LocalAirflow[],
  access: (env: LocalAirflow) => AwsAccess | undefined = () => undefined,
): Promise<void> {
  const iam = require("@aws-sdk/client-iam") as typeof import("@aws-sdk/client-iam");
  const trust = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { Service: "airflow.amazonaws.com" }, Action: "sts:AssumeRole" },
    ],
  });
  for (const env of envs) {
    const client = new iam.IAMClient(sdkSettings(access(env)));
    try {
      await client.send(
        new iam.CreateRoleCommand({ RoleName: executionRoleName(env.name), AssumeRolePolicyDocument: trust }),
      );
    } catch (e) {
      if ((e as { name?: string }).name !== "EntityAlreadyExistsException") throw e;
    } finally {
      client.destroy();
    }
  }
}

/** The target's side when it is in another account: reached as that account's deployer role. */
export async function otherAccountAccess(account: string, region: string): Promise<AwsAccess> {
  const ready = await envsPy<{ deployerRoleArn: string }>(["account", account]);
  return { region, assumeRoleArn: ready.deployerRoleArn };
}

/** The source's DAG files by name with their sha256: the target's workflow assets. */
export function workflowFilesOf(folder: string): Record<string, string> {
  return Object.fromEntries(
    workflowAssetFiles(fs.readdirSync(folder)).map((name) => [
      name,
      crypto
        .createHash("sha256")
        .update(fs.readFileSync(path.join(folder, name)))
        .digest("hex"),
    ]),
  );
}

/** The summary of an export phase's outputs, in the manifest's shape. */
function exportSummaryOf(outputs: Record<string, unknown>): ExportSummary {
  return {
    exportId: String(outputs.exportId),
    phase: String(outputs.phase),
    watermark: typeof outputs.watermark === "string" ? outputs.watermark : null,
    sourceAirflowVersion:
      typeof outputs.sourceAirflowVersion === "string" ? outputs.sourceAirflowVersion : null,
    rowsPerTable: (outputs.rowsPerTable ?? {}) as Record<string, number>,
    secondsPerTable: (outputs.secondsPerTable ?? {}) as Record<string, number>,
    skippedTaskInstances: Number(outputs.skippedTaskInstances ?? 0),
    activeDags: (outputs.activeDags ?? []) as string[],
  };
}

function importSummaryOf(outputs: Record<string, unknown>): ImportSummary {
  return {
    insertedPerTable: (outputs.insertedPerTable ?? {}) as Record<string, number>,
    alreadyPresentPerTable: (outputs.alreadyPresentPerTable ?? {}) as Record<string, number>,
    updatedPerTable: (outputs.updatedPerTable ?? {}) as Record<string, number>,
    secondsPerTable: (outputs.secondsPerTable ?? {}) as Record<string, number>,
    runsPerDag: (outputs.runsPerDag ?? {}) as Record<string, number>,
    missingDags: (outputs.missingDags ?? []) as string[],
    notHeldByTarget: (outputs.notHeldByTarget ?? {}) as ImportSummary["notHeldByTarget"],
    verified: outputs.verified === true,
    problems: [],
  };
}

type Phases = Record<string, Record<string, unknown>>;

/** The parse check's outputs in the report's shape. */
function parityOf(outputs: Record<string, unknown>): ParseParity {
  const list = <T>(value: unknown) => (Array.isArray(value) ? (value as T[]) : []);
  return {
    parsedDags: list(outputs.parsedDags),
    importErrors: list(outputs.importErrors),
    sourceActiveDags: list(outputs.sourceActiveDags),
    unparsed: list(outputs.unparsed),
  };
}
const phasesOf = (record: StageRecord | undefined): Phases => (record?.outputs.phases ?? {}) as Phases;

/** A custom web UI role, as a `webUiAccess` mapping names one, limited to the source's first DAG. */
export const WEB_UI_ROLE = "RehearsalViewer";
export function webUiRoleFor(
  target: LocalAirflow,
  dagIds: string[],
): { webUiRole?: { name: string; dags: string[] } } {
  const [first] = [...dagIds].sort();
  return target.fabRoles && first ? { webUiRole: { name: WEB_UI_ROLE, dags: [first] } } : {};
}

/** The custom web UI role the rehearsal made on the target, or why it made none. */
export function webUiRoleOf(record: StageRecord | undefined, target: LocalAirflow): Report["webUiRole"] {
  const made = record?.outputs.webUiRole as { name: string; dags: string[]; permissions: number } | undefined;
  if (made) return { name: made.name, dags: made.dags, permissions: made.permissions };
  return {
    skipped: target.fabRoles
      ? "the source had no DAG to limit it to"
      : `Airflow ${target.airflowVersion} runs the simple auth manager here (its lock has no FAB provider): no roles to make`,
  };
}

/** A stage's record as the report shows it. */
export function engineStageSummary(record: StageRecord): EngineStageSummary {
  return {
    stage: record.stage,
    planned: record.planned.map(
      (step) =>
        `${step.op} ${step.type} ${step.name}${step.diffs.length && step.op !== "create" ? ` [${step.diffs.join(", ")}]` : ""}`,
    ),
    update: record.update,
    settled: record.settled,
    previewSeconds: record.previewSeconds,
    updateSeconds: record.updateSeconds,
  };
}

export async function runRehearsal(options: RehearsalOptions, display: Display): Promise<RehearsalResult> {
  const startedAt = new Date();
  const stages = new Stages(display);
  // Before anything starts: a definition that does not convert is the user's to fix first.
  const pipelines = options.pipelines
    ? convertForRehearsal(options.pipelines, options.targetVersion, startedAt)
    : [];
  if (options.pipelines)
    display.line(`--pipelines: ${pipelines.length} pipelines converted for Airflow ${options.targetVersion}`);
  const pipelineHashes = generatedDagHashes(pipelines);

  const { source, target, targetAccess, seededRuns, sourceBefore, cli, compatibility } = await stages.run(
    "setup",
    `source Airflow ${options.sourceVersion} with history, target Airflow ${options.targetVersion}` +
      `${options.targetAccount ? ` in account ${options.targetAccount}` : ""}, the Pulumi CLI`,
    async () => {
      const createdSource = await createAirflow(SOURCE_NAME, options.sourceVersion, display);
      const seeded = await envsPy<{ plan: Record<string, number>; seconds: number }>(
        ["seed", SOURCE_NAME, String(options.runs)],
        (line) => display.line(line),
      );
      display.line(`history seeded in ${seeded.seconds} s: ${JSON.stringify(seeded.plan)}`);
      const compatibility = await checkCompatibility(createdSource.dagsFolder, options, display);
      const createdTarget = await createAirflow(TARGET_NAME, options.targetVersion, display, {
        migrationBucket: MIGRATION_BUCKET,
        ...(options.targetAccount ? { account: options.targetAccount } : {}),
      });
      const targetAccess = options.targetAccount
        ? await otherAccountAccess(options.targetAccount, createdTarget.region)
        : undefined;
      if (targetAccess)
        display.line(
          `the target is in account ${options.targetAccount}, reached as ${targetAccess.assumeRoleArn}`,
        );
      await createExecutionRoles([createdSource, createdTarget], (env) =>
        env === createdTarget ? targetAccess : undefined,
      );
      await startStandinFor([createdSource, createdTarget], display);
      const before = await envsPy<DatabaseSnapshot>(["snapshot", SOURCE_NAME]);
      const pulumi = await ensurePulumiCli((line) => display.line(line));
      display.line(
        `Pulumi CLI ${pulumi.version} at ${pulumi.path}${pulumi.builtSeconds !== null ? ` (built in ${pulumi.builtSeconds} s)` : ""}`,
      );
      return {
        source: createdSource,
        target: createdTarget,
        targetAccess,
        seededRuns: options.runs,
        sourceBefore: before,
        cli: pulumi,
        compatibility,
      };
    },
  );

  const program = rehearsalProgram({
    source: rehearsalEnvironment(source),
    target: rehearsalEnvironment(target),
    ...(targetAccess ? { targetAccess } : {}),
    bucketName: MIGRATION_BUCKET,
    prefix: BUNDLE_PREFIX,
    expirationDays: 30,
    workflowFolder: source.dagsFolder,
    workflowFiles: workflowFilesOf(source.dagsFolder),
    dagIds: Object.keys(sourceBefore.dags),
    ...webUiRoleFor(target, Object.keys(sourceBefore.dags)),
    generatedDags: pipelines.map((p) => ({
      file: p.dagFile,
      content: p.content,
      dagId: p.dagId,
      sha256: pipelineHashes[p.dagFile],
    })),
    settings: {
      export: { pollIntervalSeconds: 3, parseDeadlineSeconds: 300 },
      import: { pollIntervalSeconds: 3, parseDeadlineSeconds: 300 },
      quiesceDeadlineSeconds: 600,
    },
  });
  const stack = await openStack({
    projectName: "mwaa-rehearsal",
    stackName: "rehearsal",
    program,
    cli,
    fresh: true,
  });
  const logFile = path.join(stateDir(), "engine", "mwaa-rehearsal", "engine.log");
  const records: StageRecord[] = [];
  let sourceAtFreeze: DatabaseSnapshot | null = null;
  for (const stage of STAGES) {
    const record = await stages.run(stage, `pulumi preview and up at stage ${stage}`, () =>
      runStage(stack, `${REHEARSAL_CONFIG}:stage`, stage, (line) => display.line(line), {
        onOutput: (text) => fs.appendFileSync(logFile, text),
      }),
    );
    records.push(record);
    // The source stays paused and quiet from the cutover on: what it holds now is what it held at the freeze.
    if (stage === "cutover") sourceAtFreeze = await envsPy<DatabaseSnapshot>(["snapshot", SOURCE_NAME]);
  }

  const report = await stages.run("verify", "verify: count both sides", async () => {
    const cutover = phasesOf(records.find((r) => r.stage === "cutover"));
    const parse = phasesOf(records.find((r) => r.stage === "prepare")).dagParse;
    const bulk = phasesOf(records.find((r) => r.stage === "bulk"));
    // Not named `exports`: under CommonJS that name would hide the module's own exports object.
    const exportSummaries = [bulk.bulkExport, cutover.deltaExport]
      .filter((o) => o !== undefined)
      .map(exportSummaryOf);
    const imports = [bulk.bulkImport, cutover.deltaImport].filter((o) => o !== undefined);
    const targetAfter = await envsPy<DatabaseSnapshot>(["snapshot", TARGET_NAME]);
    const tables = tableRows(exportSummaries, imports.map(importSummaryOf));
    const dags = dagRows(sourceBefore, sourceAtFreeze, targetAfter);
    const problems = reconcile(tables, dags, sourceAtFreeze ?? sourceBefore, stages.timings);
    for (const record of records)
      if (!record.settled)
        problems.push(`after the ${record.stage} update, a refresh or the next preview still found changes`);
    const logs = imports.map((i) => i.taskLogCopy).filter((l): l is TaskLogCopyResult => Boolean(l));
    const instant = (value: unknown) => {
      const ms = Date.parse(String(value ?? ""));
      return Number.isNaN(ms) ? null : ms;
    };
    const seconds = (value: unknown) => (typeof value === "number" ? value : null);
    const pausedAtMs = instant(cutover.pause?.pausedAt);
    const freeze = freezeWindow(pausedAtMs, instant(cutover.activation?.activatedAt));
    // The two stagings run side by side: the longer is what the cutover waited.
    const staged = [cutover.stageExport, cutover.stageImport].map((s) => seconds(s?.elapsedSeconds));
    return {
      tables,
      dags,
      problems,
      logs,
      freeze,
      freezeParts: freezeWindowParts(freeze, {
        pausedAtMs,
        quietAtMs: instant(cutover.pause?.quietAt),
        deltaExportSeconds: seconds(cutover.deltaExport?.elapsedSeconds),
        deltaImportSeconds: seconds(cutover.deltaImport?.elapsedSeconds),
      }),
      stagedSeconds: staged.every((s) => s === null) ? null : Math.max(...staged.map((s) => s ?? 0)),
      refused: [...new Set(imports.flatMap((i) => (i.missingDags ?? []) as string[]))].sort(),
      targetParse: parse ? parityOf(parse) : undefined,
    };
  });

  const pipelineResults = options.pipelines
    ? await stages.run(
        "pipelines",
        `run the ${pipelines.length} converted pipelines once each on the target`,
        () => runPipelinesOnce(options.pipelines!, pipelines, options.reportsDir, display),
      )
    : undefined;

  return {
    envs: [source, target],
    report: {
      formatVersion: REPORT_FORMAT_VERSION,
      mode: "rehearsal",
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      source: { airflowVersion: source.airflowVersion, seededRuns, account: source.account },
      target: {
        airflowVersion: target.airflowVersion,
        account: target.account,
        ...(targetAccess?.assumeRoleArn ? { reachedAs: targetAccess.assumeRoleArn } : {}),
      },
      stages: stageTotals(stages.timings),
      tables: report.tables,
      dags: report.dags,
      logs: report.logs.length ? logSummary(report.logs) : null,
      freezeWindowSeconds: report.freeze,
      freezeWindowParts: report.freezeParts,
      stagedBeforePauseSeconds: report.stagedSeconds,
      refusedDags: report.refused,
      dagCompatibility: compatibility,
      ...(report.targetParse ? { targetParse: report.targetParse } : {}),
      webUiRole: webUiRoleOf(records.at(-1), target),
      ...(pipelineResults ? { pipelines: pipelineResults } : {}),
      engine: {
        cli: { version: cli.version, builtSeconds: cli.builtSeconds },
        stages: records.map(engineStageSummary),
      },
      reconciled: report.problems.length === 0,
      problems: report.problems,
    },
  };
}

/** Seeds moto from the folder (envs.py seed-aws), then runs every converted DAG once on the target (run_once.py). */
async function runPipelinesOnce(
  folder: string,
  pipelines: Parameters<typeof pipelineRuns>[0],
  reportsDir: string,
  display: Display,
): Promise<{ runs: PipelineRun[]; capSeconds: number; log: string }> {
  const seeded = await envsPy<{ s3Objects: number; dynamodbTables: Record<string, number> }>(
    ["seed-aws", path.resolve(folder), TARGET_NAME],
    (line) => display.line(line),
  );
  const tables = Object.entries(seeded.dynamodbTables).map(([table, items]) => `${table} (${items} items)`);
  display.line(
    `seeded the local AWS from ${folder}: ${seeded.s3Objects} S3 objects` +
      (tables.length ? `, DynamoDB tables ${tables.join(", ")}` : ""),
  );
  fs.mkdirSync(reportsDir, { recursive: true });
  const log = path.resolve(reportsDir, "pipeline-runs.log");
  const results = await envsPy<Record<string, RunOnceResult>>(
    ["run-once", TARGET_NAME, "datapipeline", String(RUN_CAP_SECONDS), log, ...pipelines.map((p) => p.dagId)],
    (line) => display.line(line),
  );
  const runs = pipelineRuns(pipelines, results);
  for (const run of runs) display.line(`${run.dagId}: ${run.state} (${taskSummary(run)})`);
  return { runs, capSeconds: RUN_CAP_SECONDS, log };
}
