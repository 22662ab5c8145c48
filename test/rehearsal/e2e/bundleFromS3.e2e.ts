/**
 * `npm run rehearse -- --bundle s3://...`: a real export bundle, the bulk export of the rehearsal
 * scripts/ci-rehearsal.sh has just run, is put into a bucket of moto as a production export would
 * be, then rehearsed from its s3:// URI into a fresh local target. The report must say what was
 * imported, skipped and refused, and agree with the bundle's manifest and the target's database.
 * Needs the local stack that rehearsal left up (MWAA_LOCAL_PORT_BASE, MWAA_LOCAL_STATE_DIR).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { countIn, ROOT, RunningRehearsal } from "./harness";

const STATE_DIR = path.resolve(process.env.MWAA_LOCAL_STATE_DIR || path.join(ROOT, "local", ".state"));
const REHEARSAL_BUCKET = "rehearsal-migration";
const REHEARSAL_PREFIX = "rehearsal/";
const PRODUCTION_BUCKET = "production-exports";
/** Tables of which a fresh target has no rows of its own. */
const HISTORY_TABLES = ["dag_run", "task_instance", "xcom", "variable", "connection", "slot_pool"];

interface Manifest {
  exportId: string;
  phase: string;
  source: { airflowVersion: string };
  tables: Record<string, { rows: number }>;
  dags: { dagId: string; isPaused: boolean }[];
  skipped?: { task_instance?: Record<string, number> };
}

interface StackEnv {
  aws_endpoint_url: string;
  env: Record<string, string>;
}

function stackEnv(): StackEnv {
  const file = path.join(STATE_DIR, "env.json");
  if (!fs.existsSync(file))
    throw new Error(
      `${file} is missing: run this test after a rehearsal with --keep (scripts/ci-rehearsal.sh)`,
    );
  return JSON.parse(fs.readFileSync(file, "utf8")) as StackEnv;
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function read(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const reply = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await reply.Body!.transformToByteArray());
}

describe("npm run rehearse -- --bundle s3://...", function () {
  this.timeout(600_000);
  const reportsDir = fs.mkdtempSync(path.join(os.tmpdir(), "rehearse-bundle-"));
  after(() => fs.rmSync(reportsDir, { recursive: true, force: true }));

  it("imports a production export from S3 into a fresh target and reports imported, skipped and refused", async () => {
    const info = stackEnv();
    const s3 = new S3Client({
      region: info.env.AWS_REGION,
      endpoint: info.aws_endpoint_url,
      forcePathStyle: true,
      credentials: {
        accessKeyId: info.env.AWS_ACCESS_KEY_ID,
        secretAccessKey: info.env.AWS_SECRET_ACCESS_KEY,
      },
    });
    let manifest: Manifest | undefined;
    let copied: string[] = [];
    try {
      // The rehearsal's bulk export, copied as it is to where a production export would sit.
      const keys = await listKeys(s3, REHEARSAL_BUCKET, REHEARSAL_PREFIX);
      for (const key of keys.filter((k) => k.endsWith("/manifest.json"))) {
        const candidate = JSON.parse((await read(s3, REHEARSAL_BUCKET, key)).toString("utf8")) as Manifest;
        if (candidate.phase === "bulk") manifest = candidate;
      }
      assert.ok(
        manifest,
        `no bulk export under s3://${REHEARSAL_BUCKET}/${REHEARSAL_PREFIX}: run a rehearsal first`,
      );
      const from = `${REHEARSAL_PREFIX}${manifest.exportId}/`;
      await s3.send(new CreateBucketCommand({ Bucket: PRODUCTION_BUCKET })).catch(() => undefined);
      copied = keys.filter((k) => k.startsWith(from));
      for (const key of copied) {
        await s3.send(
          new PutObjectCommand({
            Bucket: PRODUCTION_BUCKET,
            Key: `nightly/${manifest.exportId}/${key.slice(from.length)}`,
            Body: await read(s3, REHEARSAL_BUCKET, key),
          }),
        );
      }
    } finally {
      s3.destroy();
    }
    assert.ok(copied.includes(`${REHEARSAL_PREFIX}${manifest.exportId}/manifest.json`));

    // The user's own AWS settings point at "production": here, the stack's moto.
    const rehearsal = new RunningRehearsal(
      ["--bundle", `s3://${PRODUCTION_BUCKET}/nightly/${manifest.exportId}`, "--reports-dir", reportsDir],
      { ...process.env, ...info.env },
    );
    const status = await rehearsal.exit(540);
    assert.equal(status.code, 0, `the bundle rehearsal failed:\n${rehearsal.tail(40)}`);
    const report = JSON.parse(fs.readFileSync(path.join(reportsDir, "latest.json"), "utf8")) as {
      mode: string;
      source: { airflowVersion: string } | null;
      tables: { table: string; exported: number; imported: number; skipped: number }[];
      dags: { dagId: string; runsBefore: number; runsAfter: number; pausedOnSourceBefore: boolean | null }[];
      refusedDags: string[];
      reconciled: boolean;
      problems: string[];
    };

    assert.equal(report.mode, "bundle");
    assert.deepEqual(report.problems, []);
    assert.equal(report.reconciled, true);
    assert.equal(report.source?.airflowVersion, manifest.source.airflowVersion);

    // Per table: what the manifest says was exported, each row either imported or found already
    // there (the target's own log template); the history itself all imported into the empty target.
    const skippedTis = Object.values(manifest.skipped?.task_instance ?? {}).reduce((a, b) => a + b, 0);
    for (const [table, { rows }] of Object.entries(manifest.tables)) {
      const row = report.tables.find((r) => r.table === table);
      assert.ok(row, `the report has no row for ${table}`);
      assert.equal(row.exported, rows, `${table}: exported`);
      const leftOut = table === "task_instance" ? skippedTis : 0;
      assert.equal(row.imported + row.skipped, rows + leftOut, `${table}: imported + skipped`);
      if (HISTORY_TABLES.includes(table)) assert.equal(row.imported, rows, `${table}: imported`);
    }
    assert.equal(
      // The import's own run of mwaa_migration_import is not part of the bundle.
      countIn(
        STATE_DIR,
        "rehearse-tgt",
        "SELECT count(*) FROM dag_run WHERE dag_id NOT LIKE 'mwaa\\_migration%'",
      ),
      manifest.tables.dag_run.rows,
    );
    assert.equal(
      countIn(STATE_DIR, "rehearse-tgt", "SELECT count(*) FROM variable"),
      manifest.tables.variable.rows,
    );

    // Refused: the bundle's DAGs, which the fresh target has not got (their history came in as orphans).
    const bundleDags = manifest.dags.map((d) => d.dagId).sort();
    assert.ok(bundleDags.length > 0);
    assert.deepEqual(report.refusedDags, bundleDags);
    for (const dag of manifest.dags) {
      const row = report.dags.find((r) => r.dagId === dag.dagId);
      assert.ok(row, `the report has no row for DAG ${dag.dagId}`);
      assert.equal(row.pausedOnSourceBefore, dag.isPaused, `${dag.dagId}: paused on the source`);
      assert.equal(row.runsAfter, row.runsBefore, `${dag.dagId}: runs imported`);
    }
    const output = rehearsal.output.join("\n");
    assert.match(
      output,
      new RegExp(
        `bundle ${manifest.exportId} \\(Airflow ${manifest.source.airflowVersion.replace(/\./g, "\\.")}, phase bulk\\)`,
      ),
    );
  });
});
