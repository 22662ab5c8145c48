/**
 * The rehearsal itself: a source Airflow with real history, a target, and the migration stages
 * (prepare, bulk, cutover, verify) run through the providers, with a report at the end.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createAirflowClient } from "../providers/airflow/chooser";
import type { ImportSummary, ExportSummary } from "../contract";
import { AirflowTarget, connectionFor } from "../providers/framework/target";
import type { TaskLogCopyResult } from "../providers/taskLogs/copy";
import type { Display } from "./display";
import {
  activateTarget,
  BundleSettings,
  Environment,
  exportMetadata,
  importMetadata,
  pauseSource,
} from "./engine";
import type { RehearsalOptions } from "./options";
import { envsPy, onCleanup, readStackInfo, startStandin, stateDir, StackInfo } from "./processes";
import {
  DatabaseSnapshot,
  dagRows,
  freezeWindow,
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
const ACCOUNT_ID = "123456789012";

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
  dsn: string;
  cli: { command: string; env: Record<string, string> };
  region: string;
}

export function mwaaTarget(env: LocalAirflow): Environment {
  const airflow: AirflowTarget = {
    kind: "mwaa",
    environmentName: env.name,
    airflowVersion: env.airflowVersion,
    region: env.region,
  };
  return { airflow, dagFolder: `s3://${env.dagBucket}/dags` };
}

/** The stand-in's description of the local environments it serves as MWAA. */
export function standinConfig(info: StackInfo, envs: LocalAirflow[]): Record<string, unknown> {
  return {
    region: info.aws_region,
    accountId: ACCOUNT_ID,
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
          executionRoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/${env.name}-execution`,
          logGroups: { Task: env.logGroup },
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

export async function createAirflow(name: string, version: string, display: Display): Promise<LocalAirflow> {
  onCleanup(`Airflow ${name}`, async () => {
    await envsPy(["stop", name]);
  });
  const env = await envsPy<LocalAirflow>(["create", name, version, `${name}-dags`], (line) =>
    display.line(line),
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

async function copyWorkflowAssets(
  source: LocalAirflow,
  target: LocalAirflow,
  display: Display,
): Promise<string[]> {
  const { S3Client, PutObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const s3 = new S3Client({ region: target.region, forcePathStyle: true });
  const files = workflowAssetFiles(fs.readdirSync(source.dagsFolder));
  try {
    for (const file of files) {
      await s3.send(
        new PutObjectCommand({
          Bucket: target.dagBucket,
          Key: `dags/${file}`,
          Body: fs.readFileSync(path.join(source.dagsFolder, file)),
        }),
      );
    }
  } finally {
    s3.destroy();
  }
  display.line(`workflow assets: ${files.join(", ")} -> s3://${target.dagBucket}/dags/`);
  return files;
}

async function waitForDags(
  env: Environment,
  dagIds: string[],
  display: Display,
  seconds = 300,
): Promise<void> {
  const client = createAirflowClient(connectionFor(env.airflow, undefined));
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const parsed = new Set((await client.listDags()).map((d) => d.dagId));
    const missing = dagIds.filter((id) => !parsed.has(id));
    if (missing.length === 0) {
      display.line(`the target parsed ${dagIds.length} DAGs`);
      return;
    }
    if (Date.now() > deadline)
      throw new Error(`the target did not parse ${missing.join(", ")} within ${seconds} s of their upload`);
    await new Promise((r) => setTimeout(r, 3000));
  }
}

export function bundleSettings(kmsKeyId: string): BundleSettings {
  return {
    bucket: MIGRATION_BUCKET,
    prefix: BUNDLE_PREFIX,
    kmsKeyId,
    pollIntervalSeconds: 3,
    deadlineSeconds: 3600,
    parseDeadlineSeconds: 300,
  };
}

function describeExport(summary: ExportSummary): string {
  const rows = Object.values(summary.rowsPerTable).reduce((a, b) => a + b, 0);
  return `export ${summary.exportId}: ${rows.toLocaleString("en-US")} rows in ${Object.keys(summary.rowsPerTable).length} tables`;
}

function describeImport(summary: ImportSummary): string {
  const inserted = Object.values(summary.insertedPerTable).reduce((a, b) => a + b, 0);
  const present = Object.values(summary.alreadyPresentPerTable).reduce((a, b) => a + b, 0);
  return `import: ${inserted.toLocaleString("en-US")} rows inserted, ${present.toLocaleString("en-US")} already present, verified=${summary.verified}`;
}

export interface RehearsalResult {
  report: Report;
  envs: LocalAirflow[];
}

/** Every Airflow the rehearsal created, in order: what --keep lists even after a failure. */
export const createdAirflows: LocalAirflow[] = [];

