/**
 * Checks on MWAA execution roles. An execution role runs every DAG's code, so whatever it is granted
 * every DAG author is granted. The checks hold it to MWAA's documented execution-role policy.
 */
import { PackConfig } from "../lib/config";
import {
  MWAA_DOCUMENTED_WILDCARD_ACTIONS,
  MWAA_RESOURCE_STAR_ACTIONS,
  MWAA_TRUSTED_SERVICES,
  PRIVILEGE_ESCALATION_ACTIONS,
} from "../lib/facts";
import { Finding } from "../lib/findings";
import {
  Principal,
  Statement,
  asWritten,
  conditionKeys,
  describeStatement,
  globMatches,
  isAnyResource,
  isServiceWideWildcard,
  isWildcard,
  parsePolicyDocument,
  requiresCondition,
  touchesService,
} from "../lib/iamDocument";
import {
  CarriedDocument,
  ResourceLike,
  RolePermissions,
  TYPES,
  executionRoles,
  externalExecutionRoles,
  ofType,
  resourceLabel,
  rolePermissions,
} from "../lib/stackModel";

function isExempt(role: ResourceLike, config: PackConfig): boolean {
  return config.exemptRoles.some((n) => n === role.name || n === role.props.name);
}

/** The stack's execution roles that the config does not exempt. */
function stackRoles(resources: ResourceLike[], config: PackConfig): ResourceLike[] {
  return executionRoles(resources).filter((r) => !isExempt(r, config));
}

/** What the stack grants its execution roles and those outside it that its environments name. */
function checkedRoles(resources: ResourceLike[], config: PackConfig): RolePermissions[] {
  const outside = externalExecutionRoles(resources).filter((r) => !isExempt(r, config));
  return [...stackRoles(resources, config), ...outside].map((r) => rolePermissions(resources, r));
}

function carrierLabel(carrier: ResourceLike, role: ResourceLike): string {
  const base = resourceLabel(carrier);
  return carrier.urn === role.urn ? base : `${base} (on execution role "${role.name}")`;
}

/** Runs `check` on every Allow statement of every document an execution role ends up with. */
function eachAllowStatement(
  resources: ResourceLike[],
  config: PackConfig,
  check: (
    statement: Statement,
    doc: CarriedDocument,
    role: ResourceLike,
  ) => Omit<Finding, "urn" | "resource" | "subject"> | undefined,
): Finding[] {
  const findings: Finding[] = [];
  for (const { role, documents } of checkedRoles(resources, config)) {
    for (const doc of documents) {
      if (doc.unknown) continue;
      if (!doc.parsed) {
        findings.push({
          urn: doc.carrier.urn,
          resource: carrierLabel(doc.carrier, role),
          subject: doc.where,
          problem: "is not a readable IAM policy document (expected JSON with a Statement).",
          fix: "pass the document as a JSON string or object with Version and Statement.",
        });
        continue;
      }
      for (const statement of doc.parsed.statements.filter((s) => s.effect === "Allow")) {
        const found = check(statement, doc, role);
        if (found) {
          findings.push({
            urn: doc.carrier.urn,
            resource: carrierLabel(doc.carrier, role),
            subject: `${doc.where} ${describeStatement(statement)}`,
            ...found,
          });
        }
      }
    }
  }
  return findings;
}

function principalList(principals: Principal[]): string {
  return principals.map((p) => `${p.kind} ${p.value}`).join(", ");
}

/** Why an execution role's trust statement lets something other than MWAA assume the role, if it does. */
function untrustedByMwaa(statement: Statement): string[] {
  const others = statement.principals.filter(
    (p) => !(p.kind === "Service" && MWAA_TRUSTED_SERVICES.includes(p.value.toLowerCase())),
  );
  const problems: string[] = [];
  if (others.length) problems.push(`lets ${principalList(others)} assume`);
  if (statement.notPrincipals) {
    problems.push(
      `uses NotPrincipal, which lets every principal except ${principalList(statement.notPrincipals)} assume`,
    );
  }
  return problems;
}

/**
 * Execution roles are trusted only by airflow.amazonaws.com and airflow-env.amazonaws.com, and no role
 * in the stack, execution role or not, exempt or not, is trusted by every principal.
 */
