/**
 * Realistic outputs for the resources and data sources the stack uses, keyed by Pulumi type token.
 * Each resource gets an id and the output properties AWS would report (ARNs in the right shapes, bucket
 * names derived from prefixes, object versions), so the program's applies run as in a real preview.
 */
import * as crypto from "crypto";
import type * as pulumi from "@pulumi/pulumi";
import { partitionOf } from "../../rules/arns";

export const MOCK_ACCOUNT = "123456789012";

export interface SourceEnvironmentFixture {
  name: string;
  airflowVersion: string;
  executionRoleArn: string;
  sourceBucketArn: string;
  dagS3Path: string;
  webserverUrl: string;
  environmentClass: string;
  minWorkers: number;
  maxWorkers: number;
  schedulers: number;
  minWebservers: number;
  maxWebservers: number;
  webserverAccessMode: string;
  weeklyMaintenanceWindowStart: string;
  /** Reported by GetEnvironment; a clone never takes it (it belongs to the source's network). */
  endpointManagement: string;
  airflowConfigurationOptions: Record<string, string>;
  logLevels: Record<string, string>;
  subnetIds: string[];
  securityGroupIds: string[];
}

/** The dev stack's source: an MWAA environment that began on Airflow 1.10 and was upgraded to 2.8.1. */
export function legacyAirflowFixture(region: string): SourceEnvironmentFixture {
  return {
    name: "legacy-airflow",
    airflowVersion: "2.8.1",
    executionRoleArn: `arn:${partitionOf(region)}:iam::${MOCK_ACCOUNT}:role/service-role/AmazonMWAA-legacy-airflow-x1Yz9Q`,
    sourceBucketArn: `arn:${partitionOf(region)}:s3:::legacy-airflow-dags-7f3a`,
    dagS3Path: "dags",
    webserverUrl: `3f9a1c2e-5b7d-4e21-9c3a-8d1e2f4a6b7c.c7.${region}.airflow.amazonaws.com`,
    environmentClass: "mw1.medium",
    minWorkers: 2,
    maxWorkers: 8,
    schedulers: 2,
    minWebservers: 2,
    maxWebservers: 3,
    webserverAccessMode: "PUBLIC_ONLY",
    weeklyMaintenanceWindowStart: "SAT:22:00",
    endpointManagement: "SERVICE",
    airflowConfigurationOptions: {
      "secrets.backend": "airflow.contrib.secrets.aws_secrets_manager.SecretsManagerBackend",
      "secrets.backend_kwargs":
        '{"connections_prefix":"airflow/connections","variables_prefix":"airflow/variables"}',
      "core.default_timezone": "America/New_York",
      "celery.worker_autoscale": "10,10",
    },
    logLevels: {
      dagProcessingLogs: "WARNING",
      schedulerLogs: "WARNING",
      taskLogs: "WARNING",
      webserverLogs: "ERROR",
      workerLogs: "WARNING",
    },
    subnetIds: ["subnet-0a1b2c3d4e5f60718", "subnet-0f9e8d7c6b5a40392"],
    securityGroupIds: ["sg-0123456789abcdef0"],
  };
}

/** Subnets a stack may be given: id -> [zone, vpc]. Two good ones, one in a zone already used, one elsewhere. */
export const KNOWN_SUBNETS: Record<string, { availabilityZone: string; vpcId: string }> = {
  "subnet-0aaa1111bbbb2222c": { availabilityZone: "us-east-1a", vpcId: "vpc-0feedface0000001" },
  "subnet-0ddd3333eeee4444f": { availabilityZone: "us-east-1b", vpcId: "vpc-0feedface0000001" },
  "subnet-0ccc5555dddd6666a": { availabilityZone: "us-east-1a", vpcId: "vpc-0feedface0000001" },
  "subnet-0bbb7777cccc8888d": { availabilityZone: "us-east-1c", vpcId: "vpc-0beefcafe0000002" },
};

export interface MockOptions {
  region: string;
  /** The account resources are created in: the stack's, or a side's own (see `onProviderSide`). */
  account?: string;
  source: SourceEnvironmentFixture;
  /** Outputs of this stack's previous update, for the StackReference the program keeps to itself. */
  previousOutputs: Record<string, unknown>;
  /** Buckets that exist before the stack (name -> exists). */
  existingBuckets: string[];
  /** A new stack's first preview: what AWS computes when it creates a resource is not known yet. */
  firstPreview?: boolean;
}

