/**
 * Where the target's workers get the packages requirements.txt names.
 *
 * MWAA installs requirements.txt with pip inside the environment's network. A VPC built with
 * `networkEgress: vpc-endpoints` has no internet route, so PyPI, a constraint URL on GitHub or any other
 * public index is out of reach there. Two ways work offline: wheels shipped in plugins.zip (MWAA unpacks
 * it to /usr/local/airflow/plugins, and pip installs from that folder with `--no-index`), or a private
 * repository the VPC reaches. Either way the constraint file travels in plugins.zip, read from there.
 */
import type { NetworkEgress } from "./network";
import { internetNeeds, offlineRequirementsProblem } from "./offlineRequirements";

/** Where MWAA unpacks plugins.zip on its workers. */
export const MWAA_PLUGINS_FOLDER = "/usr/local/airflow/plugins";
/** The constraint file's name in plugins.zip. */
export const SHIPPED_CONSTRAINTS = "constraints.txt";

/** The `packageSource` setting: `auto`, `pypi`, `wheels`, or a private repository's index URL. */
export type PackageSourceSetting =
  | { readonly kind: "auto" }
  | { readonly kind: "pypi" }
  | { readonly kind: "wheels" }
  | { readonly kind: "index"; readonly url: string };

/** What the stack does with requirements.txt, decided from the setting, the network and the file. */
export type PackageSource =
  | { readonly kind: "as-written" }
  | { readonly kind: "wheels" }
  | { readonly kind: "index"; readonly url: string };

export type Network = { readonly kind: "vpc"; readonly egress: NetworkEgress } | { readonly kind: "subnets" };

/** Parses `packageSource`; a string when the value is none of the accepted forms. */
export function parsePackageSource(value: string): PackageSourceSetting | string {
  const trimmed = value.trim();
  if (trimmed === "" || trimmed === "auto") return { kind: "auto" };
  if (trimmed === "pypi" || trimmed === "wheels") return { kind: trimmed };
  if (/^https?:\/\/[^\s/]+\/\S*$/.test(trimmed) || /^https?:\/\/[^\s/]+$/.test(trimmed))
    return { kind: "index", url: trimmed };
  return (
    `mwaa-migration:packageSource is ${JSON.stringify(value)}; use auto, pypi, wheels, or the https:// ` +
    `index URL of a private repository the environment's network reaches (a PEP 503 "simple" index, ` +
    `e.g. a CodeArtifact repository's pypi/<repo>/simple/ endpoint)`
  );
}

/**
 * The source the stack uses, or the refusal of a file that cannot be installed as configured. `auto`
 * builds wheels exactly when the stack builds a VPC without an internet route and the file needs
 * something from outside; with subnets the stack did not build, their routes are the user's to know.
 */
export function choosePackageSource(
  setting: PackageSourceSetting,
  network: Network,
  requirementsPath: string,
  requirements: string,
): { source: PackageSource; problem?: string } {
  if (setting.kind === "pypi")
    return {
      source: { kind: "as-written" },
      problem: offlineRequirementsProblem(network, requirementsPath, requirements),
    };
  const offline = network.kind === "vpc" && network.egress === "vpc-endpoints";
  const source: PackageSource =
    setting.kind !== "auto"
      ? setting
      : offline && internetNeeds(requirements).length > 0
        ? { kind: "wheels" }
        : { kind: "as-written" };
  if (source.kind === "as-written") return { source };
  const problem = rewriteProblem(source, requirementsPath, requirements);
  return problem ? { source, problem } : { source };
}

