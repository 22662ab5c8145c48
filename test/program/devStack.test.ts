import * as assert from "node:assert/strict";
import { MOCK_ACCOUNT, legacyAirflowFixture } from "../support/awsMocks";
import { assertNoWildcardAllows } from "../support/policyAssertions";
import { RecordedResource, StackRun, loadDevConfig, runStackWithOutputs } from "../support/stackUnderMocks";

/** The dev stack (Pulumi.dev.yaml) at its first stage, under mocks: what `pulumi preview` would show. */
describe("dev stack at prepare", () => {
  let run: StackRun;
  const source = legacyAirflowFixture("us-east-1");
  const all = (type: string) => run.resources.filter((r) => r.type === type && !r.read);
  const one = (type: string, nameSuffix = ""): RecordedResource => {
    const found = all(type).filter((r) => r.name.endsWith(nameSuffix));
    assert.equal(
      found.length,
      1,
      `expected one ${type} named *${nameSuffix}, found ${found.map((r) => r.name)}`,
    );
    return found[0];
  };
  const byUrn = (urn: string | undefined) => run.resources.find((r) => r.urn === urn);
  /** Versioning, all four public-access blocks and BucketOwnerEnforced on the bucket named *<suffix>. */
  const assertBaselineControls = (suffix: string) => {
    const versioning = one("aws:s3/bucketVersioning:BucketVersioning", `${suffix}-versioning`).inputs;
    assert.equal(versioning.versioningConfiguration.status, "Enabled", suffix);
    const block = one(
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      `${suffix}-public-access`,
    ).inputs;
    for (const flag of [
      "blockPublicAcls",
      "blockPublicPolicy",
      "ignorePublicAcls",
      "restrictPublicBuckets",
    ]) {
      assert.equal(block[flag], true, `${suffix} ${flag}`);
    }
    const ownership = one(
      "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
      `${suffix}-ownership`,
    ).inputs;
    assert.equal(ownership.rule.objectOwnership, "BucketOwnerEnforced", suffix);
  };

  before(async () => {
    run = await runStackWithOutputs(loadDevConfig());
  });

  describe("every resource", () => {
    it("has a unique name prefixed by its component's", () => {
      const created = run.resources.filter((r) => !r.read);
      assert.equal(new Set(created.map((r) => r.name)).size, created.length);
      for (const r of created) {
        const parent = byUrn(r.parent);
        if (parent && parent.type !== "pulumi:pulumi:Stack") {
          assert.ok(r.name.startsWith(`${parent.name}-`), `${r.name} is not prefixed by ${parent.name}`);
        }
      }
    });

    it("is parented to a component of this project, never to the stack root", () => {
      for (const r of run.resources.filter(
        (res) => res.type !== "mwaa-migration:index:Migration" && !res.read,
      )) {
        assert.match(byUrn(r.parent)?.type ?? "(none)", /^mwaa-migration:/, r.name);
      }
    });

    it("only reads the source environment, never manages it", () => {
      const sourceEnv = run.resources.filter((r) => r.type === "aws:mwaa/environment:Environment" && r.read);
      assert.deepEqual(
        sourceEnv.map((r) => r.id),
        ["legacy-airflow"],
      );
      const created = all("aws:mwaa/environment:Environment");
      assert.deepEqual(
        created.map((r) => r.inputs.name),
        ["airflow-2-11"],
      );
    });
  });

  describe("migration bucket and key", () => {
    it("uses a customer-managed key with rotation", () => {
      const key = one("aws:kms/key:Key", "bucket-key");
      assert.equal(key.inputs.enableKeyRotation, true);
      assert.equal(key.inputs.deletionWindowInDays, 30);
    });

    it("is versioned, encrypted with that key by default with bucket keys, and never public", () => {
      const key = run.outputs.migrationKeyArn;
      assert.match(key, new RegExp(`^arn:aws:kms:us-east-1:${MOCK_ACCOUNT}:key/`));
      assertBaselineControls("bucket");
      const rule = one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "bucket-encryption",
      ).inputs.rules[0];
      assert.deepEqual(rule.applyServerSideEncryptionByDefault, {
        sseAlgorithm: "aws:kms",
        kmsMasterKeyId: key,
      });
      assert.equal(rule.bucketKeyEnabled, true);
    });

    it("denies non-TLS requests and PUTs without the key, after the public-access block is in place", () => {
      const policy = one("aws:s3/bucketPolicy:BucketPolicy", "bucket-policy");
      const doc = JSON.parse(policy.inputs.policy);
      const bucket = run.outputs.migrationBucketName;
      assert.deepEqual(
        doc.Statement.map((s: { Sid: string }) => s.Sid),
        [
          "DenyInsecureTransport",
          "DenyPutWithOtherEncryption",
          "DenyPutWithOtherKey",
          "DenyPutWithAwsManagedKey",
        ],
      );
      assert.deepEqual(doc.Statement[0].Resource, [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`]);
      assert.equal(
        doc.Statement[2].Condition.StringNotEqualsIfExists["s3:x-amz-server-side-encryption-aws-kms-key-id"],
        run.outputs.migrationKeyArn,
      );
      const blockUrn = one(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "bucket-public-access",
      ).urn;
      assert.ok(
        policy.dependencies?.includes(blockUrn),
        "bucket policy must wait for the public-access block",
      );
    });

    it("expires bundles under the prefix after 30 days", () => {
      const rule = one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "bucket-lifecycle")
        .inputs.rules[0];
      assert.equal(rule.status, "Enabled");
      assert.deepEqual(rule.filter, { prefix: "migration/" });
      assert.deepEqual(rule.expiration, { days: 30 });
      assert.deepEqual(rule.noncurrentVersionExpiration, { noncurrentDays: 30 });
    });
  });

  describe("target network", () => {
    it("builds a VPC with two private subnets in two zones behind a NAT gateway", () => {
      const vpc = one("awsx:ec2:Vpc").inputs;
      assert.equal(vpc.numberOfAvailabilityZones, 2);
      assert.equal(vpc.cidrBlock, "10.192.0.0/16");
      assert.deepEqual(
        vpc.subnetSpecs.map((s: { type: string }) => s.type),
        ["Private", "Public"],
      );
      assert.equal(vpc.natGateways.strategy, "Single");
    });

    it("puts the environment in the VPC's private subnets with a self-referencing security group", () => {
      const env = one("aws:mwaa/environment:Environment").inputs;
      const sg = one("aws:ec2/securityGroup:SecurityGroup");
      assert.deepEqual(env.networkConfiguration.subnetIds, run.outputs.targetSubnetIds);
      assert.equal(env.networkConfiguration.subnetIds.length, 2);
      assert.deepEqual(env.networkConfiguration.securityGroupIds, [sg.id]);
      const self = one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").inputs;
      assert.equal(self.securityGroupId, sg.id);
      assert.equal(self.referencedSecurityGroupId, sg.id);
      assert.equal(self.cidrIpv4, undefined, "no ingress from addresses, only from the group itself");
    });
  });

  describe("DAG bucket", () => {
    it("is the target's own: versioned, encrypted, public access blocked", () => {
      const env = one("aws:mwaa/environment:Environment").inputs;
      assert.equal(env.sourceBucketArn, `arn:aws:s3:::${run.outputs.targetDagBucket}`);
      assert.notEqual(env.sourceBucketArn, source.sourceBucketArn);
      assertBaselineControls("dags");
      const rule = one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "dags-encryption",
      ).inputs.rules[0];
      assert.equal(rule.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
    });
  });

  describe("execution role", () => {
    it("is trusted only by MWAA's service principals for this environment", () => {
      const role = one("aws:iam/role:Role");
      const trust = JSON.parse(role.inputs.assumeRolePolicy);
      assert.deepEqual(
        trust.Statement.map((s: { Principal: unknown }) => s.Principal),
        [{ Service: ["airflow.amazonaws.com", "airflow-env.amazonaws.com"] }],
      );
      assert.equal(
        trust.Statement[0].Condition.ArnLike["aws:SourceArn"],
        `arn:aws:airflow:us-east-1:${MOCK_ACCOUNT}:environment/airflow-2-11`,
      );
      assert.equal(role.inputs.path, "/mwaa-migration/");
    });

    it("has the documented least-privilege policy scoped to this environment", () => {
      const policy = JSON.parse(one("aws:iam/rolePolicy:RolePolicy", "execution-policy").inputs.policy);
      assertNoWildcardAllows(policy.Statement, "execution role");
      const text = JSON.stringify(policy);
      assert.ok(text.includes(`arn:aws:logs:us-east-1:${MOCK_ACCOUNT}:log-group:airflow-airflow-2-11-*`));
      assert.ok(text.includes(`arn:aws:s3:::${run.outputs.targetDagBucket}/*`));
      assert.ok(!text.includes("legacy-airflow"), "the target's role has nothing of the source");
    });
  });

  describe("MWAA environment", () => {
    let env: RecordedResource;
    before(() => {
      env = one("aws:mwaa/environment:Environment");
    });

    it("runs the target version with all five log types, task logs at INFO", () => {
      assert.equal(env.inputs.airflowVersion, "2.11.0");
      const logging = env.inputs.loggingConfiguration;
      assert.deepEqual(Object.keys(logging).sort(), [
        "dagProcessingLogs",
        "schedulerLogs",
        "taskLogs",
        "webserverLogs",
        "workerLogs",
      ]);
      for (const type of Object.keys(logging)) assert.equal(logging[type].enabled, true, type);
      assert.equal(logging.taskLogs.logLevel, "INFO", "the source's WARNING is raised to INFO");
      assert.equal(logging.webserverLogs.logLevel, "ERROR", "other levels are cloned");
    });

    it("waits up to two hours to create and update", () => {
      assert.deepEqual(env.customTimeouts, { create: "2h", update: "2h", delete: "1h" });
    });

    it("keeps the webserver private and takes explicit settings over cloned ones", () => {
      assert.equal(env.inputs.webserverAccessMode, "PRIVATE_ONLY", "explicit over the source's PUBLIC_ONLY");
      assert.equal(env.inputs.environmentClass, "mw1.medium");
      assert.equal(env.inputs.maxWorkers, 12, "explicit");
      assert.equal(env.inputs.minWorkers, 2, "cloned");
      assert.equal(env.inputs.schedulers, 2);
      assert.equal(env.inputs.minWebservers, source.minWebservers, "cloned");
      assert.equal(env.inputs.maxWebservers, source.maxWebservers, "cloned");
      assert.equal(env.inputs.weeklyMaintenanceWindowStart, "SUN:03:00");
      assert.equal(env.inputs.kmsKey, undefined);
    });

    it("leaves the worker replacement strategy and endpoint management to MWAA, never to the source", () => {
      // The source reports its endpoint management (SERVICE); it belongs to the source's network.
      assert.ok(!("endpointManagement" in env.inputs));
      assert.ok(!("workerReplacementStrategy" in env.inputs));
    });

    it("treats Airflow configuration options as secret, cloned, rewritten and overridden", () => {
      assert.deepEqual(env.secretInputs, ["airflowConfigurationOptions"]);
      const options = env.inputs.airflowConfigurationOptions;
      assert.equal(
        options["secrets.backend"],
        "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
      );
      assert.equal(
        options["secrets.backend_kwargs"],
        source.airflowConfigurationOptions["secrets.backend_kwargs"],
      );
      assert.equal(options["core.default_timezone"], "utc", "config overrides the source's America/New_York");
      assert.equal(options["core.dags_are_paused_at_creation"], "True");
      assert.ok(run.logs.some((l) => /secrets\.backend rewritten/.test(l.message)));
    });

    it("pins requirements and the startup script by S3 object version", () => {
      const requirements = one("aws:s3/bucketObjectv2:BucketObjectv2", "assets-requirements");
      const startup = one("aws:s3/bucketObjectv2:BucketObjectv2", "assets-startup-script");
      assert.equal(requirements.inputs.key, "requirements.txt");
      assert.equal(env.inputs.requirementsS3Path, "requirements.txt");
      assert.match(env.inputs.requirementsS3ObjectVersion, /^[0-9a-f]{32}$/);
      assert.equal(env.inputs.startupScriptS3Path, startup.inputs.key);
      assert.ok(env.inputs.startupScriptS3ObjectVersion);
      assert.equal(env.inputs.pluginsS3Path, undefined, "no plugins.zip configured");
    });

    it("uploads every DAG file under the DAG path before the environment is created", () => {
      const dags = all("aws:s3/bucketObjectv2:BucketObjectv2").filter((o) =>
        o.inputs.key.startsWith("dags/"),
      );
      assert.deepEqual(
        dags.map((o) => o.inputs.key),
        ["dags/daily_sales_report.py"],
      );
      for (const dag of dags)
        assert.ok(env.dependencies?.includes(dag.urn), `${dag.name} before the environment`);
      assert.equal(env.inputs.dagS3Path, "dags");
    });
  });

  describe("grants", () => {
    it("adds a write-only export policy to the source's execution role", () => {
      const grant = one("aws:iam/rolePolicy:RolePolicy", "source-export");
      assert.equal(grant.inputs.role, "AmazonMWAA-legacy-airflow-x1Yz9Q");
      const policy = JSON.parse(grant.inputs.policy);
      assertNoWildcardAllows(policy.Statement, "export grant");
      assert.equal(
        policy.Statement[0].Resource,
        `arn:aws:s3:::${run.outputs.migrationBucketName}/migration/*`,
      );
      assert.deepEqual(policy.Statement[0].Action, ["s3:PutObject", "s3:AbortMultipartUpload"]);
    });

    it("adds a read and decrypt policy to the target's role, with no log read (the deployer copies the logs)", () => {
      const grant = one("aws:iam/rolePolicy:RolePolicy", "target-import");
      const targetRoleName = String(run.outputs.targetExecutionRoleArn).split("/").pop();
      assert.equal(grant.inputs.role, targetRoleName);
      const policy = JSON.parse(grant.inputs.policy);
      assertNoWildcardAllows(policy.Statement, "import grant");
      const actions: string[] = policy.Statement.flatMap((s: { Action: string[] }) => s.Action);
      assert.ok(actions.includes("s3:GetObject"), actions.join());
      assert.deepEqual(
        actions.filter((a) => a.startsWith("logs:")),
        [],
      );
    });
  });

  it("exports what the next stage and a reviewer need", () => {
    assert.equal(run.outputs.stage, "prepare");
    assert.equal(run.outputs.sourceAirflowVersion, "2.8.1");
    assert.match(run.outputs.upgradePath, /in place/);
    assert.equal(
      run.outputs.targetEnvironmentArn,
      `arn:aws:airflow:us-east-1:${MOCK_ACCOUNT}:environment/airflow-2-11`,
    );
    const deployer = JSON.parse(run.outputs.deployerPolicy);
    assertNoWildcardAllows(deployer.Statement, "deployer");
    // The task-log copy runs in the provider, so its log statements are the deployer's.
    const copy = deployer.Statement.find((s: { Sid: string }) => s.Sid === "ReadTaskLogs");
    assert.equal(
      copy.Resource[0],
      `arn:aws:logs:us-east-1:${MOCK_ACCOUNT}:log-group:airflow-legacy-airflow-Task`,
    );
  });
});
