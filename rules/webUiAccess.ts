/**
 * Who may open the target's Airflow UI, and as which Airflow role.
 *
 * MWAA lets an IAM principal into the UI through `airflow:CreateWebLoginToken` on the resource
 * `arn:aws:airflow:<region>:<account>:role/<environment>/<airflow role>`: the Airflow role in the ARN is
 * the one the user gets. So the mapping is a set of small identity policies, one per principal, each on
 * exactly the role the mapping names, attached to the principal the way IAM allows for its kind:
 * an inline policy on a role, user or group. IAM Identity Center's roles (`AWSReservedSSO_<set>_<id>`)
 * cannot carry policies set through IAM; for them a customer-managed policy is created, for the
 * permission set to reference by name.
 *
 * A custom Airflow role is limited to some DAGs. Airflow's built-in roles exist on every environment; a
 * custom one has to be created in Airflow (its REST API) with the DAG-level permissions listed.
 */
import { type AccountScope, airflowRoleArn, partitionOf } from "./arns";
import { type PolicyDocument, policyDocument } from "./permissionTable";

export const BUILT_IN_AIRFLOW_ROLES = ["Admin", "Op", "User", "Viewer", "Public"] as const;
export const ADMIN_AIRFLOW_ROLE = "Admin";

export type PrincipalKind = "role" | "user" | "group" | "sso";

export interface WebUiPrincipal {
  readonly kind: PrincipalKind;
  /** As given in the config. */
  readonly given: string;
  /** The role, user or group name (last segment of its ARN); for `sso`, the permission set's name. */
  readonly name: string;
  /** The account of an ARN; undefined for an SSO permission set (it is provisioned into the account). */
  readonly account?: string;
  /** The partition of an ARN (`aws`, `aws-cn`, ...). */
  readonly partition?: string;
}

export interface WebUiMapping {
  readonly principal: WebUiPrincipal;
  readonly airflowRole: string;
  /** For a custom role: the DAG ids it may see (and run); undefined for a built-in role. */
  readonly dags?: readonly string[];
}

const IAM_PRINCIPAL_ARN =
  /^arn:(aws[a-z-]*):iam::(\d{12}):(role|user|group)\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]+)$/;
const SSO_ROLE_NAME = /^AWSReservedSSO_([\w+=,.@-]+)_[0-9a-f]{16}$/;
const SSO_PERMISSION_SET = /^sso:([\w+=,.@-]{1,32})$/;
const CUSTOM_ROLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const DAG_ID = /^[A-Za-z0-9_.-]{1,250}$/;

/**
 * A principal as the config may name it: a role, user or group ARN; an Identity Center role name
 * (`AWSReservedSSO_<permission set>_<id>`, or its ARN); or `sso:<permission set>`. Undefined otherwise.
 */
export function parsePrincipal(given: string): WebUiPrincipal | undefined {
  const sso = SSO_PERMISSION_SET.exec(given) ?? SSO_ROLE_NAME.exec(given);
  if (sso) return { kind: "sso", given, name: sso[1] };
  const arn = IAM_PRINCIPAL_ARN.exec(given);
  if (!arn) return undefined;
  const [, partition, account, kind, name] = arn;
  const ssoRole = kind === "role" ? SSO_ROLE_NAME.exec(name) : null;
  if (ssoRole) return { kind: "sso", given, name: ssoRole[1], account, partition };
  return { kind: kind as PrincipalKind, given, name, account, partition };
}

export const isBuiltInRole = (role: string) => (BUILT_IN_AIRFLOW_ROLES as readonly string[]).includes(role);

const KEY = "mwaa-migration:webUiAccess";

/**
 * Parses the `webUiAccess` config: a JSON list of `{"principal": ..., "airflowRole": ..., "dags": [...]}`.
 * Every problem names the entry and the fix; each principal appears once.
 */
