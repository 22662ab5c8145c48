/**
 * AirflowRole: a custom Airflow role on the target, with exactly the permissions listed (the web UI
 * mapping's role limited to some DAGs, rules/webUiAccess.ts). Airflow 2's stable REST API manages roles
 * (`/roles`, API v1), reached through MWAA's InvokeRestApi as the deployer's Admin role, or directly on a
 * self-managed Airflow. Airflow 3 moved them to the FAB auth manager's own API (`/auth/fab/v1/roles`),
 * which InvokeRestApi does not reach: there the API server is reached with its JWT, through MWAA's web
 * login as the deployer's Admin role, or from `/auth/token` on a self-managed Airflow.
 *
 * A role that already exists when the resource is created is adopted: its permissions are set to the
 * listed ones, and deleting the resource leaves the role in place (it was not ours to remove). Setting
 * permissions may recreate the role (see setPermissions): its users keep it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import type { AirflowPermission } from "../rules/webUiAccess";
import { isBuiltInRole } from "../rules/webUiAccess";
import { AirflowApiError } from "./airflow/client";
import { DirectRestTransport } from "./airflow/directRest";
import { FabApiTransport } from "./airflow/fabApi";
import { InvokeRestApiTransport } from "./airflow/invokeRestApi";
import type { RestTransport } from "./airflow/restClient";
import { restApiVersionFor } from "./airflow/restPaths";
import { accessOf } from "./framework/awsAccess";
import { Failures, fail, isUnknown } from "./framework/checks";
import { PROVIDER_VERSION } from "./framework/commonInputs";
import { type AirflowInputs, type ResourceType, resourceProvider } from "./framework/provider";
import { RESOURCE_MODULE, workResourceOptions } from "./framework/resource";
import { type AirflowTarget, connectionFor, describeAirflow, sessionsFor } from "./framework/target";

export interface AirflowRoleInputs extends AirflowInputs {
  roleName: string;
  permissions: AirflowPermission[];
  providerVersion: string;
}

export interface AirflowRoleOutputs {
  /** True when the role existed before: its permissions were set, and delete leaves it. */
  adopted: boolean;
  appliedAt: string;
}

const ROLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const rolePath = (name: string) => `/roles/${encodeURIComponent(name)}`;

/**
 * Where a target's roles are: Airflow 2's REST API, whose PATCH only adds permissions, or the FAB auth
 * manager's API on Airflow 3, whose PATCH sets them exactly (`patchSetsExactly`).
 */
export interface RoleTransport extends Pick<RestTransport, "description" | "send"> {
  readonly patchSetsExactly?: boolean;
}

/** What to do about a refusal the user can act on. */
function roleRefusalHint(status: number, body: unknown): string {
  const text = typeof body === "string" ? body : JSON.stringify(body ?? "");
  if (status === 400 && /resource.*(not found|does not exist)/i.test(text))
    return "; a DAG's permissions exist on the target once Airflow has parsed the DAG: deploy its file and run the update again";
  if (status === 404)
    return "; the target has no role API there (Airflow 3 needs the FAB auth manager, apache-airflow-providers-fab 3.x)";
  return "";
}

/** Airflow's answer to a role call, as an error that says what was asked. */
function refused(what: string, status: number, body: unknown): AirflowApiError {
  const detail =
    typeof body === "object" && body !== null ? JSON.stringify(body).slice(0, 400) : String(body);
  return new AirflowApiError(
    `${what} answered ${status}: ${detail}${roleRefusalHint(status, body)}`,
    status,
    false,
    body,
  );
}

const permissionKey = (p: AirflowPermission) => `${p.action.name} on ${p.resource.name}`;

/**
 * Makes the role exist with exactly `permissions`: set on the role when it exists (adopted), else POST.
 * Separate from the provider so tests drive it with a transport of their own.
 */
export async function applyRole(
  transport: RoleTransport,
  roleName: string,
  permissions: AirflowPermission[],
  log: (line: string) => void,
): Promise<{ adopted: boolean }> {
  const existing = await transport.send({ method: "GET", path: rolePath(roleName) });
  if (existing.status === 200) {
    await setPermissions(transport, roleName, heldPermissions(existing.body), permissions, log);
    log(`role ${roleName} existed: its permissions are now the ${permissions.length} listed`);
    return { adopted: true };
  }
  if (existing.status !== 404) throw refused(`GET ${rolePath(roleName)}`, existing.status, existing.body);
  await createRole(transport, roleName, permissions);
  log(`role ${roleName} created with ${permissions.length} permissions`);
  return { adopted: false };
}

