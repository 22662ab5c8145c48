import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { SourceEnvironment } from "../../components/sourceEnvironment";
import { MOCK_ACCOUNT, MockOptions, call, legacyAirflowFixture, newResource } from "../support/awsMocks";

/** What the source component exposes to the rest of the migration, for both kinds of source. */

const REGION = "us-east-1";

function valueOf<T>(output: pulumi.Output<T> | undefined): Promise<T | undefined> {
  if (output === undefined) return Promise.resolve(undefined);
  return new Promise((resolve) => output.apply(resolve));
}

describe("SourceEnvironment", () => {
  const fixture = legacyAirflowFixture(REGION);
  const reads: string[] = [];
  const created: string[] = [];

  before(async () => {
    const options: MockOptions = {
      region: REGION,
      source: fixture,
      previousOutputs: {},
      existingBuckets: [],
    };
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          (args.id ? reads : created).push(`${args.type} ${args.id ?? args.name}`);
          return newResource(args, options);
        },
        call: (args) => call(args, options),
      },
      "mwaa-migration",
      "source-test",
      true,
    );
  });

  it("reads an MWAA source by name and exposes its role, bucket, DAG path, version, URL and task logs", async () => {
    const source = new SourceEnvironment("src", {
      source: { kind: "mwaa", environmentName: "legacy-airflow" },
      region: REGION,
      account: MOCK_ACCOUNT,
    });
    assert.equal(source.kind, "mwaa");
    assert.equal(await valueOf(source.airflowVersion), "2.8.1");
    assert.equal(await valueOf(source.executionRoleArn), fixture.executionRoleArn);
    assert.equal(await valueOf(source.executionRoleName), "AmazonMWAA-legacy-airflow-x1Yz9Q");
    assert.equal(await valueOf(source.sourceBucketArn), fixture.sourceBucketArn);
    assert.equal(await valueOf(source.dagS3Path), "dags");
    assert.equal(await valueOf(source.webserverUrl), `https://${fixture.webserverUrl}`);
    assert.equal(
      await valueOf(source.taskLogGroupArn),
      `arn:aws:logs:${REGION}:${MOCK_ACCOUNT}:log-group:airflow-legacy-airflow-Task`,
    );
    const settings = await valueOf(source.settings);
    assert.equal(settings?.environmentClass, "mw1.medium");
    assert.equal(settings?.loggingConfiguration?.taskLogs?.logLevel, "WARNING");
    assert.equal(settings?.minWebservers, 2);
    assert.equal(settings?.maxWebservers, 3);
    assert.ok(settings && !("endpointManagement" in settings), "only the allowlist's fields are read");
    // Read only: the environment is looked up by its name, never registered as a resource of this stack.
    assert.deepEqual(
      reads.filter((r) => r.startsWith("aws:mwaa")),
      ["aws:mwaa/environment:Environment legacy-airflow"],
    );
    assert.ok(!created.some((r) => r.startsWith("aws:mwaa")), created.join());
  });

  it("describes a self-managed source by URL, secret credentials and DAG location, reading nothing", async () => {
    const before = reads.length;
    const source = new SourceEnvironment("self", {
      source: {
        kind: "self-managed",
        url: "https://airflow.corp.internal/",
        username: "migration",
        airflowVersion: "2.10.3",
        dagsLocation: "/opt/airflow/dags",
      },
      region: REGION,
      account: MOCK_ACCOUNT,
      password: "s3cret",
    });
    assert.equal(source.kind, "self-managed");
    assert.equal(source.name, "airflow.corp.internal");
    assert.equal(await valueOf(source.airflowVersion), "2.10.3");
    assert.equal(await valueOf(source.webserverUrl), "https://airflow.corp.internal");
    assert.equal(source.restApi?.url, "https://airflow.corp.internal");
    assert.equal(source.restApi?.username, "migration");
    assert.equal(await pulumi.isSecret(source.restApi!.password), true, "the password stays secret");
    assert.equal(source.dagsLocation, "/opt/airflow/dags");
    assert.equal(source.executionRoleArn, undefined, "no MWAA role to grant on");
    assert.equal(source.taskLogGroupArn, undefined, "no CloudWatch task logs to copy");
    assert.equal(reads.length, before);
    assert.equal(source.sourceBucketArn, undefined, "DAGs in a local folder: no bucket");
  });

  it("takes the bucket and folder of a self-managed source whose DAGs arrive through S3", async () => {
    const source = new SourceEnvironment("self-s3", {
      source: {
        kind: "self-managed",
        url: "https://airflow.corp.internal",
        username: "migration",
        airflowVersion: "2.10.3",
        dagsLocation: "s3://corp-airflow/dags/",
      },
      region: REGION,
      account: MOCK_ACCOUNT,
      password: "s3cret",
    });
    assert.equal(await valueOf(source.sourceBucketArn), "arn:aws:s3:::corp-airflow");
    assert.equal(await valueOf(source.dagS3Path), "dags");
  });
});
