import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { ConfigurationError, type MigrationConfig } from "../rules/config";
import { baselineBucketControls } from "./bucketControls";
import {
  STACK_ROLE_PATH,
  type SecretsBackendScope,
  executionRolePolicy,
  executionRoleTrustPolicy,
  tlsOnlyBucketPolicy,
} from "../rules/permissions";
import { logGroupArn, mwaaEnvironmentArn } from "../rules/arns";
import { dagBucketNamePrefix, taskLogGroupName } from "../rules/names";
import { interfaceEndpointServices, subnetPlacementProblems, vpcLayout } from "../rules/network";
import type { TargetSettings } from "../rules/targetSettings";
import { WorkflowAssets, type WorkflowAssetsArgs } from "./workflowAssets";

export interface TargetEnvironmentArgs {
  readonly environmentName: string;
  readonly airflowVersion: pulumi.Input<string>;
  readonly pythonVersion: string;
  readonly region: string;
  readonly account: pulumi.Input<string>;
  readonly network: MigrationConfig["network"];
  readonly kmsKeyArn?: string;
  /** An existing bucket to hold the DAGs; the component creates one when absent. */
  readonly dagBucketName?: string;
  readonly dagS3Path: string;
  readonly settings: pulumi.Input<TargetSettings>;
  /** What Airflow's Secrets Manager backend reads, when the environment runs it (execution role grant). */
  readonly secretsBackend?: pulumi.Input<SecretsBackendScope | undefined>;
  /** Local workflow files (resolved paths); uploaded before the environment is created. */
  readonly assets: Omit<WorkflowAssetsArgs, "bucket" | "dagS3Path" | "airflowVersion" | "pythonVersion"> & {
    readonly airflowVersion: string;
  };
  readonly tags?: Record<string, string>;
}

/** MWAA creates and updates slowly; the provider's defaults are shorter than a real create. */
export const ENVIRONMENT_TIMEOUTS = { create: "2h", update: "2h", delete: "1h" } as const;

/** The bucket the DAGs live in, and the resources that must exist before anything is written to it. */
interface DagBucket {
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  readonly controls: pulumi.Resource[];
}

/** All five MWAA log types, always enabled, each at the level the settings give it. */
function environmentLogging(
  settings: pulumi.Output<TargetSettings>,
): aws.types.input.mwaa.EnvironmentLoggingConfiguration {
  const log = (type: keyof TargetSettings["logLevels"]) => ({
    enabled: true,
    logLevel: settings.apply((s) => s.logLevels[type]),
  });
  return {
    dagProcessingLogs: log("dagProcessingLogs"),
    schedulerLogs: log("schedulerLogs"),
    taskLogs: log("taskLogs"),
    webserverLogs: log("webserverLogs"),
    workerLogs: log("workerLogs"),
  };
}

/**
 * A setting the resolved settings may leave to MWAA's default. An input whose value resolves to undefined
 * is not sent, exactly as if it were left out, so MWAA applies its default.
 */
function optionalSetting<
  K extends "minWebservers" | "maxWebservers" | "workerReplacementStrategy" | "endpointManagement",
>(settings: pulumi.Output<TargetSettings>, key: K): pulumi.Output<NonNullable<TargetSettings[K]>> {
  return settings.apply((s) => s[key]) as pulumi.Output<NonNullable<TargetSettings[K]>>;
}

/**
 * The new MWAA environment and what it needs: network, self-referencing security group, DAG bucket,
 * least-privilege execution role and the workflow files.
 */
export class TargetEnvironment extends pulumi.ComponentResource {
  readonly environment: aws.mwaa.Environment;
  readonly executionRole: aws.iam.Role;
  readonly securityGroup: aws.ec2.SecurityGroup;
  vpc?: awsx.ec2.Vpc;
  readonly assets: WorkflowAssets;
  readonly environmentName: string;
  readonly arn: pulumi.Output<string>;
  readonly dagBucketName: pulumi.Output<string>;
  readonly dagBucketArn: pulumi.Output<string>;
  readonly dagS3Path: string;
  readonly subnetIds: pulumi.Output<string[]>;
  readonly vpcId: pulumi.Output<string>;
  readonly webserverUrl: pulumi.Output<string>;
  readonly taskLogGroupArn: pulumi.Output<string>;
  readonly executionRoleName: pulumi.Output<string>;

