import { randomBytes } from "node:crypto";
import { IncomingMessage, ServerResponse } from "node:http";
import type { LocalEnvironment } from "./config";

/**
 * The stand-in's web login, as MWAA's user guide describes it ("Create an Apache Airflow web server access
 * token"): CreateWebLoginToken gives a 60-second token; on an Airflow 3 environment the web server trades it
 * at `POST /pluginsv2/aws_mwaa/login` (form field `token`) for the `_token` cookie, which holds the API
 * server's JWT and is then sent as `Authorization: Bearer`. The stand-in signs in to the local Airflow as
 * the environment's user (/auth/token) for that JWT, and afterwards passes requests carrying it on to that
 * Airflow, as MWAA's web server hostname serves the environment's API server. Airflow 2's login (a Flask
 * session cookie at `/aws_mwaa/login`) is not played.
 */

export const WEB_TOKEN_TTL_MS = 60_000;
export const AIRFLOW3_LOGIN_PATH = "/pluginsv2/aws_mwaa/login";
export const AIRFLOW2_LOGIN_PATH = "/aws_mwaa/login";
export const JWT_COOKIE = "_token";
const FORWARDED_HEADERS = ["accept", "content-type", "authorization", "cookie"];

export const isAirflow3 = (env: LocalEnvironment): boolean => Number.parseInt(env.airflowVersion, 10) >= 3;

export interface WebLoginGrant {
  environment: string;
  expires: number;
}

/** The JWT a request carries: the Bearer header first, else the `_token` cookie. */
export function requestJwt(headers: IncomingMessage["headers"]): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "")?.[1];
  if (bearer) return bearer.trim();
  for (const part of (headers.cookie ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === JWT_COOKIE && value.length > 0) return value.join("=");
  }
  return undefined;
}

export class WebLogins {
  private readonly tokens = new Map<string, WebLoginGrant>();
  private readonly sessions = new Map<string, string>();

  constructor(
    private readonly environments: Record<string, LocalEnvironment>,
    private readonly now: () => number,
  ) {}

  /** CreateWebLoginToken's answer for an environment (the caller has checked that it exists). */
  issue(name: string, webServerHostname: string, iamIdentity: string) {
    const token = randomBytes(32).toString("base64url");
    this.tokens.set(token, { environment: name, expires: this.now() + WEB_TOKEN_TTL_MS });
    return {
      WebToken: token,
      WebServerHostname: webServerHostname,
      IamIdentity: iamIdentity,
      AirflowIdentity: this.environments[name].username,
    };
  }

  /** POST of the login form: the `_token` cookie, or the status and reason a web server would answer. */
  async login(
    path: string,
    form: string,
  ): Promise<{ status: number; jwt?: string; environment?: string; error?: string }> {
    const token = new URLSearchParams(form).get("token") ?? "";
    const grant = this.tokens.get(token);
    // A login token is good for one sign-in within its 60 seconds.
    this.tokens.delete(token);
    if (!grant || grant.expires < this.now()) {
      return {
        status: 403,
        error: "the web login token is missing, invalid, used or expired (tokens last 60 s)",
      };
    }
    const env = this.environments[grant.environment];
    if (!isAirflow3(env) || path !== AIRFLOW3_LOGIN_PATH) {
      return {
        status: 404,
        error: isAirflow3(env)
          ? `an Airflow 3 environment signs in at ${AIRFLOW3_LOGIN_PATH}`
          : `the stand-in plays the web login of Airflow 3 environments only`,
      };
    }
    const answer = await fetch(`${env.restApiUrl.replace(/\/+$/, "")}/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: env.username, password: env.password }),
      signal: AbortSignal.timeout(10_000),
    });
    const jwt = ((await answer.json().catch(() => ({}))) as { access_token?: string }).access_token;
    if (!answer.ok || !jwt)
      return { status: 502, error: `the environment's Airflow refused the sign-in (${answer.status})` };
    this.sessions.set(jwt, grant.environment);
    return { status: 200, jwt, environment: grant.environment };
  }

  /** The environment whose session a request carries. */
  environmentOf(headers: IncomingMessage["headers"]): LocalEnvironment | undefined {
    const jwt = requestJwt(headers);
    const name = jwt ? this.sessions.get(jwt) : undefined;
    return name ? this.environments[name] : undefined;
  }
}

/** Passes a request of a signed-in session to the environment's Airflow and relays its answer. */
export async function forwardToAirflow(
  env: LocalEnvironment,
  request: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
): Promise<void> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  const method = request.method ?? "GET";
  const upstream = await fetch(`${env.restApiUrl.replace(/\/+$/, "")}${request.url ?? "/"}`, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" || body.length === 0 ? undefined : body,
    redirect: "manual",
    signal: AbortSignal.timeout(60_000),
  });
  const answer = Buffer.from(await upstream.arrayBuffer());
  const relayed: Record<string, string> = { "content-length": String(answer.length) };
  for (const name of ["content-type", "location"]) {
    const value = upstream.headers.get(name);
    if (value) relayed[name] = value;
  }
  response.writeHead(upstream.status, relayed);
  response.end(answer);
}
