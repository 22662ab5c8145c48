/**
 * MetadataExport: runs the export DAG inside the source Airflow and exposes what the manifest
 * says (rows per table, watermark, the DAGs active at export time) as outputs. The bundle stays
 * in the migration bucket when the resource is deleted, unless purgeOnDelete is set.
 */
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import {
  EXPORT_DAG_ID,
  EXPORT_PHASES,
  type ExportPhase,
  MANIFEST_FILE,
  bundleLocation,
  bundleUri,
  type ExportSummary,
  summariseManifest,
} from "../contract";
import { purgeBundle, readBundleJson } from "./framework/bundleStore";
import { fail, Failures, isUnknown, optionalOneOf, optionalStringList } from "./framework/checks";
import { COMMON_REPLACING, type CommonWorkInputs } from "./framework/commonInputs";
import { resourceProvider } from "./framework/provider";
import { payloadInputs, RESOURCE_MODULE, WorkResourceArgs, workResourceOptions } from "./framework/resource";
import { defaultExportId } from "./framework/runIds";
import { airflowIdentity } from "./framework/target";
import { workResourceType, type WorkState } from "./framework/work";

export interface MetadataExportInputs extends CommonWorkInputs {
  phase: ExportPhase;
  /**
   * For phase "delta": export what changed since this instant, the bulk export's `watermark` output.
   * Named apart from that output, so a resource's own watermark never reads as a changed input.
   */
  changedSince?: string;
  tables?: string[];
}

/** The manifest's summary and where the bundle is, plus the run that wrote it. */
export interface MetadataExportOutputs extends ExportSummary, WorkState {
  bundleUri: string;
}

export const metadataExportType = workResourceType<
  MetadataExportInputs,
  Omit<MetadataExportOutputs, keyof WorkState>
>({
  name: "MetadataExport",
  kind: "export",
  dagId: EXPORT_DAG_ID,
  defaults: { phase: "full" },
  replacing: [...COMMON_REPLACING, "phase", "changedSince", "tables"],
  checkSpecific(inputs, failures: Failures) {
    optionalOneOf(failures, inputs, "phase", EXPORT_PHASES);
    optionalStringList(failures, inputs, "tables");
    const watermark = inputs.changedSince;
    if (inputs.phase === "delta" && watermark === undefined) {
      fail(
        failures,
        "changedSince",
        `changedSince is required for phase "delta": pass the bulk export's watermark output`,
      );
    }
    if (
      watermark !== undefined &&
      !isUnknown(watermark) &&
      (typeof watermark !== "string" || Number.isNaN(Date.parse(watermark)))
    ) {
      fail(
        failures,
        "changedSince",
        `changedSince is ${JSON.stringify(watermark)}; give an ISO-8601 timestamp such as the bulk export's watermark output`,
      );
    }
  },
  derive(inputs) {
    if (typeof inputs.exportId === "string") return inputs;
    const exportId = defaultExportId({
      source: airflowIdentity(inputs.airflow),
      bucket: inputs.bucket,
      prefix: inputs.prefix,
      phase: inputs.phase,
      watermark: inputs.changedSince,
      tables: inputs.tables,
    });
    return { ...inputs, exportId };
  },
  conf(inputs) {
    return {
      bucket: inputs.bucket,
      prefix: inputs.prefix,
      exportId: inputs.exportId,
      phase: inputs.phase,
      watermark: inputs.changedSince ?? null,
      tables: inputs.tables ?? null,
      kmsKeyId: inputs.kmsKeyId ?? null,
      // Pausing the source is the cutover resource's job, so that un-doing it is a resource delete.
      pauseActive: false,
    };
  },
  async outputs(inputs, bundle) {
    const where = bundleLocation(inputs);
    const manifest = await readBundleJson(where, MANIFEST_FILE, bundle);
    if (!manifest)
      throw new Error(`no ${MANIFEST_FILE} under ${bundleUri(where)}; the export did not complete`);
    const summary = summariseManifest(manifest);
    if (summary.exportId !== "" && summary.exportId !== where.exportId) {
      throw new Error(
        `${MANIFEST_FILE} under ${bundleUri(where)} is for export ${summary.exportId}, not ${where.exportId}`,
      );
    }
    return { ...summary, exportId: where.exportId, bundleUri: bundleUri(where) };
  },
  async onDelete(props, bundle, log) {
    if (typeof props.bucket !== "string" || typeof props.exportId !== "string") return;
    const where = bundleLocation(props);
    if (props.purgeOnDelete === true) {
      const removed = await purgeBundle(where, bundle);
      log(`[MetadataExport] purged ${removed} objects under ${bundleUri(where)}`);
    } else {
      log(
        `[MetadataExport] keeping the bundle at ${bundleUri(where)} (set purgeOnDelete to remove it with the resource)`,
      );
    }
  },
});

export const metadataExportProvider = resourceProvider(metadataExportType);

export interface MetadataExportArgs extends WorkResourceArgs {
  phase?: pulumi.Input<ExportPhase>;
  /** Required for "delta": the bulk export's watermark output. */
  changedSince?: pulumi.Input<string>;
  tables?: pulumi.Input<pulumi.Input<string>[]>;
  /** Defaults to a hash of the inputs that decide the bundle's content. */
  exportId?: pulumi.Input<string>;
}

export class MetadataExport extends dynamic.Resource {
  declare readonly exportId: pulumi.Output<string>;
  declare readonly runId: pulumi.Output<string>;
  declare readonly bundleUri: pulumi.Output<string>;
  declare readonly watermark: pulumi.Output<string | null>;
  declare readonly sourceAirflowVersion: pulumi.Output<string | null>;
  declare readonly rowsPerTable: pulumi.Output<Record<string, number>>;
  declare readonly secondsPerTable: pulumi.Output<Record<string, number>>;
  declare readonly skippedTaskInstances: pulumi.Output<number>;
  declare readonly activeDags: pulumi.Output<string[]>;
  declare readonly elapsedSeconds: pulumi.Output<number>;
  /** Which run of the work this is: 1, or more after failed runs were resumed by later updates. */
  declare readonly attempt: pulumi.Output<number>;

  constructor(name: string, args: MetadataExportArgs, opts?: pulumi.CustomResourceOptions) {
    const { payloadDir, ...rest } = args;
    super(
      metadataExportProvider,
      name,
      {
        ...rest,
        ...payloadInputs(payloadDir, EXPORT_DAG_ID),
        exportId: args.exportId,
        watermark: undefined,
        runId: undefined,
        bundleUri: undefined,
        sourceAirflowVersion: undefined,
        rowsPerTable: undefined,
        secondsPerTable: undefined,
        skippedTaskInstances: undefined,
        activeDags: undefined,
        elapsedSeconds: undefined,
        attempt: undefined,
      },
      workResourceOptions(opts),
      RESOURCE_MODULE,
      "MetadataExport",
    );
  }
}