/** Lines the rewritten requirements.txt cannot carry to the environment, and why; undefined: none. */
function rewriteProblem(
  source: Exclude<PackageSource, { kind: "as-written" }>,
  requirementsPath: string,
  requirements: string,
): string | undefined {
  const lines = requirementLines(requirements);
  const key = `mwaa-migration:requirementsFile ${requirementsPath}`;
  const nested = lines.filter((line) => /^(?:-r|--requirement|-e|--editable)(?:\s*=\s*|\s+)/.test(line));
  if (nested.length > 0)
    return (
      `${key} reads other files or local projects (${nested.join("; ")}), which do not travel with it to the ` +
      `environment: put their packages in the file itself.`
    );
  // The private index serves the packages; a package given by URL still needs that URL's host.
  const byUrl = lines.filter((line) => /\S+:\/\/\S+/.test(line) && !/file:\/\//.test(line));
  if (source.kind === "index" && byUrl.length > 0)
    return (
      `${key} names packages by URL (${byUrl.join("; ")}), which the private repository ${source.url} does ` +
      `not serve: publish them there and name them by name.`
    );
  return undefined;
}

/** One requirements.txt line without its comment, or undefined for a blank or comment-only line. */
function meaningful(raw: string): string | undefined {
  const line = raw.replace(/(^|\s)#.*$/, "").trim();
  return line === "" ? undefined : line;
}

const INDEX_OPTION =
  /^(?:--index-url|-i|--extra-index-url|--find-links|-f|--trusted-host)(?:\s*=\s*|\s+)\S+$/;
/** Options the rewritten file sets itself: where packages and constraints come from. */
const SOURCE_OPTION = /^(?:--constraint|-c)(?:\s*=\s*|\s+)\S+$|^--no-index$/;

const meaningfulLines = (requirements: string): string[] =>
  requirements
    .split(/\r?\n/)
    .map(meaningful)
    .filter((line): line is string => line !== undefined);

/** The lines of requirements.txt that name packages (and pip options other than where they come from). */
export function requirementLines(requirements: string): string[] {
  return meaningfulLines(requirements).filter(
    (line) => !SOURCE_OPTION.test(line) && !INDEX_OPTION.test(line),
  );
}

/** The lines of requirements.txt that name package indexes or links (what the deployer's pip reads from). */
export function indexLines(requirements: string): string[] {
  return meaningfulLines(requirements).filter((line) => INDEX_OPTION.test(line));
}

/**
 * requirements.txt as the environment installs it from `source`: the user's package lines, with the
 * constraint file read from plugins.zip and packages from the wheels beside it or the private index.
 */
export function installableRequirements(requirements: string, source: PackageSource, from: string): string {
  if (source.kind === "as-written") return requirements;
  const origin =
    source.kind === "wheels"
      ? `the wheels in plugins.zip (${MWAA_PLUGINS_FOLDER}), without any index`
      : `the private repository ${source.url}`;
  const header = [
    `# Written by mwaa-migration from ${from}: packages come from ${origin};`,
    "# the constraint file is the one that file pins, shipped in plugins.zip.",
    ...(source.kind === "wheels"
      ? ["--no-index", `--find-links ${MWAA_PLUGINS_FOLDER}`]
      : [`--index-url ${source.url}`]),
    `--constraint ${MWAA_PLUGINS_FOLDER}/${SHIPPED_CONSTRAINTS}`,
  ];
  return [...header, ...requirementLines(requirements), ""].join("\n");
}

/** pip's view of the target's workers: CPython of the target's line on 64-bit Intel Linux (glibc). */
export function targetPlatformArgs(python: string): string[] {
  const short = python.replace(".", "");
  return [
    "--only-binary=:all:",
    "--implementation",
    "cp",
    "--python-version",
    python,
    "--abi",
    `cp${short}`,
    "--abi",
    "abi3",
    "--abi",
    "none",
    "--platform",
    "manylinux_2_28_x86_64",
    "--platform",
    "manylinux2014_x86_64",
  ];
}

/** How the target's workers are described in messages. */
export function targetPlatformName(python: string): string {
  return `CPython ${python} on manylinux x86_64`;
}

/** The preview's one-line account of where the packages come from. */
export function packageSourceSummary(
  source: PackageSource,
  built?: { readonly wheels: number; readonly bytes: number; readonly python: string },
): string {
  switch (source.kind) {
    case "as-written":
      return "requirements.txt is installed as written (pip reaches its index from the environment's network)";
    case "index":
      return `requirements.txt is installed from the private repository ${source.url}, with the constraint file shipped in plugins.zip`;
    case "wheels": {
      const size = built ? `${(built.bytes / 1024 / 1024).toFixed(1)} MiB` : "";
      return built
        ? `requirements.txt is installed without an index from ${built.wheels} wheels (${size}) built for ` +
            `${targetPlatformName(built.python)} into plugins.zip, with the constraint file`
        : "requirements.txt is installed without an index from wheels built into plugins.zip";
    }
  }
}
