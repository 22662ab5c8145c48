/**
 * `npm run check-dags -- --target-version 3.3.2 --dags <folder> [options]`: before history moves, whether
 * the workflows run on the target Airflow. It runs ruff's Airflow upgrade rules over the DAG folder,
 * parses every DAG with DagBag in a virtualenv of the target version (built from local/locks with the
 * local stack's own machinery, local/lib/venv.sh), looks for template context keys the target removed,
 * and checks configuration options, requirements.txt and plugins.zip against the target. It prints a
 * table per category and exits 1 when anything blocks the move.
 */

import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { constraintProblem, pinnedConstraints } from "../rules/requirements";
import { findMwaaVersion } from "../rules/versions";
import {
  ConfigProbe,
  configFindings,
  constraintFindings,
  importErrorFinding,
  isTemplateScanned,
  majorOf,
  parseLock,
  parseOptionAssignment,
  PluginEntry,
  pluginFindings,
  relativeTo,
  removedContextKeys,
  requirementFindings,
  RuffDiagnostic,
  ruffFindings,
  ruffRules,
  templateFindings,
} from "./checks";
import { CategoryNote, Finding, isBlocked, Report, reportText } from "./findings";

const run = promisify(execFile);

const ROOT = path.resolve(__dirname, "..");
const LOCKS = path.join(ROOT, "local", "locks");
const PROBE = path.join(__dirname, "probe.py");
const CONFIG_KEY = "mwaa-migration:airflowConfigurationOptions";

export const USAGE = `usage: npm run check-dags -- --target-version <version> --dags <folder> [options]

  --target-version <version>  the Airflow version to move to (one with a lock file in local/locks/)
  --dags <folder>             the DAG folder
  --source-version <version>  the Airflow version the DAGs run on now (default: the newest locked 2.x
                              for a 3.x target, else the target); decides the upgrade rules and which
                              template context keys were removed
  --requirements <file>       requirements.txt, checked against the target's lock
  --plugins <plugins.zip>     checked for custom operators, sensors and hooks; also on the DAGs' path
  --config <section.option=value>   an Airflow configuration option (repeatable)
  --config-file <file.json>   options as a JSON object {"section.option": "value"} (MWAA's shape)
  --stack-config <Pulumi.<stack>.yaml>  the options the stack sets (${CONFIG_KEY}),
                              and its targetAirflowVersion, sourceAirflowVersion, dagsFolder,
                              requirementsFile and pluginsZip where the flags leave them out
  --json <file>               also write the findings as JSON
  --help                      this text

Exit code: 0 when nothing blocks the move, 1 when something does, 2 for a usage error, 3 when a
check could not run (a virtualenv that does not build, a probe that fails).`;

export class UsageError extends Error {}

export interface CliOptions {
  targetVersion: string;
  sourceVersion?: string;
  dags: string;
  requirements?: string;
  plugins?: string;
  /** section.option -> value */
  config: Record<string, string>;
  /** section.option -> where it came from */
  configOrigin: Record<string, string>;
  json?: string;
}

