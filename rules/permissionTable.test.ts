import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  type DeployerScope,
  type Identity,
  PERMISSION_TABLE,
  rowsOf,
  statementsFor,
} from "./permissionTable";
import { deployerPolicy, executionRolePolicy, exportGrantPolicy, importGrantPolicy } from "./permissions";

const IDENTITIES: Identity[] = ["execution-role", "export-grant", "import-grant", "deployer"];
const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`;
const SOURCE_LOGS = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:airflow-legacy-Task`;
const TARGET_LOGS = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:airflow-new-Task`;

/** An MWAA source, every part known: the scope the program gives a migration from MWAA. */
const FULL: DeployerScope = {
  region: REGION,
  account: ACCOUNT,
  targetEnvironmentName: "new",
  sourceEnvironmentName: "legacy",
  sourceExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/service-role/AmazonMWAA-legacy-x1`,
  bundle: { bucketName: "mig-bucket", prefix: "migration", keyArn: KEY },
  sourceDags: { bucket: "arn:aws:s3:::legacy-dags", dagS3Path: "dags" },
  targetDags: { bucket: "new-dags", dagS3Path: "dags" },
  targetAirflowVersion: "2.11.0",
  sourceTaskLogGroupArn: SOURCE_LOGS,
  targetTaskLogGroupArn: TARGET_LOGS,
  purgeBundlesOnDelete: true,
};

/** FULL with a web UI mapping of every principal kind. */
const WITH_WEB_UI: DeployerScope = {
  ...FULL,
  webUi: {
    roleArns: [`arn:aws:iam::${ACCOUNT}:role/data/DataEngineers`],
    userArns: [`arn:aws:iam::${ACCOUNT}:user/alice`],
    groupArns: [`arn:aws:iam::${ACCOUNT}:group/Analysts`],
    policyNames: ["new-web-ui-SalesTeam"],
    ssoInstanceArn: "arn:aws:sso:::instance/ssoins-0123456789abcdef",
  },
};

const MWAA_ROWS = [
  "ReadEnvironments",
  "ManageTargetEnvironment",
  "ReachAirflowAsAdmin",
  "RunAirflowCli",
  "PassTargetExecutionRole",
  "MigrationGrantsOnExecutionRoles",
];

const sids = (scope: DeployerScope) => deployerPolicy(scope).Statement.map((s) => s.Sid);
const statement = (scope: DeployerScope, sid: string) => {
  const found = deployerPolicy(scope).Statement.find((s) => s.Sid === sid);
  assert.ok(found, `no ${sid} in the deployer policy`);
  return found;
};

describe("the deployer's rows for the web UI logins", () => {
  it("put login policies on the mapped principals only, and manage only the permission sets' policies", () => {
    assert.deepEqual(statement(WITH_WEB_UI, "WebUiLoginsOnRoles").Resource, [
      `arn:aws:iam::${ACCOUNT}:role/data/DataEngineers`,
    ]);
    assert.deepEqual(statement(WITH_WEB_UI, "WebUiLoginsOnUsers").Action, [
      "iam:PutUserPolicy",
      "iam:DeleteUserPolicy",
      "iam:GetUserPolicy",
    ]);
    assert.deepEqual(statement(WITH_WEB_UI, "WebUiLoginPoliciesForPermissionSets").Resource, [
      `arn:aws:iam::${ACCOUNT}:policy/new-web-ui-SalesTeam`,
    ]);
    assert.ok(!sids(FULL).some((sid) => sid.startsWith("WebUi")));
    const groupsOnly = {
      ...WITH_WEB_UI,
      webUi: { roleArns: [], userArns: [], groupArns: [`arn:aws:iam::${ACCOUNT}:group/A`], policyNames: [] },
    };
    assert.deepEqual(
      sids(groupsOnly).filter((sid) => sid.startsWith("WebUi")),
      ["WebUiLoginsOnGroups"],
    );
    const unattached = { ...WITH_WEB_UI, webUi: { ...WITH_WEB_UI.webUi!, ssoInstanceArn: undefined } };
    assert.ok(!sids(unattached).includes("WebUiPermissionSetAttachments"), "no instance: nothing to attach");
    assert.ok(
      !sids({ ...WITH_WEB_UI, webUi: { ...WITH_WEB_UI.webUi!, policyNames: [] } }).includes(
        "WebUiPermissionSetAttachments",
      ),
      "no permission set mapped: nothing to attach",
    );
  });
});

