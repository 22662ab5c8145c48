/**
 * The DAG compatibility gate on the real target:
 * - TargetDagParse waits, after the target's DAG files are uploaded, until the target has parsed every
 *   DAG active on the source (or failed to), and records what it parsed, its import errors and the
 *   parity with the source as outputs. A refresh looks again, without waiting.
 * - DagParseGate refuses, in its check (so at preview), to let history move while a DAG active on the
 *   source does not parse on the target, unless the stack's config accepts it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import type { AirflowClient } from "./airflow/client";
import { pollUntil } from "./clock";
import {
  type ImportErrorFinding,
  type ParseParity,
  type UnparsedDag,
  describeParity,
  parseGateRefusal,
  parseParity,
  settleParity,
} from "./dagParse";
import { Failures, isUnknown, optionalSeconds } from "./framework/checks";
import { PROVIDER_VERSION } from "./framework/commonInputs";
import { formatElapsed } from "./framework/progress";
import {
  type AirflowInputs,
  type ProviderContext,
  type ResourceType,
  resourceProvider,
} from "./framework/provider";
import { RESOURCE_MODULE, workResourceOptions } from "./framework/resource";
import { type AirflowTarget, airflowClientFor, checkAirflow, describeAirflow } from "./framework/target";

export interface TargetDagParseInputs extends AirflowInputs {
  /** The source, whose active DAGs the target should parse. */
  sourceAirflow: AirflowTarget;
  /** The target's DAG files (name -> content hash): a change checks again. */
  dagFiles: Record<string, string>;
  parseDeadlineSeconds: number;
  pollIntervalSeconds: number;
  providerVersion: string;
}

export interface TargetDagParseOutputs extends ParseParity {
  checkedAt: string;
}

const clientOf = (target: AirflowTarget, inputs: Partial<TargetDagParseInputs>, context: ProviderContext) =>
  airflowClientFor(target, context.regionOf(inputs));

/**
 * What the target parses of the source's active DAGs. `activeAtCheck`, on a refresh, holds the DAGs
 * the check found active: the cutover pauses them all, and a refresh asks about the same DAGs.
 */
async function observe(
  source: AirflowClient,
  target: AirflowClient,
  options: { parsedSince?: string; activeAtCheck?: readonly string[] } = {},
) {
  const [listed, targetDags, targetImportErrors] = await Promise.all([
    source.listDags(),
    target.listDags(),
    target.importErrors(),
  ]);
  const { activeAtCheck, parsedSince } = options;
  const sourceDags = activeAtCheck
    ? listed.map((dag) => ({ ...dag, isPaused: !activeAtCheck.includes(dag.dagId) }))
    : listed;
  return { sourceDags, parity: parseParity({ sourceDags, targetDags, targetImportErrors, parsedSince }) };
}

export const targetDagParseType: ResourceType<TargetDagParseInputs, TargetDagParseOutputs> = {
  name: "TargetDagParse",
  defaults: { parseDeadlineSeconds: 600, pollIntervalSeconds: 15, providerVersion: PROVIDER_VERSION },
  replacing: ["airflow", "dagFiles"],
  check(inputs, failures: Failures) {
    checkAirflow(failures, "sourceAirflow", inputs.sourceAirflow);
    if (!isUnknown(inputs.dagFiles) && (typeof inputs.dagFiles !== "object" || inputs.dagFiles === null))
      failures.push({ property: "dagFiles", reason: "dagFiles must map each DAG file to its content hash" });
    optionalSeconds(failures, inputs, "parseDeadlineSeconds", 10, 86400);
    optionalSeconds(failures, inputs, "pollIntervalSeconds", 1, 600);
  },
  async create(inputs, context) {
    const log = (line: string) => context.log(`[TargetDagParse] ${line}`);
    const source = clientOf(inputs.sourceAirflow, inputs, context);
    const target = clientOf(inputs.airflow, inputs, context);
    const started = context.clock.now();
    const parsedSince = new Date(started).toISOString();
    log(
      `waiting for ${describeAirflow(inputs.airflow)} to parse the DAGs active on ${describeAirflow(inputs.sourceAirflow)}`,
    );
    const deadline = started + inputs.parseDeadlineSeconds * 1000;
    let lastLine = "";
    // At the deadline the DAGs still undecided count as not on the target: a finding, not a failure.
    const observed = await pollUntil(
      context.clock,
      Infinity,
      inputs.pollIntervalSeconds * 1000,
      async () => {
        const seen = await observe(source, target, { parsedSince });
        if (seen.parity.undecided.length === 0 || context.clock.now() >= deadline) return seen;
        const line = `${seen.parity.undecided.length} DAGs not parsed yet: ${seen.parity.undecided.slice(0, 10).join(", ")}`;
        if (line !== lastLine) log(`${line} · ${formatElapsed(context.clock.now() - started)} elapsed`);
        lastLine = line;
        return undefined;
      },
      () => new Error("unreachable: the wait has no deadline of its own"),
    );
    const parity = settleParity(observed.parity, observed.sourceDags);
    for (const line of describeParity(parity)) log(line);
    return {
      id: `${describeAirflow(inputs.airflow)}#TargetDagParse`,
      outs: { ...parity, checkedAt: new Date(context.clock.now()).toISOString() },
    };
  },
  async refresh(_id, props, context) {
    const source = clientOf(props.sourceAirflow, props, context);
    const target = clientOf(props.airflow, props, context);
    const activeAtCheck = Array.isArray(props.sourceActiveDags) ? props.sourceActiveDags : undefined;
    const observed = await observe(source, target, { activeAtCheck });
    const parity = settleParity(observed.parity, observed.sourceDags);
    const findings = (p: Partial<ParseParity>) =>
      JSON.stringify([p.parsedDags, p.importErrors, p.sourceActiveDags, p.unparsed]);
    // Unchanged findings keep their time, so a refresh of an unchanged target changes nothing.
    const unchanged = findings(parity) === findings(props) && typeof props.checkedAt === "string";
    return {
      ...parity,
      checkedAt: unchanged ? props.checkedAt : new Date(context.clock.now()).toISOString(),
    };
  },
  async delete() {
    // An observation: nothing to undo.
  },
};

