/**
 * Whose AWS credentials a call uses and which region it goes to: one side of the migration. A source and
 * a target in different accounts are reached with different identities, so every SDK client of the phases
 * is built from the side it works on. These are names only (a role ARN, a profile name): the secrets still
 * come from the default chain or the shared config files, never from resource inputs.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";

export interface AwsAccess {
  readonly region?: string;
  /** A role assumed with the base credentials (the default chain, or `profile`): another account's side. */
  readonly assumeRoleArn?: string;
  /** A named profile of the shared AWS config files, in place of the default chain. */
  readonly profile?: string;
}

/** A side whose region is known: what an MWAA client needs. */
export type RegionalAccess = AwsAccess & { readonly region: string };

export { IAM_ROLE_ARN_PATTERN as ASSUME_ROLE_ARN_PATTERN } from "../../rules/arns";

/** The session name the assumed role's calls carry in CloudTrail. */
export const ASSUMED_SESSION_NAME = "mwaa-migration";

/** Credentials are refreshed this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;

type Cached = { identity: Promise<AwsCredentialIdentity> };
const CACHE_GLOBAL = "__mwaaMigrationAssumedRoles";

/**
 * The process's cache, looked up on the global object at each call: a module variable would be captured by
 * the closure serializer and carried into the dynamic providers' process with whatever the program's process
 * had put in it (a promise arrives there as a plain object).
 */
function assumedRoles(): Record<string, Cached | undefined> {
  const holder = globalThis as unknown as Record<string, Record<string, Cached | undefined> | undefined>;
  return (holder[CACHE_GLOBAL] ??= {});
}

function expiresSoon(identity: AwsCredentialIdentity, now: number): boolean {
  return identity.expiration !== undefined && identity.expiration.getTime() - now < REFRESH_MARGIN_MS;
}

/**
 * One identity per role and profile for the life of the process: the phases build a client per call, and
 * assuming the role again for each would put an STS call in front of every request.
 */
function sharedIdentity(
  key: string,
  resolve: () => Promise<AwsCredentialIdentity>,
): AwsCredentialIdentityProvider {
  return async () => {
    const assumed = assumedRoles();
    const cached = assumed[key];
    if (cached) {
      const identity = await cached.identity.catch(() => undefined);
      if (identity && !expiresSoon(identity, Date.now())) return identity;
    }
    const fresh = { identity: resolve() };
    assumed[key] = fresh;
    fresh.identity.catch(() => {
      if (assumed[key] === fresh) assumed[key] = undefined;
    });
    return fresh.identity;
  };
}

/** The credentials of a side, or undefined for the default chain (the SDK's own resolution). */
export function credentialsFor(access: AwsAccess | undefined): AwsCredentialIdentityProvider | undefined {
  if (!access?.assumeRoleArn && !access?.profile) return undefined;
  const providers =
    require("@aws-sdk/credential-providers") as typeof import("@aws-sdk/credential-providers");
  const base = access.profile ? providers.fromIni({ profile: access.profile }) : undefined;
  if (!access.assumeRoleArn) return base;
  const roleArn = access.assumeRoleArn;
  return sharedIdentity(`${access.profile ?? ""}|${roleArn}`, () =>
    providers.fromTemporaryCredentials({
      params: { RoleArn: roleArn, RoleSessionName: ASSUMED_SESSION_NAME },
      ...(base ? { masterCredentials: base } : {}),
      ...(access.region ? { clientConfig: { region: access.region } } : {}),
    })(),
  );
}

/** Settings for an SDK client of one side: its region and, when not the default chain, its credentials. */
export function sdkSettings(access: AwsAccess | undefined): {
  region?: string;
  credentials?: AwsCredentialIdentityProvider;
} {
  const credentials = credentialsFor(access);
  return { ...(access?.region ? { region: access.region } : {}), ...(credentials ? { credentials } : {}) };
}

/** Who a side calls AWS as, for messages: never a secret. */
export function describeAccess(access: AwsAccess | undefined): string {
  if (access?.assumeRoleArn)
    return `as ${access.assumeRoleArn}${access.profile ? ` (from profile ${access.profile})` : ""}`;
  if (access?.profile) return `with profile ${access.profile}`;
  return "with the default credentials";
}

/** The access fields of an input object, without anything else it holds. */
export function accessOf(value: { region?: string; assumeRoleArn?: string; profile?: string }): AwsAccess {
  return {
    ...(value.region ? { region: value.region } : {}),
    ...(value.assumeRoleArn ? { assumeRoleArn: value.assumeRoleArn } : {}),
    ...(value.profile ? { profile: value.profile } : {}),
  };
}
