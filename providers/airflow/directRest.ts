import { jsonRequest } from "./jsonHttp";
import { isTokenRefusal, requestAirflowJwt } from "./jwt";
import { RestApiVersion } from "./restPaths";
import { RestRequest, RestResponse, RestTransport } from "./restClient";

export interface DirectRestOptions {
  /** The webserver's base URL, e.g. `https://airflow.example.com` (no `/api/v1`). */
  baseUrl: string;
  apiVersion: RestApiVersion;
  username: string;
  password: string;
  timeoutMs?: number;
}

/**
 * Airflow's own REST API for self-managed installations: API v1 with basic auth (the `basic_auth` backend) on
 * 2.x; API v2 on 3.x with a JWT obtained from `/auth/token` (Simple or FAB auth manager).
 */
export class DirectRestTransport implements RestTransport {
  readonly description: string;
  readonly apiVersion: RestApiVersion;
  private token?: string;

  constructor(private readonly options: DirectRestOptions) {
    this.options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, "") };
    this.description = `Airflow REST API ${options.apiVersion} at ${this.options.baseUrl}`;
    this.apiVersion = options.apiVersion;
  }

  private async authorization(): Promise<string> {
    const { username, password, baseUrl } = this.options;
    if (this.apiVersion === "v1") return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    this.token ??= await requestAirflowJwt({
      baseUrl,
      username,
      password,
      timeoutMs: this.options.timeoutMs,
    });
    return `Bearer ${this.token}`;
  }

  async send(request: RestRequest): Promise<RestResponse> {
    const response = await this.sendOnce(request);
    // A JWT expires ([api_auth] jwt_expiration_time, an hour by default) or is revoked while a long
    // export is polled; Airflow 3 then answers 403 "Invalid JWT token" (401 when none is sent). One fresh
    // token, then Airflow's answer stands (a 403 that is a real permission refusal costs one token request).
    if (isTokenRefusal(response.status) && this.token !== undefined) {
      this.token = undefined;
      return this.sendOnce(request);
    }
    return response;
  }

  private async sendOnce(request: RestRequest): Promise<RestResponse> {
    const url = new URL(`${this.options.baseUrl}/api/${this.apiVersion}${request.path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, String(value));
    return jsonRequest(url, {
      method: request.method,
      authorization: await this.authorization(),
      body: request.body,
      timeoutMs: this.options.timeoutMs ?? 30_000,
    });
  }
}
