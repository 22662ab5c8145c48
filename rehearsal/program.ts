/**
 * The rehearsal's Pulumi program, run by the real engine through the Automation API: for the stage in
 * its config, the same phase resources as the project's program (`migrationPhases`, the same classes,
 * inputs and dependencies), next to local stand-ins for what the program's AWS components create
 * there (the migration bucket and key, the grants, the target's workflow assets). The stage rules are
 * the program's too: the stage and whether bulk ran are read back from this stack's own outputs. Where the
 * target's roles are FAB's, a custom web UI role limited to some DAGs is made as the program's WebUiAccess
 * makes it (AirflowRole), once the target has parsed them.
 */
import * as pulumi from "@pulumi/pulumi";
import { LocalGrants, LocalMigrationBucket, LocalWorkflowAssets } from "../local/standins";
import {
  AirflowRole,
  type AwsAccess,
  migrationPhases,
  mwaaAirflow,
  phasesInOrder,
  type MigrationPhases,
  type PhaseSettings,
} from "../providers";
import { exportGrantPolicy, importGrantPolicy } from "../rules/permissions";
import { customRoleSpec } from "../rules/webUiAccess";
import { isStage, stageHistory, stagePlan, stageTransitionProblem } from "../rules/stages";

export const REHEARSAL_CONFIG = "mwaa-rehearsal";
export const PHASE_NAME = "rehearsal";

/** One local Airflow as MWAA would describe it (the MWAA stand-in serves it under its name). */
export interface RehearsalEnvironment {
  name: string;
  airflowVersion: string;
  region: string;
  account: string;
  dagBucket: string;
  dagPath: string;
  logGroup: string;
  executionRoleName: string;
  /** Its roles are FAB's (every Airflow 2, an Airflow 3 under the FAB auth manager): custom roles can be made. */
  fabRoles: boolean;
}

export interface RehearsalFacts {
  source: RehearsalEnvironment;
  target: RehearsalEnvironment;
  /** A target in another account: reached as its role (the program's `targetRoleArn`). */
  targetAccess?: AwsAccess;
  bucketName: string;
  prefix: string;
  expirationDays: number;
  /** The target's workflow assets: the source's DAG files, by name with their sha256. */
  workflowFolder: string;
  workflowFiles: Record<string, string>;
  /** The DAGs those files define. */
  dagIds: string[];
  /** Converted Data Pipeline pipelines (`--pipelines`): uploaded beside those files, as the stack does. */
  generatedDags: { file: string; content: string; dagId: string; sha256: string }[];
  settings: PhaseSettings;
  /** A custom web UI role to make on the target, limited to these DAGs (a `webUiAccess` mapping's). */
  webUiRole?: { name: string; dags: string[] };
}

/** What the report reads of each phase resource (never its provider or its airflow input). */
const EXPORT_OUTPUTS = [
  "exportId",
  "phase",
  "watermark",
  "rowsPerTable",
  "secondsPerTable",
  "skippedTaskInstances",
  "activeDags",
  "sourceAirflowVersion",
  "runId",
  "attempt",
  "elapsedSeconds",
] as const;
const IMPORT_OUTPUTS = [
  "exportId",
  "insertedPerTable",
  "secondsPerTable",
  "alreadyPresentPerTable",
  "updatedPerTable",
  "runsPerDag",
  "missingDags",
  "notHeldByTarget",
  "verified",
  "taskLogCopy",
  "runId",
  "attempt",
  "elapsedSeconds",
] as const;
const REPORTED_OUTPUTS: Record<keyof MigrationPhases, readonly string[]> = {
  dagParse: ["parsedDags", "importErrors", "sourceActiveDags", "unparsed", "checkedAt"],
  gate: ["unparsed", "accepted"],
  bulkExport: EXPORT_OUTPUTS,
  deltaExport: EXPORT_OUTPUTS,
  bulkImport: IMPORT_OUTPUTS,
  deltaImport: IMPORT_OUTPUTS,
  stageExport: ["stagedDag", "note", "readyAt", "elapsedSeconds"],
  stageImport: ["stagedDag", "note", "readyAt", "elapsedSeconds"],
  pause: ["pausedDags", "pausedAt", "quietAt", "drainedTaskInstances", "finishedRuns"],
  activation: ["unpausedDags", "alreadyActiveDags", "missingDags", "activatedAt"],
};

/** The reported outputs of every phase the stage built, by phase name. */
function phaseOutputs(phases: MigrationPhases): Record<string, pulumi.Output<unknown>> {
  const outputs: Record<string, pulumi.Output<unknown>> = {};
  for (const [phase, names] of Object.entries(REPORTED_OUTPUTS)) {
    const resource = phases[phase as keyof MigrationPhases] as unknown as
      Record<string, pulumi.Output<unknown>> | undefined;
    if (!resource) continue;
    const fields: Record<string, pulumi.Output<unknown>> = {};
    for (const name of names) fields[name] = resource[name];
    outputs[phase] = pulumi.output(fields);
  }
  return outputs;
}