/** The engine's encoding of a value not known during preview. */
export const UNKNOWN_DURING_PREVIEW = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Outputs known before create: names are given, or chosen by the provider's check (autonaming). */
const KNOWN_BEFORE_CREATE = ["name", "bucket"];

/** A resource about to be created: its inputs as given, everything AWS computes unknown, the id too. */
function beforeCreate(
  args: pulumi.runtime.MockResourceArgs,
  created: pulumi.runtime.MockResourceResult,
): pulumi.runtime.MockResourceResult {
  const state = Object.fromEntries(
    Object.entries(created.state).map(([key, value]) => [
      key,
      key in args.inputs || KNOWN_BEFORE_CREATE.includes(key) ? value : UNKNOWN_DURING_PREVIEW,
    ]),
  );
  return { id: "", state };
}

function digest(...parts: string[]): string {
  return crypto.createHash("sha256").update(parts.join("/")).digest("hex");
}

function hexId(prefix: string, name: string, length = 17): string {
  return `${prefix}-${digest(prefix, name).slice(0, length)}`;
}

type ResourceMock = (
  args: pulumi.runtime.MockResourceArgs,
  options: MockOptions,
) => pulumi.runtime.MockResourceResult;

const RESOURCES: Record<string, ResourceMock> = {
  // The parse check's observation of a target that parses every DAG of a source with none active.
  "pulumi-nodejs:dynamic/mwaa-migration:TargetDagParse": (args) => ({
    id: `${args.name}-check`,
    state: {
      ...args.inputs,
      parsedDags: [],
      importErrors: [],
      sourceActiveDags: [],
      unparsed: [],
      checkedAt: "2026-01-01T00:00:00.000Z",
    },
  }),
  "pulumi-nodejs:dynamic/mwaa-migration:MigrationDagStaging": (args) => ({
    id: `${args.name}-staged`,
    state: {
      ...args.inputs,
      stagedDag: null,
      note: "",
      readyAt: "2026-01-01T00:00:00.000Z",
      elapsedSeconds: 0,
    },
  }),
  "aws:mwaa/environment:Environment": (args, { region, source, account = MOCK_ACCOUNT }) => {
    if (args.id !== undefined && args.id !== "") return readMwaaEnvironment(args.id, region, source);
    const name = args.inputs.name as string;
    return {
      id: name,
      state: {
        ...args.inputs,
        arn: `arn:${partitionOf(region)}:airflow:${region}:${account}:environment/${name}`,
        webserverUrl: `${digest(name).slice(0, 8)}-${digest(name, "u").slice(0, 4)}.c7.${region}.airflow.amazonaws.com`,
        serviceRoleArn: `arn:${partitionOf(region)}:iam::${account}:role/aws-service-role/airflow.amazonaws.com/AWSServiceRoleForAmazonMWAA`,
        status: "AVAILABLE",
      },
    };
  },
  "aws:kms/key:Key": (args, { region, account = MOCK_ACCOUNT }) => {
    const keyId = [8, 4, 4, 4, 12].map((n, i) => digest(args.name, String(i)).slice(0, n)).join("-");
    return {
      id: keyId,
      state: {
        ...args.inputs,
        keyId,
        arn: `arn:${partitionOf(region)}:kms:${region}:${account}:key/${keyId}`,
      },
    };
  },
  "aws:s3/bucket:Bucket": (args, { region }) => {
    const bucket =
      (args.inputs.bucket as string | undefined) ??
      `${args.inputs.bucketPrefix ?? args.name}${digest(args.name).slice(0, 8)}`;
    return {
      id: bucket,
      state: { ...args.inputs, bucket, arn: `arn:${partitionOf(region)}:s3:::${bucket}` },
    };
  },
  "aws:s3/bucketObjectv2:BucketObjectv2": (args) => ({
    id: args.inputs.key as string,
    state: {
      ...args.inputs,
      versionId: digest(args.name, "version").slice(0, 32),
      etag: digest(args.name).slice(0, 32),
    },
  }),
  "aws:iam/role:Role": (args, { region, account = MOCK_ACCOUNT }) => {
    const name = (args.inputs.name as string | undefined) ?? `${args.name}-${digest(args.name).slice(0, 7)}`;
    const rolePath = (args.inputs.path as string | undefined) ?? "/";
    return {
      id: name,
      state: {
        ...args.inputs,
        name,
        arn: `arn:${partitionOf(region)}:iam::${account}:role${rolePath}${name}`,
        uniqueId: hexId("AROA", name, 16),
      },
    };
  },
  "aws:iam/rolePolicy:RolePolicy": (args) => ({
    id: `${args.inputs.role}:${args.inputs.name ?? args.name}`,
    state: { ...args.inputs },
  }),
  "aws:ec2/securityGroup:SecurityGroup": (args, { region, account = MOCK_ACCOUNT }) => {
    const id = hexId("sg", args.name);
    return {
      id,
      state: {
        ...args.inputs,
        arn: `arn:${partitionOf(region)}:ec2:${region}:${account}:security-group/${id}`,
      },
    };
  },
  "aws:ec2/vpcEndpoint:VpcEndpoint": (args) => ({ id: hexId("vpce", args.name), state: { ...args.inputs } }),
  "awsx:ec2:Vpc": (args) => {
    const subnets = [hexId("subnet", `${args.name}-a`), hexId("subnet", `${args.name}-b`)];
    const isolated = (args.inputs.subnetSpecs as { type: string }[] | undefined)?.every(
      (s) => s.type === "Isolated",
    );
    return {
      id: "",
      state: {
        vpcId: hexId("vpc", args.name),
        privateSubnetIds: isolated ? [] : subnets,
        isolatedSubnetIds: isolated ? subnets : [],
        publicSubnetIds: isolated
          ? []
          : [hexId("subnet", `${args.name}-pa`), hexId("subnet", `${args.name}-pb`)],
      },
    };
  },
  "pulumi:pulumi:StackReference": (args, { previousOutputs }) => ({
    id: args.inputs.name as string,
    state: { name: args.inputs.name, outputs: previousOutputs, secretOutputNames: [] },
  }),
};

