/**
 * The command's table, one per pipeline: every object with what became of it (converted,
 * approximated with why, not converted with why), then the counts and the connections to create.
 */

import { DagPlan, Status } from "./plan";

const ORDER: Status[] = ["converted", "approximated", "not converted"];

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

export function counts(plan: DagPlan): Record<Status, number> {
  const result: Record<Status, number> = { converted: 0, approximated: 0, "not converted": 0 };
  for (const o of plan.outcomes) result[o.status]++;
  return result;
}

export function conversionTable(plan: DagPlan, file?: string): string {
  const rows = plan.outcomes.map((o) => [
    o.objectId,
    o.type,
    o.status,
    [o.tasks.join(", "), o.detail].filter(Boolean).join(": "),
  ]);
  const header = ["object", "type", "result", "tasks: detail"];
  const widths = [0, 1, 2].map((i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => [0, 1, 2].map((i) => pad(r[i], widths[i])).join("  ") + "  " + r[3];
  const c = counts(plan);
  const lines = [
    `== ${plan.dagId} (${plan.source})${file ? ` -> ${file}` : ""}, Airflow ${plan.airflowVersion}`,
    line(header),
    ...ORDER.flatMap((status) => rows.filter((r) => r[2] === status).map(line)),
    ORDER.map((s) => `${c[s]} ${s}`).join(", "),
  ];
  for (const conn of plan.connections) {
    lines.push(
      `connection to create: ${conn.connId} (${conn.connType}) from ${conn.fromObject}: ${conn.detail}`,
    );
  }
  return lines.join("\n");
}
