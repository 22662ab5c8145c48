/**
 * The rehearsal's command line. Versions are checked against the lock files the local stack can
 * install, so a typo fails at once with the list of versions that work instead of after an install.
 */

import { compareVersions } from "../rules/versions";

export interface RehearsalOptions {
  sourceVersion: string;
  targetVersion: string;
  /** About how many DAG runs the source's seeded history has. */
  runs: number;
  /** Leave everything running at the end and print both UIs' URLs and logins. */
  keep: boolean;
  /** Import this bundle (a folder or an s3:// URI) into a local target instead of a full rehearsal. */
  bundle: string | null;
  /** Where the three report files go. */
  reportsDir: string;
  /** A folder of Data Pipeline definitions to convert, deliver to the target and run once each there. */
  pipelines: string | null;
  /** The target in this other AWS account of the local stack, reached as its deployer role. */
  targetAccount: string | null;
}

/** moto's default account: the stack's own keys, the source's side. */
export const STACK_ACCOUNT_ID = "123456789012";

export const DEFAULTS = {
  sourceVersion: "2.8.1",
  targetVersion: "2.11.0",
  runs: 300,
  reportsDir: "reports",
};

/** seed_history needs at least this many runs to cover every kind of history (retries, reschedules, notes). */
export const MIN_RUNS = 10;
export const MAX_RUNS = 5000;

export const USAGE = `usage: npm run rehearse -- [options]

  --source-version <x.y.z>   Airflow version of the source (default ${DEFAULTS.sourceVersion})
  --target-version <x.y.z>   Airflow version of the target (default ${DEFAULTS.targetVersion})
  --runs <n>                 size of the source's history in DAG runs (default ${DEFAULTS.runs}, ${MIN_RUNS}..${MAX_RUNS})
  --keep                     leave both Airflows running once the report is written; prints their URLs and logins
  --bundle <folder|s3-uri>   import an existing export bundle into a local target of --target-version
                             and report what would be imported, skipped or refused
  --reports-dir <folder>     where the report files go (default ${DEFAULTS.reportsDir}/)
  --pipelines <folder>       also convert the AWS Data Pipeline definitions (*.json) in <folder> for the target,
                             deliver the DAGs with its workflow assets and run each once there against the
                             local AWS stand-in; files under <folder>/s3/<bucket>/ are put into that bucket first
  --target-account <id>      put the target in another AWS account (12 digits) of the local stack: its Airflow,
                             DAG bucket, log group, execution role and the migration bucket live there, and the
                             migration reaches them as that account's role (targetRoleArn), as a stack does
  --help                     this text

Ports come from MWAA_LOCAL_PORT_BASE (see local/stack.sh).`;

export class UsageError extends Error {}

const VERSION = /^\d+\.\d+\.\d+$/;

/** Parses argv (without node and the script); `lockedVersions` are the versions local/locks has. */
export function parseOptions(
  argv: readonly string[],
  lockedVersions: readonly string[],
): RehearsalOptions | "help" {
  const options: RehearsalOptions = {
    ...DEFAULTS,
    keep: false,
    bundle: null,
    pipelines: null,
    targetAccount: null,
  };
  const value = (i: number, flag: string): string => {
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--"))
      throw new UsageError(`${flag} needs a value\n\n${USAGE}`);
    return next;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes("=") ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const take = () => (inline !== undefined ? inline : value(i++, flag));
    switch (flag) {
      case "--help":
      case "-h":
        return "help";
      case "--source-version":
        options.sourceVersion = take();
        break;
      case "--target-version":
        options.targetVersion = take();
        break;
      case "--runs": {
        const text = take();
        const runs = Number(text);
        if (!Number.isInteger(runs) || runs < MIN_RUNS || runs > MAX_RUNS)
          throw new UsageError(`--runs ${text}: give a whole number from ${MIN_RUNS} to ${MAX_RUNS}`);
        options.runs = runs;
        break;
      }
      case "--keep":
        options.keep = true;
        break;
      case "--bundle":
        options.bundle = take();
        break;
      case "--reports-dir":
        options.reportsDir = take();
        break;
      case "--pipelines":
        options.pipelines = take();
        break;
      case "--target-account": {
        const account = take();
        if (!/^\d{12}$/.test(account))
          throw new UsageError(`--target-account ${account}: give an AWS account id of 12 digits`);
        if (account === STACK_ACCOUNT_ID)
          throw new UsageError(
            `--target-account ${account} is the source's account (the local stack's own); give another id, e.g. 210987654321`,
          );
        options.targetAccount = account;
        break;
      }
      default:
        throw new UsageError(`unknown option ${argv[i]}\n\n${USAGE}`);
    }
  }
  for (const [flag, version] of [
    ["--source-version", options.sourceVersion],
    ["--target-version", options.targetVersion],
  ] as const) {
    if (!VERSION.test(version) || !lockedVersions.includes(version))
      throw new UsageError(
        `${flag} ${version}: the local stack has lock files for Airflow ${lockedVersions.join(", ")} ` +
          `(local/locks/airflow-<version>.txt); pick one of those`,
      );
  }
  if (options.bundle === null && compareVersions(options.targetVersion, options.sourceVersion) < 0)
    throw new UsageError(
      `--target-version ${options.targetVersion} is older than --source-version ${options.sourceVersion}; a migration goes to the same or a newer Airflow`,
    );
  if (options.bundle !== null && options.pipelines !== null)
    throw new UsageError(
      "--pipelines runs with a full rehearsal; a --bundle import has no migration to deliver the DAGs with",
    );
  if (options.bundle !== null && options.targetAccount !== null)
    throw new UsageError(
      "--target-account runs with a full rehearsal; a --bundle import reads the bundle with your own credentials",
    );
  if (
    options.bundle !== null &&
    !/^s3:\/\/[a-z0-9][a-z0-9.-]+[a-z0-9](\/.*)?$/.test(options.bundle) &&
    options.bundle.startsWith("s3:")
  )
    throw new UsageError(`--bundle ${options.bundle}: an S3 bundle is given as s3://bucket/prefix/exportId`);
  return options;
}

/** Versions with a lock file, from file names such as airflow-2.8.1.txt. */
export function lockedVersionsFrom(fileNames: readonly string[]): string[] {
  return fileNames
    .map((name) => /^airflow-(\d+\.\d+\.\d+)\.txt$/.exec(name)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort(compareVersions);
}