function readMwaaEnvironment(
  id: string,
  region: string,
  source: SourceEnvironmentFixture,
): pulumi.runtime.MockResourceResult {
  if (id !== source.name) {
    throw new Error(`reading MWAA environment ${id}: ResourceNotFoundException: Environment ${id} not found`);
  }
  const logGroup = (type: string) =>
    `arn:${partitionOf(region)}:logs:${region}:${MOCK_ACCOUNT}:log-group:airflow-${source.name}-${type}`;
  const logConfig = (key: string, type: string) => ({
    enabled: true,
    logLevel: source.logLevels[key],
    cloudWatchLogGroupArn: logGroup(type),
  });
  return {
    id,
    state: {
      name: source.name,
      arn: `arn:${partitionOf(region)}:airflow:${region}:${MOCK_ACCOUNT}:environment/${source.name}`,
      airflowVersion: source.airflowVersion,
      executionRoleArn: source.executionRoleArn,
      sourceBucketArn: source.sourceBucketArn,
      dagS3Path: source.dagS3Path,
      requirementsS3Path: "requirements.txt",
      webserverUrl: source.webserverUrl,
      environmentClass: source.environmentClass,
      minWorkers: source.minWorkers,
      maxWorkers: source.maxWorkers,
      schedulers: source.schedulers,
      minWebservers: source.minWebservers,
      maxWebservers: source.maxWebservers,
      webserverAccessMode: source.webserverAccessMode,
      weeklyMaintenanceWindowStart: source.weeklyMaintenanceWindowStart,
      endpointManagement: source.endpointManagement,
      // No workerReplacementStrategy: GetEnvironment does not report it (only UpdateEnvironment takes it).
      airflowConfigurationOptions: source.airflowConfigurationOptions,
      networkConfiguration: { subnetIds: source.subnetIds, securityGroupIds: source.securityGroupIds },
      loggingConfiguration: {
        dagProcessingLogs: logConfig("dagProcessingLogs", "DAGProcessing"),
        schedulerLogs: logConfig("schedulerLogs", "Scheduler"),
        taskLogs: logConfig("taskLogs", "Task"),
        webserverLogs: logConfig("webserverLogs", "WebServer"),
        workerLogs: logConfig("workerLogs", "Worker"),
      },
      serviceRoleArn: `arn:${partitionOf(region)}:iam::${MOCK_ACCOUNT}:role/aws-service-role/airflow.amazonaws.com/AWSServiceRoleForAmazonMWAA`,
      status: "AVAILABLE",
      createdAt: "2021-03-14T09:26:53Z",
      tags: { team: "data-platform" },
    },
  };
}

