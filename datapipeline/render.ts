/**
 * A DAG plan printed as a Python file that reads as if a person wrote it: a docstring saying where it
 * came from and what became of each pipeline object, imports for the target Airflow version, the
 * helpers it needs, one `with DAG(...)` block with a task per statement (variable named as its
 * task id, comments naming the source objects), then the dependencies, one line per task.
 */

import { HELPERS, importModule } from "./airflow";
import { DagPlan, Py, renderTimedelta, str, TaskPlan } from "./plan";
import { periodSeconds } from "./schedule";

const INDENT = "    ";
const WIDTH = 110;

/** A Python string literal; text with line breaks becomes one literal per line, in parentheses. */
function pyString(value: string, indent: string): string {
  const one = JSON.stringify(value);
  if (!value.includes("\n") || value.length < 40) return one;
  const lines = value.split(/(?<=\n)/);
  return `(\n${lines.map((l) => `${indent}${INDENT}${JSON.stringify(l)}`).join("\n")}\n${indent})`;
}

export function renderPy(value: Py, indent = ""): string {
  switch (value.py) {
    case "str":
      return pyString(value.value, indent);
    case "num":
      return String(value.value);
    case "bool":
      return value.value ? "True" : "False";
    case "none":
      return "None";
    case "code":
      return value.code;
    case "list":
    case "dict":
    case "call": {
      const open = value.py === "list" ? "[" : value.py === "dict" ? "{" : `${value.fn}(`;
      const close = value.py === "list" ? "]" : value.py === "dict" ? "}" : ")";
      const items =
        value.py === "list"
          ? value.items.map((item) => (i: string) => renderPy(item, i))
          : value.py === "dict"
            ? value.entries.map(
                ([k, v]) =>
                  (i: string) =>
                    `${JSON.stringify(k)}: ${renderPy(v, i)}`,
              )
            : value.args.map(
                ([k, v]) =>
                  (i: string) =>
                    `${k}=${renderPy(v, i)}`,
              );
      if (items.length === 0) return open + close;
      const inline = `${open}${items.map((f) => f(indent)).join(", ")}${close}`;
      if (!inline.includes("\n") && indent.length + inline.length <= WIDTH - 20) return inline;
      const inner = indent + INDENT;
      return `${open}\n${items.map((f) => `${inner}${f(inner)},`).join("\n")}\n${indent}${close}`;
    }
  }
}

function walk(value: Py, visit: (v: Py) => void): void {
  visit(value);
  if (value.py === "list") value.items.forEach((v) => walk(v, visit));
  if (value.py === "dict") value.entries.forEach(([, v]) => walk(v, visit));
  if (value.py === "call") value.args.forEach(([, v]) => walk(v, visit));
}

const IMPORTABLE_IN_CODE = ["SnsNotifier", "DeadlineAlert", "DeadlineReference", "AsyncCallback"];

/** isort's (and ruff's) defaults: lines up to 88 characters, names ordered constants, classes, then the rest. */
const ISORT_LINE_LENGTH = 88;

function isortOrder(a: string, b: string): number {
  const rank = (n: string) => (/^[A-Z0-9_]+$/.test(n) && n.length > 1 ? 0 : /^[A-Z]/.test(n) ? 1 : 2);
  return (
    rank(a) - rank(b) || (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0)
  );
}

/** Modules the generated DAGs import whole that are not Python's own (isort's third-party section). */
const THIRD_PARTY_MODULES = ["boto3", "pendulum"];

class Imports {
  private readonly modules = new Set<string>();
  private readonly names = new Map<string, Set<string>>();

  constructor(private readonly version: string) {}

  module(name: string): void {
    this.modules.add(name);
  }

  from(module: string, name: string): void {
    const set = this.names.get(module) ?? new Set<string>();
    set.add(name);
    this.names.set(module, set);
  }

  airflow(name: string): void {
    this.from(importModule(name, this.version), name);
  }

