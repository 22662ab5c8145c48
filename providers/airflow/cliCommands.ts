/**
 * Airflow CLI commands sent through MWAA's `/aws_mwaa/cli` endpoint, and the parsing of their output. The body
 * of that request is one command line without the leading `airflow`; arguments are quoted shell-style so a
 * run conf in JSON arrives intact.
 */

/** Quotes one argument for a POSIX shell-style word splitter; plain words stay as they are. */
export function quoteCliArg(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function cliCommand(args: string[]): string {
  return args.map(quoteCliArg).join(" ");
}

const major = (airflowVersion: string) => Number.parseInt(airflowVersion, 10);

export const cliCommands = {
  version: () => ["version"],
  listDags: () => ["dags", "list", "--output", "json"],
  importErrors: () => ["dags", "list-import-errors", "--output", "json"],
  setPaused: (dagId: string, paused: boolean) => ["dags", paused ? "pause" : "unpause", dagId],
  trigger: (dagId: string, runId: string, conf: Record<string, unknown>) => [
    "dags",
    "trigger",
    "--run-id",
    runId,
    "--conf",
    JSON.stringify(conf),
    dagId,
  ],
  /** 2.x takes the DAG with `-d`; 3.x takes it as a positional argument. */
  listRuns: (dagId: string, airflowVersion: string) =>
    major(airflowVersion) >= 3
      ? ["dags", "list-runs", dagId, "--output", "json"]
      : ["dags", "list-runs", "--dag-id", dagId, "--output", "json"],
  taskStates: (dagId: string, runId: string) => [
    "tasks",
    "states-for-dag-run",
    dagId,
    runId,
    "--output",
    "json",
  ],
};

/**
 * The JSON array in a CLI command's stdout. Airflow may print warnings or banner lines before the table, so
 * the array is taken from the last line that starts with `[`.
 */
export function jsonRowsFromStdout(stdout: string, command: string): Record<string, unknown>[] {
  const lines = stdout.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].trimStart().startsWith("[")) continue;
    try {
      const parsed: unknown = JSON.parse(lines.slice(i).join("\n"));
      if (Array.isArray(parsed)) return parsed as Record<string, unknown>[];
    } catch {
      // a bracket that does not open the table; keep looking further up
    }
  }
  if (/no data found/i.test(stdout) || stdout.trim() === "") return [];
  throw new Error(`the output of "airflow ${command}" has no JSON table: ${stdout.slice(0, 300)}`);
}

/** `dags list` prints the paused flag as a JSON boolean or, in some versions, as the string "True"/"False". */
export function parsePaused(value: unknown): boolean {
  return value === true || String(value).toLowerCase() === "true";
}

export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * What `dags pause|unpause` printed. Up to 2.8 it prints `Dag: <id>, paused: True`; from 2.9 a table row
 * `<id> | True`, or `No paused DAGs were found` when nothing matched: a DAG already in that state, or no such
 * DAG at all, which the caller tells apart by listing the DAGs.
 */
export function pauseOutcome(stdout: string, dagId: string): "changed" | "nothing-matched" | "unknown" {
  const row = new RegExp(`^\\s*${escapeRegExp(dagId)}\\s*\\|\\s*(True|False)\\s*$`, "im");
  if (/paused: (True|False)/i.test(stdout) || row.test(stdout)) return "changed";
  if (/No (un)?paused DAGs were found/i.test(stdout)) return "nothing-matched";
  return "unknown";
}

/** Why a CLI command's output means failure, or undefined when it succeeded. See `MwaaCliClient.run`. */
export function cliFailure(output: { stdout: string; stderr: string }, expect?: RegExp): string | undefined {
  const complaints = output.stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/warning|warn\(/i.test(line));
  const detail = complaints.slice(-3).join(" | ") || output.stdout.trim().slice(0, 300) || "no output";
  if (expect && !expect.test(output.stdout)) return detail;
  if (output.stdout.trim() === "" && complaints.length > 0) return detail;
  return undefined;
}
