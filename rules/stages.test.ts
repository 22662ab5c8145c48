import * as assert from "node:assert/strict";
import fc from "fast-check";
import { STAGES, shipsMigrationPlugin, stageHistory, stagePlan, stageTransitionProblem } from "./stages";

describe("stages", () => {
  const afterBulk = { bulkApplied: true };
  const withoutBulk = { bulkApplied: false };

  it("plans grants until complete, data movement from bulk, cutover only at cutover", () => {
    assert.deepEqual(
      STAGES.map((s) => {
        const p = stagePlan(s, s === "bulk" ? withoutBulk : afterBulk);
        return [s, p.grants, p.bulkExport, p.bulkImport, p.cutover, p.cleanup];
      }),
      [
        ["prepare", true, false, false, false, false],
        ["bulk", true, true, true, false, false],
        ["cutover", true, true, true, true, false],
        ["complete", false, false, false, false, true],
      ],
    );
  });

  it("ships the migration plugin to an Airflow 3 history target from prepare until complete", () => {
    assert.deepEqual(
      STAGES.map((stage) => shipsMigrationPlugin(stage, true, "3.3.1")),
      [true, true, true, false],
    );
    assert.equal(shipsMigrationPlugin("bulk", false, "3.3.1"), false, "no history import, no plugin");
    assert.equal(shipsMigrationPlugin("bulk", true, "2.11.0"), false, "Airflow 2 imports in a DAG");
  });

  it("keeps the bulk phases at cutover only when the stack applied bulk", () => {
    const straight = stagePlan("cutover", withoutBulk);
    assert.deepEqual([straight.bulkExport, straight.bulkImport, straight.cutover], [false, false, true]);
    assert.equal(stagePlan("bulk", withoutBulk).bulkExport, true);
    assert.equal(stagePlan("complete", afterBulk).bulkExport, false);
  });

  it("reads the history from the stack's previous outputs, older stacks by their stage", () => {
    assert.deepEqual(stageHistory({}), withoutBulk);
    assert.deepEqual(stageHistory({ stage: "prepare" }), withoutBulk);
    assert.deepEqual(stageHistory({ stage: "bulk" }), afterBulk);
    assert.deepEqual(stageHistory({ stage: "cutover", bulkApplied: true }), afterBulk);
    assert.deepEqual(stageHistory({ stage: "cutover", bulkApplied: false }), withoutBulk);
    assert.deepEqual(stageHistory({ stage: "cutover", bulkApplied: "true" }), withoutBulk, "only a boolean");
  });

  it("starts at prepare", () => {
    assert.equal(stageTransitionProblem(undefined, "prepare", false), undefined);
    assert.match(
      stageTransitionProblem(undefined, "bulk", false)!,
      /has not run "prepare".*set mwaa-migration:stage to prepare/,
    );
  });

  it("allows staying, stepping forward, and prepare straight to cutover", () => {
    assert.equal(stageTransitionProblem("prepare", "bulk", false), undefined);
    assert.equal(stageTransitionProblem("prepare", "cutover", false), undefined);
    assert.equal(stageTransitionProblem("bulk", "cutover", false), undefined);
    assert.equal(stageTransitionProblem("cutover", "complete", false), undefined);
    for (const s of STAGES) assert.equal(stageTransitionProblem(s, s, false), undefined);
  });

  it("refuses reaching complete without cutover", () => {
    assert.match(stageTransitionProblem("prepare", "complete", false)!, /skips from "prepare" to "complete"/);
    assert.match(
      stageTransitionProblem("bulk", "complete", false)!,
      /set mwaa-migration:stage to cutover first/,
    );
  });

  it("moves backwards only with allowStageRollback", () => {
    fc.assert(
      fc.property(fc.constantFrom(...STAGES), fc.constantFrom(...STAGES), (from, to) => {
        const backwards = STAGES.indexOf(to) < STAGES.indexOf(from);
        const problem = stageTransitionProblem(from, to, false);
        if (backwards && from === "complete") {
          assert.match(problem!, /complete is final/);
          assert.match(stageTransitionProblem(from, to, true)!, /complete is final/);
        } else if (backwards) {
          assert.match(problem!, /allowStageRollback/);
          assert.equal(stageTransitionProblem(from, to, true), undefined);
        }
      }),
    );
  });
});
