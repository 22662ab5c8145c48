/**
 * The report's three renderings from one Report value: a terminal summary, a self-contained HTML
 * page (inline CSS, no scripts, no external resources) and JSON. Pure functions.
 */
import { CATEGORIES, categoryTable } from "../compat";
import { describeParity } from "../providers";
import { type DagRow, type Report, type TableRow, rowsPerSecond, timeline } from "./report";
import { boundedLines, taskSummary, type PipelineRun } from "./pipelines";

export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return "n/a";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

const n = (value: number) => value.toLocaleString("en-US");

const pausedWord = (paused: boolean | null) => (paused === null ? "absent" : paused ? "paused" : "active");

/** Which columns hold only numbers (they are right-aligned). */
export function numericColumns(header: readonly string[], rows: readonly string[][]): boolean[] {
  return header.map((_, i) => rows.length > 0 && rows.every((r) => /^[\d,.\s]+$/.test(r[i])));
}

/** A plain-text table with right-aligned numbers. */
export function textTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = numericColumns(header, rows);
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

/** The check-dags section: its verdict, then each category that found something. */
function compatibilityText(report: Report): string | undefined {
  const result = report.dagCompatibility;
  if (!result) return undefined;
  if ("error" in result) return `DAG compatibility (check-dags) could not run: ${result.error}`;
  const blocking = result.findings.filter((f) => f.severity === "blocks").length;
  const lines = [
    `DAG compatibility (check-dags, Airflow ${result.targetVersion}${result.sourceVersion ? ` from ${result.sourceVersion}` : ""}): ` +
      `${blocking} blocking, ${result.findings.length - blocking} warnings` +
      (blocking ? "; the DAGs named below will not run on the target as they are" : ""),
  ];
  for (const category of CATEGORIES)
    if (result.findings.some((f) => f.category === category))
      lines.push(
        categoryTable(
          category,
          result.findings,
          result.notes.find((n) => n.category === category),
        ),
      );
  return lines.join("\n");
}

const TABLE_HEADER = ["table", "exported", "imported", "skipped", "not held by target"];

function tableCells(row: TableRow): string[] {
  return [row.table, n(row.exported), n(row.imported), n(row.skipped), n(row.notHeld)];
}

/** Why the target does not hold some tables: one line per table, after the table. */
function notHeldLines(report: Report): string[] {
  return report.tables
    .filter((row) => row.notHeld > 0)
    .map(
      (row) =>
        `${row.table}: ${row.notHeld} rows not held by the target: ${row.notHeldReason ?? "no reason given"}`,
    );
}

function dagCells(row: DagRow): string[] {
  return [
    row.dagId,
    n(row.runsBefore),
    n(row.runsAfter),
    // A bundle's source is known only as the manifest saw it.
    row.pausedOnSourceAfter === null
      ? pausedWord(row.pausedOnSourceBefore)
      : `${pausedWord(row.pausedOnSourceBefore)} -> ${pausedWord(row.pausedOnSourceAfter)}`,
    pausedWord(row.pausedOnTarget),
  ];
}

function title(report: Report): string {
  return report.mode === "bundle"
    ? `Bundle import rehearsal into Airflow ${report.target.airflowVersion}`
    : `Migration rehearsal: Airflow ${report.source?.airflowVersion ?? "?"} -> ${report.target.airflowVersion}`;
}

/** Where each side was, when the target is in another account than the source. */
/** The custom web UI role made on the target, in one line (null in reports written before it was made). */
export function webUiRoleLine(report: Report): string | null {
  const role = report.webUiRole;
  if (!role) return null;
  if ("skipped" in role) return `Custom web UI role: none made (${role.skipped})`;
  return `Custom web UI role on the target: ${role.name}, ${role.permissions} permissions, its DAGs ${role.dags.join(", ")}`;
}

export function accountsLine(report: Report): string | null {
  const { source, target } = report;
  if (!source?.account || !target.account || source.account === target.account) return null;
  return (
    `source in account ${source.account}, target in account ${target.account}` +
    (target.reachedAs ? ` (reached as ${target.reachedAs})` : "")
  );
}

