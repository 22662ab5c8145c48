/**
 * IAM policy documents as the engine hands them over: a JSON string (what `JSON.stringify` or
 * `pulumi.jsonStringify` produce) or an already-parsed object. Everything here is pure and tolerant:
 * a field may be a string or an array, keys follow IAM's spelling, and action names compare
 * case-insensitively because IAM treats `S3:GetObject` and `s3:getobject` as the same action.
 */

export interface Statement {
  /** `Sid` when present, otherwise `#<position>` (1-based) so a message can still point at it. */
  label: string;
  effect: "Allow" | "Deny";
  /** Lower-cased action patterns from `Action`; empty when the statement uses `NotAction`. */
  actions: string[];
  /** Lower-cased patterns from `NotAction`, or undefined when absent. */
  notActions?: string[];
  /** `Action` (or `NotAction`) as the author wrote it, index for index, for messages. */
  written: string[];
  resources: string[];
  notResources?: string[];
  principals: Principal[];
  /** Principals from `NotPrincipal`, or undefined when absent. */
  notPrincipals?: Principal[];
  /** Condition block as written: operator -> key -> value(s). */
  condition: Record<string, Record<string, unknown>>;
}

export interface Principal {
  /** `AWS`, `Service`, `Federated`, `CanonicalUser`, or `*` for the anonymous wildcard. */
  kind: string;
  value: string;
}

export interface ParsedDocument {
  statements: Statement[];
}

function asList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return typeof value === "string" ? [value] : [];
}

function parsePrincipals(value: unknown): Principal[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return [{ kind: value === "*" ? "*" : "AWS", value }];
  if (typeof value !== "object") return [];
  const out: Principal[] = [];
  for (const [kind, values] of Object.entries(value as Record<string, unknown>)) {
    for (const v of asList(values)) out.push({ kind, value: v });
  }
  return out;
}

/**
 * Parses a policy document. Returns undefined for something that is not a document at all (an empty
 * string, invalid JSON, an object without `Statement`), so callers can report it instead of guessing.
 */
export function parsePolicyDocument(document: unknown): ParsedDocument | undefined {
  let value = document;
  if (typeof value === "string") {
    if (value.trim() === "") return undefined;
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!value || typeof value !== "object") return undefined;
  const raw = (value as Record<string, unknown>).Statement;
  if (raw === undefined) return undefined;
  const list = Array.isArray(raw) ? raw : [raw];
  const statements = list
    .filter((s): s is Record<string, unknown> => !!s && typeof s === "object")
    .map((s, index) => {
      const notActions = s.NotAction === undefined ? undefined : asList(s.NotAction).map(lower);
      const notResources = s.NotResource === undefined ? undefined : asList(s.NotResource);
      const statement: Statement = {
        label: typeof s.Sid === "string" && s.Sid !== "" ? s.Sid : `#${index + 1}`,
        effect: String(s.Effect).toLowerCase() === "deny" ? "Deny" : "Allow",
        actions: asList(s.Action).map(lower),
        written: asList(s.NotAction === undefined ? s.Action : s.NotAction),
        resources: asList(s.Resource),
        principals: parsePrincipals(s.Principal),
        condition: (s.Condition as Record<string, Record<string, unknown>>) ?? {},
      };
      if (notActions) statement.notActions = notActions;
      if (notResources) statement.notResources = notResources;
      if (s.NotPrincipal !== undefined) statement.notPrincipals = parsePrincipals(s.NotPrincipal);
      return statement;
    });
  return { statements };
}

function lower(s: string): string {
  return s.toLowerCase();
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "i");
}

/** True when an IAM pattern (`*` and `?` wildcards) covers `value`, case-insensitively. */
export function globMatches(pattern: string, value: string): boolean {
  return globToRegExp(pattern).test(value);
}

