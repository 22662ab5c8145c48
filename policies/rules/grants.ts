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
import {
  MigrationSource,
  isCreatedHere,
  migrationSource,
  notSourceTaskLogGroups,
} from "../lib/sourceEnvironment";
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

/** The execution roles of the environments the stack reads: the source, whose role writes the bundle. */
function sourceWriterRoles(resources: ResourceLike[]): string[] {
  return ofType(resources, TYPES.environment)
    .filter((env) => !isCreatedHere(resources, env))
    .map((env) => env.props.executionRoleArn)
    .filter((arn): arn is string => typeof arn === "string" && arn !== "");
}

/** The KMS keys that encrypt a migration bucket, by the bucket's encryption configuration. */
function migrationKeys(resources: ResourceLike[], config: PackConfig): ResourceLike[] {
  const buckets = migrationBuckets(resources, config.migrationBuckets);
  const encryptions = ofType(resources, TYPES.encryption).filter((e) =>
    buckets.some((b) => refersTo(e, "bucket", b)),
  );
  return ofType(resources, TYPES.kmsKey).filter((key) =>
    encryptions.some(
      (e) => refersTo(e, "rules", key) || JSON.stringify(e.props.rules ?? "").includes(String(key.props.arn)),
    ),
  );
}

const ACCOUNT_ROOT = /^(?:arn:aws[a-z-]*:iam::(\d{12}):root|(\d{12}))$/;

/**
 * Who a statement of the migration bucket's or key's own policy may allow: the source's execution role (a
 * source in another account writes the bundle through these policies), and on the key its own account's
 * root (the default key policy, which hands the key to that account's IAM policies), never the source's
 * account root. Returns the problem.
 */
function principalProblem(statement: Statement, writers: string[], keyAccount?: string): string | undefined {
  if (statement.notPrincipals) return "uses NotPrincipal";
  for (const principal of statement.principals) {
    if (principal.kind === "*" || principal.value === "*") return "allows every principal";
    const root = ACCOUNT_ROOT.exec(principal.value);
    if (root && principal.kind === "AWS") {
      const account = root[1] ?? root[2];
      const writerAccount = writers.some((w) => w.split(":")[4] === account);
      // Before the key exists its account is not known: only the source's own account is certainly wrong.
      if (!writerAccount && (keyAccount === undefined || account === keyAccount)) continue;
      return `allows the account ${principal.value}, not one role`;
    }
    if (principal.kind !== "AWS" || !writers.includes(principal.value))
      return `allows ${principal.kind} ${principal.value}, which is not the source's execution role (${writers.join(", ") || "the stack reads no source environment"})`;
  }
  return undefined;
}

/**
 * The migration bucket's and key's own policies allow no one but the source's execution role, and it only
 * what the export grant allows: object writes under the prefix, the key through S3.
 */
export function checkMigrationResourcePolicies(resources: ResourceLike[], config: PackConfig): Finding[] {
  const buckets = migrationBucketNames(resources, config);
  const writers = sourceWriterRoles(resources);
  const allowed = lowered([...EXPORT_GRANT_ACTIONS, ...config.extraExportActions]);
  const findings: Finding[] = [];
  const bucketPolicies = ofType(resources, TYPES.bucketPolicy)
    .filter((p) => migrationBuckets(resources, config.migrationBuckets).some((b) => refersTo(p, "bucket", b)))
    .map((p) => ({ doc: carried(p, "policy", p.props.policy), keyAccount: undefined }));
  const keyPolicies = migrationKeys(resources, config)
    .filter((key) => key.props.policy !== undefined)
    .map((key) => ({
      doc: carried(key, "policy", key.props.policy),
      keyAccount: /^arn:aws[a-z-]*:kms:[^:]*:(\d{12}):/.exec(String(key.props.arn))?.[1],
    }));
  const fix =
    "let the bucket's and key's policies name only the source's execution role, with the export grant's actions: s3:PutObject/AbortMultipartUpload on <prefix>/*, and the key's data-key actions with a kms:ViaService condition (the key's own account root may keep kms:*).";
  for (const { doc, keyAccount } of [...bucketPolicies, ...keyPolicies]) {
    if (doc.unknown || !doc.parsed) continue;
    const isKeyPolicy = doc.carrier.type === TYPES.kmsKey;
    for (const statement of doc.parsed.statements.filter((s) => s.effect === "Allow")) {
      const principal = principalProblem(statement, writers, keyAccount);
      const root = statement.principals.every((p) => ACCOUNT_ROOT.test(p.value));
      if (isKeyPolicy && root && !principal) continue;
      const problems: string[] = principal ? [principal] : [];
      if (statement.notActions) problems.push("uses NotAction");
      const extra = statement.actions.filter((a) => !allowed.includes(a));
      if (extra.length)
        problems.push(`allows ${asWritten(statement, extra).join(", ")}, beyond the bundle's writes`);
      if (isKeyPolicy) {
        if (!requiresCondition(statement, "kms:ViaService"))
          problems.push("lets the key be used outside S3 (no kms:ViaService condition)");
      } else {
        for (const resource of statement.resources) {
          const problem = objectArnProblem(resource, buckets, config.migrationPrefix);
          if (problem) problems.push(problem);
        }
      }
      if (problems.length) findings.push(finding(doc, statement, `${problems.join("; ")}.`, fix));
    }
  }
  return findings;
}
