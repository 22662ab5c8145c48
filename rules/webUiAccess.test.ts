import * as assert from "node:assert/strict";
import {
  customRoleSpec,
  customRoles,
  foreignPrincipalProblems,
  parsePrincipal,
  parseWebUiAccess,
  webLoginPolicy,
  webLoginPolicyName,
} from "./webUiAccess";

const ACCOUNT = "123456789012";
const scope = { region: "us-east-1", account: ACCOUNT };

describe("web UI access", () => {
  it("tells roles, users, groups and IAM Identity Center permission sets apart", () => {
    assert.deepEqual(parsePrincipal(`arn:aws:iam::${ACCOUNT}:role/data/DataEngineers`), {
      kind: "role",
      given: `arn:aws:iam::${ACCOUNT}:role/data/DataEngineers`,
      name: "DataEngineers",
      account: ACCOUNT,
      partition: "aws",
    });
    assert.equal(parsePrincipal(`arn:aws:iam::${ACCOUNT}:user/alice`)?.kind, "user");
    assert.equal(parsePrincipal(`arn:aws-cn:iam::${ACCOUNT}:group/Analysts`)?.name, "Analysts");
    for (const sso of [
      "sso:DataViewer",
      "AWSReservedSSO_DataViewer_0123456789abcdef",
      `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_DataViewer_0123456789abcdef`,
    ]) {
      const principal = parsePrincipal(sso);
      assert.equal(principal?.kind, "sso", sso);
      assert.equal(principal?.name, "DataViewer", sso);
    }
    for (const bad of [
      "DataEngineers",
      `arn:aws:iam::${ACCOUNT}:policy/x`,
      "arn:aws:sts::1:assumed-role/a/b",
      "sso:",
    ]) {
      assert.equal(parsePrincipal(bad), undefined, bad);
    }
  });

  it("reads built-in and custom roles, a custom role with its DAGs", () => {
    const { mappings, problems } = parseWebUiAccess(
      JSON.stringify([
        { principal: `arn:aws:iam::${ACCOUNT}:role/Operators`, airflowRole: "Op" },
        { principal: "sso:SalesTeam", airflowRole: "SalesViewer", dags: ["sales_daily", "sales_daily"] },
      ]),
    );
    assert.deepEqual(problems, []);
    assert.equal(mappings[0].airflowRole, "Op");
    assert.equal(mappings[0].dags, undefined);
    assert.deepEqual(mappings[1].dags, ["sales_daily"]);
    assert.deepEqual(parseWebUiAccess("").mappings, [], "empty: nobody");
  });

  it("names each entry's problem and the fix", () => {
    const { problems } = parseWebUiAccess(
      JSON.stringify([
        { principal: "DataEngineers", airflowRole: "Op" },
        { principal: `arn:aws:iam::${ACCOUNT}:user/bob`, airflowRole: "Viewer", dags: ["a"] },
        { principal: `arn:aws:iam::${ACCOUNT}:user/carol`, airflowRole: "Team" },
        { principal: `arn:aws:iam::${ACCOUNT}:user/bob`, airflowRole: "Op", extra: 1 },
        { principal: `arn:aws:iam::${ACCOUNT}:user/dave`, airflowRole: "has space" },
        "x",
      ]),
    );
    const expected = [
      /webUiAccess\[0\]\.principal "DataEngineers" is not a principal .* give a role, user or group ARN/,
      /webUiAccess\[1\]\.dags is set for the built-in role Viewer/,
      /webUiAccess\[2\]\.airflowRole Team is a custom role, which needs "dags"/,
      /webUiAccess\[3\] has extra; an entry takes principal, airflowRole and dags only/,
      /webUiAccess\[3\]\.principal .*user\/bob is mapped twice/,
      /webUiAccess\[4\]\.airflowRole "has space" is not an Airflow role name/,
      /webUiAccess\[5\] is not an object/,
    ];
    assert.equal(problems.length, expected.length, problems.join("\n"));
    expected.forEach((re, i) => assert.match(problems[i], re));
    assert.match(parseWebUiAccess("{}").problems[0], /mwaa-migration:webUiAccess is not a JSON list/);
  });

  it("refuses one custom role given different DAGs in two entries", () => {
    const { problems } = parseWebUiAccess(
      JSON.stringify([
        { principal: "sso:A", airflowRole: "Team", dags: ["a"] },
        { principal: "sso:B", airflowRole: "Team", dags: ["b"] },
      ]),
    );
    assert.match(problems.join(), /custom role Team different dags in two entries/);
  });

  it("allows CreateWebLoginToken on exactly the environment's Airflow role", () => {
    assert.deepEqual(webLoginPolicy(scope, "airflow-2-11", "Viewer"), {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "WebLoginAsAirflowRole",
          Effect: "Allow",
          Action: ["airflow:CreateWebLoginToken"],
          Resource: `arn:aws:airflow:us-east-1:${ACCOUNT}:role/airflow-2-11/Viewer`,
        },
      ],
    });
  });

  it("names the policy per environment, and a permission set's after the set", () => {
    assert.equal(webLoginPolicyName("env", parsePrincipal(`arn:aws:iam::${ACCOUNT}:role/R`)!), "env-web-ui");
    assert.equal(webLoginPolicyName("env", parsePrincipal("sso:Sales")!), "env-web-ui-Sales");
  });

  it("refuses principals of another account or partition", () => {
    const { mappings } = parseWebUiAccess(
      JSON.stringify([
        { principal: "arn:aws:iam::999999999999:role/Other", airflowRole: "Op" },
        { principal: "sso:Sales", airflowRole: "Viewer" },
      ]),
    );
    const problems = foreignPrincipalProblems(mappings, scope);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /role\/Other is in account 999999999999, not the target's 123456789012/);
    const china = foreignPrincipalProblems(
      parseWebUiAccess(JSON.stringify([{ principal: `arn:aws:iam::${ACCOUNT}:group/A`, airflowRole: "Op" }]))
        .mappings,
      { region: "cn-north-1", account: ACCOUNT },
    );
    assert.match(
      china[0],
      /group\/A is in the aws partition, but the target's region cn-north-1 is in aws-cn: write its ARN as arn:aws-cn:iam::/,
    );
  });

  it("specifies a custom role as Airflow's REST API creates it: reading views, and its DAGs only", () => {
    const spec = customRoleSpec("SalesViewer", ["sales_daily"]);
    assert.equal(spec.name, "SalesViewer");
    const pairs = spec.actions.map((a) => `${a.action.name} on ${a.resource.name}`);
    assert.ok(pairs.includes("can_read on DAG:sales_daily") && pairs.includes("can_edit on DAG:sales_daily"));
    assert.ok(!pairs.some((p) => / on DAGs$/.test(p)), "no permission on every DAG");
    assert.ok(!pairs.some((p) => /DAG:(?!sales_daily)/.test(p)));
    const { mappings } = parseWebUiAccess(
      JSON.stringify([
        { principal: "sso:A", airflowRole: "Team", dags: ["a"] },
        { principal: "sso:B", airflowRole: "Team", dags: ["a"] },
        { principal: "sso:C", airflowRole: "Viewer" },
      ]),
    );
    assert.deepEqual(
      customRoles(mappings).map((r) => r.name),
      ["Team"],
    );
  });
});
