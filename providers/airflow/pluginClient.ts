/**
 * The migration plugin in an Airflow 3 target's API server (payload/mwaa_migration/plugin_app.py): where the
 * import runs, because Airflow 3 tasks cannot open the metadata database. Reached with the API server's JWT:
 * on self-managed Airflow from `/auth/token` with the REST credentials; on MWAA through the web login
 * (CreateWebLoginToken), since InvokeRestApi's `Path` is relative to `/api/v2` and cannot reach a plugin.
 */
import { AirflowApiError } from "./client";
import { DEFAULT_RETRY, RetryPolicy, isRetryableStatus, withRetry } from "./retry";
import { type SessionSource, SessionRequests } from "./webLogin";

/** Where the plugin mounts its app (plugin_app.URL_PREFIX). */
export const PLUGIN_URL_PREFIX = "/mwaa-migration";
/** The plugin interface this client speaks (plugin_app.PLUGIN_API_VERSION). */
export const PLUGIN_API_VERSION = 1;

export type PluginRunState = "running" | "success" | "failed" | "unknown";

export interface PluginRunStatus {
  runId: string;
  state: PluginRunState;
  /** The last table loaded and its rows, while running. */
  table?: string | null;
  rows?: number | null;
  error?: string | null;
  reportKey?: string | null;
  /** On a start: false when a run of this id existed already (a resumed create). */
  created?: boolean;
}

export interface PluginHealth {
  apiVersion: number;
  airflowVersion: string;
  bundleLocation: string | null;
  /** Why no bundle can be imported (no or a malformed bundle location configured). */
  problem: string | null;
}

export interface BundleWhere {
  bucket: string;
  prefix: string;
  exportId: string;
}

export interface MigrationPluginClient {
  readonly description: string;
  health(): Promise<PluginHealth>;
  startImport(runId: string, params: Record<string, unknown>): Promise<PluginRunStatus>;
  importStatus(runId: string, where: BundleWhere): Promise<PluginRunStatus>;
}

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json => (value && typeof value === "object" ? (value as Json) : {});

function runStatus(body: unknown): PluginRunStatus {
  const document = asObject(body);
  const state = String(document.state);
  return {
    runId: String(document.runId),
    state: (["running", "success", "failed"].includes(state) ? state : "unknown") as PluginRunState,
    table: typeof document.table === "string" ? document.table : null,
    rows: typeof document.rows === "number" ? document.rows : null,
    error: typeof document.error === "string" ? document.error : null,
    reportKey: typeof document.reportKey === "string" ? document.reportKey : null,
    ...(typeof document.created === "boolean" ? { created: document.created } : {}),
  };
}

export class PluginHttpClient implements MigrationPluginClient {
  readonly description: string;
  private readonly requests: SessionRequests;

  constructor(
    sessions: SessionSource,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    timeoutMs = 30_000,
  ) {
    this.description = `the migration plugin at ${sessions.describe(PLUGIN_URL_PREFIX)}`;
    this.requests = new SessionRequests(sessions, timeoutMs);
  }

  private async call(method: string, path: string, what: string, body?: unknown): Promise<unknown> {
    return withRetry(async () => {
      // A JWT expires while a long import is polled: the session is renewed once by SessionRequests.
      const response = await this.requests.send(method, `${PLUGIN_URL_PREFIX}${path}`, { body });
      if (response.status >= 200 && response.status < 300) return response.body;
      const detail = asObject(response.body).detail ?? response.body;
      const reason = typeof detail === "string" ? detail : JSON.stringify(detail);
      throw new AirflowApiError(
        `${what} via ${this.description} failed: ${response.status} ${reason ?? ""}`.trim() +
          (response.status === 404 && path === "/health"
            ? "; the plugin is not installed: it ships in the target's plugins (plugins.zip) from the prepare stage"
            : ""),
        response.status,
        isRetryableStatus(response.status),
        response.body,
      );
    }, this.retry);
  }

  async health(): Promise<PluginHealth> {
    const document = asObject(await this.call("GET", "/health", "checking the migration plugin"));
    return {
      apiVersion: Number(document.apiVersion),
      airflowVersion: String(document.airflowVersion),
      bundleLocation: typeof document.bundleLocation === "string" ? document.bundleLocation : null,
      problem: typeof document.problem === "string" ? document.problem : null,
    };
  }

  async startImport(runId: string, params: Record<string, unknown>): Promise<PluginRunStatus> {
    return runStatus(
      await this.call("POST", `/imports/${encodeURIComponent(runId)}`, `starting import ${runId}`, params),
    );
  }

  async importStatus(runId: string, where: BundleWhere): Promise<PluginRunStatus> {
    const query = new URLSearchParams({
      bucket: where.bucket,
      prefix: where.prefix,
      exportId: where.exportId,
    });
    return runStatus(
      await this.call("GET", `/imports/${encodeURIComponent(runId)}?${query}`, `reading import ${runId}`),
    );
  }
}
