import type { Credentials } from "./sigv4Verify";

/**
 * Who signed a request, as IAM would tell MWAA: the signing secret of an access key and the account it
 * belongs to. The stand-in knows one key pair of its own (the stack's, in its default account); with the
 * local moto as IAM it also knows every key moto has issued, an IAM user's or an assumed role's, each in
 * its account (local/mwaa_local/moto_server.py answers for them). That is what lets a target in another
 * account be reached only as that account's identity.
 */
export interface Identity {
  credentials: Credentials;
  accountId: string;
}

export type IdentityLookup = (accessKeyId: string) => Promise<Identity | undefined>;

/** What moto_server.py answers for a key it issued. */
interface IssuedKey {
  accountId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const IDENTITIES_PATH = "/mwaa-local/identities/";

/**
 * The stand-in's own key pair in its default account, then (with `motoEndpoint`) any key moto issued,
 * asked for once per key: roles are assumed while the stand-in runs.
 */
export function identityLookup(own: Identity, motoEndpoint?: string): IdentityLookup {
  const known = new Map<string, Identity>([[own.credentials.accessKeyId, own]]);
  return async (accessKeyId) => {
    const cached = known.get(accessKeyId);
    if (cached || !motoEndpoint) return cached;
    const response = await fetch(
      new URL(`${IDENTITIES_PATH}${encodeURIComponent(accessKeyId)}`, motoEndpoint),
    );
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`the keys moto issued, at ${motoEndpoint}: HTTP ${response.status}`);
    const issued = (await response.json()) as IssuedKey;
    const identity: Identity = {
      credentials: {
        accessKeyId,
        secretAccessKey: issued.secretAccessKey,
        ...(issued.sessionToken ? { sessionToken: issued.sessionToken } : {}),
      },
      accountId: issued.accountId,
    };
    known.set(accessKeyId, identity);
    return identity;
  };
}
