/**
 * Copies one source stream to its target stream: from where a half-written target left off, a page at a
 * time, events older than the cutoff to the archive and the rest in PutLogEvents batches, then records the
 * stream as finished. Says what became of the stream; the caller keeps the counts.
 */
import { ArchiveWriter } from "./archive";
import { LogEvent, StreamBatcher } from "./batching";
import { CompletionRecords } from "./completions";
import { PageReader, fromTheStart, isMissingStream } from "./pageReader";
import { ResumeFilter, ResumePoint } from "./resume";
import { StreamPair } from "./streamNames";
import { TargetStreamWriter } from "./targetGroup";

/** copied: new target stream with events; resumed: a half-written target completed; archivedOnly: every event too old. */
export type StreamOutcome = "copied" | "resumed" | "archivedOnly" | "missing";

export interface StreamCopyParts {
  /** Reads the source group. */
  reader: PageReader;
  /** Reads the target group (where a half-written stream ends): the target side's identity. */
  targetReader: PageReader;
  sourceLogGroup: string;
  targetLogGroup: string;
  /** Events before this instant (ms) are archived, not copied. */
  cutoff: number;
  archive(pair: StreamPair, from: ResumePoint): ArchiveWriter;
  writer(pair: StreamPair, targetExists: boolean): TargetStreamWriter;
  records: CompletionRecords;
  /** True once another stream failed: stop before the next write. */
  stopped(): boolean;
  /** Called after each batch is stored; an exception from it stops this stream there. */
  batchStored(targetStream: string, events: number): void;
}

export async function copyStream(
  pair: StreamPair,
  targetExists: boolean,
  parts: StreamCopyParts,
): Promise<StreamOutcome> {
  const from = targetExists
    ? await parts.targetReader.resumePoint(parts.targetLogGroup, pair.target)
    : fromTheStart();
  const filter = new ResumeFilter(from);
  const batcher = new StreamBatcher();
  const archive = parts.archive(pair, from);
  const target = parts.writer(pair, targetExists);
  let copied = 0;
  const store = async (batch: LogEvent[] | undefined) => {
    if (!batch) return;
    if (parts.stopped()) throw new Error(`stopped copying ${pair.source}: another stream failed`);
    await target.put(batch);
    copied += batch.length;
    parts.batchStored(pair.target, batch.length);
  };
  try {
    await parts.reader.readForward(parts.sourceLogGroup, pair.source, filter.startTime, async (page) => {
      for (const event of filter.remaining(page)) {
        if (event.timestamp < parts.cutoff) await archive.add(event);
        else {
          // Archived events come first in time order; finishing their part first keeps memory to one part.
          await archive.flush();
          await store(batcher.add(event));
        }
      }
    });
    await archive.flush();
    await store(batcher.flush());
  } catch (error) {
    if (isMissingStream(error)) return "missing";
    throw new Error(
      `copying ${pair.source} to ${parts.targetLogGroup}/${pair.target} stopped after ${copied} events ` +
        `(a re-run completes it): ${String(error)}`,
    );
  }
  await parts.records.record(pair, copied);
  if (targetExists) return "resumed";
  return copied > 0 ? "copied" : "archivedOnly";
}