function byVersion(a: string, b: string): number {
  const [x, y] = [a.split(".").map(Number), b.split(".").map(Number)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/** The Airflow versions with a lock file, oldest first. */
export function lockedVersions(locksDir = LOCKS): string[] {
  return fs
    .readdirSync(locksDir)
    .map((f) => /^airflow-(\d+\.\d+\.\d+)\.txt$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort(byVersion);
}

/** The source a move is checked from when none is given: the newest locked version of the major before. */
export function defaultSource(target: string, locked: readonly string[]): string {
  const older = locked.filter((v) => majorOf(v) < majorOf(target)).sort(byVersion);
  return majorOf(target) >= 3 && older.length > 0 ? older[older.length - 1] : target;
}

/** What a stack's config file gives the check: its options, and its target, files and source version. */
export interface StackConfig {
  options: Record<string, string>;
  targetVersion?: string;
  sourceVersion?: string;
  dags?: string;
  requirements?: string;
  plugins?: string;
}

/**
 * Reads Pulumi.<stack>.yaml: the Airflow options the stack sets, and the keys that name what to check
 * (targetAirflowVersion, sourceAirflowVersion, dagsFolder, requirementsFile, pluginsZip). File paths are
 * relative to the project, the stack file's folder. Pulumi.yaml's defaults are not read.
 */
export function readStackConfig(file: string): StackConfig {
  const yaml = require("js-yaml") as typeof import("js-yaml");
  let config: Record<string, unknown>;
  try {
    const document = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    config = document?.config ?? {};
  } catch (error) {
    throw new UsageError(`--stack-config ${file}: ${(error as Error).message.split("\n")[0]}`);
  }
  const text = (key: string): string | undefined => {
    const value = config[`mwaa-migration:${key}`];
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  };
  const project = path.dirname(file);
  const local = (key: string): string | undefined => {
    const value = text(key);
    return value === undefined ? undefined : path.resolve(project, value);
  };
  const value = config[CONFIG_KEY];
  let options: unknown = {};
  if (value !== undefined) {
    try {
      options = typeof value === "string" ? JSON.parse(value) : value;
    } catch {
      options = undefined;
    }
  }
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new UsageError(`--stack-config ${file}: ${CONFIG_KEY} is not a JSON object of options`);
  }
  return {
    options: Object.fromEntries(Object.entries(options).map(([k, v]) => [k, String(v)])),
    targetVersion: text("targetAirflowVersion"),
    sourceVersion: text("sourceAirflowVersion"),
    dags: local("dagsFolder"),
    requirements: local("requirementsFile"),
    plugins: local("pluginsZip"),
  };
}

export function parseArgs(argv: readonly string[], locksDir = LOCKS): CliOptions | "help" {
  const options: Partial<CliOptions> & Pick<CliOptions, "config" | "configOrigin"> = {
    config: {},
    configOrigin: {},
  };
  let stack: StackConfig | undefined;
  const setOption = (key: string, value: string, origin: string) => {
    const [k, v] = parseOptionAssignment(`${key}=${value}`);
    options.config[k] = v;
    options.configOrigin[k] = origin;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case "--help":
      case "-h":
        return "help";
      case "--target-version":
        options.targetVersion = value();
        break;
      case "--source-version":
        options.sourceVersion = value();
        break;
      case "--dags":
        options.dags = value();
        break;
      case "--requirements":
        options.requirements = value();
        break;
      case "--plugins":
        options.plugins = value();
        break;
      case "--json":
        options.json = value();
        break;
      case "--config": {
        try {
          const [key, v] = parseOptionAssignment(value());
          setOption(key, v, "--config");
        } catch (error) {
          throw new UsageError(`--config ${(error as Error).message}`);
        }
        break;
      }
      case "--config-file": {
        const file = value();
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(fs.readFileSync(file, "utf8"));
        } catch (error) {
          throw new UsageError(`--config-file ${file}: ${(error as Error).message}`);
        }
        for (const [k, v] of Object.entries(parsed)) setOption(k, String(v), path.basename(file));
        break;
      }
      case "--stack-config": {
        const file = value();
        stack = readStackConfig(file);
        for (const [k, v] of Object.entries(stack.options)) setOption(k, v, path.basename(file));
        break;
      }
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  // The stack's keys fill in what the flags leave out.
  if (stack) {
    options.targetVersion ??= stack.targetVersion;
    options.sourceVersion ??= stack.sourceVersion;
    options.dags ??= stack.dags;
    options.requirements ??= stack.requirements;
    options.plugins ??= stack.plugins;
  }
  if (!options.targetVersion) throw new UsageError("--target-version is required");
  if (!options.dags) throw new UsageError("--dags <folder> is required");
  const locked = lockedVersions(locksDir);
  for (const [flag, version] of [
    ["--target-version", options.targetVersion],
    ["--source-version", options.sourceVersion],
  ] as const) {
    if (version !== undefined && !/^\d+\.\d+\.\d+$/.test(version)) {
      throw new UsageError(`${flag} ${version}: expected a version like 3.3.2`);
    }
  }
  if (!locked.includes(options.targetVersion)) {
    throw new UsageError(
      `--target-version ${options.targetVersion}: no lock file local/locks/airflow-${options.targetVersion}.txt ` +
        `(locked: ${locked.join(", ")})`,
    );
  }
  if (!fs.existsSync(options.dags) || !fs.statSync(options.dags).isDirectory()) {
    throw new UsageError(`--dags ${options.dags}: not a folder`);
  }
  for (const [flag, file] of [
    ["--requirements", options.requirements],
    ["--plugins", options.plugins],
  ] as const) {
    if (file !== undefined && !fs.existsSync(file)) throw new UsageError(`${flag} ${file}: no such file`);
  }
  return options as CliOptions;
}

/** The virtualenv of a lock file, built (once per machine) by local/lib/venv.sh. */
async function ensureVenv(name: string, lock: string): Promise<string> {
  const script = 'source "$1" && mwaa_ensure_venv "$2" "$3"';
  const { stdout } = await run(
    "bash",
    ["-c", script, "bash", path.join(ROOT, "local", "lib", "venv.sh"), name, lock],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return stdout.trim();
}

/** Runs a probe.py command in a venv with a throwaway AIRFLOW_HOME and returns its JSON answer. */
async function probe<T>(venv: string, args: string[], env: Record<string, string> = {}): Promise<T> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "check-dags-"));
  const out = path.join(home, "answer.json");
  try {
    await run(path.join(venv, "bin", "python"), [PROBE, ...args, out], {
      env: {
        // Nothing of the caller's Airflow: its database, home or options must not reach the probe.
        ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("AIRFLOW"))),
        AIRFLOW_HOME: home,
        AIRFLOW__CORE__LOAD_EXAMPLES: "false",
        AIRFLOW__CORE__PLUGINS_FOLDER: path.join(home, "plugins"),
        // The whole traceback, so that an error raised in a module the DAG file imports still names the line.
        AIRFLOW__CORE__DAGBAG_IMPORT_ERROR_TRACEBACK_DEPTH: "100",
        PYTHONDONTWRITEBYTECODE: "1",
        ...env,
      },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 15 * 60 * 1000,
    });
    return JSON.parse(fs.readFileSync(out, "utf8")) as T;
  } catch (error) {
    const failure = error as Error & { stderr?: string };
    const tail = (failure.stderr ?? "").trim().split("\n").slice(-5).join("\n");
    throw new Error(`probe.py ${args[0]} in ${venv} failed: ${failure.message.split("\n")[0]}\n${tail}`);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

function walk(folder: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "__pycache__") continue;
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) files.push(...walk(full));
    else if (entry.isFile()) files.push(full);
  }
  return files.sort();
}

