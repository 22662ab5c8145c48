/**
 * Inputs that try to slip past the pack: spellings IAM accepts (case, strings for lists, a single
 * Statement object), wildcards in the middle of an action or a resource, NotPrincipal/NotResource,
 * conditions that look right but admit direct use, Deny statements that must not count, every
 * resource that can carry a policy, @pulumi/aws's split and inline bucket settings, and values the
 * engine does not know yet during a preview.
 */
import * as assert from "assert";
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as p from "./policies";
import { UNKNOWN_DURING_PREVIEW, Violation, resource, runPolicy } from "./test/engine";
import {
  ACCOUNT,
  KEY_ARN,
  MIGRATION_BUCKET,
  PREFIX,
  addToTarget,
  doc,
  goodStack,
  setPolicy,
} from "./test/stackFixture";

type Policy = StackValidationPolicy | ResourceValidationPolicy;
type Stack = ReturnType<typeof goodStack>;

async function stops(policy: Policy, resources: PolicyResource[], expected: RegExp[], config?: object) {
  const found = await runPolicy(policy, resources, config);
  const messages = found.map((v) => v.message).join("\n");
  assert.ok(found.length > 0, `${policy.name} reported nothing`);
  assert.ok(
    found.every((v) => !v.notRun),
    `${policy.name} did not run:\n${messages}`,
  );
  for (const re of expected)
    assert.ok(
      found.some((v) => re.test(v.message)),
      `no match for ${re}:\n${messages}`,
    );
  for (const v of found)
    assert.ok(
      expected.some((re) => re.test(v.message)),
      `unexpected: ${v.message}`,
    );
  return found;
}

async function passes(policy: Policy, resources: PolicyResource[], config?: object) {
  assert.deepStrictEqual(
    (await runPolicy(policy, resources, config)).map((v) => v.message),
    [],
  );
}

/** Adds a statement to the target's execution-role policy (the program's to start with). */
function extraStatement(s: Stack, statement: object): PolicyResource[] {
  const policy = s.byName("target-execution-policy");
  const document = JSON.parse(policy.props.policy);
  document.Statement.push(statement);
  return setPolicy(s, policy.name, document);
}

