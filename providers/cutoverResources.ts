/**
 * The two halves of cutover as resources, so that going back a stage is a resource delete:
 * - CutoverSourcePause pauses the source's active DAGs and waits until none of their task instances
 *   is queued or running any more, so the delta export that follows carries every run that was in
 *   flight at the pause; deleting it unpauses them again.
 * - CutoverTargetActivation unpauses on the target exactly the DAGs that were active on the
 *   source (the pause resource's `pausedDags`); deleting it pauses them on the target again.
 * Each create restores whatever it changed if it fails part way (DESIGN §5.8).
 */
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import { pollUntil } from "./clock";
import type { AirflowClient, DagRunStatus, InFlightTaskInstance, RunRef } from "./airflow/client";
import {
  dagsToPauseOnSource,
  dagsToRevert,
  describeActivation,
  describeInFlight,
  describeRuns,
  planRunFinish,
  planTargetActivation,
  settlingRuns,
} from "./cutover";
import {
  Failures,
  isUnknown,
  optionalBoolean,
  optionalSeconds,
  optionalStringList,
} from "./framework/checks";
import { PROVIDER_VERSION } from "./framework/commonInputs";
import { describeError } from "./framework/partialState";
import { pauseLedger, type PauseLedger } from "./framework/pauseLedger";
import { formatElapsed } from "./framework/progress";
import {
  type AirflowInputs,
  type ProviderContext,
  type ResourceType,
  resourceProvider,
} from "./framework/provider";
import { RESOURCE_MODULE, workResourceOptions } from "./framework/resource";
import { AirflowTarget, airflowClientFor, describeAirflow } from "./framework/target";

interface SwitchDefinition<I extends AirflowInputs, O> {
  name: string;
  defaults: Partial<I>;
  replacing: readonly (keyof I & string)[];
  checkSpecific(inputs: Record<string, unknown>, failures: Failures): void;
  /** Makes the change through the ledger; returns the outputs. Throwing restores the ledger. */
  apply(airflow: AirflowClient, inputs: I, ledger: PauseLedger, context: ProviderContext): Promise<O>;
  /** Undoes the change recorded in the outputs (tolerant of outputs without those fields). */
  revert(airflow: AirflowClient, props: Partial<I & O>, log: (line: string) => void): Promise<void>;
}

/** A resource that flips paused states: made through a ledger, undone on failure and on delete. */
function switchType<I extends AirflowInputs, O>(definition: SwitchDefinition<I, O>): ResourceType<I, O> {
  const clientFor = (inputs: Partial<I>, context: ProviderContext) =>
    airflowClientFor(inputs.airflow!, context.regionOf(inputs));
  const prefixed = (context: ProviderContext) => (line: string) =>
    context.log(`[${definition.name}] ${line}`);
  return {
    name: definition.name,
    defaults: definition.defaults,
    replacing: definition.replacing,
    // Undo the old switch before making the new one: created first, the new pause would find
    // the DAGs already paused and record nothing, and the old one's delete would unpause them.
    deleteBeforeReplace: true,
    check: definition.checkSpecific,
    async create(inputs, context) {
      const airflow = clientFor(inputs, context);
      const ledger = pauseLedger(airflow);
      try {
        const outs = await definition.apply(airflow, inputs, ledger, { ...context, log: prefixed(context) });
        return { id: `${describeAirflow(inputs.airflow)}#${definition.name}`, outs };
      } catch (e) {
        const problems = await ledger.restore();
        throw new Error(
          [
            `${definition.name} failed on ${describeAirflow(inputs.airflow)}: ${describeError(e)}`,
            "every DAG it had changed was put back",
            ...problems,
          ].join("\n"),
        );
      }
    },
    async delete(_id, props, context) {
      if (typeof props.airflow !== "object" || props.airflow === null) return;
      await definition.revert(clientFor(props, context), props, prefixed(context));
    },
  };
}

const stringList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

