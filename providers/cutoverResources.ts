/**
 * The two halves of cutover as resources, so that going back a stage is a resource delete:
 * - CutoverSourcePause pauses the source's active DAGs; deleting it unpauses them again.
 * - CutoverTargetActivation unpauses on the target exactly the DAGs that were active on the
 *   source (the pause resource's `pausedDags`); deleting it pauses them on the target again.
 * Each create restores whatever it changed if it fails part way.
 */
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import { createAirflowClient } from "./airflow/chooser";
import type { AirflowClient } from "./airflow/client";
import { dagsToPauseOnSource, dagsToRevert, describeActivation, planTargetActivation } from "./cutover";
import { Failures, isUnknown, optionalBoolean, optionalStringList, withDefaults } from "./framework/checks";
import { PROVIDER_VERSION } from "./framework/commonInputs";
import { diffWork, sameValue } from "./framework/diff";
import { describeError } from "./framework/partialState";
import { pauseLedger } from "./framework/pauseLedger";
import { RESOURCE_MODULE, workResourceOptions } from "./framework/resource";
import {
  AirflowTarget,
  airflowIdentity,
  checkAirflow,
  connectionFor,
  describeAirflow,
} from "./framework/target";

type Inputs = Record<string, unknown>;

interface SwitchDefinition {
  resource: string;
  defaults: Inputs;
  replacing: readonly string[];
  checkSpecific(inputs: Inputs, failures: Failures): void;
  /** Makes the change through the ledger; returns the outputs. */
  apply(
    airflow: AirflowClient,
    inputs: Inputs,
    ledger: ReturnType<typeof pauseLedger>,
    log: (line: string) => void,
  ): Promise<Inputs>;
  /** Undoes the change recorded in the outputs (tolerant of outputs without those fields). */
  revert(airflow: AirflowClient, props: Inputs, log: (line: string) => void): Promise<void>;
}

function switchProvider(definition: SwitchDefinition): dynamic.ResourceProvider {
  const settings: { region?: string } = {};
  const log = (line: string) => console.log(`[${definition.resource}] ${line}`);
  const clientFor = (inputs: Inputs) =>
    createAirflowClient(
      connectionFor(
        inputs.airflow as AirflowTarget,
        (inputs.airflow as AirflowTarget).region ?? settings.region,
      ),
    );
  return {
    async configure(req: dynamic.ConfigureRequest) {
      settings.region = req.config.get("aws:region");
    },
    async check(_olds: Inputs, news: Inputs) {
      const failures: Failures = [];
      const inputs = withDefaults<Inputs>(news, definition.defaults);
      checkAirflow(failures, "airflow", inputs.airflow);
      definition.checkSpecific(inputs, failures);
      return { inputs, failures };
    },
    async diff(_id: string, olds: Inputs, news: Inputs) {
      const identity = (inputs: Inputs) => ({ ...inputs, airflow: airflowIdentity(inputs.airflow) });
      const result = diffWork(
        identity(olds),
        identity(news),
        definition.replacing,
        [],
        !sameValue(olds.airflow, news.airflow),
      );
      // Undo the old switch before making the new one: created first, the new pause would find
      // the DAGs already paused and record nothing, and the old one's delete would unpause them.
      return { ...result, deleteBeforeReplace: true };
    },
    async create(inputs: Inputs) {
      const airflow = clientFor(inputs);
      const ledger = pauseLedger(airflow);
      try {
        const outs = await definition.apply(airflow, inputs, ledger, log);
        return {
          id: `${describeAirflow(inputs.airflow as AirflowTarget)}#${definition.resource}`,
          outs: { ...inputs, ...outs },
        };
      } catch (e) {
        const problems = await ledger.restore();
        throw new Error(
          [
            `${definition.resource} failed on ${describeAirflow(inputs.airflow as AirflowTarget)}: ${describeError(e)}`,
            "every DAG it had changed was put back",
            ...problems,
          ].join("\n"),
        );
      }
    },
    async update(_id: string, olds: Inputs, news: Inputs) {
      return { outs: { ...olds, ...news } };
    },
    async read(id: string, props: Inputs) {
      return { id, props };
    },
    async delete(_id: string, props: Inputs) {
      if (typeof props.airflow !== "object" || props.airflow === null) return;
      await definition.revert(clientFor(props), props, log);
    },
  };
}

const stringList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

