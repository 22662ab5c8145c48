/**
 * The FAB auth manager's own API on an Airflow 3 API server (`/auth/fab/v1`, apache-airflow-providers-fab
 * 3.x): Airflow 3 moved roles and users there from the REST API. Reached with the API server's JWT, as the
 * migration plugin is (webLogin.ts's sessions).
 */
import { jsonRequest } from "./jsonHttp";
import { isTokenRefusal } from "./jwt";
import type { RestRequest, RestResponse } from "./restClient";
import type { SessionSource, WebSession } from "./webLogin";

export const FAB_API_PREFIX = "/auth/fab/v1";

export class FabApiTransport {
  readonly description: string;
  /** PATCH /roles/{name} sets the role's permissions to exactly those sent (Airflow 2's REST API only adds). */
  readonly patchSetsExactly = true;
  private current?: WebSession;

  constructor(
    private readonly sessions: SessionSource,
    private readonly timeoutMs = 30_000,
  ) {
    this.description = `the FAB auth manager's API at ${sessions.describe(FAB_API_PREFIX)}`;
  }

  async send(request: RestRequest): Promise<RestResponse> {
    const response = await this.sendOnce(request, false);
    // A token that expired or no longer validates: one fresh session, then Airflow's answer stands.
    return isTokenRefusal(response.status) ? this.sendOnce(request, true) : response;
  }

  private async sendOnce(request: RestRequest, renew: boolean): Promise<RestResponse> {
    if (renew || !this.current) this.current = await this.sessions.session(renew);
    const url = new URL(`${this.current.baseUrl}${FAB_API_PREFIX}${request.path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, String(value));
    return jsonRequest(url, {
      method: request.method,
      authorization: `Bearer ${this.current.token}`,
      body: request.body,
      timeoutMs: this.timeoutMs,
    });
  }
}
