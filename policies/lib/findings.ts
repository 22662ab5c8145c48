/**
 * A violation as the rules find it: which resource, which statement or setting, what is wrong and
 * how to fix it. `formatFinding` turns it into the one-line message the CLI shows.
 */
export interface Finding {
  urn: string;
  /** e.g. `RolePolicy "export-grant"` */
  resource: string;
  /** The statement or setting at fault, e.g. `policy statement #2 (Allow Action [s3:*] ...)`. */
  subject: string;
  problem: string;
  fix: string;
}

export function formatFinding(f: Finding): string {
  return `${f.resource}: ${f.subject}: ${f.problem} Fix: ${f.fix}`;
}
