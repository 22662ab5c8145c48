import { createHash, createHmac } from "node:crypto";
import type { AwsCredentialIdentityProvider } from "@smithy/types";

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBuffer(data: SourceData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 (or HMAC-SHA-256 with a secret) from node:crypto in the shape @smithy/signature-v4 expects. */
export class NodeSha256 {
  private hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }

  private fresh() {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(this.secret));
  }

  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }
}

export interface SignedRequestInput {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  region: string;
  /** The signing name from the service model (`airflow` for MWAA). */
  service: string;
  /** The side's credentials (awsAccess); the default provider chain when absent. */
  credentials?: AwsCredentialIdentityProvider;
}

/**
 * Signs a request with SigV4 using the side's credentials, by default the default provider chain resolved now
 * (per call), and returns the headers to send.
 */
export async function signRequest(input: SignedRequestInput): Promise<Record<string, string>> {
  const { SignatureV4 } = require("@smithy/signature-v4") as typeof import("@smithy/signature-v4");
  const { fromNodeProviderChain } =
    require("@aws-sdk/credential-providers") as typeof import("@aws-sdk/credential-providers");
  const url = new URL(input.url);
  const signer = new SignatureV4({
    credentials: input.credentials ?? fromNodeProviderChain(),
    region: input.region,
    service: input.service,
    sha256: NodeSha256,
  });
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, key) => (query[key] = value));
  const signed = await signer.sign({
    method: input.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query,
    headers: { ...input.headers, host: url.host },
    body: input.body,
  });
  return signed.headers as Record<string, string>;
}
