/**
 * requirements.txt must pin Airflow's constraint file for the target version and Python line: MWAA
 * otherwise substitutes its own, and a file left over from the source version installs providers built
 * for the wrong Airflow (the worker then fails to start, after a long environment update).
 */
import { constraintUrl } from "./versions";

export function constraintLine(airflow: string, python: string): string {
  return `--constraint "${constraintUrl(airflow, python)}"`;
}

/** The constraint URLs a requirements file pins (`--constraint URL`, `--constraint=URL`, `-c URL`). */
export function pinnedConstraints(requirements: string): string[] {
  const urls: string[] = [];
  for (const raw of requirements.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, "").trim();
    const match = /^(?:--constraint|-c)(?:\s*=\s*|\s+)(["']?)(\S+?)\1$/.exec(line);
    if (match) urls.push(match[2]);
  }
  return urls;
}

/**
 * Returns undefined when `requirements` pins exactly the target's constraint file, otherwise a message
 * naming the file, what it pins, and the line to use.
 */
export function constraintProblem(
  requirementsPath: string,
  requirements: string,
  airflow: string,
  python: string,
): string | undefined {
  const expected = constraintUrl(airflow, python);
  const pinned = pinnedConstraints(requirements);
  if (pinned.length === 1 && pinned[0] === expected) return undefined;
  const found =
    pinned.length === 0 ? "pins no --constraint" : `pins ${pinned.map((u) => JSON.stringify(u)).join(", ")}`;
  return (
    `mwaa-migration:requirementsFile ${requirementsPath} ${found}; for Airflow ${airflow} on Python ${python} ` +
    `it needs exactly this line: ${constraintLine(airflow, python)}`
  );
}
