/**
 * IAM policy documents as pure functions of names and ARNs, so each statement can be read and tested.
 *
 * The identity documents (the target's execution role, the export and import grants, the deployer policy)
 * are selections of one table of rows, `PERMISSION_TABLE` in ./permissionTable, where each statement
 * stands beside why it is there. The resource policies (the execution role's trust, the bucket policies)
 * are written here.
 */
import { mwaaEnvironmentArn, partitionOf, s3BucketArn } from "./arns";
import {
  type BundleScope,
  type DeployerScope,
  type ExecutionRoleScope,
  type PolicyDocument,
  type PolicyStatement,
  bucketArnBeside,
  policyDocument,
  statementsFor,
} from "./permissionTable";

export {
  type BundleScope,
  type DagFolderScope,
  type DeployerScope,
  type ExecutionRoleScope,
  type PolicyDocument,
  type PolicyStatement,
  type SecretsBackendScope,
  STACK_ROLE_PATH,
  policyDocument,
} from "./permissionTable";

/** Trust policy: only MWAA's two service principals may assume the execution role. */
export function executionRoleTrustPolicy(account: string, region: string, environmentName: string) {
  const scope = { account, region };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AssumedByMwaaForThisEnvironment",
        Effect: "Allow",
        Principal: { Service: ["airflow.amazonaws.com", "airflow-env.amazonaws.com"] },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": account },
          ArnLike: { "aws:SourceArn": mwaaEnvironmentArn(scope, environmentName) },
        },
      },
    ],
  };
}

/** The target environment's execution role. */
export function executionRolePolicy(scope: ExecutionRoleScope): PolicyDocument {
  return policyDocument(statementsFor("execution-role", scope));
}

/** Source side: write the export bundle, nothing else; objects must be encrypted with the migration key. */
export function exportGrantPolicy(scope: BundleScope): PolicyDocument {
  return policyDocument(statementsFor("export-grant", scope));
}

/**
 * Target side: read the bundle, decrypt it, and write the import's own report beside the manifest (and no
 * other object). The task-log copy runs in the provider, as the deployer, so the grant reads no log.
 */
export function importGrantPolicy(scope: BundleScope): PolicyDocument {
  return policyDocument(statementsFor("import-grant", scope));
}

/** Deny on every S3 action over plain HTTP: the documented way to require TLS for a whole bucket. */
function denyInsecureTransport(bucket: string): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: ["s3:*"],
    Resource: [bucket, `${bucket}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** DAG bucket policy: TLS only. */
export function tlsOnlyBucketPolicy(bucketName: string, region: string): PolicyDocument {
  return policyDocument([denyInsecureTransport(s3BucketArn(partitionOf(region), bucketName))]);
}

/**
 * Migration bucket policy: TLS only, and every object written under the migration key (and, for a source in
 * another account, what its role may write: `crossAccountExportStatements`). A PUT without
 * encryption headers gets the bucket default, which is that key. A PUT that names SSE-KMS but no key
 * would get the account's AWS managed key (aws/s3) instead, so it is denied like one naming another key.
 */
export function migrationBucketPolicy(
  bucketName: string,
  keyArn: string,
  crossAccountWriters: PolicyStatement[] = [],
): PolicyDocument {
  const bucket = bucketArnBeside(keyArn, bucketName);
  return policyDocument([
    denyInsecureTransport(bucket),
    ...crossAccountWriters,
    {
      Sid: "DenyPutWithOtherEncryption",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:PutObject"],
      Resource: `${bucket}/*`,
      Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } },
    },
    {
      Sid: "DenyPutWithOtherKey",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:PutObject"],
      Resource: `${bucket}/*`,
      Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn } },
    },
    {
      Sid: "DenyPutWithAwsManagedKey",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:PutObject"],
      Resource: `${bucket}/*`,
      Condition: {
        StringEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
        Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "true" },
      },
    },
  ]);
}

/**
 * What the identity running `pulumi up` needs for the MWAA-specific work of this stack: read the source,
 * manage the target, pass the target's execution role, attach the temporary grants, reach Airflow through
 * MWAA (REST API, CLI token, web login) as the Admin Airflow role of each environment, and what the dynamic
 * providers do as that identity: deliver and remove the migration DAGs, read the bundle's results, copy the
 * task logs and purge bundles. Creating the VPC, buckets, key and roles needs the usual permissions for
 * those resources (see the README).
 */
export function deployerPolicy(scope: DeployerScope): PolicyDocument {
  return policyDocument(statementsFor("deployer", scope));
}

/**
 * A migration bucket in the target's account, written by the source's execution role in another account:
 * S3 and KMS both require the resource's own policy to name a principal of another account. These are the
 * export grant's statements again, as the bucket's and the key's statements naming that role, so the role
 * can do across accounts exactly what its grant lets it do, and nothing else.
 */
export function crossAccountExportStatements(
  scope: BundleScope,
  sourceRoleArn: string,
): { bucket: PolicyStatement[]; key: PolicyStatement[] } {
  const named = (statement: PolicyStatement): PolicyStatement => ({
    ...statement,
    Sid: `SourceRole${statement.Sid}`,
    Principal: { AWS: sourceRoleArn },
  });
  const grant = statementsFor("export-grant", scope);
  const isKms = (statement: PolicyStatement) => statement.Action.every((action) => action.startsWith("kms:"));
  return {
    bucket: grant.filter((statement) => !isKms(statement)).map(named),
    // In a key policy the resource is the key itself: "*".
    key: grant.filter(isKms).map((statement) => ({ ...named(statement), Resource: "*" })),
  };
}

/**
 * The migration key's policy when another account's role writes the bundle: the key's own account keeps
 * managing and using it through IAM policies (the default key policy's statement), and the source's role
 * may use it as its export grant says.
 */
export function migrationKeyPolicy(
  partition: string,
  account: string,
  writerStatements: PolicyStatement[],
): PolicyDocument {
  return policyDocument([
    {
      Sid: "KeyAccountManagesThroughIam",
      Effect: "Allow",
      Principal: { AWS: `arn:${partition}:iam::${account}:root` },
      Action: ["kms:*"],
      Resource: "*",
    },
    ...writerStatements,
  ]);
}
