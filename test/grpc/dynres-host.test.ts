/**
 * The export/import providers run inside @pulumi/pulumi's dynamic-provider host, over gRPC,
 * from the text dynamic.Resource serializes: the path `pulumi up` takes. No ts-node in the host.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { metadataExportProvider } from "../../providers/metadataExport";
import { metadataImportProvider } from "../../providers/metadataImport";
import { typeToken } from "../../providers/framework/resource";
import { HostError, ProviderHost, serializeProvider, urnFor, withProvider } from "./support/providerHost";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");
const EXPORT_TYPE = typeToken("MetadataExport");

function payloadDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynres-payload-"));
  fs.writeFileSync(path.join(dir, "mwaa_migration_export.py"), "# export DAG\n");
  fs.writeFileSync(path.join(dir, "mwaa_migration_import.py"), "# import DAG\n");
  fs.mkdirSync(path.join(dir, "mwaa_migration"));
  fs.writeFileSync(path.join(dir, "mwaa_migration", "__init__.py"), "");
  return dir;
}

describe("dynamic-provider host over gRPC", function () {
  this.timeout(120_000);
  let host: ProviderHost;
  let exportProvider: string;
  let importProvider: string;

  before(async function () {
    // The first start builds the grpc-go caller: with an empty module cache that is minutes, not seconds.
    this.timeout(900_000);
    exportProvider = await serializeProvider(metadataExportProvider);
    importProvider = await serializeProvider(metadataImportProvider);
    host = await ProviderHost.start(PROJECT_DIR);
    await host.configure({ "aws:region": "us-east-1" });
  });

  after(async () => {
    await host?.stop();
  });

  const selfManaged = {
    kind: "self-managed",
    airflowVersion: "2.10.3",
    url: "http://127.0.0.1:1",
    username: "admin",
    password: "admin",
  };

  it("check names each bad property and how to fix it", async () => {
    const news = withProvider(exportProvider, {
      airflow: { kind: "mwaa", airflowVersion: "2.10.3", environmentName: "9bad" },
      dagFolder: "dags/",
      payloadDir: "/tmp",
      payloadDigest: "x",
      bucket: "migration-bucket",
      phase: "delta",
      deadlineSeconds: 5,
    });
    const { failures } = await host.check(urnFor(EXPORT_TYPE, "export"), {}, news);
    const byProperty = new Map(failures.map((f) => [f.property, f.reason]));
    assert.deepEqual([...byProperty.keys()].sort(), [
      "airflow.environmentName",
      "changedSince",
      "dagFolder",
      "deadlineSeconds",
    ]);
    assert.match(byProperty.get("changedSince")!, /bulk export's watermark/);
    assert.match(byProperty.get("deadlineSeconds")!, /from 60 to/);
  });

  it("check fills defaults and a deterministic exportId; diff replaces on phase, updates in place on deadline", async () => {
    const news = withProvider(exportProvider, {
      airflow: selfManaged,
      dagFolder: "/srv/airflow/dags",
      payloadDir: "/tmp",
      payloadDigest: "abc",
      bucket: "migration-bucket",
      phase: "bulk",
    });
    const first = await host.check(urnFor(EXPORT_TYPE, "export"), {}, news);
    const second = await host.check(urnFor(EXPORT_TYPE, "export"), {}, news);
    assert.deepEqual(first.failures, []);
    assert.match(String(first.inputs.exportId), /^bulk-[0-9a-f]{8}$/);
    assert.equal(first.inputs.exportId, second.inputs.exportId);
    assert.equal(first.inputs.deadlineSeconds, 3600);

    const olds = first.inputs;
    const samePhase = await host.diff(urnFor(EXPORT_TYPE, "export"), "export/x", olds, {
      ...olds,
      deadlineSeconds: 7200,
    });
    assert.deepEqual(samePhase, { changes: "some", replaces: [] });
    const newPassword = await host.diff(urnFor(EXPORT_TYPE, "export"), "export/x", olds, {
      ...olds,
      airflow: { ...selfManaged, password: "rotated" },
    });
    assert.deepEqual(newPassword, { changes: "some", replaces: [] });
    const newPhase = await host.diff(urnFor(EXPORT_TYPE, "export"), "export/x", olds, {
      ...olds,
      phase: "delta",
      exportId: "delta-1",
    });
    assert.deepEqual(newPhase.replaces.sort(), ["exportId", "phase"]);
    const nothing = await host.diff(urnFor(EXPORT_TYPE, "export"), "export/x", olds, olds);
    assert.equal(nothing.changes, "none");
  });

  it("a create that cannot reach Airflow fails without state and takes its DAG files back out", async () => {
    const dagFolder = fs.mkdtempSync(path.join(os.tmpdir(), "dynres-dags-"));
    const { inputs } = await host.check(
      urnFor(EXPORT_TYPE, "export"),
      {},
      withProvider(exportProvider, {
        airflow: selfManaged,
        dagFolder,
        payloadDir: payloadDir(),
        payloadDigest: "abc",
        bucket: "migration-bucket",
        parseDeadlineSeconds: 10,
        pollIntervalSeconds: 1,
      }),
    );
    const failure = await host.create(urnFor(EXPORT_TYPE, "export"), inputs).then(
      () => assert.fail("create succeeded without an Airflow"),
      (e: HostError) => e,
    );
    assert.match(failure.message, /mwaa_migration_export was not parsed within parseDeadlineSeconds=10/);
    assert.equal(failure.partial, undefined, "nothing was triggered, so there is no partial state");
    assert.deepEqual(fs.readdirSync(dagFolder), [], "the DAG folder is as it was before the create");
    assert.ok(
      // The DAG file, the library's __init__.py, its .airflowignore and the two contract documents.
      host.output.some((line) => line.includes("[MetadataExport] delivered mwaa_migration_export (5 files)")),
      host.output.join("\n"),
    );
  });

  it("an import into Airflow 3 goes to the migration plugin, and fails without state when it is unreachable", async () => {
    const importType = typeToken("MetadataImport");
    const dagFolder = fs.mkdtempSync(path.join(os.tmpdir(), "dynres-dags-"));
    const { inputs } = await host.check(
      urnFor(importType, "import"),
      {},
      withProvider(importProvider, {
        airflow: { ...selfManaged, airflowVersion: "3.3.2" },
        dagFolder,
        payloadDir: payloadDir(),
        payloadDigest: "abc",
        bucket: "migration-bucket",
        exportId: "bulk-1",
        pollIntervalSeconds: 1,
      }),
    );
    const failure = await host.create(urnFor(importType, "import"), inputs).then(
      () => assert.fail("create succeeded without an Airflow"),
      (e: HostError) => e,
    );
    assert.match(
      failure.message,
      /MetadataImport: reaching the migration plugin at http:\/\/127\.0\.0\.1:1\/mwaa-migration failed/,
    );
    assert.equal(failure.partial, undefined, "nothing was started, so there is no partial state");
    assert.deepEqual(fs.readdirSync(dagFolder), [], "no DAG is delivered to an Airflow 3 target");
    assert.ok(
      !host.output.some((line) => line.includes("[MetadataImport] delivered")),
      host.output.join("\n"),
    );
  });

  it("the import provider checks its own inputs in the same host", async () => {
    const { failures } = await host.check(
      urnFor(typeToken("MetadataImport"), "import"),
      {},
      withProvider(importProvider, {
        airflow: selfManaged,
        dagFolder: "/srv/dags",
        payloadDir: "/tmp",
        payloadDigest: "x",
        bucket: "b",
        conflictPolicy: "merge",
      }),
    );
    assert.deepEqual(
      failures.map((f) => f.property),
      ["exportId", "conflictPolicy"],
    );
  });
});
