/**
 * Putting a migration DAG in place: delivered to the DAG folder and parsed by Airflow, ready to trigger.
 * The export and import runs do it as their first step; at cutover a staging resource does it before the
 * source is paused, so the freeze window does not wait for a parse. A run then finds its DAG already
 * staged (the same bytes in the folder, parsed since they were written) and goes straight to its trigger.
 */
import type { AirflowClient } from "../airflow/client";
import { contentMd5, deliveredFiles, deliverPayload, type DeliveredFile } from "./dagDelivery";
import { describeError } from "./partialState";
import type { PayloadFile } from "./payload";
import type { AwsAccess } from "./awsAccess";

export type StagedVerdict = { staged: true } | { staged: false; reason: string };

/**
 * Whether a run can trigger its DAG without delivering it again: every payload file is in the folder
 * with the same content, and Airflow has parsed the DAG since the newest of them was written. A client
 * that cannot tell when a DAG was parsed (the MWAA CLI, which answers "") takes a listed DAG for parsed,
 * as its own parse wait does.
 */
export function stagedVerdict(
  expected: readonly PayloadFile[],
  delivered: ReadonlyMap<string, DeliveredFile>,
  lastParsedTime: string | undefined,
): StagedVerdict {
  let newest = 0;
  for (const file of expected) {
    const found = delivered.get(file.key);
    if (!found) return { staged: false, reason: `${file.key} is not in the DAG folder` };
    if (found.md5 !== contentMd5(file.body))
      return { staged: false, reason: `${file.key} in the DAG folder differs` };
    newest = Math.max(newest, found.modifiedAtMs);
  }
  if (lastParsedTime === undefined) return { staged: false, reason: "Airflow does not list the DAG" };
  if (lastParsedTime === "") return { staged: true };
  const parsedAt = Date.parse(lastParsedTime);
  if (Number.isNaN(parsedAt) || parsedAt <= newest)
    return {
      staged: false,
      reason: `Airflow last parsed it at ${lastParsedTime}, before its files were written`,
    };
  return { staged: true };
}

/** Whether the DAG is staged now; any error reading the folder or Airflow counts as not staged. */
async function checkStaged(
  airflow: AirflowClient,
  dagId: string,
  files: readonly PayloadFile[],
  dagFolder: string,
  dagFolderAccess: AwsAccess | undefined,
): Promise<StagedVerdict> {
  try {
    const [delivered, lastParsed] = await Promise.all([
      deliveredFiles(
        dagFolder,
        files.map((f) => f.key),
        dagFolderAccess,
      ),
      airflow.lastParsedTime(dagId),
    ]);
    return stagedVerdict(files, delivered, lastParsed);
  } catch (e) {
    return { staged: false, reason: `could not check: ${describeError(e)}` };
  }
}

export interface StageSpec {
  dagId: string;
  files: readonly PayloadFile[];
  dagFolder: string;
  /** How the DAG folder is reached (awsAccess). */
  dagFolderAccess?: AwsAccess;
  /** The wait's deadline, as an instant of the clock (ms). */
  parseDeadlineMs: number;
  parseDeadlineSeconds: number;
  pollIntervalSeconds: number;
}

/** Delivers the DAG and waits until Airflow has parsed it (after the delivery); throws at the deadline. */
async function stageMigrationDag(
  deps: { airflow: AirflowClient; log: (line: string) => void; resource: string },
  spec: StageSpec,
): Promise<void> {
  // Unknown when Airflow does not answer yet: the wait below then reports what is wrong, at its deadline.
  const parsedBefore = await deps.airflow.lastParsedTime(spec.dagId).catch(() => undefined);
  await deliverPayload(spec.dagFolder, spec.files, spec.dagFolderAccess);
  deps.log(
    `[${deps.resource}] delivered ${spec.dagId} (${spec.files.length} files) to ${spec.dagFolder}; waiting for Airflow to parse it`,
  );
  try {
    await deps.airflow.waitUntilParsed(spec.dagId, {
      deadlineMs: spec.parseDeadlineMs,
      pollIntervalMs: spec.pollIntervalSeconds * 1000,
      parsedAfter: parsedBefore,
    });
  } catch (e) {
    throw new Error(
      `${spec.dagId} was not parsed within parseDeadlineSeconds=${spec.parseDeadlineSeconds} of delivery to ${spec.dagFolder} (${describeError(e)}); check that this is the environment's DAG folder and look for import errors in Airflow`,
    );
  }
}

/**
 * Makes sure the DAG is staged: triggers nothing, but delivers it and waits for a parse unless it is staged
 * already (then it only says so). Returns whether it delivered.
 */
export async function ensureStaged(
  deps: { airflow: AirflowClient; log: (line: string) => void; resource: string },
  spec: StageSpec,
): Promise<boolean> {
  const staged = await checkStaged(
    deps.airflow,
    spec.dagId,
    spec.files,
    spec.dagFolder,
    spec.dagFolderAccess,
  );
  if (staged.staged) {
    deps.log(`[${deps.resource}] ${spec.dagId} is staged in ${spec.dagFolder} and parsed; triggering it`);
    return false;
  }
  await stageMigrationDag(deps, spec);
  return true;
}
