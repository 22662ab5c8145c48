/**
 * The create flow of an import into Airflow 3, where the migration plugin in the target's API server runs
 * it (Airflow 3 tasks cannot open the metadata database): check the plugin is there and configured, start
 * the import under a deterministic run id (a second start with that id finds the same import), poll to a
 * deadline with progress lines. The outcome is the same value the DAG runner gives, so the resource keeps
 * one set of partial-state rules (DESIGN §5): a failed run is retried as the next attempt, a run still
 * going at the deadline is waited for again by the next `pulumi up`.
 */
import type { BundleWhere, MigrationPluginClient, PluginRunStatus } from "../airflow/pluginClient";
import { PLUGIN_API_VERSION } from "../airflow/pluginClient";
import { type Clock, pollUntil } from "../clock";
import { describeError } from "./partialState";
import { formatProgress } from "./progress";
import type { RunOutcome } from "./runner";

export interface PluginRunSpec {
  /** Shown in progress lines, e.g. "MetadataImport". */
  resource: string;
  runId: string;
  /** The import's run parameters (contract/bundle.json runConf.import). */
  conf: Record<string, unknown>;
  where: BundleWhere;
  deadlineSeconds: number;
  pollIntervalSeconds: number;
}

export interface PluginRunDeps {
  plugin: MigrationPluginClient;
  clock: Clock;
  log: (line: string) => void;
}

const withoutElapsed = (line: string) => line.replace(/ · [^·]+ elapsed$/, "");

/** Why the plugin cannot take the import, from its health answer; undefined when it can. */
export function pluginRefusal(health: { apiVersion: number; problem: string | null }): string | undefined {
  if (health.apiVersion !== PLUGIN_API_VERSION) {
    return (
      `the migration plugin speaks interface version ${health.apiVersion}, this program ${PLUGIN_API_VERSION}: ` +
      `ship the plugin of this release in the target's plugins (the prepare stage's plugins.zip)`
    );
  }
  return health.problem ?? undefined;
}

export async function runPluginImport(deps: PluginRunDeps, spec: PluginRunSpec): Promise<RunOutcome> {
  const startedAt = deps.clock.now();
  let started = false;
  try {
    const refusal = pluginRefusal(await deps.plugin.health());
    if (refusal) return { kind: "notStarted", reason: `${deps.plugin.description}: ${refusal}` };
    const first = await deps.plugin.startImport(spec.runId, spec.conf);
    started = true;
    deps.log(
      `[${spec.resource}] ${first.created === false ? "resuming existing" : "started"} import ${spec.runId} in ${deps.plugin.description}`,
    );
    const last = await watch(deps, spec, first, startedAt);
    if (last === undefined) {
      return {
        kind: "unfinished",
        runId: spec.runId,
        reason: `import ${spec.runId} was still running after deadlineSeconds=${spec.deadlineSeconds}; it keeps running in the target's API server, and the next \`pulumi up\` resumes waiting for it (raise deadlineSeconds to wait longer)`,
      };
    }
    if (last.state === "failed") {
      return {
        kind: "failed",
        runId: spec.runId,
        reason: `import ${spec.runId} failed in ${deps.plugin.description}: ${last.error ?? "no reason given"}; its one transaction was rolled back, so the target is unchanged`,
      };
    }
    return { kind: "succeeded", runId: spec.runId, elapsedMs: deps.clock.now() - startedAt };
  } catch (e) {
    if (started) {
      return {
        kind: "unfinished",
        runId: spec.runId,
        reason: `lost track of import ${spec.runId}: ${reached(deps.plugin.description, e)}; the next \`pulumi up\` resumes waiting for it`,
      };
    }
    return { kind: "notStarted", reason: reached(deps.plugin.description, e) };
  }
}

/** An error as a reason that names the plugin it came from (a refused connection says only "fetch failed"). */
function reached(description: string, e: unknown): string {
  const message = describeError(e);
  const cause = (e as { cause?: unknown })?.cause;
  const detail = cause instanceof Error && !message.includes(cause.message) ? ` (${cause.message})` : "";
  return message.includes(description) ? message : `reaching ${description} failed: ${message}${detail}`;
}

/** Polls to the deadline; undefined when the run was still going then. */
async function watch(
  deps: PluginRunDeps,
  spec: PluginRunSpec,
  first: PluginRunStatus,
  startedAt: number,
): Promise<PluginRunStatus | undefined> {
  let lastLine = "";
  let lastLoggedAt = -Infinity;
  let status: PluginRunStatus | undefined = first;
  const timedOut = new Error("deadline");
  try {
    return await pollUntil(
      deps.clock,
      startedAt + spec.deadlineSeconds * 1000,
      spec.pollIntervalSeconds * 1000,
      async () => {
        status ??= await deps.plugin.importStatus(spec.runId, spec.where);
        if (status.state === "unknown") {
          // Neither running nor reported: the API server that ran it stopped (its transaction rolled back).
          deps.log(
            `[${spec.resource}] import ${spec.runId} is gone from the target's API server; starting it again`,
          );
          status = await deps.plugin.startImport(spec.runId, spec.conf);
        }
        const now = deps.clock.now();
        const line = formatProgress({
          resource: spec.resource,
          runId: spec.runId,
          state: status.state,
          table:
            status.table && typeof status.rows === "number"
              ? { table: status.table, rows: status.rows }
              : undefined,
          elapsedMs: now - startedAt,
        });
        if (withoutElapsed(line) !== withoutElapsed(lastLine) || now - lastLoggedAt >= 60_000) {
          deps.log(line);
          lastLine = line;
          lastLoggedAt = now;
        }
        const done = status.state === "success" || status.state === "failed" ? status : undefined;
        status = undefined;
        return done;
      },
      () => timedOut,
    );
  } catch (e) {
    if (e === timedOut) return undefined;
    throw e;
  }
}
