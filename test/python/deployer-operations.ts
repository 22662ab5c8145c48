/**
 * The deployer policy as the program builds it, and the providers' own AWS operations, for a test that runs
 * them as an IAM user holding only that policy (test_deployer_enforced.py):
 *
 *   node -r ts-node/register/transpile-only test/python/deployer-operations.ts policy '<DeployerScope JSON>'
 *     => the deployer policy (rules/permissions.ts) for that scope
 *   node -r ts-node/register/transpile-only test/python/deployer-operations.ts run '<OperationsSpec JSON>'
 *     => {"<operation>": {"ok": true, "detail": ...} | {"ok": false, "error": "<name>", "message": "..."}}
 *
 * Each operation is the providers' code, called as the resources call it, with credentials and endpoint from
 * the default AWS chain (the environment the test sets): the DAG delivery, read-back (is it staged?) and
 * removal of the runner (providers/framework/dagDelivery.ts), the manifest and report reads of the resources' outputs
 * (providers/framework/bundleStore.ts), the import's task-log copy (copyLogsOfBundle in
 * providers/metadataImport.ts), the export resource's delete with purgeOnDelete, and the preview's read of
 * the Data Pipeline pipelines of `pipelineIds` (datapipeline/live.ts), and its read of the source's web UI
 * mapping for `cloneWebUiAccess` (reads/sourceWebUi.ts, judged by rules/webUiClone.ts). An operation that throws
 * is reported with the error's name (AccessDenied, ...), and the next one still runs.
 */
import { DataPipelineClient } from "@aws-sdk/client-data-pipeline";
import { readPipeline } from "../../datapipeline/live";
import { EXPORT_DAG_ID, IMPORT_DAG_ID, IMPORT_REPORT_FILE, MANIFEST_FILE } from "../../contract";
import { readBundleJson } from "../../providers/framework/bundleStore";
import { deliveredFiles, deliverPayload, removePayload } from "../../providers/framework/dagDelivery";
import { readPayload } from "../../providers/framework/payload";
import { realClock } from "../../providers/clock";
import { metadataExportType } from "../../providers/metadataExport";
import { copyLogsOfBundle, type MetadataImportInputs } from "../../providers/metadataImport";
import { deployerPolicy, type DeployerScope } from "../../rules/permissions";
import { sourceWebUiMappings } from "../../rules/webUiClone";
import { readLoginPolicies } from "../../reads/sourceWebUi";

export interface OperationsSpec {
  region: string;
  payloadDir: string;
  sourceDagFolder: string;
  targetDagFolder: string;
  bucket: string;
  prefix: string;
  exportId: string;
  kmsKeyId: string;
  /** The bundle the purge deletes (a bundle of its own, so each run has one to delete). */
  purgeExportId: string;
  sourceLogGroup: string;
  targetLogGroup: string;
  targetAirflowVersion: string;
  /** The Data Pipeline pipelines the preview reads (`pipelineIds`). */
  pipelineIds: string[];
  /** The source environment whose web UI mapping the preview reads (`cloneWebUiAccess`), and its account. */
  sourceEnvironmentName: string;
  account: string;
  /**
   * A target in another account: the role the target's side (its DAG folder and task logs, the migration
   * bucket) is reached as, assumed with the default chain, as `targetRoleArn` makes the program do.
   */
  targetAssumeRoleArn?: string;
  operations: string[];
}

type Outcome = { ok: true; detail: unknown } | { ok: false; error: string; message: string };