  constructor(name: string, args: TargetEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mwaa-migration:target:TargetEnvironment", name, {}, opts);
    this.environmentName = args.environmentName;
    this.dagS3Path = args.dagS3Path;

    const network = this.buildNetwork(name, args);
    this.subnetIds = network.subnetIds;
    this.vpcId = network.vpcId;
    this.securityGroup = this.buildSecurityGroup(name, args, network.vpcId);
    if (network.endpointSubnetIds) this.buildEndpoints(name, args, network.vpcId, network.endpointSubnetIds);

    const dagBucket = this.buildDagBucket(name, args);
    this.dagBucketName = dagBucket.name;
    this.dagBucketArn = dagBucket.arn;

    const execution = this.buildExecutionRole(name, args, dagBucket.name);
    this.executionRole = execution.role;
    this.executionRoleName = execution.role.name;

    this.assets = this.buildAssets(name, args, dagBucket);
    this.environment = this.buildEnvironment(name, args, {
      subnetIds: network.subnetIds,
      dagBucketArn: dagBucket.arn,
      // The environment starts only once its role can act, its bucket is locked down and its DAGs are there.
      dependsOn: [execution.policy, ...dagBucket.controls, ...this.assets.dagObjects],
    });

    this.arn = this.environment.arn;
    this.webserverUrl = this.environment.webserverUrl;
    this.taskLogGroupArn = pulumi
      .output(args.account)
      .apply((account) =>
        logGroupArn({ region: args.region, account }, taskLogGroupName(args.environmentName)),
      );
    this.registerOutputs({
      environmentName: this.environmentName,
      arn: this.arn,
      webserverUrl: this.webserverUrl,
      executionRoleArn: this.executionRole.arn,
      dagBucketName: this.dagBucketName,
      subnetIds: this.subnetIds,
      expectedArn: pulumi
        .output(args.account)
        .apply((account) => mwaaEnvironmentArn({ region: args.region, account }, args.environmentName)),
    });
  }

