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
import type { AirflowInputs } from "./provider";
import { checkDagFolder } from "./target";

/** The inputs of every work resource (export, import), as `check` leaves them: defaults filled in. */
export interface CommonWorkInputs extends AirflowInputs {
  /** The DAG folder: "s3://<dag bucket>/<dag prefix>" for MWAA, or an S3 URI / absolute local folder for self-managed. */
  dagFolder: string;
  /** The folder holding the payload; the resource classes fill it in. */
  payloadDir: string;
  /** The payload's sha256, so a payload edit shows in the preview as a replacement. */
  payloadDigest: string;
  /** The migration bucket the bundle lives in. */
  bucket: string;
  prefix: string;
  /** Set by the export (a hash of what decides the bundle's content); the import takes the export's. */
  exportId: string;
  kmsKeyId?: string;
  deadlineSeconds: number;
  parseDeadlineSeconds: number;
  pollIntervalSeconds: number;
  purgeOnDelete: boolean;
  providerVersion: string;
}

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

/** Checks of the common inputs; `airflow` is checked for every resource type by the framework. */
export function checkCommonInputs(inputs: Record<string, unknown>, failures: Failures): void {
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
