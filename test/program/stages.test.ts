import * as assert from "node:assert/strict";
import { StackRun, loadDevConfig, runStackWithOutputs } from "../support/stackUnderMocks";

/** Each stage is a config change plus `pulumi up`: what exists at each one. */
describe("stages of the dev stack", () => {
  const runs: Record<string, StackRun> = {};
  const names = (run: StackRun) => new Set(run.resources.filter((r) => !r.read).map((r) => r.name));

  before(async () => {
    for (const stage of ["prepare", "bulk", "cutover", "complete"]) {
      // Each run is the stack after the previous stage was applied (the harness's default previous stage).
      runs[stage] = await runStackWithOutputs({ ...loadDevConfig(), "mwaa-migration:stage": stage });
    }
  });

  it("keeps the target environment, network, DAG bucket and migration bucket at every stage", () => {
    for (const [stage, run] of Object.entries(runs)) {
      const present = names(run);
      for (const name of [
        "dev-migration-target-environment",
        "dev-migration-target-vpc",
        "dev-migration-target-dags",
        "dev-migration-target-execution-role",
        "dev-migration-bucket-bucket",
        "dev-migration-bucket-key",
      ]) {
        assert.ok(present.has(name), `${name} missing at ${stage}`);
      }
      assert.equal(run.outputs.stage, stage);
    }
  });

  it("keeps the grants until cutover and removes them, with the run-once data phases, at complete", () => {
    for (const stage of ["prepare", "bulk", "cutover"]) {
      assert.ok(names(runs[stage]).has("dev-migration-grants-source-export"), stage);
      assert.ok(names(runs[stage]).has("dev-migration-grants-target-import"), stage);
    }
    const removed = [...names(runs.cutover)].filter((n) => !names(runs.complete).has(n));
    assert.deepEqual(removed.sort(), [
      "dev-migration-bulk-export",
      "dev-migration-bulk-import",
      "dev-migration-cutover-stage-export",
      "dev-migration-cutover-stage-import",
      "dev-migration-dag-parse",
      "dev-migration-dag-parse-gate",
      "dev-migration-delta-export",
      "dev-migration-delta-import",
      "dev-migration-grants",
      "dev-migration-grants-source-export",
      "dev-migration-grants-target-import",
    ]);
    assert.equal(runs.complete.outputs.exportGrantPolicy, undefined);
  });

  it("adds exactly the parse gate and the bulk export and import at bulk, and plans no data phase at prepare", () => {
    const added = [...names(runs.bulk)].filter((n) => !names(runs.prepare).has(n));
    assert.deepEqual(added.sort(), [
      "dev-migration-bulk-export",
      "dev-migration-bulk-import",
      "dev-migration-dag-parse-gate",
    ]);
    assert.ok(!runs.prepare.logs.some((l) => l.severity === "warning"), "prepare plans no phases");
    assert.ok(!runs.bulk.logs.some((l) => l.severity === "warning"), "every planned phase is built");
  });

  it("adds the DAG staging, the pause, the delta export and import and the target's activation at cutover, and nothing at complete", () => {
    const added = (from: string, to: string) =>
      [...names(runs[to])].filter((n) => !names(runs[from]).has(n)).sort();
    assert.deepEqual(added("bulk", "cutover"), [
      "dev-migration-cutover-activation",
      "dev-migration-cutover-pause",
      "dev-migration-cutover-stage-export",
      "dev-migration-cutover-stage-import",
      "dev-migration-delta-export",
      "dev-migration-delta-import",
    ]);
    assert.deepEqual(added("cutover", "complete"), []);
  });

  it("goes straight from prepare to cutover with one full export while the source is paused", async () => {
    const run = await runStackWithOutputs(
      { ...loadDevConfig(), "mwaa-migration:stage": "cutover" },
      { previousStage: "prepare" },
    );
    const present = names(run);
    assert.ok(!present.has("dev-migration-bulk-export") && !present.has("dev-migration-bulk-import"));
    const exportPhase = run.resources.find((r) => r.name === "dev-migration-delta-export")!;
    assert.equal(exportPhase.inputs.phase, "full");
    const pause = run.resources.find((r) => r.name === "dev-migration-cutover-pause")!;
    assert.ok(exportPhase.dependencies?.includes(pause.urn), "the export waits for the pause");
    assert.equal(exportPhase.inputs.changedSince, undefined);
    assert.equal(run.outputs.bulkApplied, false);
    assert.ok(!run.logs.some((l) => l.severity === "warning"), "every planned phase is built");
  });

  it("keeps what an earlier cutover built when it runs again", async () => {
    const again = (bulkApplied: boolean) =>
      runStackWithOutputs(
        { ...loadDevConfig(), "mwaa-migration:stage": "cutover" },
        { previousStage: "cutover", previousOutputs: { bulkApplied } },
      );
    const afterBulk = await again(true);
    assert.deepEqual(names(afterBulk), names(runs.cutover));
    assert.equal(afterBulk.outputs.bulkApplied, true);
    const straight = await again(false);
    assert.ok(!names(straight).has("dev-migration-bulk-export"));
    assert.equal(
      straight.resources.find((r) => r.name === "dev-migration-delta-export")!.inputs.phase,
      "full",
    );
  });

  it("records that bulk was applied, and keeps that record through complete", async () => {
    assert.deepEqual(
      ["prepare", "bulk", "cutover"].map((stage) => runs[stage].outputs.bulkApplied),
      [false, true, true],
    );
    const complete = await runStackWithOutputs(
      { ...loadDevConfig(), "mwaa-migration:stage": "complete" },
      { previousOutputs: { bulkApplied: true } },
    );
    assert.equal(complete.outputs.bulkApplied, true);
    assert.equal(
      runs.cutover.resources.find((r) => r.name === "dev-migration-delta-export")!.inputs.phase,
      "delta",
    );
  });

  it("never changes the target environment's settings between stages", () => {
    const env = (run: StackRun) =>
      run.resources.find((r) => r.name === "dev-migration-target-environment")!.inputs;
    for (const stage of ["bulk", "cutover", "complete"])
      assert.deepEqual(env(runs[stage]), env(runs.prepare), stage);
  });
});
