/**
 * Checks on the temporary grants the migration adds: the export grant (on the source environment's
 * role) may only write the bundle, the import grant (on the target's role) may only read it (writing
 * nothing but its own report beside the manifest) and, if it reads logs at all, the source's task logs
 * only (the program's grant reads none: the deployer copies the logs), nobody may delete from the
 * migration bucket, and the grants go away once the migration is complete.
 */
import { PackConfig } from "../lib/config";
import { GrantKind, addressesBucket, grants, migrationBuckets, migrationStage } from "../lib/conventions";
import {
  EXPORT_GRANT_ACTIONS,
  IMPORT_GRANT_ACTIONS,
  IMPORT_GRANT_LOG_ACTIONS,
  IMPORT_REPORT_OBJECT,
  S3_DESTRUCTIVE_ACTIONS,
  lowered,
} from "../lib/facts";
import { Finding } from "../lib/findings";
import { MigrationSource, migrationSource, notSourceTaskLogGroups } from "../lib/sourceEnvironment";
import { Statement, asWritten, describeStatement, globMatches, requiresCondition } from "../lib/iamDocument";
import {
  CarriedDocument,
  ResourceLike,
  TYPES,
  allDocuments,
  bucketName,
  carried,
  ofType,
  refersTo,
  resourceLabel,
  rolePermissions,
} from "../lib/stackModel";

/** AWS managed policies that allow deleting objects in any bucket. */
const MANAGED_POLICIES_WITH_S3_DELETE = ["AdministratorAccess", "PowerUserAccess", "AmazonS3FullAccess"];

function migrationBucketNames(resources: ResourceLike[], config: PackConfig): string[] {
  const names = migrationBuckets(resources, config.migrationBuckets)
    .map(bucketName)
    .filter((n): n is string => !!n);
  return [...new Set([...names, ...config.migrationBuckets])];
}

function finding(
  doc: CarriedDocument,
  statement: Statement | undefined,
  problem: string,
  fix: string,
): Finding {
  return {
    urn: doc.carrier.urn,
    resource: resourceLabel(doc.carrier),
    subject: statement ? `${doc.where} ${describeStatement(statement)}` : doc.where,
    problem,
    fix,
  };
}

/**
 * Where an S3 object ARN must point: inside `<bucket>/<prefix>/` of a migration bucket, with a
 * non-empty literal prefix (not the whole bucket). Returns the reason it does not, or undefined.
 */
function objectArnProblem(resource: string, buckets: string[], prefix: string): string | undefined {
  const m = /^arn:aws[a-z-]*:s3:::([^/]+)\/(.*)$/.exec(resource);
  if (!m) return `${resource} is not an object ARN under the migration prefix`;
  const [, bucket, key] = m;
  if (/[*?]/.test(bucket)) return `${resource} reaches every bucket its wildcard matches`;
  if (buckets.length && !buckets.includes(bucket)) return `${resource} is outside the migration bucket`;
  const firstSegment = key.split("/")[0];
  if (/^[*?]*$/.test(firstSegment)) return `${resource} covers the whole bucket, not one prefix`;
  if (/[*?]/.test(firstSegment))
    return `${resource} reaches every prefix its wildcard matches, not one prefix`;
  if (!key.includes("/")) return `${resource} names no prefix/ that the bundle's objects sit under`;
  if (prefix && !key.startsWith(`${prefix.replace(/\/+$/, "")}/`))
    return `${resource} is outside the prefix ${prefix}/`;
  return undefined;
}

function kmsResourceProblem(resource: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:[^:]*:[^:]*:key\/[^*?]+$/.test(resource)
    ? undefined
    : `${resource} is not one KMS key ARN (the migration key)`;
}

interface GrantRules {
  kind: GrantKind;
  allowedActions: string[];
  /** Returns the reasons a resource is not allowed for this statement. */
  resourceProblems(statement: Statement, resource: string): string | undefined;
  fix: string;
}

