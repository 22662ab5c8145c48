/**
 * The decisions of `npm run check-dags`, as pure functions over what the tools answered: ruff's JSON,
 * DagBag's import errors, the template context keys each Airflow version knows, the upgrade lint's
 * configuration changes, the target's lock file and a plugins.zip scan. Running the tools is cli.ts's
 * job (and compat/probe.py's, inside the target's virtualenv).
 */

import * as path from "path";
import { Finding } from "./findings";

export function majorOf(version: string): number {
  return Number(version.split(".")[0]);
}

function minorOf(version: string): number {
  return Number(version.split(".")[1] ?? 0);
}

// ---------------------------------------------------------------------------------------------
// ruff's AIR rules

/** The rules whose findings stop the move: what Airflow 3 removed, moved out of core, or changed. */
const BLOCKING_RULES = ["AIR301", "AIR302", "AIR303"];
/** Airflow 3.0 upgrade rules; AIR311/AIR312 name what still works on 3.x but is deprecated. */
const AIRFLOW3_RULES = ["AIR301", "AIR302", "AIR303", "AIR304", "AIR311", "AIR312"];
/** Moved in Airflow 3.1. */
const AIRFLOW31_RULES = ["AIR321"];

/**
 * The ruff rules for a move from `source` to `target` (empty within a line the rules do not cover).
 * Without a source version a 3.x target is taken to come from 2.x, the move the rules exist for.
 */
export function ruffRules(target: string, source?: string): string[] {
  const from = source ?? (majorOf(target) >= 3 ? "2.11.0" : target);
  const rules: string[] = [];
  if (majorOf(from) < 3 && majorOf(target) >= 3) rules.push(...AIRFLOW3_RULES);
  const before31 = majorOf(from) < 3 || (majorOf(from) === 3 && minorOf(from) < 1);
  const after31 = majorOf(target) > 3 || (majorOf(target) === 3 && minorOf(target) >= 1);
  if (before31 && after31) rules.push(...AIRFLOW31_RULES);
  return rules;
}

/** One diagnostic of `ruff check --output-format json` (the fields used here). */
export interface RuffDiagnostic {
  code: string | null;
  message: string;
  filename: string;
  location: { row: number; column: number } | null;
  fix: { message?: string | null; applicability?: string } | null;
  url?: string | null;
}

export function relativeTo(folder: string, file: string): string {
  const relative = path.relative(folder, file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative.split(path.sep).join("/");
}

export function ruffFindings(diagnostics: readonly RuffDiagnostic[], dagsFolder: string): Finding[] {
  return diagnostics
    .filter((d) => d.code)
    .map((d) => {
      const code = d.code as string;
      const fix = d.fix?.message ?? undefined;
      return {
        category: "upgrade rules" as const,
        severity: BLOCKING_RULES.includes(code) ? ("blocks" as const) : ("warns" as const),
        file: relativeTo(dagsFolder, d.filename),
        line: d.location?.row,
        rule: code,
        message: d.message.replace(/;\s*$/, ""),
        fix: fix ? `${fix}${d.fix?.applicability === "safe" ? " (ruff --fix applies it)" : ""}` : undefined,
      };
    });
}

// ---------------------------------------------------------------------------------------------
// DagBag import errors

const FRAME = /^\s*File "(.+?)", line (\d+)/;

/**
 * A DagBag import error as a finding: the line is that of the deepest traceback frame in the DAG file
 * itself (a SyntaxError's location is such a frame too), the message the exception's last line.
 */
export function importErrorFinding(
  dagsFolder: string,
  absolutePath: string,
  traceback: string,
  target: string,
): Finding {
  const lines = traceback.split(/\r?\n/).filter((l) => l.trim() !== "");
  let line: number | undefined;
  for (const text of lines) {
    const frame = FRAME.exec(text);
    if (frame && path.resolve(frame[1]) === path.resolve(absolutePath)) line = Number(frame[2]);
  }
  // The exception's own line: the last unindented `Name: message` (SQLAlchemy adds a line after it).
  const exception = [...lines]
    .reverse()
    .find((l) => /^[A-Za-z_][\w.]*: /.test(l) && !l.startsWith("(Background"));
  const last = (exception ?? lines[lines.length - 1] ?? "import failed").trim();
  const missing = /^ModuleNotFoundError: No module named '([^']+)'/.exec(last);
  let fix: string | undefined;
  if (missing && !missing[1].startsWith("airflow")) {
    fix =
      `${missing[1]} is not in the target's lock: if requirements.txt installs it, this check cannot ` +
      `tell whether the file parses; otherwise add it to requirements.txt`;
  } else if (missing) {
    fix = `Airflow ${target} has no such module: import from where it has the class now (the upgrade rules name the place for imports they see)`;
  }
  return {
    category: "parse",
    severity: "blocks",
    file: relativeTo(dagsFolder, absolutePath),
    line,
    rule: last.split(":")[0].split(".").pop(),
    message: last,
    fix,
  };
}

