import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { planBatches } from "../../providers/taskLogs/batching";
import { MigratedTaskInstance } from "../../providers/taskLogs/copy";
import { LEGACY_LOG_TEMPLATE, LogTemplate, renderStreamName } from "../../providers/taskLogs/streamNames";

const DAY = 86_400_000;

export interface SeedPlan {
  /** Task instances whose logs are fresh (within the target's retention). */
  fresh: number;
  /** Task instances whose logs are all older than the target's retention (archived, not copied). */
  old: number;
  /** Task instances with fresh and old events. */
  mixed: number;
  eventsPerStream: number;
  /** One stream this long, to make GetLogEvents page. */
  longStreamEvents: number;
  /** How many consecutive events of the long stream share a timestamp (1 unless given). */
  longStreamTies?: number;
  /** The template the source's streams are named by; Airflow 2.0–2.2's unless given. */
  sourceTemplate?: LogTemplate;
  /** Every n-th fresh task instance is mapped (map index = its number); none unless given. */
  mappedEvery?: number;
  /** Every n-th fresh task instance was deferred: its last try has a triggerer stream too (Airflow 3). */
  deferredEvery?: number;
}

export interface SeededLogs {
  taskInstances: MigratedTaskInstance[];
  /** The long stream's source name and its messages in order, when there is one. */
  longStream?: { source: string; messages: string[] };
  /** The triggerer streams written, by source name. */
  triggerStreams: string[];
  expected: {
    streams: number;
    copiedStreams: number;
    archivedOnlyStreams: number;
    eventsCopied: number;
    eventsArchived: number;
    missing: number;
    filteredByState: number;
    filteredByAge: number;
  };
}

/**
 * Source and target task log groups in moto: the source written with Airflow 2.0–2.2's stream names (or the
 * plan's template, with triggerer streams for deferred tries as Airflow 3 writes them), the
 * target with a 1-day retention so that older events must be archived. Besides the planned task instances it
 * adds ones the copy must leave out (running, too old) and one whose log stream does not exist.
 */
export async function seedTaskLogs(
  region: string,
  sourceGroup: string,
  targetGroup: string,
  plan: SeedPlan,
  now: number,
): Promise<SeededLogs> {
  const logs = new CloudWatchLogsClient({ region });
  for (const group of [sourceGroup, targetGroup]) {
    await logs.send(new DeleteLogGroupCommand({ logGroupName: group })).catch(() => undefined);
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  }
  await logs.send(new PutRetentionPolicyCommand({ logGroupName: targetGroup, retentionInDays: 1 }));

  const taskInstances: MigratedTaskInstance[] = [];
  const expected = {
    streams: 0,
    copiedStreams: 0,
    archivedOnlyStreams: 0,
    eventsCopied: 0,
    eventsArchived: 0,
    missing: 0,
    filteredByState: 0,
    filteredByAge: 0,
  };
  let longStream: SeededLogs["longStream"];
  const triggerStreams: string[] = [];
  const template = plan.sourceTemplate ?? LEGACY_LOG_TEMPLATE;
  const writes: (() => Promise<void>)[] = [];
  const write = async (stream: string, events: { timestamp: number; message: string }[]) => {
    await logs.send(new CreateLogStreamCommand({ logGroupName: sourceGroup, logStreamName: stream }));
    for (const batch of planBatches(events)) {
      await logs.send(
        new PutLogEventsCommand({ logGroupName: sourceGroup, logStreamName: stream, logEvents: batch }),
      );
    }
  };
  type Kind = "fresh" | "old" | "mixed" | "long";
  const addStream = (kind: Kind, stream: string, attempt: number, eventCount: number) => {
    const events = Array.from({ length: eventCount }, (_, i) => {
      const old = kind === "old" || (kind === "mixed" && i < eventCount / 2);
      const base = old ? now - 3 * DAY : now - 2 * 60 * 60 * 1000;
      const step = kind === "long" ? Math.floor(i / (plan.longStreamTies ?? 1)) : i;
      return { timestamp: base + step * 10, message: `${stream} attempt ${attempt} line ${i} ✓` };
    });
    if (kind === "long") longStream = { source: stream, messages: events.map((event) => event.message) };
    const oldCount = events.filter((event) => event.timestamp < now - DAY).length;
    expected.streams++;
    expected.eventsArchived += oldCount;
    expected.eventsCopied += events.length - oldCount;
    if (oldCount === events.length) expected.archivedOnlyStreams++;
    else expected.copiedStreams++;
    writes.push(() => write(stream, events));
  };
  const add = (kind: Kind, index: number, eventCount: number) => {
    const ended = kind === "old" ? now - 3 * DAY : now - 60 * 60 * 1000;
    const logicalDate = new Date(ended - 10 * 60 * 1000 + index * 1000).toISOString();
    const ti: MigratedTaskInstance = {
      dagId: `logs_${kind}`,
      taskId: `task_${index % 7}`,
      runId: `scheduled__${logicalDate.slice(0, 19)}+00:00`,
      mapIndex: kind === "fresh" && plan.mappedEvery && index % plan.mappedEvery === 1 ? index : -1,
      tryNumber: kind === "fresh" && index % 5 === 0 ? 2 : 1,
      state: index % 9 === 0 ? "failed" : "success",
      logicalDate,
      endDate: new Date(ended).toISOString(),
    };
    taskInstances.push(ti);
    const deferred = kind === "fresh" && plan.deferredEvery !== undefined && index % plan.deferredEvery === 0;
    for (let attempt = 1; attempt <= ti.tryNumber; attempt++) {
      const stream = renderStreamName({ ...ti, tryNumber: attempt }, template);
      addStream(kind, stream, attempt, eventCount);
      if (deferred && attempt === ti.tryNumber) {
        // Airflow 3's triggerer writes a deferred try's trigger log beside it, suffixed with its job id.
        const triggerer = `${stream}.trigger.${40 + index}.log`;
        triggerStreams.push(triggerer);
        addStream(kind, triggerer, attempt, eventCount);
      }
    }
  };
  for (let i = 0; i < plan.fresh; i++) add("fresh", i, plan.eventsPerStream);
  for (let i = 0; i < plan.old; i++) add("old", i, plan.eventsPerStream);
  for (let i = 0; i < plan.mixed; i++) add("mixed", i, plan.eventsPerStream);
  if (plan.longStreamEvents > 0) add("long", 0, plan.longStreamEvents);
  // Limit parallel writes to moto.
  for (let i = 0; i < writes.length; i += 20)
    await Promise.all(writes.slice(i, i + 20).map((start) => start()));

  const recent = new Date(now - 60 * 60 * 1000).toISOString();
  const leftOut = (dagId: string, state: string, endDate: string): MigratedTaskInstance => ({
    dagId,
    taskId: "t",
    runId: "manual__x",
    mapIndex: -1,
    tryNumber: 1,
    state,
    logicalDate: endDate,
    endDate,
  });
  taskInstances.push(leftOut("logs_running", "running", recent));
  expected.filteredByState++;
  taskInstances.push(leftOut("logs_ancient", "success", new Date(now - 100 * DAY).toISOString()));
  expected.filteredByAge++;
  taskInstances.push(leftOut("logs_missing", "success", recent));
  expected.streams++;
  expected.missing++;
  logs.destroy();
  return { taskInstances, expected, longStream, triggerStreams };
}
