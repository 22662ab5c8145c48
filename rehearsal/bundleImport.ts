/**
 * `--bundle <folder|s3 URI>`: an existing export bundle (a production export, say) imported into a
 * fresh local target of the chosen version through the import provider, and a report of what the
 * import took, found already there, and refused. The target does not have the bundle's DAGs, so
 * their history is imported as orphan history (which exercises the schema mapping of every row)
 * and the report lists those DAGs as the ones a real import would refuse until they are deployed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  IMPORT_REPORT_FILE,
  MANIFEST_FILE,
  isTableStreamPath,
  summariseManifest,
  summariseReport,
} from "../contract";
import { MetadataImport, mwaaAirflow, readBundleJson } from "../providers";
import type { Display } from "./display";
import { ensurePulumiCli, openStack, runStage } from "./engine";
import type { RehearsalOptions } from "./options";
import { envsPy } from "./processes";
import {
  createAirflow,
  LocalAirflow,
  rehearsalEnvironment,
  Stages,
  startStandinFor,
  TARGET_NAME,
} from "./rehearsal";
import { DagRow, DatabaseSnapshot, Report, REPORT_FORMAT_VERSION, stageTotals, tableRows } from "./report";

/** The environment before the rehearsal pointed the AWS SDK at the local stack: used to read a real S3 bundle. */
const USER_ENV = { ...process.env };
const IMPORT_PREFIX = "bundle-import";
/** Its own bucket: a full rehearsal's migration bucket may be another account's on the same local AWS. */
const BUNDLE_IMPORT_BUCKET = "rehearsal-bundle-import";

export interface BundleSource {
  kind: "folder" | "s3";
  /** folder: absolute path; s3: bucket */
  where: string;
  /** s3: key prefix ending in "/" (may be empty) */
  prefix: string;
}

export function parseBundleSource(value: string, cwd: string): BundleSource {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(value);
  if (s3) {
    const prefix = s3[2].replace(/\/+$/, "");
    return { kind: "s3", where: s3[1], prefix: prefix === "" ? "" : `${prefix}/` };
  }
  return { kind: "folder", where: path.resolve(cwd, value), prefix: "" };
}

function listFolder(root: string, relative = ""): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
    const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) found.push(...listFolder(root, child));
    else found.push(child);
  }
  return found;
}

