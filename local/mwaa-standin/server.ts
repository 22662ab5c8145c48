import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { IncomingMessage, Server, ServerResponse, createServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { splitCommandLine } from "./commandLine";
import { LocalEnvironment, StandinConfig, accountOf, logGroupName } from "./config";
import { identityLookup, type IdentityLookup } from "./identities";
import { Credentials, signingAccessKeyId, verifySigV4 } from "./sigv4Verify";
import {
  AIRFLOW2_LOGIN_PATH,
  AIRFLOW3_LOGIN_PATH,
  forwardToAirflow,
  JWT_COOKIE,
  WebLogins,
} from "./webLogin";

/**
 * A local stand-in for the MWAA API, held to botocore's MWAA model (rest-json, signing name `airflow`):
 *   GET  /environments/{Name}  GetEnvironment
 *   POST /clitoken/{Name}      CreateCliToken  -> a 60-second token for the webserver's /aws_mwaa/cli
 *   POST /webtoken/{Name}      CreateWebLoginToken -> a 60-second token for the webserver's login
 *   POST /restapi/{Name}       InvokeRestApi   -> forwarded to the local Airflow's REST API
 * and, on a separate HTTPS port that plays the webserver hostname, POST /aws_mwaa/cli running the real Airflow
 * CLI of the environment, POST /pluginsv2/aws_mwaa/login (Airflow 3: the web login token for the `_token`
 * cookie, webLogin.ts), and every other path of a signed-in session passed on to that environment's Airflow.
 * Every API request must carry a valid SigV4 signature of a known identity (identities.ts), and reaches only the
 * environments of that identity's account: another account's environment is not found, as on AWS.
 */

export const CLI_TOKEN_TTL_MS = 60_000;
export const REST_API_TIMEOUT_MS = 10_000;
export const REST_API_MAX_RESPONSE_BYTES = 6 * 1024 * 1024;
const ENVIRONMENT_NAME = /^[a-zA-Z][0-9a-zA-Z_-]{0,79}$/;
const METHODS = ["GET", "PUT", "POST", "PATCH", "DELETE"];

/** The `airflow` sub-commands MWAA's CLI endpoint accepts that this project uses or a user commonly runs. */
const SUPPORTED_CLI = new Set([
  "version",
  "cheat-sheet",
  "dags list",
  "dags list-runs",
  "dags list-jobs",
  "dags list-import-errors",
  "dags details",
  "dags next-execution",
  "dags pause",
  "dags unpause",
  "dags trigger",
  "dags state",
  "dags report",
  "tasks list",
  "tasks state",
  "tasks states-for-dag-run",
  "tasks clear",
  "variables list",
  "variables get",
  "variables set",
  "variables delete",
  "connections list",
  "connections get",
  "pools list",
  "pools get",
  "pools set",
  "db check",
  "providers list",
  "config get-value",
]);

export interface StandinOptions {
  config: StandinConfig;
  /** The stand-in's own key pair, in the config's `accountId`. */
  credentials: Credentials;
  /** The host:port that GetEnvironment and CreateCliToken give as the webserver hostname. */
  webServerHostname: string;
  log?: (line: string) => void;
  now?: () => number;
}

interface ApiError {
  status: number;
  type: string;
  message: string;
  extra?: Record<string, unknown>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomBytes(16).toString("hex"),
    ...headers,
  });
  response.end(text);
}

function sendError(response: ServerResponse, error: ApiError) {
  const messageKey = error.type === "AccessDeniedException" ? "Message" : "message";
  sendJson(
    response,
    error.status,
    { [messageKey]: error.message, ...error.extra },
    { "x-amzn-errortype": error.type },
  );
}

