/**
 * Inputs every work resource (export, import) takes, their defaults, and their checks.
 */
import {
  Failures,
  optionalBoolean,
  optionalKeyPrefix,
  optionalSafeId,
  optionalSeconds,
  requireString,
} from "./checks";
import { DEFAULT_BUNDLE_PREFIX } from "../../contract";
import { checkAirflow, checkDagFolder } from "./target";

/** Bump when the providers' behaviour changes, so existing stacks see a replacement in preview. */
export const PROVIDER_VERSION = "1";

export const COMMON_DEFAULTS = {
  prefix: DEFAULT_BUNDLE_PREFIX,
  deadlineSeconds: 3600,
  parseDeadlineSeconds: 600,
  pollIntervalSeconds: 15,
  purgeOnDelete: false,
  providerVersion: PROVIDER_VERSION,
};

/** Inputs whose change means the work has to run again. */
export const COMMON_REPLACING = [
  "airflow",
  "dagFolder",
  "payloadDigest",
  "bucket",
  "prefix",
  "exportId",
  "kmsKeyId",
  "region",
  "providerVersion",
] as const;

/** Inputs that only change how the provider waits or cleans up. */
export const COMMON_IN_PLACE = [
  "deadlineSeconds",
  "parseDeadlineSeconds",
  "pollIntervalSeconds",
  "purgeOnDelete",
  "payloadDir",
] as const;

export function checkCommonInputs(inputs: Record<string, unknown>, failures: Failures): void {
  checkAirflow(failures, "airflow", inputs.airflow);
  checkDagFolder(failures, "dagFolder", inputs.dagFolder);
  requireString(
    failures,
    inputs,
    "payloadDir",
    "the folder holding the migration DAGs (payload/); the resource classes fill it in",
  );
  requireString(
    failures,
    inputs,
    "payloadDigest",
    "the sha256 of the payload; the resource classes fill it in",
  );
  requireString(failures, inputs, "bucket", "the migration bucket that holds the export bundle");
  optionalKeyPrefix(failures, inputs, "prefix");
  optionalSafeId(failures, inputs, "exportId");
  optionalSeconds(failures, inputs, "deadlineSeconds", 60, 7 * 24 * 3600);
  optionalSeconds(failures, inputs, "parseDeadlineSeconds", 10, 24 * 3600);
  optionalSeconds(failures, inputs, "pollIntervalSeconds", 1, 600);
  optionalBoolean(failures, inputs, "purgeOnDelete");
}