/** Reads every object of an S3 bundle with the user's own AWS settings (not the local stack's). */
async function readS3Bundle(source: BundleSource): Promise<Map<string, Buffer>> {
  const saved = process.env;
  process.env = { ...USER_ENV };
  const { S3Client, ListObjectsV2Command, GetObjectCommand } =
    require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const s3 = new S3Client({});
  const files = new Map<string, Buffer>();
  try {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: source.where, Prefix: source.prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const reply = await s3.send(new GetObjectCommand({ Bucket: source.where, Key: object.Key! }));
        files.set(
          object.Key!.slice(source.prefix.length),
          Buffer.from(await reply.Body!.transformToByteArray()),
        );
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (e) {
    throw new Error(
      `could not read the bundle s3://${source.where}/${source.prefix} with your AWS credentials: ${(e as Error).message}`,
    );
  } finally {
    s3.destroy();
    process.env = saved;
  }
  return files;
}

function readFolderBundle(source: BundleSource): Map<string, Buffer> {
  if (!fs.existsSync(path.join(source.where, MANIFEST_FILE)))
    throw new Error(
      `${source.where} has no ${MANIFEST_FILE}: give the folder of one export (the one holding ${MANIFEST_FILE} and tables/)`,
    );
  return new Map(
    listFolder(source.where).map((file) => [file, fs.readFileSync(path.join(source.where, file))]),
  );
}

/** Which files of a bundle are copied into the local migration bucket: the manifest and the table streams. */
export function bundleFilesToCopy(names: readonly string[]): string[] {
  return names.filter((name) => name === MANIFEST_FILE || isTableStreamPath(name)).sort();
}

export function bundleDagRows(
  manifest: Record<string, unknown>,
  report: Record<string, unknown>,
  target: DatabaseSnapshot,
): DagRow[] {
  const paused = new Map<string, boolean>();
  for (const dag of Array.isArray(manifest.dags) ? (manifest.dags as Record<string, unknown>[]) : [])
    paused.set(String(dag.dagId), dag.isPaused === true);
  const runs = ((report.dags as Record<string, unknown> | undefined)?.runs ?? {}) as Record<
    string,
    { runs?: number; imported?: number }
  >;
  const ids = new Set([...paused.keys(), ...Object.keys(runs)]);
  return [...ids].sort().map((dagId) => ({
    dagId,
    runsBefore: runs[dagId]?.runs ?? 0,
    runsAfter: runs[dagId]?.imported ?? 0,
    pausedOnSourceBefore: paused.has(dagId) ? paused.get(dagId)! : null,
    pausedOnSourceAfter: null,
    pausedOnTarget: target.dags[dagId]?.isPaused ?? null,
  }));
}

export async function runBundleRehearsal(
  options: RehearsalOptions,
  display: Display,
): Promise<{ report: Report; envs: LocalAirflow[] }> {
  const startedAt = new Date();
  const stages = new Stages(display);
  const source = parseBundleSource(options.bundle!, process.cwd());
  const files = await stages.run(
    "prepare",
    `bundle ${options.bundle} and a local Airflow ${options.targetVersion}`,
    async () => (source.kind === "s3" ? readS3Bundle(source) : readFolderBundle(source)),
  );
  const manifestBytes = files.get(MANIFEST_FILE);
  if (!manifestBytes)
    throw new Error(`the bundle ${options.bundle} has no ${MANIFEST_FILE}: it is not a complete export`);
  const manifest = JSON.parse(manifestBytes.toString("utf8")) as Record<string, unknown>;
  const exported = summariseManifest(manifest);
  const exportId =
    exported.exportId || path.basename(source.kind === "folder" ? source.where : source.prefix);

  const { target, kmsKeyId, cli } = await stages.run(
    "prepare",
    "local target and migration bucket",
    async () => {
      const created = await createAirflow(TARGET_NAME, options.targetVersion, display, {
        migrationBucket: BUNDLE_IMPORT_BUCKET,
      });
      const { kmsKeyId } = await envsPy<{ kmsKeyId: string }>(["bucket", BUNDLE_IMPORT_BUCKET]);
      await startStandinFor([created], display);
      const { S3Client, PutObjectCommand } =
        require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
      const s3 = new S3Client({ region: created.region, forcePathStyle: true });
      try {
        for (const name of bundleFilesToCopy([...files.keys()])) {
          await s3.send(
            new PutObjectCommand({
              Bucket: BUNDLE_IMPORT_BUCKET,
              Key: `${IMPORT_PREFIX}/${exportId}/${name}`,
              Body: files.get(name),
              ServerSideEncryption: "aws:kms",
              SSEKMSKeyId: kmsKeyId,
            }),
          );
        }
      } finally {
        s3.destroy();
      }
      display.line(
        `bundle ${exportId} (Airflow ${exported.sourceAirflowVersion ?? "?"}, phase ${exported.phase}) copied to s3://${BUNDLE_IMPORT_BUCKET}/${IMPORT_PREFIX}/${exportId}/`,
      );
      const pulumi = await ensurePulumiCli((line) => display.line(line));
      return { target: created, kmsKeyId, cli: pulumi };
    },
  );

  // One MetadataImport, as the program's phases build it, run by the engine.
  const env = rehearsalEnvironment(target);
  const program = async () => {
    const imported = new MetadataImport("bundle-import", {
      airflow: mwaaAirflow(env.name, env.airflowVersion, env.region),
      dagFolder: `s3://${env.dagBucket}/${env.dagPath}`,
      bucket: BUNDLE_IMPORT_BUCKET,
      prefix: IMPORT_PREFIX,
      kmsKeyId,
      exportId,
      importOrphanHistory: true,
      pollIntervalSeconds: 3,
      parseDeadlineSeconds: 300,
    });
    return { runId: imported.runId };
  };
  const problems: string[] = [];
  const errors: string[] = [];
  let importError: string | null = null;
  await stages
    .run("import", `import into Airflow ${options.targetVersion}`, async () => {
      const stack = await openStack({
        projectName: "mwaa-bundle-import",
        stackName: "bundle",
        program,
        cli,
        fresh: true,
      });
      return runStage(stack, "mwaa-rehearsal:stage", "import", (line) => {
        display.line(line);
        if (line.startsWith("error: ")) errors.push(line.slice("error: ".length));
      });
    })
    .catch((e: Error) => {
      importError =
        errors.find((line) => /MetadataImport/.test(line)) ?? errors[0] ?? e.message.split("\n")[0];
    });
  const written = await readBundleJson(
    { bucket: BUNDLE_IMPORT_BUCKET, prefix: IMPORT_PREFIX, exportId },
    IMPORT_REPORT_FILE,
  );
  const imported = written ? summariseReport(written) : null;
  if (importError) problems.push(`the import refused the bundle: ${importError}`);
  if (imported) problems.push(...imported.problems);
  const snapshot = await envsPy<DatabaseSnapshot>(["snapshot", TARGET_NAME]);
  const refused = imported?.missingDags ?? [];
  return {
    envs: [target],
    report: {
      formatVersion: REPORT_FORMAT_VERSION,
      mode: "bundle",
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      source: exported.sourceAirflowVersion
        ? { airflowVersion: exported.sourceAirflowVersion, seededRuns: null }
        : null,
      target: { airflowVersion: target.airflowVersion },
      stages: stageTotals(stages.timings),
      tables: tableRows([exported], imported ? [imported] : []),
      dags: written ? bundleDagRows(manifest, written, snapshot) : [],
      logs: null,
      freezeWindowSeconds: null,
      refusedDags: refused,
      reconciled: problems.length === 0,
      problems,
    },
  };
}
