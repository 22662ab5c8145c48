/**
 * Builds policy arguments the way @pulumi/policy's server does (server.ts: makeAnalyzeRpcFun and
 * makeAnalyzeStackRpcFun) and runs a policy with them, collecting what it reports.
 */
import type {
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";

export interface Violation {
  message: string;
  urn?: string;
  /** Set when the engine would report the policy as not run during preview (an advisory). */
  notRun?: boolean;
}

// @pulumi/policy's own wrapper of resource props: reading a value unknown during preview throws its
// UnknownValueError. It is internal (no type declarations), so it is required by path.
const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy<T extends object>(props: T): T;
};

/**
 * The engine's encoding of a value not known during preview (a new resource's ARN, a document built
 * from one); put it in a fixture's props where the engine would.
 */
export const UNKNOWN_DURING_PREVIEW = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The resource as a policy sees it: props behind the engine's unknown-checking proxy. */
function asServed(r: PolicyResource): PolicyResource {
  const props = unknownCheckingProxy(r.props);
  return { ...r, props, asType: ((cls: unknown) => (r.isType(cls as never) ? props : undefined)) as never };
}

/** What the server does with a policy that read an unknown value: an advisory that it could not run. */
function notRunDuringPreview(e: unknown, policyName: string, violations: Violation[]): void {
  if (!(e instanceof Error && e.constructor.name === "UnknownValueError")) throw e;
  violations.push({ message: `can't run policy '${policyName}' during preview: ${e.message}`, notRun: true });
}

const OPTIONS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

function typeMatcher(type: string) {
  // The server compares the type token against the class's static __pulumiType.
  return (resourceClass: unknown) => (resourceClass as { __pulumiType?: string }).__pulumiType === type;
}

export function urnOf(type: string, name: string, parent?: PolicyResource): string {
  const parentType = parent ? parent.urn.split("::")[2] + "$" : "";
  return `urn:pulumi:dev::mwaa-migration::${parentType}${type}::${name}`;
}

export interface ResourceOptions {
  parent?: PolicyResource;
  /** Property name -> resources the property's value came from. */
  deps?: Record<string, PolicyResource[]>;
}

/** A resource as analyzeStack hands it to validateStack. */
export function resource(
  type: string,
  name: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  props: Record<string, any>,
  options: ResourceOptions = {},
): PolicyResource {
  return policyResource({ type, name, urn: urnOf(type, name, options.parent), props, ...options });
}

/** The same, for a resource whose URN is already known (e.g. recorded from a program run). */
export function policyResource(
  spec: {
    type: string;
    name: string;
    urn: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    props: Record<string, any>;
  } & ResourceOptions,
): PolicyResource {
  const propertyDependencies = spec.deps ?? {};
  const dependencies = [...new Set(Object.values(propertyDependencies).flat())];
  const r: PolicyResource = {
    type: spec.type,
    name: spec.name,
    urn: spec.urn,
    props: spec.props,
    opts: { ...OPTIONS, parent: spec.parent?.urn },
    dependencies,
    propertyDependencies,
    isType: typeMatcher(spec.type),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    asType: ((cls: unknown) => (typeMatcher(spec.type)(cls) ? spec.props : undefined)) as any,
  };
  if (spec.parent) r.parent = spec.parent;
  return r;
}

function notApplicable(reason?: string): never {
  throw new Error(`not applicable: ${reason ?? ""}`);
}

export async function runStackPolicy(
  policy: StackValidationPolicy,
  resources: PolicyResource[],
  config: object = {},
): Promise<Violation[]> {
  const violations: Violation[] = [];
  try {
    await policy.validateStack(
      {
        resources: resources.map(asServed),
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable,
      },
      (message, urn) => violations.push({ message, urn }),
    );
  } catch (e) {
    notRunDuringPreview(e, policy.name, violations);
  }
  return violations;
}

/** Runs a resource policy on one resource's inputs, as `analyze` does before the resource is created. */
export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  target: PolicyResource,
  config: object = {},
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const served = asServed(target);
  const args: ResourceValidationArgs = {
    type: target.type,
    props: served.props,
    urn: target.urn,
    name: target.name,
    opts: target.opts,
    stackTags: new Map(),
    isType: target.isType,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    asType: served.asType as any,
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
  const validations = Array.isArray(policy.validateResource)
    ? policy.validateResource
    : [policy.validateResource];
  for (const validate of validations) {
    try {
      await validate?.(args, (message) => violations.push({ message, urn: target.urn }));
    } catch (e) {
      notRunDuringPreview(e, policy.name, violations);
    }
  }
  return violations;
}

/** Runs any policy of the pack against a whole stack: stack policies once, resource policies per resource. */
export async function runPolicy(
  policy: StackValidationPolicy | ResourceValidationPolicy,
  resources: PolicyResource[],
  config: object = {},
): Promise<Violation[]> {
  if ("validateStack" in policy) return runStackPolicy(policy, resources, config);
  const all: Violation[] = [];
  for (const r of resources) all.push(...(await runResourcePolicy(policy, r, config)));
  return all;
}