export function rehearsalProgram(facts: RehearsalFacts): () => Promise<Record<string, unknown>> {
  return async () => {
    const config = new pulumi.Config(REHEARSAL_CONFIG);
    const stage = config.require("stage");
    if (!isStage(stage)) throw new Error(`${REHEARSAL_CONFIG}:stage "${stage}" is not a stage`);
    const self = new pulumi.StackReference(
      `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
    );
    const [previousStage, bulkApplied] = await Promise.all([
      self.getOutputValue("stage") as Promise<string | undefined>,
      self.getOutputValue("bulkApplied") as Promise<unknown>,
    ]);
    const previous = previousStage && isStage(previousStage) ? previousStage : undefined;
    const problem = stageTransitionProblem(previous, stage, config.getBoolean("allowStageRollback") ?? false);
    if (problem) throw new Error(problem.replace(/mwaa-migration:/g, `${REHEARSAL_CONFIG}:`));
    const history = stageHistory({ stage: previousStage, bulkApplied });
    const plan = stagePlan(stage, history);

    const { source, target, targetAccess } = facts;
    // As the program's MigrationBucket: in the target's account, naming the source's role when that is another's.
    const bucket = new LocalMigrationBucket("rehearsal-bucket", {
      bucketName: facts.bucketName,
      prefix: facts.prefix,
      expirationDays: facts.expirationDays,
      ...(targetAccess
        ? {
            access: targetAccess,
            sourceWriterRoleArn: `arn:aws:iam::${source.account}:role/${source.executionRoleName}`,
          }
        : {}),
    });
    const grants = plan.grants
      ? new LocalGrants("rehearsal-grants", {
          sourceRoleName: source.executionRoleName,
          targetRoleName: target.executionRoleName,
          ...(targetAccess ? { targetAccess } : {}),
          exportPolicy: bucket.keyArn.apply((keyArn) =>
            JSON.stringify(exportGrantPolicy({ bucketName: facts.bucketName, prefix: facts.prefix, keyArn })),
          ),
          importPolicy: bucket.keyArn.apply((keyArn) =>
            JSON.stringify(importGrantPolicy({ bucketName: facts.bucketName, prefix: facts.prefix, keyArn })),
          ),
        })
      : undefined;
    const targetAirflow = mwaaAirflow(target.name, target.airflowVersion, target.region, targetAccess);
    const assets = new LocalWorkflowAssets("rehearsal-target-assets", {
      ...(targetAccess ? { access: targetAccess } : {}),
      folder: facts.workflowFolder,
      files: facts.workflowFiles,
      generatedDags: facts.generatedDags.map(({ file, content }) => ({ file, content })),
      bucket: target.dagBucket,
      dagPath: target.dagPath,
      airflow: targetAirflow,
      dagIds: [...facts.dagIds, ...facts.generatedDags.map((dag) => dag.dagId)],
      parseDeadlineSeconds: 300,
    });
    // What the program's WorkflowAssets hashes: the files and the generated DAGs.
    const targetDagFiles = {
      ...facts.workflowFiles,
      ...Object.fromEntries(facts.generatedDags.map((dag) => [dag.file, dag.sha256])),
    };

    const phases = migrationPhases(PHASE_NAME, plan, {
      source: {
        airflow: mwaaAirflow(source.name, source.airflowVersion, source.region),
        dagFolder: `s3://${source.dagBucket}/${source.dagPath}`,
        taskLogGroup: source.logGroup,
      },
      target: {
        airflow: targetAirflow,
        dagFolder: `s3://${target.dagBucket}/${target.dagPath}`,
        taskLogGroup: target.logGroup,
      },
      bundle: {
        bucket: bucket.bucketName,
        prefix: facts.prefix,
        kmsKeyId: bucket.keyArn,
        region: target.region,
        ...(targetAccess ? { access: targetAccess } : {}),
      },
      bundleAccess: grants ? [grants] : [],
      targetReady: [assets],
      targetAirflowVersion: target.airflowVersion,
      targetDagFiles,
      settings: facts.settings,
    });

    const role = facts.webUiRole && customRoleSpec(facts.webUiRole.name, facts.webUiRole.dags);
    if (role)
      new AirflowRole(
        "rehearsal-web-ui-role",
        { airflow: targetAirflow, roleName: role.name, permissions: role.actions, region: target.region },
        { dependsOn: [assets] },
      );

    return {
      stage,
      ...(role
        ? { webUiRole: { name: role.name, dags: facts.webUiRole!.dags, permissions: role.actions.length } }
        : {}),
      bulkApplied: plan.bulkExport || history.bulkApplied,
      phaseOrder: phasesInOrder(phases).map((r) => r.urn),
      phases: phaseOutputs(phases),
    };
  };
}
