/**
 * What the export and import resource classes share at program time: the payload digest (so a
 * payload edit shows as a replacement) and the resource options every work resource needs.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { payloadDigest, readPayload } from "./payload";
import type { AirflowTarget } from "./target";

/** The project's payload folder, resolved when the program runs. */
export const DEFAULT_PAYLOAD_DIR = path.resolve(__dirname, "..", "..", "payload");

export function payloadInputs(
  payloadDir: string | undefined,
  dagId: string,
): { payloadDir: string; payloadDigest: string } {
  const dir = path.resolve(payloadDir ?? DEFAULT_PAYLOAD_DIR);
  return { payloadDir: dir, payloadDigest: payloadDigest(readPayload(dir, dagId)) };
}

/** Inputs the export and import resources share. */
export interface WorkResourceArgs {
  airflow: pulumi.Input<AirflowTarget>;
  /** The DAG folder: "s3://<dag bucket>/<dag prefix>" for MWAA, or an S3 URI / absolute local folder for self-managed. */
  dagFolder: pulumi.Input<string>;
  /** The migration bucket the bundle lives in. */
  bucket: pulumi.Input<string>;
  prefix?: pulumi.Input<string>;
  kmsKeyId?: pulumi.Input<string>;
  deadlineSeconds?: pulumi.Input<number>;
  parseDeadlineSeconds?: pulumi.Input<number>;
  pollIntervalSeconds?: pulumi.Input<number>;
  purgeOnDelete?: pulumi.Input<boolean>;
  /** Defaults to airflow.region, then aws:region. */
  region?: pulumi.Input<string>;
  /** A role in the migration bucket's account that reaches the bundle (awsAccess); default: the default chain. */
  bundleAssumeRoleArn?: pulumi.Input<string>;
  /** A named profile that reaches the bundle, in place of the default chain. */
  bundleProfile?: pulumi.Input<string>;
  /** Defaults to the project's payload folder. */
  payloadDir?: string;
}

/** The airflow input may carry a self-managed login: keep it secret in state. */
export function workResourceOptions(
  opts: pulumi.CustomResourceOptions | undefined,
): pulumi.CustomResourceOptions {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "airflow"] };
}

/** Dynamic resources are `pulumi-nodejs:dynamic/<module>:<type>`; this is our module. */
export const RESOURCE_MODULE = "mwaa-migration";

export function typeToken(type: string): string {
  return `pulumi-nodejs:dynamic/${RESOURCE_MODULE}:${type}`;
}
