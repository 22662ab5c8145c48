import {
  convertPipelines,
  type ConvertedPipeline,
  type FolderConversion,
  livePipelineSource,
  pipelineFolderSources,
} from "../datapipeline/folder";
import type { LivePipeline } from "../datapipeline/live";
import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  type ClonedSettings,
  cloneAllowlisted,
  rewriteLegacySecretsBackend,
  sharedDagLocationProblem,
} from "../rules/clone";
import { ConfigurationError, type MigrationConfig, type TargetAccess } from "../rules/config";
import { accountOfArn, partitionOf } from "../rules/arns";
import { MigrationGrants } from "./grants";
import { deployerPolicy } from "../rules/permissions";
import { MigrationBucket } from "./migrationBucket";
import {
  ASSUMED_SESSION_NAME,
  DEFAULT_PAYLOAD_DIR,
  bundleLocationOption,
  migrationPhases,
  mwaaAirflow,
  selfManagedAirflow,
  type MigrationPhases,
  type PhaseContext,
  type RegionalAccess,
} from "../providers";
import { s3DagFolder } from "../rules/dagLocation";
import { SourceEnvironment } from "./sourceEnvironment";
import {
  isStage,
  shipsMigrationPlugin,
  stagePlan,
  stageTransitionProblem,
  type StageHistory,
  type StagePlan,
} from "../rules/stages";
import { TargetEnvironment } from "./targetEnvironment";
import type { WorkflowAssetsArgs } from "./workflowAssets";
import { WebUiAccess } from "./webUiAccess";
import { type SecretsBackendGrant, targetSecretsBackend } from "../rules/secretsBackend";
import {
  choosePackageSource,
  installableRequirements,
  packageSourceSummary,
  SHIPPED_CONSTRAINTS,
} from "../rules/packageSource";
import { buildWheelhouse } from "../wheelhouse/build";
import { type WebUiMapping, webUiDeployerScope } from "../rules/webUiAccess";
import { type AttachedPolicy, sourceWebUiMappings, withClonedMappings } from "../rules/webUiClone";
import { resolveTargetSettings, type TargetSettings } from "../rules/targetSettings";
import { checkVersionChange, exportRefusal, findMwaaVersion, type UpgradePath } from "../rules/versions";

export interface MigrationArgs {
  readonly config: MigrationConfig;
  readonly region: string;
  /** Folder that relative file paths in the config are resolved against (the Pulumi project folder). */
  readonly projectRoot: string;
  /** The stage this stack last applied; undefined on a stack that never ran. */
  readonly previousStage: string | undefined;
  /** What the stack's earlier updates did (see `stageHistory`). */
  readonly history: StageHistory;
  readonly sourcePassword?: pulumi.Input<string>;
  readonly tags?: Record<string, string>;
  /** The pipelines of `pipelineIds`, read from the account (see `readConfiguredPipelines`). */
  readonly livePipelines?: readonly LivePipeline[];
  /** With `cloneWebUiAccess`: the account's policies that may carry the source's UI mapping (`readLoginPolicies`). */
  readonly sourceLoginPolicies?: readonly AttachedPolicy[];
}

export interface MigrationChecks {
  readonly upgradePath: UpgradePath;
}

/**
 * Checks that need values only AWS knows (the source's version and DAG location) or the stack's last
 * stage. Pure: returns every problem, each naming its config key and the fix.
 */
export function migrationProblems(input: {
  config: MigrationConfig;
  sourceVersion: string;
  previousStage: string | undefined;
  sourceDags?: { bucketArn: string; dagS3Path: string };
  targetDagBucketArn?: string;
}): { problems: string[]; upgradePath?: UpgradePath } {
  const { config } = input;
  const problems: string[] = [];
  const versions = checkVersionChange(
    input.sourceVersion,
    config.targetAirflowVersion,
    config.source.kind === "mwaa",
  );
  problems.push(...versions.errors);
  const refusal = config.historyImport ? exportRefusal(input.sourceVersion) : undefined;
  if (refusal)
    problems.push(
      `the source runs Airflow ${input.sourceVersion}, whose run history cannot be exported: ${refusal}. ` +
        `Set mwaa-migration:historyImport to false to build only the new environment (stage prepare).`,
    );
  const previous = input.previousStage && isStage(input.previousStage) ? input.previousStage : undefined;
  const transition = stageTransitionProblem(previous, config.stage, config.allowStageRollback);
  if (transition) problems.push(transition);
  if (input.sourceDags && input.targetDagBucketArn) {
    const shared = sharedDagLocationProblem(input.sourceDags, {
      bucketArn: input.targetDagBucketArn,
      dagS3Path: config.dagS3Path,
    });
    if (shared) problems.push(shared);
  }
  return { problems, upgradePath: versions.path };
}