describe("the deployer's rows for reading the source's web UI mapping", () => {
  it("list and read customer-managed policies only with cloneWebUiAccess, the reads on the account's policies", () => {
    assert.ok(!sids(FULL).includes("ListPoliciesForSourceWebUi"));
    assert.ok(!sids(FULL).includes("ReadPoliciesForSourceWebUi"));
    const scope = { ...FULL, readsSourceWebUi: true };
    assert.deepEqual(statement(scope, "ListPoliciesForSourceWebUi").Action, ["iam:ListPolicies"]);
    const reads = statement(scope, "ReadPoliciesForSourceWebUi");
    assert.deepEqual(reads.Action, ["iam:GetPolicyVersion", "iam:ListEntitiesForPolicy"]);
    assert.equal(reads.Resource, `arn:aws:iam::${FULL.account}:policy/*`);
  });
});

describe("the deployer's row for Data Pipeline reads", () => {
  it("reads pipelines only when pipelineIds names one, on every pipeline since the actions take no ARN", () => {
    assert.ok(!sids(FULL).includes("ReadDataPipelineDefinitions"));
    assert.ok(!sids({ ...FULL, pipelineIds: [] }).includes("ReadDataPipelineDefinitions"));
    const reading = statement(
      { ...FULL, pipelineIds: ["df-0123456789ABCDEFGHIJ"] },
      "ReadDataPipelineDefinitions",
    );
    assert.deepEqual(reading.Action, [
      "datapipeline:DescribePipelines",
      "datapipeline:GetPipelineDefinition",
    ]);
    assert.equal(reading.Resource, "*");
  });
});

