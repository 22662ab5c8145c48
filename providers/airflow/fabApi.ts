/**
 * The FAB auth manager's own API on an Airflow 3 API server (`/auth/fab/v1`, apache-airflow-providers-fab
 * 3.x): Airflow 3 moved roles and users there from the REST API. Reached with the API server's JWT, as the
 * migration plugin is (webLogin.ts's sessions).
 */
import type { RestRequest, RestResponse } from "./restClient";
import { type SessionSource, SessionRequests } from "./webLogin";

export const FAB_API_PREFIX = "/auth/fab/v1";

export class FabApiTransport {
  readonly description: string;
  /** PATCH /roles/{name} sets the role's permissions to exactly those sent (Airflow 2's REST API only adds). */
  readonly patchSetsExactly = true;
  private readonly requests: SessionRequests;

  constructor(sessions: SessionSource, timeoutMs = 30_000) {
    this.description = `the FAB auth manager's API at ${sessions.describe(FAB_API_PREFIX)}`;
    this.requests = new SessionRequests(sessions, timeoutMs);
  }

  send(request: RestRequest): Promise<RestResponse> {
    return this.requests.send(request.method, `${FAB_API_PREFIX}${request.path}`, request);
  }
}
