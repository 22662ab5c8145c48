import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  AirflowApiError,
  AirflowClient,
  DagRunStatus,
  chooseAirflowClientKind,
  createAirflowClient,
  isFinished,
} from "../../providers/airflow";

/**
 * The direct REST client (API v2 with a JWT) against a real Airflow 3 of the local stack: api-server,
 * scheduler and dag-processor started by mwaa_local, a DAG that runs for real, task logs read back from
 * CloudWatch (moto) through Airflow's own log reader.
 */

const AIRFLOW3_VERSION = "3.3.2";
const ENV_NAME = "airflow3-client";
const DAG_ID = "airflow3_probe";
const PAGE_DAG_COUNT = 120;

const DAG_FILE = `
import pendulum
from airflow.sdk import DAG, task


@task
def say(**context):
    conf = context["dag_run"].conf
    print("probe conf marker=%s" % conf.get("marker"))
    for i in range(5):
        print("probe line %d" % i)
    if conf.get("fail"):
        raise RuntimeError("probe asked to fail")


with DAG("${DAG_ID}", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None, catchup=False):
    say()

for i in range(${PAGE_DAG_COUNT}):
    globals()["page_probe_%03d" % i] = DAG(
        "page_probe_%03d" % i, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None
    )
`;

interface LocalAirflow {
  url: string;
  admin_user: string;
  admin_password: string;
  dags_folder: string;
  dsn: string;
  version: string;
}

function toolsPython(): string {
  const venv = process.env.MWAA_LOCAL_TOOLS_VENV;
  if (!venv)
    throw new Error("MWAA_LOCAL_TOOLS_VENV is not set: run this test with scripts/test-integration.sh");
  return join(venv, "bin", "python");
}