/**
 * Where the target's pip gets requirements.txt's packages (rules/packageSource): as written, or, without
 * an internet route, from wheels built now into plugins.zip or from a private repository, with the
 * constraint file shipped beside them. Problems refuse the preview.
 */
function requirementPackages(
  config: MigrationConfig,
  projectRoot: string,
  python: string,
): { problems: string[]; summary?: string; packages?: WorkflowAssetsArgs["packages"] } {
  if (!config.requirementsFile) return { problems: [] };
  const file = path.resolve(projectRoot, config.requirementsFile);
  if (!fs.existsSync(file)) return { problems: [] };
  const requirements = fs.readFileSync(file, "utf8");
  const chosen = choosePackageSource(config.packageSource, config.network, file, requirements);
  if (chosen.problem) return { problems: [chosen.problem] };
  const source = chosen.source;
  if (source.kind === "as-written") return { problems: [], summary: packageSourceSummary(source) };
  const built = buildWheelhouse({
    requirements,
    requirementsPath: file,
    constraintsFile: config.constraintsFile ? path.resolve(projectRoot, config.constraintsFile) : undefined,
    python,
    source,
  });
  if (!built.ok) return { problems: [built.problem] };
  const bytes = built.wheels.reduce((sum, wheel) => sum + wheel.bytes, 0);
  return {
    problems: [],
    summary: packageSourceSummary(source, { wheels: built.wheels.length, bytes, python }),
    packages: {
      requirements: installableRequirements(requirements, source, config.requirementsFile),
      pluginFiles: [
        { name: SHIPPED_CONSTRAINTS, data: Buffer.from(built.constraints) },
        ...built.wheels.map((wheel) => ({ name: wheel.name, data: fs.readFileSync(wheel.path) })),
      ],
    },
  };
}

/** The target's side as the program reaches it: its own region, role or profile, or the stack's. */
export interface TargetSide {
  readonly separate: boolean;
  readonly access: RegionalAccess;
}

export function targetSide(given: TargetAccess, stackRegion: string): TargetSide {
  const separate =
    given.assumeRoleArn !== undefined ||
    given.profile !== undefined ||
    (given.region !== undefined && given.region !== stackRegion);
  return { separate, access: { ...given, region: given.region ?? stackRegion } };
}

/** The target side's AWS provider: its region, and the role it assumes or the profile it uses. */
export function targetProviderArgs(access: RegionalAccess): aws.ProviderArgs {
  return {
    region: access.region as aws.Region,
    ...(access.profile ? { profile: access.profile } : {}),
    ...(access.assumeRoleArn
      ? { assumeRoles: [{ roleArn: access.assumeRoleArn, sessionName: ASSUMED_SESSION_NAME }] }
      : {}),
  };
}

/** Whether the preview reads the source's web UI mapping (an MWAA source, cloning, cloneWebUiAccess). */
export function clonesWebUiAccess(config: MigrationConfig): boolean {
  return config.cloneWebUiAccess && config.cloneSourceSettings && config.source.kind === "mwaa";
}

/**
 * The web UI mapping to build: webUiAccess, plus what the source's policies give principals it does not
 * name (rules/webUiClone); what cannot be carried is logged for the reviewer.
 */
