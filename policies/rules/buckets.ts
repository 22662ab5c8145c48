/**
 * Data protection on the buckets the migration and the environments use: the migration bucket holds
 * decrypted variables and connections, the DAG bucket holds code that runs with the execution role.
 */
import { PackConfig } from "../lib/config";
import { isMigrationBucket } from "../lib/conventions";
import { Finding } from "../lib/findings";
import { isUnknown } from "../lib/unknowns";
import { conditionValues, globMatches, parsePolicyDocument } from "../lib/iamDocument";
import {
  ResourceLike,
  TYPES,
  bucketConfigs,
  bucketName,
  ofType,
  refersTo,
  resourceLabel,
} from "../lib/stackModel";

interface ScopedBucket {
  bucket: ResourceLike;
  name: string;
  migration: boolean;
}

/** The migration bucket(s) and every bucket an environment in the stack reads its DAGs from. */
export function bucketsInScope(resources: ResourceLike[], config: PackConfig): ScopedBucket[] {
  const environments = ofType(resources, TYPES.environment);
  return ofType(resources, TYPES.buckets)
    .map((bucket) => ({
      bucket,
      name: bucketName(bucket) ?? bucket.name,
      migration: isMigrationBucket(bucket, config.migrationBuckets),
      used: environments.some((e) => refersTo(e, "sourceBucketArn", bucket)),
    }))
    .filter((b) => (b.migration || b.used) && !config.exemptBuckets.includes(b.name))
    .map(({ bucket, name, migration }) => ({ bucket, name, migration }));
}

/** True when `value` is `expected`, or is not known yet (a preview judges only what it knows). */
function isOrUnknown(value: unknown, expected: unknown): boolean {
  return value === expected || isUnknown(value);
}

function versioningEnabled(resources: ResourceLike[], bucket: ResourceLike): boolean {
  const inline = bucket.props.versioning;
  if (isUnknown(inline) || isOrUnknown(inline?.enabled, true)) return true;
  return bucketConfigs(resources, bucket, TYPES.versioning).some((v) => {
    const configuration = v.props.versioningConfiguration;
    return isUnknown(configuration) || isOrUnknown(configuration?.status, "Enabled");
  });
}

/** Every `applyServerSideEncryptionByDefault` block, inline (old or new shape) or in its own resource. */
function encryptionDefaults(resources: ResourceLike[], bucket: ResourceLike): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!value || typeof value !== "object") return;
    const record = value as Record<string, unknown>;
    if (typeof record.sseAlgorithm === "string" || isUnknown(record.sseAlgorithm)) found.push(record);
    Object.values(record).forEach(visit);
  };
  visit(bucket.props.serverSideEncryptionConfiguration);
  visit(bucket.props.serverSideEncryptionConfigurations);
  for (const c of bucketConfigs(resources, bucket, TYPES.encryption)) visit(c.props.rules);
  return found;
}

/** True when the key id/ARN names a customer managed key: one in this stack, or any non-`aws/` alias or key. */
function isCustomerManagedKey(
  resources: ResourceLike[],
  keyId: unknown,
  encryptionConfigs: ResourceLike[],
): boolean {
  const keys = ofType(resources, TYPES.kmsKey);
  if (
    encryptionConfigs.some((c) =>
      keys.some((k) => c.propertyDependencies?.rules?.some((d) => d.urn === k.urn)),
    )
  ) {
    return true;
  }
  // A key not known yet comes from a resource (a key, or a lookup of one), not an `aws/` alias.
  if (isUnknown(keyId)) return true;
  if (typeof keyId !== "string" || keyId === "") return false;
  if (keys.some((k) => [k.props.arn, k.props.keyId, k.props.id].includes(keyId))) return true;
  return !/alias\/aws\//.test(keyId);
}

function hasPublicAccessBlock(resources: ResourceLike[], bucket: ResourceLike): string[] {
  const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
  const blocks = bucketConfigs(resources, bucket, TYPES.publicAccessBlock);
  if (!blocks.length) return flags;
  return flags.filter((f) => !blocks.some((b) => isOrUnknown(b.props[f], true)));
}

/** A bucket policy (its own resource, or the bucket's inline `policy`) that denies every request not made over TLS. */
function hasTlsOnlyPolicy(resources: ResourceLike[], bucket: ResourceLike, name: string): boolean {
  const policies = [
    bucket.props.policy,
    ...bucketConfigs(resources, bucket, TYPES.bucketPolicy).map((p) => p.props.policy),
  ];
  return policies.some((policy) => {
    if (isUnknown(policy)) return true;
    const doc = parsePolicyDocument(policy);
    return !!doc?.statements.some(
      (s) =>
        s.effect === "Deny" &&
        s.principals.some((pr) => pr.value === "*") &&
        s.actions.some((a) => globMatches(a, "s3:GetObject") && globMatches(a, "s3:PutObject")) &&
        conditionValues(s, "aws:SecureTransport").some((v) => v.toLowerCase() === "false") &&
        s.resources.some((r) => globMatches(r, `arn:aws:s3:::${name}/any-object`)),
    );
  });
}