function checkGrant(resources: ResourceLike[], rules: GrantRules): Finding[] {
  const findings: Finding[] = [];
  for (const doc of grants(allDocuments(resources), rules.kind)) {
    if (doc.unknown) continue;
    if (!doc.parsed) {
      findings.push(finding(doc, undefined, "is not a readable IAM policy document.", rules.fix));
      continue;
    }
    for (const statement of doc.parsed.statements.filter((s) => s.effect === "Allow")) {
      const problems: string[] = [];
      if (statement.notActions) problems.push("uses NotAction");
      if (statement.notResources) problems.push("uses NotResource");
      const allowed = lowered(rules.allowedActions);
      const extra = statement.actions.filter((a) => !allowed.includes(a));
      if (extra.length) {
        problems.push(
          `grants ${asWritten(statement, extra).join(", ")}, beyond what the ${rules.kind} needs`,
        );
      }
      for (const resource of statement.resources) {
        const problem = rules.resourceProblems(statement, resource);
        if (problem) problems.push(problem);
      }
      if (problems.length) findings.push(finding(doc, statement, `${problems.join("; ")}.`, rules.fix));
    }
  }
  return findings;
}

/** The export grant writes objects under the migration prefix and nothing else. */
export function checkExportGrant(resources: ResourceLike[], config: PackConfig): Finding[] {
  const buckets = migrationBucketNames(resources, config);
  return checkGrant(resources, {
    kind: "export",
    allowedActions: [...EXPORT_GRANT_ACTIONS, ...config.extraExportActions],
    resourceProblems(statement, resource) {
      if (statement.actions.every((a) => a.startsWith("kms:"))) return kmsResourceProblem(resource);
      return objectArnProblem(resource, buckets, config.migrationPrefix);
    },
    fix: `the export grant is write-only: allow only ${EXPORT_GRANT_ACTIONS.join(", ")} on arn:aws:s3:::<migration bucket>/<prefix>/* and the migration key (extra actions go in extraExportActions).`,
  });
}

/**
 * Where an import grant's log read must point, when it has one: the source's task log group. When the stack does not tell
 * which environment is the source, a group that is certainly not the source's (an environment the stack
 * creates, the import's target) is still refused, and any other is refused as not checkable.
 */
function logGroupProblem(
  resource: string,
  source: MigrationSource,
  notSource: Map<string, string>,
): string | undefined {
  const m = /^arn:aws[a-z-]*:logs:[^:]*:[^:]*:log-group:([^:]+)(?::\*|:log-stream:.*)?$/.exec(resource);
  if (!m) return `${resource} is not a log group ARN`;
  const group = m[1];
  if (source.known)
    return source.taskLogGroups.includes(group)
      ? undefined
      : `${resource} is not the source task log group (${source.taskLogGroups.join(", ")})`;
  const other = notSource.get(group);
  if (other) return `${resource} is the task log group of ${other}, not the source`;
  if (!/^airflow-[^*?]+-Task$/.test(group)) return `${resource} is not one environment's task log group`;
  return `${resource} cannot be checked, as the pack could not tell which environment is the source: ${source.reason}`;
}

/**
 * The import writes one kind of object: its report, `<prefix>/<export>/import-report.json`. A write must
 * sit in a statement of its own and name that object, so no stream or manifest can be replaced.
 */
function reportWriteProblem(statement: Statement, resource: string, buckets: string[], prefix: string) {
  if (statement.actions.some((a) => a !== "s3:putobject"))
    return `s3:PutObject shares a statement with other actions; give the report write a statement of its own`;
  const outside = objectArnProblem(resource, buckets, prefix);
  if (outside) return outside;
  const lastSegment = resource.slice(resource.lastIndexOf("/") + 1);
  return lastSegment === IMPORT_REPORT_OBJECT
    ? undefined
    : `${resource} lets the import write bundle objects, not only its ${IMPORT_REPORT_OBJECT}`;
}

