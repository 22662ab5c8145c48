/**
 * A built VPC with `networkEgress: vpc-endpoints` has no route to the internet: the environment reaches
 * the AWS services it has endpoints for, and nothing else. MWAA's workers install requirements.txt with
 * pip inside that network, so a file that names a package index, a constraint URL or a package by name
 * (which pip looks up on PyPI) fails there, after a long environment update. Preview refuses it instead.
 *
 * What pip can do offline: `--no-index` with `--find-links` to a local folder (MWAA unpacks plugins.zip
 * to /usr/local/airflow/plugins), and local constraint files; rules/packageSource builds on that.
 */
import type { NetworkEgress } from "./network";

const isUrl = (value: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(value);

/** The options pip reads a location from, and what the location is for. */
const LOCATION_OPTIONS: readonly [RegExp, string][] = [
  [/^(?:--constraint|-c)(?:\s*=\s*|\s+)(\S+)$/, "the constraint file"],
  [/^(?:--requirement|-r)(?:\s*=\s*|\s+)(\S+)$/, "the requirements file"],
  [/^(?:--index-url|-i|--extra-index-url)(?:\s*=\s*|\s+)(\S+)$/, "the package index"],
  [/^(?:--find-links|-f)(?:\s*=\s*|\s+)(\S+)$/, "the package links"],
];

/** What pip would fetch from outside the VPC to install these requirements (empty: nothing). */
export function internetNeeds(requirements: string): string[] {
  const lines = requirements
    .split(/\r?\n/)
    .map((raw) => raw.replace(/(^|\s)#.*$/, "").trim())
    .filter((line) => line !== "");
  const noIndex = lines.includes("--no-index");
  const needs: string[] = [];
  const packages: string[] = [];
  for (const line of lines) {
    const location = LOCATION_OPTIONS.map(([re, what]) => [re.exec(line)?.[1], what] as const).find(
      ([value]) => value !== undefined,
    );
    if (location) {
      const value = location[0]!.replace(/^["']|["']$/g, "");
      if (isUrl(value) && !value.startsWith("file://")) needs.push(`${location[1]} ${value}`);
      continue;
    }
    if (line.startsWith("-")) continue;
    const url = /\S+:\/\/\S+/.exec(line)?.[0];
    if (url && !url.startsWith("file://")) needs.push(`the package ${url}`);
    else if (!url && !noIndex && !line.startsWith("/") && !line.startsWith("."))
      packages.push(line.split(/[\s;<>=!~[]/)[0]);
  }
  if (packages.length > 0) needs.push(`${packages.join(", ")} from PyPI`);
  return needs;
}

/**
 * The refusal of a requirements file an environment without an internet route cannot install as written
 * (packageSource pypi); undefined
 * when the network has a NAT gateway, the stack does not build it (given subnets: their routes are not
 * the stack's to know), or the file needs nothing from outside.
 */
export function offlineRequirementsProblem(
  network: { readonly kind: "vpc"; readonly egress: NetworkEgress } | { readonly kind: "subnets" },
  requirementsPath: string,
  requirements: string,
): string | undefined {
  if (network.kind !== "vpc" || network.egress !== "vpc-endpoints") return undefined;
  const needs = internetNeeds(requirements);
  if (needs.length === 0) return undefined;
  return (
    `mwaa-migration:networkEgress is vpc-endpoints, so the environment has no internet route, but ` +
    `mwaa-migration:requirementsFile ${requirementsPath} needs one: pip would fetch ${needs.join("; ")}. ` +
    `Set packageSource to auto or wheels (the stack builds the wheels into plugins.zip), or to the index ` +
    `URL of a private repository the VPC reaches, or set networkEgress to nat-gateway.`
  );
}
