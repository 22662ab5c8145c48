/**
 * The target's parse of the DAG folder against the source, as pure functions. After `prepare` the
 * target has its DAG files; before history moves, every DAG active on the source should parse there.
 * A DAG that does not would receive runs the target can never schedule, and would stay paused at
 * cutover. The findings are the parse resource's outputs, and the gate's refusal is computed from them.
 */
import type { DagImportError, DagSummary } from "./airflow/client";
import { MIGRATION_DAG_IDS } from "../contract";

/** One file the target could not import: where, and the exception's last line. */
export interface ImportErrorFinding {
  file: string;
  /** The line in the file itself where the trace points last; 0 when the trace does not name one. */
  line: number;
  error: string;
}

/** A DAG active on the source that the target cannot schedule, and why. */
export interface UnparsedDag {
  dagId: string;
  file: string;
  /** "does not parse on the target: <file>:<line> <error>" or "not on the target: ..." */
  reason: string;
}

export interface ParseParity {
  /** DAGs the target lists, the migration DAGs left out. */
  parsedDags: string[];
  importErrors: ImportErrorFinding[];
  /** DAGs active on the source (unpaused; migration DAGs left out). */
  sourceActiveDags: string[];
  unparsed: UnparsedDag[];
}

/**
 * A DAG file's path relative to its DAG folder, so the source's and target's paths compare: Airflow
 * records absolute paths on 2.x (`/usr/local/airflow/dags/etl/x.py` on MWAA) and bundle-relative ones on
 * 3.x, and the two environments' folders differ.
 */
export function dagFileKey(path: string): string {
  const marker = path.lastIndexOf("/dags/");
  if (marker >= 0) return path.slice(marker + "/dags/".length);
  return path.startsWith("/") ? path.slice(path.lastIndexOf("/") + 1) : path.replace(/^\.\//, "");
}

/** The file, the line of that file the trace points at last, and the exception's last line. */
export function importErrorFinding(error: DagImportError): ImportErrorFinding {
  const file = dagFileKey(error.filename);
  const lines = error.stackTrace.split("\n").map((l) => l.trimEnd());
  let line = 0;
  for (const match of error.stackTrace.matchAll(/File "([^"]+)", line (\d+)/g)) {
    if (dagFileKey(match[1]) === file) line = Number(match[2]);
  }
  const last = [...lines].reverse().find((l) => l.trim() !== "") ?? "";
  return { file, line, error: last.trim() };
}

const isFreshSince = (time: string | undefined, since: string | undefined): boolean =>
  since === undefined || time === undefined || Date.parse(time) >= Date.parse(since);

export interface ParseObservation {
  sourceDags: readonly DagSummary[];
  targetDags: readonly DagSummary[];
  targetImportErrors: readonly DagImportError[];
  /** Only a parse at or after this time counts (the check started after the files were uploaded). */
  parsedSince?: string;
}

/**
 * The parity of the target's parse with the source. Undecided DAGs (neither parsed since `parsedSince`
 * nor failing since then) are listed apart: the wait goes on while there are any, and at its deadline
 * they count as not on the target.
 */
export function parseParity(observed: ParseObservation): ParseParity & { undecided: string[] } {
  const migration = new Set<string>(MIGRATION_DAG_IDS);
  const freshErrors = observed.targetImportErrors.filter((e) =>
    isFreshSince(e.timestamp, observed.parsedSince),
  );
  const findings = freshErrors.map(importErrorFinding).sort((a, b) => a.file.localeCompare(b.file));
  const errorByFile = new Map(findings.map((f) => [f.file, f]));
  const targetById = new Map(observed.targetDags.map((d) => [d.dagId, d]));
  const sourceActive = observed.sourceDags
    .filter((d) => !d.isPaused && !migration.has(d.dagId))
    .sort((a, b) => a.dagId.localeCompare(b.dagId));
  const unparsed: UnparsedDag[] = [];
  const undecided: string[] = [];
  for (const dag of sourceActive) {
    const file = dag.fileloc ? dagFileKey(dag.fileloc) : "";
    const failing = file ? errorByFile.get(file) : undefined;
    const onTarget = targetById.get(dag.dagId);
    if (failing) {
      unparsed.push({
        dagId: dag.dagId,
        file,
        reason: `does not parse on the target: ${failing.file}:${failing.line} ${failing.error}`,
      });
    } else if (!onTarget || !isFreshSince(onTarget.lastParsedTime, observed.parsedSince)) {
      undecided.push(dag.dagId);
    }
  }
  return {
    parsedDags: observed.targetDags
      .map((d) => d.dagId)
      .filter((id) => !migration.has(id))
      .sort(),
    importErrors: findings,
    sourceActiveDags: sourceActive.map((d) => d.dagId),
    unparsed,
    undecided,
  };
}

/** At the wait's deadline, DAGs still undecided are not on the target. */
export function settleParity(
  parity: ParseParity & { undecided: string[] },
  sourceDags: readonly DagSummary[],
): ParseParity {
  const files = new Map(sourceDags.map((d) => [d.dagId, d.fileloc ? dagFileKey(d.fileloc) : ""]));
  const missing = parity.undecided.map((dagId) => ({
    dagId,
    file: files.get(dagId) ?? "",
    reason:
      "not on the target: the target does not list it (or has not parsed it since its files were uploaded)",
  }));
  const { undecided: _undecided, ...rest } = parity;
  return {
    ...rest,
    unparsed: [...rest.unparsed, ...missing].sort((a, b) => a.dagId.localeCompare(b.dagId)),
  };
}

/**
 * Why history may not move yet: the DAGs active on the source that do not parse on the target, less
 * the ones the stack's config accepts. Empty when it may.
 */
export function parseGateRefusal(
  unparsed: readonly UnparsedDag[],
  accepted: readonly string[],
  acceptKey: string,
): string | undefined {
  const blocking = unparsed.filter((d) => !accepted.includes(d.dagId));
  if (blocking.length === 0) return undefined;
  return [
    `${blocking.length} DAG(s) active on the source do not parse on the target, so their history would land ` +
      `where they cannot run:`,
    ...blocking.map((d) => `  ${d.dagId} (${d.file || "file unknown"}): ${d.reason}`),
    `Fix the DAG files and run pulumi up at stage prepare again (or pulumi preview --refresh once the ` +
      `target has parsed them), or list the DAG ids in ${acceptKey} to move their history anyway.`,
  ].join("\n");
}

/** The parse check as lines: what the target parses, its import errors, and the source's active DAGs it lacks. */
export function describeParity(parity: ParseParity): string[] {
  const lines = [
    `the target parses ${parity.parsedDags.length} DAGs; ${parity.importErrors.length} files fail to import`,
  ];
  for (const finding of parity.importErrors) lines.push(`  ${describeFinding(finding)}`);
  lines.push(
    parity.unparsed.length === 0
      ? `all ${parity.sourceActiveDags.length} DAGs active on the source parse on the target`
      : `${parity.unparsed.length} of ${parity.sourceActiveDags.length} DAGs active on the source do not parse on the target:`,
  );
  for (const dag of parity.unparsed) lines.push(`  ${dag.dagId}: ${dag.reason}`);
  return lines;
}

const describeFinding = (f: ImportErrorFinding) => `${f.file}:${f.line} ${f.error}`;
