import * as assert from "node:assert/strict";
import fc from "fast-check";
import {
  CLONE_ALLOWLIST,
  cloneAllowlisted,
  mergeSettings,
  rewriteLegacySecretsBackend,
  sharedDagLocationProblem,
} from "./clone";

describe("cloning from the source", () => {
  const source = {
    airflowConfigurationOptions: {
      "secrets.backend": "airflow.contrib.secrets.aws_systems_manager.SystemsManagerParameterStoreBackend",
      "core.default_timezone": "utc",
    },
    environmentClass: "mw1.large",
    minWorkers: 3,
    maxWorkers: 9,
    schedulers: 3,
    minWebservers: 2,
    maxWebservers: 4,
    webserverAccessMode: "PUBLIC_ONLY",
    weeklyMaintenanceWindowStart: "TUE:01:30",
    loggingConfiguration: {
      taskLogs: { enabled: true, logLevel: "DEBUG" },
      workerLogs: { logLevel: "NOISE" },
    },
    // Fields a clone must never take:
    dagS3Path: "dags",
    sourceBucketArn: "arn:aws:s3:::source-dags",
    executionRoleArn: "arn:aws:iam::123456789012:role/source",
    webserverUrl: "abc.airflow.amazonaws.com",
    arn: "arn:aws:airflow:us-east-1:123456789012:environment/source",
    networkConfiguration: { subnetIds: ["subnet-1"] },
    kmsKey: "arn:aws:kms:us-east-1:123456789012:key/1",
    endpointManagement: "CUSTOMER",
    workerReplacementStrategy: "GRACEFUL",
  };

  it("copies exactly the allowlisted settings", () => {
    const cloned = cloneAllowlisted(source);
    assert.deepEqual(Object.keys(cloned).sort(), [...CLONE_ALLOWLIST].sort());
    assert.equal(cloned.environmentClass, "mw1.large");
    assert.equal(cloned.maxWorkers, 9);
    assert.equal(cloned.weeklyMaintenanceWindowStart, "TUE:01:30");
    assert.deepEqual(cloned.logLevels, { taskLogs: "DEBUG" }, "unknown levels are dropped");
    assert.equal(cloned.minWebservers, 2);
    assert.equal(cloned.maxWebservers, 4);
    const text = JSON.stringify(cloned);
    for (const leaked of [
      "source-dags",
      "role/source",
      "abc.airflow",
      "subnet-1",
      "key/1",
      "CUSTOMER",
      "GRACEFUL",
    ]) {
      assert.ok(!text.includes(leaked), `${leaked} leaked into the clone`);
    }
  });

  it("copies PUBLIC_AND_PRIVATE as the source reports it (the target's version is checked when resolving)", () => {
    const cloned = cloneAllowlisted({ ...source, webserverAccessMode: "PUBLIC_AND_PRIVATE" });
    assert.equal(cloned.webserverAccessMode, "PUBLIC_AND_PRIVATE");
  });

  it("takes no count the source does not report (0 or nothing), nor an empty class or access mode", () => {
    const cloned = cloneAllowlisted({
      environmentClass: "",
      webserverAccessMode: "",
      schedulers: 0,
      minWebservers: 0,
      maxWebservers: undefined,
      minWorkers: 0,
    });
    for (const key of [
      "environmentClass",
      "webserverAccessMode",
      "schedulers",
      "minWebservers",
      "maxWebservers",
      "minWorkers",
    ]) {
      assert.equal(cloned[key as keyof typeof cloned], undefined, key);
    }
  });

  it("rewrites the 1.10-era secrets backend class path to the Amazon provider's", () => {
    const cloned = cloneAllowlisted(source);
    assert.equal(
      cloned.airflowConfigurationOptions!["secrets.backend"],
      "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend",
    );
    const rewrite = rewriteLegacySecretsBackend({
      "secrets.backend": "airflow.contrib.secrets.aws_secrets_manager.SecretsManagerBackend",
    });
    assert.equal(
      rewrite.rewritten?.to,
      "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
    );
  });

  it("leaves other backends and options untouched", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string()), (options) => {
        const { options: result, rewritten } = rewriteLegacySecretsBackend(options);
        if (!rewritten) assert.deepEqual(result, { ...options });
        else assert.deepEqual({ ...result, "secrets.backend": options["secrets.backend"] }, { ...options });
      }),
    );
  });

  it("lets explicit settings win over cloned ones, which win over defaults, merging objects by key", () => {
    type Settings = { a: number; b: number; c: number; o: Record<string, string> };
    const merged = mergeSettings<Settings>(
      { a: 1, b: 2, c: 3, o: { x: "d", y: "d" } },
      { b: 20, c: 30, o: { y: "c" } },
      { c: 300, o: { z: "e" } },
    );
    assert.deepEqual(merged, { a: 1, b: 20, c: 300, o: { x: "d", y: "c", z: "e" } });
  });

  describe("shared DAG folders", () => {
    const sourceDags = { bucketArn: "arn:aws:s3:::shared-bucket", dagS3Path: "dags" };
    it("refuses a target that reads the source's DAG folder, or a folder inside or around it", () => {
      for (const dagS3Path of ["dags", "dags/", "/dags", "dags/team-a", ""]) {
        const problem = sharedDagLocationProblem(sourceDags, { bucketArn: sourceDags.bucketArn, dagS3Path });
        assert.match(
          problem ?? "",
          /mwaa-migration:targetDagBucketName.*both schedulers would run the same DAGs/,
          dagS3Path,
        );
      }
    });
    it("refuses another folder of the source's bucket, whose root files the target would replace", () => {
      assert.match(
        sharedDagLocationProblem(sourceDags, { ...sourceDags, dagS3Path: "dags-v2" }) ?? "",
        /mwaa-migration:targetDagBucketName "shared-bucket" is the source's DAG bucket: .*requirements\.txt/,
      );
    });
    it("allows a bucket of the target's own, whatever its DAG folder", () => {
      assert.equal(
        sharedDagLocationProblem(sourceDags, { bucketArn: "arn:aws:s3:::other", dagS3Path: "dags" }),
        undefined,
      );
    });
  });
});