function webUiMappingsWithSource(
  config: MigrationConfig,
  region: string,
  policies: readonly AttachedPolicy[],
  parent: pulumi.Resource,
): WebUiMapping[] {
  if (!clonesWebUiAccess(config) || config.source.kind !== "mwaa" || policies.length === 0)
    return [...config.webUiAccess];
  const [, partition, , , account] = policies[0].policyArn.split(":");
  const targetAccount = config.targetAccess.assumeRoleArn
    ? accountOfArn(config.targetAccess.assumeRoleArn)
    : undefined;
  if (targetAccount !== undefined && targetAccount !== account) {
    // The source's principals cannot log in to another account's environment through its policies.
    pulumi.log.warn(
      `web UI access of ${config.source.environmentName} is not carried: its principals are in account ${account}, ` +
        `the target in ${targetAccount}; map principals of ${targetAccount} in webUiAccess`,
      parent,
    );
    return [...config.webUiAccess];
  }
  const source = { name: config.source.environmentName, region, account, partition };
  const cloned = sourceWebUiMappings(source, policies);
  for (const note of cloned.notes) pulumi.log.warn(`web UI access: ${note}`, parent);
  const merged = withClonedMappings(config.webUiAccess, cloned.mappings);
  const carried = merged.slice(config.webUiAccess.length);
  pulumi.log.info(
    `web UI access carried from ${source.name}: ` +
      (carried.length === 0
        ? "nothing webUiAccess does not already name"
        : carried.map((m) => `${m.principal.given} as ${m.airflowRole}`).join(", ")),
    parent,
  );
  return merged;
}

/**
 * The stack's Data Pipeline pipelines converted for the target's Airflow: the definition files of
 * `pipelineDefinitions` and the pipelines of `pipelineIds`, read from the account before the program builds
 * anything (none when both keys are empty).
 */
function pipelineConversion(
  config: MigrationConfig,
  projectRoot: string,
  livePipelines: readonly LivePipeline[],
): FolderConversion {
  const folder = config.pipelineDefinitions
    ? pipelineFolderSources(path.resolve(projectRoot, config.pipelineDefinitions))
    : { sources: [], problems: [] };
  const converted = convertPipelines(
    [...folder.sources, ...livePipelines.map(livePipelineSource)],
    config.targetAirflowVersion,
    { activationTime: config.pipelineActivationTime, choices: config.pipelineConversionOptions },
  );
  return { pipelines: converted.pipelines, problems: [...folder.problems, ...converted.problems] };
}

/**
 * A whole migration: the source it reads, the target it builds, the bucket bundles travel through,
 * the temporary grants, and the phases the current stage runs.
 */
export class Migration extends pulumi.ComponentResource {
  readonly plan: StagePlan;
  /** Whether this stack has applied `bulk`, now or before: the next update's history. */
  readonly bulkApplied: boolean;
  readonly source: SourceEnvironment;
  readonly target: TargetEnvironment;
  readonly bucket: MigrationBucket;
  readonly grants?: MigrationGrants;
  readonly phases: MigrationPhases;
  readonly checks: pulumi.Output<MigrationChecks>;
  readonly targetSettings: pulumi.Output<TargetSettings>;
  /** What the target's Secrets Manager backend reads (the execution role's grant); undefined: no backend. */
  readonly secretsBackend: pulumi.Output<SecretsBackendGrant | undefined>;
  readonly webUi?: WebUiAccess;
  readonly deployerPolicy: pulumi.Output<string>;
  /** Where the target's pip gets requirements.txt's packages (undefined: no requirements file). */
  readonly requirementsSource?: string;
  /** Per converted pipeline: its DAG file and how many of its objects were converted, approximated or not. */
  readonly pipelineConversion: Omit<ConvertedPipeline, "content">[];
  /** How the target's side is reached; `separate` when it has its own account, region or credentials. */
  readonly targetSide: TargetSide;
  /** The target side's AWS provider; undefined when the target shares the stack's default provider. */
  readonly targetProvider?: aws.Provider;

