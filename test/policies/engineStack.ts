/**
 * Turns a program run under mocks into what the engine hands the policy pack: for stack policies,
 * every resource (reads included) with its outputs, parents linked, and the root stack resource with
 * the stack's outputs; for resource policies, the inputs
 * of each resource the program registers (the engine does not analyze reads).
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { Violation, policyResource, runResourcePolicy, runStackPolicy } from "../../policies/test/engine";
import { UNKNOWN_DURING_PREVIEW, legacyAirflowFixture, newResource } from "../support/awsMocks";
import { StackRun } from "../support/stackUnderMocks";

export interface EngineView {
  /** What analyzeStack passes: outputs, as the mocks reported them. */
  stack: PolicyResource[];
  /** What analyze passes, one per registered resource: inputs. */
  registered: PolicyResource[];
}

/** The root stack resource, whose props the engine fills with the stack's outputs. */
function stackResource(run: StackRun): PolicyResource {
  const project = "mwaa-migration";
  const stack = run.resources[0]?.urn.split("::")[0].split(":").pop() ?? "dev";
  return policyResource({
    type: "pulumi:pulumi:Stack",
    name: `${project}-${stack}`,
    urn: `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`,
    props: run.outputs,
  });
}

/** `firstPreview`: the run was a new stack's first preview, so outputs AWS computes on create are unknown. */
export function engineView(run: StackRun, region: string, firstPreview = false): EngineView {
  const recorded = run.resources;
  const options = {
    region,
    source: legacyAirflowFixture(region),
    previousOutputs: {},
    existingBuckets: [],
    firstPreview,
  };
  const outputsOf = (r: StackRun["resources"][number]) => {
    if (r.type.startsWith("mwaa-migration:")) return r.inputs;
    const { state } = newResource(
      {
        type: r.type,
        name: r.name,
        inputs: r.inputs,
        id: r.read ? r.id : undefined,
        custom: true,
        provider: r.provider,
      },
      options,
    );
    const id = firstPreview && !r.read ? UNKNOWN_DURING_PREVIEW : r.id;
    return { ...r.inputs, ...state, id };
  };
  const byUrn = new Map<string, PolicyResource>();
  // Per input, the resources its value came from, as the engine passes them (how an unknown bucket id
  // still links a BucketVersioning to its bucket during a first preview).
  const depsOf = (r: StackRun["resources"][number]) =>
    Object.fromEntries(
      Object.entries(r.propertyDependencies ?? {}).map(([prop, urns]) => [
        prop,
        urns.map((urn) => byUrn.get(urn)).filter((d): d is PolicyResource => d !== undefined),
      ]),
    );
  const stack: PolicyResource[] = [stackResource(run)];
  for (const r of recorded) {
    const parent = r.parent ? byUrn.get(r.parent) : undefined;
    const resource = policyResource({
      type: r.type,
      name: r.name,
      urn: r.urn,
      props: outputsOf(r),
      parent,
      deps: depsOf(r),
    });
    byUrn.set(r.urn, resource);
    stack.push(resource);
  }
  const registered = recorded
    .filter((r) => !r.read)
    .map((r) =>
      policyResource({
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: r.inputs,
        parent: byUrn.get(r.parent ?? ""),
        deps: depsOf(r),
      }),
    );
  return { stack, registered };
}

/** One policy over the view as the engine runs it: a stack policy once on outputs, a resource policy per registration. */
export async function checkView(
  policy: StackValidationPolicy | ResourceValidationPolicy,
  view: EngineView,
): Promise<Violation[]> {
  if ("validateStack" in policy) return runStackPolicy(policy, view.stack);
  const found: Violation[] = [];
  for (const r of view.registered) found.push(...(await runResourcePolicy(policy, r)));
  return found;
}
