/**
 * The pipeline's objects as Data Pipeline itself sees them: every object type the service documents,
 * fields resolved through `parent` objects and the `Default` object, and references checked.
 *
 * Inheritance follows Data Pipeline: a field an object does not set comes from its `parent` (an
 * object or a list of them, searched in order, recursively), then from the object whose id is
 * `Default`. The type itself is inherited from parents only, never from `Default`, so that an
 * abstract parent can give its children their type.
 */

import { DefinitionError, FieldValue, PipelineDefinition, PipelineObject } from "./definition";

export const ACTIVITY_TYPES = [
  "CopyActivity",
  "EmrActivity",
  "HadoopActivity",
  "HiveActivity",
  "HiveCopyActivity",
  "PigActivity",
  "RedshiftCopyActivity",
  "ShellCommandActivity",
  "SqlActivity",
] as const;
export const DATA_NODE_TYPES = [
  "DynamoDBDataNode",
  "MySqlDataNode",
  "RedshiftDataNode",
  "S3DataNode",
  "SqlDataNode",
] as const;
export const PRECONDITION_TYPES = [
  "DynamoDBDataExists",
  "DynamoDBTableExists",
  "Exists",
  "S3KeyExists",
  "S3PrefixNotEmpty",
  "ShellCommandPrecondition",
] as const;
export const RESOURCE_TYPES = ["Ec2Resource", "EmrCluster"] as const;
export const DATABASE_TYPES = ["JdbcDatabase", "RdsDatabase", "RedshiftDatabase"] as const;
export const DATA_FORMAT_TYPES = [
  "CSV",
  "Custom",
  "DynamoDBDataFormat",
  "DynamoDBExportDataFormat",
  "RegEx",
  "TSV",
] as const;
export const ACTION_TYPES = ["SnsAlarm", "Terminate"] as const;
/** Objects that only configure others: EMR configurations and their properties, scripts, proxies. */
export const UTILITY_TYPES = ["EmrConfiguration", "HttpProxy", "Property", "ShellScriptConfig"] as const;

export const KNOWN_TYPES: ReadonlySet<string> = new Set<string>([
  ...ACTIVITY_TYPES,
  ...DATA_NODE_TYPES,
  ...PRECONDITION_TYPES,
  ...RESOURCE_TYPES,
  ...DATABASE_TYPES,
  ...DATA_FORMAT_TYPES,
  ...ACTION_TYPES,
  ...UTILITY_TYPES,
  "Schedule",
]);

export type Category =
  | "default"
  | "schedule"
  | "activity"
  | "dataNode"
  | "precondition"
  | "resource"
  | "database"
  | "dataFormat"
  | "action"
  | "utility"
  | "abstract";

const CATEGORY_OF: Record<string, Category> = Object.fromEntries([
  ...ACTIVITY_TYPES.map((t) => [t, "activity"]),
  ...DATA_NODE_TYPES.map((t) => [t, "dataNode"]),
  ...PRECONDITION_TYPES.map((t) => [t, "precondition"]),
  ...RESOURCE_TYPES.map((t) => [t, "resource"]),
  ...DATABASE_TYPES.map((t) => [t, "database"]),
  ...DATA_FORMAT_TYPES.map((t) => [t, "dataFormat"]),
  ...ACTION_TYPES.map((t) => [t, "action"]),
  ...UTILITY_TYPES.map((t) => [t, "utility"]),
  ["Schedule", "schedule"],
]);

/** Fields that belong to one object and are never inherited. */
const OWN_FIELDS = new Set(["type", "parent"]);

export class Pipeline {
  readonly byId: ReadonlyMap<string, PipelineObject>;
  readonly defaultObject: PipelineObject | undefined;

  constructor(readonly definition: PipelineDefinition) {
    this.byId = new Map(definition.objects.map((o) => [o.id, o]));
    this.defaultObject = this.byId.get("Default");
    this.validate();
  }

  get objects(): readonly PipelineObject[] {
    return this.definition.objects;
  }

