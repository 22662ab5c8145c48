/**
 * Waiting with a deadline and telling the operator what is happening. A dynamic provider has no
 * engine connection for pulumi.log and customTimeouts do not apply to it, so every wait carries
 * its own deadline and writes plain progress lines, which the CLI shows as the resource's output.
 */

/**
 * What the migration DAGs log after each table:
 * `exported <table> <rows> rows ...` and `imported <table> <staged> staged <inserted> inserted ...`.
 */
export interface TableProgress {
  table: string;
  rows: number;
}

const PROGRESS_LINE = /(?:exported|imported)\s+([A-Za-z0-9_]+)\s+(\d+) (?:rows|staged)/g;

/** The last table progress mentioned in a task log tail, if any. */
export function lastTableProgress(logTail: string): TableProgress | undefined {
  let last: TableProgress | undefined;
  for (const match of logTail.matchAll(PROGRESS_LINE)) {
    last = { table: match[1], rows: Number(match[2]) };
  }
  return last;
}

export function formatElapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

export interface ProgressLine {
  resource: string;
  runId: string;
  state: string;
  task?: string;
  table?: TableProgress;
  elapsedMs: number;
}

export function formatProgress(line: ProgressLine): string {
  const parts = [`[${line.resource}] ${line.runId}: ${line.state}`];
  if (line.task) parts.push(`task ${line.task}`);
  if (line.table) parts.push(`table ${line.table.table}`, `${line.table.rows.toLocaleString("en-US")} rows`);
  parts.push(`${formatElapsed(line.elapsedMs)} elapsed`);
  return parts.join(" · ");
}
