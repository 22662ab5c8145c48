import * as assert from "node:assert/strict";
import { S3Client, PutObjectCommand } from "@aws-sdk/client-s3";
import {
  AirflowApiError,
  AirflowClient,
  chooseAirflowClientKind,
  createAirflowClient,
  getMwaaEnvironment,
  isFinished,
} from "../../providers/airflow";
import { PAGE_PROBE_COUNT, PROBE_DAG_FILE, PROBE_DAG_ID, integrationInfo } from "./itEnv";

const info = integrationInfo();
const progress = (line: string) => console.log(`      ${line}`);
const wait = (seconds: number) => ({
  deadlineMs: Date.now() + seconds * 1000,
  pollIntervalMs: 2000,
  progress,
});

const clients: { name: string; make: () => AirflowClient; logs: boolean }[] = [
  {
    name: "MWAA InvokeRestApi",
    make: () =>
      createAirflowClient({
        kind: "mwaa-rest",
        environmentName: info.environmentName,
        region: info.region,
        airflowVersion: info.airflowVersion,
      }),
    logs: true,
  },
  {
    name: "MWAA CLI token",
    make: () =>
      createAirflowClient({
        kind: "mwaa-cli",
        environmentName: info.environmentName,
        region: info.region,
        airflowVersion: info.airflowVersion,
      }),
    logs: false,
  },
  {
    name: "direct Airflow REST",
    make: () =>
      createAirflowClient({
        kind: "airflow-rest",
        baseUrl: info.restApiUrl,
        username: info.username,
        password: info.password,
        airflowVersion: info.airflowVersion,
      }),
    logs: true,
  },
];

