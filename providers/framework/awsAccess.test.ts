/**
 * Each side's credentials through the real SDK: the default chain, a named profile, a role assumed with
 * either (against a local STS stand-in), and an MWAA request signed as the assumed role.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { verifySigV4 } from "../../local/mwaa-standin/sigv4Verify";
import { serveAsEndpoint } from "../../test/support/stubEndpoint";
import { signRequest } from "../airflow/sigv4";
import { ASSUMED_SESSION_NAME, credentialsFor, describeAccess, sdkSettings } from "./awsAccess";

const ROLE = "arn:aws:iam::210987654321:role/mwaa-migration-deployer";

/** STS's AssumeRole (query protocol): who called (the signing key) and with which parameters. */
async function startStsStub(expiresInMs: number) {
  const calls: { accessKeyId: string; roleArn: string; sessionName: string }[] = [];
  const server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      const form = new URLSearchParams(body);
      const accessKeyId = /Credential=([^/]+)\//.exec(String(request.headers.authorization))?.[1] ?? "";
      calls.push({
        accessKeyId,
        roleArn: form.get("RoleArn") ?? "",
        sessionName: form.get("RoleSessionName") ?? "",
      });
      const n = calls.length;
      response.writeHead(200, { "content-type": "text/xml" });
      response.end(
        `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAASSUMED${n}</AccessKeyId>` +
          `<SecretAccessKey>assumed-secret-${n}</SecretAccessKey><SessionToken>token-${n}</SessionToken>` +
          `<Expiration>${new Date(Date.now() + expiresInMs).toISOString()}</Expiration></Credentials>` +
          `<AssumedRoleUser><Arn>${ROLE}/${form.get("RoleSessionName")}</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser>` +
          `</AssumeRoleResult></AssumeRoleResponse>`,
      );
    });
  });
  const stop = await serveAsEndpoint(server, "AWS_ENDPOINT_URL_STS");
  return { calls, stop };
}

describe("awsAccess: who each side calls AWS as", function () {
  this.timeout(30_000);
  const saved = { ...process.env };
  let home: string;

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "aws-access-"));
    fs.writeFileSync(
      path.join(home, "credentials"),
      "[target-admin]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = profile-secret\n",
    );
    process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(home, "credentials");
    process.env.AWS_CONFIG_FILE = path.join(home, "config");
    process.env.AWS_ACCESS_KEY_ID = "AKIADEFAULT";
    process.env.AWS_SECRET_ACCESS_KEY = "default-secret";
    process.env.AWS_REGION = "us-east-1";
  });
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("leaves the default chain to the SDK when a side names no role or profile", () => {
    assert.deepEqual(sdkSettings({ region: "eu-west-1" }), { region: "eu-west-1" });
    assert.equal(credentialsFor(undefined), undefined);
    assert.equal(describeAccess({}), "with the default credentials");
  });

  it("reads a named profile from the shared credentials file", async () => {
    const identity = await credentialsFor({ profile: "target-admin" })!();
    assert.equal(identity.accessKeyId, "AKIAPROFILE");
    assert.equal(identity.secretAccessKey, "profile-secret");
  });

  it("assumes the role with the default chain, once, and reuses it until it nears expiry", async () => {
    const sts = await startStsStub(3600_000);
    try {
      const access = { region: "eu-west-1", assumeRoleArn: ROLE };
      const first = await credentialsFor(access)!();
      const again = await credentialsFor(access)!();
      assert.equal(first.accessKeyId, "ASIAASSUMED1");
      assert.equal(first.sessionToken, "token-1");
      assert.equal(again.accessKeyId, "ASIAASSUMED1", "a second client reuses the role's credentials");
      assert.deepEqual(sts.calls, [
        { accessKeyId: "AKIADEFAULT", roleArn: ROLE, sessionName: ASSUMED_SESSION_NAME },
      ]);
    } finally {
      await sts.stop();
    }
  });

  it("carries no assumed credentials of the program's process into a dynamic provider's code", async () => {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const sts = await startStsStub(3600_000);
    try {
      await credentialsFor({ region: "eu-west-1", assumeRoleArn: ROLE })!();
    } finally {
      await sts.stop();
    }
    // What a dynamic provider's create does: the serializer captures what the function reaches.
    const serialized = await pulumi.runtime.serializeFunction(() =>
      sdkSettings({ assumeRoleArn: "arn:aws:iam::111122223333:role/other" }),
    );
    assert.doesNotMatch(serialized.text, /mwaa-migration-deployer|ASIAASSUMED/);
  });

  it("assumes the role again when its credentials are about to expire", async () => {
    const sts = await startStsStub(60_000);
    try {
      const access = { region: "eu-central-1", assumeRoleArn: ROLE, profile: "target-admin" };
      await credentialsFor(access)!();
      const renewed = await credentialsFor(access)!();
      assert.equal(renewed.accessKeyId, "ASIAASSUMED2");
      assert.deepEqual(
        sts.calls.map((c) => c.accessKeyId),
        ["AKIAPROFILE", "AKIAPROFILE"],
        "with a profile, the role is assumed with the profile's credentials",
      );
    } finally {
      await sts.stop();
    }
  });

  it("signs an MWAA request as the assumed role, with its session token", async () => {
    const sts = await startStsStub(3600_000);
    try {
      const credentials = credentialsFor({ region: "ap-south-1", assumeRoleArn: `${ROLE}-signing` })!;
      const body = JSON.stringify({ Path: "/dags", Method: "GET" });
      const url = "https://env.airflow.ap-south-1.amazonaws.com/restapi/target";
      const headers = await signRequest({
        url,
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        region: "ap-south-1",
        service: "airflow",
        credentials,
      });
      const assumed = sts.calls.length;
      assert.match(headers.authorization, new RegExp(`Credential=ASIAASSUMED${assumed}/`));
      assert.equal(headers["x-amz-security-token"], `token-${assumed}`);
      const verdict = verifySigV4(
        { method: "POST", rawUrl: "/restapi/target", headers, body: Buffer.from(body) },
        { accessKeyId: `ASIAASSUMED${assumed}`, secretAccessKey: `assumed-secret-${assumed}` },
        "ap-south-1",
        "airflow",
      );
      assert.deepEqual(verdict, { ok: true, accessKeyId: `ASIAASSUMED${assumed}` });
    } finally {
      await sts.stop();
    }
  });
});
