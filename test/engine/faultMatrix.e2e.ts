/**
 * The fault matrix: faults AWS and Airflow can throw at a migration, each during a `pulumi up` run by
 * the real engine on the local stack, one after the other on one migration's bulk stage. After each
 * failed update the target must be unchanged and the source's paused state as before, and the next
 * update (with the next fault, and finally with none) resumes the work; at the end the target holds
 * every row of the source once. Prints the matrix as a table.
 */
import { strict as assert } from "node:assert";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { TaskLogCopyResult } from "../../providers";
import type { DatabaseSnapshot } from "../../rehearsal/report";
import type { FaultRule } from "../support/faultProxy";
import { allProcesses, taskRunnerOf } from "./processTree";
import { pausedStateAgainst, recordFault, rowsDiffering, type MatrixRow } from "./matrix";
import { MIGRATION_BUCKET, Scenario, snapshotOf, startWorld, type OutputCue, type World } from "./world";

const PAYLOAD = /Boto3|Botocore/i;
const IMPORT_DAG = "mwaa_migration_import";

describe("the fault matrix, through the real Pulumi engine", function () {
  this.timeout(1_800_000);
  let world: World;
  let scenario: Scenario;
  let beforeBulk: DatabaseSnapshot;
  let sourceBefore: DatabaseSnapshot;

  before(async () => {
    world = await startWorld();
    scenario = await Scenario.open(world, "faults");
    const prepared = await scenario.stage("prepare");
    assert.equal(prepared.settled, true);
    beforeBulk = await snapshotOf(scenario.target.name);
    sourceBefore = await snapshotOf(world.source.name);
  });
  after(async () => {
    await scenario?.close();
  });

  /** One failed update under a fault: the target unchanged, the source's paused state as before. */
  async function failsCleanly(
    fault: string,
    rule: FaultRule | undefined,
    expected: RegExp,
    during?: OutputCue,
  ): Promise<string> {
    if (rule) world.proxy.arm(rule);
    let error: string;
    try {
      error = await scenario.failingUp("bulk", ...(during ? [during] : []));
    } finally {
      world.proxy.disarm();
    }
    const target = await snapshotOf(scenario.target.name);
    const source = await snapshotOf(world.source.name);
    const row: MatrixRow = {
      fault,
      stage: "bulk",
      outcome: "up failed; target unchanged",
      rowsDiffering: rowsDiffering(beforeBulk, target),
      pausedState: pausedStateAgainst(sourceBefore, source),
    };
    recordFault(row);
    assert.match(error, expected);
    assert.equal(row.rowsDiffering, 0, `the target changed under "${fault}"`);
    assert.equal(row.pausedState, "as before");
    return error;
  }

  it("S3 answers 500 InternalError to every upload of the export: the update fails, nothing reaches the target", async () => {
    await failsCleanly(
      "S3 500 InternalError on the export's uploads",
      {
        service: "s3",
        method: /^(PUT|POST)$/,
        path: /\/faults\/.*\/tables\//,
        userAgent: PAYLOAD,
        fault: { kind: "error", status: 500, code: "InternalError" },
      },
      /MetadataExport.*(failed|InternalError)/s,
    );
  });

  it("S3 throttles (503 SlowDown) every read of a table stream by the import: it fails, the target unchanged", async () => {
    await failsCleanly(
      "S3 503 SlowDown on the import's stream reads",
      {
        service: "s3",
        method: /^GET$/,
        path: /\/faults\/.*\/tables\//,
        userAgent: PAYLOAD,
        fault: { kind: "error", status: 503, code: "SlowDown" },
      },
      /MetadataImport.*failed/s,
    );
  });

  it("the import's Airflow worker is killed mid-transaction: the transaction rolls back, the target unchanged", async () => {
    let killed = "";
    // A stream read held for a while keeps the import inside its transaction while the worker is killed.
    const error = await failsCleanly(
      "import worker SIGKILLed mid-transaction",
      {
        service: "s3",
        method: /^GET$/,
        path: /\/tables\/xcom\./,
        userAgent: PAYLOAD,
        fault: { kind: "delay", ms: 60_000 },
      },
      /MetadataImport.*failed/s,
      {
        when: /\[MetadataImport\] triggered run/,
        then: () => {
          void (async () => {
            for (let i = 0; i < 240 && !killed; i++) {
              const runner = world.proxy.counts.matched > 0 ? taskRunnerOf(IMPORT_DAG) : undefined;
              if (runner) {
                process.kill(runner.pid, "SIGKILL");
                killed = runner.args.join(" ");
                world.say(`killed the import's task runner: ${killed}`);
              } else await new Promise((r) => setTimeout(r, 500));
            }
          })();
        },
      },
    );
    const airflowProcesses = allProcesses()
      .map((entry) => entry.args.join(" "))
      .filter((command) => /airflow/.test(command));
    assert.ok(
      killed,
      `the import's task runner was found and killed while it read the bundle; Airflow processes now:\n` +
        airflowProcesses.join("\n") +
        `\nthe update's error:\n${error.slice(0, 3000)}`,
    );
  });

  it("a truncated table stream in the bundle: the checksum refuses it and names the table, the target unchanged", async () => {
    const s3 = new S3Client({ forcePathStyle: true });
    const exported = (await scenario.stack.exportStack()).deployment.resources.find((r: { urn: string }) =>
      r.urn.endsWith("::rehearsal-bulk-export"),
    );
    const exportId = String(exported?.outputs?.exportId);
    const key = `faults/${exportId}/tables/dag_run.jsonl.gz`;
    const original = Buffer.from(
      await (
        await s3.send(new GetObjectCommand({ Bucket: MIGRATION_BUCKET, Key: key }))
      ).Body!.transformToByteArray(),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: MIGRATION_BUCKET,
        Key: key,
        Body: original.subarray(0, Math.floor(original.length / 2)),
      }),
    );
    try {
      await failsCleanly("a truncated stream in the bundle", undefined, /dag_run/);
    } finally {
      await s3.send(new PutObjectCommand({ Bucket: MIGRATION_BUCKET, Key: key, Body: original }));
      s3.destroy();
    }
  });

  it("CloudWatch Logs throttles every third GetLogEvents: the copy slows down, and the update converges with every row once", async () => {
    world.proxy.arm({
      service: "logs",
      operation: "GetLogEvents",
      every: 3,
      fault: { kind: "error", status: 400, code: "ThrottlingException" },
    });
    let record;
    try {
      record = await scenario.stage("bulk");
    } finally {
      world.proxy.disarm();
    }
    const throttled = world.proxy.counts.faulted;
    const phases = record.outputs.phases as Record<string, Record<string, unknown>>;
    const copy = phases.bulkImport.taskLogCopy as TaskLogCopyResult;
    const [source, target] = await Promise.all([
      snapshotOf(world.source.name),
      snapshotOf(scenario.target.name),
    ]);
    const duplicated = Object.entries(target.duplicates ?? {}).filter(
      ([t, n]) => n > (source.duplicates?.[t] ?? 0),
    );
    recordFault({
      fault: `CloudWatch ThrottlingException on every 3rd GetLogEvents (${throttled} throttled)`,
      stage: "bulk",
      outcome: `converged on attempt ${String(phases.bulkImport.attempt)}; log streams ${copy.streams.copied + copy.streams.skipped + (copy.streams.resumed ?? 0)} of ${copy.streams.total}, ${copy.throttledCalls} reads throttled`,
      rowsDiffering: rowsDiffering(source, target),
      pausedState: pausedStateAgainst(sourceBefore, source),
    });
    assert.ok(throttled > 0, "the proxy throttled some reads");
    assert.equal(copy.streams.missing, 0);
    assert.equal(
      copy.streams.copied + copy.streams.skipped + (copy.streams.resumed ?? 0),
      copy.streams.total,
    );
    assert.equal(record.settled, true);
    assert.equal(rowsDiffering(source, target), 0, "the target holds every row of the source");
    assert.deepEqual(duplicated, [], "no row arrived twice");
  });
});
