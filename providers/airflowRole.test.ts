import { strict as assert } from "assert";
import { customRoleSpec } from "../rules/webUiAccess";
import { airflowRoleProvider, applyRole, removeRole, updateRole } from "./airflowRole";
import type { RestRequest, RestResponse, RestTransport } from "./airflow/restClient";
import { UNKNOWN } from "./framework/checks";

/** Airflow's /roles endpoints in memory, recording every request. */
function fakeRoleApi(existing: Record<string, unknown[]> = {}) {
  const roles = new Map(Object.entries(existing));
  const requests: string[] = [];
  const transport: RestTransport = {
    description: "fake",
    apiVersion: "v1",
    async send(request: RestRequest): Promise<RestResponse> {
      requests.push(`${request.method} ${request.path}`);
      const name = decodeURIComponent(request.path.replace(/^\/roles\/?/, ""));
      const body = request.body as { name: string; actions: unknown[] } | undefined;
      switch (request.method) {
        case "GET":
          return roles.has(name)
            ? { status: 200, body: { name, actions: roles.get(name) } }
            : { status: 404, body: {} };
        case "POST":
          if (roles.has(body!.name)) return { status: 409, body: { detail: "exists" } };
          roles.set(body!.name, body!.actions);
          return { status: 200, body };
        case "PATCH":
          if (!roles.has(name)) return { status: 404, body: {} };
          roles.set(name, body!.actions);
          return { status: 200, body };
        case "DELETE":
          return roles.delete(name) ? { status: 204, body: undefined } : { status: 404, body: {} };
        default:
          return { status: 405, body: {} };
      }
    },
  };
  return { transport, roles, requests };
}

const spec = customRoleSpec("SalesViewer", ["sales_daily"]);
const airflow = {
  kind: "mwaa",
  environmentName: "airflow-2-11",
  airflowVersion: "2.11.0",
  region: "us-east-1",
};

describe("AirflowRole", () => {
  it("creates a role that does not exist with exactly the listed permissions", async () => {
    const api = fakeRoleApi();
    const lines: string[] = [];
    assert.deepEqual(await applyRole(api.transport, spec.name, spec.actions, (l) => lines.push(l)), {
      adopted: false,
    });
    assert.deepEqual(api.requests, ["GET /roles/SalesViewer", "POST /roles"]);
    assert.deepEqual(api.roles.get("SalesViewer"), spec.actions);
    assert.match(lines[0], /role SalesViewer created with \d+ permissions/);
  });

  it("adopts a role that exists, setting its permissions, and says so", async () => {
    const api = fakeRoleApi({ SalesViewer: [{ action: { name: "can_read" }, resource: { name: "DAGs" } }] });
    assert.deepEqual(await applyRole(api.transport, spec.name, spec.actions, () => undefined), {
      adopted: true,
    });
    assert.deepEqual(api.requests, ["GET /roles/SalesViewer", "PATCH /roles/SalesViewer"]);
    assert.deepEqual(api.roles.get("SalesViewer"), spec.actions, "no permission on every DAG is left");
  });

  it("updates in place and deletes, a role already gone included", async () => {
    const api = fakeRoleApi({ SalesViewer: [] });
    await updateRole(api.transport, spec.name, spec.actions);
    assert.deepEqual(api.roles.get("SalesViewer"), spec.actions);
    await removeRole(api.transport, spec.name);
    await removeRole(api.transport, spec.name);
    assert.equal(api.roles.size, 0);
  });

  it("reports Airflow's refusal with the request and the answer", async () => {
    const forbidden: RestTransport = {
      description: "forbidden",
      apiVersion: "v1",
      send: async () => ({ status: 403, body: { detail: "Forbidden" } }),
    };
    await assert.rejects(
      applyRole(forbidden, "Team", spec.actions, () => undefined),
      /GET \/roles\/Team answered 403: .*Forbidden/,
    );
    await assert.rejects(removeRole(forbidden, "Team"), /DELETE \/roles\/Team answered 403/);
  });

  it("check refuses a built-in role, empty permissions and an Airflow 3 target; leaves unknowns alone", async () => {
    const good = await airflowRoleProvider.check!(
      {},
      { airflow, roleName: "SalesViewer", permissions: spec.actions },
    );
    assert.deepEqual(good.failures, []);
    assert.match(good.inputs.providerVersion, /^[0-9a-f]{16}$/);
    const bad = await airflowRoleProvider.check!(
      {},
      { airflow: { ...airflow, airflowVersion: "3.0.6" }, roleName: "Admin", permissions: [] },
    );
    assert.deepEqual(
      bad.failures?.map((f) => f.property),
      ["roleName", "permissions", "airflow.airflowVersion"],
    );
    assert.match(bad.failures![2].reason, /Airflow 3 manages roles through the FAB provider's API/);
    const preview = await airflowRoleProvider.check!(
      {},
      { airflow, roleName: UNKNOWN, permissions: UNKNOWN },
    );
    assert.deepEqual(preview.failures, []);
  });

  it("replaces on another role name or Airflow, and updates permissions in place", async () => {
    const olds = {
      airflow,
      roleName: "SalesViewer",
      permissions: spec.actions,
      providerVersion: "x",
      adopted: false,
    };
    const moreDags = customRoleSpec("SalesViewer", ["sales_daily", "sales_weekly"]).actions;
    const inPlace = await airflowRoleProvider.diff!("id", olds, { ...olds, permissions: moreDags });
    assert.deepEqual([inPlace.changes, inPlace.replaces], [true, []]);
    const renamed = await airflowRoleProvider.diff!("id", olds, { ...olds, roleName: "Sales" });
    assert.deepEqual(renamed.replaces, ["roleName"]);
  });
});