export interface CutoverSourcePauseInputs extends AirflowInputs {
  /** DAG ids to leave running on the source (e.g. a monitoring DAG). */
  keepRunning: string[];
  /** How long to wait for the paused DAGs' queued and running task instances to finish. */
  quiesceDeadlineSeconds: number;
  /** How long the source's scheduler gets to finish a run whose tasks have all ended before the pause does. */
  runFinishGraceSeconds: number;
  pollIntervalSeconds: number;
  providerVersion: string;
}

export interface CutoverSourcePauseOutputs {
  /** The DAGs that were active on the source and that this resource paused. */
  pausedDags: string[];
  pausedAt: string;
  /** When none of the paused DAGs had a queued or running task instance any more. */
  quietAt: string;
  /** Task instances that were queued or running at the pause and finished before quietAt. */
  drainedTaskInstances: number;
  /** Runs this resource marked finished on the source ("dag/run: state"), the scheduler having left them. */
  finishedRuns: string[];
}

interface Quiet {
  drainedTaskInstances: number;
  finishedRuns: string[];
}

/**
 * Finishes, through the REST API, the settling runs the scheduler has left unfinished. Airflow's scheduler
 * finishes the runs of paused DAGs only in a sweep every 60 s, which can miss a run; unfinished, the run
 * would hold the cutover until its deadline, and the export would leave it out. Returns what it finished;
 * runs it cannot finish go into `refused` with the reason, and are not tried again.
 */
async function finishLeftRuns(
  airflow: AirflowClient,
  settling: readonly DagRunStatus[],
  refused: Map<string, string>,
  log: (line: string) => void,
): Promise<string[]> {
  const finished: string[] = [];
  const leaves = new Map<string, Promise<string[]>>();
  for (const run of settling) {
    const key = `${run.dagId}/${run.runId}`;
    if (refused.has(key)) continue;
    try {
      if (!leaves.has(run.dagId)) leaves.set(run.dagId, airflow.leafTaskIds(run.dagId));
      const finish = planRunFinish(run, await leaves.get(run.dagId)!);
      if ("cannot" in finish) {
        refused.set(key, finish.cannot);
        log(`the source's scheduler has not finished run ${key}, and this cannot: ${finish.cannot}`);
        continue;
      }
      await airflow.setRunState(run.dagId, run.runId, finish.state);
      finished.push(`${key}: ${finish.state}`);
      log(
        `marked run ${key} ${finish.state} on the source, as its scheduler would have ` +
          `(its tasks had all ended; the DAG's own success and failure callbacks do not run for it)`,
      );
    } catch (e) {
      refused.set(key, describeError(e));
      log(`could not mark run ${key} finished on the source: ${describeError(e)}`);
    }
  }
  return finished;
}

/**
 * Waits until the paused DAGs have nothing queued or running, and until their runs whose task
 * instances have all ended are finished too (the export carries finished runs only), finishing those
 * the scheduler leaves past the grace period; throws at the deadline, naming what is left.
 */