  scan(value: Py): void {
    walk(value, (v) => {
      if (v.py === "call" && IMPORTABLE_IN_CODE.includes(v.fn)) this.airflow(v.fn);
      const text = v.py === "code" ? v.code : "";
      if (/\btimedelta\(/.test(text)) this.from("datetime", "timedelta");
      if (/\brelativedelta\(/.test(text)) this.from("dateutil.relativedelta", "relativedelta");
      for (const name of IMPORTABLE_IN_CODE) if (new RegExp(`\\b${name}\\b`).test(text)) this.airflow(name);
    });
  }

  render(): string {
    const line = (module: string) => {
      const names = [...(this.names.get(module) ?? [])].sort(isortOrder);
      const one = `from ${module} import ${names.join(", ")}`;
      return one.length <= ISORT_LINE_LENGTH
        ? one
        : `from ${module} import (\n${names.map((n) => `    ${n},`).join("\n")}\n)`;
    };
    const isThirdParty = (m: string) => THIRD_PARTY_MODULES.some((p) => m === p || m.startsWith(`${p}.`));
    const standard = [...this.modules]
      .filter((m) => !isThirdParty(m))
      .sort()
      .map((m) => `import ${m}`);
    const fromModules = [...this.names.keys()];
    standard.push(...fromModules.filter((m) => m === "datetime").map(line));
    const thirdParty = [
      ...[...this.modules]
        .filter(isThirdParty)
        .sort()
        .map((m) => `import ${m}`),
      ...fromModules.filter((m) => m.startsWith("dateutil")).map(line),
    ];
    const airflow = fromModules
      .filter((m) => m === "airflow" || m.startsWith("airflow."))
      .sort()
      .map(line);
    return [standard, [...thirdParty, ...airflow]]
      .filter((group) => group.length > 0)
      .map((group) => group.join("\n"))
      .join("\n\n");
  }
}

function pendulumDate(date: Date): string {
  const parts = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
  const time = [date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
  while (time.length > 0 && time[time.length - 1] === 0) time.pop();
  return `pendulum.datetime(${[...parts, ...time].join(", ")}, tz="UTC")`;
}

function scheduleExpression(plan: DagPlan): string {
  const s = plan.schedule;
  if (s.timetable === null) return "None";
  if (s.cron !== undefined) return `${s.timetable}(${JSON.stringify(s.cron)}, timezone="UTC")`;
  const period = s.delta!;
  const seconds = periodSeconds(period);
  const delta =
    seconds !== undefined ? renderTimedelta(seconds) : `relativedelta(${period.unit}=${period.count})`;
  return `${s.timetable}(${delta})`;
}

/** Tasks in an order where every task comes after the tasks it refers to and its upstream ones. */
function orderedTasks(plan: DagPlan): TaskPlan[] {
  const indegree = new Map(plan.tasks.map((t) => [t.taskId, 0]));
  for (const [, d] of plan.edges) indegree.set(d, (indegree.get(d) ?? 0) + 1);
  const ready = plan.tasks.filter((t) => indegree.get(t.taskId) === 0);
  const out: TaskPlan[] = [];
  while (ready.length > 0) {
    const task = ready.shift() as TaskPlan;
    out.push(task);
    for (const [u, d] of plan.edges) {
      if (u !== task.taskId) continue;
      indegree.set(d, (indegree.get(d) as number) - 1);
      if (indegree.get(d) === 0) {
        const next = plan.tasks.find((t) => t.taskId === d) as TaskPlan;
        const at = ready.findIndex((r) => plan.tasks.indexOf(r) > plan.tasks.indexOf(next));
        ready.splice(at < 0 ? ready.length : at, 0, next);
      }
    }
  }
  if (out.length !== plan.tasks.length) throw new Error(`the task graph of ${plan.dagId} has a cycle`);
  return out;
}

function docstring(plan: DagPlan): string {
  const lines: string[] = [];
  lines.push(
    `${plan.pipelineName}: converted from AWS Data Pipeline (${plan.source}) for Airflow ${plan.airflowVersion}.`,
  );
  lines.push("");
  lines.push("Pipeline objects and what became of them:");
  for (const o of plan.outcomes) {
    lines.push(
      `- ${o.objectId} (${o.type}): ${o.status.toUpperCase()}${o.tasks.length ? ` -> ${o.tasks.join(", ")}` : ""}`,
    );
    if (o.detail) lines.push(`  ${o.detail}`);
  }
  if (plan.connections.length > 0) {
    lines.push("");
    lines.push("Airflow connections this DAG expects:");
    for (const conn of plan.connections) {
      lines.push(`- ${conn.connId} (${conn.connType}), from ${conn.fromObject}: ${conn.detail}`);
    }
  }
  if (plan.fixedParameters.length > 0) {
    lines.push("");
    lines.push("Parameters used with their values at conversion (where Airflow takes no template):");
    for (const p of plan.fixedParameters) lines.push(`- ${p.id} = ${p.values.join(", ")}`);
  }
  if (plan.outcomes.some((o) => o.type === "ShellCommandActivity")) {
    lines.push("");
    lines.push(`ShellCommandActivity runs: ${plan.shellRunner} (converter option --shell-runner).`);
  }
  return `"""${lines.join("\n").replace(/\\/g, "\\\\").replace(/"""/g, '\\"\\"\\"')}\n"""`;
}

export function renderDag(plan: DagPlan): string {
  const imports = new Imports(plan.airflowVersion);
  imports.airflow("DAG");
  if (plan.schedule.timetable) {
    imports.airflow(plan.schedule.timetable);
    imports.module("pendulum");
    if (plan.schedule.delta && periodSeconds(plan.schedule.delta) !== undefined)
      imports.from("datetime", "timedelta");
    if (plan.schedule.delta && periodSeconds(plan.schedule.delta) === undefined) {
      imports.from("dateutil.relativedelta", "relativedelta");
    }
  }
  if (plan.params.length > 0) imports.airflow("Param");
  for (const task of plan.tasks) {
    imports.airflow(task.operator);
    task.args.forEach(([, v]) => imports.scan(v));
  }
  plan.defaultArgs.forEach(([, v]) => imports.scan(v));
  plan.dagArgs.forEach(([, v]) => imports.scan(v));
  for (const name of plan.helpers) {
    HELPERS[name].modules.forEach((m) => imports.module(m));
    HELPERS[name].classes.forEach((c) => imports.airflow(c));
  }

  // Blank lines as isort and pycodestyle want them: one after the imports before a statement, two
  // around a function.
  const out: string[] = [docstring(plan), "", imports.render()];
  if (Object.keys(plan.notConverted).length > 0) {
    out.push("", "# The pipeline objects that were not converted, as the definition gives them.");
    out.push(`NOT_CONVERTED = ${renderPy(jsonPy(plan.notConverted))}`);
  }
  for (const name of plan.helpers) out.push("", "", HELPERS[name].source);
  out.push(...(plan.helpers.length > 0 ? ["", ""] : [""]));

  const dagArgs: [string, string, string?][] = [["dag_id", JSON.stringify(plan.dagId)]];
  dagArgs.push([
    "description",
    JSON.stringify(plan.description ?? `${plan.pipelineName}, converted from AWS Data Pipeline`),
  ]);
  dagArgs.push(["schedule", scheduleExpression(plan), plan.scheduleComment]);
  if (plan.schedule.startDate) dagArgs.push(["start_date", pendulumDate(plan.schedule.startDate)]);
  if (plan.schedule.endDate) {
    const last =
      plan.pipelineSchedule.occurrences !== undefined
        ? `after ${plan.pipelineSchedule.occurrences} occurrences`
        : "before endDateTime";
    dagArgs.push([
      "end_date",
      pendulumDate(plan.schedule.endDate),
      `the last run's scheduled start (${last})`,
    ]);
  }
  if (plan.schedule.timetable) {
    dagArgs.push([
      "catchup",
      plan.schedule.catchup ? "True" : "False",
      plan.schedule.catchup ? "Data Pipeline runs every period since the start" : undefined,
    ]);
  }
  if (plan.params.length > 0) {
    const params = plan.params.map((p): [string, Py] => [
      p.id,
      {
        py: "call",
        fn: "Param",
        args: [
          ["default", p.value],
          ["type", str(p.type)],
          ...(p.description ? ([["description", str(p.description)]] as [string, Py][]) : []),
          ...(p.enum ? ([["enum", { py: "list", items: p.enum.map(str) }]] as [string, Py][]) : []),
        ],
      },
    ]);
    dagArgs.push(["params", renderPy({ py: "dict", entries: params }, INDENT)]);
  }
  if (plan.defaultArgs.length > 0) {
    dagArgs.push([
      "default_args",
      renderPy({ py: "dict", entries: plan.defaultArgs }, INDENT),
      "from the Default object",
    ]);
  }
  for (const [key, value] of plan.dagArgs) dagArgs.push([key, renderPy(value, INDENT)]);
  dagArgs.push(["tags", JSON.stringify(["datapipeline"])]);
  dagArgs.push(["doc_md", "__doc__"]);

  out.push("with DAG(");
  for (const [key, value, comment] of dagArgs)
    out.push(`${INDENT}${key}=${value},${comment ? `  # ${comment}` : ""}`);
  out.push("):");

  const outcomeOf = new Map(plan.outcomes.map((o) => [o.objectId, o]));
  const tasks = orderedTasks(plan);
  for (const [index, task] of tasks.entries()) {
    if (index > 0) out.push("");
    const comments = [...task.comments];
    const source = outcomeOf.get(task.sourceIds[0]);
    if (task.status === "approximated" && source?.status === "approximated")
      comments.push(`APPROXIMATED: ${source.detail}`);
    for (const comment of comments) out.push(...wrapComment(comment, INDENT));
    const seen = new Set<string>();
    for (const [key] of task.args) {
      if (seen.has(key)) throw new Error(`task ${task.taskId} has the argument ${key} twice`);
      seen.add(key);
    }
    const call = renderPy({ py: "call", fn: task.operator, args: task.args }, INDENT);
    out.push(`${INDENT}${task.taskId} = ${call}`);
  }

  const byDownstream = new Map<string, string[]>();
  for (const [u, d] of plan.edges) byDownstream.set(d, [...(byDownstream.get(d) ?? []), u]);
  const implied = new Set(
    plan.tasks.flatMap((t) =>
      t.args.flatMap(([, v]) => {
        const found: string[] = [];
        walk(v, (x) => {
          const m = x.py === "code" ? /^(\w+)\.output$/.exec(x.code) : null;
          if (m) found.push(`${m[1]}>${t.taskId}`);
        });
        return found;
      }),
    ),
  );
  const dependencyLines: string[] = [];
  for (const task of tasks) {
    const upstream = (byDownstream.get(task.taskId) ?? []).filter((u) => !implied.has(`${u}>${task.taskId}`));
    if (upstream.length === 0) continue;
    const left = upstream.length === 1 ? upstream[0] : `[${upstream.join(", ")}]`;
    dependencyLines.push(`${INDENT}${left} >> ${task.taskId}`);
  }
  const teardowns = plan.tasks.filter((t) => t.teardownOf);
  if (dependencyLines.length > 0 || teardowns.length > 0) {
    out.push("");
    out.push(
      `${INDENT}# Dependencies: dependsOn, data nodes written before they are read, and preconditions.`,
    );
    out.push(...dependencyLines);
    for (const t of teardowns) out.push(`${INDENT}${t.taskId}.as_teardown(setups=${t.teardownOf})`);
  }
  if (tasks.length === 0) out.push(`${INDENT}pass`);
  return `${out.join("\n").replace(/\n{4,}/g, "\n\n\n")}\n`;
}

function wrapComment(text: string, indent: string): string[] {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let current = "";
  for (const word of words) {
    if (current && indent.length + 2 + current.length + 1 + word.length > WIDTH) {
      lines.push(current);
      current = word;
    } else {
      current = current ? `${current} ${word}` : word;
    }
  }
  if (current) lines.push(current);
  return lines.map((line, i) => `${indent}# ${i > 0 ? "  " : ""}${line}`);
}

function jsonPy(value: unknown): Py {
  if (Array.isArray(value)) return { py: "list", items: value.map(jsonPy) };
  if (value !== null && typeof value === "object") {
    return { py: "dict", entries: Object.entries(value).map(([k, v]) => [k, jsonPy(v)]) };
  }
  if (typeof value === "number") return { py: "num", value };
  if (typeof value === "boolean") return { py: "bool", value };
  if (value === null || value === undefined) return { py: "none" };
  return str(String(value));
}