export const cutoverSourcePauseProvider = switchProvider({
  resource: "CutoverSourcePause",
  defaults: { keepRunning: [], providerVersion: PROVIDER_VERSION },
  replacing: ["airflow", "keepRunning", "providerVersion"],
  checkSpecific(inputs, failures) {
    optionalStringList(failures, inputs, "keepRunning");
  },
  async apply(airflow, inputs, ledger, log) {
    const toPause = dagsToPauseOnSource(await airflow.listDags(), stringList(inputs.keepRunning));
    log(toPause.length ? `pausing on the source: ${toPause.join(", ")}` : "no active DAGs on the source");
    for (const dagId of toPause) await ledger.set(dagId, false, true);
    return { pausedDags: toPause };
  },
  async revert(airflow, props, log) {
    const toUnpause = dagsToRevert(stringList(props.pausedDags), await airflow.listDags(), true);
    log(
      toUnpause.length
        ? `going back: unpausing on the source: ${toUnpause.join(", ")}`
        : "going back: nothing to unpause on the source",
    );
    for (const dagId of toUnpause) await airflow.setPaused(dagId, false);
  },
});

export const cutoverTargetActivationProvider = switchProvider({
  resource: "CutoverTargetActivation",
  defaults: { leavePaused: false, providerVersion: PROVIDER_VERSION },
  replacing: ["airflow", "activeDags", "leavePaused", "providerVersion"],
  checkSpecific(inputs, failures) {
    if (!isUnknown(inputs.activeDags) && inputs.activeDags === undefined) {
      failures.push({
        property: "activeDags",
        reason: "activeDags is required: pass the CutoverSourcePause's pausedDags output",
      });
    }
    optionalStringList(failures, inputs, "activeDags");
    optionalBoolean(failures, inputs, "leavePaused");
  },
  async apply(airflow, inputs, ledger, log) {
    const plan = planTargetActivation(
      stringList(inputs.activeDags),
      await airflow.listDags(),
      inputs.leavePaused === true,
    );
    for (const line of describeActivation(plan, inputs.leavePaused === true)) log(line);
    for (const dagId of plan.unpause) await ledger.set(dagId, true, false);
    return { unpausedDags: plan.unpause, alreadyActiveDags: plan.alreadyActive, missingDags: plan.missing };
  },
  async revert(airflow, props, log) {
    const toPause = dagsToRevert(stringList(props.unpausedDags), await airflow.listDags(), false);
    log(
      toPause.length
        ? `going back: pausing on the target again: ${toPause.join(", ")}`
        : "going back: nothing to pause on the target",
    );
    for (const dagId of toPause) await airflow.setPaused(dagId, true);
  },
});

export interface CutoverSourcePauseArgs {
  airflow: pulumi.Input<AirflowTarget>;
  /** DAG ids to leave running on the source (e.g. a monitoring DAG). */
  keepRunning?: pulumi.Input<pulumi.Input<string>[]>;
}

export class CutoverSourcePause extends dynamic.Resource {
  /** The DAGs that were active on the source and that this resource paused. */
  declare readonly pausedDags: pulumi.Output<string[]>;

  constructor(name: string, args: CutoverSourcePauseArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      cutoverSourcePauseProvider,
      name,
      { ...args, pausedDags: undefined },
      workResourceOptions(opts),
      RESOURCE_MODULE,
      "CutoverSourcePause",
    );
  }
}

export interface CutoverTargetActivationArgs {
  airflow: pulumi.Input<AirflowTarget>;
  /** The DAGs that were active on the source: the CutoverSourcePause's pausedDags. */
  activeDags: pulumi.Input<pulumi.Input<string>[]>;
  /** Keep every DAG paused on the target after cutover (unpause by hand later). */
  leavePaused?: pulumi.Input<boolean>;
}

export class CutoverTargetActivation extends dynamic.Resource {
  declare readonly unpausedDags: pulumi.Output<string[]>;
  declare readonly alreadyActiveDags: pulumi.Output<string[]>;
  declare readonly missingDags: pulumi.Output<string[]>;

  constructor(name: string, args: CutoverTargetActivationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      cutoverTargetActivationProvider,
      name,
      { ...args, unpausedDags: undefined, alreadyActiveDags: undefined, missingDags: undefined },
      workResourceOptions(opts),
      RESOURCE_MODULE,
      "CutoverTargetActivation",
    );
  }
}
