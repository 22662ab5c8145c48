/**
 * Partial state for a create that started work and did not see it finish. The dynamic-provider
 * host turns an error carrying `id` into ErrorResourceInitFailed with these properties, so the
 * engine records the resource (and its run id) and the next `pulumi up` calls update, which
 * resumes the same Airflow run instead of triggering another.
 *
 * Plain Error objects with fields, not a subclass: the provider is serialized with Pulumi's
 * closure serializer, which rewrites `super(...)` in a way that loses an Error's message.
 */
export interface PartialCreateError extends Error {
  id: string;
  properties: Record<string, unknown>;
  reasons: string[];
}

export function partialCreateError(id: string, properties: object, reasons: string[]): PartialCreateError {
  const error = new Error(reasons.join("\n")) as PartialCreateError;
  error.name = "PartialCreateError";
  error.id = id;
  // The host packs these into a protobuf Struct, which has no `undefined`; one such value would
  // make that packing throw inside the host's error handler, and the call would never answer.
  error.properties = JSON.parse(JSON.stringify(properties)) as Record<string, unknown>;
  error.reasons = reasons;
  return error;
}

export function isPartialCreateError(e: unknown): e is PartialCreateError {
  return (
    e instanceof Error &&
    typeof (e as Partial<PartialCreateError>).id === "string" &&
    Array.isArray((e as Partial<PartialCreateError>).reasons)
  );
}

export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
