/**
 * The fault matrix's bulk rows: faults AWS and Airflow can throw at the bulk stage, each during a
 * `pulumi up` run by the real engine, one after the other on the walk's migration before its bulk
 * stage converges. After each failed update the target must be unchanged and the source's paused
 * state as before; the next update (with the next fault, and finally with none) resumes the work.
 * Registered by migration.e2e.ts between its prepare and bulk tests, so the faults and the walk share
 * one stack, one target and one bulk convergence.
 */
import { strict as assert } from "node:assert";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { DatabaseSnapshot } from "../../rehearsal/report";
import type { FaultRule } from "../support/faultProxy";
import { allProcesses, taskRunnerOf } from "./processTree";
import { pausedStateAgainst, recordFault, rowsDiffering, type MatrixRow } from "./matrix";
import { MIGRATION_BUCKET, Scenario, snapshotOf, type OutputCue, type World } from "./world";

const PAYLOAD = /Boto3|Botocore/i;
const IMPORT_DAG = "mwaa_migration_import";

export interface BulkFaultContext {
  world: World;
  scenario: Scenario;
  /** The target and the source as they were before the first bulk update. */
  targetBefore: DatabaseSnapshot;
  sourceBefore: DatabaseSnapshot;
}

/** Registers the bulk stage's failing updates as tests, in order, at the caller's place in its suite. */
export function bulkFaultTests(context: () => BulkFaultContext): void {
  /** One failed update under a fault: the target unchanged, the source's paused state as before. */
  async function failsCleanly(
    fault: string,
    rule: FaultRule | undefined,
    expected: RegExp,
    during?: OutputCue,
  ): Promise<string> {
    const { world, scenario, targetBefore, sourceBefore } = context();
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
      rowsDiffering: rowsDiffering(targetBefore, target),
      pausedState: pausedStateAgainst(sourceBefore, source),
    };
    recordFault(row);
    assert.match(error, expected);
    assert.equal(row.rowsDiffering, 0, `the target changed under "${fault}"`);
    assert.equal(row.pausedState, "as before");
    return error;
  }

  /** The migration's table streams in the bundle, as the proxy sees their paths. */
  const tableStreams = () => new RegExp(`/${context().scenario.label}/.*/tables/`);

  it("S3 answers 500 InternalError to every upload of the export: the update fails, nothing reaches the target", async () => {
    await failsCleanly(
      "S3 500 InternalError on the export's uploads",
      {
        service: "s3",
        method: /^(PUT|POST)$/,
        path: tableStreams(),
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
        path: tableStreams(),
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
              const runner = context().world.proxy.counts.matched > 0 ? taskRunnerOf(IMPORT_DAG) : undefined;
              if (runner) {
                process.kill(runner.pid, "SIGKILL");
                killed = runner.args.join(" ");
                context().world.say(`killed the import's task runner: ${killed}`);
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
    const { scenario } = context();
    const exported = (await scenario.stack.exportStack()).deployment.resources.find((r: { urn: string }) =>
      r.urn.endsWith("::rehearsal-bulk-export"),
    );
    const exportId = String(exported?.outputs?.exportId);
    const key = `${scenario.label}/${exportId}/tables/dag_run.csv.gz`;
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
}