function mwaaLocal(...args: string[]): LocalAirflow {
  const out = execFileSync(toolsPython(), ["-m", "mwaa_local", ...args], {
    env: { ...process.env, PYTHONPATH: "local" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(out) as LocalAirflow;
}

/** Marks a JWT as revoked in the metadata database, as Airflow does when its holder logs out. */
function revokeToken(dsn: string, token: string): void {
  const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")) as {
    jti: string;
    exp: number;
  };
  const sql = "INSERT INTO revoked_token (jti, exp) VALUES (%s, to_timestamp(%s))";
  execFileSync(toolsPython(), [
    "-c",
    "import psycopg2, sys\nwith psycopg2.connect(sys.argv[1]) as c, c.cursor() as cur:\n" +
      "    cur.execute(sys.argv[2], (sys.argv[3], int(sys.argv[4])))",
    dsn,
    sql,
    claims.jti,
    String(claims.exp),
  ]);
}

/** Records the access tokens Airflow hands out, passing every request through unchanged. */
function recordIssuedTokens(): { tokens: string[]; restore: () => void } {
  const realFetch = globalThis.fetch;
  const tokens: string[] = [];
  globalThis.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    if (String(input).endsWith("/auth/token") && response.ok) {
      const body = (await response.clone().json()) as { access_token: string };
      tokens.push(body.access_token);
    }
    return response;
  };
  return { tokens, restore: () => (globalThis.fetch = realFetch) };
}

const progress = (line: string) => console.log(`      ${line}`);
const wait = (seconds: number) => ({
  deadlineMs: Date.now() + seconds * 1000,
  pollIntervalMs: 2000,
  progress,
});

/**
 * The task's log as soon as it holds `expected`. Airflow 3 marks the run finished when the task reports its state
 * and uploads the log to CloudWatch when the task process closes it, a moment later.
 */
async function logTailOnceUploaded(
  client: AirflowClient,
  runId: string,
  maxLines: number,
  expected: RegExp,
): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const tail = await client.taskLogTail(DAG_ID, runId, "say", 1, maxLines);
    if (expected.test(tail) || Date.now() > deadline) return tail;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function runToEnd(client: AirflowClient, runId: string, seconds: number): Promise<DagRunStatus> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const status = await client.runStatus(DAG_ID, runId);
    if (isFinished(status.state)) return status;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${status.state} after ${seconds}s`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

describe(`direct REST client (API v2, JWT) against real Airflow ${AIRFLOW3_VERSION}`, function () {
  let airflow: LocalAirflow;
  let client: AirflowClient;
  const dagFile = () => join(airflow.dags_folder, "airflow3_probe.py");
  const connect = (password = airflow.admin_password) =>
    createAirflowClient({
      kind: "airflow-rest",
      baseUrl: airflow.url,
      username: airflow.admin_user,
      password,
      airflowVersion: AIRFLOW3_VERSION,
    });

  before(function () {
    this.timeout(900_000);
    const started = Date.now();
    airflow = mwaaLocal("create", ENV_NAME, AIRFLOW3_VERSION, "--start");
    progress(
      `Airflow ${airflow.version} up at ${airflow.url} in ${Math.round((Date.now() - started) / 1000)}s`,
    );
    writeFileSync(dagFile(), DAG_FILE);
    client = connect();
  });

  after(function () {
    this.timeout(120_000);
    if (airflow) mwaaLocal("stop", ENV_NAME);
  });

  it("is reached through API v2 for a 3.x self-managed source, since Airflow 3 has no API v1", async () => {
    assert.equal(chooseAirflowClientKind("self-managed", AIRFLOW3_VERSION), "airflow-rest");
    assert.match(client.description, /API v2 at /);
    assert.equal(await client.version(), AIRFLOW3_VERSION);
    const v1 = await fetch(`${airflow.url}/api/v1/version`);
    assert.equal(v1.status, 404);
  });

  it("refuses a wrong password with an error that names /auth/token", async () => {
    await assert.rejects(connect("not-the-password").version(), (error: unknown) => {
      assert.ok(error instanceof AirflowApiError);
      assert.equal(error.status, 401);
      assert.match(error.message, /\/auth\/token failed \(401\)/);
      return true;
    });
  });

  it("waits until the DAG is parsed, then lists every DAG over several pages, paused at creation", async () => {
    await client.waitUntilParsed(DAG_ID, wait(240));
    const dags = await client.listDags();
    const ours = dags.filter((dag) => dag.dagId === DAG_ID || dag.dagId.startsWith("page_probe_"));
    assert.equal(ours.length, PAGE_DAG_COUNT + 1);
    assert.ok(ours.every((dag) => dag.isPaused));
    assert.equal(new Set(dags.map((dag) => dag.dagId)).size, dags.length, "no DAG listed twice across pages");
  });

  it("pauses and unpauses a DAG", async () => {
    const pausedState = async () => (await client.listDags()).find((dag) => dag.dagId === DAG_ID)?.isPaused;
    await client.setPaused(DAG_ID, false);
    assert.equal(await pausedState(), false);
    await client.setPaused(DAG_ID, true);
    assert.equal(await pausedState(), true);
    await client.setPaused(DAG_ID, false);
  });

  it("triggers a run with conf and a chosen run id, follows it to success and reads the tail of its log", async () => {
    const runId = `it-${Date.now()}`;
    const marker = `m${Date.now()}`;
    assert.deepEqual(await client.trigger({ dagId: DAG_ID, runId, conf: { marker } }), {
      runId,
      created: true,
    });
    assert.deepEqual(await client.trigger({ dagId: DAG_ID, runId, conf: { marker } }), {
      runId,
      created: false,
    });
    const status = await runToEnd(client, runId, 240);
    assert.equal(status.state, "success");
    assert.deepEqual(status.tasks, [{ taskId: "say", mapIndex: -1, state: "success", tryNumber: 1 }]);
    const tail = await logTailOnceUploaded(client, runId, 40, /probe line 4/);
    assert.match(tail, new RegExp(`probe conf marker=${marker}`));
    assert.match(tail, /probe line 4/);
    assert.ok(tail.split("\n").length <= 40);
  });

  it("reports a run whose task fails as failed, with the task's failure in its log", async () => {
    const runId = `it-fail-${Date.now()}`;
    await client.trigger({ dagId: DAG_ID, runId, conf: { fail: true } });
    const status = await runToEnd(client, runId, 240);
    assert.equal(status.state, "failed");
    assert.deepEqual(
      status.tasks.map((task) => [task.taskId, task.state]),
      [["say", "failed"]],
    );
    const tail = await logTailOnceUploaded(client, runId, 200, /RuntimeError: probe asked to fail/);
    assert.match(tail, /Traceback \(most recent call last\):\n(.*\n)*RuntimeError: probe asked to fail/);
  });

  it("reads the DAG's leaf tasks, and marks a failed run successful without touching its task", async () => {
    const runId = `it-mark-${Date.now()}`;
    await client.trigger({ dagId: DAG_ID, runId, conf: { fail: true } });
    assert.equal((await runToEnd(client, runId, 240)).state, "failed");
    assert.deepEqual(await client.leafTaskIds(DAG_ID), ["say"]);
    await client.setRunState(DAG_ID, runId, "success");
    const status = await client.runStatus(DAG_ID, runId);
    assert.deepEqual(
      [status.state, status.tasks.map((task) => [task.taskId, task.state])],
      ["success", [["say", "failed"]]],
      "Airflow 3.3 leaves a finished task instance as it was",
    );
  });

  it("gets a new token when Airflow no longer accepts the one it holds", async () => {
    const issued = recordIssuedTokens();
    try {
      const longLived = connect();
      await longLived.version();
      assert.equal(issued.tokens.length, 1);
      revokeToken(airflow.dsn, issued.tokens[0]);
      assert.equal(
        (await longLived.listDags()).some((dag) => dag.dagId === DAG_ID),
        true,
      );
      assert.equal(issued.tokens.length, 2);
    } finally {
      issued.restore();
    }
  });

  it("does not take a DAG whose file was removed for parsed, until the file is back", async () => {
    rmSync(dagFile());
    const deadline = Date.now() + 120_000;
    while ((await client.listDags()).some((dag) => dag.dagId === DAG_ID)) {
      if (Date.now() > deadline) throw new Error(`${DAG_ID} still listed 120s after its file was removed`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    await assert.rejects(
      client.waitUntilParsed(DAG_ID, { deadlineMs: Date.now() + 3000, pollIntervalMs: 1000 }),
      /timed out .* waiting for the scheduler to parse DAG airflow3_probe/,
    );
    writeFileSync(dagFile(), DAG_FILE);
    await client.waitUntilParsed(DAG_ID, wait(240));
  });
});
