/**
 * What the export and import resource classes share at program time: the payload digest (so a
 * payload edit shows as a replacement) and the resource options every work resource needs.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { payloadDigest, readPayload } from "./payload";

/** The project's providers/dags folder, resolved when the program runs. */
export const DEFAULT_PAYLOAD_DIR = path.resolve(__dirname, "..", "dags");

export function payloadInputs(
  payloadDir: string | undefined,
  dagId: string,
): { payloadDir: string; payloadDigest: string } {
  const dir = path.resolve(payloadDir ?? DEFAULT_PAYLOAD_DIR);
  return { payloadDir: dir, payloadDigest: payloadDigest(readPayload(dir, dagId)) };
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