// ---------------------------------------------------------------------------------------------
// Template context keys

/** What to use instead of context keys Airflow 3 removed (the keys themselves come from Airflow). */
const CONTEXT_KEY_FIXES: Record<string, string> = {
  execution_date: "logical_date",
  next_execution_date: "data_interval_end",
  next_ds: "{{ data_interval_end | ds }}",
  next_ds_nodash: "{{ data_interval_end | ds_nodash }}",
  prev_execution_date: "prev_data_interval_start_success, or the previous run's data_interval_start",
  prev_execution_date_success: "prev_data_interval_start_success",
  prev_ds: "{{ prev_data_interval_start_success | ds }}",
  prev_ds_nodash: "{{ prev_data_interval_start_success | ds_nodash }}",
  tomorrow_ds: "{{ macros.ds_add(ds, 1) }}",
  tomorrow_ds_nodash: "{{ macros.ds_format(macros.ds_add(ds, 1), '%Y-%m-%d', '%Y%m%d') }}",
  yesterday_ds: "{{ macros.ds_add(ds, -1) }}",
  yesterday_ds_nodash: "{{ macros.ds_format(macros.ds_add(ds, -1), '%Y-%m-%d', '%Y%m%d') }}",
  triggering_dataset_events: "triggering_asset_events",
  conf: "read configuration in task code (airflow.configuration.conf), not from the context",
};

/** Keys the source's template context has and the target's does not. */
export function removedContextKeys(sourceKeys: readonly string[], targetKeys: readonly string[]): string[] {
  return sourceKeys.filter((k) => !targetKeys.includes(k)).sort();
}

