/**
 * Who may open an MWAA environment's Airflow UI as Admin. MWAA gives the UI's Airflow role from the
 * resource of `airflow:CreateWebLoginToken` (`arn:aws:airflow:<region>:<account>:role/<env>/<role>`), so
 * any IAM document in the stack allowing that action on an Admin role (or on a pattern that covers one)
 * makes its principal an Airflow Admin: every DAG, connection and variable, and user management.
 */
import { PackConfig } from "../lib/config";
import { Finding } from "../lib/findings";
import { Statement, describeStatement, globMatches, isAnyResource } from "../lib/iamDocument";
import { CarriedDocument, ResourceLike, TYPES, allDocuments, resourceLabel, tagsOf } from "../lib/stackModel";
import { peek } from "../lib/unknowns";

const WEB_LOGIN_ACTION = "airflow:createweblogintoken";
const ADMIN_ROLE = "Admin";
const AIRFLOW_ROLE_ARN = /^arn:[^:]*:airflow:[^:]*:[^:]*:role\/(.*)$/i;

/** Tag the program puts on a customer-managed UI policy: the principal (permission set) it is for. */
export const WEB_UI_PRINCIPAL_TAG = "mwaa-migration:web-ui-principal";

function allowsWebLogin(statement: Statement): boolean {
  if (statement.notActions) return !statement.notActions.some((a) => globMatches(a, WEB_LOGIN_ACTION));
  return statement.actions.some((a) => globMatches(a, WEB_LOGIN_ACTION));
}

/** True when a resource pattern can name the Admin role of some environment. */
function coversAdmin(pattern: string): boolean {
  if (isAnyResource(pattern)) return true;
  const match = AIRFLOW_ROLE_ARN.exec(pattern);
  if (!match) return false;
  const rest = match[1];
  if (!rest.includes("/")) return rest.includes("*");
  return globMatches(rest.slice(rest.lastIndexOf("/") + 1), ADMIN_ROLE);
}

function givesAdmin(statement: Statement): boolean {
  if (statement.effect !== "Allow" || !allowsWebLogin(statement)) return false;
  return statement.notResources !== undefined || statement.resources.some(coversAdmin);
}

/** What names the principal a document is for: the names and ARNs a config entry may give. */
function principalOf(doc: CarriedDocument): { label: string; names: string[] } | undefined {
  const carrier = doc.carrier;
  const prop = {
    [TYPES.rolePolicy]: "role",
    "aws:iam/userPolicy:UserPolicy": "user",
    "aws:iam/groupPolicy:GroupPolicy": "group",
  }[carrier.type];
  let values: unknown[] = [];
  if (prop) values = [peek(carrier.props, prop)];
  else if (carrier.type === TYPES.role || carrier.type === TYPES.user || carrier.type === TYPES.group)
    values = [peek(carrier.props, "name"), peek(carrier.props, "arn"), carrier.name];
  else if (carrier.type === TYPES.policy)
    values = [tagsOf(carrier)[WEB_UI_PRINCIPAL_TAG], peek(carrier.props, "name"), carrier.name];
  const names = values.filter((v): v is string => typeof v === "string" && v !== "");
  if (!names.length) return undefined;
  return { label: names[0], names };
}

/** A config entry names a principal by ARN or by name, with or without an `sso:` prefix. */
function listed(names: string[], allowlist: string[]): boolean {
  const short = (v: string) => v.replace(/^sso:/, "").split("/").pop()!.toLowerCase();
  return allowlist.some((entry) =>
    names.some(
      (n) =>
        n === entry || (short(n) === short(entry) && !(n.startsWith("arn:") && entry.startsWith("arn:"))),
    ),
  );
}

/** No IAM document in the stack lets a principal outside `webUiAdmins` open the UI as Admin. */
export function checkWebUiAdmins(resources: ResourceLike[], config: PackConfig): Finding[] {
  const findings: Finding[] = [];
  for (const doc of allDocuments(resources)) {
    if (doc.unknown || !doc.parsed) continue;
    for (const statement of doc.parsed.statements.filter(givesAdmin)) {
      const principal = principalOf(doc);
      if (principal && listed(principal.names, config.webUiAdmins)) continue;
      findings.push({
        urn: doc.carrier.urn,
        resource: resourceLabel(doc.carrier),
        subject: `${doc.where} ${describeStatement(statement)}`,
        problem: `lets ${principal ? principal.label : "a principal the pack cannot tell"} open the Airflow UI as ${ADMIN_ROLE} (airflow:CreateWebLoginToken on an Admin role), and it is not in webUiAdmins.`,
        fix: "map the principal to Op, User or Viewer (or a custom role with its DAGs), or list it in webUiAdmins.",
      });
    }
  }
  return findings;
}
