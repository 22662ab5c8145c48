/**
 * MetadataExport / MetadataImport against the local stack: real Airflow 2.11.0 on PostgreSQL, moto
 * for S3, and the MWAA stand-in. The export runs through the MWAA path (S3 DAG prefix, the
 * stand-in's InvokeRestApi), the import through the self-managed REST path (a local DAG folder).
 * Then the faults: a failing task, an S3 error, a timeout, each followed by a resume.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { AirflowClient, createAirflowClient } from "../../providers/airflow";
import { EXPORT_DAG_ID, IMPORT_DAG_ID } from "../../contract";
import { metadataExportProvider } from "../../providers/metadataExport";
import { metadataImportProvider } from "../../providers/metadataImport";
import { isPartialCreateError, PartialCreateError } from "../../providers/framework/partialState";
import { payloadInputs } from "../../providers/framework/resource";
import { integrationInfo } from "./itEnv";

const info = integrationInfo();
const BUNDLE_BUCKET = "dynres-it-bundles";
const SESSION_PREFIX = `it-${Date.now().toString(36)}`;
const HISTORY_DAG_ID = "dynres_history";
const HISTORY_DAG_FILE = `
import pendulum
from airflow import DAG
from airflow.operators.python import PythonOperator

with DAG("${HISTORY_DAG_ID}", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None, catchup=False):
    PythonOperator(task_id="work", python_callable=lambda: print("history"))
`;

type Props = Record<string, unknown>;

const mwaaAirflow = {
  kind: "mwaa",
  environmentName: info.environmentName,
  airflowVersion: info.airflowVersion,
  region: info.region,
};
const restAirflow = {
  kind: "self-managed",
  url: info.restApiUrl,
  username: info.username,
  password: info.password,
  airflowVersion: info.airflowVersion,
};
const s3DagFolder = `s3://${info.dagBucket}/${info.dagPrefix}`;

function rest(): AirflowClient {
  return createAirflowClient({
    kind: "airflow-rest",
    baseUrl: info.restApiUrl,
    username: info.username,
    password: info.password,
    airflowVersion: info.airflowVersion,
  });
}

/**
 * The stand-in mirrors the S3 DAG prefix into the same local folder that the self-managed path delivers to
 * (one Airflow serves both paths here; on MWAA they never share a folder). Once the export has taken its files
 * out of S3, the mirror removes their local copies on its next round; delivering the import's files before
 * that round would have them removed too.
 */
