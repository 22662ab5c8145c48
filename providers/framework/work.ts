/**
 * The resource type of work done in Airflow (the export and the import): a create delivers the
 * migration DAG, runs it with a deterministic run id, and reads its result; a run that failed or did
 * not finish leaves partial state, and the next update resumes it (DESIGN §5.7). The export and import
 * modules supply what differs: their inputs, DAG, run parameters and outputs.
 */
import { type AirflowConnection, createAirflowClient } from "../airflow/chooser";
import { taskLogGroupName } from "../../rules/names";
import { cloudWatchTaskLogTail } from "../taskLogs/logTail";
import type { AirflowClient } from "../airflow/client";
import { bundleLocation } from "../../contract";
import { Failures } from "./checks";
import { bundleAccessOf, checkCommonInputs, COMMON_DEFAULTS, type CommonWorkInputs } from "./commonInputs";
import { removePayload } from "./dagDelivery";
import { partialCreateError, PartialCreateError } from "./partialState";
import { readPayload } from "./payload";
import type { ProviderContext, ResourceType } from "./provider";
import { runIdFor, WorkKind } from "./runIds";
import { runPluginImport } from "./pluginRunner";
import { runMigrationDag, type RunOutcome, type TaskLogTail } from "./runner";
import { connectionFor, pluginClientFor, sideAccess } from "./target";
import { accessOf, type AwsAccess } from "./awsAccess";
import { workPathFor } from "./workPath";

/** What every work resource records besides its inputs. */
export interface WorkState {
  exportId: string;
  runId: string;
  attempt: number;
  /** true once the run succeeded and its outputs were read; false in partial state. */
  completed: boolean;
  runState: string;
  elapsedSeconds?: number;
}

export interface WorkDefinition<I extends CommonWorkInputs, O> {
  name: string;
  kind: WorkKind;
  dagId: string;
  defaults: Partial<I>;
  replacing: readonly (keyof I & string)[];
  checkSpecific(inputs: Record<string, unknown>, failures: Failures): void;
  /** Fills derived inputs (e.g. the default exportId) once the inputs they depend on are known. */
  derive(inputs: I): I;
  conf(inputs: I): Record<string, unknown>;
  /** Reads the manifest/report after a successful run; throws to mark the run as failed. */
  outputs(inputs: I, bundle: AwsAccess, airflow: AirflowClient, log: (line: string) => void): Promise<O>;
  /**
   * What the run itself recorded about its failure (the import writes its report even when it fails),
   * for the error a user reads; the task log is not always readable (InvokeRestApi's path limit).
   */
  failureDetail?(inputs: I, bundle: AwsAccess, since: Date): Promise<string | undefined>;
  /** Extra clean-up for delete (e.g. purging the bundle). */
  onDelete(props: Partial<I & O & WorkState>, bundle: AwsAccess, log: (line: string) => void): Promise<void>;
}

