import * as assert from "node:assert/strict";
import { MOCK_ACCOUNT } from "../support/awsMocks";
import { startIamPoliciesStub } from "../support/iamPoliciesStub";
import { StackRun, loadDevConfig, runStackWithOutputs } from "../support/stackUnderMocks";

const login = (environment: string, role: string) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Action: "airflow:CreateWebLoginToken",
      Resource: `arn:aws:airflow:us-east-1:${MOCK_ACCOUNT}:role/${environment}/${role}`,
    },
  ],
});
const loginPolicies = (run: StackRun) =>
  run.resources
    .filter((r) =>
      [
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
      ].includes(r.type),
    )
    .filter((r) => r.name.includes("-web-ui-"))
    .map((r) => ({ name: r.name, resource: JSON.parse(r.inputs.policy).Statement[0].Resource as string }));

describe("cloneWebUiAccess: the source's web UI mapping carried to the target", () => {
  let stub: Awaited<ReturnType<typeof startIamPoliciesStub>>;
  before(async () => {
    stub = await startIamPoliciesStub(MOCK_ACCOUNT, [
      {
        name: "legacy-viewers",
        document: login("legacy-airflow", "Viewer"),
        roles: ["Auditors"],
        groups: ["Analysts"],
      },
      {
        name: "legacy-ops",
        document: login("legacy-airflow", "Op"),
        users: ["oncall"],
        groups: ["Analysts"],
      },
      { name: "reporting-admins", document: login("reporting", "Admin"), roles: ["Reporting"] },
    ]);
  });
  after(() => stub.stop());

  it("gives the source's principals their roles on the target; webUiAccess wins where it names one", async () => {
    const run = await runStackWithOutputs({ ...loadDevConfig(), "mwaa-migration:cloneWebUiAccess": "true" });
    assert.deepEqual(stub.calls.filter((c) => c === "ListPolicies").length, 1);
    const target = (role: string) => `arn:aws:airflow:us-east-1:${MOCK_ACCOUNT}:role/airflow-2-11/${role}`;
    const policies = loginPolicies(run).sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(
      policies.map((p) => [p.name.replace(/^dev-migration-web-ui-/, ""), p.resource]),
      [
        // The source has Analysts as Op (the most privileged of its two); the dev stack's Viewer wins.
        ["group-Analysts", target("Viewer")],
        ["role-Auditors", target("Viewer")],
        ["user-oncall", target("Op")],
      ],
    );
    const deployer = JSON.parse(String(run.outputs.deployerPolicy)) as { Statement: { Sid: string }[] };
    const sids = deployer.Statement.map((s) => s.Sid);
    assert.ok(sids.includes("ListPoliciesForSourceWebUi") && sids.includes("ReadPoliciesForSourceWebUi"));
  });

  it("carries nothing to a target in another account, and says why", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:cloneWebUiAccess": "true",
      "mwaa-migration:targetRoleArn": "arn:aws:iam::210987654321:role/mwaa-migration-deployer",
      "mwaa-migration:webUiAccess": "[]",
    });
    assert.deepEqual(loginPolicies(run), []);
    assert.ok(
      run.logs.some(
        (l) =>
          l.severity === "warning" &&
          l.message.includes(
            `its principals are in account ${MOCK_ACCOUNT}, the target in 210987654321; map principals of 210987654321 in webUiAccess`,
          ),
      ),
      run.logs.map((l) => l.message).join("\n"),
    );
  });

  it("reads nothing without cloneWebUiAccess", async () => {
    const before = stub.calls.length;
    const run = await runStackWithOutputs(loadDevConfig());
    assert.equal(stub.calls.length, before);
    assert.deepEqual(
      loginPolicies(run).map((p) => p.name.replace(/^dev-migration-web-ui-/, "")),
      ["group-Analysts"],
    );
  });
});
