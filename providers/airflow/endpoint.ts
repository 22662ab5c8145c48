/**
 * Where MWAA requests go. @aws-sdk/client-mwaa 3.523.0 already honours `AWS_ENDPOINT_URL_MWAA` and
 * `AWS_ENDPOINT_URL` (its runtime config names the service "MWAA" and @smithy/middleware-endpoint reads both
 * variables), but InvokeRestApi is not in that client and is signed by hand, so this function resolves its
 * endpoint by the same rules: the service-specific variable, then the global one, unless
 * `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is set; otherwise the regional host with the operation's host prefix.
 *
 * A configured endpoint is a complete URL, so the operation's host prefix (`env.` / `api.`) is not added to it;
 * the SDK client gets `disableHostPrefix` for the same reason (see `mwaaSdkConfig`).
 */

import { REGION_PATTERN } from "../../rules/arns";
import { type RegionalAccess, sdkSettings } from "../framework/awsAccess";

export type Environment = Record<string, string | undefined>;

export function configuredMwaaEndpoint(env: Environment = process.env): string | undefined {
  const ignore = (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? "").toLowerCase();
  if (ignore === "true" || ignore === "1") return undefined;
  const url = env.AWS_ENDPOINT_URL_MWAA || env.AWS_ENDPOINT_URL;
  return url ? url.replace(/\/+$/, "") : undefined;
}

/** The base URL of MWAA's `env.` operations (InvokeRestApi, CreateCliToken) in `region`. */
export function mwaaEnvEndpoint(region: string, env: Environment = process.env): string {
  if (!REGION_PATTERN.test(region)) {
    throw new Error(
      `AWS region "${region}" is not a region name (e.g. "us-east-1"); set aws:region or the region input`,
    );
  }
  const configured = configuredMwaaEndpoint(env);
  if (configured) return configured;
  const dnsSuffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return `https://env.airflow.${region}.${dnsSuffix}`;
}

/**
 * Client settings for @aws-sdk/client-mwaa: the side's region and credentials (see awsAccess), and the host
 * prefix kept only for AWS's own regional endpoints.
 */
export function mwaaSdkConfig(access: RegionalAccess, env: Environment = process.env) {
  return {
    ...sdkSettings(access),
    region: access.region,
    disableHostPrefix: configuredMwaaEndpoint(env) !== undefined,
  };
}
