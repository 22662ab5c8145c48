import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { SourceConfig } from "../rules/config";
import type { SourceEnvironmentState } from "../rules/clone";
import { parseDagFolder } from "../rules/dagLocation";
import { logGroupArn, partitionOf, s3BucketArn } from "../rules/arns";
import { taskLogGroupName } from "../rules/names";

export interface SourceEnvironmentArgs {
  readonly source: SourceConfig;
  readonly region: string;
  readonly account: pulumi.Input<string>;
  /** Self-managed sources only: the REST API password (secret config). */
  readonly password?: pulumi.Input<string>;
}

/** The IAM role name is the last path segment of its ARN (roles may live under a path). */
export function roleNameFromArn(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf("/") + 1);
}

/**
 * The environment being migrated from. An MWAA source is only read (`aws.mwaa.Environment.get`): this
 * stack never manages, changes or deletes it. A self-managed source is described by its REST URL,
 * credentials and where its DAG files are delivered.
 */
export class SourceEnvironment extends pulumi.ComponentResource {
  readonly kind: SourceConfig["kind"];
  readonly name: string;
  readonly airflowVersion: pulumi.Output<string>;
  /** MWAA only (undefined for self-managed sources). */
  readonly executionRoleArn?: pulumi.Output<string>;
  readonly executionRoleName?: pulumi.Output<string>;
  /** The DAG bucket and folder: MWAA's, or a self-managed source's when its DAGs arrive through S3. */
  readonly sourceBucketArn?: pulumi.Output<string>;
  readonly dagS3Path?: pulumi.Output<string>;
  readonly webserverUrl: pulumi.Output<string>;
  readonly taskLogGroupArn?: pulumi.Output<string>;
  /** The settings a clone may copy (MWAA only). */
  readonly settings?: pulumi.Output<SourceEnvironmentState>;
  /** Self-managed only. */
  readonly restApi?: { url: string; username: string; password: pulumi.Output<string> };
  readonly dagsLocation?: string;

  constructor(name: string, args: SourceEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mwaa-migration:source:SourceEnvironment", name, {}, opts);
    const source = args.source;
    this.kind = source.kind;

    if (source.kind === "mwaa") {
      this.name = source.environmentName;
      const env = aws.mwaa.Environment.get(`${name}-mwaa`, source.environmentName, undefined, {
        parent: this,
      });
      this.airflowVersion = env.airflowVersion;
      this.executionRoleArn = env.executionRoleArn;
      this.executionRoleName = env.executionRoleArn.apply(roleNameFromArn);
      this.sourceBucketArn = env.sourceBucketArn;
      this.dagS3Path = env.dagS3Path;
      this.webserverUrl = env.webserverUrl.apply((host) =>
        host.startsWith("https://") ? host : `https://${host}`,
      );
      this.taskLogGroupArn = pulumi
        .all([env.loggingConfiguration, args.account])
        .apply(
          ([logging, account]) =>
            logging?.taskLogs?.cloudWatchLogGroupArn ||
            logGroupArn({ region: args.region, account }, taskLogGroupName(source.environmentName)),
        );
      // The allowlist's fields only (rules/clone.ts): endpoint management belongs to the source's network,
      // and MWAA does not report the worker replacement strategy.
      this.settings = pulumi
        .output({
          airflowConfigurationOptions: env.airflowConfigurationOptions,
          environmentClass: env.environmentClass,
          minWorkers: env.minWorkers,
          maxWorkers: env.maxWorkers,
          schedulers: env.schedulers,
          minWebservers: env.minWebservers,
          maxWebservers: env.maxWebservers,
          webserverAccessMode: env.webserverAccessMode,
          weeklyMaintenanceWindowStart: env.weeklyMaintenanceWindowStart,
          loggingConfiguration: env.loggingConfiguration,
        })
        .apply((state): SourceEnvironmentState => ({ ...state }));
    } else {
      this.name = new URL(source.url).host;
      this.airflowVersion = pulumi.output(source.airflowVersion);
      this.webserverUrl = pulumi.output(source.url.replace(/\/+$/, ""));
      this.restApi = {
        url: source.url.replace(/\/+$/, ""),
        username: source.username,
        password: pulumi.secret(pulumi.output(args.password ?? "")),
      };
      this.dagsLocation = source.dagsLocation;
      // DAGs delivered through S3: the bucket and folder, so the target is kept out of them as for MWAA.
      const folder = parseDagFolder(source.dagsLocation);
      if (folder.kind === "s3") {
        this.sourceBucketArn = pulumi.output(s3BucketArn(partitionOf(args.region), folder.bucket));
        this.dagS3Path = pulumi.output(folder.prefix.replace(/\/+$/, ""));
      }
    }

    this.registerOutputs({
      airflowVersion: this.airflowVersion,
      webserverUrl: this.webserverUrl,
      executionRoleArn: this.executionRoleArn,
      sourceBucketArn: this.sourceBucketArn,
      dagS3Path: this.dagS3Path,
      taskLogGroupArn: this.taskLogGroupArn,
    });
  }
}
