/**
 * What `npm run check-dags` finds, and how it is shown: one finding per problem, each in a category,
 * each either blocking the move (the DAG or the environment will not work on the target) or a warning
 * (works on the target, but deprecated or worth a look). A table per category, and the exit code.
 */

export const CATEGORIES = [
  "upgrade rules",
  "parse",
  "templates",
  "configuration",
  "requirements",
  "plugins",
] as const;
export type Category = (typeof CATEGORIES)[number];

export type Severity = "blocks" | "warns";

export interface Finding {
  category: Category;
  severity: Severity;
  /** Relative to the DAG folder (or the requirements file, the plugins.zip member). */
  file?: string;
  line?: number;
  /** A ruff rule code, a context key, a configuration option, a package name. */
  rule?: string;
  message: string;
  /** What to change, when known: ruff's suggested fix, the option's replacement, the move to make. */
  fix?: string;
}

/** What a category checked, for the table's heading: e.g. "ruff 0.17.6, AIR301 AIR302 ...". */
export interface CategoryNote {
  category: Category;
  note: string;
  /** The category was not run (no input, or not applicable to this move). */
  skipped?: boolean;
}

export interface Report {
  targetVersion: string;
  sourceVersion?: string;
  dagsFolder: string;
  notes: CategoryNote[];
  /** DAG ids per file that parsed on the target. */
  dags: Record<string, string[]>;
  findings: Finding[];
  blocked: boolean;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

/** Findings ordered by file, line, then blocking before warning. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      (a.file ?? "").localeCompare(b.file ?? "") ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.severity === b.severity ? 0 : a.severity === "blocks" ? -1 : 1) ||
      (a.rule ?? "").localeCompare(b.rule ?? ""),
  );
}

export function isBlocked(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === "blocks");
}

function place(f: Finding): string | undefined {
  return f.file ? `${f.file}${f.line ? `:${f.line}` : ""}` : undefined;
}

/**
 * Findings for the table: a warning repeated word for word in several places (ruff's "airflow.DAG
 * moved to airflow.sdk" on every DAG, say) becomes one row listing the places; blocking findings keep
 * a row each.
 */
export function collapseWarnings(findings: readonly Finding[]): { finding: Finding; places: string[] }[] {
  const rows: { finding: Finding; places: string[] }[] = [];
  const groups = new Map<string, { finding: Finding; places: string[] }>();
  for (const f of findings) {
    const where = place(f);
    if (f.severity === "warns") {
      const key = JSON.stringify([f.rule, f.message, f.fix]);
      const group = groups.get(key);
      if (group) {
        if (where && !group.places.includes(where)) group.places.push(where);
        continue;
      }
      const row = { finding: f, places: where ? [where] : [] };
      groups.set(key, row);
      rows.push(row);
    } else {
      rows.push({ finding: f, places: where ? [where] : [] });
    }
  }
  // Blocking rows first, each group in file order.
  return [
    ...rows.filter((r) => r.finding.severity === "blocks"),
    ...rows.filter((r) => r.finding.severity !== "blocks"),
  ];
}

/** One table: location, severity, rule, then the message with its fix. */
export function categoryTable(category: Category, findings: readonly Finding[], note?: CategoryNote): string {
  const own = sortFindings(findings.filter((f) => f.category === category));
  const blocking = own.filter((f) => f.severity === "blocks").length;
  const heading = `== ${category}${note ? ` (${note.note})` : ""}`;
  if (note?.skipped) return heading;
  if (own.length === 0) return `${heading}\nnothing found`;
  const rows = collapseWarnings(own).map(({ finding: f, places }) => [
    places.length > 1 ? `${places.length} places` : (places[0] ?? "-"),
    f.severity,
    f.rule ?? "",
    f.message + (f.fix ? `\n-> ${f.fix}` : "") + (places.length > 1 ? `\nat ${places.join(", ")}` : ""),
  ]);
  const header = ["where", "result", "rule", "message / fix"];
  const widths = [0, 1, 2].map((i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const indent = " ".repeat(widths[0] + widths[1] + widths[2] + 6);
  const line = (r: string[]) =>
    [0, 1, 2].map((i) => pad(r[i], widths[i])).join("  ") + "  " + r[3].split("\n").join(`\n${indent}`);
  return [
    heading,
    line(header),
    ...rows.map(line),
    `${blocking} blocking, ${own.length - blocking} warning${own.length - blocking === 1 ? "" : "s"}`,
  ].join("\n");
}

/** Every category's table, the DAGs that parsed, and one closing verdict. */
export function reportText(report: Report): string {
  const parts = [
    `check-dags: ${report.dagsFolder} for Airflow ${report.targetVersion}` +
      (report.sourceVersion ? ` (from ${report.sourceVersion})` : ""),
  ];
  for (const category of CATEGORIES) {
    const note = report.notes.find((n) => n.category === category);
    parts.push(categoryTable(category, report.findings, note));
  }
  const files = Object.keys(report.dags).sort();
  const dagCount = files.reduce((n, f) => n + report.dags[f].length, 0);
  parts.push(`${dagCount} DAG(s) in ${files.length} file(s) parsed on Airflow ${report.targetVersion}`);
  const blocking = report.findings.filter((f) => f.severity === "blocks").length;
  const warnings = report.findings.length - blocking;
  parts.push(
    report.blocked
      ? `BLOCKED: ${blocking} finding(s) to fix before moving to Airflow ${report.targetVersion}, ${warnings} warning(s)`
      : `OK: nothing blocks the move to Airflow ${report.targetVersion}, ${warnings} warning(s)`,
  );
  return parts.join("\n\n");
}
