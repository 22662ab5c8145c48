import * as assert from "assert";
import { resource } from "../test/engine";
import { grantKind, isMigrationBucket, migrationStage } from "./conventions";
import { allDocuments } from "./stackModel";

describe("conventions", () => {
  const grantsComponent = resource("mwaa-migration:grants:MigrationGrants", "grants", {});
  const storage = resource("mwaa-migration:storage:MigrationBucket", "bundle", {});

  it("recognises the program's grants by component and name", () => {
    const exp = resource(
      "aws:iam/rolePolicy:RolePolicy",
      "grants-source-export",
      { role: "r", policy: "{}" },
      { parent: grantsComponent },
    );
    const imp = resource(
      "aws:iam/rolePolicy:RolePolicy",
      "grants-target-import",
      { role: "r", policy: "{}" },
      { parent: grantsComponent },
    );
    const other = resource("aws:iam/rolePolicy:RolePolicy", "source-export", { role: "r", policy: "{}" });
    const kinds = allDocuments([exp, imp, other]).map(grantKind);
    assert.deepStrictEqual(kinds, ["export", "import", undefined]);
  });

  it("recognises grants by tag on a policy", () => {
    const tagged = resource("aws:iam/policy:Policy", "p", {
      policy: "{}",
      tags: { "mwaa-migration:grant": "import" },
    });
    assert.deepStrictEqual(allDocuments([tagged]).map(grantKind), ["import"]);
  });

  it("recognises the migration bucket by component, tag, config and name", () => {
    assert.ok(
      isMigrationBucket(
        resource("aws:s3/bucket:Bucket", "bundle-bucket", { bucket: "b1" }, { parent: storage }),
      ),
    );
    assert.ok(
      isMigrationBucket(
        resource("aws:s3/bucket:Bucket", "x", { tags: { "mwaa-migration:purpose": "migration-bucket" } }),
      ),
    );
    assert.ok(isMigrationBucket(resource("aws:s3/bucket:Bucket", "x", { bucket: "given" }), ["given"]));
    assert.ok(isMigrationBucket(resource("aws:s3/bucket:Bucket", "migration-bucket", {})));
    assert.ok(!isMigrationBucket(resource("aws:s3/bucket:Bucket", "target-dags", { bucket: "dags" })));
  });

  it("reads the stage from the stack's stage output", () => {
    const stack = resource("pulumi:pulumi:Stack", "mwaa-migration-dev", { stage: "cutover" });
    assert.strictEqual(migrationStage([stack]), "cutover");
    assert.strictEqual(migrationStage([stack], "complete"), "complete");
  });

  it("reads the stage from config first, then from the stage tag", () => {
    const tagged = [resource("aws:s3/bucket:Bucket", "x", { tags: { "mwaa-migration:stage": "bulk" } })];
    assert.strictEqual(migrationStage(tagged), "bulk");
    assert.strictEqual(migrationStage(tagged, "complete"), "complete");
    assert.strictEqual(migrationStage([]), undefined);
  });
});