async function waitUntilQuiet(
  airflow: AirflowClient,
  dagIds: readonly string[],
  inputs: CutoverSourcePauseInputs,
  context: ProviderContext,
): Promise<Quiet> {
  const started = context.clock.now();
  let first: number | undefined;
  let inFlight: InFlightTaskInstance[] = [];
  // Known once no task is in flight: the runs still to be finalised.
  let settling: DagRunStatus[] | undefined;
  let settlingSince: number | undefined;
  const finishedRuns: string[] = [];
  const refused = new Map<string, string>();
  let lastLine = "";
  let lastLoggedAt = -Infinity;
  const statuses = (runs: readonly RunRef[]) =>
    Promise.all(runs.map((run) => airflow.runStatus(run.dagId, run.runId)));
  await pollUntil(
    context.clock,
    started + inputs.quiesceDeadlineSeconds * 1000,
    inputs.pollIntervalSeconds * 1000,
    async () => {
      inFlight = await airflow.inFlightTaskInstances(dagIds);
      first ??= inFlight.length;
      let line: string;
      if (inFlight.length > 0) {
        line = `waiting for ${inFlight.length} task instances of the paused DAGs to finish: ${describeInFlight(inFlight)}`;
      } else {
        settling = settlingRuns(await statuses(settling ?? (await airflow.unfinishedRuns(dagIds))));
        if (settling.length === 0) return true;
        settlingSince ??= context.clock.now();
        if (context.clock.now() - settlingSince >= inputs.runFinishGraceSeconds * 1000) {
          finishedRuns.push(...(await finishLeftRuns(airflow, settling, refused, context.log)));
          settling = settlingRuns(await statuses(settling));
          if (settling.length === 0) return true;
        }
        line = `waiting for ${settling.length} runs whose tasks have ended to finish: ${describeRuns(settling)}`;
      }
      const now = context.clock.now();
      if (line !== lastLine || now - lastLoggedAt >= 60_000) {
        context.log(`${line} · ${formatElapsed(now - started)} elapsed`);
        lastLine = line;
        lastLoggedAt = now;
      }
      return undefined;
    },
    () =>
      new Error(
        inFlight.length > 0
          ? `the paused DAGs still had ${inFlight.length} queued or running task instances after ` +
              `quiesceDeadlineSeconds=${inputs.quiesceDeadlineSeconds}: ${describeInFlight(inFlight, 25)}; ` +
              `let them finish (or raise the deadline) and run pulumi up again`
          : unfinishedRunsError(settling ?? [], refused, inputs.quiesceDeadlineSeconds),
      ),
  );
  return { drainedTaskInstances: first ?? 0, finishedRuns };
}

function unfinishedRunsError(
  settling: readonly RunRef[],
  refused: ReadonlyMap<string, string>,
  deadlineSeconds: number,
): string {
  const reasons = settling
    .slice(0, 25)
    .map((run) => `${run.dagId}/${run.runId}`)
    .map((key) => (refused.has(key) ? `${key} (${refused.get(key)})` : key));
  const more = settling.length > 25 ? ` and ${settling.length - 25} more` : "";
  return (
    `the paused DAGs still had ${settling.length} runs not marked finished after ` +
    `quiesceDeadlineSeconds=${deadlineSeconds}, though their tasks had ended: ${reasons.join(", ")}${more}; ` +
    `the pause is undone, so the source's scheduler finishes them now: run pulumi up again ` +
    `(or mark them in the source's Airflow UI first)`
  );
}

