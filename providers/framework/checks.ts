/**
 * Input checking for the dynamic resources. `check` runs during preview, where any input may
 * still be unknown, so these helpers only look at values that are present and never reach out
 * to AWS or Airflow. Every failure names the property and says what to put there instead.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";

/** The value the engine sends for an input that is not known yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Failures = dynamic.CheckFailure[];
type Inputs = Record<string, unknown>;

export function isUnknown(value: unknown): boolean {
  return value === UNKNOWN;
}

export function fail(failures: Failures, property: string, reason: string): void {
  failures.push({ property, reason });
}

const shown = (value: unknown) => JSON.stringify(value);

/** Checks an input that may be absent or unknown; a present value must pass `valid`. */
function optional(
  failures: Failures,
  inputs: Inputs,
  property: string,
  valid: (value: unknown) => boolean,
  fix: string,
): void {
  const value = inputs[property];
  if (value === undefined || isUnknown(value) || valid(value)) return;
  fail(failures, property, `${property} is ${shown(value)}; ${fix}`);
}

/** A non-empty string. */
export function requireString(failures: Failures, inputs: Inputs, property: string, hint: string): void {
  const value = inputs[property];
  if (isUnknown(value)) return;
  if (typeof value !== "string" || value.trim() === "")
    fail(failures, property, `${property} is required: ${hint}`);
}

export function optionalOneOf(
  failures: Failures,
  inputs: Inputs,
  property: string,
  allowed: readonly string[],
): void {
  optional(
    failures,
    inputs,
    property,
    (v) => typeof v === "string" && allowed.includes(v),
    `use one of ${allowed.join(", ")}`,
  );
}

/** A whole number of seconds within [min, max]; absent means the default applies. */
export function optionalSeconds(
  failures: Failures,
  inputs: Inputs,
  property: string,
  min: number,
  max: number,
): void {
  const valid = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
  optional(failures, inputs, property, valid, `give a whole number of seconds from ${min} to ${max}`);
}

export function optionalBoolean(failures: Failures, inputs: Inputs, property: string): void {
  optional(failures, inputs, property, (v) => typeof v === "boolean", "give true or false");
}

export function optionalStringList(failures: Failures, inputs: Inputs, property: string): void {
  const valid = (v: unknown) =>
    Array.isArray(v) && v.every((item) => typeof item === "string" && item !== "");
  optional(
    failures,
    inputs,
    property,
    valid,
    `give a list of non-empty names, e.g. ["dag_run", "task_instance"]`,
  );
}

/** An S3 key prefix: no leading slash, no "..", no "s3://" scheme (the bucket is its own input). */
export function optionalKeyPrefix(failures: Failures, inputs: Inputs, property: string): void {
  const valid = (v: unknown) =>
    typeof v === "string" && !v.startsWith("/") && !v.startsWith("s3://") && !v.split("/").includes("..");
  optional(
    failures,
    inputs,
    property,
    valid,
    `give a key prefix such as "migrations/prod" (no leading "/", no "s3://", no "..")`,
  );
}

/** Identifiers that end up in S3 keys and Airflow run ids: letters, digits, "-", "_", ".". */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function optionalSafeId(failures: Failures, inputs: Inputs, property: string): void {
  const valid = (v: unknown) => typeof v === "string" && SAFE_ID.test(v);
  optional(
    failures,
    inputs,
    property,
    valid,
    `use 1-63 letters, digits, ".", "-" or "_", starting with a letter or digit`,
  );
}

/** Inputs with `undefined`/null values removed and defaults filled in, so state and diffs stay stable. */
export function withDefaults<T extends Inputs>(inputs: Inputs, defaults: Partial<T>): T {
  const result: Inputs = { ...defaults };
  for (const [key, value] of Object.entries(inputs)) {
    if (value !== undefined && value !== null) result[key] = value;
  }
  return result as T;
}