export async function runRehearsal(options: RehearsalOptions, display: Display): Promise<RehearsalResult> {
  const startedAt = new Date();
  const stages = new Stages(display);

  const { source, seededRuns } = await stages.run(
    "setup",
    `source: Airflow ${options.sourceVersion} with history`,
    async () => {
      const created = await createAirflow(SOURCE_NAME, options.sourceVersion, display);
      const seeded = await envsPy<{ plan: Record<string, number>; seconds: number }>(
        ["seed", SOURCE_NAME, String(options.runs)],
        (line) => display.line(line),
      );
      display.line(`history seeded in ${seeded.seconds} s: ${JSON.stringify(seeded.plan)}`);
      return { source: created, seededRuns: options.runs };
    },
  );

  const { target, bundle, sourceEnv, targetEnv, sourceBefore } = await stages.run(
    "prepare",
    `target: Airflow ${options.targetVersion}, migration bucket + key, workflow assets`,
    async () => {
      const createdTarget = await createAirflow(TARGET_NAME, options.targetVersion, display);
      const { kmsKeyId } = await envsPy<{ kmsKeyId: string }>(["bucket", MIGRATION_BUCKET]);
      display.line(`migration bucket s3://${MIGRATION_BUCKET} with KMS key ${kmsKeyId}`);
      await startStandinFor([source, createdTarget], display);
      const before = await envsPy<DatabaseSnapshot>(["snapshot", SOURCE_NAME]);
      await copyWorkflowAssets(source, createdTarget, display);
      const tgtEnv = mwaaTarget(createdTarget);
      await waitForDags(tgtEnv, Object.keys(before.dags), display);
      return {
        target: createdTarget,
        bundle: bundleSettings(kmsKeyId),
        sourceEnv: mwaaTarget(source),
        targetEnv: tgtEnv,
        sourceBefore: before,
      };
    },
  );

  // The import copies the migrated task instances' CloudWatch logs, as it does for an MWAA source.
  const taskLogs = { sourceLogGroup: source.logGroup, targetLogGroup: target.logGroup };
  const exportSummaries: ExportSummary[] = [];
  const imports: ImportSummary[] = [];
  const logResults: TaskLogCopyResult[] = [];
  const migrate = async (phase: "bulk" | "delta", watermark?: string) => {
    const exported = await exportMetadata(sourceEnv, bundle, phase, watermark);
    exportSummaries.push(exported);
    display.line(describeExport(exported));
    const imported = await importMetadata(targetEnv, bundle, exported.exportId, { taskLogs });
    imports.push(imported);
    display.line(describeImport(imported));
    if (!imported.taskLogCopy)
      throw new Error(`the import of ${exported.exportId} returned no task-log copy result`);
    logResults.push(imported.taskLogCopy);
    return exported;
  };

  const bulk = await stages.run(
    "bulk",
    "bulk: export while the source runs, import into the paused target",
    () => migrate("bulk"),
  );

  const { pausedAt, activatedAt, sourceAtFreeze } = await stages.run(
    "cutover",
    "cutover: pause the source, export and import the delta, activate the target",
    async () => {
      const paused = Date.now();
      const pausedDags = await pauseSource(sourceEnv);
      await envsPy(["wait-idle", SOURCE_NAME, "600"], (line) => display.line(line));
      const atFreeze = await envsPy<DatabaseSnapshot>(["snapshot", SOURCE_NAME]);
      await migrate("delta", bulk.watermark ?? undefined);
      const activation = await activateTarget(targetEnv, pausedDags);
      display.line(`target active: ${activation.unpaused.join(", ") || "no DAGs"}`);
      return { pausedAt: paused, activatedAt: Date.now(), sourceAtFreeze: atFreeze };
    },
  );

  const report = await stages.run("verify", "verify: count both sides", async () => {
    const targetAfter = await envsPy<DatabaseSnapshot>(["snapshot", TARGET_NAME]);
    const tables = tableRows(exportSummaries, imports);
    const dags = dagRows(sourceBefore, sourceAtFreeze, targetAfter);
    const problems = reconcile(tables, dags, sourceAtFreeze, stages.timings);
    for (const summary of imports) problems.push(...summary.problems);
    return { tables, dags, problems };
  });

  const refused = [...new Set(imports.flatMap((i) => i.missingDags))].sort();
  return {
    envs: [source, target],
    report: {
      formatVersion: REPORT_FORMAT_VERSION,
      mode: "rehearsal",
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      source: { airflowVersion: source.airflowVersion, seededRuns },
      target: { airflowVersion: target.airflowVersion },
      stages: stageTotals(stages.timings),
      tables: report.tables,
      dags: report.dags,
      logs: logSummary(logResults),
      freezeWindowSeconds: freezeWindow(pausedAt, activatedAt),
      refusedDags: refused,
      reconciled: report.problems.length === 0,
      problems: report.problems,
    },
  };
}
