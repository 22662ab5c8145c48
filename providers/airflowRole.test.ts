import { strict as assert } from "assert";
import { customRoleSpec } from "../rules/webUiAccess";
import { type RoleTransport, airflowRoleProvider, applyRole, removeRole, updateRole } from "./airflowRole";
import type { RestRequest, RestResponse } from "./airflow/restClient";
import { UNKNOWN } from "./framework/checks";

type Permission = { action: { name: string }; resource: { name: string } };
type User = {
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  roles: { name: string }[];
};
const key = (p: Permission) => `${p.action.name} ${p.resource.name}`;

/**
 * Airflow 2's /roles and /users endpoints in memory, recording every request. As in Airflow, PATCH /roles
 * only adds permissions, and deleting a role takes it away from its users. `fab` makes it the FAB auth
 * manager's API of Airflow 3: it says its PATCH sets permissions exactly, and does so unless `patchAdds`
 * (an older FAB provider).
 */
function fakeRoleApi(
  existing: Record<string, Permission[]> = {},
  users: User[] = [],
  fab?: { patchAdds?: boolean },
) {
  const roles = new Map(Object.entries(existing));
  const requests: string[] = [];
  const transport: RoleTransport = {
    description: "fake",
    ...(fab ? { patchSetsExactly: true } : {}),
    async send(request: RestRequest): Promise<RestResponse> {
      requests.push(`${request.method} ${request.path}`);
      if (request.path.startsWith("/users")) return usersEndpoint(request);
      const name = decodeURIComponent(request.path.replace(/^\/roles\/?/, ""));
      const body = request.body as { name: string; actions: Permission[] } | undefined;
      switch (request.method) {
        case "GET":
          return roles.has(name)
            ? { status: 200, body: { name, actions: roles.get(name) } }
            : { status: 404, body: {} };
        case "POST":
          if (roles.has(body!.name)) return { status: 409, body: { detail: "exists" } };
          roles.set(body!.name, body!.actions);
          return { status: 200, body };
        case "PATCH": {
          const held = roles.get(name);
          if (!held) return { status: 404, body: {} };
          const have = new Set(held.map(key));
          if (fab && !fab.patchAdds) roles.set(name, body!.actions);
          else roles.set(name, [...held, ...body!.actions.filter((p) => !have.has(key(p)))]);
          return { status: 200, body };
        }
        case "DELETE":
          if (!roles.delete(name)) return { status: 404, body: {} };
          for (const u of users) u.roles = u.roles.filter((r) => r.name !== name);
          return { status: 204, body: undefined };
        default:
          return { status: 405, body: {} };
      }
    },
  };
  function usersEndpoint(request: RestRequest): RestResponse {
    if (request.method === "GET") {
      const offset = Number(request.query?.offset ?? 0);
      const limit = Number(request.query?.limit ?? 100);
      return {
        status: 200,
        body: { users: users.slice(offset, offset + limit), total_entries: users.length },
      };
    }
    const user = users.find((u) => `/users/${u.username}` === request.path);
    if (request.method !== "PATCH" || !user || request.query?.update_mask !== "roles")
      return { status: 400, body: {} };
    user.roles = (request.body as User).roles;
    return { status: 200, body: user };
  }
  return { transport, roles, requests, users };
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
    // The role held a permission on every DAG, which Airflow's PATCH would have kept: recreated instead.
    assert.deepEqual(api.requests, [
      "GET /roles/SalesViewer",
      "GET /users",
      "DELETE /roles/SalesViewer",
      "POST /roles",
    ]);
    assert.deepEqual(api.roles.get("SalesViewer"), spec.actions, "no permission on every DAG is left");
  });

  it("updates in place and deletes, a role already gone included", async () => {
    const api = fakeRoleApi({ SalesViewer: [] });
    await updateRole(api.transport, spec.name, spec.actions, () => undefined);
    assert.deepEqual(api.roles.get("SalesViewer"), spec.actions);
    await removeRole(api.transport, spec.name);
    await removeRole(api.transport, spec.name);
    assert.equal(api.roles.size, 0);
  });

  it("takes a permission away by recreating the role, and gives it back to every user that held it", async () => {
    const wider = customRoleSpec("SalesViewer", ["sales_daily", "sales_weekly"]).actions;
    const person = (username: string, roles: string[]): User => ({
      username,
      email: `${username}@example.com`,
      first_name: username,
      last_name: "X",
      roles: roles.map((name) => ({ name })),
    });
    const users = [
      ...Array.from({ length: 120 }, (_, i) => person(`viewer${i}`, ["Viewer"])),
      person("ana", ["SalesViewer", "Viewer"]),
    ];
    const api = fakeRoleApi({ SalesViewer: wider }, users);
    const lines: string[] = [];
    await updateRole(api.transport, spec.name, spec.actions, (l) => lines.push(l));
    assert.deepEqual(api.roles.get("SalesViewer")!.map(key).sort(), spec.actions.map(key).sort());
    assert.deepEqual(users.find((u) => u.username === "ana")!.roles, [
      { name: "SalesViewer" },
      { name: "Viewer" },
    ]);
    assert.match(
      lines[0],
      /holds 2 permissions not listed \(can_read on DAG:sales_weekly, can_edit on DAG:sales_weekly\)/,
    );
    assert.deepEqual(
      api.requests.filter((r) => !r.startsWith("GET /users")),
      ["GET /roles/SalesViewer", "DELETE /roles/SalesViewer", "POST /roles", "PATCH /users/ana"],
    );

    // Only adding: a PATCH, and no user is touched.
    api.requests.length = 0;
    await updateRole(api.transport, spec.name, wider, () => undefined);
    assert.deepEqual(api.requests, ["GET /roles/SalesViewer", "PATCH /roles/SalesViewer"]);
    assert.deepEqual(api.roles.get("SalesViewer")!.map(key).sort(), wider.map(key).sort());
  });

  it("on Airflow 3's FAB API, takes a permission away in place: no role is recreated", async () => {
    const every = { action: { name: "can_read" }, resource: { name: "DAGs" } };
    const holder = {
      username: "ann",
      email: "a@x",
      first_name: "A",
      last_name: "N",
      roles: [{ name: "SalesViewer" }],
    };
    const api = fakeRoleApi({ SalesViewer: [...spec.actions, every] }, [holder], {});
    await updateRole(api.transport, spec.name, spec.actions, () => undefined);
    assert.deepEqual(api.requests, [
      "GET /roles/SalesViewer",
      "PATCH /roles/SalesViewer",
      "GET /roles/SalesViewer",
    ]);
    assert.deepEqual(api.roles.get("SalesViewer"), spec.actions);
    assert.deepEqual(holder.roles, [{ name: "SalesViewer" }]);
  });

  it("says so when an older FAB provider's PATCH kept a permission it was to take away", async () => {
    const every = { action: { name: "can_read" }, resource: { name: "DAGs" } };
    const api = fakeRoleApi({ SalesViewer: [...spec.actions, every] }, [], { patchAdds: true });
    await assert.rejects(
      updateRole(api.transport, spec.name, spec.actions, () => undefined),
      /role SalesViewer still holds can_read on DAGs after fake was asked to set its permissions: .*Upgrade apache-airflow-providers-fab/,
    );
  });

  it("tells a role refused for a DAG the target has not parsed what to do", async () => {
    const transport: RoleTransport = {
      description: "fake",
      send: async (request) =>
        request.method === "GET"
          ? { status: 404, body: { detail: "Role with name 'SalesViewer' does not exist." } }
          : { status: 400, body: { detail: "The specified resource: 'DAG:sales_daily' was not found" } },
    };
    await assert.rejects(
      applyRole(transport, spec.name, spec.actions, () => undefined),
      /POST \/roles answered 400: .*DAG:sales_daily.* once Airflow has parsed the DAG: deploy its file and run the update again/,
    );
  });

  it("reports Airflow's refusal with the request and the answer", async () => {
    const forbidden: RoleTransport = {
      description: "forbidden",
      send: async () => ({ status: 403, body: { detail: "Forbidden" } }),
    };
    await assert.rejects(
      applyRole(forbidden, "Team", spec.actions, () => undefined),
      /GET \/roles\/Team answered 403: .*Forbidden/,
    );
    await assert.rejects(removeRole(forbidden, "Team"), /DELETE \/roles\/Team answered 403/);
  });

  it("check refuses a built-in role and empty permissions, takes an Airflow 3 target; leaves unknowns alone", async () => {
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
      ["roleName", "permissions"],
    );
    const airflow3 = await airflowRoleProvider.check!(
      {},
      {
        airflow: { ...airflow, airflowVersion: "3.0.6" },
        roleName: "SalesViewer",
        permissions: spec.actions,
      },
    );
    assert.deepEqual(airflow3.failures, []);
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
