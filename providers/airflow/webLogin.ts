import { AirflowApiError } from "./client";
import type { RegionalAccess } from "../framework/awsAccess";
import { mwaaSdkConfig } from "./endpoint";
import { jsonRequest } from "./jsonHttp";
import { isTokenRefusal, requestAirflowJwt } from "./jwt";

/**
 * Where MWAA's web server trades a web login token (CreateWebLoginToken, valid 60 s) for a session, and
 * the cookie that holds it. MWAA's user guide ("Create an Apache Airflow web server access token"): on
 * Airflow 2 `POST /aws_mwaa/login` (form field `token`) sets the Flask `session` cookie; on Airflow 3
 * `POST /pluginsv2/aws_mwaa/login` sets `_token`, the API server's JWT, which then goes in
 * `Authorization: Bearer` headers.
 */
export function webLoginRoute(airflowVersion: string): { path: string; cookie: string } {
  return Number.parseInt(airflowVersion, 10) >= 3
    ? { path: "/pluginsv2/aws_mwaa/login", cookie: "_token" }
    : { path: "/aws_mwaa/login", cookie: "session" };
}

/** A cookie's value from Set-Cookie header lines; undefined when none sets it (or sets it empty). */
export function cookieValue(setCookies: readonly string[], name: string): string | undefined {
  for (const line of setCookies) {
    const [pair] = line.split(";");
    const equals = pair.indexOf("=");
    if (equals > 0 && pair.slice(0, equals).trim() === name) {
      const value = pair.slice(equals + 1).trim();
      if (value !== "") return value;
    }
  }
  return undefined;
}

export interface WebSession {
  /** `https://<WebServerHostname>`. */
  baseUrl: string;
  /** The session cookie's value: on Airflow 3, the JWT. */
  token: string;
}

const MAX_REDIRECTS = 5;

/**
 * Signs in to an MWAA environment's web server as the caller's IAM identity: CreateWebLoginToken, then the
 * token POSTed to the login route. The login may answer with the cookie directly or through redirects on the
 * same host; cookies are collected from every answer.
 */
export async function mwaaWebLogin(
  options: RegionalAccess & {
    environmentName: string;
    airflowVersion: string;
    timeoutMs?: number;
  },
): Promise<WebSession> {
  const { MWAAClient, CreateWebLoginTokenCommand } =
    require("@aws-sdk/client-mwaa") as typeof import("@aws-sdk/client-mwaa");
  const mwaa = new MWAAClient(mwaaSdkConfig(options));
  let reply: { WebToken?: string; WebServerHostname?: string };
  try {
    reply = await mwaa.send(new CreateWebLoginTokenCommand({ Name: options.environmentName }));
  } finally {
    mwaa.destroy();
  }
  if (!reply.WebToken || !reply.WebServerHostname) {
    throw new Error(
      `CreateWebLoginToken for ${options.environmentName} returned no token or web server hostname`,
    );
  }
  const baseUrl = `https://${reply.WebServerHostname}`;
  const route = webLoginRoute(options.airflowVersion);
  const cookies: string[] = [];
  let url = `${baseUrl}${route.path}`;
  let init: RequestInit = {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: reply.WebToken }).toString(),
  };
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await fetch(url, {
      ...init,
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    cookies.push(...response.headers.getSetCookie());
    await response.arrayBuffer().catch(() => undefined);
    const token = cookieValue(cookies, route.cookie);
    if (token) return { baseUrl, token };
    const location = response.headers.get("location");
    const next = location ? new URL(location, url) : undefined;
    if (response.status < 300 || response.status >= 400 || !next || next.host !== new URL(baseUrl).host) {
      throw new AirflowApiError(
        `signing in to ${options.environmentName}'s web server at ${route.path} gave no ${route.cookie} cookie ` +
          `(${response.status}); the deployer needs airflow:CreateWebLoginToken on ` +
          `arn:aws:airflow:<region>:<account>:role/${options.environmentName}/Admin`,
        response.status,
        response.status >= 500,
      );
    }
    url = next.toString();
    init = { method: "GET" };
  }
  throw new AirflowApiError(
    `signing in to ${options.environmentName}'s web server redirected too often`,
    508,
    false,
  );
}

/**
 * Signs in to an Airflow 3 API server and hands out a session (base URL and JWT), for what lives beside its
 * REST API v2: the migration plugin, the FAB auth manager's API. `renew` after Airflow refused the token.
 */
export interface SessionSource {
  /** Where a path of the API server is, in words for messages. */
  describe(path: string): string;
  session(renew: boolean): Promise<WebSession>;
}

/** A self-managed API server: a JWT from `/auth/token` with the REST credentials. */
export function selfManagedSessions(login: {
  baseUrl: string;
  username: string;
  password: string;
}): SessionSource {
  const baseUrl = login.baseUrl.replace(/\/+$/, "");
  return {
    describe: (path) => `${baseUrl}${path}`,
    session: async () => ({ baseUrl, token: await requestAirflowJwt({ ...login, baseUrl }) }),
  };
}

/** An MWAA environment's API server, through the web login (InvokeRestApi reaches only `/api/v2`). */
export function mwaaWebSessions(
  target: RegionalAccess & { environmentName: string; airflowVersion: string },
): SessionSource {
  return {
    describe: (path) => `${path} of MWAA environment ${target.environmentName} (web login)`,
    session: () => mwaaWebLogin(target),
  };
}

/**
 * JSON requests to an API server within a session: the session is kept across requests and, when Airflow
 * refuses its token (expired, or MWAA's web session after 12 hours), renewed once; then Airflow's answer stands.
 */
export class SessionRequests {
  private current?: WebSession;

  constructor(
    private readonly sessions: SessionSource,
    private readonly timeoutMs = 30_000,
  ) {}

  async send(
    method: string,
    path: string,
    options: { query?: Record<string, string | number | boolean>; body?: unknown } = {},
  ): Promise<{ status: number; body: unknown }> {
    const response = await this.sendOnce(method, path, options, false);
    return isTokenRefusal(response.status) ? this.sendOnce(method, path, options, true) : response;
  }

  private async sendOnce(
    method: string,
    path: string,
    options: { query?: Record<string, string | number | boolean>; body?: unknown },
    renew: boolean,
  ) {
    if (renew || !this.current) this.current = await this.sessions.session(renew);
    const url = new URL(`${this.current.baseUrl}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, String(value));
    return jsonRequest(url, {
      method,
      authorization: `Bearer ${this.current.token}`,
      body: options.body,
      timeoutMs: this.timeoutMs,
    });
  }
}
