/**
 * MetadataImport into Airflow 3.3.2 on the local stack, where the import runs in the migration plugin of the
 * target's API server: through the MWAA path (the stand-in's CreateWebLoginToken and its web login at
 * /pluginsv2/aws_mwaa/login, then the plugin with the session's JWT) and through the self-managed path (a JWT
 * from /auth/token). The bundle is exported in direct mode from the 2.11.0 environment of the integration
 * stack; the target is test/integration/harness.py's Airflow 3, started here and stopped afterwards.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { createAirflowClient } from "../../providers/airflow";
import { IMPORT_DAG_ID } from "../../contract";
import { metadataImportProvider } from "../../providers/metadataImport";
import { payloadInputs } from "../../providers/framework/resource";
import { airflow3Client, integrationInfo, mwaaLocal, tools } from "./itEnv";

const info = integrationInfo();
const DAG_ID = "plugin_history";
const DAG_FILE = `
import pendulum
from airflow import DAG
from airflow.operators.python import PythonOperator

with DAG("${DAG_ID}", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None, catchup=False):
    PythonOperator(task_id="work", python_callable=lambda: print("history"))
`;
const PREFIX = `${info.airflow3.pluginPrefix}/s-${Date.now().toString(36)}`;
const ROOT = path.resolve(__dirname, "..", "..");

type Props = Record<string, unknown>;

/** The export in direct mode against the 2.11.0 environment's database (as `python -m mwaa_migration export`). */
function exportBundle(exportId: string): void {
  execFileSync(
    path.join(info.source.venv, "bin", "python"),
    [
      "-m",
      "mwaa_migration",
      "export",
      "--db-url",
      info.source.sqlUrl,
      "--bucket",
      info.migrationBucket,
      "--prefix",
      PREFIX,
      "--export-id",
      exportId,
      "--kms-key-id",
      info.migrationKmsKeyId,
    ],
    {
      env: {
        ...process.env,
        PYTHONPATH: path.join(ROOT, "payload"),
        AIRFLOW__CORE__FERNET_KEY: info.source.fernetKey,
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
}

const sourceAirflow = () =>
  createAirflowClient({
    kind: "airflow-rest",
    baseUrl: info.restApiUrl,
    username: info.username,
    password: info.password,
    airflowVersion: info.airflowVersion,
  });

async function runOnSource(runId: string): Promise<void> {
  const airflow = sourceAirflow();
  await airflow.trigger({ dagId: DAG_ID, runId, conf: { marker: runId } });
  for (let i = 0; i < 120 && (await airflow.runStatus(DAG_ID, runId)).state !== "success"; i++)
    await new Promise((r) => setTimeout(r, 2000));
}

/** The target's runs of the history DAG, read from its database. */
function targetRuns(): string[] {
  const out = execFileSync(
    tools(),
    [
      "-c",
      "import json, psycopg2, sys\nwith psycopg2.connect(sys.argv[1]) as c, c.cursor() as cur:\n" +
        "    cur.execute('SELECT run_id FROM dag_run WHERE dag_id = %s ORDER BY run_id', (sys.argv[2],))\n" +
        "    print(json.dumps([r[0] for r in cur.fetchall()]))",
      info.airflow3.dsn,
      DAG_ID,
    ],
    { encoding: "utf8" },
  );
  return JSON.parse(out) as string[];
}

async function checked(news: Props): Promise<Props> {
  const result = await metadataImportProvider.check!({}, news);
  assert.deepEqual(result.failures, [], JSON.stringify(result.failures));
  return result.inputs;
}

describe("MetadataImport into Airflow 3 through the migration plugin", function () {
  this.timeout(900_000);
  const mwaaTarget = {
    kind: "mwaa",
    environmentName: info.airflow3.environmentName,
    airflowVersion: info.airflow3.airflowVersion,
    region: info.region,
  };
  const base = (exportId: string, airflow: Props): Props => ({
    ...payloadInputs(undefined, IMPORT_DAG_ID),
    airflow,
    dagFolder: `s3://${info.dagBucket}/${info.dagPrefix}`,
    bucket: info.migrationBucket,
    prefix: PREFIX,
    exportId,
    kmsKeyId: info.migrationKmsKeyId,
    pollIntervalSeconds: 2,
    deadlineSeconds: 300,
  });

  before(async () => {
    fs.writeFileSync(path.join(info.dagsFolder, `${DAG_ID}.py`), DAG_FILE);
    fs.writeFileSync(path.join(info.airflow3.dagsFolder, `${DAG_ID}.py`), DAG_FILE);
    mwaaLocal("start", info.airflow3.environmentName);
    const source = sourceAirflow();
    await source.waitUntilParsed(DAG_ID, { deadlineMs: Date.now() + 180_000, pollIntervalMs: 2000 });
    await source.setPaused(DAG_ID, false);
    for (const runId of ["plugin_1", "plugin_2"]) await runOnSource(`${runId}_${PREFIX.slice(-6)}`);
    exportBundle("bulk-1");
    const target = airflow3Client(info);
    await target.waitUntilParsed(DAG_ID, { deadlineMs: Date.now() + 300_000, pollIntervalMs: 2000 });
  });

  after(() => mwaaLocal("stop", info.airflow3.environmentName));

  let created: Props;

  it("imports through MWAA's web login: CreateWebLoginToken, the _token session, the plugin", async () => {
    const inputs = await checked(base("bulk-1", mwaaTarget));
    const result = await metadataImportProvider.create(inputs);
    created = result.outs;
    assert.equal(result.id, "import/bulk-1");
    assert.equal(created.completed, true);
    assert.match(String(created.runId), /^i1-[0-9a-f]{8}$/);
    assert.equal(created.verified, true);
    const runs = targetRuns();
    assert.equal((created.runsPerDag as Record<string, number>)[DAG_ID], runs.length);
    assert.ok(
      runs.length >= 2 && (created.insertedPerTable as Record<string, number>).dag_run >= 2,
      runs.join(),
    );
    const log = fs.readFileSync(
      path.join(process.env.MWAA_LOCAL_STATE_DIR ?? "", "logs", "mwaa-standin.log"),
      "utf8",
    );
    assert.match(
      log,
      new RegExp(`${info.airflow3.environmentName}: signed in through /pluginsv2/aws_mwaa/login`),
    );
  });

  it("a resumed update finds the same import by its run id instead of running it again", async () => {
    const inputs = await checked(base("bulk-1", mwaaTarget));
    const partial = { ...created, completed: false, runState: "running", attempt: 1 };
    const outs = (await metadataImportProvider.update!("import/bulk-1", partial, inputs)).outs as Props;
    assert.equal(outs.completed, true);
    assert.equal(outs.runId, created.runId);
    assert.deepEqual(outs.insertedPerTable, created.insertedPerTable);
  });

  it("imports through the self-managed path: a JWT from /auth/token, the plugin", async () => {
    await runOnSource(`plugin_3_${PREFIX.slice(-6)}`);
    exportBundle("bulk-2");
    const before = targetRuns();
    const inputs = await checked(
      base("bulk-2", {
        kind: "self-managed",
        url: info.airflow3.restApiUrl,
        username: info.username,
        password: info.password,
        airflowVersion: info.airflow3.airflowVersion,
      }),
    );
    const outs = (await metadataImportProvider.create(inputs)).outs as Props;
    assert.equal(outs.completed, true);
    assert.equal((outs.insertedPerTable as Record<string, number>).dag_run, 1);
    assert.equal(targetRuns().length, before.length + 1);
  });

  it("a bundle outside the target's configured location is refused, and nothing starts", async () => {
    const inputs = await checked({ ...base("bulk-1", mwaaTarget), prefix: "elsewhere" });
    await metadataImportProvider.create(inputs).then(
      () => assert.fail("expected the create to fail"),
      (e: Error & { id?: string }) => {
        assert.match(e.message, /403 .*\[mwaa_migration\] bundle_location/);
        assert.equal(e.id, undefined, "nothing started, so no partial state");
      },
    );
  });
});