export async function check(options: CliOptions, progress: (line: string) => void): Promise<Report> {
  const dags = path.resolve(options.dags);
  const target = options.targetVersion;
  const locked = lockedVersions();
  const source = options.sourceVersion ?? defaultSource(target, locked);
  const majorMove = majorOf(source) < majorOf(target);
  const findings: Finding[] = [];
  const notes: CategoryNote[] = [];
  const targetLock = path.join(LOCKS, `airflow-${target}.txt`);

  progress(`check-dags: the Airflow ${target} virtualenv (local/locks/airflow-${target}.txt) ...`);
  const targetVenv = await ensureVenv(`airflow-${target}`, targetLock);

  // Upgrade rules: ruff from the tools venv.
  const rules = ruffRules(target, source);
  if (rules.length === 0) {
    notes.push({
      category: "upgrade rules",
      note: `no ruff AIR rules for ${source} -> ${target}`,
      skipped: true,
    });
  } else {
    const tools = await ensureVenv("tools", path.join(LOCKS, "tools.txt"));
    const ruff = path.join(tools, "bin", "ruff");
    const { stdout: version } = await run(ruff, ["--version"]);
    progress(`check-dags: ${version.trim()} ${rules.join(",")} over ${dags} ...`);
    const { stdout } = await run(
      ruff,
      [
        "check",
        "--no-cache",
        "--isolated",
        "--preview",
        "--select",
        rules.join(","),
        "--target-version",
        "py311",
      ].concat(["--output-format", "json", "--exit-zero", dags]),
      { maxBuffer: 64 * 1024 * 1024 },
    );
    findings.push(...ruffFindings(JSON.parse(stdout) as RuffDiagnostic[], dags));
    notes.push({ category: "upgrade rules", note: `${version.trim()}: ${rules.join(" ")}` });
  }

  // Parse: DagBag in the target's venv, with plugins.zip in its plugins folder as MWAA has it.
  progress(`check-dags: parsing ${dags} with Airflow ${target} (DagBag) ...`);
  const parsed = await probe<{
    seconds: number;
    dags: Record<string, string[]>;
    import_errors: Record<string, string>;
  }>(targetVenv, ["dagbag", dags, ...(options.plugins ? [path.resolve(options.plugins)] : [])], {
    AIRFLOW__CORE__DAGS_FOLDER: dags,
  });
  for (const [file, traceback] of Object.entries(parsed.import_errors)) {
    findings.push(importErrorFinding(dags, file, traceback, target));
  }
  const dagIds: Record<string, string[]> = {};
  for (const [file, ids] of Object.entries(parsed.dags)) dagIds[relativeTo(dags, file)] = ids;
  notes.push({ category: "parse", note: `DagBag of Airflow ${target}, ${parsed.seconds} s` });

  // Templates: the context keys the source's Airflow has and the target's does not, from both Airflows.
  // A source without a lock reads the keys of the newest locked release of its major version before the
  // target's (the context keys change between majors, not minors).
  const keysFrom = locked.includes(source) ? source : majorMove ? defaultSource(target, locked) : undefined;
  if (source !== target && keysFrom !== undefined && keysFrom !== target) {
    const sourceVenv = await ensureVenv(`airflow-${keysFrom}`, path.join(LOCKS, `airflow-${keysFrom}.txt`));
    const [sourceKeys, targetKeys] = await Promise.all([
      probe<string[]>(sourceVenv, ["context-keys"]),
      probe<string[]>(targetVenv, ["context-keys"]),
    ]);
    const removed = removedContextKeys(sourceKeys, targetKeys);
    // Data files beside the DAGs can be large; templates are not.
    const scanned = walk(dags).filter((f) => isTemplateScanned(f) && fs.statSync(f).size <= 2 * 1024 * 1024);
    for (const file of scanned) {
      findings.push(...templateFindings(relativeTo(dags, file), fs.readFileSync(file, "utf8"), removed));
    }
    notes.push({
      category: "templates",
      note:
        (removed.length
          ? `context keys removed since ${keysFrom}: ${removed.join(" ")}`
          : `none removed since ${keysFrom}`) + (keysFrom === source ? "" : `; ${source} has no lock`),
    });
  } else {
    notes.push({
      category: "templates",
      note: source === target ? "same version" : `no lock for ${source} to compare its context with`,
      skipped: true,
    });
  }

  // Configuration options, against the target's own upgrade lint and option list.
  if (Object.keys(options.config).length > 0) {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "check-dags-config-")), "options.json");
    fs.writeFileSync(file, JSON.stringify(options.config));
    try {
      const answer = await probe<ConfigProbe>(targetVenv, ["config", file]);
      findings.push(...configFindings(answer, target, options.configOrigin));
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
    notes.push({
      category: "configuration",
      note: `${Object.keys(options.config).length} option(s) against Airflow ${target}'s own data`,
    });
  } else {
    notes.push({ category: "configuration", note: "no options given", skipped: true });
  }

  // requirements.txt against the target's lock and, for an MWAA version, its constraint line.
  if (options.requirements) {
    const text = fs.readFileSync(options.requirements, "utf8");
    const name = path.basename(options.requirements);
    findings.push(
      ...requirementFindings(
        name,
        text,
        parseLock(fs.readFileSync(targetLock, "utf8")),
        target,
        path.relative(ROOT, targetLock),
        majorMove,
      ),
    );
    const mwaa = findMwaaVersion(target);
    findings.push(...constraintFindings(name, pinnedConstraints(text), target));
    const constraint = mwaa ? constraintProblem(name, text, target, mwaa.python) : undefined;
    if (constraint && !findings.some((f) => f.rule === "--constraint")) {
      findings.push({
        category: "requirements",
        severity: "blocks",
        file: name,
        rule: "--constraint",
        message: constraint,
      });
    }
    notes.push({
      category: "requirements",
      note:
        `against local/locks/airflow-${target}.txt` +
        (mwaa ? "" : `; ${target} is not an MWAA version, so MWAA's exact constraint line is not checked`),
    });
  } else {
    notes.push({ category: "requirements", note: "no --requirements", skipped: true });
  }

  if (options.plugins) {
    const entries = await probe<PluginEntry[]>(targetVenv, ["plugins", path.resolve(options.plugins)]);
    findings.push(...pluginFindings(entries, path.basename(options.plugins)));
    notes.push({ category: "plugins", note: path.basename(options.plugins) });
  } else {
    notes.push({ category: "plugins", note: "no --plugins", skipped: true });
  }

  return {
    targetVersion: target,
    sourceVersion: source === target ? undefined : source,
    dagsFolder: options.dags,
    notes,
    dags: dagIds,
    findings,
    blocked: isBlocked(findings),
  };
}

export async function main(
  argv: readonly string[],
  print = console.log,
  printError = console.error,
): Promise<number> {
  let options: CliOptions | "help";
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      printError(`check-dags: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options === "help") {
    print(USAGE);
    return 0;
  }
  const report = await check(options, printError);
  print(reportText(report));
  if (options.json) fs.writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
  return report.blocked ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`check-dags: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(3);
    },
  );
}
