/**
 * AirflowRole on real Airflow through the MWAA stand-in: the custom role of a web UI mapping limited to some
 * DAGs (rules/webUiAccess.ts), created, changed and deleted by the provider as `pulumi up` does; a user
 * holding only that role then sees only those DAGs through the REST API. Twice:
 * - Airflow 2.11.0, whose REST API v1 manages roles, reached through MWAA's InvokeRestApi;
 * - Airflow 3.3.2 under the FAB auth manager, as MWAA runs Airflow 3: roles live in the FAB provider's API
 *   (`/auth/fab/v1`), which InvokeRestApi does not reach, so the provider signs in through MWAA's web login
 *   (the stand-in's CreateWebLoginToken and /pluginsv2/aws_mwaa/login) and uses the session's JWT. That target
 *   is test/integration/harness.py's Airflow 3, started here and stopped afterwards.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createAirflowClient } from "../../providers/airflow";
import type { AirflowClient } from "../../providers/airflow";
import { airflowRoleProvider } from "../../providers/airflowRole";
import { customRoleSpec } from "../../rules/webUiAccess";
import { PROBE_DAG_FILE, PROBE_DAG_ID, airflow3Client, integrationInfo, mwaaLocal } from "./itEnv";

const info = integrationInfo();
const PASSWORD = "analyst-password";
type Answer = { status: number; body: Record<string, unknown> };
type Login = { username: string; password: string };

/** How one Airflow is reached and where its roles, users and DAGs are. */
interface RoleSite {
  title: string;
  airflow: { kind: "mwaa"; environmentName: string; airflowVersion: string; region: string };
  ownDags: string[];
  otherDag: string;
  /** Airflow's API paths: roles and users, and the DAGs of the REST API. */
  paths: { roles: string; users: string; dags: string };
  /** Brings the DAGs there and parses them; returns what to undo afterwards. */
  prepare(): Promise<() => void>;
  /** A call to the Airflow itself as `who`. */
  call(who: Login, method: string, urlPath: string, body?: unknown): Promise<Answer>;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  try {
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  } catch {
    return { status: response.status, body: { text } };
  }
}

async function waitParsed(client: AirflowClient, dags: string[]): Promise<void> {
  for (const dag of dags)
    await client.waitUntilParsed(dag, { deadlineMs: Date.now() + 300_000, pollIntervalMs: 2000 });
}

