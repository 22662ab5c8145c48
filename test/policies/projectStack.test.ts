/**
 * The project's own stack, run under mocks with the dev config, checked by the policy pack the way
 * the engine would check it during `pulumi preview --policy-pack policies`.
 */
import * as assert from "assert";
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../../policies/policies";
import { Violation, runStackPolicy } from "../../policies/test/engine";
import { loadDevConfig, runStackWithOutputs } from "../support/stackUnderMocks";
import { EngineView, checkView, engineView } from "./engineStack";

const STAGES = ["prepare", "bulk", "cutover", "complete"];

async function stackAt(
  stage: string,
  overrides: Record<string, string> = {},
  without: string[] = [],
): Promise<EngineView> {
  const config: Record<string, string> = { ...loadDevConfig(), "mwaa-migration:stage": stage, ...overrides };
  for (const key of without) delete config[key];
  return engineView(await runStackWithOutputs(config), config["aws:region"] ?? "us-east-1");
}

const named = (view: EngineView, suffix: string): PolicyResource => {
  const found = view.stack.find((r) => r.name.endsWith(suffix));
  assert.ok(found, `the stack has no resource named *${suffix}`);
  return found;
};

describe("the project's own stack under the policy pack", function () {
  this.timeout(120_000);

  async function mandatoryFailures(view: EngineView): Promise<string[]> {
    assert.ok(
      view.stack.some((r) => r.type === "aws:mwaa/environment:Environment"),
      "the run produced an environment",
    );
    const failures: string[] = [];
    for (const policy of allPolicies.filter((p) => p.enforcementLevel === "mandatory")) {
      for (const v of await checkView(policy, view)) failures.push(`${policy.name}: ${v.message}`);
    }
    return failures;
  }

  for (const stage of STAGES) {
    it(`passes every mandatory policy at stage ${stage} with the dev config`, async () => {
      assert.deepStrictEqual(await mandatoryFailures(await stackAt(stage)), []);
    });
  }

  it("passes every mandatory policy with a customer-managed environment key", async () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/5d2c7a9e-0b1f-4c3d-9e8a-7f6b5c4d3e2a";
    assert.deepStrictEqual(
      await mandatoryFailures(await stackAt("bulk", { "mwaa-migration:kmsKeyArn": key })),
      [],
    );
  });

  it("passes every mandatory policy with a self-managed Airflow source", async () => {
    const selfManaged = {
      "mwaa-migration:sourceAirflowUrl": "https://airflow.corp.internal",
      "mwaa-migration:sourceAirflowUsername": "migration",
      "mwaa-migration:sourceAirflowPassword": "s3cret",
      "mwaa-migration:sourceAirflowVersion": "2.10.3",
      "mwaa-migration:sourceDagsLocation": "s3://corp-airflow/dags",
    };
    const view = await stackAt("bulk", selfManaged, ["mwaa-migration:sourceEnvironmentName"]);
    assert.deepStrictEqual(await mandatoryFailures(view), []);
  });

  it("passes every mandatory policy with a target in another account and region", async () => {
    const crossAccount = {
      "mwaa-migration:targetRoleArn": "arn:aws:iam::210987654321:role/mwaa-migration-deployer",
      "mwaa-migration:targetRegion": "eu-west-1",
      "mwaa-migration:webUiAccess":
        '[{"principal":"arn:aws:iam::210987654321:group/Analysts","airflowRole":"Viewer"}]',
    };
    const view = await stackAt("bulk", crossAccount);
    assert.match(named(view, "-bucket-key").props.policy, /SourceRoleEncryptWithMigrationKey/);
    assert.deepStrictEqual(await mandatoryFailures(view), []);
    // The source's role gains nothing beyond the bundle's writes: a read slipped into the bucket policy is refused.
    const bucketPolicy = named(view, "-bucket-policy");
    const written = JSON.parse(bucketPolicy.props.policy) as {
      Statement: { Sid: string; Action: string[] }[];
    };
    written.Statement.find((st) => st.Sid === "SourceRoleWriteExportBundle")!.Action.push("s3:GetObject");
    bucketPolicy.props.policy = JSON.stringify(written);
    assert.deepStrictEqual(
      (await mandatoryFailures(view)).map((f) => f.split(":")[0]),
      ["migration-bucket-source-writer-only"],
    );
  });

  it("advises when grants outlive the complete stage, read from the stack's stage output", async () => {
    const advisory = allPolicies.find(
      (p) => p.name === "migration-grants-removed-after-complete",
    ) as StackValidationPolicy;
    const complete = await stackAt("complete");
    assert.deepStrictEqual(await runStackPolicy(advisory, complete.stack), []);
    // A stack whose outputs say complete while its grants are still there (e.g. grants kept by hand).
    const cutover = await stackAt("cutover");
    assert.deepStrictEqual(await runStackPolicy(advisory, cutover.stack), []);
    named(cutover, "mwaa-migration-dev").props.stage = "complete";
    const advice = await runStackPolicy(advisory, cutover.stack);
    assert.deepStrictEqual(
      advice.map((v) => v.urn),
      [named(cutover, "grants-source-export").urn, named(cutover, "grants-target-import").urn],
    );
  });

  it("stops a deliberately bad stack with messages naming the resource, the statement and the fix", async () => {
    const view = await stackAt("bulk", { "mwaa-migration:webserverAccessMode": "PUBLIC_ONLY" });
    const importGrant = named(view, "grants-target-import");
    const document = JSON.parse(importGrant.props.policy);
    document.Statement.push({
      Sid: "TidyUp",
      Effect: "Allow",
      Action: ["s3:DeleteObject"],
      Resource: document.Statement[0].Resource,
    });
    importGrant.props.policy = JSON.stringify(document);

    const byPolicy: Record<string, Violation[]> = {};
    for (const policy of allPolicies) byPolicy[policy.name] = await checkView(policy, view);

    const [readOnly] = byPolicy["migration-import-grant-read-only"];
    assert.strictEqual(readOnly.urn, importGrant.urn);
    assert.match(
      readOnly.message,
      /^RolePolicy "dev-migration-grants-target-import": policy statement TidyUp \(Allow Action \[s3:DeleteObject\] .*\): grants s3:DeleteObject, beyond what the import needs\. Fix: the import grant is read-only/,
    );
    const [noDelete] = byPolicy["migration-bucket-no-delete"];
    assert.match(
      noDelete.message,
      /statement TidyUp .*allows s3:DeleteObject on the migration bucket dev-migration-bucket-\w+.* Fix: drop delete/,
    );

    const [publicWeb] = byPolicy["mwaa-webserver-private"];
    assert.strictEqual(publicWeb.urn, named(view, "target-environment").urn);
    assert.match(
      publicWeb.message,
      /^Environment "dev-migration-target-environment": webserverAccessMode: is PUBLIC_ONLY.* Fix: set webserverAccessMode to "PRIVATE_ONLY", or list "airflow-2-11" in allowPublicWebserver/,
    );
  });
});
