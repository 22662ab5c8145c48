/**
 * Runs the real program (index.ts) under Pulumi's mocks and records every resource it registers.
 *
 * Each run starts clean: mocks and config are set first, then the project's own modules are dropped
 * from the require cache and index.ts is loaded inside a fresh root stack, exactly as the Pulumi
 * language host would load it. Errors the program raises at preview (thrown while building, or from an
 * apply) reject the run, as they would fail `pulumi preview`.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, CONFIG_NAMESPACE } from "../../rules/config";
import { isUnknown } from "@pulumi/pulumi/output";
import {
  MockOptions,
  SourceEnvironmentFixture,
  UNKNOWN_DURING_PREVIEW,
  call,
  legacyAirflowFixture,
  newResource,
} from "./awsMocks";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** A plain JSON value, typed loosely so tests can index into recorded inputs. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- recorded inputs are arbitrary JSON read by tests
export type JsonValue = any;

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  /** Resolved inputs as plain JSON values (secrets unwrapped). For reads: the properties passed. */
  inputs: Record<string, JsonValue>;
  parent?: string;
  /** The explicit provider reference (`<urn>::<id>`) a resource was registered with; undefined: the default. */
  provider?: string;
  id: string;
  /** True for resources the program only reads (`Environment.get`, the StackReference). */
  read?: boolean;
  /** Top-level input names whose values the program marked secret. */
  secretInputs?: string[];
  /** The customTimeouts resource option, when set. */
  customTimeouts?: { create?: string; update?: string; delete?: string };
  /** URNs this resource depends on (dependsOn and input dependencies). */
  dependencies?: string[];
  /** Per input, the URNs of the resources its value came from (what the engine gives a policy pack). */
  propertyDependencies?: Record<string, string[]>;
}

export interface LogMessage {
  severity: "debug" | "info" | "warning" | "error";
  message: string;
  urn?: string;
}

export interface RunOptions {
  stack?: string;
  project?: string;
  /** Run as `pulumi preview` (default true): what the policy pack and a reviewer see. */
  preview?: boolean;
  /**
   * The stage this stack applied last (read by the program from its own outputs). Default: the stage
   * before the configured one, as if the stack had walked the stages in order; null: a new stack.
   */
  previousStage?: string | null;
  /** Other outputs of the stack's last update (e.g. bulkApplied), next to its stage. */
  previousOutputs?: Record<string, unknown>;
  /** Overrides for the source MWAA environment the mocks report. */
  source?: Partial<SourceEnvironmentFixture>;
  /** Buckets that already exist in the account. */
  existingBuckets?: string[];
  /** Run as a new stack's first preview: outputs AWS computes on create (ARNs, ids) are unknown. */
  firstPreview?: boolean;
}

export interface StackRun {
  resources: RecordedResource[];
  outputs: Record<string, JsonValue>;
  logs: LogMessage[];
}

