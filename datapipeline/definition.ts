/**
 * AWS Data Pipeline definitions, read from the two shapes they come in, into one model.
 *
 * - The API's (`GetPipelineDefinition`, and `aws datapipeline get-pipeline-definition --output json`
 *   before the CLI rewrites it): `pipelineObjects` (or `objects`) of `{id, name, fields: [{key,
 *   stringValue | refValue}]}`, `parameterObjects` of `{id, attributes: [{key, stringValue}]}` and
 *   `parameterValues` of `{id, stringValue}`. The type is the field `type`.
 * - The definition file's (the console's export, `put-pipeline-definition --pipeline-definition`):
 *   `objects` of `{id, name, type, <field>: "text" | {"ref": id} | [...]}`, `parameters` of
 *   `{id, type, default, ...}` and `values` of `{myParam: value | [values]}`.
 *
 * A field may hold several values (a list in the file, repeated keys in the API); values keep their
 * order. Fields whose name starts with `*` are encrypted in Data Pipeline (passwords): they are kept
 * here so that a reference to them resolves, and masked wherever an object is printed.
 */

export type FieldValue = { string: string } | { ref: string };

export interface PipelineObject {
  id: string;
  name: string;
  /** Every field but id and name, the type included, in the order the definition gives them. */
  fields: Record<string, FieldValue[]>;
}

export interface ParameterObject {
  id: string;
  /** type, description, default, optional, isArray, allowedValues, watermark, helpText. */
  attributes: Record<string, string[]>;
}

export interface PipelineDefinition {
  objects: PipelineObject[];
  parameters: ParameterObject[];
  /** Parameter values by parameter id; an array parameter has several. */
  values: Record<string, string[]>;
}

/**
 * A definition that cannot be converted as written. `objectId` and `field` name the place, so the
 * message says where to look in a definition of hundreds of objects.
 */
export class DefinitionError extends Error {
  constructor(
    readonly objectId: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`object ${JSON.stringify(objectId)}, field ${JSON.stringify(field)}: ${reason}`);
    this.name = "DefinitionError";
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isRecord(value: unknown): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses either shape; `source` names the input in error messages. */
export function parseDefinition(document: unknown): PipelineDefinition {
  if (!isRecord(document)) {
    throw new DefinitionError("(definition)", "(document)", "a pipeline definition is a JSON object");
  }
  const objects = document.pipelineObjects ?? document.objects;
  if (!Array.isArray(objects) || objects.length === 0) {
    throw new DefinitionError(
      "(definition)",
      "objects",
      "no pipeline objects: expected `objects` (definition file) or `pipelineObjects` (API)",
    );
  }
  const apiShape = objects.some((o) => isRecord(o) && Array.isArray(o.fields));
  const definition: PipelineDefinition = apiShape
    ? {
        objects: objects.map((o, i) => apiObject(o, i)),
        parameters: asArray(document.parameterObjects, "parameterObjects").map((p, i) => apiParameter(p, i)),
        values: apiValues(document.parameterValues),
      }
    : {
        objects: objects.map((o, i) => fileObject(o, i)),
        parameters: asArray(document.parameters, "parameters").map((p, i) => fileParameter(p, i)),
        values: fileValues(document.values),
      };
  const seen = new Set<string>();
  for (const object of definition.objects) {
    if (seen.has(object.id)) throw new DefinitionError(object.id, "id", "two objects have this id");
    seen.add(object.id);
  }
  return definition;
}

function asArray(value: Json | undefined, what: string): Json[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new DefinitionError("(definition)", what, "expected a list");
  return value;
}

function objectId(o: Json, index: number): string {
  if (!isRecord(o) || typeof o.id !== "string" || o.id === "") {
    throw new DefinitionError(`(object #${index + 1})`, "id", "every pipeline object needs a string id");
  }
  return o.id;
}

function apiObject(o: Json, index: number): PipelineObject {
  const id = objectId(o, index);
  const record = o as Record<string, Json>;
  const fields: Record<string, FieldValue[]> = {};
  for (const [i, field] of asArray(record.fields, "fields").entries()) {
    if (!isRecord(field) || typeof field.key !== "string") {
      throw new DefinitionError(id, `fields[${i}]`, "a field needs a key");
    }
    let value: FieldValue;
    if (typeof field.refValue === "string") value = { ref: field.refValue };
    else if (typeof field.stringValue === "string") value = { string: field.stringValue };
    else throw new DefinitionError(id, field.key, "a field needs a stringValue or a refValue");
    (fields[field.key] ??= []).push(value);
  }
  return { id, name: typeof record.name === "string" ? record.name : id, fields };
}

function fileValue(id: string, key: string, value: Json): FieldValue[] {
  if (Array.isArray(value)) return value.flatMap((v) => fileValue(id, key, v));
  if (isRecord(value)) {
    if (typeof value.ref === "string") return [{ ref: value.ref }];
    throw new DefinitionError(id, key, 'an object value must be a reference, {"ref": "<object id>"}');
  }
  if (typeof value === "string") return [{ string: value }];
  if (typeof value === "number" || typeof value === "boolean") return [{ string: String(value) }];
  throw new DefinitionError(id, key, "a field value must be text, a reference or a list of them");
}

function fileObject(o: Json, index: number): PipelineObject {
  const id = objectId(o, index);
  const record = o as Record<string, Json>;
  const fields: Record<string, FieldValue[]> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === "id" || key === "name") continue;
    fields[key] = fileValue(id, key, value);
  }
  return { id, name: typeof record.name === "string" ? record.name : id, fields };
}

function apiParameter(p: Json, index: number): ParameterObject {
  const id = objectId(p, index);
  const attributes: Record<string, string[]> = {};
  for (const attribute of asArray((p as Record<string, Json>).attributes, "attributes")) {
    if (
      isRecord(attribute) &&
      typeof attribute.key === "string" &&
      typeof attribute.stringValue === "string"
    ) {
      (attributes[attribute.key] ??= []).push(attribute.stringValue);
    }
  }
  return { id, attributes };
}

function fileParameter(p: Json, index: number): ParameterObject {
  const id = objectId(p, index);
  const attributes: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(p as Record<string, Json>)) {
    if (key === "id") continue;
    const values = Array.isArray(value) ? value : [value];
    attributes[key] = values.filter((v) => v !== null && typeof v !== "object").map(String);
  }
  return { id, attributes };
}

function apiValues(values: Json | undefined): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const value of asArray(values, "parameterValues")) {
    if (isRecord(value) && typeof value.id === "string" && typeof value.stringValue === "string") {
      (result[value.id] ??= []).push(value.stringValue);
    }
  }
  return result;
}

function fileValues(values: Json | undefined): Record<string, string[]> {
  if (values === undefined || values === null) return {};
  if (!isRecord(values)) throw new DefinitionError("(definition)", "values", "expected an object");
  const result: Record<string, string[]> = {};
  for (const [id, value] of Object.entries(values)) {
    result[id] = (Array.isArray(value) ? value : [value]).map(String);
  }
  return result;
}

/** The object in the definition-file shape, secrets masked: what a not-converted task shows. */
export function objectAsFileJson(object: PipelineObject): Record<string, unknown> {
  const out: Record<string, unknown> = { id: object.id, name: object.name };
  for (const [key, values] of Object.entries(object.fields)) {
    const shown = values.map((v) =>
      "ref" in v ? { ref: v.ref } : key.startsWith("*") ? "(encrypted field, not copied)" : v.string,
    );
    out[key] = shown.length === 1 ? shown[0] : shown;
  }
  return out;
}
