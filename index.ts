/**
 * The stack: read the configuration and what this stack's last update recorded, build one Migration,
 * and return the outputs a reviewer and the next stage need.
 *
 * An async program (the Pulumi language host awaits it): what the last update recorded decides which
 * phases exist, and the Data Pipeline pipelines of `pipelineIds` become DAG files, so both are read before
 * any resource is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, parseConfig } from "./rules/config";
import { clonesWebUiAccess, Migration } from "./components/migration";
import { readConfiguredLoginPolicies } from "./reads/sourceWebUi";
import { readConfiguredPipelines } from "./datapipeline/live";
import { stageHistory } from "./rules/stages";

export = async () => {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const settings = parseConfig((key) => config.get(key));
  const region = new pulumi.Config("aws").require("region");

  // This stack's own previous outputs: the stage it last applied and whether it ever ran `bulk`.
  const self = new pulumi.StackReference(
    `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
  );
  const [previousStage, bulkApplied] = await Promise.all([
    self.getOutputValue("stage") as Promise<string | undefined>,
    self.getOutputValue("bulkApplied") as Promise<unknown>,
  ]);

  // Pipelines to convert from the account: read now, so their DAGs are files of this preview.
  const livePipelines = await readConfiguredPipelines(settings.pipelineIds, region);
  // With cloneWebUiAccess, the policies that may map principals into the source's UI.
  const sourceLoginPolicies = await readConfiguredLoginPolicies(clonesWebUiAccess(settings), region);

  const migration = new Migration(`${pulumi.getStack()}-migration`, {
    config: settings,
    region,
    projectRoot: __dirname,
    previousStage,
    history: stageHistory({ stage: previousStage, bulkApplied }),
    sourcePassword:
      settings.source.kind === "self-managed" ? config.requireSecret("sourceAirflowPassword") : undefined,
    livePipelines,
    sourceLoginPolicies,
    tags: {
      "mwaa-migration:stack": pulumi.getStack(),
      "mwaa-migration:target": settings.targetEnvironmentName,
    },
  });

  return {
    stage: migration.checks.apply(() => settings.stage),
    bulkApplied: migration.bulkApplied,
    upgradePath: migration.checks.apply((c) => c.upgradePath.note),
    sourceAirflowVersion: migration.source.airflowVersion,
    targetEnvironmentName: settings.targetEnvironmentName,
    targetEnvironmentArn: migration.target.arn,
    targetWebserverUrl: migration.target.webserverUrl,
    targetExecutionRoleArn: migration.target.executionRole.arn,
    targetDagBucket: migration.target.dagBucketName,
    targetSubnetIds: migration.target.subnetIds,
    migrationBucketName: migration.bucket.bucketName,
    migrationKeyArn: migration.bucket.keyArn,
    exportGrantPolicy: migration.grants?.exportPolicy,
    secretsBackendSecrets: migration.secretsBackend.apply(
      (grant) => grant?.namePrefixes.map((p) => `${p}*`) ?? [],
    ),
    webUiPermissionSetPolicies: migration.webUi?.permissionSetPolicies ?? {},
    // Where the target's pip gets requirements.txt's packages (as written, wheels in plugins.zip, a private index).
    requirementsSource: migration.requirementsSource,
    // The converted Data Pipeline definitions: each one's DAG file and what was approximated or not converted.
    pipelineConversion: migration.pipelineConversion,
    // What the target parses of the DAGs active on the source; bulk and cutover refuse while one does not.
    dagParse: migration.phases.dagParse
      ? {
          parsedDags: migration.phases.dagParse.parsedDags,
          importErrors: migration.phases.dagParse.importErrors,
          unparsedSourceDags: migration.phases.dagParse.unparsed,
          checkedAt: migration.phases.dagParse.checkedAt,
        }
      : undefined,
    deployerPolicy: migration.deployerPolicy,
  };
};
