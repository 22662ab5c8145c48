/**
 * Airflow version rules for MWAA, from one table of versions held as data
 * (contract/airflowVersions.json, which the Python payload reads too).
 *
 * Why data: MWAA adds and retires versions a few times a year, and a new import or export path
 * opens a range of versions at once. Either is a row change in the table, not a code change. The
 * Python version matters because the `--constraint` URL in requirements.txt names it, and a
 * constraint file for the wrong Python resolves different wheels.
 */
import table from "../contract/airflowVersions.json";

export interface MwaaVersion {
  readonly airflow: string;
  readonly python: string;
}

/** Versions MWAA creates new environments on (the table's sources are named in its comment). */
export const MWAA_VERSIONS: readonly MwaaVersion[] = table.mwaaCreates;

/** The last 2.x release MWAA upgrades in place to 3.x; older 2.x need a new environment for 3.x. */
export const IN_PLACE_MAJOR_UPGRADE_FROM: string = table.inPlaceMajorUpgradeFrom;

/**
 * How the migration reaches a version's metadata database: as a task of the migration DAG (2.x), or
 * through the migration plugin's app in the API server (Airflow 3, whose tasks cannot open the database).
 */
export type MetadataPath = "dag-task" | "api-plugin";

/** What this project can do with an Airflow version. */
export interface VersionCapabilities {
  readonly restApi: "v1" | "v2";
  /** MWAA's InvokeRestApi reaches this version's REST API (from 2.4.3). */
  readonly invokeRestApi: boolean;
  /** CloudWatch task log stream names: `legacy` before 2.3, else Airflow's default template. */
  readonly logStreamTemplate: "legacy" | "default";
  readonly exportPath: MetadataPath | null;
  /** Why the export cannot run on this version (when exportPath is null). */
  readonly exportRefusal: string | null;
  readonly importPath: MetadataPath | null;
  /** Why the import cannot write this version's database (when importPath is null). */
  readonly importRefusal: string | null;
}

interface CapabilityRow extends VersionCapabilities {
  readonly from: string;
  readonly below: string;
}

const CAPABILITIES = table.capabilities as readonly CapabilityRow[];

export type VersionTuple = readonly [number, number, number];

const VERSION_PATTERN = /^(\d+)\.(\d+)\.(\d+)$/;

