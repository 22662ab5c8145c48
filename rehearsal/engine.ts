/**
 * The real Pulumi engine under the rehearsal: the Pulumi CLI (the one on PATH when its version
 * matches @pulumi/pulumi, else one built once from the Go module proxy by local/pulumi-cli/build.sh),
 * a stack on a local `file://` backend, and an inline program (the Automation API hosts the
 * language runtime in this process, so no Node.js language plugin is needed). Each stage is what a
 * user does: set the stage, read the preview, run `up`, then a preview that must show no changes.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  type EngineEvent,
  LocalWorkspace,
  type OpType,
  PulumiCommand,
  type PulumiFn,
  type Stack,
} from "@pulumi/pulumi/automation";
import { ROOT, stateDir } from "./processes";

/** The passphrase of the rehearsal's own local stacks; it protects nothing outside this machine. */
const PASSPHRASE = "mwaa-rehearsal";

export interface PulumiCli {
  path: string;
  version: string;
  /** Seconds it took to build it now; null when it was already there. */
  builtSeconds: number | null;
}

/** The CLI, built on first use (progress lines go to `say`). */
export async function ensurePulumiCli(say: (line: string) => void): Promise<PulumiCli> {
  const started = Date.now();
  let built = false;
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn("bash", [path.join(ROOT, "local", "pulumi-cli", "build.sh")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    let partial = "";
    child.stderr.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (/^building the Pulumi CLI/.test(line)) built = true;
        if (line.trim() && !/^go: downloading /.test(line)) say(line);
      }
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`local/pulumi-cli/build.sh exited with ${code}`)),
    );
  });
  const cliPath = stdout.trim().split("\n").pop()!;
  const command = await PulumiCommand.get({ root: path.dirname(path.dirname(cliPath)) }).catch(
    () => undefined,
  );
  const version = command?.version?.format() ?? "";
  return { path: cliPath, version, builtSeconds: built ? Math.round((Date.now() - started) / 1000) : null };
}

export interface EngineOptions {
  projectName: string;
  stackName: string;
  program: PulumiFn;
  cli: PulumiCli;
  /** Start from an empty backend (the rehearsal's Airflows are new each time). */
  fresh: boolean;
}

/** Where an engine's backend, home and work folder live. */
export function engineDir(projectName: string): string {
  return path.join(stateDir(), "engine", projectName);
}

