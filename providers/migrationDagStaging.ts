/**
 * MigrationDagStaging: puts a migration DAG (the export DAG on the source, the import DAG on the target)
 * in its DAG folder and waits until Airflow has parsed it. The cutover creates one per side whose work runs
 * as a DAG, before it pauses the source, so the freeze window holds no parse wait: the delta export and
 * import find their DAG staged and trigger it at once (framework/staging.ts). On MWAA, where the DAG bucket
 * is synced and parsed on the environment's own schedule, that wait is minutes.
 *
 * Where the side's version gives the work no DAG (the versions table, known only once the environment is
 * read), the resource records why and stages nothing. Deleting it takes out whatever of the DAG is still
 * in the folder (the run that used it normally has).
 */
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import { EXPORT_DAG_ID, IMPORT_DAG_ID } from "../contract";
import { Failures, optionalOneOf, optionalSeconds } from "./framework/checks";
import { PROVIDER_VERSION } from "./framework/commonInputs";
import { removePayload } from "./framework/dagDelivery";
import { readPayload } from "./framework/payload";
import { type AirflowInputs, type ResourceType, resourceProvider } from "./framework/provider";
import { payloadInputs, RESOURCE_MODULE, workResourceOptions } from "./framework/resource";
import type { WorkKind } from "./framework/runIds";
import { ensureStaged } from "./framework/staging";
import {
  type AirflowTarget,
  airflowClientFor,
  checkDagFolder,
  describeAirflow,
  sideAccess,
} from "./framework/target";
import { workPathFor } from "./framework/workPath";

const DAG_OF: Record<WorkKind, string> = { export: EXPORT_DAG_ID, import: IMPORT_DAG_ID };

export interface MigrationDagStagingInputs extends AirflowInputs {
  /** Which migration DAG: the export's (on the source) or the import's (on the target). */
  kind: WorkKind;
  dagFolder: string;
  payloadDir: string;
  payloadDigest: string;
  parseDeadlineSeconds: number;
  pollIntervalSeconds: number;
  providerVersion: string;
}

export interface MigrationDagStagingOutputs {
  /** The DAG staged, or null where the work needs none (it runs in the migration plugin). */
  stagedDag: string | null;
  /** Why nothing was staged, or "" when it was. */
  note: string;
  /** Parsed and ready at this instant. */
  readyAt: string;
  elapsedSeconds: number;
}

export const migrationDagStagingType: ResourceType<MigrationDagStagingInputs, MigrationDagStagingOutputs> = {
  name: "MigrationDagStaging",
  defaults: { parseDeadlineSeconds: 600, pollIntervalSeconds: 15, providerVersion: PROVIDER_VERSION },
  replacing: ["airflow", "kind", "dagFolder", "payloadDigest", "region"],
  check(inputs, failures: Failures) {
    optionalOneOf(failures, inputs, "kind", ["export", "import"]);
    checkDagFolder(failures, "dagFolder", inputs.dagFolder);
    optionalSeconds(failures, inputs, "parseDeadlineSeconds", 10, 86400);
    optionalSeconds(failures, inputs, "pollIntervalSeconds", 1, 600);
  },
  async create(inputs, context) {
    const name = `[MigrationDagStaging] ${describeAirflow(inputs.airflow)}`;
    const started = context.clock.now();
    const id = `${describeAirflow(inputs.airflow)}#${DAG_OF[inputs.kind]}`;
    const path = workPathFor(inputs.kind, inputs.airflow.airflowVersion);
    if (path.kind !== "dag-task") {
      const note =
        path.kind === "refused"
          ? path.reason
          : `the ${inputs.kind} runs in the migration plugin on Airflow ${inputs.airflow.airflowVersion}: no DAG to stage`;
      context.log(`${name}: ${note}`);
      const readyAt = new Date(started).toISOString();
      return { id, outs: { stagedDag: null, note, readyAt, elapsedSeconds: 0 } };
    }
    const dagId = DAG_OF[inputs.kind];
    const region = context.regionOf(inputs);
    const airflow = airflowClientFor(inputs.airflow, region);
    await ensureStaged(
      { airflow, log: context.log, resource: "MigrationDagStaging" },
      {
        dagId,
        files: readPayload(inputs.payloadDir, dagId),
        dagFolder: inputs.dagFolder,
        dagFolderAccess: sideAccess(inputs.airflow, region),
        parseDeadlineMs: started + inputs.parseDeadlineSeconds * 1000,
        parseDeadlineSeconds: inputs.parseDeadlineSeconds,
        pollIntervalSeconds: inputs.pollIntervalSeconds,
      },
    );
    const elapsedSeconds = Math.round((context.clock.now() - started) / 100) / 10;
    context.log(`${name}: ${dagId} is parsed and ready to trigger (${elapsedSeconds} s)`);
    return {
      id,
      outs: {
        stagedDag: dagId,
        note: "",
        readyAt: new Date(context.clock.now()).toISOString(),
        elapsedSeconds,
      },
    };
  },
  async delete(_id, props, context) {
    if (typeof props.stagedDag !== "string" || typeof props.dagFolder !== "string") return;
    if (typeof props.payloadDir !== "string") return;
    try {
      const keys = readPayload(props.payloadDir, props.stagedDag).map((f) => f.key);
      await removePayload(props.dagFolder, keys, sideAccess(props.airflow, context.regionOf(props)));
    } catch (e) {
      context.log(`[MigrationDagStaging] could not remove ${props.stagedDag}: ${(e as Error).message}`);
    }
  },
};

export const migrationDagStagingProvider = resourceProvider(migrationDagStagingType);

export interface MigrationDagStagingArgs {
  airflow: pulumi.Input<AirflowTarget>;
  kind: WorkKind;
  dagFolder: pulumi.Input<string>;
  parseDeadlineSeconds?: pulumi.Input<number>;
  pollIntervalSeconds?: pulumi.Input<number>;
  /** Defaults to the project's payload folder. */
  payloadDir?: string;
}

export class MigrationDagStaging extends dynamic.Resource {
  declare readonly stagedDag: pulumi.Output<string | null>;
  declare readonly note: pulumi.Output<string>;
  declare readonly readyAt: pulumi.Output<string>;
  declare readonly elapsedSeconds: pulumi.Output<number>;

  constructor(name: string, args: MigrationDagStagingArgs, opts?: pulumi.CustomResourceOptions) {
    const { payloadDir, ...rest } = args;
    super(
      migrationDagStagingProvider,
      name,
      {
        ...rest,
        ...payloadInputs(payloadDir, DAG_OF[args.kind]),
        stagedDag: undefined,
        note: undefined,
        readyAt: undefined,
        elapsedSeconds: undefined,
      },
      workResourceOptions(opts),
      RESOURCE_MODULE,
      "MigrationDagStaging",
    );
  }
}
