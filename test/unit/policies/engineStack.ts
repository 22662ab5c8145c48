/**
 * Turns a program run under mocks into what the engine hands the policy pack: for stack policies,
 * every resource (reads included) with its outputs, parents linked; for resource policies, the inputs
 * of each resource the program registers (the engine does not analyze reads).
 */
import type { PolicyResource } from "@pulumi/policy";
import { policyResource } from "../../../policies/test/engine";
import { legacyAirflowFixture, newResource } from "../../support/awsMocks";
import { RecordedResource } from "../../support/stackUnderMocks";

export interface EngineView {
  /** What analyzeStack passes: outputs, as the mocks reported them. */
  stack: PolicyResource[];
  /** What analyze passes, one per registered resource: inputs. */
  registered: PolicyResource[];
}

export function engineView(recorded: RecordedResource[], region: string): EngineView {
  const options = { region, source: legacyAirflowFixture(region), previousOutputs: {}, existingBuckets: [] };
  const outputsOf = (r: RecordedResource) => {
    if (r.type.startsWith("mwaa-migration:")) return r.inputs;
    const { state } = newResource(
      { type: r.type, name: r.name, inputs: r.inputs, id: r.read ? r.id : undefined, custom: true },
      options,
    );
    return { ...r.inputs, ...state, id: r.id };
  };
  const byUrn = new Map<string, PolicyResource>();
  const stack: PolicyResource[] = [];
  for (const r of recorded) {
    const parent = r.parent ? byUrn.get(r.parent) : undefined;
    const resource = policyResource({ type: r.type, name: r.name, urn: r.urn, props: outputsOf(r), parent });
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
      }),
    );
  return { stack, registered };
}