export async function openStack(options: EngineOptions): Promise<Stack> {
  const dir = engineDir(options.projectName);
  if (options.fresh) fs.rmSync(dir, { recursive: true, force: true });
  for (const sub of ["backend", "home", "work"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const backend = `file://${path.join(dir, "backend")}`;
  const pulumiCommand = await PulumiCommand.get({
    root: path.dirname(path.dirname(options.cli.path)),
    skipVersionCheck: false,
  });
  const pluginDir = path.join(ROOT, "node_modules", "@pulumi", "pulumi");
  return LocalWorkspace.createOrSelectStack(
    { stackName: options.stackName, projectName: options.projectName, program: options.program },
    {
      workDir: path.join(dir, "work"),
      pulumiCommand,
      projectSettings: { name: options.projectName, runtime: "nodejs", backend: { url: backend } },
      envVars: {
        PULUMI_BACKEND_URL: backend,
        PULUMI_HOME: path.join(dir, "home"),
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        // The AWS SDK's notice that its 2027 releases will want Node.js 22: not about the migration.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        // The dynamic-provider plugin is a script inside @pulumi/pulumi; it resolves the package from here.
        // local/pulumi-cli holds the analyzer plugin that runs a Node.js policy pack.
        PATH: [
          path.dirname(options.cli.path),
          pluginDir,
          path.join(ROOT, "local", "pulumi-cli"),
          process.env.PATH ?? "",
        ].join(path.delimiter),
        NODE_PATH: path.join(ROOT, "node_modules"),
      },
    },
  );
}

/** One step of a preview or an update, as a reviewer reads it. */
export interface StepRecord {
  op: OpType;
  type: string;
  name: string;
  /** Properties whose change decides the step (for replacements, those that force it). */
  diffs: string[];
}

export interface StageRecord {
  stage: string;
  /** What the preview said the update would do (without unchanged resources). */
  planned: StepRecord[];
  preview: Record<string, number>;
  /** The engine's own summary of the update. */
  update: Record<string, number>;
  outputs: Record<string, unknown>;
  /** A refresh right after the update changed nothing, and the preview after it proposed nothing. */
  settled: boolean;
  previewSeconds: number;
  updateSeconds: number;
}

const TYPE_PREFIX = /^pulumi-nodejs:dynamic\/[a-z-]+:/;

function stepOf(event: EngineEvent): StepRecord | undefined {
  const meta = event.resourcePreEvent?.metadata;
  if (
    !meta ||
    meta.op === "same" ||
    meta.type === "pulumi:pulumi:Stack" ||
    meta.type.startsWith("pulumi:providers:")
  )
    return undefined;
  return {
    op: meta.op,
    type: meta.type.replace(TYPE_PREFIX, ""),
    name: meta.urn.slice(meta.urn.lastIndexOf("::") + 2),
    diffs: meta.keys ?? meta.diffs ?? [],
  };
}

const OP_SIGNS: Partial<Record<OpType, string>> = {
  create: "+",
  update: "~",
  delete: "-",
  replace: "+-",
  "create-replacement": "++",
  "delete-replaced": "--",
  read: ">",
};

export function describeStep(step: StepRecord): string {
  const sign = OP_SIGNS[step.op] ?? step.op;
  const why = step.diffs.length > 0 && step.op !== "create" ? ` [${step.diffs.join(", ")}]` : "";
  return `${sign} ${step.op} ${step.type} ${step.name}${why}`;
}

/** Engine diagnostics worth a progress line: the providers' own lines and every warning or error. */
function diagnosticLine(event: EngineEvent): string | undefined {
  const diagnostic = event.diagnosticEvent;
  if (!diagnostic || !["info", "info#err", "warning", "error"].includes(diagnostic.severity))
    return undefined;
  const message = diagnostic.message.replace(/\n+$/, "");
  // The engine's note that the provider plugin came from PATH (ours does) is not about the migration.
  if (/using pulumi-resource-pulumi-nodejs from \$PATH/.test(message)) return undefined;
  return diagnostic.severity === "warning" || diagnostic.severity === "error"
    ? `${diagnostic.severity}: ${message}`
    : message;
}

const seconds = (from: number) => Math.round((Date.now() - from) / 100) / 10;

/**
 * What a stage changed: not the unchanged resources, and not the reads (the program reads its own
 * stack's outputs on every run).
 */
const changesOnly = (summary: Record<string, number> | undefined) =>
  Object.fromEntries(
    Object.entries(summary ?? {}).filter(([op, n]) => op !== "same" && op !== "read" && n > 0),
  );

export interface StageOptions {
  policyPacks?: string[];
  /** Receives every line the engine prints, for the stage's log file. */
  onOutput?: (text: string) => void;
}

/** preview, up, refresh and a preview, the last two changing nothing; progress lines go to `say`. */
export async function runStage(
  stack: Stack,
  configKey: string,
  stage: string,
  say: (line: string) => void,
  options: StageOptions = {},
): Promise<StageRecord> {
  await stack.setConfig(configKey, { value: stage });
  const planned: StepRecord[] = [];
  const previewStarted = Date.now();
  const preview = await stack.preview({
    policyPacks: options.policyPacks,
    onOutput: options.onOutput,
    onEvent: (event) => {
      const step = stepOf(event);
      if (step) planned.push(step);
    },
  });
  const previewSeconds = seconds(previewStarted);
  say(`preview of ${stage}: ${planned.length === 0 ? "no changes" : `${planned.length} changes`}`);
  for (const step of planned) say(`  ${describeStep(step)}`);

  const updateStarted = Date.now();
  const result = await stack.up({
    policyPacks: options.policyPacks,
    onOutput: options.onOutput,
    onEvent: (event) => {
      const line = diagnosticLine(event);
      if (line) for (const part of line.split("\n")) say(part);
    },
  });
  const updateSeconds = seconds(updateStarted);
  const update = changesOnly(result.summary.resourceChanges);
  say(
    `up of ${stage}: ${
      Object.entries(update)
        .map(([op, n]) => `${n} ${op}`)
        .join(", ") || "no changes"
    } in ${updateSeconds} s`,
  );

  // What the state says must be what the resources say: a refresh reads each one back. The stack's
  // reference to its own outputs reads the outputs this update just wrote; that is not a change.
  // A create a killed update was waiting on is, after this successful update, either the resource it
  // created or nothing: its pending record is dropped.
  const refreshChanges: Record<string, number> = {};
  await stack.refresh({
    clearPendingCreates: true,
    onOutput: options.onOutput,
    onEvent: (event) => {
      const meta = event.resOutputsEvent?.metadata;
      if (!meta || meta.op === "same" || meta.type === "pulumi:pulumi:StackReference") return;
      refreshChanges[meta.op] = (refreshChanges[meta.op] ?? 0) + 1;
    },
  });
  if (Object.keys(refreshChanges).length > 0)
    say(`warning: the refresh after ${stage} changed the state: ${JSON.stringify(refreshChanges)}`);
  const again = await stack.preview({ policyPacks: options.policyPacks, onOutput: options.onOutput });
  const settled =
    Object.keys(changesOnly(again.changeSummary)).length === 0 && Object.keys(refreshChanges).length === 0;
  if (Object.keys(changesOnly(again.changeSummary)).length > 0)
    say(
      `warning: the preview after ${stage} still proposes ${JSON.stringify(changesOnly(again.changeSummary))}`,
    );
  return {
    stage,
    planned,
    preview: changesOnly(preview.changeSummary),
    update,
    outputs: Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.value])),
    settled,
    previewSeconds,
    updateSeconds,
  };
}
