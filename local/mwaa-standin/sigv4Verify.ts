import { createHash, createHmac } from "node:crypto";

/**
 * Verifies an AWS Signature Version 4 `Authorization` header, written from the published algorithm rather than
 * with the signer the clients use, so that a client and this check cannot share a mistake unnoticed (boto3's
 * own signer is run against it too). Non-S3 services sign the URI path encoded a second time.
 */

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials (an assumed role's) are valid only with their token, sent as X-Amz-Security-Token. */
  sessionToken?: string;
}

export interface IncomingSignedRequest {
  method: string;
  /** The path and query exactly as received on the wire. */
  rawUrl: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type VerifyResult =
  { ok: true; accessKeyId: string } | { ok: false; status: number; type: string; message: string };

const sha256Hex = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();

const rfc3986 = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(search: string): string {
  if (!search) return "";
  return search
    .replace(/^\?/, "")
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const [key, value = ""] = pair.split("=");
      const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
      return [rfc3986(decode(key)), rfc3986(decode(value))];
    })
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
}

function header(headers: IncomingSignedRequest["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/;

/** The access key a request says it is signed with, before any check: what the secret is looked up by. */
export function signingAccessKeyId(headers: IncomingSignedRequest["headers"]): string | undefined {
  return AUTHORIZATION.exec((header(headers, "authorization") ?? "").trim())?.[1];
}

export function verifySigV4(
  request: IncomingSignedRequest,
  credentials: Credentials,
  region: string,
  service: string,
  nowMs: number = Date.now(),
): VerifyResult {
  const fail = (type: string, message: string, status = 403): VerifyResult => ({
    ok: false,
    status,
    type,
    message,
  });
  const authorization = header(request.headers, "authorization");
  if (!authorization) return fail("MissingAuthenticationTokenException", "Missing Authentication Token");
  const match = AUTHORIZATION.exec(authorization.trim());
  if (!match) return fail("IncompleteSignatureException", "Authorization header is not a SigV4 signature");
  const [, accessKeyId, day, signedRegion, signedService, signedHeaders, signature] = match;
  if (accessKeyId !== credentials.accessKeyId) {
    return fail("UnrecognizedClientException", "The security token included in the request is invalid.");
  }
  if (
    credentials.sessionToken !== undefined &&
    header(request.headers, "x-amz-security-token") !== credentials.sessionToken
  ) {
    return fail("UnrecognizedClientException", "The security token included in the request is invalid.");
  }
  if (signedRegion !== region || signedService !== service) {
    return fail(
      "InvalidSignatureException",
      `Credential should be scoped to a valid region and service: expected ${region}/${service}, got ${signedRegion}/${signedService}`,
    );
  }
  const amzDate = header(request.headers, "x-amz-date");
  if (!amzDate || !amzDate.startsWith(day))
    return fail("IncompleteSignatureException", "X-Amz-Date is missing or disagrees");
  const signedAt = Date.parse(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  if (!(Math.abs(nowMs - signedAt) <= 5 * 60 * 1000)) {
    return fail(
      "InvalidSignatureException",
      "Signature expired: the request time is more than 5 minutes off",
    );
  }
  const headerNames = signedHeaders.split(";");
  if (!headerNames.includes("host"))
    return fail("InvalidSignatureException", "The host header must be signed");
  const canonicalHeaders = headerNames
    .map((name) => `${name}:${(header(request.headers, name) ?? "").trim().replace(/\s+/g, " ")}\n`)
    .join("");
  const url = new URL(request.rawUrl, "http://placeholder");
  const canonicalPath = url.pathname
    .split("/")
    .map((segment) => rfc3986(segment))
    .join("/");
  const payloadHash = header(request.headers, "x-amz-content-sha256") ?? sha256Hex(request.body);
  if (payloadHash !== "UNSIGNED-PAYLOAD" && payloadHash !== sha256Hex(request.body)) {
    return fail(
      "InvalidSignatureException",
      "The provided x-amz-content-sha256 header does not match the body",
      400,
    );
  }
  const canonicalRequest = [
    request.method,
    canonicalPath,
    canonicalQuery(url.search),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join("\n");
  const scope = `${day}/${signedRegion}/${signedService}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  let key = hmac(`AWS4${credentials.secretAccessKey}`, day);
  for (const part of [signedRegion, signedService, "aws4_request"]) key = hmac(key, part);
  const expected = createHmac("sha256", key).update(stringToSign).digest("hex");
  if (expected !== signature) {
    return fail(
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. " +
        "Check your AWS Secret Access Key and signing method.",
    );
  }
  return { ok: true, accessKeyId };
}