/** True when the action pattern contains a wildcard. */
export function isWildcard(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

/** `*`, or every action of a service: `s3:*`, `IAM:*`, `*:*`, `s3:**`. */
export function isServiceWideWildcard(pattern: string): boolean {
  return /^(?:[^:]*:)?\*+$/.test(pattern);
}

/**
 * True when an action pattern can match an action of `service`: its service part matches
 * (`kms:Decrypt`, `KMS:*`, `k*:Decrypt`), or it has no service part and starts with a wildcard (`*`).
 */
function patternReachesService(pattern: string, service: string): boolean {
  const colon = pattern.indexOf(":");
  if (colon < 0) return pattern.startsWith("*");
  return globMatches(pattern.slice(0, colon), service);
}

/** True when some action the statement names (or its NotAction leaves open) belongs to `service`. */
export function touchesService(statement: Statement, service: string): boolean {
  if (statement.notActions) return !statement.notActions.some((p) => globMatches(p, `${service}:*`));
  return statement.actions.some((p) => patternReachesService(p, service));
}

const WILDCARD_ONLY = /^[*?\/]*\*[*?\/]*$/;

/**
 * True when a resource pattern addresses every resource, or every resource of a service: `*`,
 * `arn:*`, `arn:aws:s3:::*` (and its objects), `arn:aws:logs:*:*:*`. An ARN is unconstrained when a
 * wildcard-only part is its last one (a `*` spans the colons after it) or is the whole resource part.
 */
export function isAnyResource(pattern: string): boolean {
  if (WILDCARD_ONLY.test(pattern)) return true;
  const parts = pattern.split(":");
  if (parts[0].toLowerCase() !== "arn") return false;
  const last = parts.length - 1;
  return parts.some(
    (part, i) =>
      i >= 1 &&
      i <= 5 &&
      WILDCARD_ONLY.test(part) &&
      (i === last || (i === 5 && parts.slice(6).every((rest) => WILDCARD_ONLY.test(rest)))),
  );
}

/** Operators under which a condition key must be present and match: not `...IfExists`, `Not...` or `ForAllValues:`. */
const REQUIRING_STRING_OPERATORS = /^(?:ForAnyValue:)?String(?:Equals|Like|EqualsIgnoreCase)$/i;

/**
 * True when the statement applies only to requests whose `key` is present and matches a value that
 * is not all wildcards, e.g. `StringLike {"kms:ViaService": "s3.us-east-1.amazonaws.com"}`. A negated
 * operator, an `IfExists` one or a value of `*` would also admit requests made directly.
 */
export function requiresCondition(statement: Statement, key: string): boolean {
  return Object.entries(statement.condition ?? {}).some(([operator, block]) => {
    if (!REQUIRING_STRING_OPERATORS.test(operator) || !block || typeof block !== "object") return false;
    return Object.entries(block).some(([k, v]) => {
      if (k.toLowerCase() !== key.toLowerCase()) return false;
      const values = asList(v);
      return values.length > 0 && values.every((value) => !/^[*?]*$/.test(value));
    });
  });
}

/** Condition keys present in a statement, lower-cased, whatever the operator. */
export function conditionKeys(statement: Statement): string[] {
  const keys: string[] = [];
  for (const block of Object.values(statement.condition ?? {})) {
    if (block && typeof block === "object") keys.push(...Object.keys(block).map(lower));
  }
  return keys;
}

/** Values given for a condition key (case-insensitive key), whatever the operator. */
export function conditionValues(statement: Statement, key: string): string[] {
  const out: string[] = [];
  for (const block of Object.values(statement.condition ?? {})) {
    if (!block || typeof block !== "object") continue;
    for (const [k, v] of Object.entries(block)) {
      if (k.toLowerCase() === key.toLowerCase())
        out.push(...asList(v).concat(typeof v === "boolean" ? [String(v)] : []));
    }
  }
  return out;
}

/** The author's spelling of some of a statement's (lower-cased) actions. */
export function asWritten(statement: Statement, actions: string[]): string[] {
  const lowered = statement.notActions ?? statement.actions;
  return actions.map((a) => statement.written[lowered.indexOf(a)] ?? a);
}

/** Short human label for a statement, used in violation messages. */
export function describeStatement(statement: Statement): string {
  const actionPart = `${statement.notActions ? "NotAction" : "Action"} [${statement.written.join(", ")}]`;
  const resourcePart = statement.notResources
    ? `NotResource [${statement.notResources.join(", ")}]`
    : `Resource [${statement.resources.join(", ")}]`;
  return `statement ${statement.label} (${statement.effect} ${actionPart} on ${resourcePart})`;
}