export function parseWebUiAccess(text: string): { mappings: WebUiMapping[]; problems: string[] } {
  const problems: string[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.trim() || "[]");
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed)) {
    return {
      mappings: [],
      problems: [
        `${KEY} is not a JSON list; set it like [{"principal":"arn:aws:iam::<account>:role/DataEngineers","airflowRole":"Op"}].`,
      ],
    };
  }
  const mappings: WebUiMapping[] = [];
  const seen = new Set<string>();
  parsed.forEach((entry: unknown, index) => {
    const at = `${KEY}[${index}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      problems.push(`${at} is not an object; give {"principal": "<ARN>", "airflowRole": "Viewer"}.`);
      return;
    }
    const { principal: given, airflowRole, dags, ...rest } = entry as Record<string, unknown>;
    const unknownKeys = Object.keys(rest);
    if (unknownKeys.length > 0)
      problems.push(
        `${at} has ${unknownKeys.join(", ")}; an entry takes principal, airflowRole and dags only.`,
      );
    const principal = typeof given === "string" ? parsePrincipal(given.trim()) : undefined;
    if (!principal) {
      problems.push(
        `${at}.principal ${JSON.stringify(given)} is not a principal this stack can attach a policy to; give a ` +
          `role, user or group ARN (arn:aws:iam::<account>:role/<name>), an IAM Identity Center role name ` +
          `(AWSReservedSSO_<permission set>_<id>) or sso:<permission set>.`,
      );
    } else if (seen.has(`${principal.kind}:${principal.name}`)) {
      problems.push(
        `${at}.principal ${principal.given} is mapped twice; give each principal one Airflow role.`,
      );
    }
    if (principal) seen.add(`${principal.kind}:${principal.name}`);
    if (typeof airflowRole !== "string" || !CUSTOM_ROLE_NAME.test(airflowRole)) {
      problems.push(
        `${at}.airflowRole ${JSON.stringify(airflowRole)} is not an Airflow role name; use ` +
          `${BUILT_IN_AIRFLOW_ROLES.join(", ")}, or a custom role (a letter, then letters, digits, _ or -) with "dags".`,
      );
      return;
    }
    const dagIds = parseDags(at, airflowRole, dags, problems);
    if (principal) mappings.push({ principal, airflowRole, ...(dagIds ? { dags: dagIds } : {}) });
  });
  problems.push(...customRoleConflicts(mappings));
  return { mappings, problems };
}

function parseDags(at: string, role: string, dags: unknown, problems: string[]): string[] | undefined {
  if (isBuiltInRole(role)) {
    if (dags !== undefined)
      problems.push(
        `${at}.dags is set for the built-in role ${role}, which sees every DAG; leave dags out, or name a custom role.`,
      );
    return undefined;
  }
  if (!Array.isArray(dags) || dags.length === 0 || !dags.every((d) => typeof d === "string")) {
    problems.push(
      `${at}.airflowRole ${role} is a custom role, which needs "dags": the list of DAG ids it may see ` +
        `(or use one of ${BUILT_IN_AIRFLOW_ROLES.join(", ")}).`,
    );
    return undefined;
  }
  const bad = dags.filter((d) => !DAG_ID.test(d));
  if (bad.length > 0) problems.push(`${at}.dags has ${bad.join(", ")}, which are not DAG ids.`);
  return [...new Set(dags)];
}

/** Two entries naming the same custom role must give it the same DAGs: it is one role in Airflow. */
function customRoleConflicts(mappings: WebUiMapping[]): string[] {
  const byRole = new Map<string, string>();
  const problems: string[] = [];
  for (const m of mappings) {
    if (!m.dags) continue;
    const dags = JSON.stringify([...m.dags].sort());
    const earlier = byRole.get(m.airflowRole);
    if (earlier !== undefined && earlier !== dags)
      problems.push(
        `${KEY} gives the custom role ${m.airflowRole} different dags in two entries; it is one Airflow role, list the same DAGs.`,
      );
    byRole.set(m.airflowRole, dags);
  }
  return problems;
}

/** The policy that lets a principal open the environment's UI as its Airflow role, and nothing else. */
export function webLoginPolicy(
  scope: AccountScope,
  environmentName: string,
  airflowRole: string,
): PolicyDocument {
  return policyDocument([
    {
      Sid: "WebLoginAsAirflowRole",
      Effect: "Allow",
      Action: ["airflow:CreateWebLoginToken"],
      Resource: airflowRoleArn(scope, environmentName, airflowRole),
    },
  ]);
}

/** A principal of another account, or of another partition than the target's region, cannot be given a policy here. */
export function foreignPrincipalProblems(mappings: readonly WebUiMapping[], scope: AccountScope): string[] {
  const partition = partitionOf(scope.region);
  const problems: string[] = [];
  for (const { principal } of mappings) {
    if (principal.partition !== undefined && principal.partition !== partition)
      problems.push(
        `${KEY} principal ${principal.given} is in the ${principal.partition} partition, but the target's region ` +
          `${scope.region} is in ${partition}: write its ARN as arn:${partition}:iam::...`,
      );
    else if (principal.account !== undefined && principal.account !== scope.account)
      problems.push(
        `${KEY} principal ${principal.given} is in account ${principal.account}, not the target's ${scope.account}; ` +
          `this stack attaches policies in the target's account only: map a principal of ${scope.account}.`,
      );
  }
  return problems;
}

