import * as assert from "node:assert/strict";
import { MOCK_ACCOUNT } from "../support/awsMocks";
import {
  RecordedResource,
  StackRun,
  loadDevConfig,
  runStack,
  runStackWithOutputs,
} from "../support/stackUnderMocks";

const REGION = "us-east-1";
const TARGET = "airflow-2-11";
const SECRETS_KEY = `arn:aws:kms:${REGION}:${MOCK_ACCOUNT}:key/1f2e3d4c-5b6a-7980-8a9b-0c1d2e3f4a5b`;
const secret = (name: string) => `arn:aws:secretsmanager:${REGION}:${MOCK_ACCOUNT}:secret:${name}`;

const created = (run: StackRun, type: string) => run.resources.filter((r) => r.type === type && !r.read);
const byName = (run: StackRun, name: string): RecordedResource => {
  const found = run.resources.find((r) => r.name === name);
  assert.ok(found, `no resource ${name}`);
  return found;
};
const executionPolicy = (run: StackRun) =>
  JSON.parse(byName(run, "dev-migration-target-execution-policy").inputs.policy) as {
    Statement: { Sid: string; Action: string[]; Resource: string | string[]; Condition?: object }[];
  };
const sid = (run: StackRun, name: string) => executionPolicy(run).Statement.find((s) => s.Sid === name);
const options = (run: StackRun) =>
  created(run, "aws:mwaa/environment:Environment")[0].inputs.airflowConfigurationOptions as Record<
    string,
    string
  >;