/** Sets an existing role's permissions to exactly the listed ones (an update in place). */
export async function updateRole(
  transport: RoleTransport,
  roleName: string,
  permissions: AirflowPermission[],
  log: (line: string) => void,
): Promise<void> {
  const existing = await transport.send({ method: "GET", path: rolePath(roleName) });
  if (existing.status === 404) {
    await createRole(transport, roleName, permissions);
    log(`role ${roleName} was gone: created it again with the ${permissions.length} listed permissions`);
    return;
  }
  if (existing.status !== 200) throw refused(`GET ${rolePath(roleName)}`, existing.status, existing.body);
  await setPermissions(transport, roleName, heldPermissions(existing.body), permissions, log);
}

function heldPermissions(role: unknown): AirflowPermission[] {
  const actions = (role as { actions?: unknown } | undefined)?.actions;
  return Array.isArray(actions) ? (actions as AirflowPermission[]) : [];
}

async function createRole(transport: RoleTransport, roleName: string, permissions: AirflowPermission[]) {
  const created = await transport.send({
    method: "POST",
    path: "/roles",
    body: { name: roleName, actions: permissions },
  });
  if (created.status !== 200 && created.status !== 201)
    throw refused("POST /roles", created.status, created.body);
}

/**
 * Airflow's PATCH /roles only adds permissions (the FAB security manager's bulk_sync_roles never takes one
 * away), and the API has no call that removes one. So a role holding a permission that is not listed is
 * recreated with the listed ones, and given back to every user that held it.
 */
async function setPermissions(
  transport: RoleTransport,
  roleName: string,
  held: AirflowPermission[],
  permissions: AirflowPermission[],
  log: (line: string) => void,
): Promise<void> {
  const listed = new Set(permissions.map(permissionKey));
  const unlisted = held.filter((p) => !listed.has(permissionKey(p)));
  if (unlisted.length === 0 || transport.patchSetsExactly) {
    const body = { name: roleName, actions: permissions };
    const patched = await transport.send({ method: "PATCH", path: rolePath(roleName), body });
    if (patched.status !== 200) throw refused(`PATCH ${rolePath(roleName)}`, patched.status, patched.body);
    if (unlisted.length > 0) await assertTaken(transport, roleName, unlisted);
    return;
  }
  const holders = await usersHolding(transport, roleName);
  log(
    `role ${roleName} holds ${unlisted.length} permissions not listed (${unlisted.map(permissionKey).join(", ")}); ` +
      `Airflow's API cannot take one away, so the role is recreated and given back to ${holders.length} users`,
  );
  const deleted = await transport.send({ method: "DELETE", path: rolePath(roleName) });
  if (deleted.status !== 204 && deleted.status !== 200)
    throw refused(`DELETE ${rolePath(roleName)}`, deleted.status, deleted.body);
  try {
    await createRole(transport, roleName, permissions);
    for (const user of holders) {
      const path = `/users/${encodeURIComponent(user.username)}`;
      const patched = await transport.send({
        method: "PATCH",
        path,
        query: { update_mask: "roles" },
        body: user,
      });
      if (patched.status !== 200) throw refused(`PATCH ${path}`, patched.status, patched.body);
    }
  } catch (error) {
    throw new Error(
      `${(error as Error).message}; role ${roleName} was deleted to be recreated, and these users held it: ` +
        `${holders.map((u) => u.username).join(", ") || "none"}. Run the update again, or give them the role back by hand.`,
    );
  }
}

/** An older FAB provider's PATCH only added permissions: say so rather than leave the role wider than listed. */
async function assertTaken(transport: RoleTransport, roleName: string, unlisted: AirflowPermission[]) {
  const after = await transport.send({ method: "GET", path: rolePath(roleName) });
  if (after.status !== 200) throw refused(`GET ${rolePath(roleName)}`, after.status, after.body);
  const held = new Set(heldPermissions(after.body).map(permissionKey));
  const kept = unlisted.filter((p) => held.has(permissionKey(p)));
  if (kept.length > 0)
    throw new Error(
      `role ${roleName} still holds ${kept.map(permissionKey).join(", ")} after ${transport.description} was asked ` +
        `to set its permissions: that FAB provider only adds them. Upgrade apache-airflow-providers-fab on the target ` +
        `(3.x sets them exactly), or take those permissions off the role by hand.`,
    );
}

interface RoleHolder {
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  roles: { name: string }[];
}

/** The users holding the role, each as the body that gives them their roles again (GET /users, paged). */
async function usersHolding(transport: RoleTransport, roleName: string): Promise<RoleHolder[]> {
  const holders: RoleHolder[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await transport.send({ method: "GET", path: "/users", query: { limit: 100, offset } });
    if (page.status !== 200) throw refused("GET /users", page.status, page.body);
    const users = ((page.body as { users?: RoleHolder[] }).users ?? []) as RoleHolder[];
    for (const u of users)
      if (u.roles?.some((r) => r.name === roleName))
        holders.push({
          username: u.username,
          email: u.email,
          first_name: u.first_name,
          last_name: u.last_name,
          roles: u.roles.map((r) => ({ name: r.name })),
        });
    if (users.length < 100) return holders;
  }
}