/** AWS providers the program declared, by name: the region and account their resources live in. */
const awsProviders = new Map<string, { region: string; account: string }>();

/**
 * The options of a resource or call made through an explicit AWS provider: that provider's region, and the
 * account of the role it assumes (a target in another account).
 */
function onProviderSide(provider: string | undefined, options: MockOptions): MockOptions {
  const name = provider ? /pulumi:providers:aws::([^:]+)::/.exec(provider)?.[1] : undefined;
  const side = name ? awsProviders.get(name) : undefined;
  return side ? { ...options, ...side } : options;
}

function recordAwsProvider(args: pulumi.runtime.MockResourceArgs, options: MockOptions): void {
  // A provider's structured inputs reach the engine as JSON text.
  const given = args.inputs.assumeRoles as string | { roleArn?: string }[] | undefined;
  const roles = (typeof given === "string" ? JSON.parse(given) : given) as { roleArn?: string }[] | undefined;
  const roleArn = roles?.[0]?.roleArn;
  awsProviders.set(args.name, {
    region: (args.inputs.region as string | undefined) ?? options.region,
    account: (roleArn && /^arn:[^:]+:iam::(\d{12}):/.exec(roleArn)?.[1]) || MOCK_ACCOUNT,
  });
}

export function newResource(
  args: pulumi.runtime.MockResourceArgs,
  stackOptions: MockOptions,
): pulumi.runtime.MockResourceResult {
  if (args.type === "pulumi:providers:aws") recordAwsProvider(args, stackOptions);
  const options = onProviderSide(args.provider, stackOptions);
  const mock = RESOURCES[args.type];
  const result = mock
    ? mock(args, options)
    : // Bucket settings, rules, policies: echo the inputs with a stable id.
      { id: `${args.name}-${digest(args.type, args.name).slice(0, 8)}`, state: { ...args.inputs } };
  const created = args.id === undefined || args.id === "";
  const ownComponent = args.type.startsWith("mwaa-migration:");
  const stackReference = args.type === "pulumi:pulumi:StackReference";
  return options.firstPreview && created && !ownComponent && !stackReference
    ? beforeCreate(args, result)
    : result;
}

export function call(args: pulumi.runtime.MockCallArgs, stackOptions: MockOptions): Record<string, unknown> {
  const options = onProviderSide(args.provider, stackOptions);
  const account = options.account ?? MOCK_ACCOUNT;
  switch (args.token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: account,
        arn: `arn:${partitionOf(options.region)}:iam::${account}:user/deployer`,
        userId: "AIDAEXAMPLEDEPLOYER01",
        id: account,
      };
    case "aws:ec2/getSubnet:getSubnet": {
      const id = args.inputs.id as string;
      const known = KNOWN_SUBNETS[id];
      if (!known) throw new Error(`InvalidSubnetID.NotFound: The subnet ID '${id}' does not exist`);
      return {
        id,
        ...known,
        arn: `arn:${partitionOf(options.region)}:ec2:${options.region}:${MOCK_ACCOUNT}:subnet/${id}`,
      };
    }
    case "aws:ec2/getRouteTables:getRouteTables":
      return {
        id: options.region,
        ids: [hexId("rtb", `${args.inputs.vpcId}-a`), hexId("rtb", `${args.inputs.vpcId}-b`)],
      };
    case "aws:s3/getBucket:getBucket": {
      const bucket = args.inputs.bucket as string;
      if (!options.existingBuckets.includes(bucket))
        throw new Error(`NotFound: bucket ${bucket} does not exist`);
      return {
        id: bucket,
        bucket,
        arn: `arn:${partitionOf(options.region)}:s3:::${bucket}`,
        region: options.region,
      };
    }
    case "aws:ssoadmin/getPermissionSet:getPermissionSet": {
      const instanceArn = args.inputs.instanceArn as string;
      const name = args.inputs.name as string;
      const instanceId = instanceArn.split("/").pop();
      const arn = `${instanceArn.split(":sso:")[0]}:sso:::permissionSet/${instanceId}/${hexId("ps", name)}`;
      return { id: arn, arn, name, instanceArn };
    }
    default:
      throw new Error(`no mock for data source ${args.token}; add one to test/support/awsMocks.ts`);
  }
}
