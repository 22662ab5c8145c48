import { AirflowApiError } from "./client";

export interface JwtLogin {
  /** The API server's base URL, e.g. `https://airflow.example.com` (no `/api/v2`). */
  baseUrl: string;
  username: string;
  password: string;
  timeoutMs?: number;
}

/** An Airflow 3 access token from the API server's `/auth/token` (Simple or FAB auth manager). */
export async function requestAirflowJwt(login: JwtLogin): Promise<string> {
  const baseUrl = login.baseUrl.replace(/\/+$/, "");
  const response = await fetch(`${baseUrl}/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: login.username, password: login.password }),
    signal: AbortSignal.timeout(login.timeoutMs ?? 30_000),
  });
  const body = (await response.json().catch(() => ({}))) as { access_token?: string };
  if (!response.ok || !body.access_token) {
    throw new AirflowApiError(
      `getting a JWT from ${baseUrl}/auth/token failed (${response.status}); check the Airflow username/password config`,
      response.status,
      response.status >= 500,
    );
  }
  return body.access_token;
}

/**
 * Whether Airflow refused a request for its token: 401 when none (or an expired one) was sent, 403
 * "Invalid JWT token" when it no longer validates. A real permission refusal is also a 403, so a
 * caller retries once with a fresh token and then takes Airflow's answer.
 */
export const isTokenRefusal = (status: number): boolean => status === 401 || status === 403;