export function checkExecutionRoleTrust(resources: ResourceLike[], config: PackConfig): Finding[] {
  const findings: Finding[] = [];
  const execution = new Set(stackRoles(resources, config).map((r) => r.urn));
  for (const role of ofType(resources, TYPES.role)) {
    const trust = parsePolicyDocument(role.props.assumeRolePolicy);
    for (const statement of trust?.statements.filter((s) => s.effect === "Allow") ?? []) {
      const subject = `assumeRolePolicy statement ${statement.label}`;
      if (execution.has(role.urn)) {
        const problems = untrustedByMwaa(statement);
        if (!problems.length) continue;
        findings.push({
          urn: role.urn,
          resource: resourceLabel(role),
          subject,
          problem: `${problems.join("; ")} an MWAA execution role.`,
          fix: `trust only the services ${MWAA_TRUSTED_SERVICES.join(" and ")} in Principal; give other principals their own role.`,
        });
        continue;
      }
      const everyone = admitsEveryPrincipal(statement);
      if (!everyone) continue;
      findings.push({
        urn: role.urn,
        resource: resourceLabel(role),
        subject,
        problem: `lets ${everyone} assume this role.`,
        fix: "name the principals that may assume the role in Principal (an account, role or service); a Condition does not say who they are.",
      });
    }
  }
  return findings;
}

/**
 * "every principal (*)" when an Allow statement of a trust policy admits anyone (`"*"`, `{"AWS": "*"}`),
 * "every principal except ..." when it uses NotPrincipal; undefined when it names its principals.
 */
function admitsEveryPrincipal(statement: Statement): string | undefined {
  if (statement.notPrincipals) return `every principal except ${principalList(statement.notPrincipals)}`;
  if (statement.principals.some((p) => p.value === "*")) return "every principal (*)";
  return undefined;
}

/** No `*`, no service-wide or undocumented wildcards, no Allow+NotAction, no PassRole or policy management. */
export function checkExecutionRoleActions(resources: ResourceLike[], config: PackConfig): Finding[] {
  const allowedWildcards = [...MWAA_DOCUMENTED_WILDCARD_ACTIONS, ...config.extraAllowedWildcardActions].map(
    (a) => a.toLowerCase(),
  );
  const findings = eachAllowStatement(resources, config, (statement) => {
    if (statement.notActions) {
      return {
        problem: "uses Allow with NotAction, which grants every action not listed, including future ones.",
        fix: "list the actions the environment needs in Action instead.",
      };
    }
    const problems: string[] = [];
    const broad = statement.actions.filter(isServiceWideWildcard);
    if (broad.length)
      problems.push(`grants every action of a service (${asWritten(statement, broad).join(", ")})`);
    const undocumented = statement.actions.filter(
      (a) => isWildcard(a) && !isServiceWideWildcard(a) && !allowedWildcards.includes(a),
    );
    if (undocumented.length)
      problems.push(
        `uses wildcard actions outside MWAA's documented set (${asWritten(statement, undocumented).join(", ")})`,
      );
    const escalating = PRIVILEGE_ESCALATION_ACTIONS.filter((e) =>
      statement.actions.some((a) => globMatches(a, e)),
    );
    if (escalating.length)
      problems.push(`allows ${escalating.join(", ")}, which lets DAG code hand out permissions`);
    if (!problems.length) return undefined;
    return {
      problem: `${problems.join("; ")}.`,
      fix: "name each action the environment needs (MWAA's documented wildcards are s3:GetObject*, s3:GetBucket*, s3:List*, kms:GenerateDataKey*); remove iam:PassRole and policy-management actions, or add a documented exception in the pack config (extraAllowedWildcardActions).",
    };
  });
  const allowedManaged = config.allowedManagedPolicies.map((a) => a.toLowerCase());
  for (const { role, external } of checkedRoles(resources, config)) {
    for (const attachment of external) {
      const name = attachment.awsManagedName;
      if (
        allowedManaged.includes(attachment.arn.toLowerCase()) ||
        (name && allowedManaged.includes(name.toLowerCase()))
      ) {
        continue;
      }
      findings.push({
        urn: attachment.carrier.urn,
        resource: carrierLabel(attachment.carrier, role),
        subject: `policy attachment ${attachment.arn}`,
        problem: name
          ? `attaches the AWS managed policy ${name} to an MWAA execution role; its permissions are not scoped to the environment.`
          : "attaches a policy that is not defined in this stack, so its statements cannot be checked.",
        fix: "grant the environment's needs in a policy defined in this stack, or list the policy in allowedManagedPolicies.",
      });
    }
  }
  return findings;
}