/** An expiration that removes objects after some days or on a date (not only expired delete markers). */
function expires(expiration: unknown): boolean {
  if (isUnknown(expiration)) return true;
  if (!expiration || typeof expiration !== "object") return false;
  const e = expiration as Record<string, unknown>;
  return [e.days, e.date, e.noncurrentDays].some(
    (v) => isUnknown(v) || (typeof v === "number" && v > 0) || (typeof v === "string" && v !== ""),
  );
}

/**
 * What the bucket's enabled lifecycle rules expire: current objects and, because the bucket is
 * versioned, the noncurrent versions an expiration leaves behind (the decrypted bundle otherwise
 * stays as a noncurrent version). Inline `lifecycleRules` and BucketLifecycleConfiguration(V2) both count.
 */
function lifecycleGaps(resources: ResourceLike[], bucket: ResourceLike): string[] {
  const rules: Record<string, unknown>[] = [];
  const add = (list: unknown, enabled: (r: Record<string, unknown>) => boolean): boolean => {
    if (isUnknown(list)) return true;
    if (Array.isArray(list)) rules.push(...list.filter((r) => r && typeof r === "object" && enabled(r)));
    return false;
  };
  if (add(bucket.props.lifecycleRules, (r) => isOrUnknown(r.enabled, true))) return [];
  for (const c of bucketConfigs(resources, bucket, TYPES.lifecycle)) {
    if (add(c.props.rules, (r) => isOrUnknown(r.status, "Enabled"))) return [];
  }
  const gaps: string[] = [];
  if (!rules.some((r) => expires(r.expiration))) gaps.push("objects");
  if (!rules.some((r) => expires(r.noncurrentVersionExpiration))) gaps.push("noncurrent versions");
  return gaps;
}

export function checkBucketDataProtection(resources: ResourceLike[], config: PackConfig): Finding[] {
  const findings: Finding[] = [];
  for (const { bucket, name, migration } of bucketsInScope(resources, config)) {
    const what = migration ? "the migration bucket" : "an environment's DAG bucket";
    const add = (subject: string, problem: string, fix: string) =>
      findings.push({
        urn: bucket.urn,
        resource: resourceLabel(bucket),
        subject,
        problem: `${problem} (${what}).`,
        fix,
      });

    if (!versioningEnabled(resources, bucket)) {
      add(
        "versioning",
        "is not enabled",
        'add aws.s3.BucketVersioning with versioningConfiguration.status "Enabled".',
      );
    }
    const defaults = encryptionDefaults(resources, bucket);
    const kms = defaults.filter((d) => String(d.sseAlgorithm).startsWith("aws:kms"));
    if (!kms.length) {
      add(
        "server-side encryption",
        "is not SSE-KMS",
        'add aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm "aws:kms" and the bucket\'s KMS key.',
      );
    } else if (
      migration &&
      !kms.some((d) =>
        isCustomerManagedKey(resources, d.kmsMasterKeyId, bucketConfigs(resources, bucket, TYPES.encryption)),
      )
    ) {
      add(
        "server-side encryption",
        "does not use a customer managed KMS key",
        "set kmsMasterKeyId to the migration's own aws.kms.Key; exported variables and connections are stored decrypted.",
      );
    }
    const missingFlags = hasPublicAccessBlock(resources, bucket);
    if (missingFlags.length) {
      add(
        "public access block",
        `does not set ${missingFlags.join(", ")}`,
        "add aws.s3.BucketPublicAccessBlock with all four settings true.",
      );
    }
    if (!hasTlsOnlyPolicy(resources, bucket, name)) {
      add(
        "bucket policy",
        "does not deny requests without TLS",
        'add a bucket policy statement Deny s3:* for Principal "*" on the bucket and its objects with Condition Bool aws:SecureTransport "false".',
      );
    }
    const lifecycle = migration ? lifecycleGaps(resources, bucket) : [];
    if (lifecycle.length) {
      add(
        "lifecycle",
        `has no enabled rule that expires ${lifecycle.join(" or ")}`,
        "add aws.s3.BucketLifecycleConfiguration with an enabled rule that sets expiration.days and noncurrentVersionExpiration.noncurrentDays, so the bundle goes after the migration.",
      );
    }
  }
  return findings;
}