/** Runs commands one at a time per slot; the Airflow CLI is heavy and the machine is small. */
class Slots {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async run<T>(action: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await action();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

export class MwaaStandin {
  private readonly tokens = new Map<string, { environment: string; expires: number }>();
  private readonly jwts = new Map<string, string>();
  private readonly webLogins: WebLogins;
  private readonly cliSlots = new Slots(2);
  private readonly startedAt: number;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly identities: IdentityLookup;

  constructor(private readonly options: StandinOptions) {
    this.log = options.log ?? ((line) => console.log(line));
    this.now = options.now ?? Date.now;
    this.identities = identityLookup(
      { credentials: options.credentials, accountId: options.config.accountId },
      options.config.iamEndpoint,
    );
    this.startedAt = this.now();
    this.webLogins = new WebLogins(options.config.environments, this.now);
  }

  apiServer(): Server {
    return createServer((request, response) => {
      this.handleApi(request, response).catch((error) => {
        this.log(`api: ${String(error)}`);
        if (!response.headersSent)
          sendError(response, { status: 500, type: "InternalServerException", message: String(error) });
      });
    });
  }

  webServer(tls: { cert: Buffer; key: Buffer }) {
    return createHttpsServer(tls, (request, response) => {
      this.handleWeb(request, response).catch((error) => {
        this.log(`web: ${String(error)}`);
        if (!response.headersSent) sendJson(response, 500, { error: String(error) });
      });
    });
  }

  private environment(name: string): LocalEnvironment | ApiError {
    if (!ENVIRONMENT_NAME.test(name)) {
      return {
        status: 400,
        type: "ValidationException",
        message: `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][0-9a-zA-Z-_]*`,
      };
    }
    const env = this.options.config.environments[name];
    if (!env)
      return {
        status: 404,
        type: "ResourceNotFoundException",
        message: `Environment ${name} was not found.`,
      };
    return env;
  }

  private async handleApi(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? "/", "http://standin");
    const signedWith = signingAccessKeyId(request.headers);
    const identity = signedWith ? await this.identities(signedWith) : undefined;
    const verdict = verifySigV4(
      { method: request.method ?? "GET", rawUrl: request.url ?? "/", headers: request.headers, body },
      identity?.credentials ?? this.options.credentials,
      this.options.config.region,
      "airflow",
      this.now(),
    );
    if (!verdict.ok) {
      this.log(`api: refused ${request.method} ${url.pathname}: ${verdict.type}`);
      return sendError(response, verdict);
    }
    const route = /^\/(environments|clitoken|webtoken|restapi)\/([^/]+)$/.exec(url.pathname);
    if (!route)
      return sendError(response, {
        status: 404,
        type: "UnknownOperationException",
        message: `No operation at ${request.method} ${url.pathname}`,
      });
    const [, operation, encodedName] = route;
    const name = decodeURIComponent(encodedName);
    const env = this.environment(name);
    if ("type" in env) return sendError(response, env);
    const account = identity?.accountId ?? this.options.config.accountId;
    if (accountOf(this.options.config, env) !== account) {
      this.log(`api: ${operation} ${name} signed in account ${account}, the environment is in another`);
      return sendError(response, {
        status: 404,
        type: "ResourceNotFoundException",
        message: `Environment ${name} was not found.`,
      });
    }
    if (operation === "environments" && request.method === "GET")
      return sendJson(response, 200, { Environment: this.describe(name, env) });
    if (operation === "clitoken" && request.method === "POST")
      return sendJson(response, 200, this.createCliToken(name));
    if (operation === "webtoken" && request.method === "POST")
      return sendJson(
        response,
        200,
        this.webLogins.issue(name, this.options.webServerHostname, `user/${verdict.accessKeyId}`),
      );
    if (operation === "restapi" && request.method === "POST")
      return this.invokeRestApi(name, env, body, response);
    return sendError(response, {
      status: 404,
      type: "UnknownOperationException",
      message: `No operation at ${request.method} ${url.pathname}`,
    });
  }

  describe(name: string, env: LocalEnvironment) {
    const { region } = this.options.config;
    const accountId = accountOf(this.options.config, env);
    const logArn = (type: "Task" | "DAGProcessing" | "Scheduler" | "WebServer" | "Worker") =>
      `arn:aws:logs:${region}:${accountId}:log-group:${logGroupName(name, env, type)}`;
    const logging = (type: "Task" | "DAGProcessing" | "Scheduler" | "WebServer" | "Worker") => ({
      Enabled: true,
      LogLevel: "INFO",
      CloudWatchLogGroupArn: logArn(type),
    });
    return {
      Name: name,
      Arn: `arn:aws:airflow:${region}:${accountId}:environment/${name}`,
      Status: "AVAILABLE",
      CreatedAt: Math.floor(this.startedAt / 1000),
      WebserverUrl: this.options.webServerHostname,
      ExecutionRoleArn: env.executionRoleArn,
      AirflowVersion: env.airflowVersion,
      SourceBucketArn: env.sourceBucketArn,
      DagS3Path: env.dagS3Path,
      EnvironmentClass: "mw1.small",
      MaxWorkers: 1,
      MinWorkers: 1,
      Schedulers: 1,
      WebserverAccessMode: "PUBLIC_ONLY",
      NetworkConfiguration: { SubnetIds: [], SecurityGroupIds: [] },
      LoggingConfiguration: {
        DagProcessingLogs: logging("DAGProcessing"),
        SchedulerLogs: logging("Scheduler"),
        TaskLogs: logging("Task"),
        WebserverLogs: logging("WebServer"),
        WorkerLogs: logging("Worker"),
      },
      LastUpdate: { Status: "SUCCESS", CreatedAt: Math.floor(this.startedAt / 1000) },
      Tags: {},
    };
  }

  private createCliToken(name: string) {
    const token = randomBytes(32).toString("base64url");
    this.tokens.set(token, { environment: name, expires: this.now() + CLI_TOKEN_TTL_MS });
    return { CliToken: token, WebServerHostname: this.options.webServerHostname };
  }

  private async invokeRestApi(name: string, env: LocalEnvironment, raw: Buffer, response: ServerResponse) {
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(raw.toString("utf8") || "{}");
    } catch {
      return sendError(response, {
        status: 400,
        type: "SerializationException",
        message: "The request body is not JSON",
      });
    }
    const problems: string[] = [];
    const path = input.Path;
    if (typeof path !== "string" || path.length < 1 || path.length > 64) {
      problems.push(
        `Value at 'path' failed to satisfy constraint: Member must have length less than or equal to 64 and greater than or equal to 1`,
      );
    }
    if (typeof input.Method !== "string" || !METHODS.includes(input.Method)) {
      problems.push(
        `Value at 'method' failed to satisfy constraint: Member must satisfy enum value set: [${METHODS.join(", ")}]`,
      );
    }
    for (const field of ["QueryParameters", "Body"]) {
      const value = input[field];
      if (value !== undefined && (value === null || typeof value !== "object" || Array.isArray(value))) {
        problems.push(`Value at '${field}' must be a JSON object`);
      }
    }
    if (problems.length > 0) {
      return sendError(response, {
        status: 400,
        type: "ValidationException",
        message: `${problems.length} validation error(s) detected: ${problems.join("; ")}`,
      });
    }
    const apiVersion = Number.parseInt(env.airflowVersion, 10) >= 3 ? "v2" : "v1";
    const target = new URL(`${env.restApiUrl.replace(/\/+$/, "")}/api/${apiVersion}${path as string}`);
    for (const [key, value] of Object.entries((input.QueryParameters as Record<string, unknown>) ?? {})) {
      for (const item of Array.isArray(value) ? value : [value])
        target.searchParams.append(key, String(item));
    }
    let upstream: Response;
    try {
      upstream = await fetch(target, {
        method: input.Method as string,
        headers: {
          authorization: await this.airflowAuthorization(name, env, apiVersion),
          accept: "application/json",
          ...(input.Body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: input.Body === undefined ? undefined : JSON.stringify(input.Body),
        signal: AbortSignal.timeout(REST_API_TIMEOUT_MS),
      });
    } catch (error) {
      const timedOut = (error as Error).name === "TimeoutError";
      return sendError(response, {
        status: 400,
        type: "RestApiServerException",
        message: timedOut
          ? "The Apache Airflow REST API did not answer within 10 seconds"
          : "The Apache Airflow webserver is unreachable",
        extra: { RestApiStatusCode: timedOut ? 504 : 502, RestApiResponse: { detail: String(error) } },
      });
    }
    const bytes = Buffer.from(await upstream.arrayBuffer());
    if (bytes.length > REST_API_MAX_RESPONSE_BYTES) {
      return sendError(response, {
        status: 400,
        type: "ValidationException",
        message: `The Apache Airflow REST API response is ${bytes.length} bytes, over the 6 MB limit`,
      });
    }
    let document: unknown = bytes.toString("utf8");
    try {
      document = bytes.length === 0 ? {} : JSON.parse(document as string);
    } catch {
      // a text answer is passed on as a JSON string
    }
    this.log(`api: InvokeRestApi ${name} ${String(input.Method)} ${String(path)} -> ${upstream.status}`);
    if (upstream.status >= 400) {
      return sendError(response, {
        status: 400,
        type: upstream.status >= 500 ? "RestApiServerException" : "RestApiClientException",
        message: `Airflow answered ${upstream.status}`,
        extra: { RestApiStatusCode: upstream.status, RestApiResponse: document },
      });
    }
    return sendJson(response, 200, { RestApiStatusCode: upstream.status, RestApiResponse: document });
  }

  private async airflowAuthorization(
    name: string,
    env: LocalEnvironment,
    apiVersion: string,
  ): Promise<string> {
    if (apiVersion === "v1")
      return `Basic ${Buffer.from(`${env.username}:${env.password}`).toString("base64")}`;
    let jwt = this.jwts.get(name);
    if (!jwt) {
      const answer = await fetch(`${env.restApiUrl.replace(/\/+$/, "")}/auth/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: env.username, password: env.password }),
        signal: AbortSignal.timeout(REST_API_TIMEOUT_MS),
      });
      jwt = ((await answer.json()) as { access_token?: string }).access_token ?? "";
      this.jwts.set(name, jwt);
    }
    return `Bearer ${jwt}`;
  }

  private async handleWeb(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const body = raw.toString("utf8");
    const path = new URL(request.url ?? "/", "https://web").pathname;
    if (request.method === "POST" && (path === AIRFLOW3_LOGIN_PATH || path === AIRFLOW2_LOGIN_PATH)) {
      return this.webLogin(path, body, response);
    }
    if (path !== "/aws_mwaa/cli") {
      const env = this.webLogins.environmentOf(request.headers);
      if (!env) return sendJson(response, 401, { detail: "Not authenticated" });
      return forwardToAirflow(env, request, raw, response);
    }
    if (request.method !== "POST") return sendJson(response, 404, { error: "Not Found" });
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    const grant = token ? this.tokens.get(token) : undefined;
    if (!grant || grant.expires < this.now()) {
      return sendJson(response, 403, {
        error: "Forbidden: the CLI token is missing, invalid or expired (tokens last 60 s)",
      });
    }
    let args: string[];
    try {
      args = splitCommandLine(body.trim());
    } catch (error) {
      return sendJson(response, 400, { error: String(error) });
    }
    const command = args[0] === "version" || args[0] === "cheat-sheet" ? args[0] : args.slice(0, 2).join(" ");
    if (!SUPPORTED_CLI.has(command)) {
      return sendJson(response, 400, { error: `airflow ${command} is not a supported MWAA CLI command` });
    }
    const env = this.options.config.environments[grant.environment];
    const output = await this.cliSlots.run(() => runCli(env, args));
    this.log(`web: ${grant.environment}: airflow ${args.join(" ")} -> exit ${output.code}`);
    return sendJson(response, 200, {
      stdout: Buffer.from(output.stdout).toString("base64"),
      stderr: Buffer.from(output.stderr).toString("base64"),
    });
  }

  private async webLogin(path: string, form: string, response: ServerResponse): Promise<void> {
    const outcome = await this.webLogins.login(path, form);
    if (!outcome.jwt) {
      this.log(`web: login at ${path} refused: ${outcome.error}`);
      return sendJson(response, outcome.status, { error: outcome.error });
    }
    this.log(`web: ${outcome.environment}: signed in through ${path}`);
    const page = "<!doctype html><title>Airflow</title><p>Signed in.</p>";
    response.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "content-length": Buffer.byteLength(page),
      "set-cookie": cookieLine(outcome.jwt),
    });
    response.end(page);
  }
}

function cookieLine(jwt: string): string {
  return `${JWT_COOKIE}=${jwt}; Path=/; Secure; HttpOnly; SameSite=Lax`;
}

export function runCli(
  env: LocalEnvironment,
  args: string[],
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(env.cli.command, args, {
      env: { ...process.env, ...env.cli.env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ stdout, stderr, code: code ?? -1 }));
  });
}