describe("policy pack: tricky inputs", () => {
  describe("execution roles", () => {
    it("recognises an execution role by its trust, whatever it is called, and rejects NotPrincipal and '*'", async () => {
      const s = goodStack();
      const runner = resource("aws:iam/role:Role", "etl-runner", {
        name: "etl-runner",
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "AIRFLOW-ENV.amazonaws.com" },
              Action: "sts:AssumeRole",
            },
            { Sid: "Anyone", Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" },
            {
              Sid: "AllBut",
              Effect: "Allow",
              NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:user/intern` },
              Action: "sts:AssumeRole",
            },
            // A Deny never widens the trust.
            { Effect: "Deny", Principal: { AWS: "*" }, Action: "sts:AssumeRole" },
          ],
        }),
      });
      await stops(p.executionRoleTrust, addToTarget(s, [runner]), [
        /Role "etl-runner": assumeRolePolicy statement Anyone: lets \* \* assume an MWAA execution role\. Fix: trust only/,
        /Role "etl-runner": assumeRolePolicy statement AllBut: uses NotPrincipal, which lets every principal except AWS arn:aws:iam::111122223333:user\/intern assume/,
      ]);
    });

    it("reads IAM's other spellings: one Statement object, Action as a string, any case, '*:*'", async () => {
      const s = goodStack();
      s.byName("target-execution-role").props.inlinePolicies = [
        {
          name: "odd",
          policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: {
              Sid: "Pass",
              Effect: "Allow",
              Action: "Iam:PASSROLE",
              Resource: "arn:aws:iam::*:role/x",
            },
          }),
        },
        {
          name: "everything",
          policy: { Statement: [{ Sid: "All", Effect: "Allow", Action: ["*:*"], Resource: "*" }] },
        },
      ];
      await stops(p.executionRoleActions, s.resources, [
        /inlinePolicies "odd" statement Pass .*allows iam:PassRole, which lets DAG code hand out permissions/,
        /inlinePolicies "everything" statement All .*grants every action of a service \(\*:\*\)/,
      ]);
    });

    it("stops wildcards in the middle of an action and policy management by wildcard", async () => {
      const s = goodStack();
      extraStatement(s, {
        Sid: "Mid",
        Effect: "Allow",
        Action: ["s3:*Object", "iam:Detach*"],
        Resource: "arn:aws:s3:::target-dags-d4e5f6/*",
      });
      await stops(p.executionRoleActions, s.resources, [
        /statement Mid .*wildcard actions outside MWAA's documented set \(s3:\*Object, iam:Detach\*\); allows iam:DetachRolePolicy, iam:DetachUserPolicy, iam:DetachGroupPolicy/,
      ]);
    });

    it("ignores Deny statements, however broad", async () => {
      const s = goodStack();
      extraStatement(s, { Effect: "Deny", NotAction: "s3:GetObject", Resource: "*" });
      extraStatement(s, { Effect: "Deny", Action: ["*", "kms:*", "iam:PassRole"], Resource: "*" });
      for (const policy of [
        p.executionRoleActions,
        p.executionRoleResourceStar,
        p.executionRoleKmsViaService,
      ]) {
        await passes(policy, s.resources);
      }
    });

    it("follows managedPolicyArns and a PolicyAttachment of a stack policy to the role", async () => {
      const s = goodStack();
      const role = s.byName("target-execution-role");
      role.props.managedPolicyArns = ["arn:aws:iam::aws:policy/PowerUserAccess"];
      const broad = resource("aws:iam/policy:Policy", "ops", {
        arn: `arn:aws:iam::${ACCOUNT}:policy/ops`,
        policy: {
          Version: "2012-10-17",
          Statement: { Sid: "Ops", Effect: "Allow", Action: "SQS:*", Resource: "*" },
        },
      });
      const attach = resource("aws:iam/policyAttachment:PolicyAttachment", "ops-attach", {
        roles: [role.props.name],
        policyArn: broad.props.arn,
      });
      await stops(p.executionRoleActions, addToTarget(s, [broad, attach]), [
        /Role "target-execution-role": policy attachment arn:aws:iam::aws:policy\/PowerUserAccess: attaches the AWS managed policy PowerUserAccess/,
        /Policy "ops" \(on execution role "target-execution-role"\): policy statement Ops .*SQS:\*/,
      ]);
    });

    it('treats ARNs that match every resource like Resource "*"', async () => {
      const s = goodStack();
      extraStatement(s, {
        Sid: "AllBuckets",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: "arn:aws:s3:::*/*",
      });
      extraStatement(s, {
        Sid: "AllLogs",
        Effect: "Allow",
        Action: "logs:GetLogEvents",
        Resource: "arn:aws:logs:*:*:*",
      });
      await stops(p.executionRoleResourceStar, s.resources, [
        /statement AllBuckets .*grants s3:GetObject on Resource "arn:aws:s3:::\*\/\*" \(every resource, as "\*" would\)/,
        /statement AllLogs .*grants logs:GetLogEvents on Resource "arn:aws:logs:\*:\*:\*"/,
      ]);
    });

    it('accepts the documented Resource "*" actions in any case', async () => {
      const s = goodStack();
      extraStatement(s, {
        Effect: "Allow",
        Action: ["CloudWatch:putMetricData", "LOGS:DescribeLogGroups"],
        Resource: ["*"],
      });
      await passes(p.executionRoleResourceStar, s.resources);
    });

    it("does not count a kms:ViaService condition that admits direct use", async () => {
      const s = goodStack();
      const kms = (Sid: string, Condition: object, Action: unknown = "kms:Decrypt") =>
        extraStatement(s, { Sid, Effect: "Allow", Action, Resource: KEY_ARN, Condition });
      kms("Negated", { StringNotEquals: { "kms:ViaService": "lambda.us-east-1.amazonaws.com" } });
      kms("IfExists", { StringLikeIfExists: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } });
      kms("AnyService", { StringLike: { "kms:ViaService": "*" } });
      kms("WildService", {}, "k*:Decrypt");
      await stops(p.executionRoleKmsViaService, s.resources, [
        /statement Negated .*admits direct use/,
        /statement IfExists .*admits direct use/,
        /statement AnyService .*admits direct use/,
        /statement WildService .*without a kms:ViaService condition/,
      ]);
    });

    it("accepts kms:ViaService under ForAnyValue:StringLike and MWAA's NotResource pattern only with a real condition", async () => {
      const s = goodStack();
      extraStatement(s, {
        Effect: "Allow",
        Action: "kms:GenerateDataKey*",
        Resource: KEY_ARN,
        Condition: { "ForAnyValue:StringLike": { "kms:ViaService": ["sqs.us-east-1.amazonaws.com"] } },
      });
      await passes(p.executionRoleKmsViaService, s.resources);
      extraStatement(s, {
        Sid: "Owned",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        NotResource: `arn:aws:kms:*:${ACCOUNT}:key/*`,
        Condition: { StringNotLike: { "kms:ViaService": ["sqs.us-east-1.amazonaws.com"] } },
      });
      await stops(p.executionRoleResourceStar, s.resources, [/statement Owned .*uses NotResource/]);
    });
  });

  describe("migration grants", () => {
    it("stops an export grant that writes through a bucket or prefix wildcard, with a broader write, or with NotResource", async () => {
      const s = goodStack();
      setPolicy(
        s,
        "export-grant",
        doc(
          {
            Sid: "AnyBucket",
            Effect: "Allow",
            Action: "s3:PutObject",
            Resource: `arn:aws:s3:::*/${PREFIX}/*`,
          },
          {
            Sid: "PutAll",
            Effect: "Allow",
            Action: "S3:Put*",
            Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/${PREFIX}/*`,
          },
          {
            Sid: "Not",
            Effect: "Allow",
            Action: "s3:PutObject",
            NotResource: `arn:aws:s3:::${MIGRATION_BUCKET}/x/*`,
          },
          {
            Sid: "Prefixes",
            Effect: "Allow",
            Action: "s3:PutObject",
            Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/${PREFIX}*`,
          },
          // A Deny in the grant narrows it and is not judged.
          { Effect: "Deny", Action: "s3:*", Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/secret/*` },
        ),
      );
      await stops(p.exportGrantWriteOnly, s.resources, [
        /statement AnyBucket .*reaches every bucket its wildcard matches/,
        /statement Prefixes .*migration\* reaches every prefix its wildcard matches, not one prefix/,
        /statement PutAll .*grants S3:Put\*, beyond what the export needs/,
        /statement Not .*uses NotResource/,
      ]);
    });

    it("accepts the export grant written in other spellings", async () => {
      const s = goodStack();
      setPolicy(s, "export-grant", {
        Version: "2012-10-17",
        Statement: {
          Effect: "Allow",
          Action: "S3:PUTOBJECT",
          Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/${PREFIX}/*`,
        },
      });
      await passes(p.exportGrantWriteOnly, s.resources);
    });

    it("stops an import grant that lists without a real prefix condition or reads every task log group", async () => {
      const s = goodStack();
      setPolicy(
        s,
        "import-grant",
        doc(
          {
            Sid: "ListAll",
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: `arn:aws:s3:::${MIGRATION_BUCKET}`,
            Condition: { StringLike: { "s3:prefix": "*" } },
          },
          {
            Sid: "AllTasks",
            Effect: "Allow",
            Action: "logs:GetLogEvents",
            Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:airflow-*-Task:*`,
          },
        ),
      );
      await stops(p.importGrantReadOnly, s.resources, [
        /statement ListAll .*no s3:prefix condition/,
        /statement AllTasks .*is not the source task log group \(airflow-source-Task\)/,
      ]);
    });

    it("stops deletes on the migration bucket from any carrier, through mid-action wildcards and NotAction", async () => {
      const s = goodStack();
      const user = resource("aws:iam/user:User", "operator", {
        name: "operator",
        arn: `arn:aws:iam::${ACCOUNT}:user/operator`,
      });
      const group = resource("aws:iam/group:Group", "operators", { name: "operators" });
      const extra = [
        user,
        group,
        resource("aws:iam/userPolicy:UserPolicy", "operator-tidy", {
          user: "operator",
          policy: doc({ Sid: "Tidy", Effect: "Allow", Action: "S3:*Object", Resource: "*" }),
        }),
        resource("aws:iam/groupPolicy:GroupPolicy", "operators-admin", {
          group: "operators",
          policy: doc({
            Sid: "NotRead",
            Effect: "Allow",
            NotAction: "s3:Get*",
            Resource: `arn:aws:s3:::${MIGRATION_BUCKET}`,
          }),
        }),
        resource("aws:iam/userPolicyAttachment:UserPolicyAttachment", "operator-s3", {
          user: "operator",
          policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess",
        }),
      ];
      await stops(p.migrationBucketNoDelete, addToTarget(s, extra), [
        /UserPolicy "operator-tidy": policy statement Tidy .*allows s3:DeleteObject on the migration bucket/,
        /GroupPolicy "operators-admin": policy statement NotRead .*allows s3:DeleteObject.*s3:PutBucketPublicAccessBlock/,
        /UserPolicyAttachment "operator-s3" \(on user "operator"\): .*AmazonS3FullAccess allows deleting/,
      ]);
    });

    it("does not count a Deny, or a delete whose NotResource leaves the migration bucket out", async () => {
      const s = goodStack();
      const extra = resource("aws:iam/policy:Policy", "cleanup-other", {
        policy: doc(
          { Effect: "Allow", Action: "s3:DeleteObject", NotResource: [`arn:aws:s3:::${MIGRATION_BUCKET}*`] },
          { Effect: "Deny", Action: "s3:Delete*", Resource: "*" },
        ),
      });
      await passes(p.migrationBucketNoDelete, addToTarget(s, [extra]));
    });
  });

  describe("buckets", () => {
    it("accepts the migration bucket built from @pulumi/aws's V2 resources", async () => {
      const s = goodStack();
      const renamed: Record<string, string> = {
        "aws:s3/bucket:Bucket": "aws:s3/bucketV2:BucketV2",
        "aws:s3/bucketVersioning:BucketVersioning": "aws:s3/bucketVersioningV2:BucketVersioningV2",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
          "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
          "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
      };
      const resources = s.resources.map((r) =>
        r.name.startsWith("migration-bucket") && renamed[r.type] ? { ...r, type: renamed[r.type] } : r,
      );
      assert.ok(resources.filter((r) => r.type.includes("V2")).length === 4);
      await passes(p.bucketDataProtection, resources);
      await stops(
        p.bucketDataProtection,
        resources.filter((r) => r.type !== renamed["aws:s3/bucketVersioning:BucketVersioning"]),
        [/Bucket(V2)? "migration-bucket": versioning: is not enabled/],
      );
    });

    it("reads a bucket's inline settings: versioning, encryption, lifecycle rules and policy", async () => {
      const s = goodStack();
      const bucket = s.byName("migration-bucket");
      Object.assign(bucket.props, {
        versioning: { enabled: true },
        serverSideEncryptionConfiguration: {
          rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN } },
        },
        lifecycleRules: [
          { enabled: true, expiration: { days: 14 }, noncurrentVersionExpiration: { days: 14 } },
        ],
        policy: s.byName("migration-bucket-tls").props.policy,
      });
      const split = ["versioning", "sse", "lifecycle", "tls"].map((x) => `migration-bucket-${x}`);
      const inline = s.resources.filter((r) => !split.includes(r.name));
      await passes(p.bucketDataProtection, inline);
      bucket.props.lifecycleRules = [{ enabled: true, expiration: { expiredObjectDeleteMarker: true } }];
      await stops(p.bucketDataProtection, inline, [
        /Bucket "migration-bucket": lifecycle: has no enabled rule that expires objects or noncurrent versions/,
      ]);
    });

    it("stops a TLS rule that denies the wrong thing and a lifecycle that keeps noncurrent versions", async () => {
      const s = goodStack();
      const tls = s.byName("migration-bucket-tls");
      tls.props.policy = tls.props.policy.replace('"false"', '"true"');
      s.byName("migration-bucket-lifecycle").props.rules = [
        { id: "expire", status: "Enabled", expiration: { days: 30 } },
        { id: "old", status: "Disabled", noncurrentVersionExpiration: { noncurrentDays: 1 } },
      ];
      await stops(p.bucketDataProtection, s.resources, [
        /Bucket "migration-bucket": bucket policy: does not deny requests without TLS/,
        /Bucket "migration-bucket": lifecycle: has no enabled rule that expires noncurrent versions/,
      ]);
    });
  });

  describe("environments", () => {
    it("compares log levels case-insensitively and stops one below INFO", async () => {
      const s = goodStack();
      const target = s.byName("target");
      const logging = (taskLogs: object) => ({ ...target.props.loggingConfiguration, taskLogs });
      target.props.loggingConfiguration = logging({ enabled: true, logLevel: "debug" });
      await passes(p.environmentLogging, s.resources);
      target.props.loggingConfiguration = logging({ enabled: true, logLevel: "ERROR" });
      await stops(p.environmentLogging, s.resources, [
        /Environment "target": loggingConfiguration.taskLogs.logLevel: is ERROR/,
      ]);
    });

    it("finds a role shared by dependency when its ARN is not known yet", async () => {
      const s = goodStack();
      const role = s.byName("target-execution-role");
      const clone = resource(
        "aws:mwaa/environment:Environment",
        "clone",
        { ...s.byName("target").props, name: "clone", executionRoleArn: UNKNOWN_DURING_PREVIEW },
        { deps: { executionRoleArn: [role] } },
      );
      s.byName("target").props.executionRoleArn = UNKNOWN_DURING_PREVIEW;
      await stops(p.executionRoleNotShared, addToTarget(s, [clone]), [
        /Environment "target": executionRoleArn: .* is also the execution role of "clone"/,
        /Environment "clone": executionRoleArn: .* is also the execution role of "target"/,
      ]);
    });
  });

  describe("values unknown during preview", () => {
    /** A first preview: every ARN and every document built from one is not known yet. */
    function firstPreview(): Stack {
      const s = goodStack();
      const unknown = (name: string, ...props: string[]) => {
        for (const prop of props) s.byName(name).props[prop] = UNKNOWN_DURING_PREVIEW;
      };
      unknown("migration-key", "arn", "keyId");
      unknown("target-execution-role", "arn");
      unknown("target-execution-policy", "policy");
      for (const bucket of ["migration-bucket", "target-dags"]) {
        unknown(bucket, "arn", "id");
        unknown(`${bucket}-tls`, "policy");
        s.byName(`${bucket}-sse`).props.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId =
          UNKNOWN_DURING_PREVIEW;
      }
      unknown("target", "executionRoleArn", "sourceBucketArn");
      unknown("export-grant", "policy");
      unknown("import-grant", "policy");
      return s;
    }

    it("reports no violation that is not there: each policy passes or says it could not run", async () => {
      const s = firstPreview();
      for (const policy of p.allPolicies) {
        const found: Violation[] = await runPolicy(policy, s.resources);
        assert.ok(
          found.every((v) => v.notRun),
          `${policy.name}: ${found.map((v) => v.message).join("\n")}`,
        );
      }
    });

    it("a policy that judged everything it needed passes without an advisory", async () => {
      await passes(p.environmentLogging, firstPreview().resources);
      await passes(p.executionRoleTrust, firstPreview().resources);
      // The role's ARN is not known, but the engine says which resource it comes from.
      await passes(p.executionRoleNotShared, firstPreview().resources);
    });

    it("an execution role ARN not known and not linked to its resource leaves the shared-role check not run", async () => {
      const s = firstPreview();
      s.byName("target").propertyDependencies = {};
      const [found] = await runPolicy(p.executionRoleNotShared, s.resources);
      assert.ok(found?.notRun, JSON.stringify(found));
    });

    it("a policy that had to skip an unknown document says it could not run rather than passing", async () => {
      const [found] = await runPolicy(p.exportGrantWriteOnly, firstPreview().resources);
      assert.ok(found?.notRun);
      assert.match(found.message, /can't run policy 'migration-export-grant-write-only' during preview/);
    });

    it("stops a violation among known values although other values are unknown", async () => {
      const s = firstPreview();
      s.byName("target-execution-role").props.inlinePolicies = [
        { name: "known", policy: doc({ Sid: "Everything", Effect: "Allow", Action: "*", Resource: "*" }) },
      ];
      await stops(p.executionRoleActions, s.resources, [
        /inlinePolicies "known" statement Everything .*grants every action/,
      ]);
      s.byName("migration-bucket-pab").props.blockPublicPolicy = false;
      await stops(p.bucketDataProtection, s.resources, [
        /Bucket "migration-bucket": public access block: does not set blockPublicPolicy/,
      ]);
    });
  });
});
