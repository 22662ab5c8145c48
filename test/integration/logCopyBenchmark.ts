/**
 * Task-log copy throughput under CloudWatch Logs' GetLogEvents quota (25 calls per second per account and
 * region by default), against the most that quota allows. moto sits behind a proxy that enforces the quota
 * (a one-second sliding window) the way the service does, answering ThrottlingException beyond it.
 *
 *   source local/.state/env.sh && npx ts-node test/integration/logCopyBenchmark.ts [streams] [eventsPerStream]
 *
 * Prints one line per configured rate: streams/s, events/s, successful GetLogEvents/s and their share of the
 * quota. A stream costs at least two GetLogEvents calls (its events, then the unchanged forward token that
 * says it ended), so the quota caps the copy at 12.5 small streams per second.
 */
import { integrationInfo } from "./itEnv";
import { seedTaskLogs } from "./logFixtures";
import { startThrottlingProxy } from "./throttlingProxy";
import { copyTaskLogs } from "../../providers/taskLogs";

const QUOTA = 25;

async function main(): Promise<void> {
  const info = integrationInfo();
  const streams = Number(process.argv[2] ?? 250);
  const eventsPerStream = Number(process.argv[3] ?? 40);
  const upstream = process.env.AWS_ENDPOINT_URL;
  if (!upstream) throw new Error("AWS_ENDPOINT_URL is not set: source local/.state/env.sh first");
  console.log(
    `log-copy benchmark: ${streams} streams x ${eventsPerStream} events, GetLogEvents quota ${QUOTA}/s`,
  );
  for (const rate of [QUOTA, 2 * QUOTA]) {
    const now = Date.now();
    const seeded = await seedTaskLogs(
      info.region,
      "airflow-benchsrc-Task",
      "airflow-benchdst-Task",
      { fresh: streams, old: 0, mixed: 0, eventsPerStream, longStreamEvents: 0 },
      now,
    );
    const proxy = await startThrottlingProxy(upstream, { quotaPerSecond: QUOTA });
    process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS = proxy.url;
    const started = Date.now();
    const result = await copyTaskLogs(
      {
        region: info.region,
        sourceLogGroup: "airflow-benchsrc-Task",
        targetLogGroup: "airflow-benchdst-Task",
        sourceAirflowVersion: "2.2.5",
        targetAirflowVersion: "2.8.1",
        taskInstances: seeded.taskInstances,
        archive: { bucket: info.migrationBucket, prefix: `bench/${now}/`, kmsKeyId: info.migrationKmsKeyId },
        getLogEventsPerSecond: rate,
        parallelStreams: 16,
        s3ForcePathStyle: true,
      },
      { nowMs: now },
    );
    const seconds = (Date.now() - started) / 1000;
    delete process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS;
    await proxy.close();
    const successful = result.getLogEventsCalls - result.throttledCalls;
    const callsPerSecond = successful / seconds;
    console.log(
      `  configured ${rate}/s: ${result.streams.copied} streams, ${result.eventsCopied} events in ${seconds.toFixed(1)} s = ` +
        `${(result.streams.copied / seconds).toFixed(2)} streams/s, ${Math.round(result.eventsCopied / seconds)} events/s; ` +
        `GetLogEvents ${callsPerSecond.toFixed(1)}/s successful (${Math.round((100 * callsPerSecond) / QUOTA)}% of the quota), ` +
        `${result.throttledCalls} throttled; quota-bound best case ${(successful / QUOTA).toFixed(1)} s`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