describe("Airflow clients against real Airflow", function () {
  before(async function () {
    // Delivered the MWAA way: into the environment's S3 DAG prefix; the stand-in syncs it into the DAG folder.
    const s3 = new S3Client({ region: info.region, forcePathStyle: true });
    await s3.send(
      new PutObjectCommand({
        Bucket: info.dagBucket,
        Key: `${info.dagPrefix}/client_probe.py`,
        Body: PROBE_DAG_FILE,
      }),
    );
    s3.destroy();
  });

  it("describes the environment through GetEnvironment, and the chooser picks InvokeRestApi for it", async () => {
    const env = await getMwaaEnvironment(info.environmentName, { region: info.region });
    assert.deepEqual(
      [env.airflowVersion, env.status, env.dagBucket, env.dagS3Path, env.taskLogGroup],
      [info.airflowVersion, "AVAILABLE", info.dagBucket, info.dagPrefix, info.taskLogGroup],
    );
    assert.equal(chooseAirflowClientKind("mwaa", env.airflowVersion), "mwaa-rest");
    await assert.rejects(
      getMwaaEnvironment("no-such-env", { region: info.region }),
      (error: Error) => error.name === "ResourceNotFoundException",
    );
  });

  for (const [index, { name, make, logs }] of clients.entries()) {
    describe(name, () => {
      // Short enough for the log path through InvokeRestApi (64 characters with the DAG and task ids).
      const runId = `it${index}_${Date.now().toString(36)}`;

      it("reads the Airflow version", async () => {
        assert.equal(await make().version(), info.airflowVersion);
      });

      it("waits until the DAG delivered to S3 is parsed", async () => {
        await make().waitUntilParsed(PROBE_DAG_ID, wait(300));
      });

      it("lists every DAG across pages, with its paused state", async () => {
        const dags = await make().listDags();
        const pages = dags.filter((dag) => dag.dagId.startsWith("page_probe_"));
        assert.equal(pages.length, PAGE_PROBE_COUNT);
        assert.ok(dags.every((dag) => typeof dag.isPaused === "boolean"));
      });

      it("pauses and unpauses a DAG", async () => {
        const client = make();
        await client.setPaused("page_probe_007", false);
        assert.equal(
          (await client.listDags()).find((dag) => dag.dagId === "page_probe_007")?.isPaused,
          false,
        );
        await client.setPaused("page_probe_007", true);
        assert.equal((await client.listDags()).find((dag) => dag.dagId === "page_probe_007")?.isPaused, true);
      });

      it("triggers a run with conf and a chosen run id, once, and follows it to success", async () => {
        const client = make();
        await client.setPaused(PROBE_DAG_ID, false);
        const first = await client.trigger({ dagId: PROBE_DAG_ID, runId, conf: { marker: runId } });
        assert.deepEqual(first, { runId, created: true });
        const again = await client.trigger({ dagId: PROBE_DAG_ID, runId, conf: { marker: runId } });
        assert.deepEqual(
          again,
          { runId, created: false },
          "a second trigger with the same run id resumes, not repeats",
        );
        const deadline = Date.now() + 300_000;
        let status = await client.runStatus(PROBE_DAG_ID, runId);
        while (!isFinished(status.state) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 3000));
          status = await client.runStatus(PROBE_DAG_ID, runId);
        }
        assert.equal(status.state, "success");
        assert.deepEqual(
          status.tasks.map((task) => [task.taskId, task.state]),
          [["say", "success"]],
        );
        if (logs) {
          const tail = await client.taskLogTail(PROBE_DAG_ID, runId, "say", 1, 50);
          assert.match(tail, new RegExp(`probe conf marker=${runId}`));
        } else {
          await assert.rejects(client.taskLogTail(PROBE_DAG_ID, runId, "say", 1, 50), /CloudWatch group/);
        }
      });

      it("reads the DAG's leaf tasks, and marks a finished run failed and back without touching its tasks", async () => {
        const client = make();
        if (name === "MWAA CLI token") {
          await assert.rejects(client.leafTaskIds(PROBE_DAG_ID), /no command that marks a run/);
          await assert.rejects(
            client.setRunState(PROBE_DAG_ID, runId, "failed"),
            /use the client "mwaa-rest"/,
          );
          return;
        }
        assert.deepEqual(await client.leafTaskIds(PROBE_DAG_ID), ["say"]);
        for (const state of ["failed", "success"] as const) {
          await client.setRunState(PROBE_DAG_ID, runId, state);
          const status = await client.runStatus(PROBE_DAG_ID, runId);
          assert.deepEqual(
            [status.state, status.tasks.map((task) => [task.taskId, task.state])],
            [state, [["say", "success"]]],
          );
        }
      });

      it("reports Airflow's 404 for a DAG that does not exist", async () => {
        await assert.rejects(make().setPaused("no_such_dag_anywhere", true), (error: Error) => {
          if (name === "MWAA CLI token") return /no_such_dag_anywhere/.test(error.message);
          return error instanceof AirflowApiError && error.status === 404;
        });
      });
    });
  }

  describe("MWAA errors", () => {
    it("a request signed with the wrong secret is refused with InvalidSignatureException, not retried", async () => {
      const saved = process.env.AWS_SECRET_ACCESS_KEY;
      process.env.AWS_SECRET_ACCESS_KEY = "not-the-secret";
      try {
        await assert.rejects(clients[0].make().version(), (error: Error) => {
          return (
            error instanceof AirflowApiError &&
            error.status === 403 &&
            !error.retryable &&
            /InvalidSignatureException/.test(error.message)
          );
        });
      } finally {
        process.env.AWS_SECRET_ACCESS_KEY = saved;
      }
    });

    it("an unknown environment is ResourceNotFoundException with a hint", async () => {
      const client = createAirflowClient({
        kind: "mwaa-rest",
        environmentName: "no-such-env",
        region: info.region,
        airflowVersion: "2.8.1",
      });
      await assert.rejects(client.version(), /ResourceNotFoundException.*check the environment name/);
    });
  });

  describe("long run ids", () => {
    it("InvokeRestApi follows a run whose id makes the REST path longer than 64 characters", async () => {
      const client = clients[0].make();
      const longRunId = `resume_${"x".repeat(40)}_${Date.now().toString(36)}`;
      await client.trigger({ dagId: PROBE_DAG_ID, runId: longRunId, conf: { marker: "long" } });
      const status = await client.runStatus(PROBE_DAG_ID, longRunId);
      assert.equal(status.runId, longRunId);
      assert.ok(["queued", "running", "success"].includes(status.state), status.state);
      await assert.rejects(client.taskLogTail(PROBE_DAG_ID, longRunId, "say", 1, 10), /64-character limit/);
    });
  });
});
