/**
 * AirflowRole on real Airflow 2.11.0, through MWAA's InvokeRestApi (the stand-in): the custom role of a web
 * UI mapping limited to some DAGs (rules/webUiAccess.ts), created, changed and deleted by the provider as
 * `pulumi up` does; a user holding only that role then sees only those DAGs through the REST API.
 */
import * as assert from "node:assert/strict";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { airflowRoleProvider } from "../../providers/airflowRole";
import { createAirflowClient } from "../../providers/airflow";
import { customRoleSpec } from "../../rules/webUiAccess";
import { PROBE_DAG_FILE, PROBE_DAG_ID, integrationInfo } from "./itEnv";

const info = integrationInfo();
const ROLE = `SalesViewer${process.pid}`;
const USER = `analyst${process.pid}`;
const PASSWORD = "analyst-password";
const OWN_DAGS = [PROBE_DAG_ID, "page_probe_000"];

const mwaaAirflow = {
  kind: "mwaa" as const,
  environmentName: info.environmentName,
  airflowVersion: info.airflowVersion,
  region: info.region,
};

/** A REST call to the environment's API itself, as `who`. */
async function api(
  who: { username: string; password: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${info.restApiUrl.replace(/\/$/, "")}/api/v1${path}`, {
    method,
    headers: {
      Authorization: `Basic ${Buffer.from(`${who.username}:${who.password}`).toString("base64")}`,
      "Content-Type": "application/json",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const admin = { username: info.username, password: info.password };
const analyst = { username: USER, password: PASSWORD };

async function visibleDags(): Promise<string[]> {
  const listed = await api(analyst, "GET", "/dags?limit=500");
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  return (listed.body.dags as { dag_id: string }[]).map((d) => d.dag_id).sort();
}

describe("AirflowRole on real Airflow through InvokeRestApi", function () {
  this.timeout(300_000);
  const spec = customRoleSpec(ROLE, OWN_DAGS);
  const inputs = (permissions = spec.actions) => ({
    airflow: mwaaAirflow,
    roleName: ROLE,
    permissions,
    providerVersion: "test",
  });

  before(async () => {
    // The probe DAGs, delivered the MWAA way (idempotent: the client tests deliver the same file).
    const s3 = new S3Client({ region: info.region, forcePathStyle: true });
    await s3.send(
      new PutObjectCommand({
        Bucket: info.dagBucket,
        Key: `${info.dagPrefix}/client_probe.py`,
        Body: PROBE_DAG_FILE,
      }),
    );
    s3.destroy();
    const client = createAirflowClient({
      kind: "airflow-rest",
      baseUrl: info.restApiUrl,
      username: info.username,
      password: info.password,
      airflowVersion: info.airflowVersion,
    });
    for (const dag of [...OWN_DAGS, "page_probe_001"])
      await client.waitUntilParsed(dag, { deadlineMs: Date.now() + 180_000, pollIntervalMs: 2000 });
  });

  after(async () => {
    await api(admin, "DELETE", `/users/${USER}`);
    await api(admin, "DELETE", `/roles/${ROLE}`);
  });

  it("creates the role; a user holding only it sees only its DAGs, and reads no other", async () => {
    const { failures } = await airflowRoleProvider.check!({}, inputs());
    assert.deepEqual(failures, []);
    const created = await airflowRoleProvider.create(inputs());
    assert.equal(created.outs.adopted, false);

    const role = await api(admin, "GET", `/roles/${ROLE}`);
    assert.equal(role.status, 200);
    const held = (role.body.actions as { action: { name: string }; resource: { name: string } }[])
      .map((p) => `${p.action.name} ${p.resource.name}`)
      .sort();
    assert.deepEqual(held, spec.actions.map((p) => `${p.action.name} ${p.resource.name}`).sort());

    const user = await api(admin, "POST", "/users", {
      username: USER,
      password: PASSWORD,
      email: `${USER}@example.com`,
      first_name: "Ana",
      last_name: "Lyst",
      roles: [{ name: ROLE }],
    });
    assert.equal(user.status, 200, JSON.stringify(user.body));

    assert.deepEqual(await visibleDags(), [...OWN_DAGS].sort());
    assert.equal((await api(analyst, "GET", `/dags/${PROBE_DAG_ID}`)).status, 200);
    assert.equal((await api(analyst, "GET", "/dags/page_probe_001")).status, 403);
    // can_edit on its own DAGs: pausing one of them is allowed, another's is not.
    assert.equal((await api(analyst, "PATCH", `/dags/${PROBE_DAG_ID}`, { is_paused: true })).status, 200);
    assert.equal((await api(analyst, "PATCH", "/dags/page_probe_001", { is_paused: true })).status, 403);
  });

  it("an update sets the listed permissions exactly, the user keeping the role: a DAG added, then taken away", async () => {
    const wider = customRoleSpec(ROLE, [...OWN_DAGS, "page_probe_001"]).actions;
    await airflowRoleProvider.update!(ROLE, { ...inputs(), adopted: false }, inputs(wider));
    assert.deepEqual(await visibleDags(), [...OWN_DAGS, "page_probe_001"].sort());

    // Airflow's PATCH /roles only adds: taking a DAG away recreates the role and gives it back to the user.
    await airflowRoleProvider.update!(ROLE, { ...inputs(wider), adopted: false }, inputs());
    assert.deepEqual(await visibleDags(), [...OWN_DAGS].sort());
    const user = await api(admin, "GET", `/users/${USER}`);
    assert.deepEqual(
      (user.body.roles as { name: string }[]).map((r) => r.name),
      [ROLE],
      "the user still holds the role",
    );
  });

  it("adopts a role that exists, and deleting an adopted role leaves it; deleting its own removes it", async () => {
    const adopted = await airflowRoleProvider.create(inputs());
    assert.equal(adopted.outs.adopted, true);
    assert.deepEqual(
      await visibleDags(),
      [...OWN_DAGS].sort(),
      "the adopted role holds the listed permissions",
    );
    await airflowRoleProvider.delete!(ROLE, { ...inputs(), ...adopted.outs });
    assert.equal((await api(admin, "GET", `/roles/${ROLE}`)).status, 200);
    await airflowRoleProvider.delete!(ROLE, { ...inputs(), adopted: false });
    assert.equal((await api(admin, "GET", `/roles/${ROLE}`)).status, 404);
  });
});
