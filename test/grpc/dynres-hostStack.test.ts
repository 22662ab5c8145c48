/**
 * Real work through @pulumi/pulumi's dynamic-provider host: an export against the local stack
 * (run by scripts/test-integration.sh, which sets MWAA_IT_INFO). A create that times out comes
 * back as ErrorResourceInitFailed carrying the partial state, and Update with that state resumes
 * the same Airflow run, which is what the engine does on the next `pulumi up`.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { EXPORT_DAG_ID } from "../../contract";
import { metadataExportProvider } from "../../providers/metadataExport";
import { payloadInputs, typeToken } from "../../providers/framework/resource";
import { HostError, ProviderHost, serializeProvider, urnFor, withProvider } from "./support/providerHost";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");
const URN = urnFor(typeToken("MetadataExport"), "grpc-export");

describe("dynamic-provider host over gRPC: a create that does real work", function () {
  // Bounded: the export of two tables takes seconds; a hang fails here instead of stalling CI.
  this.timeout(300_000);
  let host: ProviderHost | undefined;

  before(function () {
    if (!process.env.MWAA_IT_INFO) {
      console.log("      (needs the local stack: run scripts/test-integration.sh)");
      this.skip();
    }
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed" && host) console.log(host.output.join("\n"));
  });

  after(async () => {
    await host?.stop();
  });

  it("times out into partial state, then resumes the same run through Update to a complete export", async () => {
    const { integrationInfo } = await import("../integration/itEnv");
    const info = integrationInfo();
    const bucket = "dynres-grpc-bundles";
    // Run ids follow the inputs; a prefix of its own keeps a repeated session from adopting the last one's run.
    const prefix = `grpc-${Date.now().toString(36)}`;
    const provider = await serializeProvider(metadataExportProvider);
    const s3 = new S3Client({ region: info.region });
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined);
    host = await ProviderHost.start(PROJECT_DIR);
    await host.configure({ "aws:region": info.region });
    const airflow = {
      kind: "self-managed",
      url: info.restApiUrl,
      username: info.username,
      password: info.password,
      airflowVersion: info.airflowVersion,
    };
    const { inputs, failures } = await host.check(
      URN,
      {},
      withProvider(provider, {
        ...payloadInputs(undefined, EXPORT_DAG_ID),
        airflow,
        dagFolder: info.dagsFolder,
        bucket,
        prefix,
        phase: "full",
        tables: ["dag_run", "slot_pool"],
        pollIntervalSeconds: 2,
        parseDeadlineSeconds: 180,
      }),
    );
    assert.deepEqual(failures, []);

    const timedOut = await host.create(URN, { ...inputs, deadlineSeconds: 0 }).then(
      () => assert.fail("a zero-second deadline cannot be met"),
      (e: HostError) => e,
    );
    assert.ok(timedOut.partial, `no ErrorResourceInitFailed in: ${timedOut.message}`);
    const partial = timedOut.partial!;
    assert.equal(partial.id, `export/${inputs.exportId}`);
    assert.equal(partial.properties.runState, "running");
    assert.equal(
      partial.properties.__provider,
      provider,
      "the host keeps the serialized provider in the partial state",
    );
    assert.match(partial.reasons.join("\n"), /still running after deadlineSeconds=0/);

    const outs = await host.update(URN, partial.id, partial.properties, inputs);
    assert.equal(outs.completed, true);
    assert.equal(outs.runId, partial.properties.runId);
    assert.equal(outs.exportId, inputs.exportId);
    assert.equal(partial.id, `export/${String(outs.exportId)}`);
    // The outputs are the manifest's counts, as the export DAG wrote them to the bucket.
    const manifestObject = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/${inputs.exportId}/manifest.json` }),
    );
    const manifest = JSON.parse(await manifestObject.Body!.transformToString()) as {
      exportId: string;
      tables: Record<string, { rows: number }>;
    };
    assert.equal(manifest.exportId, inputs.exportId);
    const manifestRows = Object.fromEntries(
      Object.entries(manifest.tables).map(([table, entry]) => [table, entry.rows]),
    );
    assert.deepEqual(Object.keys(manifestRows).sort(), ["dag_run", "slot_pool"]);
    assert.deepEqual(outs.rowsPerTable, manifestRows);
    assert.ok(
      Object.values(manifestRows).every((rows) => Number.isInteger(rows) && rows >= 0),
      JSON.stringify(manifestRows),
    );
    assert.equal(outs.bundleUri, `s3://${bucket}/${prefix}/${String(inputs.exportId)}/`);
    assert.ok(
      host.output.some((line) => line.includes(`[MetadataExport] ${String(outs.runId)}: success`)),
      host.output.join("\n"),
    );

    await host.delete(URN, partial.id, { ...outs, purgeOnDelete: true });
    await assert.rejects(
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}/${inputs.exportId}/manifest.json` })),
    );
  });
});
