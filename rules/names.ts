/**
 * MWAA environment-name rules and the names this stack derives from one.
 *
 * MWAA accepts 1 to 80 characters: a letter first, then letters, digits, hyphens and underscores
 * (CreateEnvironment's `Name` pattern). Derived names matter too: the log groups are
 * `airflow-<name>-<Type>` and the Celery queues `airflow-celery-*`, so the execution-role policy
 * is scoped by the name, and a name that MWAA rejects would only fail after a long create.
 */

export const ENVIRONMENT_NAME_PATTERN = /^[a-zA-Z][0-9a-zA-Z_-]*$/;
export const ENVIRONMENT_NAME_MAX_LENGTH = 80;

/** Returns the problems with `name` as an MWAA environment name (empty when valid). */
export function environmentNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length === 0) return ["it is empty"];
  if (name.length > ENVIRONMENT_NAME_MAX_LENGTH) {
    problems.push(`it is ${name.length} characters long (at most ${ENVIRONMENT_NAME_MAX_LENGTH})`);
  }
  if (!/^[a-zA-Z]/.test(name)) problems.push("it must start with a letter");
  const bad = [...new Set(name.replace(/[0-9a-zA-Z_-]/g, ""))];
  if (bad.length > 0) {
    problems.push(
      `it contains ${bad.map((c) => JSON.stringify(c)).join(", ")} (only letters, digits, - and _)`,
    );
  }
  return problems;
}

export function isValidEnvironmentName(name: string): boolean {
  return name.length <= ENVIRONMENT_NAME_MAX_LENGTH && ENVIRONMENT_NAME_PATTERN.test(name);
}

/** The CloudWatch log group MWAA writes task logs to. */
export function taskLogGroupName(environmentName: string): string {
  return `airflow-${environmentName}-Task`;
}

/**
 * Bucket names are global, lower case, 3 to 63 characters. The AWS provider appends a 26-character
 * unique suffix to a `bucketPrefix` and accepts prefixes of at most 37 characters.
 */
export const BUCKET_PREFIX_MAX_LENGTH = 37;

export function bucketNamePrefix(...parts: string[]): string {
  const joined = parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  return joined.slice(0, BUCKET_PREFIX_MAX_LENGTH - 1).replace(/-$/, "") + "-";
}

/**
 * DAG buckets start with `airflow-`: the convention of MWAA's console and of its AmazonMWAAFullConsoleAccess
 * policy (scoped to `arn:aws:s3:::airflow-*`), so operators' existing permissions cover the new bucket.
 */
export function dagBucketNamePrefix(environmentName: string): string {
  const base = /^airflow/i.test(environmentName) ? environmentName : `airflow-${environmentName}`;
  return bucketNamePrefix(base, "dags");
}
