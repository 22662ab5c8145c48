/**
 * Data nodes as operator arguments: S3 locations (whole URIs, or bucket and key apart, which some
 * operators want), SQL tables with their connections, DynamoDB tables, and data formats.
 */

import type { Converter } from "./convert";
import { DefinitionError, PipelineObject } from "./definition";

export interface S3Location {
  kind: "file" | "directory" | "manifest";
  /** The Jinja template of the whole URI. */
  uri: string;
  /** The definition's text, before translation. */
  raw: string;
  field: string;
}

export function s3Location(c: Converter, node: PipelineObject): S3Location {
  for (const [field, kind] of [
    ["filePath", "file"],
    ["directoryPath", "directory"],
    ["manifestFilePath", "manifest"],
  ] as const) {
    const raw = c.pipeline.string(node, field);
    if (raw !== undefined) return { kind, uri: c.translator.template(node, field, raw), raw, field };
  }
  throw new DefinitionError(
    node.id,
    "filePath",
    "an S3DataNode needs filePath, directoryPath or manifestFilePath",
  );
}

/**
 * Bucket and key of an S3 location, each a template. The split is made on the definition's text, so
 * `s3://bucket/#{format(...)}` keeps its expression in the key. A URI that is one parameter as a
 * whole is split on the parameter's value, which the DAG then no longer takes at trigger time.
 */
export function splitS3(
  c: Converter,
  node: PipelineObject,
  location: S3Location,
): { bucket: string; key: string; fixed?: string } {
  const match = /^s3n?:\/\/([^/]+)\/?(.*)$/s.exec(location.raw);
  if (match && (!match[1].includes("#{") || /^#\{[^}]*\}$/.test(match[1]))) {
    return {
      bucket: c.translator.template(node, location.field, match[1]),
      key: c.translator.template(node, location.field, match[2]),
    };
  }
  const value = c.translator.static(node, location.field, location.raw);
  const fixed = /^s3n?:\/\/([^/]+)\/?(.*)$/s.exec(value);
  if (!fixed) {
    throw new DefinitionError(
      node.id,
      location.field,
      `expected an s3:// URI, found ${JSON.stringify(location.raw)}`,
    );
  }
  return {
    bucket: fixed[1],
    key: fixed[2],
    fixed: `${node.id}.${location.field} is split into bucket and key with the parameters' values (${value})`,
  };
}

export interface DataFormat {
  type: string;
  columns: string[];
  separator: string;
}

/** The node's data format: CSV (Data Pipeline's default for copies), TSV, Custom, RegEx or DynamoDB's. */
export function dataFormat(c: Converter, node: PipelineObject): DataFormat {
  const format = c.pipeline.ref(node, "dataFormat");
  if (!format) return { type: "CSV", columns: [], separator: "," };
  const type = c.pipeline.type(format) ?? "CSV";
  const columns = c.pipeline
    .strings(format, "column")
    .map((col) => c.translator.static(format, "column", col));
  const separator =
    type === "TSV"
      ? "\t"
      : type === "Custom"
        ? (c.static(format, "columnSeparator") ?? ",")
        : type === "CSV"
          ? ","
          : "";
  return { type, columns, separator };
}

/** A SQL table's name as the definition gives it (SqlDataNode/MySqlDataNode `table`, RedshiftDataNode `tableName`). */
export function tableName(c: Converter, node: PipelineObject): string {
  const field =
    c.pipeline.type(node) === "RedshiftDataNode" || c.pipeline.type(node) === "DynamoDBDataNode"
      ? "tableName"
      : "table";
  return c.requiredTemplate(node, field);
}

/** The Airflow connection of a SQL node: its database's, or (MySqlDataNode) its own. */
export function sqlConn(c: Converter, node: PipelineObject): string {
  const database = c.pipeline.ref(node, "database");
  if (database) return c.databaseConn(database);
  if (c.pipeline.type(node) === "MySqlDataNode") return c.databaseConn(node);
  throw new DefinitionError(node.id, "database", "a SQL data node needs a database");
}

export const isS3 = (c: Converter, node: PipelineObject) => c.pipeline.type(node) === "S3DataNode";
export const isSql = (c: Converter, node: PipelineObject) =>
  ["SqlDataNode", "MySqlDataNode"].includes(c.pipeline.type(node) ?? "");
export const isRedshift = (c: Converter, node: PipelineObject) =>
  c.pipeline.type(node) === "RedshiftDataNode";
export const isDynamo = (c: Converter, node: PipelineObject) => c.pipeline.type(node) === "DynamoDBDataNode";
