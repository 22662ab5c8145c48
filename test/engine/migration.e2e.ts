/**
 * The migration as `pulumi up` runs it, by the real Pulumi engine on the local stack: a stage walk
 * whose every update is followed by a refresh and a preview that change nothing, the policy pack run
 * by the engine, the fault matrix's bulk faults (bulkFaults.ts) each failing an update and leaving the
 * target as it was, a `pulumi up` killed in the middle of the bulk import and resumed under CloudWatch
 * throttling, a change of input
 * that means re-running work shown as a replace, a cutover whose source does not go quiet in time, a
 * cutover interrupted with Ctrl-C, a run in flight at the pause that reaches the target, and destroy
 * at complete. Run by scripts/test-engine.sh.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { IAMClient, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { executionRoleName, type LocalAirflow } from "../../rehearsal/rehearsal";
import type { TaskLogCopyResult, UnparsedDag } from "../../providers";
import type { StageRecord } from "../../rehearsal/engine";
import { bulkFaultTests } from "./bulkFaults";
import { pausedStateAgainst, recordFault, rowsDiffering } from "./matrix";
import { signalPulumiUp } from "./processTree";
import {
  airflowOf,
  DEFAULT_SETTINGS,
  GATE_DAG_ID,
  MIGRATION_BUCKET,
  releaseSlowRun,
  Scenario,
  SLOW_DAG_ID,
  snapshotOf,
  startWorld,
  type World,
} from "./world";

const ROOT = path.resolve(__dirname, "..", "..");

interface ParseFindings {
  parsedDags: string[];
  sourceActiveDags: string[];
  unparsed: UnparsedDag[];
}

async function pausedStates(env: LocalAirflow): Promise<Record<string, boolean>> {
  const dags = await airflowOf(env).listDags();
  return Object.fromEntries(
    dags.filter((d) => !d.dagId.startsWith("mwaa_migration")).map((d) => [d.dagId, d.isPaused]),
  );
}

async function objectKeys(bucket: string, prefix: string): Promise<string[]> {
  const s3 = new S3Client({ forcePathStyle: true });
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key!);
  } finally {
    s3.destroy();
  }
}

async function rolePolicies(roleName: string): Promise<string[]> {
  const iam = new IAMClient({});
  try {
    return (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  } finally {
    iam.destroy();
  }
}

/** Target rows against the source's, table by table, and rows repeating a natural key on the target. */
async function compareSides(world: World, scenario: Scenario) {
  const [source, target] = await Promise.all([
    snapshotOf(world.source.name),
    snapshotOf(scenario.target.name),
  ]);
  const differing = Object.entries(source.tables)
    .filter(([table, rows]) => target.tables[table] !== rows)
    .map(([table, rows]) => `${table}: source ${rows}, target ${target.tables[table]}`);
  const duplicated = Object.entries(target.duplicates ?? {})
    .filter(([table, extra]) => extra > (source.duplicates?.[table] ?? 0))
    .map(([table, extra]) => `${table}: ${extra}`);
  return { source, target, differing, duplicated };
}