  constructor(name: string, args: MigrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mwaa-migration:index:Migration", name, {}, opts);
    const { config, region } = args;
    this.plan = stagePlan(config.stage, args.history);
    this.bulkApplied = this.plan.bulkExport || args.history.bulkApplied;
    this.targetSide = targetSide(config.targetAccess, region);
    this.targetProvider = this.targetSide.separate
      ? new aws.Provider(`${name}-target-aws`, targetProviderArgs(this.targetSide.access), { parent: this })
      : undefined;
    const sourceAccount = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const account = this.targetProvider
      ? aws.getCallerIdentityOutput({}, { parent: this, provider: this.targetProvider }).accountId
      : sourceAccount;
    const targetRegion = this.targetSide.access.region;
    const version = findMwaaVersion(config.targetAirflowVersion);
    if (!version) throw new ConfigurationError([`unknown target version ${config.targetAirflowVersion}`]);

    this.source = new SourceEnvironment(
      `${name}-source`,
      { source: config.source, region, account: sourceAccount, password: args.sourcePassword },
      { parent: this },
    );
    const pipelines = pipelineConversion(config, args.projectRoot, args.livePipelines ?? []);
    this.pipelineConversion = pipelines.pipelines.map(({ content: _content, ...summary }) => summary);
    const packages = requirementPackages(config, args.projectRoot, version.python);
    this.requirementsSource = packages.summary;
    if (packages.summary) pulumi.log.info(packages.summary, this);
    this.checks = this.runChecks(config, args.previousStage, [...packages.problems, ...pipelines.problems]);
    this.targetSettings = this.resolveSettings(config);
    this.secretsBackend = this.targetSettings.apply((settings) => {
      const backend = targetSecretsBackend(settings.airflowConfigurationOptions, config.secretsKmsKeyArn);
      if (backend.problems.length > 0) throw new ConfigurationError(backend.problems);
      for (const note of backend.notes) pulumi.log.info(note, this);
      return backend.grant;
    });
    this.bucket = new MigrationBucket(
      `${name}-bucket`,
      {
        prefix: config.migrationPrefix,
        expirationDays: config.bundleExpirationDays,
        sourceWriter: this.targetProvider
          ? {
              roleArn: this.source.executionRoleArn,
              account,
              partition: partitionOf(targetRegion),
              region: targetRegion,
            }
          : undefined,
        tags: args.tags,
      },
      this.onTargetSide(),
    );
    this.target = this.buildTarget(
      name,
      args,
      version.python,
      account,
      pipelines.pipelines,
      packages.packages,
    );
    const webUiMappings = webUiMappingsWithSource(config, region, args.sourceLoginPolicies ?? [], this);
    if (webUiMappings.length > 0)
      this.webUi = new WebUiAccess(
        `${name}-web-ui`,
        {
          environmentName: config.targetEnvironmentName,
          region: targetRegion,
          account,
          mappings: webUiMappings,
          ssoInstanceArn: config.ssoInstanceArn,
          // Through the environment's reported version: a custom role is created once the environment exists.
          airflow: this.target.environment.airflowVersion.apply((v) =>
            mwaaAirflow(config.targetEnvironmentName, v, targetRegion, this.targetSide.access),
          ),
          tags: args.tags,
        },
        this.onTargetSide(),
      );
    // Only the environment is built when no history moves: no grant is needed.
    if (this.plan.grants && config.historyImport) this.grants = this.buildGrants(name, config);
    if (this.grants && config.source.kind === "self-managed" && config.targetAccess.assumeRoleArn)
      // The bucket's policy names an MWAA source's role; a self-managed Airflow's identity is not known here.
      pulumi.log.warn(
        `the migration bucket is built in the target's account (targetRoleArn): the identity your Airflow ` +
          `writes the bundle with needs the exportGrantPolicy output and must be of that account (e.g. a role ` +
          `of it that your Airflow assumes); the bucket's policy names no identity of another account`,
        this,
      );
    this.phases = migrationPhases(name, this.plan, this.phaseContext(config, region), this);
    this.deployerPolicy = this.deployerPolicyFor(
      config,
      region,
      { source: sourceAccount, target: account },
      webUiMappings,
    );

    this.registerOutputs({
      stage: config.stage,
      bulkApplied: this.bulkApplied,
      targetEnvironmentArn: this.target.arn,
      migrationBucketName: this.bucket.bucketName,
      deployerPolicy: this.deployerPolicy,
    });
  }

  /**
   * The checks that wait for AWS (see `migrationProblems`), plus the target's workflow-asset problems:
   * any problem fails the stack with all of them listed, before the target environment is touched.
   */
  private runChecks(
    config: MigrationConfig,
    lastStage: string | undefined,
    localProblems: string[],
  ): pulumi.Output<MigrationChecks> {
    const targetDagBucketArn = config.targetDagBucketName
      ? aws.s3.getBucketOutput(
          { bucket: config.targetDagBucketName },
          { parent: this, provider: this.targetProvider },
        ).arn
      : undefined;
    return pulumi
      .all([
        this.source.airflowVersion,
        lastStage,
        this.source.sourceBucketArn,
        this.source.dagS3Path,
        targetDagBucketArn,
      ])
      .apply(([sourceVersion, previousStage, sourceBucketArn, sourceDagPath, targetBucketArn]) => {
        const result = migrationProblems({
          config,
          sourceVersion,
          previousStage,
          sourceDags:
            sourceBucketArn && sourceDagPath
              ? { bucketArn: sourceBucketArn, dagS3Path: sourceDagPath }
              : undefined,
          targetDagBucketArn: targetBucketArn,
        });
        // The target's workflow assets were built synchronously, before this callback can run.
        const problems = [...result.problems, ...this.target.assets.problems, ...localProblems];
        if (problems.length > 0) throw new ConfigurationError(problems);
        pulumi.log.info(`upgrade path: ${result.upgradePath!.note}`, this);
        return { upgradePath: result.upgradePath! };
      });
  }

