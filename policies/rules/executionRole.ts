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
  Statement,
  asWritten,
  conditionKeys,
  describeStatement,
  globMatches,
  isServiceWideWildcard,
  isWildcard,
  parsePolicyDocument,
  touchesService,
} from "../lib/iamDocument";
import {
  CarriedDocument,
  ResourceLike,
  RolePermissions,
  executionRoles,
  externalExecutionRoles,
  resourceLabel,
  rolePermissions,
} from "../lib/stackModel";

function isExempt(role: ResourceLike, config: PackConfig): boolean {
  return config.exemptRoles.some((n) => n === role.name || n === role.props.name);
}

/** The stack's execution roles, plus those outside it that its environments name (permissions only). */
function checkedRoles(resources: ResourceLike[], config: PackConfig, withExternal = true): RolePermissions[] {
  const roles = [...executionRoles(resources), ...(withExternal ? externalExecutionRoles(resources) : [])];
  return roles.filter((r) => !isExempt(r, config)).map((r) => rolePermissions(resources, r));
}

function carrierLabel(doc: CarriedDocument, role: ResourceLike): string {
  const base = resourceLabel(doc.carrier);
  return doc.carrier.urn === role.urn ? base : `${base} (on execution role "${role.name}")`;
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
      if (!doc.parsed) {
        findings.push({
          urn: doc.carrier.urn,
          resource: carrierLabel(doc, role),
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
            resource: carrierLabel(doc, role),
            subject: `${doc.where} ${describeStatement(statement)}`,
            ...found,
          });
        }
      }
    }
  }
  return findings;
}

/** Trusted only by airflow.amazonaws.com and airflow-env.amazonaws.com. */
export function checkExecutionRoleTrust(resources: ResourceLike[], config: PackConfig): Finding[] {
  const findings: Finding[] = [];
  for (const { role } of checkedRoles(resources, config, false)) {
    const trust = parsePolicyDocument(role.props.assumeRolePolicy);
    for (const statement of trust?.statements.filter((s) => s.effect === "Allow") ?? []) {
      const others = statement.principals.filter(
        (p) => !(p.kind === "Service" && MWAA_TRUSTED_SERVICES.includes(p.value.toLowerCase())),
      );
      if (others.length === 0) continue;
      findings.push({
        urn: role.urn,
        resource: resourceLabel(role),
        subject: `assumeRolePolicy statement ${statement.label}`,
        problem: `lets ${others.map((p) => `${p.kind} ${p.value}`).join(", ")} assume an MWAA execution role.`,
        fix: `trust only the services ${MWAA_TRUSTED_SERVICES.join(" and ")}; give other principals their own role.`,
      });
    }
  }
  return findings;
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
        resource: `${resourceLabel(attachment.carrier)} (on execution role "${role.name}")`,
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
      if (kmsOnly && conditionKeys(statement).includes("kms:viaservice")) return undefined;
      return {
        problem: "uses NotResource, which grants the actions on every other resource.",
        fix: "list the resources in Resource (MWAA's documented policy uses NotResource only for KMS conditioned on kms:ViaService).",
      };
    }
    if (!statement.resources.includes("*")) return undefined;
    const offending = statement.actions.filter((a) => !allowed.includes(a));
    if (statement.notActions || offending.length) {
      const names = statement.notActions ? "NotAction" : asWritten(statement, offending).join(", ");
      return {
        problem: `grants ${names} on Resource "*"; MWAA documents "*" only for ${MWAA_RESOURCE_STAR_ACTIONS.join(", ")}.`,
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
    if (conditionKeys(statement).includes("kms:viaservice")) return undefined;
    return {
      problem:
        "grants KMS use without a kms:ViaService condition, so the key can be used directly, not only through SQS/S3.",
      fix: 'add Condition {"StringLike": {"kms:ViaService": ["sqs.<region>.amazonaws.com", "s3.<region>.amazonaws.com"]}}.',
    };
  });
}
