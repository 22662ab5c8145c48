/**
 * A new stack's first `pulumi preview --policy-pack policies`: nothing exists yet, so every ARN and id AWS
 * computes on create is unknown, and so is every policy document built from one. The pack judges what is
 * known and says which checks it could not run; an unknown value never fails a mandatory policy.
 */
import * as assert from "assert";
import { allPolicies } from "../../policies/policies";
import { UNKNOWN_DURING_PREVIEW } from "../support/awsMocks";
import { loadDevConfig, runStackWithOutputs } from "../support/stackUnderMocks";
import { EngineView, checkView, engineView } from "./engineStack";

async function firstPreview(overrides: Record<string, string> = {}): Promise<EngineView> {
  const config: Record<string, string> = {
    ...loadDevConfig(),
    "mwaa-migration:stage": "prepare",
    ...overrides,
  };
  const run = await runStackWithOutputs(config, { previousStage: null, firstPreview: true });
  return engineView(run, config["aws:region"] ?? "us-east-1", true);
}

interface Outcome {
  failed: string[];
  notRun: string[];
  judged: string[];
}

async function outcome(view: EngineView): Promise<Outcome> {
  const result: Outcome = { failed: [], notRun: [], judged: [] };
  for (const policy of allPolicies) {
    const violations = await checkView(policy, view);
    const real = violations.filter((v) => !v.notRun);
    if (real.length && policy.enforcementLevel === "mandatory")
      result.failed.push(...real.map((v) => `${policy.name}: ${v.message}`));
    if (violations.some((v) => v.notRun)) result.notRun.push(policy.name);
    else result.judged.push(policy.name);
  }
  return result;
}

describe("the project's own stack at a new stack's first preview", function () {
  this.timeout(120_000);

  it("leaves ARNs and the documents built from them unknown, as the engine would", async () => {
    const view = await firstPreview();
    const role = view.stack.find((r) => r.type === "aws:iam/role:Role" && r.name.endsWith("execution-role"));
    assert.ok(role, "the stack has the target's execution role");
    assert.equal(role.props.arn, UNKNOWN_DURING_PREVIEW);
    const grant = view.registered.find((r) => r.name.endsWith("grants-target-import"));
    assert.ok(grant, "the stack has the import grant");
    assert.equal(grant.props.policy, UNKNOWN_DURING_PREVIEW);
  });

  it("fails no mandatory policy on values it cannot know yet, and says which checks it could not run", async () => {
    const { failed, notRun, judged } = await outcome(await firstPreview());
    assert.deepStrictEqual(failed, []);
    console.log(`      judged: ${judged.join(", ")}\n      not run: ${notRun.join(", ")}`);
    // The environment's settings are all known before create: those checks run on a first preview.
    // So are the role's trust policy, and which role each environment runs as: the engine names the
    // resource an ARN not known yet comes from.
    for (const name of [
      "mwaa-environment-logging",
      "mwaa-webserver-private",
      "mwaa-airflow-version-supported",
      "mwaa-execution-role-trust",
      "mwaa-execution-role-not-shared",
    ])
      assert.ok(judged.includes(name), `${name} did not run on the first preview`);
  });

  it("still stops a first preview on what is known: a public webserver", async () => {
    const { failed } = await outcome(
      await firstPreview({ "mwaa-migration:webserverAccessMode": "PUBLIC_ONLY" }),
    );
    assert.ok(
      failed.some((f) => /^mwaa-webserver-private: .*PUBLIC_ONLY/.test(f)),
      failed.join("\n"),
    );
  });
});
