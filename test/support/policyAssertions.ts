/**
 * Assertions on IAM documents as properties of what they let through, not as copies of their text.
 *
 * `decide` evaluates one document against one request the way IAM evaluates a single policy: an
 * explicit Deny wins, else an Allow that matches the action, the resource, the principal (resource
 * policies) and every condition, else the request is not allowed. It implements the parts of IAM the
 * program's documents use; a condition operator it does not know is an error, not a pass, so a new
 * operator in a builder makes the tests say so instead of passing quietly.
 */
import * as assert from "node:assert/strict";

export interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface Document {
  Statement: Statement[];
}

/** Where MWAA's documentation uses Resource "*": actions that take no resource scope. */
export const UNSCOPABLE_ACTIONS = [
  "logs:DescribeLogGroups",
  "cloudwatch:PutMetricData",
  "s3:GetAccountPublicAccessBlock",
];

/** Every Allow statement: no wildcard in an action, and Resource "*" only for unscopable actions. */
export function assertNoWildcardAllows(statements: Statement[], label = "policy"): void {
  assert.ok(statements.length > 0, `${label} has no statements`);
  for (const s of statements.filter((st) => st.Effect === "Allow")) {
    const actions = list(s.Action);
    for (const action of actions)
      assert.ok(!action.includes("*"), `${label} ${s.Sid}: wildcard action ${action}`);
    const resources = list(s.Resource);
    assert.ok(resources.length > 0 || s.NotResource, `${label} ${s.Sid}: no resource`);
    if (resources.includes("*")) {
      assert.deepEqual(
        actions.filter((a) => !UNSCOPABLE_ACTIONS.includes(a)),
        [],
        `${label} ${s.Sid}: Resource "*" for actions that can be scoped`,
      );
    }
  }
}

/** One request as IAM sees it. */
export interface Request {
  action: string;
  resource: string;
  /** Request context, e.g. `{"kms:ViaService": "s3.us-east-1.amazonaws.com"}`; a key left out is absent. */
  context?: Record<string, string>;
  /** Who asks, for resource policies (trust and bucket policies); identity policies ignore it. */
  principal?: { kind: "AWS" | "Service" | "Federated"; id: string };
}

/** `denied`: an explicit Deny matches; `allowed`: an Allow does and no Deny; else `not allowed`. */
export type Decision = "allowed" | "denied" | "not allowed";

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function glob(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, ignoreCase ? "i" : "").test(value);
}

function matchesAction(s: Statement, action: string): boolean {
  if (s.NotAction !== undefined) return !list(s.NotAction).some((p) => glob(p, action, true));
  return list(s.Action).some((p) => glob(p, action, true));
}

function matchesResource(s: Statement, resource: string): boolean {
  if (s.NotResource !== undefined) return !list(s.NotResource).some((p) => glob(p, resource, false));
  // A trust policy names no resource: it is about the role it is attached to.
  if (s.Resource === undefined) return true;
  return list(s.Resource).some((p) => glob(p, resource, false));
}

function principalsOf(value: unknown): { kind: string; id: string }[] {
  if (value === "*") return [{ kind: "*", id: "*" }];
  if (!value || typeof value !== "object") return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([kind, ids]) =>
    list(ids).map((id) => ({ kind, id })),
  );
}

function principalIn(listed: { kind: string; id: string }[], who: Request["principal"]): boolean {
  return listed.some((p) => p.id === "*" || (!!who && p.kind === who.kind && p.id === who.id));
}

function matchesPrincipal(s: Statement, who: Request["principal"]): boolean {
  if (s.NotPrincipal !== undefined) return !principalIn(principalsOf(s.NotPrincipal), who);
  if (s.Principal === undefined) return true;
  return principalIn(principalsOf(s.Principal), who);
}

type Test = (expected: string, actual: string) => boolean;

