import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { PolicyResource } from "@pulumi/policy";
import * as p from "./policies";
import {
  crossAccountExportStatements,
  executionRolePolicy,
  migrationBucketPolicy,
  migrationKeyPolicy,
} from "../rules/permissions";
import { webLoginPolicy } from "../rules/webUiAccess";
import { resource, runPolicy, runResourcePolicy } from "./test/engine";
import {
  ACCOUNT,
  DAG_BUCKET,
  KEY_ARN,
  MIGRATION_BUCKET,
  PREFIX,
  REGION,
  addToTarget,
  doc,
  documentedExecutionPolicy,
  goodStack,
  setPolicy,
  withStatement,
} from "./test/stackFixture";

type Stack = ReturnType<typeof goodStack>;

interface Case {
  title: string;
  change(stack: Stack): PolicyResource[];
  config?: object;
  /** Every violation message must match one of these, and each must be matched. */
  expect: RegExp[];
  /** The URN the (first) violation must name, by logical name. */
  urnOf?: string;
}

const targetRole = (s: Stack) => s.byName("target-execution-role");

const withSqsWildcard = (s: Stack) =>
  setPolicy(
    s,
    "target-execution-policy",
    withStatement(s, { Effect: "Allow", Action: "sqs:Send*", Resource: "arn:aws:sqs:*:*:airflow-celery-*" }),
  );

/** The stack with some of the target environment's log settings changed. */
function withLogging(s: Stack, changes: Record<string, unknown>): PolicyResource[] {
  const env = s.byName("target");
  env.props.loggingConfiguration = { ...env.props.loggingConfiguration, ...changes };
  return s.resources;
}

function targetReusesSourceRole(s: Stack): PolicyResource[] {
  const target = s.byName("target");
  target.props.executionRoleArn = s.byName("source").props.executionRoleArn;
  target.propertyDependencies = {};
  return s.resources;
}

/** The stack with some of the target environment's inputs changed. */
function withTarget(s: Stack, changes: Record<string, unknown>): PolicyResource[] {
  Object.assign(s.byName("target").props, changes);
  return s.resources;
}

/** The target runs as a role that any AWS principal may assume. */
function targetTrustedByAnyone(s: Stack): PolicyResource[] {
  targetRole(s).props.assumeRolePolicy = doc({
    Sid: "Anyone",
    Effect: "Allow",
    Principal: { AWS: "*" },
    Action: "sts:AssumeRole",
  });
  return s.resources;
}

/**
 * A log read on the import grant, on the task log group of `environment`. The program's grant reads no log
 * (the deployer copies the task logs); the pack still accepts a read of the source's task log group.
 */
