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
import { checkAssumeRole, checkDagFolder } from "./target";
import { accessOf, type AwsAccess } from "./awsAccess";

/** The inputs of every work resource (export, import), as `check` leaves them: defaults filled in. */
export interface CommonWorkInputs extends AirflowInputs {
  /** The DAG folder: "s3://<dag bucket>/<dag prefix>" for MWAA, or an S3 URI / absolute local folder for self-managed. */
  dagFolder: string;
  /** The folder holding the payload; the resource classes fill it in. */
  payloadDir: string;
  /** The payload's sha256, so a payload edit shows in the preview (as an update: finished work stays). */
  payloadDigest: string;
  /** The migration bucket the bundle lives in. */
  bucket: string;
  prefix: string;
  /** Set by the export (a hash of what decides the bundle's content); the import takes the export's. */
  exportId: string;
  kmsKeyId?: string;
  /**
   * Who reaches the migration bucket: a role in the bucket's account, assumed with the default chain, or a
   * named profile (awsAccess). Absent: the default chain, as for a bucket in the deployer's own account.
   */
  bundleAssumeRoleArn?: string;
  bundleProfile?: string;
  deadlineSeconds: number;
  parseDeadlineSeconds: number;
  pollIntervalSeconds: number;
  purgeOnDelete: boolean;
  providerVersion: string;
}

/**
 * The sha256 of the providers' own code (every source file under providers/ but the tests): a change of
 * provider code shows in the next preview as an update of each phase resource. An update does not run
 * finished work again; one left in partial state resumes with the new code.
 */
function providerCodeDigest(root: string): string {
  const crypto = require("node:crypto") as typeof import("node:crypto");
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|js)$/.test(entry.name) && !/\.(test|d)\.(ts|js)$/.test(entry.name)) files.push(full);
    }
  };
  walk(root);
  const hash = crypto.createHash("sha256");
  for (const file of files.sort())
    hash.update(path.relative(root, file)).update("\0").update(fs.readFileSync(file));
  return hash.digest("hex").slice(0, 16);
}

export const PROVIDER_VERSION = providerCodeDigest(require("node:path").join(__dirname, ".."));

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
  "bucket",
  "prefix",
  "exportId",
  "kmsKeyId",
  "region",
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
  checkAssumeRole(failures, "bundleAssumeRoleArn", inputs.bundleAssumeRoleArn);
}

/** How the migration bucket is reached: its region (the inputs' own, else the provider's) and identity. */
export function bundleAccessOf(
  inputs: { region?: string; bundleAssumeRoleArn?: string; bundleProfile?: string },
  defaultRegion: string | undefined,
): AwsAccess {
  return accessOf({
    region: inputs.region ?? defaultRegion,
    assumeRoleArn: inputs.bundleAssumeRoleArn,
    profile: inputs.bundleProfile,
  });
}