/** Parses "major.minor.patch"; returns undefined for anything else (no pre-release or build suffixes). */
export function parseVersion(text: string): VersionTuple | undefined {
  const match = VERSION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** Negative when a < b, zero when equal, positive when a > b; throws on text that is not a version. */
export function compareVersions(a: string, b: string): number {
  const left = parseVersion(a);
  const right = parseVersion(b);
  if (!left || !right) {
    throw new Error(`cannot compare "${a}" with "${b}": versions must look like 2.8.1`);
  }
  for (let i = 0; i < 3; i++) {
    if (left[i] !== right[i]) return left[i] - right[i];
  }
  return 0;
}

export function findMwaaVersion(airflow: string): MwaaVersion | undefined {
  return MWAA_VERSIONS.find((v) => v.airflow === airflow.trim());
}

export function supportedVersionList(): string {
  return MWAA_VERSIONS.map((v) => v.airflow).join(", ");
}

/**
 * The capabilities of a version, or undefined for one outside every range of the table (1.x, or
 * text that is not a version). Patch releases the table does not list fall in their range.
 */
export function capabilitiesOf(version: string): VersionCapabilities | undefined {
  if (!parseVersion(version)) return undefined;
  return CAPABILITIES.find(
    (row) => compareVersions(version, row.from) >= 0 && compareVersions(version, row.below) < 0,
  );
}

/** Why a stack cannot move history into `version`; undefined when it can (or the version is unknown). */
export function importRefusal(version: string): string | undefined {
  const capabilities = capabilitiesOf(version);
  return capabilities && !capabilities.importPath
    ? (capabilities.importRefusal ?? "no import path")
    : undefined;
}

/** Whether an import into `version` runs in the migration plugin, which the target's plugins must carry. */
export function importRunsInPlugin(version: string): boolean {
  return capabilitiesOf(version)?.importPath === "api-plugin";
}

/** Why the export cannot read `version`'s database; undefined when it can (or the version is unknown). */
export function exportRefusal(version: string): string | undefined {
  const capabilities = capabilitiesOf(version);
  return capabilities && !capabilities.exportPath
    ? (capabilities.exportRefusal ?? "no export path")
    : undefined;
}

/** The versions MWAA creates that a stack can move history into: what a refused target is told to pick. */
export function importableTargetVersions(): string[] {
  return MWAA_VERSIONS.filter((v) => importRefusal(v.airflow) === undefined).map((v) => v.airflow);
}

export type UpgradePath =
  /** Same version: a copy to a new environment (e.g. new network, KMS key or name). */
  | { readonly kind: "same-version"; readonly note: string }
  /** MWAA could upgrade the source in place; a new environment is still a valid choice. */
  | { readonly kind: "in-place-possible"; readonly note: string }
  /** Only a new environment gets there (e.g. 2.10.3 to 3.x, or a self-managed source). */
  | { readonly kind: "new-environment-required"; readonly note: string };

export interface VersionCheck {
  readonly errors: string[];
  readonly path?: UpgradePath;
}

/**
 * Checks a migration from `source` to `target`. `sourceManagedByMwaa` is false for self-managed Airflow,
 * which can only reach MWAA through a new environment. Errors name the config key and the fix.
 */
export function checkVersionChange(
  source: string,
  target: string,
  sourceManagedByMwaa: boolean,
): VersionCheck {
  const errors: string[] = [];
  if (!findMwaaVersion(target)) {
    errors.push(
      `mwaa-migration:targetAirflowVersion "${target}" is not a version MWAA can create; ` +
        `set it to one of ${supportedVersionList()}.`,
    );
  }
  if (!parseVersion(source)) {
    errors.push(
      `source Airflow version "${source}" is not a version number; for a self-managed source set ` +
        `mwaa-migration:sourceAirflowVersion to the version it runs (e.g. 2.8.1).`,
    );
  }
  if (errors.length > 0) return { errors };
  const order = compareVersions(target, source);
  if (order < 0) {
    return {
      errors: [
        `mwaa-migration:targetAirflowVersion ${target} is older than the source's ${source}: ` +
          `metadata cannot move to an older Airflow schema; set a target of ${source} or later.`,
      ],
    };
  }
  return { errors: [], path: upgradePath(source, target, sourceManagedByMwaa) };
}

function upgradePath(source: string, target: string, sourceManagedByMwaa: boolean): UpgradePath {
  if (!sourceManagedByMwaa) {
    return {
      kind: "new-environment-required",
      note: `a self-managed Airflow ${source} moves to MWAA ${target} only through a new environment`,
    };
  }
  if (compareVersions(source, target) === 0) {
    return {
      kind: "same-version",
      note: `both environments run ${target}: a new environment for settings MWAA cannot change in place`,
    };
  }
  const [sourceMajor] = parseVersion(source)!;
  const [targetMajor] = parseVersion(target)!;
  if (sourceMajor === targetMajor) {
    return {
      kind: "in-place-possible",
      note:
        `MWAA can upgrade ${source} to ${target} in place (UpdateEnvironment with a new AirflowVersion); ` +
        `this stack builds a new environment instead, which keeps the source untouched as a fallback`,
    };
  }
  if (compareVersions(source, IN_PLACE_MAJOR_UPGRADE_FROM) >= 0) {
    return {
      kind: "in-place-possible",
      note:
        `MWAA can upgrade ${source} to ${target} in place; a new environment keeps the source as a ` +
        `fallback and lets both run side by side until cutover`,
    };
  }
  return {
    kind: "new-environment-required",
    note: `MWAA upgrades to ${targetMajor}.x in place only from ${IN_PLACE_MAJOR_UPGRADE_FROM}; ${source} needs a new environment`,
  };
}

/** Airflow's documented constraint file location for a version and Python line. */
export function constraintUrl(airflow: string, python: string): string {
  return `https://raw.githubusercontent.com/apache/airflow/constraints-${airflow}/constraints-${python}.txt`;
}
