import { strict as assert } from "assert";
import fc from "fast-check";
import { MIGRATION_DAG_IDS } from "../contract";
import {
  dagsToPauseOnSource,
  dagsToRevert,
  planRunFinish,
  planTargetActivation,
  settlingRuns,
} from "./cutover";
import type { DagRunStatus, RunState } from "./airflow/client";

const dag = (dagId: string, isPaused: boolean) => ({ dagId, isPaused });

const run = (runId: string, state: RunState, taskStates: (string | null)[]): DagRunStatus => ({
  dagId: "etl",
  runId,
  state,
  tasks: taskStates.map((s, i) => ({ taskId: `t${i}`, mapIndex: -1, state: s, tryNumber: 1 })),
});

describe("cutover decisions", () => {
  it("waits for runs whose tasks have all ended, not for runs the pause holds or runs already finished", () => {
    const runs = [
      run("ended", "running", ["success", "skipped", "upstream_failed"]),
      run("failing", "running", ["failed", "removed"]),
      run("held", "running", ["success", "scheduled"]),
      run("not-started", "queued", [null]),
      run("retrying", "running", ["up_for_retry"]),
      run("done", "success", ["success"]),
      run("empty", "running", []),
    ];
    assert.deepEqual(
      settlingRuns(runs).map((r) => r.runId),
      ["ended", "failing"],
    );
  });

  it("finishes a settling run as the scheduler would: failed when a leaf failed, success when every task succeeded", () => {
    // t0 -> t1 (leaf), t2 (leaf)
    const leaves = ["t1", "t2"];
    assert.deepEqual(planRunFinish(run("ok", "running", ["success", "success", "success"]), leaves), {
      state: "success",
    });
    assert.deepEqual(planRunFinish(run("leaf", "running", ["success", "failed", "success"]), leaves), {
      state: "failed",
    });
    assert.deepEqual(planRunFinish(run("up", "running", ["failed", "upstream_failed", "success"]), leaves), {
      state: "failed",
    });
  });

  it("does not mark successful a run with skipped or failed tasks, which the REST API would rewrite", () => {
    // A failed t0 with leaves that succeeded anyway (trigger rule all_done), and a branch that skipped t2.
    const survived = planRunFinish(run("all-done", "running", ["failed", "success", "success"]), [
      "t1",
      "t2",
    ]);
    const branched = planRunFinish(run("branch", "running", ["success", "success", "skipped"]), ["t1", "t2"]);
    assert.match("cannot" in survived ? survived.cannot : "", /its 1 failed task instances successful/);
    assert.match("cannot" in branched ? branched.cannot : "", /its 1 skipped task instances successful/);
  });

  it("pauses only the source's active DAGs, never the migration DAGs or ones kept running", () => {
    const source = [
      dag("etl", false),
      dag("report", true),
      dag("mwaa_migration_export", false),
      dag("heartbeat", false),
    ];
    assert.deepEqual(dagsToPauseOnSource(source, ["heartbeat"]), ["etl"]);
  });

  it("unpauses on the target exactly the DAGs that were active on the source", () => {
    const target = [
      dag("etl", true),
      dag("report", true),
      dag("billing", false),
      dag("mwaa_migration_import", true),
    ];
    const plan = planTargetActivation(["etl", "billing", "gone", "mwaa_migration_import"], target, false);
    assert.deepEqual(plan, { unpause: ["etl"], alreadyActive: ["billing"], missing: ["gone"] });
  });

  it("leaves everything paused when configured to", () => {
    const plan = planTargetActivation(["etl"], [dag("etl", true)], true);
    assert.deepEqual(plan.unpause, []);
  });

  it("going back reverts only DAGs still in the state cutover left them in", () => {
    const source = [dag("etl", true), dag("report", false)];
    assert.deepEqual(dagsToRevert(["etl", "report", "deleted"], source, true), ["etl"]);
  });

  it("never unpauses a DAG on the target that was paused on the source (property)", () => {
    const dags = fc.uniqueArray(
      fc.record({
        dagId: fc.constantFrom("a", "b", "c", "d", "e", ...MIGRATION_DAG_IDS),
        isPaused: fc.boolean(),
      }),
      {
        selector: (d) => d.dagId,
      },
    );
    fc.assert(
      fc.property(dags, dags, fc.boolean(), (source, target, leavePaused) => {
        const paused = dagsToPauseOnSource(source);
        const plan = planTargetActivation(paused, target, leavePaused);
        const activeOnSource = new Set(source.filter((d) => !d.isPaused).map((d) => d.dagId));
        for (const id of plan.unpause) {
          assert.ok(activeOnSource.has(id), `${id} was not active on the source`);
          assert.ok(!MIGRATION_DAG_IDS.includes(id));
        }
        if (leavePaused) assert.deepEqual(plan.unpause, []);
        // Every DAG active on the source ends up active on the target, or is reported missing.
        if (!leavePaused) {
          const accounted = new Set([...plan.unpause, ...plan.alreadyActive, ...plan.missing]);
          for (const id of paused) assert.ok(accounted.has(id));
        }
      }),
    );
  });
});