const TESTS: Record<string, Test> = {
  StringEquals: (e, a) => e === a,
  StringEqualsIgnoreCase: (e, a) => e.toLowerCase() === a.toLowerCase(),
  StringLike: (e, a) => glob(e, a, false),
  ArnEquals: (e, a) => e === a,
  ArnLike: (e, a) => glob(e, a, false),
  Bool: (e, a) => e.toLowerCase() === a.toLowerCase(),
};

/** One operator's block, e.g. `StringLike: {"kms:ViaService": [...]}`, against the request context. */
function conditionHolds(operator: string, block: Record<string, unknown>, context: Record<string, string>) {
  const ifExists = operator.endsWith("IfExists");
  const base = ifExists ? operator.slice(0, -"IfExists".length) : operator;
  const negated = /^(String|Arn)Not/.test(base);
  const test = TESTS[base.replace(/^(String|Arn)Not/, "$1")];
  if (base !== "Null" && !test) throw new Error(`decide() does not know the condition operator ${operator}`);
  const valueOf = (key: string) =>
    Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
  return Object.entries(block).every(([key, expected]) => {
    const actual = valueOf(key);
    const values = list(expected);
    if (base === "Null") return values.some((v) => (v === "true") === (actual === undefined));
    if (actual === undefined) return ifExists || negated;
    const matched = values.some((v) => test(v, actual));
    return negated ? !matched : matched;
  });
}

function applies(s: Statement, request: Request): boolean {
  if (!matchesAction(s, request.action) || !matchesResource(s, request.resource)) return false;
  if (!matchesPrincipal(s, request.principal)) return false;
  const context = request.context ?? {};
  return Object.entries(s.Condition ?? {}).every(([op, block]) => conditionHolds(op, block, context));
}

export function decide(document: Document, request: Request): Decision {
  const matching = document.Statement.filter((s) => applies(s, request));
  if (matching.some((s) => s.Effect === "Deny")) return "denied";
  return matching.some((s) => s.Effect === "Allow") ? "allowed" : "not allowed";
}

/** A request in words, for assertion messages. */
export function describeRequest(r: Request): string {
  const who = r.principal ? `${r.principal.kind} ${r.principal.id}: ` : "";
  const context = r.context && Object.keys(r.context).length ? ` with ${JSON.stringify(r.context)}` : "";
  return `${who}${r.action} on ${r.resource}${context}`;
}

export function assertAllows(document: Document, requests: Request[], label: string): void {
  for (const r of requests)
    assert.equal(decide(document, r), "allowed", `${label} should allow ${describeRequest(r)}`);
}

export function assertDoesNotAllow(document: Document, requests: Request[], label: string): void {
  for (const r of requests)
    assert.notEqual(decide(document, r), "allowed", `${label} should not allow ${describeRequest(r)}`);
}

export function assertDenies(document: Document, requests: Request[], label: string): void {
  for (const r of requests)
    assert.equal(decide(document, r), "denied", `${label} should deny ${describeRequest(r)}`);
}

export function assertDoesNotDeny(document: Document, requests: Request[], label: string): void {
  for (const r of requests)
    assert.notEqual(decide(document, r), "denied", `${label} should not deny ${describeRequest(r)}`);
}

/**
 * Every action an Allow statement names falls inside `ceiling` (patterns, e.g. `s3:Get*`): the actions
 * the document's purpose can need at all. An action added to any statement outside it fails here.
 */
export function assertActionsWithin(document: Document, ceiling: string[], label: string): void {
  for (const s of document.Statement.filter((st) => st.Effect === "Allow")) {
    assert.equal(s.NotAction, undefined, `${label} ${s.Sid}: Allow with NotAction`);
    for (const action of list(s.Action))
      assert.ok(
        ceiling.some((p) => glob(p, action, true)),
        `${label} ${s.Sid}: ${action} is outside what this document is for (${ceiling.join(", ")})`,
      );
  }
}

/** The actions the document's Allow statements name, for probing each against foreign resources. */
export function allowedActions(document: Document): string[] {
  return [...new Set(document.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => list(s.Action)))];
}
