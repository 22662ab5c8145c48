/**
 * Values the engine does not know yet. During a preview, outputs of resources that do not exist yet
 * (an ARN, a policy document built from one) reach the pack as unknowns, and @pulumi/policy's
 * resource props throw its UnknownValueError when one is read; the engine then turns the whole
 * policy into a "can't run during preview" advisory, known violations included.
 *
 * The policies read a copy instead, in which each unknown reads as `UNKNOWN` and the read is
 * recorded. A check judges what is known and leaves unknowns alone; if it found nothing but read an
 * unknown, the policy rethrows the engine's error so the preview still says the check could not
 * run. A violation found among known values is reported as usual and stops the preview.
 */
import type { ResourceLike } from "./stackModel";

export class UnknownValue {
  /** Tells this marker apart from other values, for type narrowing and for someone debugging. */
  readonly notKnownBeforeTheUpdate = true;

  toString(): string {
    return "(not known before the update)";
  }
}

export const UNKNOWN: UnknownValue = new UnknownValue();
Object.freeze(UNKNOWN);

export function isUnknown(value: unknown): value is UnknownValue {
  return value instanceof UnknownValue;
}

function isEngineUnknownError(e: unknown): e is Error {
  return e instanceof Error && (e.constructor.name === "UnknownValueError" || "unknownTypeSentinel" in e);
}

/** The engine's resources as plain data, and what became of their unknown values. */
export interface KnownView<R> {
  resources: R[];
  /** The engine's error for the first unknown a check has read; undefined when it read none. */
  unknownRead(): Error | undefined;
}

/** The part of the engine's resource a policy copies. */
interface EngineResource {
  type: string;
  name: string;
  urn: string;
  props: object;
  parent?: { urn: string; name: string; type: string };
  propertyDependencies?: Record<string, { urn: string }[]>;
}

/** Copies the engine's resources, replacing each unknown with a recorded read of `UNKNOWN`. */
export function knownView(resources: readonly EngineResource[]): KnownView<ResourceLike> {
  let firstRead: Error | undefined;
  const copy = (value: unknown): unknown => {
    if (!value || typeof value !== "object") return value;
    const out: Record<string, unknown> = Array.isArray(value)
      ? ([] as unknown as Record<string, unknown>)
      : {};
    for (const key of Object.keys(value)) {
      try {
        out[key] = copy((value as Record<string, unknown>)[key]);
      } catch (e) {
        if (!isEngineUnknownError(e)) throw e;
        Object.defineProperty(out, key, {
          enumerable: true,
          get: () => {
            firstRead ??= e;
            return UNKNOWN;
          },
        });
      }
    }
    return out;
  };
  const copied = resources.map((r): ResourceLike => {
    const plain: ResourceLike = {
      type: r.type,
      name: r.name,
      urn: r.urn,
      props: copy(r.props) as ResourceLike["props"],
    };
    if (r.parent) plain.parent = { urn: r.parent.urn, name: r.parent.name, type: r.parent.type };
    if (r.propertyDependencies) {
      plain.propertyDependencies = Object.fromEntries(
        Object.entries(r.propertyDependencies).map(([k, list]) => [k, list.map((d) => ({ urn: d.urn }))]),
      );
    }
    return plain;
  });
  return { resources: copied, unknownRead: () => firstRead };
}

/**
 * Reads a property without recording an unknown: for values used only to link resources, where an
 * unknown simply links nothing and leaves no check undone.
 */
export function peek(record: Record<string, unknown>, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(record, key);
  return descriptor?.get ? UNKNOWN : descriptor?.value;
}