/** The import grant reads objects under the prefix and writes its report (and reads, at most, the source's task logs). */
export function checkImportGrant(resources: ResourceLike[], config: PackConfig): Finding[] {
  const buckets = migrationBucketNames(resources, config);
  const source = migrationSource(resources, config);
  const notSource = notSourceTaskLogGroups(resources);
  return checkGrant(resources, {
    kind: "import",
    allowedActions: [...IMPORT_GRANT_ACTIONS, ...IMPORT_GRANT_LOG_ACTIONS, ...config.extraImportActions],
    resourceProblems(statement, resource) {
      if (statement.actions.every((a) => a.startsWith("kms:"))) return kmsResourceProblem(resource);
      if (statement.actions.every((a) => a.startsWith("logs:")))
        return logGroupProblem(resource, source, notSource);
      if (statement.actions.includes("s3:putobject"))
        return reportWriteProblem(statement, resource, buckets, config.migrationPrefix);
      const bucketArn = /^arn:aws[a-z-]*:s3:::([^/]+)$/.exec(resource);
      if (bucketArn && statement.actions.every((a) => a === "s3:listbucket")) {
        if (buckets.length && !buckets.includes(bucketArn[1]))
          return `${resource} is not the migration bucket`;
        return requiresCondition(statement, "s3:prefix")
          ? undefined
          : "s3:ListBucket has no s3:prefix condition (StringEquals or StringLike, not only wildcards), so it lists the whole bucket";
      }
      return objectArnProblem(resource, buckets, config.migrationPrefix);
    },
    fix: `the import grant is read-only but for its report: allow only ${IMPORT_GRANT_ACTIONS.join(", ")} on the migration prefix (s3:ListBucket with an s3:prefix condition, s3:PutObject only on <prefix>/*/${IMPORT_REPORT_OBJECT} in a statement of its own) and, if the grant reads logs, ${IMPORT_GRANT_LOG_ACTIONS.join(", ")} on the source task log group only (extra actions go in extraImportActions). When the stack does not read the source environment, set sourceTaskLogGroup to its task log group.`,
  });
}

/** Nobody in the stack may delete from (or weaken) the migration bucket. */
export function checkNoDeleteOnMigrationBucket(resources: ResourceLike[], config: PackConfig): Finding[] {
  const buckets = migrationBucketNames(resources, config);
  if (!buckets.length) return [];
  const findings: Finding[] = [];
  // Identity policies wherever they sit, and the migration bucket's own bucket policy.
  const bucketPolicies = ofType(resources, TYPES.bucketPolicy)
    .filter((p) => migrationBuckets(resources, config.migrationBuckets).some((b) => refersTo(p, "bucket", b)))
    .map((p) => carried(p, "policy", p.props.policy));
  for (const doc of [...allDocuments(resources), ...bucketPolicies]) {
    for (const statement of doc.parsed?.statements.filter((s) => s.effect === "Allow") ?? []) {
      const destructive = S3_DESTRUCTIVE_ACTIONS.filter((a) =>
        statement.notActions
          ? !statement.notActions.some((p) => globMatches(p, a))
          : statement.actions.some((p) => globMatches(p, a)),
      );
      if (!destructive.length) continue;
      const hit = buckets.filter((b) =>
        statement.notResources
          ? !statement.notResources.some((r) => addressesBucket(r, b))
          : statement.resources.some((r) => addressesBucket(r, b)),
      );
      if (!hit.length) continue;
      findings.push(
        finding(
          doc,
          statement,
          `allows ${destructive.join(", ")} on the migration bucket ${hit.join(", ")}; the export bundle must survive until its lifecycle rule expires it.`,
          "drop delete and bucket-configuration actions from statements that reach the migration bucket (scope s3:* style grants to other buckets).",
        ),
      );
    }
  }
  const principals = ofType(resources, [TYPES.role, TYPES.user, TYPES.group]);
  for (const principal of principals) {
    const kind = principal.type.split(":").pop()?.toLowerCase();
    for (const attachment of rolePermissions(resources, principal).external) {
      if (!attachment.awsManagedName || !MANAGED_POLICIES_WITH_S3_DELETE.includes(attachment.awsManagedName))
        continue;
      findings.push({
        urn: attachment.carrier.urn,
        resource: `${resourceLabel(attachment.carrier)} (on ${kind} "${principal.name}")`,
        subject: `policy attachment ${attachment.arn}`,
        problem: `${attachment.awsManagedName} allows deleting objects in the migration bucket ${buckets.join(", ")}.`,
        fix: "attach a policy that names the buckets the role needs and leaves out delete actions.",
      });
    }
  }
  return findings;
}

/** Advisory: once the stage is `complete`, the temporary grants should be gone. */
export function checkGrantsRemovedAfterComplete(resources: ResourceLike[], config: PackConfig): Finding[] {
  if (migrationStage(resources, config.stage) !== "complete") return [];
  const docs = allDocuments(resources);
  return [...grants(docs, "export"), ...grants(docs, "import")].map((doc) =>
    finding(
      doc,
      undefined,
      "is a migration grant that still exists although the migration stage is complete.",
      "remove the export and import grants from the stack (the complete stage should not create them).",
    ),
  );
}
