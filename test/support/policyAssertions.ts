import * as assert from "node:assert/strict";

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
}

/** Where MWAA's documentation uses Resource "*": actions that take no resource scope. */
export const UNSCOPABLE_ACTIONS = [
  "logs:DescribeLogGroups",
  "cloudwatch:PutMetricData",
  "s3:GetAccountPublicAccessBlock",
];

/** Every Allow statement: no wildcard in an action, and Resource "*" only for unscopable actions. */
export function assertNoWildcardAllows(statements: Statement[], label = "policy"): void {
  assert.ok(statements.length > 0, `${label} has no statements`);
  for (const s of statements.filter((st) => st.Effect === "Allow")) {
    const actions = ([] as string[]).concat(s.Action);
    for (const action of actions)
      assert.ok(!action.includes("*"), `${label} ${s.Sid}: wildcard action ${action}`);
    const resources = ([] as string[]).concat(s.Resource ?? []);
    assert.ok(resources.length > 0 || s.NotResource, `${label} ${s.Sid}: no resource`);
    if (resources.includes("*")) {
      assert.deepEqual(
        actions.filter((a) => !UNSCOPABLE_ACTIONS.includes(a)),
        [],
        `${label} ${s.Sid}: Resource "*" for actions that can be scoped`,
      );
    }
  }
}
