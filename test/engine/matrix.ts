/**
 * The fault matrix the engine layer prints: each fault a test threw at a migration through the
 * engine, with the stage, what came of it, the rows the target differs by, and the source's paused
 * state afterwards.
 */
import type { DatabaseSnapshot } from "../../rehearsal/report";

export interface MatrixRow {
  fault: string;
  stage: string;
  outcome: string;
  rowsDiffering: number;
  pausedState: string;
}

/** How many rows differ between two snapshots, over the tables both count. */
export function rowsDiffering(a: DatabaseSnapshot, b: DatabaseSnapshot): number {
  return Object.keys(a.tables).reduce(
    (sum, table) => sum + Math.abs(a.tables[table] - (b.tables[table] ?? 0)),
    0,
  );
}

/** "as before", or the DAGs whose paused state differs from the one recorded before the faults. */
export function pausedStateAgainst(before: DatabaseSnapshot, now: DatabaseSnapshot): string {
  const changed = Object.keys({ ...before.dags, ...now.dags }).filter(
    (dag) => before.dags[dag]?.isPaused !== now.dags[dag]?.isPaused,
  );
  return changed.length === 0 ? "as before" : `changed: ${changed.join(", ")}`;
}

export function printMatrix(rows: MatrixRow[]): void {
  const header: MatrixRow = {
    fault: "fault",
    stage: "stage",
    outcome: "outcome",
    rowsDiffering: -1,
    pausedState: "source paused state",
  };
  const cells = (r: MatrixRow) => [
    r.fault,
    r.stage,
    r.outcome,
    r === header ? "rows differing" : String(r.rowsDiffering),
    r.pausedState,
  ];
  const all = [header, ...rows].map(cells);
  const widths = all[0].map((_, i) => Math.max(...all.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i])).join(" | ")} |`;
  console.log(
    [
      "",
      "Fault matrix",
      line(all[0]),
      `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
      ...all.slice(1).map(line),
    ].join("\n"),
  );
}

const rows: MatrixRow[] = [];

export function recordFault(row: MatrixRow): void {
  rows.push(row);
}

export function recordedFaults(): MatrixRow[] {
  return rows;
}