export function renderTerminal(report: Report): string {
  const accounts = accountsLine(report);
  const out: string[] = [title(report), ...(accounts ? [accounts] : []), ""];
  out.push(
    report.reconciled
      ? "RECONCILED: every count adds up"
      : `NOT RECONCILED (${report.problems.length} problems):`,
  );
  for (const problem of report.problems) out.push(`  - ${problem}`);
  out.push("", "Stages");
  out.push(
    ...textTable(
      ["stage", "took", "result"],
      report.stages.map((s) => [
        s.stage,
        formatSeconds(s.seconds),
        s.ok ? "ok" : `failed: ${s.detail ?? ""}`,
      ]),
    ),
  );
  if (report.engine) {
    const built = report.engine.cli.builtSeconds;
    out.push(
      "",
      `Pulumi engine (CLI ${report.engine.cli.version}${built !== null ? `, built in ${formatSeconds(built)}` : ""})`,
    );
    for (const stage of report.engine.stages) {
      out.push(
        `  ${stage.stage}: preview proposed ${stage.planned.length || "no"} changes; up: ${engineSummary(stage.update)}; ` +
          `then the preview proposed ${stage.settled ? "nothing" : "more changes"}`,
      );
      for (const step of stage.planned) out.push(`    ${step}`);
    }
  }
  if (report.freezeWindowSeconds !== null) {
    out.push(
      "",
      `Freeze window (source DAGs paused until the target took over): ${formatSeconds(report.freezeWindowSeconds)}`,
    );
    const parts = report.freezeWindowParts ?? [];
    if (parts.length > 0)
      out.push(`  ${parts.map((p) => `${p.part} ${formatSeconds(p.seconds)}`).join(" · ")}`);
    if (typeof report.stagedBeforePauseSeconds === "number")
      out.push(
        `  before it, the migration DAGs were staged and parsed in ${formatSeconds(report.stagedBeforePauseSeconds)}`,
      );
  }
  out.push("", "Tables");
  out.push(...textTable(TABLE_HEADER, report.tables.map(tableCells)), ...notHeldLines(report));
  if (report.dags.length > 0) {
    out.push("", "DAGs");
    out.push(
      ...textTable(
        ["dag", "runs before", "runs after", "source paused", "target"],
        report.dags.map(dagCells),
      ),
    );
  }
  if (report.refusedDags.length > 0)
    out.push("", `History refused (DAGs the target does not have): ${report.refusedDags.join(", ")}`);
  if (report.targetParse)
    out.push("", "DAG parse on the target", ...describeParity(report.targetParse).map((l) => `  ${l}`));
  const role = webUiRoleLine(report);
  if (role) out.push("", role);
  const compatibility = compatibilityText(report);
  if (compatibility) out.push("", compatibility);
  if (report.pipelines) {
    out.push("", pipelinesTitle(report.pipelines.runs));
    out.push(...textTable(PIPELINE_HEADER, report.pipelines.runs.map(pipelineCells)));
    out.push(...pipelineNotes(report.pipelines));
  }
  if (report.logs) {
    const l = report.logs;
    out.push(
      "",
      `Task logs: ${n(l.streams)} streams, ${n(l.copied)} copied, ${n(l.alreadyThere)} already on the target, ` +
        `${n(l.missing)} missing at the source; ${n(l.eventsCopied)} events copied, ${n(l.eventsArchived)} archived` +
        (l.archiveLocation ? ` to ${l.archiveLocation}` : ""),
    );
  }
  return out.join("\n") + "\n";
}

const PIPELINE_HEADER = ["pipeline", "dag", "converted", "approximated", "not converted", "run", "tasks"];

function pipelinesTitle(runs: readonly PipelineRun[]): string {
  const succeeded = runs.filter((r) => r.state === "success").length;
  return `Data Pipeline pipelines: ${succeeded} of ${runs.length} converted DAGs ran to success on the target`;
}

function pipelineCells(run: PipelineRun): string[] {
  return [
    run.definition,
    run.dagId,
    String(run.converted),
    String(run.approximated),
    String(run.notConverted),
    `${run.state}${run.seconds !== undefined ? ` in ${formatSeconds(run.seconds)}` : ""}`,
    taskSummary(run),
  ];
}

