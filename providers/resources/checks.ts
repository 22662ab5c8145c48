/**
 * Input checking for the dynamic resources. `check` runs during preview, where any input may
 * still be unknown, so these helpers only look at values that are present and never reach out
 * to AWS or Airflow. Every failure names the property and says what to put there instead.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";

/** The value the engine sends for an input that is not known yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Failures = dynamic.CheckFailure[];

export function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

export function fail(failures: Failures, property: string, reason: string): void {
  failures.push({ property, reason });
}

/** A non-empty string; returns the trimmed value or undefined when missing/unknown. */
export function requireString(
  failures: Failures,
  inputs: Record<string, unknown>,
  property: string,
  hint: string,
): void {
  const value = inputs[property];
  if (isUnknown(value)) return;
  if (typeof value !== "string" || value.trim() === "") {
    fail(failures, property, `${property} is required: ${hint}`);
  }
}

export function optionalOneOf(
  failures: Failures,
  inputs: Record<string, unknown>,
  property: string,
  allowed: readonly string[],
): void {
  const value = inputs[property];
  if (value === undefined || isUnknown(value)) return;
  if (typeof value !== "string" || !allowed.includes(value)) {
    fail(failures, property, `${property} is ${JSON.stringify(value)}; use one of ${allowed.join(", ")}`);
  }
}

/** A whole number of seconds within [min, max]; absent means the default applies. */
export function optionalSeconds(
  failures: Failures,
  inputs: Record<string, unknown>,
  property: string,
  min: number,
  max: number,
): void {
  const value = inputs[property];
  if (value === undefined || isUnknown(value)) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    fail(
      failures,
      property,
      `${property} is ${JSON.stringify(value)}; give a whole number of seconds from ${min} to ${max}`,
    );
  }
}

export function optionalBoolean(failures: Failures, inputs: Record<string, unknown>, property: string): void {
  const value = inputs[property];
  if (value === undefined || isUnknown(value)) return;
  if (typeof value !== "boolean") {
    fail(failures, property, `${property} is ${JSON.stringify(value)}; give true or false`);
  }
}

export function optionalStringList(
  failures: Failures,
  inputs: Record<string, unknown>,
  property: string,
): void {
  const value = inputs[property];
  if (value === undefined || isUnknown(value)) return;
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || item === "")) {
    fail(
      failures,
      property,
      `${property} must be a list of non-empty names, e.g. ["dag_run", "task_instance"]`,
    );
  }
}

/** An S3 key prefix: no leading slash, no "..", no "s3://" scheme (the bucket is its own input). */
export function optionalKeyPrefix(
  failures: Failures,
  inputs: Record<string, unknown>,
  property: string,
): void {
  const value = inputs[property];
  if (value === undefined || isUnknown(value)) return;
  if (
    typeof value !== "string" ||
    value.startsWith("/") ||
    value.startsWith("s3://") ||
    value.split("/").includes("..")
  ) {
    fail(
      failures,
      property,
      `${property} is ${JSON.stringify(value)}; give a key prefix such as "migrations/prod" (no leading "/", no "s3://", no "..")`,
    );
  }
}

/** Identifiers that end up in S3 keys and Airflow run ids: letters, digits, "-", "_", ".". */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function optionalSafeId(failures: Failures, inputs: Record<string, unknown>, property: string): void {
  const value = inputs[property];
  if (value === undefined || isUnknown(value)) return;
  if (typeof value !== "string" || !SAFE_ID.test(value)) {
    fail(
      failures,
      property,
      `${property} is ${JSON.stringify(value)}; use 1-63 letters, digits, ".", "-" or "_", starting with a letter or digit`,
    );
  }
}

/** Inputs with `undefined` values removed and defaults filled in, so state and diffs stay stable. */
export function withDefaults<T extends Record<string, unknown>>(
  inputs: Record<string, unknown>,
  defaults: Partial<T>,
): T {
  const result: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(inputs)) {
    if (value !== undefined && value !== null) result[key] = value;
  }
  return result as T;
}