const airflow2: RoleSite = {
  title: "Airflow 2.11.0 through InvokeRestApi",
  airflow: {
    kind: "mwaa",
    environmentName: info.environmentName,
    airflowVersion: info.airflowVersion,
    region: info.region,
  },
  ownDags: [PROBE_DAG_ID, "page_probe_000"],
  otherDag: "page_probe_001",
  paths: { roles: "/api/v1/roles", users: "/api/v1/users", dags: "/api/v1/dags" },
  async prepare() {
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
    await waitParsed(client, [...this.ownDags, this.otherDag]);
    return () => undefined;
  },
  async call(who, method, urlPath, body) {
    return answerOf(
      await fetch(`${info.restApiUrl.replace(/\/$/, "")}${urlPath}`, {
        method,
        headers: {
          authorization: `Basic ${Buffer.from(`${who.username}:${who.password}`).toString("base64")}`,
          "content-type": "application/json",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  },
};

const airflow3Base = info.airflow3.restApiUrl.replace(/\/$/, "");
const ROLE3_DAG_FILE = "role3_probe.py";

const airflow3: RoleSite = {
  title: "Airflow 3.3.2 (FAB auth manager) through MWAA's web login",
  airflow: {
    kind: "mwaa",
    environmentName: info.airflow3.environmentName,
    airflowVersion: info.airflow3.airflowVersion,
    region: info.region,
  },
  ownDags: ["role3_sales_daily", "role3_sales_weekly"],
  otherDag: "role3_finance_daily",
  paths: { roles: "/auth/fab/v1/roles", users: "/auth/fab/v1/users", dags: "/api/v2/dags" },
  async prepare() {
    const dags = [...this.ownDags, this.otherDag];
    const file = path.join(info.airflow3.dagsFolder, ROLE3_DAG_FILE);
    fs.writeFileSync(
      file,
      [
        "import pendulum",
        "from airflow import DAG",
        `for dag_id in ${JSON.stringify(dags)}:`,
        '    globals()[dag_id] = DAG(dag_id, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None)',
        "",
      ].join("\n"),
    );
    mwaaLocal("start", info.airflow3.environmentName);
    await waitParsed(airflow3Client(info), dags);
    return () => {
      fs.rmSync(file, { force: true });
      mwaaLocal("stop", info.airflow3.environmentName);
    };
  },
  async call(who, method, urlPath, body) {
    const login = await fetch(`${airflow3Base}/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(who),
    });
    assert.ok(login.ok, `token for ${who.username}: ${login.status}`);
    const { access_token: token } = (await login.json()) as { access_token: string };
    return answerOf(
      await fetch(`${airflow3Base}${urlPath}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  },
};

for (const site of [airflow2, airflow3]) {
  describe(`AirflowRole on real ${site.title}`, function () {
    this.timeout(400_000);
    const role = `SalesViewer${process.pid}`;
    const admin = { username: info.username, password: info.password };
    const analyst = { username: `analyst${process.pid}`, password: PASSWORD };
    const spec = customRoleSpec(role, site.ownDags);
    const inputs = (permissions = spec.actions) => ({
      airflow: site.airflow,
      roleName: role,
      permissions,
      providerVersion: "test",
    });
    const visibleDags = async (): Promise<string[]> => {
      const listed = await site.call(analyst, "GET", `${site.paths.dags}?limit=500`);
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      const probes = new Set([...site.ownDags, site.otherDag]);
      return (listed.body.dags as { dag_id: string }[])
        .map((d) => d.dag_id)
        .filter((d) => probes.has(d))
        .sort();
    };
    let undo = () => undefined as void;

    before(async () => {
      undo = await site.prepare();
    });

    after(async () => {
      await site.call(admin, "DELETE", `${site.paths.users}/${analyst.username}`).catch(() => undefined);
      await site.call(admin, "DELETE", `${site.paths.roles}/${role}`).catch(() => undefined);
      undo();
    });

    it("creates the role; a user holding only it sees only its DAGs, and may pause no other", async () => {
      const { failures } = await airflowRoleProvider.check!({}, inputs());
      assert.deepEqual(failures, []);
      const created = await airflowRoleProvider.create(inputs());
      assert.equal(created.outs.adopted, false);

      const held = await site.call(admin, "GET", `${site.paths.roles}/${role}`);
      assert.equal(held.status, 200, JSON.stringify(held.body));
      assert.deepEqual(
        (held.body.actions as { action: { name: string }; resource: { name: string } }[])
          .map((p) => `${p.action.name} ${p.resource.name}`)
          .sort(),
        spec.actions.map((p) => `${p.action.name} ${p.resource.name}`).sort(),
      );

      const user = await site.call(admin, "POST", site.paths.users, {
        ...analyst,
        email: `${analyst.username}@example.com`,
        first_name: "Ana",
        last_name: "Lyst",
        roles: [{ name: role }],
      });
      assert.ok(user.status === 200 || user.status === 201, JSON.stringify(user.body));

      assert.deepEqual(await visibleDags(), [...site.ownDags].sort());
      const [own] = site.ownDags;
      assert.equal((await site.call(analyst, "GET", `${site.paths.dags}/${own}`)).status, 200);
      assert.equal((await site.call(analyst, "GET", `${site.paths.dags}/${site.otherDag}`)).status, 403);
      // can_edit on its own DAGs: pausing one of them is allowed, another's is not.
      const pause = { is_paused: true };
      assert.equal((await site.call(analyst, "PATCH", `${site.paths.dags}/${own}`, pause)).status, 200);
      assert.equal(
        (await site.call(analyst, "PATCH", `${site.paths.dags}/${site.otherDag}`, pause)).status,
        403,
      );
    });

    it("an update sets the listed permissions exactly, the user keeping the role: a DAG added, then taken away", async () => {
      const wider = customRoleSpec(role, [...site.ownDags, site.otherDag]).actions;
      await airflowRoleProvider.update!(role, { ...inputs(), adopted: false }, inputs(wider));
      assert.deepEqual(await visibleDags(), [...site.ownDags, site.otherDag].sort());

      // On Airflow 2, whose PATCH /roles only adds, taking a DAG away recreates the role and gives it back.
      await airflowRoleProvider.update!(role, { ...inputs(wider), adopted: false }, inputs());
      assert.deepEqual(await visibleDags(), [...site.ownDags].sort());
      const user = await site.call(admin, "GET", `${site.paths.users}/${analyst.username}`);
      assert.deepEqual(
        (user.body.roles as { name: string }[]).map((r) => r.name),
        [role],
        "the user still holds the role",
      );
    });

    it("adopts a role that exists, and deleting an adopted role leaves it; deleting its own removes it", async () => {
      const adopted = await airflowRoleProvider.create(inputs());
      assert.equal(adopted.outs.adopted, true);
      assert.deepEqual(
        await visibleDags(),
        [...site.ownDags].sort(),
        "the adopted role holds the listed permissions",
      );
      await airflowRoleProvider.delete!(role, { ...inputs(), ...adopted.outs });
      assert.equal((await site.call(admin, "GET", `${site.paths.roles}/${role}`)).status, 200);
      await airflowRoleProvider.delete!(role, { ...inputs(), adopted: false });
      assert.equal((await site.call(admin, "GET", `${site.paths.roles}/${role}`)).status, 404);
    });
  });
}