/** Pulumi.dev.yaml's `config:` block as a flat map ("mwaa-migration:stage" -> "prepare"). */
export function loadDevConfig(): Record<string, string> {
  const document = yaml.load(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(document.config)) {
    flat[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return flat;
}

export async function runStack(
  config: Record<string, string>,
  options: { stack?: string; project?: string } & RunOptions = {},
): Promise<RecordedResource[]> {
  return (await runStackWithOutputs(config, options)).resources;
}

const STAGE_ORDER = ["prepare", "bulk", "cutover", "complete"];

function defaultPreviousStage(stage: string | undefined): string | undefined {
  const index = STAGE_ORDER.indexOf(stage ?? "prepare");
  return index > 0 ? STAGE_ORDER[index - 1] : undefined;
}

/** Resource ids come back as "" for components; everything else keeps its mock id. */
export async function runStackWithOutputs(
  config: Record<string, string>,
  options: RunOptions = {},
): Promise<StackRun> {
  const stack = options.stack ?? "dev";
  const project = options.project ?? "mwaa-migration";
  const region = config["aws:region"] ?? "us-east-1";
  const previousStage =
    options.previousStage === null
      ? undefined
      : (options.previousStage ?? defaultPreviousStage(config["mwaa-migration:stage"]));
  const mockOptions: MockOptions = {
    region,
    source: { ...legacyAirflowFixture(region), ...options.source },
    previousOutputs: { ...(previousStage ? { stage: previousStage } : {}), ...options.previousOutputs },
    existingBuckets: options.existingBuckets ?? [],
    firstPreview: options.firstPreview ?? false,
  };

  const recorded = new Map<string, RecordedResource>();
  const logs: LogMessage[] = [];
  const errors: unknown[] = [];

  await pulumi.runtime.setMocks(
    {
      newResource: (args) => newResource(args, mockOptions),
      call: (args) => call(args, mockOptions),
    },
    project,
    stack,
    options.preview ?? true,
    "organization",
  );
  recordRegistrations(recorded);
  const restoreLogs = captureLogs(logs);
  // Keys declared secret are passed as secrets, as `pulumi config set --secret` stores them.
  const secretKeys = Object.entries(CONFIG_KEYS)
    .filter(([, spec]) => "secret" in spec && spec.secret)
    .map(([key]) => `${CONFIG_NAMESPACE}:${key}`)
    .filter((key) => key in config);
  pulumi.runtime.setAllConfig(config, secretKeys);
  clearProjectModules();

  const onRejection = (reason: unknown) => errors.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    const firstError = new Promise<never>((_, reject) => {
      const timer = setInterval(() => {
        if (errors.length > 0) {
          clearInterval(timer);
          reject(preferConfigurationError(errors));
        }
      }, 20);
      timer.unref();
    });
    const outputs = await Promise.race([
      // As the language host runs a program: an exported function is called and awaited.
      pulumi.runtime.runInPulumiStack(async () => {
        const program = require(path.join(PROJECT_ROOT, "index.ts"));
        return program instanceof Function ? await program() : program;
      }),
      firstError,
    ]);
    await Promise.race([waitForRegistrations(), firstError]);
    // Give rejections raised by the last registrations a chance to surface.
    await new Promise((resolve) => setTimeout(resolve, 10));
    if (errors.length > 0) throw preferConfigurationError(errors);
    const resources = [...recorded.values()].filter((r) => r.type !== "pulumi:pulumi:Stack");
    return { resources, outputs: unwrap(outputs ?? {}), logs };
  } catch (error) {
    await drainFailedRun(errors);
    throw error;
  } finally {
    process.off("unhandledRejection", onRejection);
    restoreLogs();
  }
}

/**
 * A failed program leaves rejected registrations behind, which surface over the next few ticks; they
 * must land in this run's error list, not in the next run's.
 */
async function drainFailedRun(errors: unknown[]): Promise<void> {
  const deadline = Date.now() + 3000;
  let seen: number;
  do {
    seen = errors.length;
    await Promise.race([
      waitForRegistrations().catch(() => undefined),
      new Promise((r) => setTimeout(r, 200)),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 30));
  } while (seen !== errors.length && Date.now() < deadline);
}

function preferConfigurationError(errors: unknown[]): unknown {
  return errors.find((e) => e instanceof Error && e.name === "ConfigurationError") ?? errors[0];
}

function clearProjectModules(): void {
  for (const file of Object.keys(require.cache)) {
    const inProject =
      file.startsWith(PROJECT_ROOT + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`);
    const isHarness = file.startsWith(path.join(PROJECT_ROOT, "test") + path.sep);
    if (inProject && !isHarness) delete require.cache[file];
  }
}

// Internal runtime modules: the mock monitor and the registration drain.
const runtimeSettings = require("@pulumi/pulumi/runtime/settings");
const runtimeRpc = require("@pulumi/pulumi/runtime/rpc");

async function waitForRegistrations(): Promise<void> {
  await runtimeSettings.waitForRPCs();
}

/** The parts of the SDK's protobuf requests and responses the recorder reads. */
interface ResourceRequest {
  getType(): string;
  getCustomtimeouts?(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
  getDependenciesList?(): string[];
  getPropertydependenciesMap?(): {
    forEach(visit: (value: { getUrnsList(): string[] }, key: string) => void): void;
  };
  getName(): string;
  getParent(): string;
  getProvider?(): string;
  getObject?(): unknown;
  getProperties?(): unknown;
  getId?(): string;
}
interface ResourceResponse {
  getUrn(): string;
  getId?(): string;
}
type Callback = (err: unknown, resp: ResourceResponse) => void;
interface MonitorMethods {
  registerResource(req: ResourceRequest, callback: Callback): Promise<void>;
  readResource(req: ResourceRequest, callback: Callback): Promise<void>;
}

function propertyDependencies(req: ResourceRequest): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  req.getPropertydependenciesMap?.().forEach((value, key) => {
    found[key] = value.getUrnsList();
  });
  return found;
}

/** Wraps the mock monitor so each registration's URN, parent and inputs are recorded. */
function recordRegistrations(recorded: Map<string, RecordedResource>): void {
  const monitor = runtimeSettings.getMonitor() as MonitorMethods;
  const wrap = (method: keyof MonitorMethods, read: boolean) => {
    const original = monitor[method].bind(monitor);
    monitor[method] = (req, callback) =>
      original(req, (err, resp) => {
        if (!err) {
          const urn = resp.getUrn();
          const properties = read ? req.getProperties!() : req.getObject!();
          const inputs = runtimeRpc.deserializeProperties(properties) as Record<string, unknown>;
          const secretInputs = Object.keys(inputs).filter((key) => isSecret(inputs[key]));
          // A file asset's path is a promise: the recorded input gets the path once it resolves.
          const files = Object.entries(inputs).filter(([, v]) => v instanceof pulumi.asset.FileAsset);
          const timeouts = read ? undefined : req.getCustomtimeouts?.();
          recorded.set(urn, {
            type: req.getType(),
            name: req.getName(),
            urn,
            inputs: unwrap(inputs) as Record<string, JsonValue>,
            parent: req.getParent() || undefined,
            provider: req.getProvider?.() || undefined,
            id: (read ? req.getId!() : resp.getId!()) ?? "",
            ...(read ? { read: true } : {}),
            ...(secretInputs.length > 0 ? { secretInputs } : {}),
            ...(timeouts && (timeouts.getCreate() || timeouts.getUpdate() || timeouts.getDelete())
              ? {
                  customTimeouts: {
                    create: timeouts.getCreate() || undefined,
                    update: timeouts.getUpdate() || undefined,
                    delete: timeouts.getDelete() || undefined,
                  },
                }
              : {}),
            dependencies: read ? undefined : (req.getDependenciesList?.() ?? []),
            propertyDependencies: read ? undefined : propertyDependencies(req),
          });
          for (const [key, asset] of files) {
            void (asset as pulumi.asset.FileAsset).path.then((file) => {
              recorded.get(urn)!.inputs[key] = { file };
            });
          }
        }
        callback(err, resp);
      });
  };
  wrap("registerResource", false);
  wrap("readResource", true);
}

/**
 * Collects `pulumi.log` lines instead of printing them. Under mocks there is no engine to receive them,
 * and the SDK would write them to the console.
 */
function captureLogs(logs: LogMessage[]): () => void {
  const logModule = pulumi.log as unknown as Record<string, unknown>;
  const levels: [string, LogMessage["severity"]][] = [
    ["debug", "debug"],
    ["info", "info"],
    ["warn", "warning"],
    ["error", "error"],
  ];
  const originals = levels.map(([fn]) => [fn, logModule[fn]] as const);
  for (const [fn, severity] of levels) {
    logModule[fn] = (message: string, resource?: pulumi.Resource) => {
      // The SDK's own debug lines (one per registration) are noise here.
      if (severity === "debug") return Promise.resolve();
      logs.push({ severity, message, urn: resource ? "(resource)" : undefined });
      return Promise.resolve();
    };
  }
  return () => {
    for (const [fn, original] of originals) logModule[fn] = original;
  };
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

function isSecret(value: unknown): boolean {
  return (
    typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG
  );
}

/** Plain JSON: secrets unwrapped, resource references replaced by a marker. */
export function unwrap(value: unknown): JsonValue {
  if (isUnknown(value)) return UNKNOWN_DURING_PREVIEW;
  if (Array.isArray(value)) return value.map(unwrap);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[SIG_KEY] === SECRET_SIG) return unwrap(record.value);
    if (pulumi.Resource.isInstance(value)) return { resource: "(reference)" };
    const result: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(record)) result[k] = unwrap(v);
    return result;
  }
  return value as JsonValue;
}