/** `Resource: "*"` only for the actions MWAA documents as needing it. */
export function checkExecutionRoleResourceStar(resources: ResourceLike[], config: PackConfig): Finding[] {
  const allowed = [...MWAA_RESOURCE_STAR_ACTIONS, ...config.extraResourceStarActions].map((a) =>
    a.toLowerCase(),
  );
  return eachAllowStatement(resources, config, (statement) => {
    if (statement.notResources) {
      const kmsOnly = statement.actions.length > 0 && statement.actions.every((a) => a.startsWith("kms:"));
      if (kmsOnly && requiresCondition(statement, "kms:ViaService")) return undefined;
      return {
        problem: "uses NotResource, which grants the actions on every other resource.",
        fix: "list the resources in Resource (MWAA's documented policy uses NotResource only for KMS conditioned on kms:ViaService).",
      };
    }
    const everything = statement.resources.filter(isAnyResource);
    if (!everything.length) return undefined;
    const offending = statement.actions.filter((a) => !allowed.includes(a));
    if (statement.notActions || offending.length) {
      const names = statement.notActions ? "NotAction" : asWritten(statement, offending).join(", ");
      const on = everything.map((r) => `"${r}"`).join(", ");
      const equivalent = everything.every((r) => r === "*") ? "" : ` (every resource, as "*" would)`;
      return {
        problem: `grants ${names} on Resource ${on}${equivalent}; MWAA documents "*" only for ${MWAA_RESOURCE_STAR_ACTIONS.join(", ")}.`,
        fix: "name the environment's resources (its bucket, log groups airflow-<env>-*, queues airflow-celery-*, key), or add the action to extraResourceStarActions.",
      };
    }
    return undefined;
  });
}

/** Any KMS permission must be conditioned on kms:ViaService. */
export function checkExecutionRoleKmsViaService(resources: ResourceLike[], config: PackConfig): Finding[] {
  return eachAllowStatement(resources, config, (statement) => {
    if (!touchesService(statement, "kms")) return undefined;
    if (requiresCondition(statement, "kms:ViaService")) return undefined;
    const present = conditionKeys(statement).includes("kms:viaservice");
    return {
      problem: present
        ? "conditions KMS use on kms:ViaService in a way that also admits direct use (a negated or IfExists operator, ForAllValues, or a value of only wildcards)."
        : "grants KMS use without a kms:ViaService condition, so the key can be used directly, not only through SQS/S3.",
      fix: 'add Condition {"StringLike": {"kms:ViaService": ["sqs.<region>.amazonaws.com", "s3.<region>.amazonaws.com"]}}.',
    };
  });
}

/** What Airflow's Secrets Manager backend needs of a secret: its value and its metadata, nothing else. */
const SECRETS_READ_ACTIONS = ["secretsmanager:getsecretvalue", "secretsmanager:describesecret"];

const SECRET_PREFIX_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:([^*?]+)\*$/i;

/**
 * Why a resource pattern reaches more secrets than one prefix of names: undefined when it is
 * `arn:...:secretsmanager:<region>:<account>:secret:<prefix>/*` with a prefix the config accepts.
 */
function secretPatternProblem(pattern: string, allowed: string[]): string | undefined {
  const match = SECRET_PREFIX_ARN.exec(pattern);
  if (!match) return `${pattern} is not secret:<prefix>/* in one region and account`;
  const namePrefix = match[3];
  const listed = allowed.some((p) => namePrefix === p || namePrefix === `${p.replace(/\/+$/, "")}/`);
  if (allowed.length > 0 && !listed) return `${pattern} is outside the prefixes ${allowed.join(", ")}`;
  if (!listed && !namePrefix.endsWith("/"))
    return `${pattern} does not end in /*, so it also reaches secrets whose names only start like the prefix`;
  return undefined;
}

/**
 * The execution role reads Secrets Manager only as Airflow's backend does: GetSecretValue and
 * DescribeSecret on the secrets under its prefixes (`secret:<prefix>/*`), never `secret:*` or `*`.
 */
export function checkExecutionRoleSecrets(resources: ResourceLike[], config: PackConfig): Finding[] {
  return eachAllowStatement(resources, config, (statement) => {
    if (!touchesService(statement, "secretsmanager")) return undefined;
    const problems: string[] = [];
    if (statement.notActions)
      problems.push("uses NotAction, which leaves every other Secrets Manager action open");
    // Every action pattern that can name a Secrets Manager action, but the two the backend calls.
    const beyond = statement.actions.filter((a) =>
      a.includes(":")
        ? globMatches(a.split(":")[0], "secretsmanager") && !SECRETS_READ_ACTIONS.includes(a)
        : a.startsWith("*"),
    );
    if (beyond.length)
      problems.push(
        `grants ${asWritten(statement, beyond).join(", ")} beyond reading a secret's value and metadata`,
      );
    if (statement.notResources) problems.push("uses NotResource, which reaches every secret not listed");
    else {
      const wide = statement.resources
        .map((r) => secretPatternProblem(r, config.secretsPrefixes))
        .filter((p): p is string => p !== undefined);
      if (wide.length) problems.push(`reaches secrets outside the backend's prefixes: ${wide.join("; ")}`);
    }
    if (!problems.length) return undefined;
    return {
      problem: `${problems.join("; ")}.`,
      fix: "allow only secretsmanager:GetSecretValue and secretsmanager:DescribeSecret on arn:aws:secretsmanager:<region>:<account>:secret:<prefix>/* for each prefix of the backend (list them in secretsPrefixes).",
    };
  });
}