function operations(spec: OperationsSpec): Record<string, () => Promise<unknown>> {
  const bundle = { bucket: spec.bucket, prefix: spec.prefix, exportId: spec.exportId };
  const side = { region: spec.region };
  const targetSide = {
    ...side,
    ...(spec.targetAssumeRoleArn ? { assumeRoleArn: spec.targetAssumeRoleArn } : {}),
  };
  const keysOf = (dagId: string) => readPayload(spec.payloadDir, dagId).map((f) => f.key);
  const readJson = async (name: string) => {
    const document = await readBundleJson(bundle, name, targetSide);
    if (document === undefined) throw Object.assign(new Error(`no ${name}`), { name: "NotFound" });
    return Object.keys(document).sort();
  };
  const deliver = async (folder: string, dagId: string, access: typeof side) => {
    const files = readPayload(spec.payloadDir, dagId);
    await deliverPayload(folder, files, access);
    return files.map((f) => f.key);
  };
  return {
    "deliver-export-dag": () => deliver(spec.sourceDagFolder, EXPORT_DAG_ID, side),
    "remove-export-dag": () => removePayload(spec.sourceDagFolder, keysOf(EXPORT_DAG_ID), side),
    "find-staged-export-dag": async () =>
      [...(await deliveredFiles(spec.sourceDagFolder, keysOf(EXPORT_DAG_ID), side)).keys()].sort(),
    "find-staged-import-dag": async () =>
      [...(await deliveredFiles(spec.targetDagFolder, keysOf(IMPORT_DAG_ID), targetSide)).keys()].sort(),
    "deliver-import-dag": () => deliver(spec.targetDagFolder, IMPORT_DAG_ID, targetSide),
    "remove-import-dag": () => removePayload(spec.targetDagFolder, keysOf(IMPORT_DAG_ID), targetSide),
    "read-pipelines": async () => {
      // As readConfiguredPipelines reads them at preview, with the SDK's own error kept for the report.
      const client = new DataPipelineClient({ region: spec.region });
      try {
        const names: string[] = [];
        for (const id of spec.pipelineIds) names.push((await readPipeline(id, "latest", client)).name);
        return names;
      } finally {
        client.destroy();
      }
    },
    "read-web-ui": async () => {
      const policies = await readLoginPolicies(spec.region);
      const source = {
        name: spec.sourceEnvironmentName,
        region: spec.region,
        account: spec.account,
        partition: "aws",
      };
      const { mappings } = sourceWebUiMappings(source, policies);
      return mappings.map((m) => `${m.principal.given}=${m.airflowRole}`);
    },
    "read-manifest": () => readJson(MANIFEST_FILE),
    "read-report": () => readJson(IMPORT_REPORT_FILE),
    "copy-task-logs": () => {
      const inputs = {
        ...bundle,
        kmsKeyId: spec.kmsKeyId,
        region: spec.region,
        airflow: {
          kind: "mwaa",
          environmentName: "target",
          airflowVersion: spec.targetAirflowVersion,
          ...targetSide,
        },
        taskLogs: { sourceLogGroup: spec.sourceLogGroup, targetLogGroup: spec.targetLogGroup },
        taskLogsSourceAccess: side,
      } as unknown as MetadataImportInputs;
      return copyLogsOfBundle(inputs, targetSide, () => undefined);
    },
    "purge-bundle": async () => {
      const lines: string[] = [];
      const props = {
        ...bundle,
        exportId: spec.purgeExportId,
        bundleAssumeRoleArn: spec.targetAssumeRoleArn,
        purgeOnDelete: true,
        completed: true,
        region: spec.region,
      };
      await metadataExportType.delete(`export/${spec.purgeExportId}`, props as never, {
        regionOf: () => spec.region,
        log: (line) => lines.push(line),
        clock: realClock,
      });
      return lines;
    },
  };
}

interface RawResponse {
  statusCode?: number;
  body?: unknown;
}

/**
 * The answer itself, for an error the SDK could not read (moto answers some refused JSON-protocol calls,
 * e.g. DescribeLogGroups, with an XML AccessDenied): its status and the start of its body.
 */
function rawAnswer(response: RawResponse | undefined): string {
  if (!response?.statusCode) return "";
  const body = typeof response.body === "string" ? response.body.slice(0, 400) : "";
  return ` (HTTP ${response.statusCode}${body ? `: ${body}` : ""})`;
}

async function run(spec: OperationsSpec): Promise<Record<string, Outcome>> {
  const known = operations(spec);
  const outcomes: Record<string, Outcome> = {};
  for (const name of spec.operations) {
    const operation = known[name];
    if (!operation) throw new Error(`no operation ${name} (known: ${Object.keys(known).join(", ")})`);
    try {
      outcomes[name] = { ok: true, detail: (await operation()) ?? null };
    } catch (e) {
      const error = e as { name?: string; Code?: string; message?: string; $response?: RawResponse };
      outcomes[name] = {
        ok: false,
        error: error.Code ?? error.name ?? "Error",
        message: `${String(error.message)}${rawAnswer(error.$response)}`,
      };
    }
  }
  return outcomes;
}

async function main(): Promise<void> {
  const [command, argument] = process.argv.slice(2);
  if (command === "policy") {
    const document = deployerPolicy(JSON.parse(argument) as DeployerScope);
    process.stdout.write(JSON.stringify(document, null, 2) + "\n");
  } else if (command === "run") {
    process.stdout.write(JSON.stringify(await run(JSON.parse(argument) as OperationsSpec), null, 2) + "\n");
  } else {
    throw new Error(`usage: deployer-operations.ts policy '<scope JSON>' | run '<operations JSON>'`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