/** Deletes the role; one already gone is fine. */
export async function removeRole(transport: RoleTransport, roleName: string): Promise<void> {
  const deleted = await transport.send({ method: "DELETE", path: rolePath(roleName) });
  if (deleted.status !== 204 && deleted.status !== 200 && deleted.status !== 404)
    throw refused(`DELETE ${rolePath(roleName)}`, deleted.status, deleted.body);
}

/**
 * The transport to the target's role API: on Airflow 3 the FAB auth manager's API through the API server's
 * sessions; on 2.x InvokeRestApi for MWAA, the REST API itself for self-managed Airflow.
 */
function roleTransport(target: AirflowTarget, region: string | undefined): RoleTransport {
  const apiVersion = restApiVersionFor(target.airflowVersion);
  // The REST API v2 (Airflow 3) has no roles: they are the FAB auth manager's.
  if (apiVersion === "v2") return new FabApiTransport(sessionsFor(target, region));
  const connection = connectionFor(target, region);
  switch (connection.kind) {
    case "mwaa-rest":
      return new InvokeRestApiTransport({
        ...accessOf(connection),
        region: connection.region,
        environmentName: connection.environmentName,
        apiVersion,
      });
    case "airflow-rest":
      return new DirectRestTransport({ ...connection, apiVersion });
    default:
      throw new Error(
        `${describeAirflow(target)} has no REST API to manage roles through (InvokeRestApi needs Airflow 2.4.3 or later)`,
      );
  }
}

function checkPermissions(inputs: Record<string, unknown>, failures: Failures): void {
  const value = inputs.permissions;
  if (isUnknown(value)) return;
  const valid =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (p) =>
        typeof p?.action?.name === "string" &&
        p.action.name !== "" &&
        typeof p?.resource?.name === "string" &&
        p.resource.name !== "",
    );
  if (!valid)
    fail(
      failures,
      "permissions",
      'permissions must be a non-empty list of {"action": {"name": "can_read"}, "resource": {"name": "DAG:<dag_id>"}}',
    );
}

export const airflowRoleType: ResourceType<AirflowRoleInputs, AirflowRoleOutputs> = {
  name: "AirflowRole",
  defaults: { providerVersion: PROVIDER_VERSION },
  replacing: ["airflow", "roleName"],
  check(inputs, failures) {
    const name = inputs.roleName;
    if (!isUnknown(name) && (typeof name !== "string" || !ROLE_NAME.test(name) || isBuiltInRole(name)))
      fail(
        failures,
        "roleName",
        `roleName ${JSON.stringify(name)} must be a custom role name (a letter, then letters, digits, _ or -), not one of Airflow's built-in roles`,
      );
    checkPermissions(inputs, failures);
  },
  async create(inputs, context) {
    const log = (line: string) => context.log(`[AirflowRole] ${line}`);
    const transport = roleTransport(inputs.airflow, context.regionOf(inputs));
    const { adopted } = await applyRole(transport, inputs.roleName, inputs.permissions, log);
    return {
      id: `${describeAirflow(inputs.airflow)}#role/${inputs.roleName}`,
      outs: { adopted, appliedAt: new Date(context.clock.now()).toISOString() },
    };
  },
  async update(_id, olds, news, context) {
    const log = (line: string) => context.log(`[AirflowRole] ${line}`);
    await updateRole(
      roleTransport(news.airflow, context.regionOf(news)),
      news.roleName,
      news.permissions,
      log,
    );
    return { adopted: olds.adopted ?? false, appliedAt: new Date(context.clock.now()).toISOString() };
  },
  async delete(_id, props, context) {
    if (typeof props.airflow !== "object" || props.airflow === null || typeof props.roleName !== "string")
      return;
    if (props.adopted) {
      context.log(`[AirflowRole] role ${props.roleName} existed before this stack: left in place`);
      return;
    }
    await removeRole(roleTransport(props.airflow, context.regionOf(props)), props.roleName);
  },
};

export const airflowRoleProvider = resourceProvider(airflowRoleType);

export interface AirflowRoleArgs {
  airflow: pulumi.Input<AirflowTarget>;
  roleName: pulumi.Input<string>;
  permissions: pulumi.Input<AirflowPermission[]>;
  region?: pulumi.Input<string>;
}

/** A custom Airflow role with exactly the listed permissions. */
export class AirflowRole extends dynamic.Resource {
  declare readonly adopted: pulumi.Output<boolean>;
  declare readonly appliedAt: pulumi.Output<string>;

  constructor(name: string, args: AirflowRoleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      airflowRoleProvider,
      name,
      { ...args, adopted: undefined, appliedAt: undefined },
      workResourceOptions(opts),
      RESOURCE_MODULE,
      "AirflowRole",
    );
  }
}