describe("the Secrets Manager backend in the stack", () => {
  it("keeps the cloned source's backend and grants the secrets under its prefixes (Airflow's default for config)", async () => {
    const run = await runStackWithOutputs(loadDevConfig());
    assert.deepEqual(sid(run, "ReadBackendSecrets")?.Resource, [
      secret("airflow/connections/*"),
      secret("airflow/variables/*"),
      secret("airflow/config/*"),
    ]);
    assert.equal(sid(run, "DecryptBackendSecrets"), undefined, "no key configured: aws/secretsmanager");
    assert.deepEqual(run.outputs.secretsBackendSecrets, [
      "airflow/connections/*",
      "airflow/variables/*",
      "airflow/config/*",
    ]);
  });

  it("with prefixes in config, writes the backend's options over the source's and grants only those", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:secretsConnectionsPrefix": "team-a/connections",
      "mwaa-migration:secretsKmsKeyArn": SECRETS_KEY,
    });
    assert.equal(
      options(run)["secrets.backend"],
      "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
    );
    assert.deepEqual(JSON.parse(options(run)["secrets.backend_kwargs"]), {
      connections_prefix: "team-a/connections",
      variables_prefix: null,
      config_prefix: null,
    });
    assert.deepEqual(sid(run, "ReadBackendSecrets")?.Resource, [secret("team-a/connections/*")]);
    assert.deepEqual(sid(run, "DecryptBackendSecrets"), {
      Sid: "DecryptBackendSecrets",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: SECRETS_KEY,
      Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` } },
    });
  });

  it("grants no secret to a target without a backend", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:cloneSourceSettings": "false",
    });
    assert.ok(!JSON.stringify(executionPolicy(run)).includes("secretsmanager"));
    assert.deepEqual(run.outputs.secretsBackendSecrets, []);
  });

  it("stops at preview when the source's backend kwargs cannot be read, naming the keys to set", async () => {
    await assert.rejects(
      runStack(loadDevConfig(), {
        source: {
          airflowConfigurationOptions: {
            "secrets.backend": "airflow.contrib.secrets.aws_secrets_manager.SecretsManagerBackend",
            "secrets.backend_kwargs": "{not json",
          },
        },
      }),
      /secrets.backend_kwargs is not a JSON object.*mwaa-migration:secretsConnectionsPrefix/,
    );
  });
});

describe("web UI access in the stack", () => {
  const viewerLogin = {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WebLoginAsAirflowRole",
        Effect: "Allow",
        Action: ["airflow:CreateWebLoginToken"],
        Resource: `arn:aws:airflow:${REGION}:${MOCK_ACCOUNT}:role/${TARGET}/Viewer`,
      },
    ],
  };

  it("attaches a login policy per principal, as its kind allows, and creates the custom role", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:webUiAccess": JSON.stringify([
        { principal: `arn:aws:iam::${MOCK_ACCOUNT}:group/Analysts`, airflowRole: "Viewer" },
        { principal: `arn:aws:iam::${MOCK_ACCOUNT}:role/ops/Operators`, airflowRole: "Op" },
        { principal: `arn:aws:iam::${MOCK_ACCOUNT}:user/alice`, airflowRole: "User" },
        { principal: "sso:SalesTeam", airflowRole: "SalesViewer", dags: ["daily_sales_report"] },
      ]),
    });
    const group = byName(run, "dev-migration-web-ui-group-Analysts");
    assert.equal(group.type, "aws:iam/groupPolicy:GroupPolicy");
    assert.deepEqual(
      { group: group.inputs.group, name: group.inputs.name },
      { group: "Analysts", name: `${TARGET}-web-ui` },
    );
    assert.deepEqual(JSON.parse(group.inputs.policy), viewerLogin);
    const role = byName(run, "dev-migration-web-ui-role-Operators");
    assert.equal(role.type, "aws:iam/rolePolicy:RolePolicy");
    assert.equal(role.inputs.role, "Operators");
    assert.match(role.inputs.policy, new RegExp(`role/${TARGET}/Op"`));
    assert.equal(byName(run, "dev-migration-web-ui-user-alice").type, "aws:iam/userPolicy:UserPolicy");
    const sso = byName(run, "dev-migration-web-ui-sso-SalesTeam");
    assert.equal(sso.type, "aws:iam/policy:Policy");
    assert.equal(sso.inputs.name, `${TARGET}-web-ui-SalesTeam`);
    assert.equal(sso.inputs.tags["mwaa-migration:web-ui-principal"], "sso:SalesTeam");
    assert.match(sso.inputs.policy, new RegExp(`role/${TARGET}/SalesViewer"`));
    assert.deepEqual(Object.keys(run.outputs.webUiPermissionSetPolicies), ["SalesTeam"]);
    // An Airflow 2 target: the custom role is created through the REST API, once the environment exists.
    const custom = byName(run, "dev-migration-web-ui-role-SalesViewer");
    assert.equal(custom.inputs.roleName, "SalesViewer");
    assert.deepEqual(custom.inputs.airflow, {
      kind: "mwaa",
      environmentName: TARGET,
      airflowVersion: "2.11.0",
      region: REGION,
    });
    const permissions = (
      custom.inputs.permissions as { action: { name: string }; resource: { name: string } }[]
    ).map((p) => `${p.action.name} on ${p.resource.name}`);
    assert.ok(permissions.includes("can_read on DAG:daily_sales_report"));
    assert.ok(!permissions.some((p) => p.endsWith(" on DAGs")), "no permission on every DAG");
    assert.ok(custom.dependencies?.includes(byName(run, "dev-migration-target-environment").urn));
  });

  it("with ssoInstanceArn, attaches each permission set's login policy to it, and the deployer may", async () => {
    const instance = "arn:aws:sso:::instance/ssoins-0123456789abcdef";
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:webUiAccess": JSON.stringify([
        { principal: "sso:SalesTeam", airflowRole: "Viewer" },
        { principal: `arn:aws:iam::${MOCK_ACCOUNT}:group/Analysts`, airflowRole: "Viewer" },
      ]),
      "mwaa-migration:ssoInstanceArn": instance,
    });
    const attachments = run.resources.filter(
      (r) => r.type === "aws:ssoadmin/customerManagedPolicyAttachment:CustomerManagedPolicyAttachment",
    );
    assert.equal(attachments.length, 1, "one attachment, for the one permission set");
    const [attachment] = attachments;
    assert.equal(attachment.inputs.instanceArn, instance);
    assert.match(
      attachment.inputs.permissionSetArn,
      /^arn:aws:sso:::permissionSet\/ssoins-0123456789abcdef\/ps-/,
    );
    assert.deepEqual(attachment.inputs.customerManagedPolicyReference, {
      name: `${TARGET}-web-ui-SalesTeam`,
      path: "/",
    });
    const deployer = JSON.parse(run.outputs.deployerPolicy as string) as {
      Statement: { Sid: string; Resource: string[] }[];
    };
    assert.deepEqual(deployer.Statement.find((st) => st.Sid === "WebUiPermissionSetAttachments")?.Resource, [
      instance,
      "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/*",
      "arn:aws:sso:::account/*",
    ]);

    const without = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:webUiAccess": JSON.stringify([{ principal: "sso:SalesTeam", airflowRole: "Viewer" }]),
    });
    assert.ok(
      !without.resources.some((r) => r.type.startsWith("aws:ssoadmin/")),
      "no instance: nothing attached",
    );
    assert.ok(!(without.outputs.deployerPolicy as string).includes("WebUiPermissionSetAttachments"));
  });

  it("on an Airflow 3 target, creates the custom role too, on the environment's reported version", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:webUiAccess": JSON.stringify([
        { principal: "sso:SalesTeam", airflowRole: "SalesViewer", dags: ["daily_sales_report"] },
      ]),
      "mwaa-migration:targetAirflowVersion": "3.0.6",
      "mwaa-migration:requirementsFile": "",
      "mwaa-migration:historyImport": "false",
    });
    const custom = byName(run, "dev-migration-web-ui-role-SalesViewer");
    assert.equal(custom.inputs.roleName, "SalesViewer");
    assert.equal(custom.inputs.airflow.airflowVersion, "3.0.6");
    assert.ok(
      custom.inputs.permissions.some(
        (a: { action: { name: string }; resource: { name: string } }) =>
          a.action.name === "can_read" && a.resource.name === "DAG:daily_sales_report",
      ),
    );
  });

  it("stops at preview on a principal of another account", async () => {
    await assert.rejects(
      runStack({
        ...loadDevConfig(),
        "mwaa-migration:webUiAccess":
          '[{"principal":"arn:aws:iam::999999999999:role/Other","airflowRole":"Op"}]',
      }),
      /mwaa-migration:webUiAccess principal arn:aws:iam::999999999999:role\/Other is in account 999999999999/,
    );
  });

  it("creates nothing for an empty mapping", async () => {
    const run = await runStackWithOutputs({ ...loadDevConfig(), "mwaa-migration:webUiAccess": "[]" });
    assert.ok(!run.resources.some((r) => r.name.includes("web-ui")));
  });
});
