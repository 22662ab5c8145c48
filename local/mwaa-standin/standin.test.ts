import * as assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseStandinConfig, type LocalEnvironment } from "./config";
import { localPathFor, planDagSync } from "./dagSync";
import { IDENTITIES_PATH } from "./identities";
import { MwaaStandin } from "./server";
import { verifySigV4, type Credentials } from "./sigv4Verify";
import { signRequest } from "../../providers/airflow/sigv4";

const credentials = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

async function signed(body: string, url = "http://127.0.0.1:56002/restapi/my-env") {
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  try {
    const headers = await signRequest({
      url,
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      region: "us-east-1",
      service: "airflow",
    });
    return {
      method: "POST",
      rawUrl: new URL(url).pathname,
      headers: lower(headers),
      body: Buffer.from(body),
    };
  } finally {
    process.env = saved;
  }
}

const lower = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));

describe("MWAA stand-in SigV4 check", () => {
  it("accepts a request signed by the providers' signer", async () => {
    const request = await signed('{"Path":"/version","Method":"GET"}');
    assert.deepEqual(verifySigV4(request, credentials, "us-east-1", "airflow"), {
      ok: true,
      accessKeyId: credentials.accessKeyId,
    });
  });

  it("refuses a changed body, a wrong secret, another region or service, and a stale date", async () => {
    const request = await signed('{"Path":"/version","Method":"GET"}');
    const tampered = { ...request, body: Buffer.from('{"Path":"/dags","Method":"GET"}') };
    assert.equal(
      (verifySigV4(tampered, credentials, "us-east-1", "airflow") as { type: string }).type,
      "InvalidSignatureException",
    );
    const wrongSecret = { ...credentials, secretAccessKey: "other" };
    assert.equal(verifySigV4(request, wrongSecret, "us-east-1", "airflow").ok, false);
    assert.equal(verifySigV4(request, credentials, "eu-west-1", "airflow").ok, false);
    assert.equal(verifySigV4(request, credentials, "us-east-1", "s3").ok, false);
    assert.equal(
      verifySigV4(request, credentials, "us-east-1", "airflow", Date.now() + 20 * 60_000).ok,
      false,
    );
    const unsigned = { ...request, headers: { ...request.headers, authorization: undefined } };
    assert.equal(
      (verifySigV4(unsigned, credentials, "us-east-1", "airflow") as { type: string }).type,
      "MissingAuthenticationTokenException",
    );
  });

  it("matches the published SigV4 derivation for a hand-built request", () => {
    // Built here step by step from the algorithm, independently of any signer library.
    const amzDate = new Date()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, "");
    const day = amzDate.slice(0, 8);
    const body = "{}";
    const payloadHash = createHash("sha256").update(body).digest("hex");
    const canonical = [
      "GET",
      "/environments/my-env",
      "",
      `host:127.0.0.1:56002\nx-amz-date:${amzDate}\n`,
      "host;x-amz-date",
      payloadHash,
    ].join("\n");
    const scope = `${day}/us-east-1/airflow/aws4_request`;
    const toSign = [
      "AWS4-HMAC-SHA256",
      amzDate,
      scope,
      createHash("sha256").update(canonical).digest("hex"),
    ].join("\n");
    let key: Buffer = createHmac("sha256", `AWS4${credentials.secretAccessKey}`).update(day).digest();
    for (const part of ["us-east-1", "airflow", "aws4_request"])
      key = createHmac("sha256", key).update(part).digest();
    const signature = createHmac("sha256", key).update(toSign).digest("hex");
    const request = {
      method: "GET",
      rawUrl: "/environments/my-env",
      body: Buffer.from(body),
      headers: {
        host: "127.0.0.1:56002",
        "x-amz-date": amzDate,
        authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=host;x-amz-date, Signature=${signature}`,
      },
    };
    assert.equal(verifySigV4(request, credentials, "us-east-1", "airflow").ok, true);
  });
});

describe("MWAA stand-in across accounts", () => {
  const OTHER_ACCOUNT = "210987654321";
  const role: Credentials = {
    accessKeyId: "ASIAROLEKEY",
    secretAccessKey: "role-secret",
    sessionToken: "token-b",
  };
  const environment = (accountId?: string): LocalEnvironment => ({
    airflowVersion: "2.11.0",
    restApiUrl: "http://127.0.0.1:1",
    username: "admin",
    password: "admin",
    cli: { command: "airflow", env: {} },
    sourceBucketArn: "arn:aws:s3:::dags",
    dagS3Path: "dags",
    dagsFolder: "/tmp/dags",
    executionRoleArn: `arn:aws:iam::${accountId ?? "123456789012"}:role/x`,
    ...(accountId ? { accountId } : {}),
  });
  const servers: Server[] = [];
  let api = "";

  before(async () => {
    const listen = (server: Server) =>
      new Promise<string>((resolve) => {
        servers.push(server);
        server.listen(0, "127.0.0.1", () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
        );
      });
    // What local/mwaa_local/moto_server.py answers: the keys moto issued, each in its account.
    const issued: Record<string, unknown> = {
      [role.accessKeyId]: {
        accountId: OTHER_ACCOUNT,
        secretAccessKey: role.secretAccessKey,
        sessionToken: role.sessionToken,
      },
    };
    const moto = await listen(
      createServer((request, response) => {
        const key = (request.url ?? "").startsWith(IDENTITIES_PATH)
          ? issued[decodeURIComponent(request.url!.slice(IDENTITIES_PATH.length))]
          : undefined;
        response.writeHead(key ? 200 : 404, { "content-type": "application/json" });
        response.end(JSON.stringify(key ?? { message: "no such access key" }));
      }),
    );
    const standin = new MwaaStandin({
      config: {
        region: "us-east-1",
        accountId: "123456789012",
        iamEndpoint: moto,
        environments: { "env-a": environment(), "env-b": environment(OTHER_ACCOUNT) },
      },
      credentials,
      webServerHostname: "127.0.0.1:1",
      log: () => undefined,
    });
    api = await listen(standin.apiServer());
  });
  after(() => servers.forEach((server) => server.close()));

  async function getEnvironment(name: string, as: Credentials) {
    const url = `${api}/environments/${name}`;
    const headers = await signRequest({
      url,
      method: "GET",
      headers: {},
      body: "",
      region: "us-east-1",
      service: "airflow",
      credentials: async () => as,
    });
    const response = await fetch(url, { headers });
    return { status: response.status, body: (await response.json()) as { Environment?: { Arn: string } } };
  }

  it("serves an environment to its own account's identity, with that account in its ARNs", async () => {
    const own = await getEnvironment("env-a", credentials);
    assert.equal(own.status, 200);
    const other = await getEnvironment("env-b", role);
    assert.equal(other.status, 200);
    assert.equal(other.body.Environment?.Arn, `arn:aws:airflow:us-east-1:${OTHER_ACCOUNT}:environment/env-b`);
  });

  it("does not find an environment for another account's identity", async () => {
    assert.equal((await getEnvironment("env-b", credentials)).status, 404);
    assert.equal((await getEnvironment("env-a", role)).status, 404);
  });

  it("refuses an assumed role's key without its session token", async () => {
    assert.equal((await getEnvironment("env-b", { ...role, sessionToken: "another" })).status, 403);
    assert.equal(
      (await getEnvironment("env-b", { accessKeyId: "AKIAUNKNOWN", secretAccessKey: "x" })).status,
      403,
    );
  });
});

describe("MWAA stand-in DAG sync", () => {
  const target = { name: "env", bucket: "b", prefix: "dags", dagsFolder: "/srv/dags" };

  it("copies new and changed objects and removes only files it synced whose object is gone", () => {
    const synced = new Map([
      ["dags/a.py", '"1"'],
      ["dags/gone.py", '"2"'],
    ]);
    const plan = planDagSync(
      [
        { key: "dags/a.py", etag: '"1"' },
        { key: "dags/b.py", etag: '"3"' },
        { key: "dags/sub/", etag: '"4"' },
      ],
      synced,
    );
    assert.deepEqual(
      plan.download.map((object) => object.key),
      ["dags/b.py"],
    );
    assert.deepEqual(plan.remove, ["dags/gone.py"]);
  });

  it("places objects under the DAG folder and refuses keys that would leave it", () => {
    assert.equal(localPathFor(target, "dags/team/etl.py"), "/srv/dags/team/etl.py");
    assert.throws(() => localPathFor(target, "dags/../../etc/passwd"), /outside the DAG folder/);
  });
});

describe("MWAA stand-in configuration", () => {
  it("names every missing or malformed field", () => {
    const text = JSON.stringify({
      region: "us-east-1",
      accountId: "12",
      environments: { "1bad": { sourceBucketArn: "bucket" } },
    });
    assert.throws(
      () => parseStandinConfig(text, "envs.json"),
      (error: Error) => {
        for (const part of [
          "accountId",
          '"1bad"',
          "1bad.restApiUrl",
          "1bad.cli.command",
          "sourceBucketArn",
        ]) {
          assert.ok(error.message.includes(part), `${part} in ${error.message}`);
        }
        return error.message.startsWith("envs.json:");
      },
    );
  });
});