function pipelineNotes(pipelines: NonNullable<Report["pipelines"]>): string[] {
  const bounded = boundedLines(pipelines.runs);
  return [
    `One run each, against the local AWS stand-in, with one attempt per task and every wait within ` +
      `${pipelines.capSeconds} s${bounded.length ? `; bounded: ${bounded.join("; ")}` : ""}. Their output: ${pipelines.log}`,
  ];
}

/** "2 create, 1 delete", or "no changes". */
export function engineSummary(update: Record<string, number>): string {
  const parts = Object.entries(update).map(([op, count]) => `${count} ${op}`);
  return parts.join(", ") || "no changes";
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function htmlTable(header: string[], rows: string[][]): string {
  const numeric = numericColumns(header, rows);
  const cls = (i: number) => (numeric[i] ? ' class="num"' : "");
  const head = header.map((h, i) => `<th${cls(i)}>${escapeHtml(h)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${escapeHtml(c)}</td>`).join("")}</tr>`)
    .join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px 32px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:22px 0 8px;color:#33415c}
.meta{color:#5c667a;font-size:13px}
.badge{display:inline-block;padding:6px 12px;border-radius:6px;font-weight:600;margin:12px 0}
.ok{background:#e3f6e8;color:#17632e}.bad{background:#fde8e8;color:#8c1d1d}
.cards{display:flex;gap:14px;flex-wrap:wrap}.card{border:1px solid #dde2ea;border-radius:8px;padding:10px 14px;min-width:150px}
.card b{display:block;font-size:20px}.card span{color:#5c667a;font-size:12px}
table{border-collapse:collapse;font-size:13px;min-width:420px}th,td{padding:4px 10px;border-bottom:1px solid #e6e9ef;text-align:left}
th{background:#f4f6f9}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.cols{display:flex;gap:32px;flex-wrap:wrap;align-items:flex-start}
ul.problems{color:#8c1d1d}
.timeline{margin:4px 0 14px;max-width:900px}.lane{display:flex;align-items:center;gap:8px;font-size:12px;margin:3px 0}
.lbl{width:110px;color:#33415c}.secs{width:70px;text-align:right;font-variant-numeric:tabular-nums;color:#5c667a}
.track{position:relative;flex:1;height:14px;background:#f4f6f9;border-radius:3px}
.bar{position:absolute;top:0;bottom:0;background:#5b7bd5;border-radius:3px;min-width:2px}
.bar.freeze{background:#d58a2b}.bar.failed{background:#c94a4a}
`;

export function renderHtml(report: Report): string {
  const cards: [string, string][] = [
    ["freeze window", formatSeconds(report.freezeWindowSeconds)],
    ...report.stages.map((s): [string, string] => [
      `${s.stage}${s.ok ? "" : " (failed)"}`,
      formatSeconds(s.seconds),
    ]),
  ];
  if (report.logs) cards.push(["task log streams copied", n(report.logs.copied)]);
  const sections = [
    `<h1>${escapeHtml(title(report))}</h1>`,
    `<div class="meta">started ${escapeHtml(report.startedAt)} · finished ${escapeHtml(report.finishedAt)}` +
      (report.source?.seededRuns ? ` · seeded history: about ${n(report.source.seededRuns)} DAG runs` : "") +
      (accountsLine(report) ? ` · ${escapeHtml(accountsLine(report)!)}` : "") +
      `</div>`,
    report.reconciled
      ? `<div class="badge ok">Reconciled: every count adds up</div>`
      : `<div class="badge bad">Not reconciled: ${report.problems.length} problems</div>` +
        `<ul class="problems">${report.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join("")}</ul>`,
    `<div class="cards">${cards.map(([label, value]) => `<div class="card"><b>${escapeHtml(value)}</b><span>${escapeHtml(label)}</span></div>`).join("")}</div>`,
    `<div class="cols"><div><h2>Tables</h2>${htmlTable(TABLE_HEADER, report.tables.map(tableCells))}${notHeldLines(
      report,
    )
      .map((line) => `<p>${escapeHtml(line)}</p>`)
      .join("")}</div>`,
    report.dags.length
      ? `<div><h2>DAGs</h2>${htmlTable(["dag", "runs before", "runs after", "source paused", "target"], report.dags.map(dagCells))}</div>`
      : "",
    `</div>`,
    timeHtml(report),
    report.engine
      ? `<h2>Stages as the Pulumi engine ran them</h2>${htmlTable(
          ["stage", "preview proposed", "up", "preview after"],
          report.engine.stages.map((s) => [
            s.stage,
            s.planned.join("; ") || "no changes",
            engineSummary(s.update),
            s.settled ? "no changes" : "changes",
          ]),
        )}`
      : "",
    report.targetParse
      ? `<h2>DAG parse on the target</h2><pre>${escapeHtml(describeParity(report.targetParse).join("\n"))}</pre>`
      : "",
    webUiRoleLine(report) ? `<p>${escapeHtml(webUiRoleLine(report)!)}</p>` : "",
    compatibilityText(report)
      ? `<h2>DAG compatibility</h2><pre>${escapeHtml(compatibilityText(report)!)}</pre>`
      : "",
    report.pipelines
      ? `<h2>${escapeHtml(pipelinesTitle(report.pipelines.runs))}</h2>${htmlTable(
          PIPELINE_HEADER,
          report.pipelines.runs.map(pipelineCells),
        )}${pipelineNotes(report.pipelines)
          .map((line) => `<p>${escapeHtml(line)}</p>`)
          .join("")}`
      : "",
    report.refusedDags.length
      ? `<h2>History refused</h2><p>DAGs the target does not have: ${escapeHtml(report.refusedDags.join(", "))}</p>`
      : "",
    report.logs
      ? `<h2>Task logs</h2>${htmlTable(
          ["streams", "copied", "already on target", "missing at source", "events copied", "events archived"],
          [
            [
              n(report.logs.streams),
              n(report.logs.copied),
              n(report.logs.alreadyThere),
              n(report.logs.missing),
              n(report.logs.eventsCopied),
              n(report.logs.eventsArchived),
            ],
          ],
        )}`
      : "",
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title(report))}</title>
<style>${CSS}</style></head>
<body>
${sections.filter((s) => s !== "").join("\n")}
</body></html>
`;
}

/** Where the time went: the stages on one axis with the freeze window inside the cutover, then rows per second per table. */
function timeHtml(report: Report): string {
  const cutoverEngine = report.engine?.stages.find((s) => s.stage === "cutover");
  const bars = timeline(
    report.stages,
    report.freezeWindowSeconds,
    cutoverEngine ? cutoverEngine.previewSeconds + cutoverEngine.updateSeconds : undefined,
    report.freezeWindowParts ?? [],
  );
  const pct = (fraction: number) => `${(fraction * 100).toFixed(2)}%`;
  const rows = bars
    .map(
      (bar) =>
        `<div class="lane"><span class="lbl">${escapeHtml(bar.label)}</span><span class="track">` +
        `<span class="bar${bar.kind === "freeze" ? " freeze" : bar.ok ? "" : " failed"}" ` +
        `style="left:${pct(bar.start)};width:${pct(bar.width)}" title="${escapeHtml(`${bar.label}: ${formatSeconds(bar.seconds)}`)}"></span>` +
        `</span><span class="secs">${escapeHtml(formatSeconds(bar.seconds))}</span></div>`,
    )
    .join("\n");
  const rates = report.tables
    .filter((row) => row.exportSeconds > 0 || row.importSeconds > 0)
    .map((row) => [
      row.table,
      n(row.exported),
      formatSeconds(row.exportSeconds),
      rate(rowsPerSecond(row.exported, row.exportSeconds)),
      n(row.imported + row.skipped),
      formatSeconds(row.importSeconds),
      rate(rowsPerSecond(row.imported + row.skipped, row.importSeconds)),
    ]);
  if (bars.length === 0 && rates.length === 0) return "";
  return (
    `<h2>Where the time went</h2>` +
    (bars.length ? `<div class="timeline">${rows}</div>` : "") +
    (rates.length
      ? htmlTable(
          [
            "table",
            "exported",
            "export time",
            "export rows/s",
            "imported or present",
            "import time",
            "import rows/s",
          ],
          rates,
        )
      : "")
  );
}

const rate = (value: number | null) => (value === null ? "-" : n(value));

export function renderJson(report: Report): string {
  return JSON.stringify(report, null, 2) + "\n";
}