/** Starts a run of the slow DAG on the source and resolves once its task is running. */
async function slowTaskRunning(source: LocalAirflow, runId: string): Promise<void> {
  const airflow = airflowOf(source);
  await airflow.waitUntilParsed(SLOW_DAG_ID, { deadlineMs: Date.now() + 180_000, pollIntervalMs: 2000 });
  await airflow.setPaused(SLOW_DAG_ID, false);
  await airflow.trigger({ dagId: SLOW_DAG_ID, runId, conf: {} });
  const deadline = Date.now() + 180_000;
  while ((await airflow.inFlightTaskInstances([SLOW_DAG_ID])).every((t) => t.state !== "running")) {
    if (Date.now() > deadline) throw new Error(`${SLOW_DAG_ID} ${runId} never started running`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe("the migration through the real Pulumi engine", function () {
  this.timeout(1_800_000);
  let world: World;
  let scenario: Scenario;

  let sourceAtStart: Awaited<ReturnType<typeof snapshotOf>>;
  let targetBeforeBulk: Awaited<ReturnType<typeof snapshotOf>>;

  before(async () => {
    world = await startWorld();
    scenario = await Scenario.open(world, "walk");
    sourceAtStart = await snapshotOf(world.source.name);
  });
  after(async () => {
    await scenario?.close();
  });

  it("prepare: the policy pack runs in the engine's preview, and a refresh and a preview after up change nothing", async () => {
    const outputs: string[] = [];
    await scenario.stack.setConfig("mwaa-rehearsal:stage", { value: "prepare" });
    await scenario.stack.preview({
      policyPacks: [path.join(ROOT, "policies")],
      onOutput: (text) => outputs.push(text),
    });
    const printed = outputs.join("");
    assert.match(
      printed,
      /Policies:|Policy Packs run/,
      `the engine ran no policy pack:\n${printed.slice(-3000)}`,
    );
    assert.match(printed, /mwaa-migration|policies/);
    assert.doesNotMatch(printed, /mandatory/i);

    const record = await scenario.stage("prepare");
    assert.equal(record.settled, true, "a refresh or a preview after prepare found changes");
    assert.deepEqual(
      record.planned
        .map((s) => `${s.op} ${s.type}`)
        .filter((s) => !s.startsWith("read"))
        .sort(),
      [
        "create LocalGrants",
        "create LocalMigrationBucket",
        "create LocalWorkflowAssets",
        "create TargetDagParse",
      ],
    );
    const parse = (record.outputs.phases as Record<string, ParseFindings>).dagParse;
    assert.ok(parse.sourceActiveDags.includes(GATE_DAG_ID), JSON.stringify(parse));
    assert.ok(parse.parsedDags.includes(SLOW_DAG_ID) && !parse.parsedDags.includes(GATE_DAG_ID));
    assert.deepEqual(
      parse.unparsed.map((d) => [d.dagId, d.file]),
      [[GATE_DAG_ID, `${GATE_DAG_ID}.py`]],
    );
    assert.match(parse.unparsed[0].reason, /engine_gate\.py:\d+ ImportError: engine_gate needs an operator/);
    targetBeforeBulk = await snapshotOf(scenario.target.name);
  });

  it("bulk: refused at preview while a DAG active on the source does not parse on the target; accepted by config, it goes on", async () => {
    scenario.reprogram((facts) => ({ ...facts, settings: { ...DEFAULT_SETTINGS, acceptUnparsedDags: [] } }));
    const refusal = await scenario.failingPreview("bulk");
    assert.match(refusal, /1 DAG\(s\) active on the source do not parse on the target/);
    assert.match(
      refusal,
      /engine_gate \(engine_gate\.py\): does not parse on the target: engine_gate\.py:\d+ ImportError/,
    );
    assert.match(refusal, /acceptUnparsedDags/);
    assert.deepEqual(await snapshotOf(scenario.target.name), targetBeforeBulk, "nothing moved");
    scenario.reprogram((facts) => ({ ...facts, settings: DEFAULT_SETTINGS }));
    const accepted = await scenario.preview();
    assert.ok(
      accepted.steps.some((s) => /create \S*bulk-export$/.test(s)),
      accepted.steps.join("\n"),
    );
  });

  bulkFaultTests(() => ({ world, scenario, targetBefore: targetBeforeBulk, sourceBefore: sourceAtStart }));

  it("bulk: a `pulumi up` killed during the import is resumed by the next one on the same run, and converges with CloudWatch throttling the log copy", async () => {
    let importRun = "";
    const before = await snapshotOf(scenario.target.name);
    const error = await scenario.failingUp("bulk", {
      when: /\[MetadataImport\] triggered run (i\d+-[0-9a-f]{8})/,
      then: (match) => {
        importRun = match[1];
        signalPulumiUp("SIGKILL");
      },
    });
    assert.ok(importRun, `the import never started:\n${error.slice(-2000)}`);
    // As for a user: the killed update left its lock, the next one says so, `pulumi cancel` lifts it.
    const locked = await scenario.failingUp("bulk");
    assert.match(locked, /locked/);
    await scenario.stack.cancel();

    // The resumed update's log copy meets CloudWatch throttling every third read.
    world.proxy.arm({
      service: "logs",
      operation: "GetLogEvents",
      every: 3,
      fault: { kind: "error", status: 400, code: "ThrottlingException" },
    });
    let record: StageRecord;
    try {
      record = await scenario.stage("bulk");
    } finally {
      world.proxy.disarm();
    }
    const throttled = world.proxy.counts.faulted;
    const phases = record.outputs.phases as Record<string, Record<string, unknown>>;
    const copy = phases.bulkImport.taskLogCopy as TaskLogCopyResult;
    const streamsDone = copy.streams.copied + copy.streams.skipped + (copy.streams.resumed ?? 0);
    recordFault({
      fault: `CloudWatch ThrottlingException on every 3rd GetLogEvents (${throttled} throttled)`,
      stage: "bulk",
      outcome: `converged; log streams ${streamsDone} of ${copy.streams.total}, ${copy.throttledCalls} reads throttled`,
      rowsDiffering: rowsDiffering(
        await snapshotOf(world.source.name),
        await snapshotOf(scenario.target.name),
      ),
      pausedState: pausedStateAgainst(sourceAtStart, await snapshotOf(world.source.name)),
    });
    assert.ok(throttled > 0, "the proxy throttled some log reads");
    assert.equal(copy.streams.missing, 0);
    assert.equal(streamsDone, copy.streams.total, "every log stream copied");
    recordFault({
      fault: "pulumi up SIGKILLed during the import",
      stage: "bulk",
      outcome: `stack locked; after pulumi cancel, converged on the same run (${String(phases.bulkImport.runId)})`,
      rowsDiffering: rowsDiffering(
        await snapshotOf(world.source.name),
        await snapshotOf(scenario.target.name),
      ),
      pausedState: pausedStateAgainst(sourceAtStart, await snapshotOf(world.source.name)),
    });
    assert.equal(
      phases.bulkImport.runId,
      importRun,
      "the resumed import is the run the killed update started",
    );
    assert.equal(record.settled, true);
    const { deployment } = await scenario.stack.exportStack();
    assert.deepEqual(
      deployment.pending_operations ?? [],
      [],
      "the refresh after the resumed update dropped the killed update's pending create",
    );
    const sides = await compareSides(world, scenario);
    assert.deepEqual(sides.differing, [], "the target holds every row the source has");
    assert.deepEqual(sides.duplicated, [], "no row arrived twice");
    assert.ok(sides.target.tables.dag_run > before.tables.dag_run);
  });

  it("a new bundle prefix or a new target version shows as a replace of the work it re-runs", async () => {
    scenario.reprogram((facts) => ({ ...facts, prefix: `${facts.prefix}-moved` }));
    const moved = await scenario.preview();
    assert.ok(
      moved.steps.some((s) => /replace\S* \S*bulk-export$/.test(s)) &&
        moved.steps.some((s) => /replace\S* \S*bulk-import$/.test(s)),
      moved.steps.join("\n"),
    );
    scenario.reprogram((facts) => ({
      ...facts,
      prefix: facts.prefix.replace(/-moved$/, ""),
      target: { ...facts.target, airflowVersion: "2.10.3" },
    }));
    const upgraded = await scenario.preview();
    assert.ok(
      upgraded.steps.some((s) => /replace\S* \S*bulk-import$/.test(s)),
      upgraded.steps.join("\n"),
    );
    assert.ok(!upgraded.steps.some((s) => /bulk-export/.test(s)), "the export does not depend on the target");
    scenario.reprogram((facts) => ({
      ...facts,
      target: { ...facts.target, airflowVersion: scenario.target.airflowVersion },
    }));
    assert.deepEqual(
      (await scenario.preview()).changes,
      {},
      "back to the stack's own inputs, nothing changes",
    );
  });

  it("cutover: a source that does not go quiet by the deadline fails the pause and keeps its DAGs as they were", async () => {
    await slowTaskRunning(world.source, "engine_slow_1");
    const activeBefore = await pausedStates(world.source);
    const targetBefore = await snapshotOf(scenario.target.name);
    scenario.reprogram((facts) => ({
      ...facts,
      settings: { ...DEFAULT_SETTINGS, quiesceDeadlineSeconds: 3 },
    }));
    const error = await scenario.failingUp("cutover");
    const restored = await pausedStates(world.source);
    recordFault({
      fault: "quiesce deadline (3 s) with a task running at the pause",
      stage: "cutover",
      outcome: "up failed naming the running task; nothing exported",
      rowsDiffering: rowsDiffering(targetBefore, await snapshotOf(scenario.target.name)),
      pausedState: JSON.stringify(restored) === JSON.stringify(activeBefore) ? "restored" : "NOT RESTORED",
    });
    // Held until now so the pause found it running; it finishes on the source, active again.
    releaseSlowRun(world.source, "engine_slow_1");
    assert.match(error, /quiesceDeadlineSeconds=3/);
    assert.match(error, new RegExp(`${SLOW_DAG_ID}/engine_slow_1/slow`));
    assert.deepEqual(
      await pausedStates(world.source),
      activeBefore,
      "every DAG the pause touched is as it was",
    );
  });

  it("cutover: interrupted with Ctrl-C during the delta import, the next up converges; the run in flight at the pause is on the target", async () => {
    scenario.reprogram((facts) => ({ ...facts, settings: DEFAULT_SETTINGS }));
    await slowTaskRunning(world.source, "engine_slow_2");
    const activeBefore = await pausedStates(world.source);
    let interrupted = false;
    const error = await scenario.failingUp(
      "cutover",
      {
        when: new RegExp(
          `waiting for \\d+ task instances of the paused DAGs.*${SLOW_DAG_ID}/engine_slow_2/slow`,
        ),
        then: () => releaseSlowRun(world.source, "engine_slow_2"),
      },
      {
        when: /\[MetadataImport\] triggered run (i1-[0-9a-f]{8})/,
        then: () => {
          interrupted = true;
          signalPulumiUp("SIGINT");
        },
      },
    );
    assert.ok(interrupted, `the update failed before the delta import started:\n${error.slice(-3000)}`);
    const record = await scenario.stage("cutover");
    const phases = record.outputs.phases as Record<string, Record<string, unknown>>;
    const sides = await compareSides(world, scenario);
    recordFault({
      fault: "Ctrl-C of pulumi up during the delta import",
      stage: "cutover",
      outcome:
        `next up converged; ${String(phases.pause.drainedTaskInstances)} task instance(s) in flight at the pause migrated; ` +
        `runs the pause marked finished: ${JSON.stringify(phases.pause.finishedRuns)}`,
      rowsDiffering: rowsDiffering(sides.source, sides.target),
      pausedState: "paused by the cutover, as the stack records",
    });
    assert.equal(record.settled, true);
    assert.ok(Number(phases.pause.drainedTaskInstances) >= 1, JSON.stringify(phases.pause));
    for (const runId of ["engine_slow_1", "engine_slow_2"]) {
      const onTarget = await airflowOf(scenario.target).runStatus(SLOW_DAG_ID, runId);
      assert.equal(onTarget.state, "success", `${SLOW_DAG_ID} ${runId} on the target`);
    }
    const sourceAfter = await pausedStates(world.source);
    const target = await pausedStates(scenario.target);
    for (const [dagId, paused] of Object.entries(activeBefore)) {
      assert.equal(sourceAfter[dagId], true, `${dagId} is paused on the source`);
      // Accepted although it does not parse there: the target cannot list, let alone activate, it.
      if (dagId === GATE_DAG_ID) assert.equal(target[dagId], undefined);
      else assert.equal(target[dagId], paused, `${dagId} on the target is as it was on the source`);
    }
    const activation = phases.activation as { missingDags: string[] };
    assert.deepEqual(activation.missingDags, [GATE_DAG_ID]);
    assert.deepEqual(sides.differing, []);
    assert.deepEqual(sides.duplicated, []);
  });

  it("complete removes the grants; destroy then leaves the cutover as it is and the bundles to their lifecycle rule", async () => {
    const record = await scenario.stage("complete");
    assert.equal(record.settled, true);
    assert.deepEqual(await rolePolicies(executionRoleName(world.source.name)), []);
    assert.deepEqual(await rolePolicies(executionRoleName(scenario.target.name)), []);
    const sourceBefore = await pausedStates(world.source);
    const targetBefore = await pausedStates(scenario.target);

    const destroyed = await scenario.stack.destroy({ onOutput: () => undefined });
    assert.ok((destroyed.summary.resourceChanges?.delete ?? 0) > 0);
    assert.deepEqual(await pausedStates(world.source), sourceBefore, "the source stays paused");
    assert.deepEqual(await pausedStates(scenario.target), targetBefore, "the target stays active");
    const bundles = await objectKeys(MIGRATION_BUCKET, `${scenario.label}/`);
    assert.ok(
      bundles.some((k) => k.endsWith("/manifest.json")),
      "the bundles stay for the lifecycle rule",
    );
    for (const env of [world.source, scenario.target]) {
      const dagFiles = await objectKeys(env.dagBucket, "dags/mwaa_migration");
      assert.deepEqual(dagFiles, [], `no migration DAG file is left in ${env.name}'s DAG bucket`);
    }
  });
});