  /** The new environment, from the config, with its workflow files resolved against the project folder. */
  private buildTarget(
    name: string,
    args: MigrationArgs,
    pythonVersion: string,
    account: pulumi.Output<string>,
    pipelines: readonly ConvertedPipeline[],
    packages: WorkflowAssetsArgs["packages"],
  ): TargetEnvironment {
    const { config } = args;
    const resolve = (file: string | undefined) => (file ? path.resolve(args.projectRoot, file) : undefined);
    const plugin = shipsMigrationPlugin(config.stage, config.historyImport, config.targetAirflowVersion);
    // The plugin reads bundles only from the location its environment's own configuration names.
    const settings = plugin
      ? pulumi.all([this.targetSettings, this.bucket.bucketName]).apply(([resolved, bucket]) => ({
          ...resolved,
          airflowConfigurationOptions: {
            ...resolved.airflowConfigurationOptions,
            ...bundleLocationOption(bucket, config.migrationPrefix),
          },
        }))
      : this.targetSettings;
    return new TargetEnvironment(
      `${name}-target`,
      {
        environmentName: config.targetEnvironmentName,
        // The environment waits for the checks: a failed check stops the stack before MWAA is touched.
        airflowVersion: this.checks.apply(() => config.targetAirflowVersion),
        pythonVersion,
        region: this.targetSide.access.region,
        account,
        network: config.network,
        kmsKeyArn: config.kmsKeyArn,
        dagBucketName: config.targetDagBucketName,
        dagS3Path: config.dagS3Path,
        settings,
        secretsBackend: this.secretsBackend,
        assets: {
          dagsFolder: resolve(config.dagsFolder)!,
          requirementsFile: resolve(config.requirementsFile),
          pluginsZip: resolve(config.pluginsZip),
          packages,
          migrationPluginFrom: plugin ? DEFAULT_PAYLOAD_DIR : undefined,
          generatedDags: pipelines.map((p) => ({ file: p.dagFile, content: p.content })),
          startupScript: resolve(config.startupScript),
          airflowVersion: config.targetAirflowVersion,
          problemsReportedByCaller: true,
        },
        tags: args.tags,
      },
      this.onTargetSide(),
    );
  }

  /** Options of a component on the target's side: the target's AWS provider when it has its own. */
  private onTargetSide(): pulumi.ComponentResourceOptions {
    return this.targetProvider ? { parent: this, providers: { aws: this.targetProvider } } : { parent: this };
  }

  /** The temporary grants: export on the source's role, import on the target's (after the checks pass). */
  private buildGrants(name: string, config: MigrationConfig): MigrationGrants {
    return new MigrationGrants(
      `${name}-grants`,
      {
        bucketName: this.bucket.bucketName,
        prefix: config.migrationPrefix,
        keyArn: this.bucket.keyArn,
        sourceRoleName: this.source.executionRoleName,
        targetRoleName: this.checks.apply(() => this.target.executionRoleName),
        targetProvider: this.targetProvider,
      },
      { parent: this },
    );
  }

