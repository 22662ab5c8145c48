/**
 * The stack: read the configuration, build one Migration, export what a reviewer and the next stage need.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, parseConfig } from "./components/config";
import { Migration } from "./components/migration";

const config = new pulumi.Config(CONFIG_NAMESPACE);
const settings = parseConfig((key) => config.get(key));
const region = new pulumi.Config("aws").require("region");

// The stage this stack last applied, read from its own previous outputs, so stages move forward only.
const self = new pulumi.StackReference(
  `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
);
const previousStage = self.getOutput("stage") as pulumi.Output<string | undefined>;

const migration = new Migration(`${pulumi.getStack()}-migration`, {
  config: settings,
  region,
  projectRoot: __dirname,
  previousStage,
  sourcePassword:
    settings.source.kind === "self-managed" ? config.requireSecret("sourceAirflowPassword") : undefined,
  tags: {
    "mwaa-migration:stack": pulumi.getStack(),
    "mwaa-migration:target": settings.targetEnvironmentName,
  },
});

export const stage = migration.checks.apply(() => settings.stage);
export const upgradePath = migration.checks.apply((c) => c.upgradePath.note);
export const sourceAirflowVersion = migration.source.airflowVersion;
export const targetEnvironmentName = settings.targetEnvironmentName;
export const targetEnvironmentArn = migration.target.arn;
export const targetWebserverUrl = migration.target.webserverUrl;
export const targetExecutionRoleArn = migration.target.executionRole.arn;
export const targetDagBucket = migration.target.dagBucketName;
export const targetSubnetIds = migration.target.subnetIds;
export const migrationBucketName = migration.bucket.bucketName;
export const migrationKeyArn = migration.bucket.keyArn;
export const exportGrantPolicy = migration.grants?.exportPolicy;
export const deployerPolicy = migration.deployerPolicy;