describe("the permission table", () => {
  it("gives every row a Sid unique to its identity, at least one action, and the reason it is there", () => {
    for (const identity of IDENTITIES) {
      const rows = rowsOf(identity);
      assert.ok(rows.length > 0, `${identity} has no rows`);
      const names = rows.map((r) => r.sid);
      assert.deepEqual(names, [...new Set(names)], `${identity}: a Sid twice`);
      for (const r of rows) {
        assert.match(r.sid, /^[A-Za-z0-9]+$/, `${identity} ${r.sid}: IAM takes only alphanumeric Sids`);
        assert.ok(r.actions.length > 0, `${identity} ${r.sid}: no action`);
        assert.ok(r.why.length > 20, `${identity} ${r.sid}: no reason given`);
      }
    }
    assert.equal(
      PERMISSION_TABLE.length,
      IDENTITIES.reduce((n, identity) => n + rowsOf(identity).length, 0),
    );
  });

  it("builds each identity's document from its own rows, in table order", () => {
    const bundle = FULL.bundle!;
    const documents: [Identity, string[]][] = [
      [
        "execution-role",
        executionRolePolicy({
          region: REGION,
          account: ACCOUNT,
          environmentName: "new",
          dagBucketName: "new-dags",
        }).Statement.map((s) => s.Sid),
      ],
      ["export-grant", exportGrantPolicy(bundle).Statement.map((s) => s.Sid)],
      ["import-grant", importGrantPolicy(bundle).Statement.map((s) => s.Sid)],
      ["deployer", sids(FULL)],
    ];
    for (const [identity, written] of documents) {
      const order = rowsOf(identity).map((r) => r.sid);
      assert.deepEqual(
        written,
        order.filter((sid) => written.includes(sid)),
        `${identity}: statements out of table order`,
      );
    }
    // With every part of the scope known, the deployer policy holds every deployer row.
    assert.deepEqual(
      sids({
        ...WITH_WEB_UI,
        pipelineIds: ["df-0123456789ABCDEFGHIJ"],
        readsSourceWebUi: true,
        targetRoleArn: "arn:aws:iam::210987654321:role/deployer",
      }),
      rowsOf("deployer").map((r) => r.sid),
    );
  });

  it("names the source's environment and policies in the source's own account when the target has its own", () => {
    const target = { region: "eu-west-1", account: "210987654321" };
    const scope: DeployerScope = {
      ...FULL,
      ...target,
      sourceSide: { region: REGION, account: ACCOUNT },
      targetRoleArn: "arn:aws:iam::210987654321:role/deployer",
      readsSourceWebUi: true,
    };
    assert.deepEqual(statement(scope, "ReadEnvironments").Resource, [
      "arn:aws:airflow:eu-west-1:210987654321:environment/new",
      `arn:aws:airflow:us-east-1:${ACCOUNT}:environment/legacy`,
    ]);
    assert.deepEqual(statement(scope, "ReachAirflowAsAdmin").Resource, [
      "arn:aws:airflow:eu-west-1:210987654321:role/new/Admin",
      `arn:aws:airflow:us-east-1:${ACCOUNT}:role/legacy/Admin`,
    ]);
    assert.equal(statement(scope, "ReadPoliciesForSourceWebUi").Resource, `arn:aws:iam::${ACCOUNT}:policy/*`);
    assert.deepEqual(statement(scope, "AssumeTargetRole").Action, ["sts:AssumeRole"]);
    assert.ok(!sids(FULL).includes("AssumeTargetRole"), "one account: no role to assume");
  });

  it("picks the execution role's key statement by whether the environment has a key of its own", () => {
    const scope = { region: REGION, account: ACCOUNT, environmentName: "new", dagBucketName: "new-dags" };
    const kmsSids = (s: typeof scope & { kmsKeyArn?: string }) =>
      statementsFor("execution-role", s)
        .map((st) => st.Sid)
        .filter((sid) => sid.startsWith("Encryption"));
    assert.deepEqual(kmsSids(scope), ["EncryptionWithAwsOwnedKey"]);
    assert.deepEqual(kmsSids({ ...scope, kmsKeyArn: KEY }), ["EncryptionWithEnvironmentKey"]);
  });

  it("leaves every log action out of the grants: the log copy runs as the deployer", () => {
    for (const identity of ["export-grant", "import-grant"] as const)
      for (const r of rowsOf(identity))
        assert.ok(!r.actions.some((a) => a.startsWith("logs:")), `${identity} ${r.sid}: ${r.actions.join()}`);
  });

  describe("the deployer's rows, by what the migration does", () => {
    it("without a bundle, DAG folders or log groups: the MWAA and grant work only", () => {
      assert.deepEqual(sids({ region: REGION, account: ACCOUNT, targetEnvironmentName: "new" }), MWAA_ROWS);
    });

    it("from MWAA into Airflow 2: delivery on both sides, the results, the log copy", () => {
      const { purgeBundlesOnDelete: _, ...noPurge } = FULL;
      assert.deepEqual(sids(noPurge), [
        ...MWAA_ROWS,
        "DeliverExportDag",
        "DeliverImportDag",
        "ReadBundleResults",
        "DecryptBundleThroughS3",
        "ListMigrationPrefix",
        "ReadBundleTaskInstances",
        "ReadTaskLogs",
        "WriteTargetTaskLogs",
        "ReadTargetLogRetention",
        "ArchiveOldTaskLogEvents",
        "RecordCopiedTaskLogStreams",
        "EncryptTaskLogCopyThroughS3",
      ]);
    });

    it("a self-managed source with a local DAG folder and no log group: no source delivery, no log copy, no list", () => {
      const selfManaged: DeployerScope = {
        ...FULL,
        sourceEnvironmentName: undefined,
        sourceExecutionRoleArn: undefined,
        sourceDags: undefined,
        sourceTaskLogGroupArn: undefined,
        purgeBundlesOnDelete: false,
      };
      assert.deepEqual(sids(selfManaged), [
        ...MWAA_ROWS,
        "DeliverImportDag",
        "ReadBundleResults",
        "DecryptBundleThroughS3",
      ]);
      assert.deepEqual(statement(selfManaged, "ReadEnvironments").Resource, [
        `arn:aws:airflow:${REGION}:${ACCOUNT}:environment/new`,
      ]);
    });

    it("an Airflow 3 target imports in its plugin: no import DAG is delivered", () => {
      for (const version of ["3.0.6", "3.3.1"])
        assert.ok(!sids({ ...FULL, targetAirflowVersion: version }).includes("DeliverImportDag"), version);
      assert.ok(sids({ ...FULL, targetAirflowVersion: "2.10.3" }).includes("DeliverImportDag"));
    });

    it("deletes from the migration bucket only with purgeBundlesOnDelete, and lists for a purge alone", () => {
      const purgeOnly: DeployerScope = { ...FULL, sourceTaskLogGroupArn: undefined };
      assert.ok(sids(purgeOnly).includes("PurgeBundles") && sids(purgeOnly).includes("ListMigrationPrefix"));
      const neither: DeployerScope = { ...purgeOnly, purgeBundlesOnDelete: false };
      assert.ok(!sids(neither).includes("PurgeBundles") && !sids(neither).includes("ListMigrationPrefix"));
      assert.deepEqual(statement(FULL, "PurgeBundles").Resource, "arn:aws:s3:::mig-bucket/migration/*");
      assert.deepEqual(statement(FULL, "ListMigrationPrefix").Condition, {
        StringLike: { "s3:prefix": ["migration/*"] },
      });
    });
  });

  describe("the deployer's resources", () => {
    it("names the payload's keys in each DAG folder: the DAG file and the library folder", () => {
      assert.deepEqual(statement(FULL, "DeliverExportDag").Resource, [
        "arn:aws:s3:::legacy-dags/dags/mwaa_migration_export.py",
        "arn:aws:s3:::legacy-dags/dags/mwaa_migration/*",
      ]);
      const rooted = { ...FULL, targetDags: { bucket: "new-dags", dagS3Path: "/" } };
      assert.deepEqual(statement(rooted, "DeliverImportDag").Resource, [
        "arn:aws:s3:::new-dags/mwaa_migration_import.py",
        "arn:aws:s3:::new-dags/mwaa_migration/*",
      ]);
      const nested = { ...FULL, targetDags: { bucket: "new-dags", dagS3Path: "/airflow/dags/" } };
      assert.deepEqual(statement(nested, "DeliverImportDag").Resource, [
        "arn:aws:s3:::new-dags/airflow/dags/mwaa_migration_import.py",
        "arn:aws:s3:::new-dags/airflow/dags/mwaa_migration/*",
      ]);
    });

    it("keeps to the partition of the region and of the ARNs it is given", () => {
      const china: DeployerScope = {
        ...FULL,
        region: "cn-north-1",
        sourceExecutionRoleArn: "arn:aws-cn:iam::1:role/service-role/AmazonMWAA-legacy-x1",
        bundle: { ...FULL.bundle!, keyArn: "arn:aws-cn:kms:cn-north-1:1:key/k" },
        sourceDags: { bucket: "arn:aws-cn:s3:::legacy-dags", dagS3Path: "dags" },
        targetDags: { bucket: "new-dags", dagS3Path: "dags" },
      };
      for (const s of deployerPolicy(china).Statement) {
        const resources = ([] as string[]).concat(s.Resource ?? []);
        for (const r of resources.filter((x) => x.startsWith("arn:") && !x.includes(":logs:")))
          assert.match(r, /^arn:aws-cn:/, `${s.Sid}: ${r}`);
      }
    });

    it("reads only the manifest, the report and the two streams the log copy selects from", () => {
      assert.deepEqual(statement(FULL, "ReadBundleResults").Resource, [
        "arn:aws:s3:::mig-bucket/migration/*/manifest.json",
        "arn:aws:s3:::mig-bucket/migration/*/import-report.json",
      ]);
      assert.deepEqual(statement(FULL, "ReadBundleTaskInstances").Resource, [
        "arn:aws:s3:::mig-bucket/migration/*/tables/dag_run.csv.gz",
        "arn:aws:s3:::mig-bucket/migration/*/tables/task_instance.csv.gz",
      ]);
    });

    it("scopes the log copy to the two task log groups, its S3 writes to the source group's folders", () => {
      assert.deepEqual(statement(FULL, "ReadTaskLogs").Resource, [
        SOURCE_LOGS,
        `${SOURCE_LOGS}:*`,
        TARGET_LOGS,
        `${TARGET_LOGS}:*`,
      ]);
      assert.deepEqual(statement(FULL, "WriteTargetTaskLogs").Resource, [TARGET_LOGS, `${TARGET_LOGS}:*`]);
      // A group ARN given with the ":*" IAM's own listing adds is the same group.
      assert.deepEqual(
        statement({ ...FULL, targetTaskLogGroupArn: `${TARGET_LOGS}:*` }, "WriteTargetTaskLogs").Resource,
        [TARGET_LOGS, `${TARGET_LOGS}:*`],
      );
      assert.equal(
        statement(FULL, "ArchiveOldTaskLogEvents").Resource,
        "arn:aws:s3:::mig-bucket/migration/*/task-logs/airflow-legacy-Task/*",
      );
      assert.equal(
        statement(FULL, "RecordCopiedTaskLogStreams").Resource,
        "arn:aws:s3:::mig-bucket/migration/task-log-copies/airflow-legacy-Task/*",
      );
      for (const sid of ["DecryptBundleThroughS3", "EncryptTaskLogCopyThroughS3"])
        assert.deepEqual(statement(FULL, sid).Condition, {
          StringEquals: { "kms:ViaService": `s3.${REGION}.amazonaws.com` },
        });
    });
  });

  it("the README's deployer policy section names every deployer row", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const start = readme.indexOf("### Minimal deployer policy");
    assert.ok(start >= 0, "README has no Minimal deployer policy section");
    const section = readme.slice(start, readme.indexOf("\n## ", start));
    for (const r of rowsOf("deployer")) assert.ok(section.includes(`\`${r.sid}\``), `README: no ${r.sid}`);
  });
});