/** The name of the inline (or, for SSO, customer-managed) policy: one per environment on a principal. */
export function webLoginPolicyName(environmentName: string, principal: WebUiPrincipal): string {
  return principal.kind === "sso"
    ? `${environmentName}-web-ui-${principal.name}`.slice(0, 128)
    : `${environmentName}-web-ui`.slice(0, 128);
}

/** One permission of an Airflow role, as Airflow's REST API writes it. */
export interface AirflowPermission {
  readonly action: { readonly name: string };
  readonly resource: { readonly name: string };
}

export interface CustomRoleSpec {
  readonly name: string;
  readonly actions: AirflowPermission[];
}

/**
 * What a custom role limited to some DAGs needs in Airflow's UI (the role a POST /roles creates): the
 * views a Viewer reads, without the DAGs resource itself, plus reading and editing (pause, trigger,
 * clear) each listed DAG through its `DAG:<dag_id>` resource.
 */
export const CUSTOM_ROLE_BASE_PERMISSIONS: readonly [string, string][] = [
  ["can_read", "Website"],
  ["can_read", "DAG Runs"],
  ["can_read", "Task Instances"],
  ["can_read", "Task Logs"],
  ["can_read", "My Profile"],
  ["can_edit", "My Profile"],
  ["menu_access", "Browse"],
  ["menu_access", "DAG Runs"],
  ["menu_access", "Task Instances"],
];

export function customRoleSpec(name: string, dags: readonly string[]): CustomRoleSpec {
  const pairs: [string, string][] = [
    ...CUSTOM_ROLE_BASE_PERMISSIONS,
    ...dags.flatMap((dag): [string, string][] => [
      ["can_read", `DAG:${dag}`],
      ["can_edit", `DAG:${dag}`],
    ]),
  ];
  return {
    name,
    actions: pairs.map(([action, resource]) => ({ action: { name: action }, resource: { name: resource } })),
  };
}

/** The custom roles of a mapping, once each. */
export function customRoles(mappings: readonly WebUiMapping[]): CustomRoleSpec[] {
  const seen = new Map<string, CustomRoleSpec>();
  for (const m of mappings)
    if (m.dags && !seen.has(m.airflowRole)) seen.set(m.airflowRole, customRoleSpec(m.airflowRole, m.dags));
  return [...seen.values()];
}

/** What the deployer needs to attach the mapping's login policies (rules/permissionTable's WebUiDeployerScope). */
export function webUiDeployerScope(
  environmentName: string,
  mappings: readonly WebUiMapping[],
  ssoInstanceArn?: string,
): {
  roleArns: string[];
  userArns: string[];
  groupArns: string[];
  policyNames: string[];
  ssoInstanceArn?: string;
} {
  const given = (kind: PrincipalKind) =>
    mappings.filter((m) => m.principal.kind === kind).map((m) => m.principal.given);
  return {
    roleArns: given("role"),
    userArns: given("user"),
    groupArns: given("group"),
    policyNames: mappings
      .filter((m) => m.principal.kind === "sso")
      .map((m) => webLoginPolicyName(environmentName, m.principal)),
    ...(ssoInstanceArn ? { ssoInstanceArn } : {}),
  };
}
