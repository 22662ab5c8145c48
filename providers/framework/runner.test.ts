/**
 * The create flow's decisions with a scripted Airflow (what it answers is set per test) and a
 * real local DAG folder: what is restored, removed, left running, and reported.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { AirflowClient, DagRunStatus, DagSummary } from "../airflow/client";
import { deliverPayload } from "./dagDelivery";
import { readPayload } from "./payload";
import { runMigrationDag, RunSpec } from "./runner";
import { fakeClock } from "../../test/support/fakeClock";

function scriptedAirflow(
  runStates: DagRunStatus["state"][],
  options: { parsed?: boolean; existing?: boolean; failAt?: number; lastParsed?: string } = {},
) {
  const dags = new Map<string, DagSummary>([
    ["mwaa_migration_export", { dagId: "mwaa_migration_export", isPaused: true }],
  ]);
  const calls: string[] = [];
  let polls = 0;
  const client: AirflowClient = {
    description: "scripted",
    version: async () => "2.10.3",
    listDags: async () => [...dags.values()],
    unfinishedRuns: async () => [],
    importErrors: async () => [],
    leafTaskIds: async () => ["export_tables"],
    setRunState: async (dagId, runId, state) => {
      calls.push(`mark ${dagId}/${runId} ${state}`);
    },
    setPaused: async (dagId, paused) => {
      calls.push(`${paused ? "pause" : "unpause"} ${dagId}`);
      dags.set(dagId, { dagId, isPaused: paused });
    },
    lastParsedTime: async () => options.lastParsed,
    waitUntilParsed: async (dagId, wait) => {
      calls.push(`wait for a parse of ${dagId}${wait.parsedAfter ? ` after ${wait.parsedAfter}` : ""}`);
      if (options.parsed === false) throw new Error(`timed out waiting for DAG ${dagId}`);
    },
    trigger: async (request) => {
      calls.push(`trigger ${request.runId} ${JSON.stringify(request.conf)}`);
      return { runId: request.runId, created: !options.existing };
    },
    inFlightTaskInstances: async () => [],
    runStatus: async (dagId, runId) => {
      polls++;
      if (options.failAt === polls) throw new Error("AccessDenied reading the run");
      const state = runStates[Math.min(polls - 1, runStates.length - 1)];
      const tasks = [
        {
          taskId: "export_tables",
          mapIndex: -1,
          state: state === "success" ? "success" : state === "failed" ? "failed" : "running",
          tryNumber: 1,
        },
      ];
      return { dagId, runId, state, tasks };
    },
    taskLogTail: async () => "INFO - exported task_instance   4200 rows   1.0 s\nValueError: boom",
  };
  return { client, calls, dags };
}

function spec(dagFolder: string, overrides: Partial<RunSpec> = {}): RunSpec {
  const payloadDir = fs.mkdtempSync(path.join(os.tmpdir(), "runner-payload-"));
  fs.writeFileSync(path.join(payloadDir, "mwaa_migration_export.py"), "# dag\n");
  fs.mkdirSync(path.join(payloadDir, "mwaa_migration"));
  fs.writeFileSync(path.join(payloadDir, "mwaa_migration", "__init__.py"), "");
  return {
    resource: "MetadataExport",
    dagId: "mwaa_migration_export",
    runId: "bulk-1-e1",
    conf: { exportId: "bulk-1" },
    dagFolder,
    payloadDir,
    parseDeadlineSeconds: 60,
    deadlineSeconds: 300,
    pollIntervalSeconds: 10,
    ...overrides,
  };
}

const newFolder = () => fs.mkdtempSync(path.join(os.tmpdir(), "runner-dags-"));

describe("migration DAG run", () => {
  it("succeeds: unpauses the DAG for its run, then restores it and removes the files", async () => {
    const folder = newFolder();
    const airflow = scriptedAirflow(["queued", "running", "success"]);
    const lines: string[] = [];
    const outcome = await runMigrationDag(
      { airflow: airflow.client, clock: fakeClock(), log: (l) => lines.push(l) },
      spec(folder),
    );
    assert.deepEqual(outcome, { kind: "succeeded", runId: "bulk-1-e1", elapsedMs: 20_000 });
    assert.deepEqual(airflow.calls, [
      "wait for a parse of mwaa_migration_export",
      "unpause mwaa_migration_export",
      'trigger bulk-1-e1 {"exportId":"bulk-1"}',
      "pause mwaa_migration_export",
    ]);
    assert.deepEqual(fs.readdirSync(folder), []);
    assert.ok(
      lines.some((l) => l.includes("table task_instance · 4,200 rows")),
      lines.join("\n"),
    );
  });

  it("a DAG Airflow still lists from an earlier delivery counts as parsed only once parsed again", async () => {
    const airflow = scriptedAirflow(["success"], { lastParsed: "2026-12-03T12:44:58.000000+00:00" });
    await runMigrationDag({ airflow: airflow.client, clock: fakeClock(), log: () => {} }, spec(newFolder()));
    assert.equal(
      airflow.calls[0],
      "wait for a parse of mwaa_migration_export after 2026-12-03T12:44:58.000000+00:00",
    );
  });

  it("a DAG staged before the run (same files, parsed since) is triggered without delivering or waiting", async () => {
    const folder = newFolder();
    const runSpec = spec(folder);
    await deliverPayload(folder, readPayload(runSpec.payloadDir, runSpec.dagId));
    const parsedLater = new Date(Date.now() + 60_000).toISOString();
    const airflow = scriptedAirflow(["success"], { lastParsed: parsedLater });
    const lines: string[] = [];
    const outcome = await runMigrationDag(
      { airflow: airflow.client, clock: fakeClock(), log: (l) => lines.push(l) },
      runSpec,
    );
    assert.equal(outcome.kind, "succeeded");
    assert.ok(!airflow.calls.some((c) => c.startsWith("wait for a parse")), airflow.calls.join("\n"));
    assert.ok(
      lines.some((l) => l.includes("is staged in")),
      lines.join("\n"),
    );
    assert.deepEqual(fs.readdirSync(folder), [], "the run still takes its DAG out afterwards");
  });

  it("a staged DAG whose files changed since is delivered again and waited for", async () => {
    const folder = newFolder();
    const runSpec = spec(folder);
    fs.writeFileSync(path.join(folder, "mwaa_migration_export.py"), "# an older dag\n");
    const airflow = scriptedAirflow(["success"], { lastParsed: new Date(Date.now() + 60_000).toISOString() });
    await runMigrationDag({ airflow: airflow.client, clock: fakeClock(), log: () => {} }, runSpec);
    assert.match(airflow.calls[0], /^wait for a parse of mwaa_migration_export after /);
  });

  it("a failed task: paused state restored, files removed, the failing task's log in the reason", async () => {
    const folder = newFolder();
    const airflow = scriptedAirflow(["running", "failed"]);
    const outcome = await runMigrationDag(
      { airflow: airflow.client, clock: fakeClock(), log: () => {} },
      spec(folder),
    );
    assert.equal(outcome.kind, "failed");
    assert.match(
      (outcome as { reason: string }).reason,
      /failed tasks: export_tables[\s\S]*ValueError: boom/,
    );
    assert.equal(airflow.dags.get("mwaa_migration_export")!.isPaused, true);
    assert.deepEqual(fs.readdirSync(folder), []);
  });

  it("a failed task whose log Airflow cannot serve: the reason carries the log read from the fallback", async () => {
    const airflow = scriptedAirflow(["running", "failed"]);
    airflow.client.taskLogTail = async () => {
      throw new Error('the REST path "/dags/mwaa_migration_export/dagRuns/e2-1d9eedbb/..." is 75 characters');
    };
    const asked: string[] = [];
    const outcome = await runMigrationDag(
      {
        airflow: airflow.client,
        clock: fakeClock(),
        log: () => {},
        taskLogFallback: async (dagId, runId, taskId, tryNumber) => {
          asked.push(`${dagId} ${runId} ${taskId} ${tryNumber}`);
          return "ERROR - botocore.exceptions.ClientError: InternalError";
        },
      },
      spec(newFolder()),
    );
    assert.match(
      (outcome as { reason: string }).reason,
      /task export_tables failed:\s+ERROR - botocore[^\n]*InternalError/,
    );
    assert.ok(asked.includes("mwaa_migration_export bulk-1-e1 export_tables 1"), asked.join("\n"));
  });

  it("a failed task that neither Airflow nor the fallback can read: the reason names both errors", async () => {
    const airflow = scriptedAirflow(["running", "failed"]);
    airflow.client.taskLogTail = async () => {
      throw new Error("over the 64-character limit");
    };
    const outcome = await runMigrationDag(
      {
        airflow: airflow.client,
        clock: fakeClock(),
        log: () => {},
        taskLogFallback: async () => {
          throw new Error("reading airflow-env-Task/dag_id=...: ResourceNotFoundException");
        },
      },
      spec(newFolder()),
    );
    assert.match(
      (outcome as { reason: string }).reason,
      /log not readable: over the 64-character limit; reading airflow-env-Task\/dag_id=\.\.\.: ResourceNotFoundException/,
    );
  });

  it("a failed task that never started (try 0) says so and where to look, not a log read error", async () => {
    const airflow = scriptedAirflow(["running", "failed"]);
    const runStatus = airflow.client.runStatus;
    airflow.client.runStatus = async (dagId, runId) => {
      const status = await runStatus(dagId, runId);
      return { ...status, tasks: status.tasks.map((t) => ({ ...t, tryNumber: 0 })) };
    };
    airflow.client.taskLogTail = async () => {
      throw new Error("no log for try 0");
    };
    const outcome = await runMigrationDag(
      { airflow: airflow.client, clock: fakeClock(), log: () => {} },
      spec(newFolder()),
    );
    assert.match((outcome as { reason: string }).reason, /never started running[\s\S]*scheduler's log/);
    assert.doesNotMatch((outcome as { reason: string }).reason, /no log for try 0/);
  });

  it("a timeout leaves the run going (DAG files and unpause kept) so a resume can wait for it", async () => {
    const folder = newFolder();
    const airflow = scriptedAirflow(["running"]);
    const outcome = await runMigrationDag(
      { airflow: airflow.client, clock: fakeClock(), log: () => {} },
      spec(folder, { deadlineSeconds: 60 }),
    );
    assert.equal(outcome.kind, "unfinished");
    assert.match((outcome as { reason: string }).reason, /still running after deadlineSeconds=60/);
    assert.equal(airflow.dags.get("mwaa_migration_export")!.isPaused, false);
    assert.deepEqual(fs.readdirSync(folder).sort(), ["mwaa_migration", "mwaa_migration_export.py"]);
  });

  it("an error while polling is unfinished, not failed: the run may still complete", async () => {
    const airflow = scriptedAirflow(["running"], { failAt: 2 });
    const outcome = await runMigrationDag(
      { airflow: airflow.client, clock: fakeClock(), log: () => {} },
      spec(newFolder()),
    );
    assert.equal(outcome.kind, "unfinished");
    assert.match((outcome as { reason: string }).reason, /AccessDenied/);
  });

  it("a DAG that is never parsed is not started, and the folder is cleaned", async () => {
    const folder = newFolder();
    const airflow = scriptedAirflow(["success"], { parsed: false });
    const outcome = await runMigrationDag(
      { airflow: airflow.client, clock: fakeClock(), log: () => {} },
      spec(folder),
    );
    assert.equal(outcome.kind, "notStarted");
    assert.match((outcome as { reason: string }).reason, /not parsed within parseDeadlineSeconds=60/);
    assert.deepEqual(
      airflow.calls,
      ["wait for a parse of mwaa_migration_export"],
      "nothing paused or triggered",
    );
    assert.deepEqual(fs.readdirSync(folder), []);
  });

  it("a resumed create adopts the existing run instead of starting another", async () => {
    const airflow = scriptedAirflow(["success"], { existing: true });
    const lines: string[] = [];
    const outcome = await runMigrationDag(
      { airflow: airflow.client, clock: fakeClock(), log: (l) => lines.push(l) },
      spec(newFolder()),
    );
    assert.equal(outcome.kind, "succeeded");
    assert.ok(lines.includes("[MetadataExport] resuming existing run bulk-1-e1 of mwaa_migration_export"));
  });
});
