import { strict as assert } from "assert";
import { DEFAULT_BUNDLE_PREFIX } from "../contract";
import { UNKNOWN } from "./framework/checks";
import { metadataExportProvider } from "./metadataExport";
import { metadataImportProvider } from "./metadataImport";
import { parseDagFolder } from "../rules/dagLocation";
import { connectionFor } from "./framework/target";
import { defaultExportId, runIdFor } from "./framework/runIds";
import { maxRunIdLength } from "./airflow/restPaths";

const airflow = {
  kind: "mwaa",
  environmentName: "prod-airflow",
  airflowVersion: "2.10.3",
  region: "eu-west-1",
};
const base = {
  airflow,
  dagFolder: "s3://dag-bucket/dags",
  payloadDir: "/p",
  payloadDigest: "d",
  bucket: "migration-bucket",
};

describe("export/import inputs", () => {
  it("check accepts good inputs and fills defaults", async () => {
    const result = await metadataExportProvider.check!({}, { ...base, phase: "bulk" });
    assert.deepEqual(result.failures, []);
    assert.equal(result.inputs.prefix, DEFAULT_BUNDLE_PREFIX);
    assert.match(result.inputs.providerVersion, /^[0-9a-f]{16}$/);
    assert.match(result.inputs.exportId, /^bulk-[0-9a-f]{8}$/);
  });

  it("check leaves unknown values alone during preview and derives nothing from them", async () => {
    const result = await metadataExportProvider.check!(
      {},
      { ...base, bucket: UNKNOWN, phase: "delta", changedSince: UNKNOWN },
    );
    assert.deepEqual(result.failures, []);
    assert.equal(result.inputs.exportId, undefined);
  });

  it("check names the property and the fix", async () => {
    const result = await metadataImportProvider.check!(
      {},
      {
        ...base,
        airflow: { kind: "self-managed", airflowVersion: "1.10.15", url: "ftp://x" },
        prefix: "/abs",
        exportId: "bad id",
        pollIntervalSeconds: 0,
      },
    );
    const props = result.failures!.map((f) => f.property).sort();
    assert.deepEqual(props, [
      "airflow.airflowVersion",
      "airflow.url",
      "exportId",
      "pollIntervalSeconds",
      "prefix",
    ]);
    assert.match(result.failures!.find((f) => f.property === "prefix")!.reason, /no leading "\/"/);
  });

  it("a client override that cannot work is a check failure on airflow.client", async () => {
    const result = await metadataExportProvider.check!(
      {},
      { ...base, airflow: { ...airflow, client: "airflow-rest" } },
    );
    assert.deepEqual(
      result.failures!.map((f) => f.property),
      ["airflow.client"],
    );
  });

  it("diff replaces for inputs that change the work and updates in place otherwise", async () => {
    const olds = {
      ...(await metadataExportProvider.check!({}, { ...base, tables: ["dag_run", "log"] })).inputs,
    };
    const diff = (news: Record<string, unknown>) => metadataExportProvider.diff!("id", olds, news);
    assert.deepEqual(await diff({ ...olds, deadlineSeconds: 7200 }), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    assert.deepEqual((await diff({ ...olds, tables: ["log", "dag_run"] })).replaces, ["tables"]);
    assert.deepEqual((await diff({ ...olds, bucket: UNKNOWN })).replaces, ["bucket"]);
    assert.equal((await diff({ ...olds })).changes, false);
  });

  it("new provider code or payload shows as an in-place change, a rotated password too; neither re-runs work", async () => {
    const olds = (await metadataExportProvider.check!({}, base)).inputs;
    for (const change of [{ providerVersion: "0123456789abcdef" }, { payloadDigest: "e" }]) {
      const changed = await metadataExportProvider.diff!("id", olds, { ...olds, ...change });
      assert.equal(changed.changes, true, JSON.stringify(change));
      assert.deepEqual(changed.replaces, [], JSON.stringify(change));
    }
    const selfManaged = {
      kind: "self-managed",
      airflowVersion: "2.8.1",
      url: "http://127.0.0.1:8080",
      username: "a",
      password: "1",
    };
    const rotated = await metadataExportProvider.diff!(
      "id",
      { ...olds, airflow: selfManaged },
      { ...olds, airflow: { ...selfManaged, password: "2" } },
    );
    assert.deepEqual(rotated, { changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("reaching a side as another role or profile updates in place; the environment or bundle changing replaces", async () => {
    const olds = (await metadataExportProvider.check!({}, base)).inputs;
    const role = "arn:aws:iam::210987654321:role/mwaa-migration-deployer";
    const olderAirflow = olds.airflow as Record<string, unknown>;
    const asRole = await metadataExportProvider.diff!("id", olds, {
      ...olds,
      airflow: { ...olderAirflow, assumeRoleArn: role, profile: "source-admin" },
      bundleAssumeRoleArn: role,
      bundleProfile: "target-admin",
    });
    assert.deepEqual(asRole, { changes: true, replaces: [], deleteBeforeReplace: false });
    const elsewhere = await metadataExportProvider.diff!("id", olds, { ...olds, region: "eu-west-1" });
    assert.deepEqual(elsewhere.replaces, ["region"]);
  });

  it("names a role to assume that is not a role ARN, and the fix", async () => {
    const checked = await metadataExportProvider.check!(
      {},
      {
        ...base,
        airflow: { ...(base.airflow as object), assumeRoleArn: "arn:aws:iam::210987654321:user/alice" },
        bundleAssumeRoleArn: "mwaa-migration-deployer",
      },
    );
    assert.deepEqual(checked.failures?.map((f) => f.property).sort(), [
      "airflow.assumeRoleArn",
      "bundleAssumeRoleArn",
    ]);
    for (const failure of checked.failures ?? [])
      assert.match(failure.reason, /must be an IAM role ARN, e\.g\. "arn:aws:iam::/);
  });

  it("reads the self-managed kind as older states spell it without a change in the preview", async () => {
    const selfManaged = { kind: "self-managed", airflowVersion: "2.8.1", url: "http://127.0.0.1:8080" };
    const olds = (await metadataExportProvider.check!({}, { ...base, airflow: selfManaged })).inputs;
    const written = { ...olds, airflow: { ...selfManaged, kind: "selfManaged" } };
    assert.deepEqual(await metadataExportProvider.diff!("id", written, olds), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    assert.deepEqual((await metadataExportProvider.check!({}, written)).failures, []);
  });

  it("reads state the engine hands back with its secret outputs wrapped, and shows no change", async () => {
    const olds = (await metadataExportProvider.check!({}, base)).inputs;
    const wrapped = {
      ...olds,
      airflow: {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        value: olds.airflow,
      },
    };
    assert.deepEqual(await metadataExportProvider.diff!("id", wrapped, olds), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("exportIds and run ids are deterministic and short enough for InvokeRestApi paths", () => {
    const identity = {
      source: airflow,
      bucket: "b",
      prefix: "p",
      phase: "delta",
      watermark: "2026-01-01T00:00:00+00:00",
    };
    const id = defaultExportId(identity);
    assert.equal(id, defaultExportId({ ...identity }));
    assert.notEqual(id, defaultExportId({ ...identity, watermark: "2026-01-02T00:00:00+00:00" }));
    const runId = runIdFor("import", id, 12);
    assert.match(runId, /^i12-[0-9a-f]{8}$/);
    assert.equal(runId, runIdFor("import", id, 12));
    assert.notEqual(runId, runIdFor("import", defaultExportId({ ...identity, phase: "bulk" }), 12));
    for (const dagId of ["mwaa_migration_export", "mwaa_migration_import"]) {
      assert.ok(
        runIdFor("export", id, 99).length <= maxRunIdLength(dagId),
        `run ids fit InvokeRestApi paths for ${dagId}`,
      );
    }
  });

  it("DAG folders are S3 URIs or absolute folders", () => {
    assert.deepEqual(parseDagFolder("s3://dag-bucket/path/dags/"), {
      kind: "s3",
      bucket: "dag-bucket",
      prefix: "path/dags/",
    });
    assert.deepEqual(parseDagFolder("s3://dag-bucket"), { kind: "s3", bucket: "dag-bucket", prefix: "" });
    assert.deepEqual(parseDagFolder("/opt/airflow/dags/"), { kind: "folder", path: "/opt/airflow/dags" });
    assert.throws(() => parseDagFolder("dags"), /neither an S3 URI/);
  });

  it("the connection follows the chooser, with the region from the input or the provider config", () => {
    assert.deepEqual(
      connectionFor({ kind: "mwaa", environmentName: "e", airflowVersion: "2.4.0" }, "us-west-2"),
      {
        kind: "mwaa-cli",
        environmentName: "e",
        region: "us-west-2",
        airflowVersion: "2.4.0",
      },
    );
    assert.equal(
      connectionFor(
        { kind: "mwaa", environmentName: "e", airflowVersion: "2.10.3", region: "eu-west-1" },
        "us-west-2",
      ).kind,
      "mwaa-rest",
    );
    const rest = connectionFor(
      {
        kind: "self-managed",
        url: "http://127.0.0.1:1",
        airflowVersion: "3.0.6",
        username: "u",
        password: "p",
      },
      undefined,
    );
    assert.equal(rest.kind, "airflow-rest");
  });
});
