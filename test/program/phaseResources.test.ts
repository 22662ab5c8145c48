/**
 * The real program under mocks, one preview per stage: which export/import/cutover resources a
 * reviewer sees, under which names, in which order, and with which inputs. The table this test
 * prints is the one in the README's "Dynamic resources" section.
 */
import { strict as assert } from "assert";
import { loadDevConfig, RecordedResource, runStack } from "../support/stackUnderMocks";

const MODULE_PREFIX = "pulumi-nodejs:dynamic/mwaa-migration:";

function migrationWork(resources: RecordedResource[]): RecordedResource[] {
  return resources.filter((r) => r.type.startsWith(MODULE_PREFIX));
}

const describeResource = (r: RecordedResource) => `${r.type.slice(MODULE_PREFIX.length)} ${r.name}`;

async function stage(name: string): Promise<RecordedResource[]> {
  return migrationWork(await runStack({ ...loadDevConfig(), "mwaa-migration:stage": name }));
}

describe("stages as named resources in a preview (mocks)", function () {
  this.timeout(300_000);
  const seen: Record<string, string[]> = {};

  after(() => {
    // The README table: one row per stage.
    console.log("\n| stage | dynamic resources in the preview |\n|---|---|");
    for (const [name, resources] of Object.entries(seen))
      console.log(`| \`${name}\` | ${resources.map((r) => `\`${r}\``).join(", ") || "none"} |`);
  });

  it("prepare moves no data; it checks that the target parses the DAGs active on the source", async () => {
    const resources = await stage("prepare");
    seen.prepare = resources.map(describeResource);
    assert.deepEqual(seen.prepare, ["TargetDagParse dev-migration-dag-parse"]);
    const [parse] = resources;
    assert.equal(parse.inputs.airflow.environmentName, "airflow-2-11");
    assert.equal(parse.inputs.sourceAirflow.environmentName, "legacy-airflow");
    assert.match(parse.inputs.dagFiles["daily_sales_report.py"], /^[0-9a-f]{64}$/);
  });

  it("bulk exports from the running source and imports into the target", async () => {
    const resources = await stage("bulk");
    seen.bulk = resources.map(describeResource);
    assert.deepEqual(seen.bulk, [
      "TargetDagParse dev-migration-dag-parse",
      "DagParseGate dev-migration-dag-parse-gate",
      "MetadataExport dev-migration-bulk-export",
      "MetadataImport dev-migration-bulk-import",
    ]);
    const [parse, gate, exp, imp] = resources;
    assert.ok(gate.dependencies?.includes(parse.urn), "the gate reads the parse check's findings");
    assert.ok(exp.dependencies?.includes(gate.urn), "nothing moves before the gate");
    assert.deepEqual(gate.inputs.accepted, []);
    assert.equal(exp.inputs.phase, "bulk");
    assert.deepEqual(exp.inputs.airflow, {
      kind: "mwaa",
      environmentName: "legacy-airflow",
      airflowVersion: "2.8.1",
      region: "us-east-1",
    });
    assert.match(exp.inputs.dagFolder, /^s3:\/\/[a-z0-9.-]+\/dags$/);
    assert.equal(imp.inputs.airflow.environmentName, "airflow-2-11");
    assert.match(imp.inputs.dagFolder, /^s3:\/\/.+\/dags$/);
    assert.equal(exp.inputs.prefix, "migration");
    assert.match(exp.inputs.payloadDigest, /^[0-9a-f]{64}$/);
    // The source is MWAA, so the import copies its task logs into the target's group.
    assert.match(imp.inputs.taskLogs.sourceLogGroup, /log-group:airflow-legacy-airflow-Task/);
    assert.match(imp.inputs.taskLogs.targetLogGroup, /airflow-2-11-Task/);
  });

  it("cutover pauses the source, exports the delta, imports it, then activates the target", async () => {
    const resources = await stage("cutover");
    seen.cutover = resources.map(describeResource);
    assert.deepEqual(seen.cutover, [
      "TargetDagParse dev-migration-dag-parse",
      "DagParseGate dev-migration-dag-parse-gate",
      "MetadataExport dev-migration-bulk-export",
      "MetadataImport dev-migration-bulk-import",
      "MigrationDagStaging dev-migration-cutover-stage-export",
      "MigrationDagStaging dev-migration-cutover-stage-import",
      "CutoverSourcePause dev-migration-cutover-pause",
      "MetadataExport dev-migration-delta-export",
      "MetadataImport dev-migration-delta-import",
      "CutoverTargetActivation dev-migration-cutover-activation",
    ]);
    const gate = resources.find((r) => r.name === "dev-migration-dag-parse-gate")!;
    const pause = resources.find((r) => r.name === "dev-migration-cutover-pause")!;
    assert.ok(pause.dependencies?.includes(gate.urn), "the source is not paused before the gate");
    // The migration DAGs are delivered and parsed while the source still runs, not in the freeze window.
    for (const [phase, kind, environment] of [
      ["export", "export", "legacy-airflow"],
      ["import", "import", "airflow-2-11"],
    ]) {
      const staging = resources.find((r) => r.name === `dev-migration-cutover-stage-${phase}`)!;
      assert.ok(pause.dependencies?.includes(staging.urn), `the pause waits for the ${phase} DAG's staging`);
      assert.equal(staging.inputs.kind, kind);
      assert.equal(staging.inputs.airflow.environmentName, environment);
      assert.match(staging.inputs.dagFolder, /^s3:\/\/.+\/dags$/);
    }
    const delta = resources.find((r) => r.name === "dev-migration-delta-export")!;
    assert.equal(delta.inputs.phase, "delta");
  });

  it("complete moves no data and keeps the cutover switches (deleting them would undo the cutover)", async () => {
    seen.complete = (await stage("complete")).map(describeResource);
    assert.deepEqual(seen.complete, [
      "CutoverSourcePause dev-migration-cutover-pause",
      "CutoverTargetActivation dev-migration-cutover-activation",
    ]);
  });
});