export const targetDagParseProvider = resourceProvider(targetDagParseType);

export interface TargetDagParseArgs {
  airflow: pulumi.Input<AirflowTarget>;
  sourceAirflow: pulumi.Input<AirflowTarget>;
  dagFiles: pulumi.Input<Record<string, pulumi.Input<string>>>;
  parseDeadlineSeconds?: pulumi.Input<number>;
  pollIntervalSeconds?: pulumi.Input<number>;
}

export class TargetDagParse extends dynamic.Resource {
  declare readonly parsedDags: pulumi.Output<string[]>;
  declare readonly importErrors: pulumi.Output<ImportErrorFinding[]>;
  declare readonly sourceActiveDags: pulumi.Output<string[]>;
  declare readonly unparsed: pulumi.Output<UnparsedDag[]>;
  declare readonly checkedAt: pulumi.Output<string>;

  constructor(name: string, args: TargetDagParseArgs, opts?: pulumi.CustomResourceOptions) {
    const options = workResourceOptions(opts);
    super(
      targetDagParseProvider,
      name,
      {
        ...args,
        parsedDags: undefined,
        importErrors: undefined,
        sourceActiveDags: undefined,
        unparsed: undefined,
        checkedAt: undefined,
      },
      { ...options, additionalSecretOutputs: [...(options.additionalSecretOutputs ?? []), "sourceAirflow"] },
      RESOURCE_MODULE,
      "TargetDagParse",
    );
  }
}

/** The config key that accepts DAGs which do not parse on the target. */
export const ACCEPT_UNPARSED_KEY = "mwaa-migration:acceptUnparsedDags";

interface GateInputs {
  unparsed: UnparsedDag[];
  accepted: string[];
}

const gateProvider: dynamic.ResourceProvider = {
  async check(_olds: GateInputs, news: GateInputs): Promise<dynamic.CheckResult> {
    if (isUnknown(news.unparsed) || isUnknown(news.accepted)) return { inputs: news };
    const refusal = parseGateRefusal(news.unparsed ?? [], news.accepted ?? [], ACCEPT_UNPARSED_KEY);
    return { inputs: news, failures: refusal ? [{ property: "unparsed", reason: refusal }] : [] };
  },
  async create(news: GateInputs): Promise<dynamic.CreateResult> {
    return { id: "dag-parse-gate", outs: news };
  },
  async diff(_id: string, olds: GateInputs, news: GateInputs): Promise<dynamic.DiffResult> {
    return { changes: JSON.stringify(olds) !== JSON.stringify(news) };
  },
  async update(_id: string, _olds: GateInputs, news: GateInputs): Promise<dynamic.UpdateResult> {
    return { outs: news };
  },
};

/** Stands between the parse check's findings and the phases that move history. */
export class DagParseGate extends dynamic.Resource {
  constructor(
    name: string,
    args: { unparsed: pulumi.Input<UnparsedDag[]>; accepted: readonly string[] },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      gateProvider,
      name,
      { unparsed: args.unparsed, accepted: [...args.accepted] },
      opts,
      RESOURCE_MODULE,
      "DagParseGate",
    );
  }
}