async function untilMirrorRemoved(fileNames: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  const present = () => fileNames.filter((name) => fs.existsSync(path.join(info.dagsFolder, name)));
  while (present().length > 0) {
    if (Date.now() > deadline) throw new Error(`the DAG mirror kept ${present().join(", ")}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function checked(provider: typeof metadataExportProvider, news: Props): Promise<Props> {
  const result = await provider.check!({}, news);
  assert.deepEqual(result.failures, [], JSON.stringify(result.failures));
  return result.inputs;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => assert.fail("expected the create to fail"),
    (e: Error) => e,
  );
}

async function isPaused(dagId: string): Promise<boolean | undefined> {
  return (await rest().listDags()).find((d) => d.dagId === dagId)?.isPaused;
}

describe("MetadataExport and MetadataImport on the local stack", function () {
  this.timeout(900_000);
  const s3 = new S3Client({ region: info.region });
  const base = (dagId: string) => ({
    ...payloadInputs(undefined, dagId),
    bucket: BUNDLE_BUCKET,
    // A prefix of its own per session: exportIds (and run ids) are deterministic, so a repeated
    // session would otherwise adopt the runs of the last one.
    prefix: SESSION_PREFIX,
    pollIntervalSeconds: 2,
    parseDeadlineSeconds: 180,
  });
  const exportBase = base(EXPORT_DAG_ID);
  const importBase = base(IMPORT_DAG_ID);

  before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: BUNDLE_BUCKET })).catch(() => undefined);
    // A little history to move: two finished runs of a DAG of the environment's own.
    fs.writeFileSync(path.join(info.dagsFolder, `${HISTORY_DAG_ID}.py`), HISTORY_DAG_FILE);
    const airflow = rest();
    await airflow.waitUntilParsed(HISTORY_DAG_ID, { deadlineMs: Date.now() + 180_000, pollIntervalMs: 2000 });
    await airflow.setPaused(HISTORY_DAG_ID, false);
    for (const runId of ["hist_1", "hist_2"]) {
      await airflow.trigger({ dagId: HISTORY_DAG_ID, runId, conf: {} });
      for (let i = 0; i < 120 && (await airflow.runStatus(HISTORY_DAG_ID, runId)).state !== "success"; i++)
        await new Promise((r) => setTimeout(r, 2000));
    }
  });

  let exported: Props;

  it("exports through the MWAA path: S3 DAG prefix, InvokeRestApi, outputs from the manifest", async () => {
    const inputs = await checked(metadataExportProvider, {
      ...exportBase,
      airflow: mwaaAirflow,
      dagFolder: s3DagFolder,
      phase: "bulk",
    });
    const result = await metadataExportProvider.create(inputs);
    exported = result.outs;
    assert.equal(result.id, `export/${inputs.exportId}`);
    assert.equal(exported.completed, true);
    assert.match(String(exported.runId), /^e1-[0-9a-f]{8}$/);
    const rows = exported.rowsPerTable as Record<string, number>;
    assert.ok(rows.dag_run >= 2, `dag_run rows: ${rows.dag_run}`);
    assert.ok(rows.task_instance >= 2);
    assert.ok(Date.parse(String(exported.watermark)) > 0);
    assert.equal(exported.sourceAirflowVersion, info.airflowVersion);
    // The DAG files are gone from the DAG prefix.
    const left = await s3.send(
      new ListObjectsV2Command({ Bucket: info.dagBucket, Prefix: `${info.dagPrefix}/mwaa_migration` }),
    );
    assert.deepEqual(left.Contents ?? [], []);
    await untilMirrorRemoved([`${EXPORT_DAG_ID}.py`, "mwaa_migration/__init__.py"]);
  });

  it("imports through the self-managed REST path, verified; a second import inserts nothing", async () => {
    const inputs = await checked(metadataImportProvider, {
      ...importBase,
      airflow: restAirflow,
      dagFolder: info.dagsFolder,
      exportId: exported.exportId,
    });
    const first = (await metadataImportProvider.create(inputs)).outs;
    assert.equal(first.verified, true);
    assert.ok((first.runsPerDag as Record<string, number>)[HISTORY_DAG_ID] >= 2);
    // Same bundle into the same database: everything is already there.
    const again = (
      await metadataImportProvider.update!(
        "import/x",
        { ...first, completed: false, runState: "failed", attempt: 1 },
        inputs,
      )
    ).outs!;
    assert.equal(again.runId, first.runId!.toString().replace(/^i1/, "i2"));
    assert.equal((again.insertedPerTable as Record<string, number>).dag_run, 0);
    assert.ok(!fs.existsSync(path.join(info.dagsFolder, `${IMPORT_DAG_ID}.py`)));
  });

  it("a failing task: partial state, paused state restored, and the resume starts attempt 2 which succeeds", async () => {
    const missingBucket = `dynres-it-missing-${Date.now().toString(36)}`;
    await rest()
      .setPaused(EXPORT_DAG_ID, true)
      .catch(() => undefined);
    const inputs = await checked(metadataExportProvider, {
      ...exportBase,
      bucket: missingBucket,
      airflow: restAirflow,
      dagFolder: info.dagsFolder,
      phase: "full",
    });
    const error = await rejection(metadataExportProvider.create(inputs));
    assert.ok(isPartialCreateError(error), error.message);
    const partial = error as PartialCreateError;
    assert.equal(partial.id, `export/${inputs.exportId}`);
    assert.equal(partial.properties.runState, "failed");
    assert.equal(partial.properties.attempt, 1);
    assert.match(partial.message, /failed tasks: export/);
    assert.equal(await isPaused(EXPORT_DAG_ID), true, "the export DAG is paused again, as it was");
    assert.ok(!fs.existsSync(path.join(info.dagsFolder, `${EXPORT_DAG_ID}.py`)));

    await s3.send(new CreateBucketCommand({ Bucket: missingBucket }));
    const resumed = (await metadataExportProvider.update!(partial.id, partial.properties, inputs)).outs!;
    assert.equal(resumed.completed, true);
    assert.equal(resumed.attempt, 2);
    await s3.send(
      new HeadObjectCommand({
        Bucket: missingBucket,
        Key: `${SESSION_PREFIX}/${inputs.exportId}/manifest.json`,
      }),
    );
  });

  it("an S3 error delivering the DAG fails before anything is triggered: no partial state", async () => {
    const inputs = await checked(metadataExportProvider, {
      ...exportBase,
      airflow: mwaaAirflow,
      dagFolder: "s3://dynres-it-no-such-dag-bucket/dags",
      phase: "full",
    });
    const error = await rejection(metadataExportProvider.create(inputs));
    assert.equal(isPartialCreateError(error), false);
    assert.match(error.message, /NoSuchBucket|does not exist/);
  });

  it("a timeout leaves the run going and reports partial state; the resume waits for the same run", async () => {
    const inputs = await checked(metadataExportProvider, {
      ...exportBase,
      airflow: restAirflow,
      dagFolder: info.dagsFolder,
      phase: "full",
      tables: ["dag_run", "slot_pool"],
    });
    // Below what check allows (60 s): the deadline has passed when the first poll sees the run queued.
    const error = await rejection(metadataExportProvider.create({ ...inputs, deadlineSeconds: 0 }));
    assert.ok(isPartialCreateError(error), error.message);
    const partial = error as PartialCreateError;
    assert.equal(partial.properties.runState, "running");
    assert.match(partial.message, /still running after deadlineSeconds=0/);
    const resumed = (await metadataExportProvider.update!(partial.id, partial.properties, inputs)).outs!;
    assert.equal(resumed.runId, partial.properties.runId, "the same run, not a second one");
    assert.equal(resumed.completed, true);
    assert.deepEqual(Object.keys(resumed.rowsPerTable as object).sort(), ["dag_run", "slot_pool"]);
  });

  it("delete keeps the bundle unless purgeOnDelete is set", async () => {
    const where = { Bucket: BUNDLE_BUCKET, Key: `${SESSION_PREFIX}/${exported.exportId}/manifest.json` };
    await metadataExportProvider.delete!("export/x", exported);
    await s3.send(new HeadObjectCommand(where));
    await metadataExportProvider.delete!("export/x", { ...exported, purgeOnDelete: true });
    const left = await s3.send(
      new ListObjectsV2Command({ Bucket: BUNDLE_BUCKET, Prefix: `${SESSION_PREFIX}/${exported.exportId}/` }),
    );
    assert.equal(left.KeyCount ?? 0, 0);
  });
});
