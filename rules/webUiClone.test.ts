import * as assert from "node:assert/strict";
import { parsePrincipal, type WebUiMapping } from "./webUiAccess";
import { type AttachedPolicy, sourceWebUiMappings, withClonedMappings } from "./webUiClone";

const ENV = { name: "legacy", region: "us-east-1", account: "111122223333", partition: "aws" };
const role = (name: string) => `arn:aws:iam::111122223333:role/${name}`;
const login = (resource: string | string[], extra: Record<string, unknown> = {}) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "airflow:CreateWebLoginToken", Resource: resource, ...extra }],
});
const policy = (name: string, document: unknown, principals: string[]): AttachedPolicy => ({
  policyArn: `arn:aws:iam::111122223333:policy/${name}`,
  document,
  principals,
});
const summary = (mappings: WebUiMapping[]) => mappings.map((m) => `${m.principal.given}=${m.airflowRole}`);

describe("the source's web UI mapping, read back from its policies", () => {
  it("carries each principal's built-in role on the source environment, whatever the policy's shape", () => {
    const { mappings, notes } = sourceWebUiMappings(ENV, [
      policy("analysts", login("arn:aws:airflow:us-east-1:111122223333:role/legacy/Viewer"), [
        role("Analysts"),
        "arn:aws:iam::111122223333:group/Readers",
      ]),
      policy(
        "engineers",
        {
          Statement: {
            Effect: "Allow",
            Action: ["airflow:Create*"],
            Resource: ["arn:aws:airflow:*:111122223333:role/legacy/Op"],
          },
        },
        [role("DataEngineers")],
      ),
      // Another environment's login, and an action that is not the login: neither maps anyone here.
      policy("other-env", login("arn:aws:airflow:us-east-1:111122223333:role/reporting/Admin"), [
        role("Reporting"),
      ]),
      policy("cli", { Statement: [{ Effect: "Allow", Action: "airflow:CreateCliToken", Resource: "*" }] }, [
        role("Ops"),
      ]),
    ]);
    assert.deepEqual(summary(mappings), [
      "arn:aws:iam::111122223333:group/Readers=Viewer",
      `${role("Analysts")}=Viewer`,
      `${role("DataEngineers")}=Op`,
    ]);
    assert.deepEqual(notes, []);
  });

  it("keeps the most privileged of several roles, and says so", () => {
    const { mappings, notes } = sourceWebUiMappings(ENV, [
      policy("view", login("arn:aws:airflow:us-east-1:111122223333:role/legacy/Viewer"), [role("Lead")]),
      policy("admin", login("arn:aws:airflow:us-east-1:111122223333:role/legacy/Admin"), [role("Lead")]),
    ]);
    assert.deepEqual(summary(mappings), [`${role("Lead")}=Admin`]);
    assert.deepEqual(notes, [
      `${role("Lead")} has Admin, Viewer on legacy; carried as Admin, the most privileged`,
    ]);
  });

  it("does not carry wildcards, conditions or custom roles, naming each for a person to map", () => {
    const { mappings, notes } = sourceWebUiMappings(ENV, [
      policy("any-role", login("arn:aws:airflow:us-east-1:111122223333:role/legacy/*"), [role("Wild")]),
      policy("everything", { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }, [role("Root")]),
      policy(
        "conditional",
        login("arn:aws:airflow:us-east-1:111122223333:role/legacy/User", {
          Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } },
        }),
        [role("Mfa")],
      ),
      policy("custom", login("arn:aws:airflow:us-east-1:111122223333:role/legacy/finance-readers"), [
        role("Finance"),
      ]),
    ]);
    assert.deepEqual(mappings, []);
    assert.equal(notes.length, 4);
    assert.match(
      notes[0],
      /policy\/any-role lets .*role\/Wild into legacy's UI as any Airflow role \(a wildcard\); not carried/,
    );
    assert.match(notes[1], /policy\/everything lets .*role\/Root into legacy's UI as any Airflow role/);
    assert.match(
      notes[2],
      /policy\/conditional lets .*role\/Mfa into legacy's UI with NotAction, NotResource or a condition; not carried/,
    );
    assert.match(
      notes[3],
      /role\/Finance has the custom Airflow role finance-readers on legacy; not carried .*"dags":\[\.\.\.\]\} to webUiAccess/,
    );
  });

  it("lets webUiAccess win for a principal it names, and keeps the rest of the source's mapping", () => {
    const explicit: WebUiMapping[] = [{ principal: parsePrincipal(role("Lead"))!, airflowRole: "Viewer" }];
    const cloned: WebUiMapping[] = [
      { principal: parsePrincipal(role("Lead"))!, airflowRole: "Admin" },
      { principal: parsePrincipal(role("Analysts"))!, airflowRole: "Viewer" },
    ];
    assert.deepEqual(summary(withClonedMappings(explicit, cloned)), [
      `${role("Lead")}=Viewer`,
      `${role("Analysts")}=Viewer`,
    ]);
  });
});
