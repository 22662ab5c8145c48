/**
 * One dynamic provider shape for resources whose create *does work* in Airflow (the export and
 * the import). The resource modules supply what differs (their inputs, DAG, conf and outputs);
 * this module supplies the rules every such resource follows:
 * check without side effects, replaces for inputs that change the work, deterministic run ids,
 * partial state on an unfinished run, resume on the next update, tolerant read/delete.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { createAirflowClient } from "../airflow/chooser";
import type { AirflowClient } from "../airflow/client";
import { Failures, isUnknown, withDefaults } from "./checks";
import { checkCommonInputs } from "./commonInputs";
import { diffWork, sameValue } from "./diff";
import { partialCreateError, PartialCreateError } from "./partialState";
import { realClock } from "../taskLogs/tokenBucket";
import { runIdFor, WorkKind } from "./runIds";
import { runMigrationDag } from "./runner";
import { AirflowTarget, airflowIdentity, connectionFor } from "./target";
import { removePayload } from "./dagDelivery";
import { readPayload } from "./payload";

export type Inputs = Record<string, unknown>;

/** What every work resource records besides its inputs. */
export interface WorkState {
  exportId: string;
  runId: string;
  attempt: number;
  /** true once the run succeeded and its outputs were read; false in partial state. */
  completed: boolean;
  runState: string;
}

export interface WorkDefinition {
  resource: string;
  kind: WorkKind;
  dagId: string;
  defaults: Inputs;
  replacing: readonly string[];
  inPlace: readonly string[];
  checkSpecific(inputs: Inputs, failures: Failures): void;
  /** Fills derived inputs (e.g. the default exportId) once the inputs they depend on are known. */
  derive(inputs: Inputs): Inputs;
  conf(inputs: Inputs): Record<string, unknown>;
  /** Reads the manifest/report after a successful run; throws to mark the run as failed. */
  outputs(
    inputs: Inputs,
    region: string | undefined,
    airflow: AirflowClient,
    log: (line: string) => void,
  ): Promise<Inputs>;
  /** Extra clean-up for delete (e.g. purging the bundle). */
  onDelete(props: Inputs, region: string | undefined, log: (line: string) => void): Promise<void>;
}

/** The airflow input without login or transport, so rotating a password does not re-run the work. */
function withoutCredentials(inputs: Inputs): Inputs {
  return { ...inputs, airflow: airflowIdentity(inputs.airflow) };
}

export function workProvider(definition: WorkDefinition): dynamic.ResourceProvider {
  const settings: { region?: string } = {};
  const log = (line: string) => console.log(line);

  const regionOf = (inputs: Inputs): string | undefined => {
    const airflow = inputs.airflow as AirflowTarget | undefined;
    return (inputs.region as string | undefined) ?? airflow?.region ?? settings.region;
  };

  const idOf = (exportId: string) => `${definition.kind}/${exportId}`;

  async function perform(inputs: Inputs, attempt: number): Promise<dynamic.CreateResult> {
    const region = regionOf(inputs);
    const exportId = String(inputs.exportId);
    const airflow = createAirflowClient(connectionFor(inputs.airflow as AirflowTarget, region));
    const runId = runIdFor(definition.kind, exportId, attempt);
    const outcome = await runMigrationDag(
      { airflow, clock: realClock, log },
      {
        resource: definition.resource,
        dagId: definition.dagId,
        runId,
        conf: definition.conf(inputs),
        dagFolder: String(inputs.dagFolder),
        payloadDir: String(inputs.payloadDir),
        region,
        parseDeadlineSeconds: Number(inputs.parseDeadlineSeconds),
        deadlineSeconds: Number(inputs.deadlineSeconds),
        pollIntervalSeconds: Number(inputs.pollIntervalSeconds),
      },
    );
    const partial = (runState: string, reasons: string[]): PartialCreateError => {
      const state: WorkState = { exportId, runId, attempt, completed: false, runState };
      return partialCreateError(idOf(exportId), { ...inputs, ...state }, reasons);
    };
    switch (outcome.kind) {
      case "notStarted":
        throw new Error(`${definition.resource}: ${outcome.reason}`);
      case "failed":
        throw partial("failed", [
          `${definition.resource}: ${outcome.reason}`,
          "the next `pulumi up` starts a new attempt",
        ]);
      case "unfinished":
        throw partial("running", [`${definition.resource}: ${outcome.reason}`]);
      case "succeeded": {
        let outs: Inputs;
        try {
          outs = await definition.outputs(inputs, region, airflow, log);
        } catch (e) {
          throw partial("failed", [
            `${definition.resource}: run ${runId} succeeded but its result is not acceptable: ${(e as Error).message}`,
          ]);
        }
        const state: WorkState = { exportId, runId, attempt, completed: true, runState: "success" };
        return {
          id: idOf(exportId),
          outs: { ...inputs, ...outs, ...state, elapsedSeconds: Math.round(outcome.elapsedMs / 1000) },
        };
      }
    }
  }

  const provider: dynamic.ResourceProvider = {
    async configure(req: dynamic.ConfigureRequest) {
      settings.region = req.config.get("aws:region");
    },

    async check(_olds: Inputs, news: Inputs): Promise<dynamic.CheckResult> {
      const failures: Failures = [];
      const inputs = withDefaults<Inputs>(news, definition.defaults);
      checkCommonInputs(inputs, failures);
      definition.checkSpecific(inputs, failures);
      const anyUnknown = Object.values(inputs).some(isUnknown);
      return { inputs: failures.length === 0 && !anyUnknown ? definition.derive(inputs) : inputs, failures };
    },

    async diff(_id: string, olds: Inputs, news: Inputs): Promise<dynamic.DiffResult> {
      return diffWork(
        withoutCredentials(olds),
        withoutCredentials(news),
        definition.replacing,
        definition.inPlace,
        !sameValue(olds.airflow, news.airflow),
      );
    },

    async create(inputs: Inputs): Promise<dynamic.CreateResult> {
      return perform(definition.derive(inputs), 1);
    },

    /** In place: new deadlines or credentials, or the resume of a run left in partial state. */
    async update(_id: string, olds: Inputs, news: Inputs): Promise<dynamic.UpdateResult> {
      if (olds.completed === true) return { outs: { ...olds, ...news } };
      const attempt = typeof olds.attempt === "number" ? olds.attempt : 1;
      log(
        `[${definition.resource}] resuming from partial state (run ${String(olds.runId)}, ${String(olds.runState)})`,
      );
      const inputs = { ...definition.derive(news), exportId: olds.exportId ?? news.exportId };
      const result = await perform(inputs, olds.runState === "failed" ? attempt + 1 : attempt);
      return { outs: result.outs };
    },

    async read(id: string, props: Inputs): Promise<dynamic.ReadResult> {
      return { id, props };
    },

    async delete(_id: string, props: Inputs): Promise<void> {
      const region = regionOf(props);
      // A run left in partial state may still have its DAG files in the folder.
      if (
        props.completed !== true &&
        typeof props.dagFolder === "string" &&
        typeof props.payloadDir === "string"
      ) {
        try {
          const keys = readPayload(props.payloadDir, definition.dagId).map((f) => f.key);
          await removePayload(props.dagFolder, keys, region);
        } catch (e) {
          log(`[${definition.resource}] could not remove leftover DAG files: ${(e as Error).message}`);
        }
      }
      await definition.onDelete(props, region, log);
    },
  };
  return provider;
}