export function workResourceType<I extends CommonWorkInputs, O>(
  definition: WorkDefinition<I, O>,
): ResourceType<I, O & WorkState> {
  const idOf = (exportId: string) => `${definition.kind}/${exportId}`;

  async function perform(inputs: I, attempt: number, context: ProviderContext): Promise<O & WorkState> {
    const region = context.regionOf(inputs);
    const bundle = bundleAccessOf(inputs, region);
    const exportId = String(inputs.exportId);
    const connection = connectionFor(inputs.airflow, region);
    const airflow = createAirflowClient(connection);
    const runId = runIdFor(definition.kind, exportId, attempt);
    const startedAt = new Date(context.clock.now());
    const outcome = await runWork(inputs, runId, region, airflow, connection, context);
    const partial = (runState: string, reasons: string[]): PartialCreateError => {
      const state: WorkState = { exportId, runId, attempt, completed: false, runState };
      return partialCreateError(idOf(exportId), { ...inputs, ...state }, reasons);
    };
    switch (outcome.kind) {
      case "notStarted":
        throw new Error(`${definition.name}: ${outcome.reason}`);
      case "failed": {
        const detail = await definition.failureDetail?.(inputs, bundle, startedAt).catch(() => undefined);
        throw partial("failed", [
          `${definition.name}: ${outcome.reason}`,
          ...(detail ? [detail] : []),
          "the next `pulumi up` starts a new attempt",
        ]);
      }
      case "unfinished":
        throw partial("running", [`${definition.name}: ${outcome.reason}`]);
      case "succeeded": {
        let outs: O;
        try {
          outs = await definition.outputs(inputs, bundle, airflow, context.log);
        } catch (e) {
          throw partial("failed", [
            `${definition.name}: run ${runId} succeeded but its result is not acceptable: ${(e as Error).message}`,
          ]);
        }
        const state: WorkState = {
          exportId,
          runId,
          attempt,
          completed: true,
          runState: "success",
          elapsedSeconds: Math.round(outcome.elapsedMs / 100) / 10,
        };
        return { ...outs, ...state };
      }
    }
  }

  /**
   * The migration DAG on Airflow 2, the migration plugin on Airflow 3 (the versions table decides). Not named
   * `run`: the closure serializer leaves global names uncaptured, and mocha makes `run` a global.
   */
  async function runWork(
    inputs: I,
    runId: string,
    region: string | undefined,
    airflow: AirflowClient,
    connection: AirflowConnection,
    context: ProviderContext,
  ): Promise<RunOutcome> {
    const path = workPathFor(definition.kind, inputs.airflow.airflowVersion);
    if (path.kind === "refused") return { kind: "notStarted", reason: path.reason };
    if (path.kind === "api-plugin") {
      return runPluginImport(
        { plugin: pluginClientFor(inputs.airflow, region), clock: context.clock, log: context.log },
        {
          resource: definition.name,
          runId,
          conf: definition.conf(inputs),
          where: bundleLocation(inputs),
          deadlineSeconds: inputs.deadlineSeconds,
          pollIntervalSeconds: inputs.pollIntervalSeconds,
        },
      );
    }
    return runMigrationDag(
      {
        airflow,
        clock: context.clock,
        log: context.log,
        taskLogFallback: taskLogFallbackFor(connection),
      },
      {
        resource: definition.name,
        dagId: definition.dagId,
        runId,
        conf: definition.conf(inputs),
        dagFolder: inputs.dagFolder,
        payloadDir: inputs.payloadDir,
        dagFolderAccess: sideAccess(inputs.airflow, region),
        parseDeadlineSeconds: inputs.parseDeadlineSeconds,
        deadlineSeconds: inputs.deadlineSeconds,
        pollIntervalSeconds: inputs.pollIntervalSeconds,
      },
    );
  }

  return {
    name: definition.name,
    defaults: { ...COMMON_DEFAULTS, ...definition.defaults } as Partial<I>,
    replacing: definition.replacing,
    check(inputs, failures) {
      checkCommonInputs(inputs, failures);
      definition.checkSpecific(inputs, failures);
    },
    derive: definition.derive,

    async create(inputs, context) {
      return { id: idOf(String(inputs.exportId)), outs: await perform(inputs, 1, context) };
    },

    /** In place: new deadlines or credentials keep a finished run; partial state resumes its run. */
    async update(_id, olds, news, context) {
      if (olds.completed === true) return { ...olds, ...news };
      const attempt = typeof olds.attempt === "number" ? olds.attempt : 1;
      context.log(
        `[${definition.name}] resuming from partial state (run ${String(olds.runId)}, ${String(olds.runState)})`,
      );
      const inputs = { ...news, exportId: olds.exportId ?? news.exportId };
      return perform(inputs, olds.runState === "failed" ? attempt + 1 : attempt, context);
    },

    async delete(_id, props, context) {
      const region = context.regionOf(props);
      // A run left in partial state may still have its DAG files in the folder.
      if (
        props.completed !== true &&
        typeof props.dagFolder === "string" &&
        typeof props.payloadDir === "string"
      ) {
        try {
          const keys = readPayload(props.payloadDir, definition.dagId).map((f) => f.key);
          await removePayload(props.dagFolder, keys, sideAccess(props.airflow, region));
        } catch (e) {
          context.log(`[${definition.name}] could not remove leftover DAG files: ${(e as Error).message}`);
        }
      }
      await definition.onDelete(props, bundleAccessOf(props, region), context.log);
    },
  };
}

/** An MWAA environment's task logs are in its CloudWatch task log group, whatever its client can read. */
function taskLogFallbackFor(connection: AirflowConnection): TaskLogTail | undefined {
  if (connection.kind === "airflow-rest") return undefined;
  return (dagId, runId, taskId, tryNumber, maxLines) =>
    cloudWatchTaskLogTail({
      access: accessOf(connection),
      logGroupName: taskLogGroupName(connection.environmentName),
      airflowVersion: connection.airflowVersion,
      key: { dagId, runId, taskId, tryNumber, mapIndex: -1 },
      maxLines,
    });
}