export const cutoverSourcePauseType = switchType<CutoverSourcePauseInputs, CutoverSourcePauseOutputs>({
  name: "CutoverSourcePause",
  defaults: {
    keepRunning: [],
    quiesceDeadlineSeconds: 1800,
    runFinishGraceSeconds: 90,
    pollIntervalSeconds: 15,
    providerVersion: PROVIDER_VERSION,
  },
  replacing: ["airflow", "keepRunning"],
  checkSpecific(inputs, failures) {
    optionalStringList(failures, inputs, "keepRunning");
    optionalSeconds(failures, inputs, "quiesceDeadlineSeconds", 0, 7 * 24 * 3600);
    optionalSeconds(failures, inputs, "runFinishGraceSeconds", 0, 3600);
    optionalSeconds(failures, inputs, "pollIntervalSeconds", 1, 600);
  },
  async apply(airflow, inputs, ledger, context) {
    const toPause = dagsToPauseOnSource(await airflow.listDags(), inputs.keepRunning);
    context.log(
      toPause.length ? `pausing on the source: ${toPause.join(", ")}` : "no active DAGs on the source",
    );
    const pausedAt = new Date(context.clock.now()).toISOString();
    for (const dagId of toPause) await ledger.set(dagId, false, true);
    const quiet = await waitUntilQuiet(airflow, toPause, inputs, context);
    const quietAt = new Date(context.clock.now()).toISOString();
    context.log(
      quiet.drainedTaskInstances > 0
        ? `the paused DAGs are quiet: ${quiet.drainedTaskInstances} task instances in flight at the pause have finished`
        : "the paused DAGs had nothing queued or running",
    );
    return { pausedDags: toPause, pausedAt, quietAt, ...quiet };
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

export interface CutoverTargetActivationInputs extends AirflowInputs {
  /** The DAGs that were active on the source: the CutoverSourcePause's pausedDags. */
  activeDags: string[];
  /** Keep every DAG paused on the target after cutover (unpause by hand later). */
  leavePaused: boolean;
  providerVersion: string;
}

export interface CutoverTargetActivationOutputs {
  unpausedDags: string[];
  alreadyActiveDags: string[];
  missingDags: string[];
  activatedAt: string;
}

export const cutoverTargetActivationType = switchType<
  CutoverTargetActivationInputs,
  CutoverTargetActivationOutputs
>({
  name: "CutoverTargetActivation",
  defaults: { leavePaused: false, providerVersion: PROVIDER_VERSION },
  replacing: ["airflow", "activeDags", "leavePaused"],
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
  async apply(airflow, inputs, ledger, context) {
    const plan = planTargetActivation(inputs.activeDags, await airflow.listDags(), inputs.leavePaused);
    for (const line of describeActivation(plan, inputs.leavePaused)) context.log(line);
    for (const dagId of plan.unpause) await ledger.set(dagId, true, false);
    return {
      unpausedDags: plan.unpause,
      alreadyActiveDags: plan.alreadyActive,
      missingDags: plan.missing,
      activatedAt: new Date(context.clock.now()).toISOString(),
    };
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

export const cutoverSourcePauseProvider = resourceProvider(cutoverSourcePauseType);
export const cutoverTargetActivationProvider = resourceProvider(cutoverTargetActivationType);

export interface CutoverSourcePauseArgs {
  airflow: pulumi.Input<AirflowTarget>;
  keepRunning?: pulumi.Input<pulumi.Input<string>[]>;
  quiesceDeadlineSeconds?: pulumi.Input<number>;
  runFinishGraceSeconds?: pulumi.Input<number>;
  pollIntervalSeconds?: pulumi.Input<number>;
}

export class CutoverSourcePause extends dynamic.Resource {
  declare readonly pausedDags: pulumi.Output<string[]>;
  declare readonly pausedAt: pulumi.Output<string>;
  declare readonly quietAt: pulumi.Output<string>;
  declare readonly drainedTaskInstances: pulumi.Output<number>;
  declare readonly finishedRuns: pulumi.Output<string[]>;

  constructor(name: string, args: CutoverSourcePauseArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      cutoverSourcePauseProvider,
      name,
      {
        ...args,
        pausedDags: undefined,
        pausedAt: undefined,
        quietAt: undefined,
        drainedTaskInstances: undefined,
        finishedRuns: undefined,
      },
      workResourceOptions(opts),
      RESOURCE_MODULE,
      "CutoverSourcePause",
    );
  }
}

export interface CutoverTargetActivationArgs {
  airflow: pulumi.Input<AirflowTarget>;
  activeDags: pulumi.Input<pulumi.Input<string>[]>;
  leavePaused?: pulumi.Input<boolean>;
}

export class CutoverTargetActivation extends dynamic.Resource {
  declare readonly unpausedDags: pulumi.Output<string[]>;
  declare readonly alreadyActiveDags: pulumi.Output<string[]>;
  declare readonly missingDags: pulumi.Output<string[]>;
  declare readonly activatedAt: pulumi.Output<string>;

  constructor(name: string, args: CutoverTargetActivationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      cutoverTargetActivationProvider,
      name,
      {
        ...args,
        unpausedDags: undefined,
        alreadyActiveDags: undefined,
        missingDags: undefined,
        activatedAt: undefined,
      },
      workResourceOptions(opts),
      RESOURCE_MODULE,
      "CutoverTargetActivation",
    );
  }
}