  /** The object's own values of `key`, else its parents', else Default's. */
  values(object: PipelineObject, key: string): FieldValue[] {
    const own = this.inherited(object, key, new Set());
    if (own !== undefined) return own;
    if (OWN_FIELDS.has(key) || !this.defaultObject || object === this.defaultObject) return [];
    return this.defaultObject.fields[key] ?? [];
  }

  private inherited(object: PipelineObject, key: string, seen: Set<string>): FieldValue[] | undefined {
    if (object.fields[key] !== undefined) return object.fields[key];
    if (key === "parent") return undefined;
    seen.add(object.id);
    for (const value of object.fields.parent ?? []) {
      if (!("ref" in value) || seen.has(value.ref)) continue;
      const parent = this.byId.get(value.ref);
      const found = parent && this.inherited(parent, key, seen);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Where a field comes from: the object itself, a parent, or Default (for comments). */
  has(object: PipelineObject, key: string): boolean {
    return this.values(object, key).length > 0;
  }

  /** The first text value of a field. A reference where text is expected is an error. */
  string(object: PipelineObject, key: string): string | undefined {
    const values = this.values(object, key);
    if (values.length === 0) return undefined;
    const first = values[0];
    if ("ref" in first) throw new DefinitionError(object.id, key, "expected a value, found a reference");
    return first.string;
  }

  strings(object: PipelineObject, key: string): string[] {
    return this.values(object, key).map((v) => {
      if ("ref" in v) throw new DefinitionError(object.id, key, "expected values, found a reference");
      return v.string;
    });
  }

  /** The referenced objects of a field; text where a reference is expected is an error. */
  refs(object: PipelineObject, key: string): PipelineObject[] {
    return this.values(object, key).map((v) => {
      if (!("ref" in v)) {
        throw new DefinitionError(
          object.id,
          key,
          `expected a reference {"ref": "<object id>"}, found the text ${JSON.stringify(v.string)}`,
        );
      }
      return this.byId.get(v.ref) as PipelineObject; // validate() checked every reference
    });
  }

  ref(object: PipelineObject, key: string): PipelineObject | undefined {
    return this.refs(object, key)[0];
  }

  /** The object's type: its own, else a parent's. */
  type(object: PipelineObject): string | undefined {
    const values = this.inherited(object, "type", new Set());
    const first = values?.[0];
    return first && "string" in first ? first.string : undefined;
  }

  category(object: PipelineObject): Category {
    if (object === this.defaultObject) return "default";
    const type = this.type(object);
    return type === undefined ? "abstract" : CATEGORY_OF[type];
  }

  ofCategory(category: Category): PipelineObject[] {
    return this.objects.filter((o) => this.category(o) === category);
  }

  private validate(): void {
    for (const object of this.objects) {
      for (const [key, values] of Object.entries(object.fields)) {
        for (const value of values) {
          if ("ref" in value && !this.byId.has(value.ref)) {
            throw new DefinitionError(
              object.id,
              key,
              `refers to ${JSON.stringify(value.ref)}, which is not defined`,
            );
          }
        }
      }
      const own = object.fields.type;
      if (own !== undefined) {
        const first = own[0];
        if (own.length !== 1 || !("string" in first)) {
          throw new DefinitionError(object.id, "type", "the type is one text value");
        }
        if (!KNOWN_TYPES.has(first.string)) {
          throw new DefinitionError(
            object.id,
            "type",
            `unknown object type ${JSON.stringify(first.string)} (Data Pipeline's types: ${[...KNOWN_TYPES].sort().join(", ")})`,
          );
        }
      }
      this.checkParents(object);
    }
  }

  private checkParents(object: PipelineObject): void {
    const path: string[] = [];
    const visit = (current: PipelineObject): void => {
      if (path.includes(current.id)) {
        throw new DefinitionError(
          object.id,
          "parent",
          `parents form a cycle: ${[...path, current.id].join(" -> ")}`,
        );
      }
      path.push(current.id);
      for (const value of current.fields.parent ?? []) {
        if (!("ref" in value)) throw new DefinitionError(current.id, "parent", "a parent is a reference");
        visit(this.byId.get(value.ref) as PipelineObject);
      }
      path.pop();
    };
    visit(object);
  }
}
