/**
 * Amazon Resource Names, built in one place with the partition of the region they live in.
 *
 * Why the partition matters: MWAA runs in the commercial partition (`aws`) and in others, such as
 * China (`aws-cn`) and GovCloud (`aws-us-gov`); an ARN with the wrong partition matches nothing, so
 * a policy built with `arn:aws:` in cn-north-1 silently grants nothing. The partition follows from the
 * region's name, as AWS's own endpoint data groups them.
 */

/** A region's partition: `aws-cn` for cn-*, `aws-us-gov` for us-gov-*, the ISO partitions, else `aws`. */
/** An IAM role ARN, as a side's role to assume is given. */
export const IAM_ROLE_ARN_PATTERN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@\-/]{1,512}$/;

/** A region name such as us-east-1 or eu-central-2. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The account id of an ARN (`arn:<partition>:<service>:<region>:<account>:...`); undefined when it has none. */
export function accountOfArn(arn: string): string | undefined {
  const account = arn.split(":")[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("us-isob-")) return "aws-iso-b";
  if (region.startsWith("us-isof-")) return "aws-iso-f";
  if (region.startsWith("eu-isoe-")) return "aws-iso-e";
  if (region.startsWith("us-iso-")) return "aws-iso";
  return "aws";
}

/** The partition an ARN names (`arn:<partition>:...`); undefined for text that is not an ARN. */
export function partitionOfArn(arn: string): string | undefined {
  const match = /^arn:([a-z-]+):/.exec(arn);
  return match ? match[1] : undefined;
}

/** Where regional resources live. */
export interface AccountScope {
  readonly region: string;
  readonly account: string;
}

const arn = (scope: AccountScope, service: string, resource: string) =>
  `arn:${partitionOf(scope.region)}:${service}:${scope.region}:${scope.account}:${resource}`;

/** S3 bucket ARNs carry neither region nor account, only the partition. */
export function s3BucketArn(partition: string, bucketName: string): string {
  return `arn:${partition}:s3:::${bucketName}`;
}

export function logGroupArn(scope: AccountScope, logGroupName: string): string {
  return arn(scope, "logs", `log-group:${logGroupName}`);
}

/** Every log group MWAA creates for an environment (`airflow-<environment>-<LogType>`). */
export function environmentLogGroupsArn(scope: AccountScope, environmentName: string): string {
  return logGroupArn(scope, `airflow-${environmentName}-*`);
}

export function mwaaEnvironmentArn(scope: AccountScope, environmentName: string): string {
  return arn(scope, "airflow", `environment/${environmentName}`);
}

/** An Airflow role of an environment, the resource of InvokeRestApi and CreateWebLoginToken. */
export function airflowRoleArn(scope: AccountScope, environmentName: string, airflowRole: string): string {
  return arn(scope, "airflow", `role/${environmentName}/${airflowRole}`);
}

/** MWAA's Celery queues, in SQS accounts MWAA owns. */
export function celeryQueuesArn(scope: AccountScope): string {
  return `arn:${partitionOf(scope.region)}:sqs:${scope.region}:*:airflow-celery-*`;
}

/** Every KMS key of the account, in any region. */
export function accountKmsKeysArn(scope: AccountScope): string {
  return `arn:${partitionOf(scope.region)}:kms:*:${scope.account}:key/*`;
}

/** IAM roles under a path (IAM is global: no region in the ARN). */
export function iamRolesUnderPath(scope: AccountScope, path: string): string {
  return `arn:${partitionOf(scope.region)}:iam::${scope.account}:role${path}*`;
}

/**
 * The Secrets Manager secrets whose names start with `namePrefix` (e.g. `airflow/connections/`). A
 * secret's ARN is its name and a random suffix (`-AbCdEf`), which the trailing `*` covers.
 */
export function secretsNamedUnder(scope: AccountScope, namePrefix: string): string {
  return arn(scope, "secretsmanager", `secret:${namePrefix}*`);
}

/** A customer-managed IAM policy at the root path (IAM is global: no region in the ARN). */
export function iamPolicyArn(scope: AccountScope, name: string): string {
  return `arn:${partitionOf(scope.region)}:iam::${scope.account}:policy/${name}`;
}

/** An IAM Identity Center instance's id (`ssoins-...`) and partition, from its ARN; undefined when it is not one. */
export function parseSsoInstanceArn(
  instanceArn: string,
): { partition: string; instanceId: string } | undefined {
  const match = /^arn:(aws[\w-]*):sso:::instance\/(ssoins-[0-9a-f]{16})$/.exec(instanceArn);
  return match ? { partition: match[1], instanceId: match[2] } : undefined;
}

/** Every permission set of an Identity Center instance (their ARNs carry ids the preview does not know). */
export function ssoPermissionSetsArn(instanceArn: string): string {
  const { partition, instanceId } = parseSsoInstanceArn(instanceArn)!;
  return `arn:${partition}:sso:::permissionSet/${instanceId}/*`;
}

/** The accounts a permission set is provisioned to (Identity Center names them without a region or owner). */
export function ssoAccountsArn(instanceArn: string): string {
  return `arn:${parseSsoInstanceArn(instanceArn)!.partition}:sso:::account/*`;
}