function importReadsLogsOf(s: Stack, environment: string): PolicyResource[] {
  return setPolicy(
    s,
    "import-grant",
    doc({
      Sid: "ReadTaskLogs",
      Effect: "Allow",
      Action: ["logs:GetLogEvents", "logs:DescribeLogStreams"],
      Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:airflow-${environment}-Task:*`,
    }),
  );
}

/**
 * A self-managed source: the stack reads no environment and adds no export grant. Besides the target
 * it creates a second environment (say, for a rehearsal) that the import grant is not on.
 */
function selfManagedWithSecondEnvironment(s: Stack): PolicyResource[] {
  const target = s.byName("target");
  const rehearsal = resource(
    "aws:mwaa/environment:Environment",
    "rehearsal",
    { ...target.props, name: "rehearsal", executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/rehearsal-role` },
    { deps: { sourceBucketArn: target.propertyDependencies.sourceBucketArn } },
  );
  return [...s.resources.filter((r) => r.name !== "source" && r.name !== "export-grant"), rehearsal];
}

/** The stack creates the target with a role made elsewhere, given by ARN; the grants name roles by name. */
function targetWithOutsideRole(s: Stack): PolicyResource[] {
  const target = s.byName("target");
  target.props.executionRoleArn = `arn:aws:iam::${ACCOUNT}:role/target-execution-role-7c1`;
  target.propertyDependencies = { sourceBucketArn: target.propertyDependencies.sourceBucketArn };
  const importGrant = s.byName("import-grant");
  importGrant.propertyDependencies = {};
  return s.resources.filter(
    (r) => r.name !== "target-execution-role" && r.name !== "target-execution-policy",
  );
}

/** The stack reads a second environment besides the source (e.g. to compare settings). */
function readsSecondEnvironment(s: Stack): PolicyResource[] {
  const source = s.byName("source");
  const reference = resource("aws:mwaa/environment:Environment", "reference", {
    ...source.props,
    name: "reference",
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/reference-execution-role`,
  });
  return [...s.resources, reference];
}

const secretArn = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}`;

/** The target's execution policy as the program writes it for a Secrets Manager backend. */
const withBackendSecrets = (s: Stack, namePrefixes: string[]) =>
  setPolicy(
    s,
    "target-execution-policy",
    executionRolePolicy({
      region: REGION,
      account: ACCOUNT,
      environmentName: "target",
      dagBucketName: DAG_BUCKET,
      kmsKeyArn: KEY_ARN,
      secretsBackend: { namePrefixes, kmsKeyArn: KEY_ARN },
    }),
  );

const withSecretsStatement = (s: Stack, statement: object) =>
  setPolicy(s, "target-execution-policy", withStatement(s, { Effect: "Allow", ...statement }));

/** The program's UI policy for `role` on the target, on a carrier of the kind the program uses for `principal`. */
function webLogin(
  carrierType: "RolePolicy" | "UserPolicy" | "GroupPolicy",
  principal: string,
  role: string,
  policy: object = webLoginPolicy({ region: REGION, account: ACCOUNT }, "target", role),
): PolicyResource {
  const prop = { RolePolicy: "role", UserPolicy: "user", GroupPolicy: "group" }[carrierType];
  return resource(`aws:iam/${prop}Policy:${carrierType}`, `web-ui-${principal}`, {
    name: "target-web-ui",
    [prop]: principal,
    policy: JSON.stringify(policy),
  });
}

/** The source's execution role, in an account of its own. */
const SOURCE_ROLE = "arn:aws:iam::999988887777:role/source-execution-role";
const CROSS_BUNDLE = { bucketName: MIGRATION_BUCKET, prefix: PREFIX, keyArn: KEY_ARN };

/** The migration bucket's and key's policies as the program writes them for a source in another account. */
function sourceWritesAcrossAccounts(s: Stack): PolicyResource[] {
  s.byName("source").props.executionRoleArn = SOURCE_ROLE;
  const writer = crossAccountExportStatements(CROSS_BUNDLE, SOURCE_ROLE);
  setPolicy(s, "migration-bucket-tls", migrationBucketPolicy(MIGRATION_BUCKET, KEY_ARN, writer.bucket));
  return setPolicy(s, "migration-key", migrationKeyPolicy("aws", ACCOUNT, writer.key));
}

/** The cross-account stack with one more statement in the bucket's (or the key's) policy. */
function withResourceStatement(s: Stack, on: "migration-bucket-tls" | "migration-key", statement: object) {
  sourceWritesAcrossAccounts(s);
  const current = JSON.parse(s.byName(on).props.policy) as { Statement: object[] };
  return setPolicy(s, on, { ...current, Statement: [...current.Statement, statement] });
}

const cases: Record<string, { policy: (typeof p.allPolicies)[number]; failing: Case[]; passing: Case[] }> = {
  "mwaa-execution-role-trust": {
    policy: p.executionRoleTrust,
    failing: [
      {
        title: "a second principal may assume the execution role",
        change: (s) => {
          targetRole(s).props.assumeRolePolicy = doc({
            Sid: "Shared",
            Effect: "Allow",
            Principal: {
              Service: ["airflow.amazonaws.com", "ec2.amazonaws.com"],
              AWS: `arn:aws:iam::${ACCOUNT}:root`,
            },
            Action: "sts:AssumeRole",
          });
          return s.resources;
        },
        expect: [
          /Role "target-execution-role": assumeRolePolicy statement Shared: lets Service ec2.amazonaws.com, AWS arn:aws:iam::111122223333:root assume .* Fix: trust only/,
        ],
        urnOf: "target-execution-role",
      },
      {
        title: "the role an environment runs as is trusted by any AWS principal",
        change: targetTrustedByAnyone,
        expect: [
          /Role "target-execution-role": assumeRolePolicy statement Anyone: lets AWS \* assume an MWAA execution role\. Fix: trust only/,
        ],
        urnOf: "target-execution-role",
      },
      {
        title: "a role no environment uses is trusted by every principal",
        change: (s) =>
          addToTarget(s, [
            resource("aws:iam/role:Role", "helper-role", {
              name: "helper-role",
              assumeRolePolicy: doc(
                { Sid: "Everyone", Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" },
                {
                  Sid: "AllButOne",
                  Effect: "Allow",
                  NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:user/intern` },
                  Action: "sts:AssumeRole",
                  Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } },
                },
              ),
            }),
          ]),
        expect: [
          /Role "helper-role": assumeRolePolicy statement Everyone: lets every principal \(\*\) assume this role\. Fix: name the principals/,
          /Role "helper-role": assumeRolePolicy statement AllButOne: lets every principal except AWS arn:aws:iam::111122223333:user\/intern assume this role\. Fix: name the principals/,
        ],
        urnOf: "helper-role",
      },
    ],
    passing: [
      {
        title: "the program's trust policy, for this environment in this account",
        change: (s) => s.resources,
        expect: [],
      },
      {
        title: "a role MWAA cannot assume is not an execution role",
        change: (s) =>
          addToTarget(s, [
            resource("aws:iam/role:Role", "lambda-role", {
              assumeRolePolicy: doc({
                Effect: "Allow",
                Principal: { Service: "lambda.amazonaws.com" },
                Action: "sts:AssumeRole",
              }),
              inlinePolicies: [{ name: "all", policy: doc({ Effect: "Allow", Action: "*", Resource: "*" }) }],
            }),
          ]),
        expect: [],
      },
    ],
  },
  "mwaa-execution-role-actions": {
    policy: p.executionRoleActions,
    failing: [
      {
        title: "a service-wide wildcard, in mixed case, in a RolePolicy",
        change: (s) =>
          setPolicy(
            s,
            "target-execution-policy",
            withStatement(s, { Sid: "Everything", Effect: "Allow", Action: "S3:*", Resource: "*" }),
          ),
        expect: [
          /RolePolicy "target-execution-policy" \(on execution role "target-execution-role"\): policy statement Everything .*grants every action of a service \(S3:\*\).* Fix: name each action/,
        ],
        urnOf: "target-execution-policy",
      },
      {
        title: "Allow with NotAction in a role's inline policy given as an object",
        change: (s) => {
          targetRole(s).props.inlinePolicies = [
            {
              name: "not-iam",
              policy: {
                Version: "2012-10-17",
                Statement: { Effect: "Allow", NotAction: "iam:*", Resource: "*" },
              },
            },
          ];
          return s.resources;
        },
        expect: [/Role "target-execution-role": inlinePolicies "not-iam" statement #1 .*NotAction/],
      },
      {
        title: "iam:PassRole and a policy-management wildcard in an attached aws.iam.Policy",
        change: (s) => {
          const policy = resource("aws:iam/policy:Policy", "extra", {
            arn: `arn:aws:iam::${ACCOUNT}:policy/extra`,
            policy: doc(
              { Sid: "Pass", Effect: "Allow", Action: "iam:passrole", Resource: "*" },
              { Sid: "Manage", Effect: "Allow", Action: "iam:Put*Policy", Resource: "*" },
            ),
          });
          const attach = resource(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "extra-attach",
            { role: targetRole(s).props.name, policyArn: policy.props.arn },
            { deps: { role: [targetRole(s)], policyArn: [policy] } },
          );
          return addToTarget(s, [policy, attach]);
        },
        expect: [
          /Policy "extra" \(on execution role "target-execution-role"\): policy statement Pass .*allows iam:PassRole/,
          /statement Manage .*iam:Put\*Policy.*iam:PutRolePolicy/,
        ],
      },
      {
        title: "AdministratorAccess attached to the execution role",
        change: (s) =>
          addToTarget(s, [
            resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "admin", {
              role: targetRole(s).props.name,
              policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
            }),
          ]),
        expect: [
          /RolePolicyAttachment "admin" \(on execution role "target-execution-role"\): policy attachment arn:aws:iam::aws:policy\/AdministratorAccess: attaches the AWS managed policy AdministratorAccess/,
        ],
        urnOf: "admin",
      },
      {
        title: "a policy the stack adds to the source environment's role, which lives outside the stack",
        change: (s) =>
          addToTarget(s, [
            resource("aws:iam/rolePolicy:RolePolicy", "source-extra", {
              role: "source-execution-role",
              policy: doc({
                Sid: "Broad",
                Effect: "Allow",
                Action: "s3:*",
                Resource: "arn:aws:s3:::source-dags/*",
              }),
            }),
          ]),
        expect: [
          /RolePolicy "source-extra" \(on execution role "source-execution-role"\): policy statement Broad .*s3:\*/,
        ],
        urnOf: "source-extra",
      },
      {
        title: "the policies of the role an environment runs as, whatever its trust policy says",
        change: (s) => {
          targetTrustedByAnyone(s);
          return setPolicy(
            s,
            "target-execution-policy",
            withStatement(s, { Sid: "AllOfS3", Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::*" }),
          );
        },
        expect: [
          /RolePolicy "target-execution-policy" \(on execution role "target-execution-role"\): policy statement AllOfS3 .*grants every action of a service \(s3:\*\)/,
        ],
        urnOf: "target-execution-policy",
      },
      {
        title: "an undocumented partial wildcard",
        change: withSqsWildcard,
        expect: [/wildcard actions outside MWAA's documented set \(sqs:Send\*\)/],
      },
    ],
    passing: [
      { title: "the program's execution-role policy", change: (s) => s.resources, expect: [] },
      {
        title: "MWAA's documented policy, with its wildcards",
        change: (s) => setPolicy(s, "target-execution-policy", documentedExecutionPolicy()),
        expect: [],
      },
      {
        title: "an extra wildcard the config allows",
        change: withSqsWildcard,
        config: { extraAllowedWildcardActions: ["sqs:Send*"] },
        expect: [],
      },
      {
        title: "a role the config exempts",
        change: (s) =>
          setPolicy(
            s,
            "target-execution-policy",
            withStatement(s, { Effect: "Allow", Action: "*", Resource: "*" }),
          ),
        config: { exemptRoles: ["target-execution-role"] },
        expect: [],
      },
    ],
  },
  "mwaa-execution-role-resource-star": {
    policy: p.executionRoleResourceStar,
    failing: [
      {
        title: 's3:GetObject on Resource "*"',
        change: (s) =>
          setPolicy(
            s,
            "target-execution-policy",
            withStatement(s, {
              Sid: "ReadAll",
              Effect: "Allow",
              Action: ["s3:GetObject", "cloudwatch:PutMetricData"],
              Resource: "*",
            }),
          ),
        expect: [/statement ReadAll .*grants s3:GetObject on Resource "\*"; MWAA documents/],
      },
      {
        title: "NotResource outside the KMS pattern",
        change: (s) =>
          setPolicy(
            s,
            "target-execution-policy",
            withStatement(s, {
              Sid: "Not",
              Effect: "Allow",
              Action: "sqs:SendMessage",
              NotResource: "arn:aws:sqs:*:*:private",
            }),
          ),
        expect: [/statement Not .*uses NotResource/],
      },
    ],
    passing: [
      {
        title: "MWAA's AWS-owned-key pattern (kms NotResource with kms:ViaService)",
        change: (s) =>
          setPolicy(
            s,
            "target-execution-policy",
            withStatement(s, {
              Effect: "Allow",
              Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
              NotResource: `arn:aws:kms:*:${ACCOUNT}:key/*`,
              Condition: { StringLike: { "kms:ViaService": ["sqs.us-east-1.amazonaws.com"] } },
            }),
          ),
        expect: [],
      },
    ],
  },
  "mwaa-execution-role-kms-via-service": {
    policy: p.executionRoleKmsViaService,
    failing: [
      {
        title: "KMS without kms:ViaService",
        change: (s) =>
          setPolicy(
            s,
            "target-execution-policy",
            withStatement(s, { Sid: "RawKms", Effect: "Allow", Action: "KMS:Decrypt", Resource: KEY_ARN }),
          ),
        expect: [/statement RawKms .*without a kms:ViaService condition.* Fix: add Condition/],
      },
    ],
    passing: [
      {
        title: "KMS through S3 only, conditioned with StringEquals",
        change: (s) =>
          setPolicy(
            s,
            "target-execution-policy",
            withStatement(s, {
              Effect: "Allow",
              Action: "kms:Decrypt",
              Resource: KEY_ARN,
              Condition: { StringEquals: { "KMS:ViaService": "s3.us-east-1.amazonaws.com" } },
            }),
          ),
        expect: [],
      },
    ],
  },
  "migration-export-grant-write-only": {
    policy: p.exportGrantWriteOnly,
    failing: [
      {
        title: "the export grant can read and reaches the whole bucket",
        change: (s) =>
          setPolicy(
            s,
            "export-grant",
            doc({
              Sid: "Too",
              Effect: "Allow",
              Action: ["s3:PutObject", "s3:GetObject"],
              Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/*`,
            }),
          ),
        expect: [
          /RolePolicy "export-grant": policy statement Too .*grants s3:GetObject, beyond what the export needs; .*covers the whole bucket.* Fix: the export grant is write-only/,
        ],
        urnOf: "export-grant",
      },
      {
        title: "the export grant writes to another bucket",
        change: (s) =>
          setPolicy(
            s,
            "export-grant",
            doc({
              Effect: "Allow",
              Action: "s3:PutObject",
              Resource: `arn:aws:s3:::${DAG_BUCKET}/${PREFIX}/*`,
            }),
          ),
        expect: [/outside the migration bucket/],
      },
      {
        title: "the export grant outside the configured prefix",
        change: (s) => s.resources,
        config: { migrationPrefix: "bundles" },
        expect: [/is outside the prefix bundles\//],
      },
    ],
    passing: [
      {
        title: "tagging the bundle, an extra action the config allows",
        change: (s) =>
          setPolicy(
            s,
            "export-grant",
            doc({
              Effect: "Allow",
              Action: ["s3:PutObject", "s3:PutObjectTagging"],
              Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/${PREFIX}/*`,
            }),
          ),
        config: { extraExportActions: ["s3:PutObjectTagging"], migrationPrefix: PREFIX },
        expect: [],
      },
    ],
  },
  "migration-bucket-source-writer-only": {
    policy: p.migrationResourcePolicies,
    failing: [
      {
        title: "the bucket policy lets everyone read the bundle",
        change: (s) =>
          withResourceStatement(s, "migration-bucket-tls", {
            Sid: "PublicRead",
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/${PREFIX}/*`,
          }),
        expect: [
          /BucketPolicy "migration-bucket-tls": policy statement PublicRead .*allows every principal; allows s3:GetObject, beyond the bundle's writes\. Fix: let the bucket's and key's policies name only the source's execution role/,
        ],
        urnOf: "migration-bucket-tls",
      },
      {
        title: "the source's role may also read and delete through the bucket policy",
        change: (s) =>
          withResourceStatement(s, "migration-bucket-tls", {
            Sid: "SourceReads",
            Effect: "Allow",
            Principal: { AWS: SOURCE_ROLE },
            Action: ["s3:GetObject", "s3:DeleteObject"],
            Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/*`,
          }),
        expect: [
          /SourceReads .*allows s3:GetObject, s3:DeleteObject, beyond the bundle's writes; .*covers the whole bucket/,
        ],
      },
      {
        title: "another account's role writes the bundle",
        change: (s) =>
          withResourceStatement(s, "migration-bucket-tls", {
            Sid: "Stranger",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::444455556666:role/elsewhere" },
            Action: "s3:PutObject",
            Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/${PREFIX}/*`,
          }),
        expect: [
          /Stranger .*allows AWS arn:aws:iam::444455556666:role\/elsewhere, which is not the source's execution role/,
        ],
      },
      {
        title: "the key policy lets the source's role use the key outside S3, and another account manage it",
        change: (s) => {
          withResourceStatement(s, "migration-key", {
            Sid: "DirectUse",
            Effect: "Allow",
            Principal: { AWS: SOURCE_ROLE },
            Action: "kms:Decrypt",
            Resource: "*",
          });
          const current = JSON.parse(s.byName("migration-key").props.policy) as { Statement: object[] };
          return setPolicy(s, "migration-key", {
            ...current,
            Statement: [
              ...current.Statement,
              {
                Sid: "OtherRoot",
                Effect: "Allow",
                Principal: { AWS: "arn:aws:iam::444455556666:root" },
                Action: "kms:*",
                Resource: "*",
              },
            ],
          });
        },
        expect: [
          /Key "migration-key": policy statement DirectUse .*lets the key be used outside S3 \(no kms:ViaService condition\)/,
          /OtherRoot .*allows the account arn:aws:iam::444455556666:root, not one role; allows kms:\*, beyond the bundle's writes/,
        ],
      },
      {
        title: "the key policy hands the key to the source's whole account",
        change: (s) =>
          withResourceStatement(s, "migration-key", {
            Sid: "SourceAccount",
            Effect: "Allow",
            Principal: { AWS: "999988887777" },
            Action: ["kms:GenerateDataKey"],
            Resource: "*",
            Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
          }),
        expect: [/SourceAccount .*allows the account 999988887777, not one role\./],
      },
    ],
    passing: [
      {
        title: "one account: the bucket and key policies allow no one",
        change: (s) => s.resources,
        expect: [],
      },
      {
        title: "a source in another account: its role writes the bundle as its export grant says",
        change: sourceWritesAcrossAccounts,
        expect: [],
      },
    ],
  },
  "migration-import-grant-read-only": {
    policy: p.importGrantReadOnly,
    failing: [
      {
        title: "the import grant can write and lists the whole bucket",
        change: (s) =>
          setPolicy(
            s,
            "import-grant",
            doc(
              {
                Sid: "Write",
                Effect: "Allow",
                Action: "s3:PutObject",
                Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/${PREFIX}/*`,
              },
              {
                Sid: "List",
                Effect: "Allow",
                Action: "s3:ListBucket",
                Resource: `arn:aws:s3:::${MIGRATION_BUCKET}`,
              },
            ),
          ),
        expect: [
          /statement Write .*lets the import write bundle objects, not only its import-report.json.* Fix: the import grant is read-only but for its report/,
          /statement List .*no s3:prefix condition/,
        ],
      },
      {
        title: "the import grant's report write reaches a manifest, or shares a statement with reads",
        change: (s) =>
          setPolicy(
            s,
            "import-grant",
            doc(
              {
                Sid: "Manifest",
                Effect: "Allow",
                Action: "s3:PutObject",
                Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/${PREFIX}/*/manifest.json`,
              },
              {
                Sid: "ReadAndReport",
                Effect: "Allow",
                Action: ["s3:GetObject", "S3:putObject"],
                Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/${PREFIX}/*/import-report.json`,
              },
            ),
          ),
        expect: [
          /statement Manifest .*manifest.json lets the import write bundle objects, not only its import-report.json/,
          /statement ReadAndReport .*s3:PutObject shares a statement with other actions/,
        ],
      },
      {
        title: "the import grant reads the target's own task logs",
        change: (s) =>
          setPolicy(
            s,
            "import-grant",
            doc({
              Sid: "Logs",
              Effect: "Allow",
              Action: "logs:GetLogEvents",
              Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:airflow-target-Task:*`,
            }),
          ),
        expect: [/statement Logs .*is not the source task log group \(airflow-source-Task\)/],
      },
      {
        title:
          "the import grant reads the task logs of an environment the stack creates with a role from outside it",
        change: (s) => {
          importReadsLogsOf(s, "target");
          return targetWithOutsideRole(s);
        },
        expect: [
          /statement ReadTaskLogs .*airflow-target-Task:\* is not the source task log group \(airflow-source-Task\)/,
        ],
      },
      {
        title:
          "the stack reads two environments and the import grant reads the one the export grant is not on",
        change: (s) => {
          importReadsLogsOf(s, "reference");
          return readsSecondEnvironment(s);
        },
        expect: [
          /statement ReadTaskLogs .*airflow-reference-Task:\* is not the source task log group \(airflow-source-Task\)/,
        ],
      },
      {
        title:
          "no environment is read and no export grant names one: a log read says it could not tell which is the source",
        change: (s) => {
          importReadsLogsOf(s, "source");
          return selfManagedWithSecondEnvironment(s);
        },
        expect: [
          /statement ReadTaskLogs .*could not tell which environment is the source: the stack reads no MWAA environment, sourceTaskLogGroup is not set, and no export grant is on an environment's role\..* Fix: .*set sourceTaskLogGroup/,
        ],
      },
      {
        title: "with no source to compare with, a read of the task logs of an environment the stack creates",
        change: (s) => {
          importReadsLogsOf(s, "rehearsal");
          return selfManagedWithSecondEnvironment(s);
        },
        expect: [
          /statement ReadTaskLogs .*airflow-rehearsal-Task:\* is the task log group of "rehearsal", an environment this stack creates/,
        ],
      },
    ],
    passing: [
      {
        title: "the program's import grant beside a self-managed source: it reads no log, so nothing to tell",
        change: selfManagedWithSecondEnvironment,
        expect: [],
      },
      {
        title:
          "a log read on a self-managed source's task log group, which the config names, beside a second environment the stack creates",
        change: (s) => {
          importReadsLogsOf(s, "source");
          return selfManagedWithSecondEnvironment(s);
        },
        config: { sourceTaskLogGroup: "airflow-source-Task" },
        expect: [],
      },
      {
        title: "a log read on the source's task log group, the stack reading the source",
        change: (s) => importReadsLogsOf(s, "source"),
        expect: [],
      },
      {
        title: "the stack creates the target with a role from outside it and reads the source",
        change: targetWithOutsideRole,
        expect: [],
      },
      {
        title: "the stack reads two environments; the export grant's role says which is the source",
        change: readsSecondEnvironment,
        expect: [],
      },
    ],
  },
  "migration-bucket-no-delete": {
    policy: p.migrationBucketNoDelete,
    failing: [
      {
        title: "a wildcard on any role reaches the migration bucket",
        change: (s) =>
          addToTarget(s, [
            resource("aws:iam/policy:Policy", "ops-cleanup", {
              policy: doc({
                Sid: "Cleanup",
                Effect: "Allow",
                Action: "s3:Delete*",
                Resource: "arn:aws:s3:::mwaa-migration-*/*",
              }),
            }),
          ]),
        expect: [
          /Policy "ops-cleanup": policy statement Cleanup .*allows s3:DeleteObject, s3:DeleteObjectVersion.* on the migration bucket mwaa-migration-bundle-a1b2c3.* Fix: drop delete/,
        ],
        urnOf: "ops-cleanup",
      },
      {
        title: "the migration bucket's own policy lets another account delete",
        change: (s) => {
          const tls = s.byName("migration-bucket-tls");
          const d = JSON.parse(tls.props.policy);
          d.Statement.push({
            Sid: "PartnerCleanup",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::444455556666:root" },
            Action: "s3:DeleteObjectVersion",
            Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/*`,
          });
          tls.props.policy = JSON.stringify(d);
          return s.resources;
        },
        expect: [
          /BucketPolicy "migration-bucket-tls": policy statement PartnerCleanup .*allows s3:DeleteObjectVersion/,
        ],
        urnOf: "migration-bucket-tls",
      },
      {
        title: "AmazonS3FullAccess on a role in the stack",
        change: (s) =>
          addToTarget(s, [
            resource("aws:iam/policyAttachment:PolicyAttachment", "s3-full", {
              roles: [targetRole(s).props.name],
              policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess",
            }),
          ]),
        expect: [
          /PolicyAttachment "s3-full" \(on role "target-execution-role"\): .*AmazonS3FullAccess allows deleting/,
        ],
      },
    ],
    passing: [
      {
        title: "deletes scoped to another bucket, and a Deny of deletes everywhere",
        change: (s) =>
          addToTarget(s, [
            resource("aws:iam/policy:Policy", "scratch-cleanup", {
              policy: doc(
                { Effect: "Allow", Action: "s3:DeleteObject", Resource: "arn:aws:s3:::scratch-space/*" },
                { Effect: "Deny", Action: "s3:Delete*", Resource: "*" },
              ),
            }),
          ]),
        expect: [],
      },
    ],
  },
  "migration-grants-removed-after-complete": {
    policy: p.grantsRemovedAfterComplete,
    failing: [
      {
        title: "grants remain at stage complete (from the stage tag)",
        change: (s) => {
          s.byName("target").props.tags = { "mwaa-migration:stage": "complete" };
          return s.resources;
        },
        expect: [
          /RolePolicy "export-grant": policy: is a migration grant that still exists/,
          /RolePolicy "import-grant"/,
        ],
      },
    ],
    passing: [
      {
        title: "grants at stage cutover (from config)",
        change: (s) => s.resources,
        config: { stage: "cutover" },
        expect: [],
      },
      {
        title: "no grants at stage complete",
        change: (s) => s.resources.filter((r) => !r.name.endsWith("-grant")),
        config: { stage: "complete" },
        expect: [],
      },
    ],
  },
  "migration-bucket-data-protection": {
    policy: p.bucketDataProtection,
    failing: [
      {
        title: "the migration bucket has none of its protections",
        change: (s) => s.resources.filter((r) => !r.name.startsWith("migration-bucket-")),
        expect: [
          /Bucket "migration-bucket": versioning: is not enabled \(the migration bucket\)/,
          /server-side encryption: is not SSE-KMS/,
          /public access block: does not set blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets/,
          /bucket policy: does not deny requests without TLS/,
          /lifecycle: has no enabled rule/,
        ],
        urnOf: "migration-bucket",
      },
      {
        title: "the migration bucket uses the AWS managed key and one public-access flag is off",
        change: (s) => {
          const sse = s.byName("migration-bucket-sse");
          sse.props.rules = [
            {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "alias/aws/s3" },
            },
          ];
          sse.propertyDependencies = { bucket: sse.propertyDependencies.bucket };
          s.byName("migration-bucket-pab").props.restrictPublicBuckets = false;
          return s.resources;
        },
        expect: [/does not use a customer managed KMS key/, /does not set restrictPublicBuckets/],
      },
      {
        title: "the environment's DAG bucket is not versioned (inline settings are read too)",
        change: (s) => {
          s.byName("target-dags").props.versioning = { enabled: false };
          return s.resources.filter((r) => r.name !== "target-dags-versioning");
        },
        expect: [/Bucket "target-dags": versioning: is not enabled \(an environment's DAG bucket\)/],
      },
    ],
    passing: [
      {
        title: "an exempt bucket",
        change: (s) => s.resources.filter((r) => r.name !== "target-dags-tls"),
        config: { exemptBuckets: [DAG_BUCKET] },
        expect: [],
      },
    ],
  },
  "mwaa-environment-logging": {
    policy: p.environmentLogging,
    failing: [
      {
        title: "worker logs off and task logs at WARNING",
        change: (s) =>
          withLogging(s, {
            workerLogs: { enabled: false },
            taskLogs: { enabled: true, logLevel: "WARNING" },
          }),
        expect: [
          /Environment "target": loggingConfiguration: does not enable workerLogs/,
          /taskLogs.logLevel: is WARNING/,
        ],
        urnOf: "target",
      },
    ],
    passing: [
      {
        title: "an exempt environment with task logs off",
        change: (s) => withLogging(s, { taskLogs: { enabled: false } }),
        config: { exemptEnvironments: ["target"] },
        expect: [],
      },
    ],
  },
  "mwaa-webserver-private": {
    policy: p.webserverPrivate,
    failing: [
      {
        title: "a public webserver",
        change: (s) => withTarget(s, { webserverAccessMode: "PUBLIC_ONLY" }),
        expect: [
          /Environment "target": webserverAccessMode: is PUBLIC_ONLY.* Fix: set webserverAccessMode to "PRIVATE_ONLY", or list "target" in allowPublicWebserver/,
        ],
      },
      {
        title: "a webserver public as well as private (Airflow 3.2 and later)",
        change: (s) => withTarget(s, { webserverAccessMode: "PUBLIC_AND_PRIVATE", airflowVersion: "3.2.1" }),
        expect: [
          /Environment "target": webserverAccessMode: is PUBLIC_AND_PRIVATE, which is not private: besides the private endpoint, MWAA serves the Airflow UI and REST API on a public one reachable from the internet\. Fix: set webserverAccessMode to "PRIVATE_ONLY", or list "target" in allowPublicWebserver/,
        ],
      },
    ],
    passing: [
      {
        title: "a public webserver the config allows",
        change: (s) => withTarget(s, { webserverAccessMode: "PUBLIC_ONLY" }),
        config: { allowPublicWebserver: ["target"] },
        expect: [],
      },
      {
        title: "a public-and-private webserver the config allows",
        change: (s) => withTarget(s, { webserverAccessMode: "PUBLIC_AND_PRIVATE", airflowVersion: "3.2.1" }),
        config: { allowPublicWebserver: ["*"] },
        expect: [],
      },
    ],
  },
  "mwaa-airflow-version-supported": {
    policy: p.airflowVersionSupported,
    failing: [
      {
        title: "an Airflow version past end of support",
        change: (s) => withTarget(s, { airflowVersion: "2.5.1" }),
        expect: [/Environment "target": airflowVersion: 2.5.1 is not a supported MWAA Airflow version/],
      },
    ],
    passing: [
      {
        title: "the newest versions MWAA creates (3.2.1 and 3.3.1, from MWAA's images)",
        change: (s) => {
          const newest = resource("aws:mwaa/environment:Environment", "newest", {
            ...s.byName("target").props,
            name: "newest",
            airflowVersion: "3.3.1",
          });
          return [...withTarget(s, { airflowVersion: "3.2.1" }), newest];
        },
        expect: [],
      },
      {
        title: "a version the config adds",
        change: (s) => withTarget(s, { airflowVersion: "3.2.1" }),
        config: { supportedAirflowVersions: ["2.10.3", "3.2.1"] },
        expect: [],
      },
    ],
  },
  "mwaa-execution-role-not-shared": {
    policy: p.executionRoleNotShared,
    failing: [
      {
        title: "the target reuses the source's execution role",
        change: targetReusesSourceRole,
        expect: [
          /Environment "target": executionRoleArn: .*source-execution-role is also the execution role of "source"/,
          /Environment "source"/,
        ],
      },
    ],
    passing: [
      {
        title: "the sharing environment is exempt",
        change: targetReusesSourceRole,
        config: { exemptEnvironments: ["target"] },
        expect: [],
      },
    ],
  },
  "mwaa-execution-role-secrets-prefixes": {
    policy: p.executionRoleSecretsPrefixes,
    failing: [
      {
        title: "the guide's example: every secret of the account (secret:*)",
        change: (s) =>
          withSecretsStatement(s, {
            Sid: "AllSecrets",
            Action: ["secretsmanager:GetSecretValue"],
            Resource: secretArn("*"),
          }),
        expect: [
          /statement AllSecrets .*reaches secrets outside the backend's prefixes: .*secret:\* is not secret:<prefix>\/\*/,
        ],
        urnOf: "target-execution-policy",
      },
      {
        title: "Resource * and a write action",
        change: (s) =>
          withSecretsStatement(s, {
            Sid: "Everything",
            Action: ["secretsmanager:GetSecretValue", "SecretsManager:PutSecretValue"],
            Resource: "*",
          }),
        expect: [
          /statement Everything .*grants SecretsManager:PutSecretValue beyond reading.*\* is not secret:<prefix>/,
        ],
      },
      {
        title: "a prefix the pack config does not list",
        change: (s) => withBackendSecrets(s, ["airflow/connections/", "team-b/variables/"]),
        config: { secretsPrefixes: ["airflow/connections", "airflow/variables"] },
        expect: [
          /statement ReadBackendSecrets .*team-b\/variables\/\* is outside the prefixes airflow\/connections, airflow\/variables/,
        ],
      },
      {
        title: "a prefix without its separator, which reaches names that only start alike",
        change: (s) =>
          withSecretsStatement(s, {
            Sid: "Loose",
            Action: "secretsmanager:GetSecretValue",
            Resource: secretArn("airflow/conn*"),
          }),
        expect: [/statement Loose .*does not end in \/\*/],
      },
      {
        title: "NotResource on secrets",
        change: (s) =>
          withSecretsStatement(s, {
            Sid: "AllBut",
            Action: "secretsmanager:GetSecretValue",
            NotResource: secretArn("prod/*"),
          }),
        expect: [/statement AllBut .*uses NotResource/],
      },
    ],
    passing: [
      {
        title: "the program's statements for a backend's prefixes",
        change: (s) => withBackendSecrets(s, ["airflow/connections/", "airflow/variables/"]),
        config: { secretsPrefixes: ["airflow/connections", "airflow/variables/"] },
        expect: [],
      },
      {
        title: "any prefix ending in / when the config lists none",
        change: (s) => withBackendSecrets(s, ["team.a/conn/"]),
        expect: [],
      },
      {
        title: "a role MWAA does not assume may read other secrets",
        change: (s) =>
          addToTarget(s, [
            resource("aws:iam/role:Role", "lambda-role", {
              name: "lambda-role",
              assumeRolePolicy: doc({
                Effect: "Allow",
                Principal: { Service: "lambda.amazonaws.com" },
                Action: "sts:AssumeRole",
              }),
              inlinePolicies: [
                { name: "s", policy: doc({ Effect: "Allow", Action: "secretsmanager:*", Resource: "*" }) },
              ],
            }),
          ]),
        expect: [],
      },
    ],
  },
  "mwaa-web-ui-admin-allowlist": {
    policy: p.webUiAdminAllowlist,
    failing: [
      {
        title: "Admin for a role not in webUiAdmins",
        change: (s) => addToTarget(s, [webLogin("RolePolicy", "DataEngineers", "Admin")]),
        config: { webUiAdmins: [`arn:aws:iam::${ACCOUNT}:role/Platform`] },
        expect: [
          /RolePolicy "web-ui-DataEngineers": policy statement WebLoginAsAirflowRole .*lets DataEngineers open the Airflow UI as Admin.* Fix: map the principal to Op/,
        ],
        urnOf: "web-ui-DataEngineers",
      },
      {
        title: "a pattern that covers Admin, on a user",
        change: (s) =>
          addToTarget(s, [
            webLogin("UserPolicy", "alice", "*", {
              Version: "2012-10-17",
              Statement: [
                {
                  Sid: "AnyRole",
                  Effect: "Allow",
                  Action: "airflow:CreateWeb*",
                  Resource: `arn:aws:airflow:${REGION}:${ACCOUNT}:role/target/*`,
                },
              ],
            }),
          ]),
        expect: [
          /UserPolicy "web-ui-alice": policy statement AnyRole .*lets alice open the Airflow UI as Admin/,
        ],
      },
      {
        title: "Admin through a customer-managed policy for a permission set",
        change: (s) =>
          addToTarget(s, [
            resource("aws:iam/policy:Policy", "web-ui-sso", {
              name: "target-web-ui-Analysts",
              policy: JSON.stringify(webLoginPolicy({ region: REGION, account: ACCOUNT }, "target", "Admin")),
              tags: { "mwaa-migration:web-ui-principal": "sso:Analysts" },
            }),
          ]),
        config: { webUiAdmins: ["sso:Platform"] },
        expect: [/Policy "web-ui-sso": .*lets sso:Analysts open the Airflow UI as Admin/],
      },
    ],
    passing: [
      {
        title: "Admin for a role listed by ARN, Viewer and Op for anyone",
        change: (s) =>
          addToTarget(s, [
            webLogin("GroupPolicy", "Analysts", "Viewer"),
            webLogin("UserPolicy", "bob", "Op"),
            webLogin("RolePolicy", "Platform", "Admin"),
          ]),
        config: { webUiAdmins: [`arn:aws:iam::${ACCOUNT}:role/Platform`] },
        expect: [],
      },
      {
        title: "a permission set listed by name",
        change: (s) =>
          addToTarget(s, [
            resource("aws:iam/policy:Policy", "web-ui-sso", {
              name: "target-web-ui-Platform",
              policy: JSON.stringify(webLoginPolicy({ region: REGION, account: ACCOUNT }, "target", "Admin")),
              tags: { "mwaa-migration:web-ui-principal": "sso:Platform" },
            }),
          ]),
        config: { webUiAdmins: ["sso:Platform"] },
        expect: [],
      },
    ],
  },
};

describe("policy pack", () => {
  it("has a case table for every policy, with failing and passing cases", () => {
    assert.deepStrictEqual(Object.keys(cases).sort(), p.allPolicies.map((x) => x.name).sort());
    for (const [name, { failing, passing }] of Object.entries(cases)) {
      assert.ok(failing.length > 0 && passing.length > 0, name);
    }
  });

  it("every policy declares a config schema whose keys have defaults", () => {
    for (const policy of p.allPolicies) {
      const properties = Object.entries(policy.configSchema?.properties ?? {});
      assert.ok(properties.length > 0, policy.name);
      for (const [key, schema] of properties) {
        assert.ok((schema as { default?: unknown }).default !== undefined, `${policy.name}.${key}`);
      }
    }
  });

  it("the policies load without @pulumi/policy's server, and package.json holds what the CLI runs the pack with", () => {
    const script = `require("./policies"); console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes("@pulumi")).length));`;
    const loaded = childProcess.execFileSync(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", "-e", script],
      {
        cwd: __dirname,
        encoding: "utf8",
      },
    );
    assert.strictEqual(loaded.trim(), "0", "importing ./policies loaded an @pulumi module");
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "package.json"), "utf8"));
    // run-policy-pack (in @pulumi/pulumi) compiles index.ts with ts-node and typescript, its peer
    // dependencies, type-checking against @types/node (tsconfig "types").
    for (const name of ["@pulumi/policy", "@pulumi/pulumi", "ts-node", "typescript", "@types/node"]) {
      assert.ok(manifest.dependencies?.[name], `${name} is not a dependency of the pack`);
    }
    const index = fs.readFileSync(path.join(__dirname, "index.ts"), "utf8");
    assert.deepStrictEqual(
      [...index.matchAll(/^import .* from "(.*)";$/gm)].map((m) => m[1]),
      ["@pulumi/policy", "./policies"],
    );
  });

  it("every policy has a description, a level and remediation text", () => {
    for (const policy of p.allPolicies) {
      assert.ok(policy.description && policy.remediationSteps && policy.enforcementLevel, policy.name);
    }
  });

  it("a stack built from the program's IAM documents, following the migration guide, passes every policy", async () => {
    for (const policy of p.allPolicies) {
      assert.deepStrictEqual(await runPolicy(policy, goodStack().resources), [], policy.name);
    }
  });

  for (const [name, { policy, failing, passing }] of Object.entries(cases)) {
    describe(name, () => {
      for (const c of failing) {
        it(`stops: ${c.title}`, async () => {
          const stack = goodStack();
          const resources = c.change(stack);
          const violations = await runPolicy(policy, resources, c.config);
          assert.ok(violations.length > 0, "expected a violation");
          for (const v of violations) {
            assert.ok(
              c.expect.some((re) => re.test(v.message)),
              `unexpected message: ${v.message}`,
            );
          }
          for (const re of c.expect) {
            assert.ok(
              violations.some((v) => re.test(v.message)),
              `no message matches ${re}:\n${violations.map((v) => v.message).join("\n")}`,
            );
          }
          if (c.urnOf) assert.strictEqual(violations[0].urn, resources.find((r) => r.name === c.urnOf)?.urn);
        });
      }
      for (const c of passing) {
        it(`passes: ${c.title}`, async () => {
          const violations = await runPolicy(policy, c.change(goodStack()), c.config);
          assert.deepStrictEqual(
            violations.map((v) => v.message),
            [],
          );
        });
      }
    });
  }

  it("environment policies check inputs before the environment is created", async () => {
    const env = goodStack().byName("target");
    env.props.webserverAccessMode = "PUBLIC_ONLY";
    const violations = await runResourcePolicy(p.webserverPrivate, env);
    assert.strictEqual(violations.length, 1);
    assert.strictEqual(violations[0].urn, env.urn);
  });

  it("rejects a config value of the wrong shape with the key's name", async () => {
    await assert.rejects(
      runPolicy(p.executionRoleActions, goodStack().resources, { exemptRoles: "x" }),
      /"exemptRoles" must be a list/,
    );
  });

  it("the README's table lists every policy with its default level and its config keys", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const section = readme.split("## Policy pack")[1].split("\n## ")[0];
    for (const policy of p.allPolicies) {
      const row = section.split("\n").find((line) => line.startsWith(`| \`${policy.name}\` |`));
      assert.ok(row, `no README row for ${policy.name}`);
      assert.strictEqual(row.split("|")[3].trim(), policy.enforcementLevel, policy.name);
      const documented = [...row.split("|")[4].matchAll(/`(\w+)`/g)].map((m) => m[1]).sort();
      const keys = Object.keys(policy.configSchema?.properties ?? {}).sort();
      assert.deepStrictEqual(documented, keys, `${policy.name}: README's config column vs its schema`);
    }
  });

  it("only the advisory policy is advisory", () => {
    const advisory = p.allPolicies.filter((x) => x.enforcementLevel === "advisory").map((x) => x.name);
    assert.deepStrictEqual(advisory, ["migration-grants-removed-after-complete"]);
  });
});
