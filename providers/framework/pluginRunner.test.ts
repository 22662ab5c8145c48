/**
 * The plugin path's decisions with a scripted plugin (what it answers is set per test): which outcome a
 * run has, when a start finds an existing run, when a vanished run is started again, and the progress.
 */
import { strict as assert } from "assert";
import { AirflowApiError } from "../airflow/client";
import type { MigrationPluginClient, PluginHealth, PluginRunStatus } from "../airflow/pluginClient";
import { pluginRefusal, runPluginImport, type PluginRunSpec } from "./pluginRunner";
import { workPathFor } from "./workPath";
import { fakeClock } from "../../test/support/fakeClock";

const HEALTHY: PluginHealth = {
  apiVersion: 1,
  airflowVersion: "3.3.2",
  bundleLocation: "s3://bundles/migration",
  problem: null,
};

function scriptedPlugin(
  answers: Partial<PluginRunStatus>[],
  options: { health?: PluginHealth; startError?: Error; created?: boolean; pollError?: number } = {},
) {
  const calls: string[] = [];
  let polls = 0;
  const status = (answer: Partial<PluginRunStatus>): PluginRunStatus => ({
    runId: "i1-abc",
    state: "running",
    ...answer,
  });
  const plugin: MigrationPluginClient = {
    description: "the scripted plugin",
    health: async () => options.health ?? HEALTHY,
    startImport: async (runId, params) => {
      calls.push(`start ${runId} ${JSON.stringify(params)}`);
      if (options.startError) throw options.startError;
      return status({ ...answers[0], created: options.created ?? true });
    },
    importStatus: async (runId) => {
      polls++;
      calls.push(`status ${runId}`);
      if (options.pollError === polls) throw new Error("socket hang up");
      return status(answers[Math.min(polls, answers.length - 1)]);
    },
  };
  return { plugin, calls };
}

const spec: PluginRunSpec = {
  resource: "MetadataImport",
  runId: "i1-abc",
  conf: { exportId: "bulk-1" },
  where: { bucket: "bundles", prefix: "migration", exportId: "bulk-1" },
  deadlineSeconds: 120,
  pollIntervalSeconds: 10,
};

describe("migration plugin run", () => {
  it("starts the import, reports its progress and succeeds", async () => {
    const { plugin, calls } = scriptedPlugin([
      { state: "running" },
      { state: "running", table: "dag_run", rows: 300 },
      { state: "success" },
    ]);
    const lines: string[] = [];
    const outcome = await runPluginImport({ plugin, clock: fakeClock(), log: (l) => lines.push(l) }, spec);
    assert.deepEqual(outcome, { kind: "succeeded", runId: "i1-abc", elapsedMs: 20_000 });
    assert.deepEqual(calls, ['start i1-abc {"exportId":"bulk-1"}', "status i1-abc", "status i1-abc"]);
    assert.ok(
      lines.includes("[MetadataImport] started import i1-abc in the scripted plugin"),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => l.includes("table dag_run · 300 rows")),
      lines.join("\n"),
    );
  });

  it("a failed import is failed, with the plugin's reason and the target unchanged", async () => {
    const { plugin } = scriptedPlugin([
      { state: "running" },
      { state: "failed", error: "ImportFailed: boom" },
    ]);
    const outcome = await runPluginImport({ plugin, clock: fakeClock(), log: () => {} }, spec);
    assert.equal(outcome.kind, "failed");
    assert.match((outcome as { reason: string }).reason, /ImportFailed: boom.*target is unchanged/);
  });

  it("a repeated start finds the same import (a resumed create)", async () => {
    const { plugin } = scriptedPlugin([{ state: "success" }], { created: false });
    const lines: string[] = [];
    const outcome = await runPluginImport({ plugin, clock: fakeClock(), log: (l) => lines.push(l) }, spec);
    assert.equal(outcome.kind, "succeeded");
    assert.ok(lines.includes("[MetadataImport] resuming existing import i1-abc in the scripted plugin"));
  });

  it("still running at the deadline is unfinished, so the next update waits for it", async () => {
    const { plugin } = scriptedPlugin([{ state: "running" }]);
    const outcome = await runPluginImport({ plugin, clock: fakeClock(), log: () => {} }, spec);
    assert.equal(outcome.kind, "unfinished");
    assert.match((outcome as { reason: string }).reason, /still running after deadlineSeconds=120/);
  });

  it("an import gone from the API server (restarted) is started again under the same run id", async () => {
    const { plugin, calls } = scriptedPlugin([
      { state: "running" },
      { state: "unknown" },
      { state: "success" },
    ]);
    const outcome = await runPluginImport({ plugin, clock: fakeClock(), log: () => {} }, spec);
    assert.equal(outcome.kind, "succeeded");
    assert.equal(calls.filter((c) => c.startsWith("start i1-abc")).length, 2);
  });

  it("a refused start (a bundle outside the configured location) starts nothing", async () => {
    const { plugin } = scriptedPlugin([], {
      startError: new AirflowApiError("starting import i1-abc failed: 403 not under s3://b/p", 403, false),
    });
    const outcome = await runPluginImport({ plugin, clock: fakeClock(), log: () => {} }, spec);
    assert.equal(outcome.kind, "notStarted");
    assert.match((outcome as { reason: string }).reason, /403 not under/);
  });

  it("an error while polling is unfinished, not failed: the import may still complete", async () => {
    const { plugin } = scriptedPlugin([{ state: "running" }], { pollError: 1 });
    const outcome = await runPluginImport({ plugin, clock: fakeClock(), log: () => {} }, spec);
    assert.equal(outcome.kind, "unfinished");
    assert.match((outcome as { reason: string }).reason, /socket hang up/);
  });

  it("a plugin without a bundle location, or of another interface version, starts nothing", async () => {
    const problem = "[mwaa_migration] bundle_location is ''; set it ...";
    const { plugin, calls } = scriptedPlugin([], { health: { ...HEALTHY, bundleLocation: null, problem } });
    const outcome = await runPluginImport({ plugin, clock: fakeClock(), log: () => {} }, spec);
    assert.equal(outcome.kind, "notStarted");
    assert.match((outcome as { reason: string }).reason, /bundle_location/);
    assert.deepEqual(calls, []);
    assert.match(pluginRefusal({ apiVersion: 2, problem: null }) ?? "", /interface version 2/);
    assert.equal(pluginRefusal(HEALTHY), undefined);
  });
});

describe("where the work runs", () => {
  it("imports into Airflow 3 through the plugin and into 2.9+ through the import DAG", () => {
    assert.deepEqual(workPathFor("import", "3.3.2"), { kind: "api-plugin" });
    assert.deepEqual(workPathFor("import", "3.0.6"), { kind: "api-plugin" });
    assert.deepEqual(workPathFor("import", "2.11.0"), { kind: "dag-task" });
    assert.deepEqual(workPathFor("export", "2.8.1"), { kind: "dag-task" });
  });

  it("refuses, naming the version and why, what the versions table has no path for", () => {
    const refused = workPathFor("import", "2.8.1");
    assert.equal(refused.kind, "refused");
    assert.match(
      (refused as { reason: string }).reason,
      /Airflow 2\.8\.1: the import writes the metadata schema of Airflow 2\.9/,
    );
    assert.equal(workPathFor("import", "1.10.15").kind, "refused");
  });
});