  /**
   * What the identity running `pulumi up` needs for this migration, as a JSON policy document: the MWAA
   * work, and what the phase resources do as the deployer in the DAG folders, the migration bucket and the
   * task log groups.
   */
  private deployerPolicyFor(
    config: MigrationConfig,
    region: string,
    accounts: { source: pulumi.Output<string>; target: pulumi.Output<string> },
    webUiMappings: readonly WebUiMapping[],
  ): pulumi.Output<string> {
    const { source, target } = this;
    const sourceSide = pulumi.all([
      accounts.source,
      source.executionRoleArn,
      source.sourceBucketArn,
      source.dagS3Path,
      source.taskLogGroupArn,
    ]);
    const targetSide = pulumi.all([
      accounts.target,
      this.bucket.bucketName,
      this.bucket.keyArn,
      target.dagBucketName,
      target.taskLogGroupArn,
    ]);
    return pulumi
      .all([targetSide, sourceSide])
      .apply(
        ([
          [acct, bucketName, keyArn, targetBucket, targetLogs],
          [sourceAccount, roleArn, sourceBucket, sourceDagPath, sourceLogs],
        ]) =>
          JSON.stringify(
            deployerPolicy({
              region: this.targetSide.access.region,
              account: acct,
              sourceSide: { region, account: sourceAccount },
              targetRoleArn: this.targetSide.access.assumeRoleArn,
              targetEnvironmentName: config.targetEnvironmentName,
              sourceEnvironmentName:
                config.source.kind === "mwaa" ? config.source.environmentName : undefined,
              sourceExecutionRoleArn: roleArn,
              bundle: { bucketName, prefix: config.migrationPrefix, keyArn },
              sourceDags:
                sourceBucket !== undefined && sourceDagPath !== undefined
                  ? { bucket: sourceBucket, dagS3Path: sourceDagPath }
                  : undefined,
              targetDags: { bucket: targetBucket, dagS3Path: target.dagS3Path },
              targetAirflowVersion: config.targetAirflowVersion,
              sourceTaskLogGroupArn: sourceLogs,
              targetTaskLogGroupArn: targetLogs,
              purgeBundlesOnDelete: config.phases.purgeBundlesOnDelete,
              webUi: webUiDeployerScope(config.targetEnvironmentName, webUiMappings, config.ssoInstanceArn),
              readsSourceWebUi: clonesWebUiAccess(config),
              pipelineIds: config.pipelineIds,
            }),
          ),
      );
  }

  /** What the phases reach on each side, from the source and target components. */
  private phaseContext(config: MigrationConfig, region: string): PhaseContext {
    const { source, target } = this;
    const sourceAirflow =
      source.kind === "mwaa"
        ? source.airflowVersion.apply((version) => mwaaAirflow(source.name, version, region))
        : pulumi
            .all([source.airflowVersion, source.restApi!.password])
            .apply(([version, password]) => selfManagedAirflow({ ...source.restApi!, password }, version));
    const sourceDagFolder =
      source.kind === "mwaa"
        ? pulumi
            .all([source.sourceBucketArn!, source.dagS3Path!])
            .apply(([arn, dagPath]) => s3DagFolder(arn, dagPath))
        : source.dagsLocation!;
    const targetAccess = this.targetSide.access;
    return {
      source: {
        airflow: sourceAirflow,
        dagFolder: sourceDagFolder,
        taskLogGroup: source.taskLogGroupArn,
        access: { region },
      },
      target: {
        airflow: target.environment.airflowVersion.apply((version) =>
          mwaaAirflow(target.environmentName, version, targetAccess.region, targetAccess),
        ),
        dagFolder: target.dagBucketName.apply((bucket) => s3DagFolder(bucket, target.dagS3Path)),
        taskLogGroup: target.taskLogGroupArn,
      },
      bundle: {
        bucket: this.bucket.bucketName,
        prefix: config.migrationPrefix,
        kmsKeyId: this.bucket.keyArn,
        region: targetAccess.region,
        access: targetAccess,
      },
      bundleAccess: this.grants ? [this.grants] : [],
      targetReady: [target],
      targetAirflowVersion: config.targetAirflowVersion,
      targetDagFiles: target.assets.dagFileHashes,
      settings: config.phases,
    };
  }

  private resolveSettings(config: MigrationConfig): pulumi.Output<TargetSettings> {
    const cloned: pulumi.Output<ClonedSettings | undefined> =
      config.cloneSourceSettings && this.source.settings
        ? this.source.settings.apply((state) => {
            const rewrite = rewriteLegacySecretsBackend(state.airflowConfigurationOptions ?? {});
            if (rewrite.rewritten) {
              pulumi.log.info(
                `secrets.backend rewritten from ${rewrite.rewritten.from} to ${rewrite.rewritten.to} (Airflow 2 path)`,
                this,
              );
            }
            return cloneAllowlisted(state);
          })
        : pulumi.output(undefined);
    return cloned.apply((settings) => {
      const resolved = resolveTargetSettings(config.explicit, settings);
      for (const note of resolved.notes) pulumi.log.info(note, this);
      return resolved.settings;
    });
  }
}