  /** The environment's security group: members reach each other and, outbound, anything. */
  private buildSecurityGroup(
    name: string,
    args: TargetEnvironmentArgs,
    vpcId: pulumi.Output<string>,
  ): aws.ec2.SecurityGroup {
    const parent = { parent: this };
    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId,
        description: `MWAA environment ${args.environmentName}: members talk to each other`,
        tags: args.tags,
      },
      parent,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-sg-self`,
      {
        securityGroupId: securityGroup.id,
        referencedSecurityGroupId: securityGroup.id,
        ipProtocol: "-1",
        description: "MWAA components reach each other (self-referencing rule MWAA requires)",
      },
      parent,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-sg-egress`,
      {
        securityGroupId: securityGroup.id,
        cidrIpv4: "0.0.0.0/0",
        ipProtocol: "-1",
        description: "MWAA reaches AWS services through the NAT gateway or VPC endpoints",
      },
      parent,
    );
    return securityGroup;
  }

  /** The execution role, assumable by MWAA for this environment only, and its least-privilege policy. */
  private buildExecutionRole(
    name: string,
    args: TargetEnvironmentArgs,
    dagBucketName: pulumi.Output<string>,
  ): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
    const parent = { parent: this };
    const role = new aws.iam.Role(
      `${name}-execution-role`,
      {
        description: `Execution role of MWAA environment ${args.environmentName}`,
        assumeRolePolicy: pulumi
          .output(args.account)
          .apply((account) =>
            JSON.stringify(executionRoleTrustPolicy(account, args.region, args.environmentName)),
          ),
        path: STACK_ROLE_PATH,
        maxSessionDuration: 3600,
        tags: args.tags,
      },
      parent,
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-execution-policy`,
      {
        role: role.name,
        policy: pulumi
          .all([args.account, dagBucketName, args.secretsBackend])
          .apply(([account, bucket, secretsBackend]) =>
            JSON.stringify(
              executionRolePolicy({
                region: args.region,
                account,
                environmentName: args.environmentName,
                dagBucketName: bucket,
                kmsKeyArn: args.kmsKeyArn,
                ...(secretsBackend ? { secretsBackend } : {}),
              }),
            ),
          ),
      },
      parent,
    );
    return { role, policy };
  }

  /** The workflow files in the DAG bucket, uploaded once the bucket's controls are in place. */
  private buildAssets(name: string, args: TargetEnvironmentArgs, dagBucket: DagBucket): WorkflowAssets {
    return new WorkflowAssets(
      `${name}-assets`,
      {
        ...args.assets,
        bucket: dagBucket.name,
        dagS3Path: args.dagS3Path,
        airflowVersion: args.assets.airflowVersion,
        pythonVersion: args.pythonVersion,
      },
      { parent: this, dependsOn: dagBucket.controls },
    );
  }

  /** The MWAA environment itself, sized and logged as the resolved settings say. */
  private buildEnvironment(
    name: string,
    args: TargetEnvironmentArgs,
    wiring: {
      subnetIds: pulumi.Output<string[]>;
      dagBucketArn: pulumi.Output<string>;
      dependsOn: pulumi.Resource[];
    },
  ): aws.mwaa.Environment {
    const settings = pulumi.output(args.settings);
    return new aws.mwaa.Environment(
      `${name}-environment`,
      {
        name: args.environmentName,
        airflowVersion: args.airflowVersion,
        executionRoleArn: this.executionRole.arn,
        sourceBucketArn: wiring.dagBucketArn,
        dagS3Path: args.dagS3Path,
        requirementsS3Path: this.assets.requirements?.key,
        requirementsS3ObjectVersion: this.assets.requirements?.version,
        pluginsS3Path: this.assets.plugins?.key,
        pluginsS3ObjectVersion: this.assets.plugins?.version,
        startupScriptS3Path: this.assets.startupScript?.key,
        startupScriptS3ObjectVersion: this.assets.startupScript?.version,
        networkConfiguration: { securityGroupIds: [this.securityGroup.id], subnetIds: wiring.subnetIds },
        loggingConfiguration: environmentLogging(settings),
        environmentClass: settings.apply((s) => s.environmentClass),
        minWorkers: settings.apply((s) => s.minWorkers),
        maxWorkers: settings.apply((s) => s.maxWorkers),
        schedulers: settings.apply((s) => s.schedulers),
        minWebservers: optionalSetting(settings, "minWebservers"),
        maxWebservers: optionalSetting(settings, "maxWebservers"),
        webserverAccessMode: settings.apply((s) => s.webserverAccessMode),
        weeklyMaintenanceWindowStart: settings.apply((s) => s.weeklyMaintenanceWindowStart),
        workerReplacementStrategy: optionalSetting(settings, "workerReplacementStrategy"),
        endpointManagement: optionalSetting(settings, "endpointManagement"),
        kmsKey: args.kmsKeyArn,
        // Options often carry connection strings or secret-backend settings: never shown in plain text.
        airflowConfigurationOptions: pulumi.secret(
          settings.apply((s) => ({ ...s.airflowConfigurationOptions })),
        ),
        tags: args.tags,
      },
      { parent: this, customTimeouts: ENVIRONMENT_TIMEOUTS, dependsOn: wiring.dependsOn },
    );
  }

  private buildNetwork(
    name: string,
    args: TargetEnvironmentArgs,
  ): {
    vpcId: pulumi.Output<string>;
    subnetIds: pulumi.Output<string[]>;
    endpointSubnetIds?: pulumi.Output<string[]>;
  } {
    const network = args.network;
    if (network.kind === "subnets") {
      const lookups = network.subnetIds.map((id) => aws.ec2.getSubnetOutput({ id }, { parent: this }));
      const placements = pulumi.all(lookups).apply((subnets) => {
        const problems = subnetPlacementProblems(
          subnets.map((s) => ({ id: s.id, availabilityZone: s.availabilityZone, vpcId: s.vpcId })),
        );
        if (problems.length > 0) throw new ConfigurationError(problems);
        return subnets;
      });
      return {
        vpcId: placements.apply((subnets) => subnets[0].vpcId),
        subnetIds: placements.apply((subnets) => subnets.map((s) => s.id)),
      };
    }
    const layout = vpcLayout(network.egress);
    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: network.cidrBlock,
        numberOfAvailabilityZones: layout.numberOfAvailabilityZones,
        subnetStrategy: "Auto",
        enableDnsHostnames: true,
        enableDnsSupport: true,
        subnetSpecs: layout.subnetSpecs,
        natGateways: layout.natGateways,
        tags: args.tags,
      },
      { parent: this },
    );
    this.vpc = vpc;
    const subnetIds = layout.environmentSubnets === "isolated" ? vpc.isolatedSubnetIds : vpc.privateSubnetIds;
    return {
      vpcId: vpc.vpcId,
      subnetIds,
      endpointSubnetIds: layout.interfaceEndpoints ? subnetIds : undefined,
    };
  }

  private buildEndpoints(
    name: string,
    args: TargetEnvironmentArgs,
    vpcId: pulumi.Output<string>,
    subnetIds: pulumi.Output<string[]>,
  ): void {
    for (const serviceName of interfaceEndpointServices(args.region)) {
      const short = serviceName.split(".").slice(3).join("-");
      new aws.ec2.VpcEndpoint(
        `${name}-endpoint-${short}`,
        {
          vpcId,
          serviceName,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds,
          securityGroupIds: [this.securityGroup.id],
          tags: args.tags,
        },
        { parent: this },
      );
    }
    const routeTables = aws.ec2.getRouteTablesOutput({ vpcId }, { parent: this });
    new aws.ec2.VpcEndpoint(
      `${name}-endpoint-s3`,
      {
        vpcId,
        serviceName: `com.amazonaws.${args.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: routeTables.ids,
        tags: args.tags,
      },
      { parent: this },
    );
  }

  private buildDagBucket(name: string, args: TargetEnvironmentArgs): DagBucket {
    if (args.dagBucketName) {
      const existing = aws.s3.getBucketOutput({ bucket: args.dagBucketName }, { parent: this });
      return { name: existing.bucket, arn: existing.arn, controls: [] };
    }
    const parent = { parent: this };
    const bucket = new aws.s3.Bucket(
      `${name}-dags`,
      { bucketPrefix: dagBucketNamePrefix(args.environmentName), tags: args.tags },
      parent,
    );
    // MWAA requires versioning: it pins requirements, plugins and the startup script by object version.
    const controls: pulumi.Resource[] = [
      ...baselineBucketControls(`${name}-dags`, bucket.id, parent),
      new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-dags-encryption`,
        {
          bucket: bucket.id,
          rules: [
            {
              applyServerSideEncryptionByDefault: args.kmsKeyArn
                ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }
                : // SSE-KMS with the account's AWS managed S3 key: its key policy lets S3 use it for the role.
                  { sseAlgorithm: "aws:kms" },
              bucketKeyEnabled: args.kmsKeyArn ? true : undefined,
            },
          ],
        },
        parent,
      ),
    ];
    // After the public-access block, like the migration bucket's policy.
    new aws.s3.BucketPolicy(
      `${name}-dags-policy`,
      {
        bucket: bucket.id,
        policy: bucket.bucket.apply((b) => JSON.stringify(tlsOnlyBucketPolicy(b, args.region))),
      },
      { parent: this, dependsOn: controls },
    );
    return { name: bucket.bucket, arn: bucket.arn, controls };
  }
}