const TEMPLATE_BLOCK = /\{\{(.*?)\}\}|\{%(.*?)%\}/g;
const CONTEXT_ACCESS = /(?:\[\s*|\.get\(\s*)(["'])([A-Za-z_]\w*)\1/g;

/**
 * Uses of removed context keys in one file: names in Jinja expressions (`{{ execution_date }}`, and
 * `.execution_date` on the run or task instance, which Airflow 3 dropped too), and in Python code the
 * context read by key (`context["execution_date"]`, `kwargs.get("prev_ds")`).
 */
export function templateFindings(file: string, text: string, removed: readonly string[]): Finding[] {
  if (removed.length === 0) return [];
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const add = (lineNumber: number, key: string, how: string) => {
    const id = `${lineNumber}:${key}`;
    if (seen.has(id)) return;
    seen.add(id);
    const fix = CONTEXT_KEY_FIXES[key];
    findings.push({
      category: "templates",
      severity: "blocks",
      file,
      line: lineNumber,
      rule: key,
      message: `${how} reads ${key}, which the target's task context no longer has`,
      fix: fix ? `use ${fix}` : undefined,
    });
  };
  const isPython = file.endsWith(".py");
  text.split(/\r?\n/).forEach((content, index) => {
    for (const block of content.matchAll(TEMPLATE_BLOCK)) {
      const expression = block[1] ?? block[2] ?? "";
      for (const name of expression.matchAll(/(\.?)\b([A-Za-z_]\w*)\b/g)) {
        const key = name[2];
        if (!removed.includes(key)) continue;
        // `x.prev_ds` is an attribute of something else; `.execution_date` is gone from runs and TIs too.
        if (name[1] === "." && key !== "execution_date") continue;
        add(index + 1, key, "a template");
      }
    }
    if (!isPython) return;
    for (const access of content.matchAll(CONTEXT_ACCESS)) {
      if (removed.includes(access[2])) add(index + 1, access[2], "the task code");
    }
  });
  return findings;
}

/** Files a template scan reads: Python files and the template files Airflow operators load. */
export function isTemplateScanned(file: string): boolean {
  return /\.(py|sql|sh|bash|hql|j2|jinja|jinja2|json|ya?ml|txt)$/i.test(file);
}

// ---------------------------------------------------------------------------------------------
// requirements.txt against the target's lock

export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** name -> version from a lock file of `name==version` lines. */
export function parseLock(text: string): Record<string, string> {
  const lock: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#\\]+)/.exec(raw.trim());
    if (match) lock[normalizeName(match[1])] = match[2];
  }
  return lock;
}

export interface Requirement {
  line: number;
  name: string;
  /** e.g. [["==", "2.10.3"], [">=", "1.0"]]; empty for a bare name. */
  specifiers: [string, string][];
  text: string;
}

/** The package lines of a requirements file; option lines (-r, -c, --constraint) and URLs are left out. */
export function parseRequirements(text: string): { requirements: Requirement[]; unchecked: Requirement[] } {
  const requirements: Requirement[] = [];
  const unchecked: Requirement[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const content = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!content || content.startsWith("-")) return;
    const withoutMarker = content.split(";")[0].trim();
    const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$/.exec(withoutMarker);
    if (!match || match[2].startsWith("@")) {
      unchecked.push({ line: index + 1, name: match?.[1] ?? content, specifiers: [], text: content });
      return;
    }
    const specifiers: [string, string][] = [];
    let readable = true;
    for (const part of match[2]
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)) {
      const spec = /^(===|==|!=|~=|>=|<=|>|<)\s*(\S+)$/.exec(part);
      if (spec) specifiers.push([spec[1], spec[2]]);
      else readable = false;
    }
    const requirement = { line: index + 1, name: match[1], specifiers, text: content };
    (readable ? requirements : unchecked).push(requirement);
  });
  return { requirements, unchecked };
}

/** The numeric release of a version ("2.10.3" -> [2, 10, 3]); undefined for pre-, post- and dev releases. */
function release(version: string): number[] | undefined {
  return /^\d+(\.\d+)*$/.test(version) ? version.split(".").map(Number) : undefined;
}

