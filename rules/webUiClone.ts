/**
 * The source environment's web UI mapping, read back from the IAM policies that carry it, so cloning can
 * give each principal the same Airflow role on the target.
 *
 * On MWAA the mapping is nothing but `airflow:CreateWebLoginToken` allowed on
 * `arn:<partition>:airflow:<region>:<account>:role/<environment>/<airflow role>`. A statement whose
 * environment or role is a wildcard, that is conditional, or that is written with NotAction/NotResource
 * cannot be carried as a mapping: it is listed in the notes for a person to decide.
 */
import { BUILT_IN_AIRFLOW_ROLES, isBuiltInRole, parsePrincipal, type WebUiMapping } from "./webUiAccess";

/** One customer-managed policy of the source's account and the principals it is attached to (ARNs). */
export interface AttachedPolicy {
  readonly policyArn: string;
  readonly document: unknown;
  readonly principals: readonly string[];
}

export interface SourceEnvironmentRef {
  readonly name: string;
  readonly region: string;
  readonly account: string;
  readonly partition: string;
}

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}

const asList = (value: unknown): string[] =>
  typeof value === "string"
    ? [value]
    : Array.isArray(value)
      ? value.filter((v) => typeof v === "string")
      : [];

/** IAM's wildcard match (`*`, `?`), case-insensitive as action names are. */
function wildcardMatches(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "i").test(value);
}

const LOGIN_ACTION = "airflow:CreateWebLoginToken";

function statementsOf(document: unknown): Statement[] {
  const statement = (document as { Statement?: unknown } | null)?.Statement;
  const list = Array.isArray(statement) ? statement : statement ? [statement] : [];
  return list.filter((s): s is Statement => typeof s === "object" && s !== null);
}

/** The Airflow role a login resource gives on `env`; "wildcard" when it matches the environment loosely. */
function roleOfResource(resource: string, env: SourceEnvironmentRef): string | "wildcard" | undefined {
  const match = /^arn:([^:]*):airflow:([^:]*):([^:]*):role\/([^/]*)\/(.+)$/.exec(resource);
  if (resource === "*") return "wildcard";
  if (!match) return undefined;
  const [, partition, region, account, environment, role] = match;
  const fits = (pattern: string, value: string) => wildcardMatches(pattern, value);
  if (!fits(partition, env.partition) || !fits(region, env.region) || !fits(account, env.account))
    return undefined;
  if (!fits(environment, env.name)) return undefined;
  if (/[*?]/.test(environment) || /[*?]/.test(role)) return "wildcard";
  return role;
}

/** Most privileged first: a principal with several built-in roles keeps the highest. */
const RANK = [...BUILT_IN_AIRFLOW_ROLES];

/**
 * The mappings the source's policies express, one per principal, and notes on what was not carried.
 * A principal with several built-in roles keeps the most privileged; a custom role is not carried (its
 * DAG list lives in the source's Airflow): the note asks for it in webUiAccess.
 */
export function sourceWebUiMappings(
  env: SourceEnvironmentRef,
  policies: readonly AttachedPolicy[],
): { mappings: WebUiMapping[]; notes: string[] } {
  const notes: string[] = [];
  const rolesByPrincipal = new Map<string, Set<string>>();
  for (const policy of policies) {
    for (const statement of statementsOf(policy.document)) {
      if (statement.Effect !== "Allow") continue;
      const grantsLogin =
        asList(statement.Action).some((a) => wildcardMatches(a, LOGIN_ACTION)) ||
        (statement.NotAction !== undefined &&
          !asList(statement.NotAction).some((a) => wildcardMatches(a, LOGIN_ACTION)));
      if (!grantsLogin) continue;
      const resources = asList(statement.Resource).map((r) => roleOfResource(r, env));
      const onSource = resources.some((r) => r !== undefined) || statement.NotResource !== undefined;
      if (!onSource) continue;
      if (
        statement.NotAction !== undefined ||
        statement.NotResource !== undefined ||
        statement.Condition !== undefined
      ) {
        notes.push(
          `${policy.policyArn} lets ${policy.principals.join(", ")} into ${env.name}'s UI with NotAction, ` +
            `NotResource or a condition; not carried: map them in webUiAccess yourself`,
        );
        continue;
      }
      if (resources.includes("wildcard")) {
        notes.push(
          `${policy.policyArn} lets ${policy.principals.join(", ")} into ${env.name}'s UI as any Airflow role ` +
            `(a wildcard); not carried: map them in webUiAccess to the role they should have`,
        );
        continue;
      }
      for (const principal of policy.principals) {
        const roles = rolesByPrincipal.get(principal) ?? new Set<string>();
        for (const role of resources) if (role && role !== "wildcard") roles.add(role);
        rolesByPrincipal.set(principal, roles);
      }
    }
  }
  const mappings: WebUiMapping[] = [];
  for (const [given, roles] of [...rolesByPrincipal].sort(([a], [b]) => a.localeCompare(b))) {
    const principal = parsePrincipal(given);
    if (!principal) continue;
    const builtIn = RANK.filter((role) => roles.has(role));
    for (const custom of [...roles].filter((role) => !isBuiltInRole(role)).sort())
      notes.push(
        `${given} has the custom Airflow role ${custom} on ${env.name}; not carried (its DAGs are the ` +
          `source Airflow's): add {"principal":"${given}","airflowRole":"${custom}","dags":[...]} to webUiAccess`,
      );
    if (builtIn.length === 0) continue;
    if (builtIn.length > 1)
      notes.push(
        `${given} has ${builtIn.join(", ")} on ${env.name}; carried as ${builtIn[0]}, the most privileged`,
      );
    mappings.push({ principal, airflowRole: builtIn[0] });
  }
  return { mappings, notes };
}

/** The explicit mapping, plus each cloned principal it does not name (explicit config wins). */
export function withClonedMappings(
  explicit: readonly WebUiMapping[],
  cloned: readonly WebUiMapping[],
): WebUiMapping[] {
  const key = (m: WebUiMapping) => `${m.principal.kind}:${m.principal.name}`;
  const named = new Set(explicit.map(key));
  return [...explicit, ...cloned.filter((m) => !named.has(key(m)))];
}