function compareRelease(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Whether `version` meets one specifier; undefined when this simple reading cannot tell. */
export function satisfies(version: string, operator: string, wanted: string): boolean | undefined {
  if (operator === "===") return version === wanted;
  if ((operator === "==" || operator === "!=") && wanted.endsWith(".*")) {
    const prefix = release(wanted.slice(0, -2));
    const have = release(version);
    if (!prefix || !have) return undefined;
    const same = prefix.every((n, i) => have[i] === n);
    return operator === "==" ? same : !same;
  }
  const have = release(version);
  const want = release(wanted);
  if (!have || !want) return undefined;
  const cmp = compareRelease(have, want);
  switch (operator) {
    case "==":
      return cmp === 0;
    case "!=":
      return cmp !== 0;
    case ">=":
      return cmp >= 0;
    case "<=":
      return cmp <= 0;
    case ">":
      return cmp > 0;
    case "<":
      return cmp < 0;
    case "~=": {
      if (want.length < 2) return undefined;
      const prefix = want.slice(0, -1);
      return cmp >= 0 && prefix.every((n, i) => have[i] === n);
    }
  }
  return undefined;
}

/**
 * requirements.txt against the target's lock (the versions the target's Airflow resolves to): a pin
 * that excludes the lock's version of the same package blocks, since pip cannot install both; an
 * Airflow pin other than the target's blocks; a provider the lock does not hold is a warning on a
 * major move (its release may need the old Airflow).
 */
export function requirementFindings(
  file: string,
  text: string,
  lock: Record<string, string>,
  target: string,
  lockName: string,
  majorMove: boolean,
): Finding[] {
  const findings: Finding[] = [];
  const { requirements, unchecked } = parseRequirements(text);
  for (const requirement of requirements) {
    const name = normalizeName(requirement.name);
    const locked = name === "apache-airflow" ? target : lock[name];
    if (locked === undefined) {
      if (majorMove && name.startsWith("apache-airflow-providers-") && requirement.specifiers.length > 0) {
        findings.push({
          category: "requirements",
          severity: "warns",
          file,
          line: requirement.line,
          rule: name,
          message: `${requirement.text}: not in the target's lock, so not checked against Airflow ${target}`,
          fix: `check that this provider release supports Airflow ${target} (its minimum Airflow is in its changelog)`,
        });
      }
      continue;
    }
    const failing = requirement.specifiers.filter(([op, v]) => satisfies(locked, op, v) === false);
    const unknown = requirement.specifiers.filter(([op, v]) => satisfies(locked, op, v) === undefined);
    if (failing.length > 0) {
      findings.push({
        category: "requirements",
        severity: "blocks",
        file,
        line: requirement.line,
        rule: name,
        message:
          name === "apache-airflow"
            ? `${requirement.text} pins another Airflow than the target's ${target}`
            : `${requirement.text} excludes ${name}==${locked}, the version Airflow ${target} resolves to (${lockName})`,
        fix:
          name === "apache-airflow"
            ? "remove the line: MWAA installs Airflow itself"
            : `pin ${name}==${locked}, or leave the version to the constraint file`,
      });
    } else if (unknown.length > 0) {
      findings.push({
        category: "requirements",
        severity: "warns",
        file,
        line: requirement.line,
        rule: name,
        message: `${requirement.text}: cannot compare with ${name}==${locked} of the target's lock`,
      });
    }
  }
  for (const requirement of unchecked) {
    findings.push({
      category: "requirements",
      severity: "warns",
      file,
      line: requirement.line,
      rule: requirement.name,
      message: `${requirement.text}: a URL or a line this check does not read; not checked`,
    });
  }
  return findings;
}

/**
 * The constraint files a requirements file pins that name another Airflow release than the target's
 * (`.../constraints-2.10.3/constraints-3.11.txt` for a 3.3.2 target): pip would resolve the target's
 * Airflow against the source's pins.
 */
export function constraintFindings(file: string, pinned: readonly string[], target: string): Finding[] {
  return pinned
    .map((url) => ({ url, version: /constraints-(\d+\.\d+\.\d+)\//.exec(url)?.[1] }))
    .filter(({ version }) => version !== undefined && version !== target)
    .map(({ url, version }) => ({
      category: "requirements" as const,
      severity: "blocks" as const,
      file,
      rule: "--constraint",
      message: `the constraint file ${url} is Airflow ${version}'s, not ${target}'s`,
      fix: `pin Airflow ${target}'s constraint file for the target's Python line`,
    }));
}

// ---------------------------------------------------------------------------------------------
// Airflow configuration options

/** `section.option=value` (as the --config flag and MWAA's AirflowConfigurationOptions take them). */
export function parseOptionAssignment(text: string): [string, string] {
  const equals = text.indexOf("=");
  const key = (equals < 0 ? text : text.slice(0, equals)).trim();
  if (equals < 0 || !/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/.test(key)) {
    throw new Error(`${text}: expected section.option=value (e.g. core.dag_concurrency=16)`);
  }
  return [key.toLowerCase(), text.slice(equals + 1)];
}

/** What compat/probe.py's `config` command answers. */
export interface ConfigProbe {
  changes: Record<
    string,
    {
      message: string;
      renamed_to: string | null;
      removed: boolean;
      breaking: boolean;
      default_change: boolean;
      suggestion: string;
    }
  >;
  deprecated: Record<string, { renamed_to: string; since: string }>;
  unknown: string[];
}

export function configFindings(
  probe: ConfigProbe,
  target: string,
  origin: Record<string, string>,
): Finding[] {
  const findings: Finding[] = [];
  for (const [key, change] of Object.entries(probe.changes)) {
    const fix = change.renamed_to
      ? `set ${change.renamed_to} instead`
      : change.default_change
        ? undefined
        : change.suggestion || "remove the option";
    findings.push({
      category: "configuration",
      severity: change.default_change ? "warns" : "blocks",
      file: origin[key],
      rule: key,
      message: change.message,
      fix,
    });
  }
  for (const [key, entry] of Object.entries(probe.deprecated)) {
    if (probe.changes[key]) continue;
    findings.push({
      category: "configuration",
      severity: "warns",
      file: origin[key],
      rule: key,
      message: `${key} is a deprecated name in Airflow ${target} (renamed in ${entry.since})`,
      fix: `set ${entry.renamed_to} instead`,
    });
  }
  for (const key of probe.unknown) {
    if (probe.changes[key]) continue;
    findings.push({
      category: "configuration",
      severity: "warns",
      file: origin[key],
      rule: key,
      message: `Airflow ${target} and its locked providers do not know ${key}`,
      fix: "check the name, or that a provider in requirements.txt defines it",
    });
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// plugins.zip

/** What compat/probe.py's `plugins` command answers: one entry per class or plugin list found. */
export interface PluginEntry {
  file: string;
  line: number | null;
  kind: string;
  name: string | null;
  /** An AirflowPlugin's `name`, which made the import path airflow.<list>.<name> in 1.10. */
  plugin?: string | null;
  members?: string[];
  message?: string;
}

export function pluginFindings(entries: readonly PluginEntry[], zipName: string): Finding[] {
  return entries.map((entry) => {
    const where = `${zipName}:${entry.file}`;
    if (entry.kind === "unreadable") {
      return {
        category: "plugins",
        severity: "blocks",
        file: where,
        line: entry.line ?? undefined,
        message: entry.message ?? "not valid Python",
      };
    }
    if (entry.kind.startsWith("plugin-")) {
      const list = entry.kind.slice("plugin-".length);
      return {
        category: "plugins",
        severity: "blocks",
        file: where,
        line: entry.line ?? undefined,
        rule: `${entry.name}.${list}`,
        message:
          `AirflowPlugin ${entry.name} registers ${list} (${(entry.members ?? []).join(", ")}); ` +
          `Airflow 2 and later no longer import them from airflow.${list}.${entry.plugin ?? entry.name}`,
        fix:
          `move ${(entry.members ?? []).join(", ")} into the DAG folder (or a package in requirements.txt), ` +
          `import them from there in the DAGs, and drop the ${list} list`,
      };
    }
    const moduleName = entry.file
      .replace(/\.py$/, "")
      .replace(/\/__init__$/, "")
      .split("/")
      .join(".");
    return {
      category: "plugins",
      severity: "warns",
      file: where,
      line: entry.line ?? undefined,
      rule: entry.kind,
      message: `custom ${entry.kind} ${entry.name} (module ${moduleName}) lives in plugins.zip`,
      fix:
        `move ${moduleName} into the DAG folder (e.g. dags/${entry.file}) or a package in requirements.txt, ` +
        `and import ${entry.name} from there: a change to plugins.zip needs an environment update`,
    };
  });
}
