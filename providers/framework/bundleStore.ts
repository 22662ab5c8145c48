/**
 * The export bundle in S3 as the providers read it: its JSON documents, its table streams row by
 * row, and the purge on delete. Where each object sits is the contract's (contract/bundle.ts).
 */
import { type BundleLocation, bundleKeyPrefix, tableStreamKey } from "../../contract";
import { type AwsAccess, sdkSettings } from "./awsAccess";

type Json = Record<string, unknown>;

/** The side's client: the migration bucket's for the bundle, the environment's for its DAG folder. */
function s3Client(access: AwsAccess | undefined) {
  const { S3Client } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  return new S3Client(sdkSettings(access));
}

/** Reads a JSON document from the bundle; undefined when it is not there (yet). */
export async function readBundleJson(
  location: BundleLocation,
  name: string,
  access?: AwsAccess,
): Promise<Json | undefined> {
  const { GetObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const client = s3Client(access);
  try {
    const reply = await client.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: `${bundleKeyPrefix(location)}${name}` }),
    );
    const text = await reply.Body!.transformToString();
    return JSON.parse(text) as Json;
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === "NoSuchKey" || name === "NotFound") return undefined;
    throw e;
  } finally {
    client.destroy();
  }
}

/** A column of a table stream as the manifest describes it (`tables.<name>.columns`). */
export interface StreamColumn {
  name: string;
  /** The portable type: text, integer, float, boolean, timestamp, bytes, json-text, uuid. */
  type: string;
}

/**
 * Splits a table stream (CSV as PostgreSQL's COPY writes it) into records as its text arrives: fields
 * separated by commas, a field in double quotes (a quote inside doubled) when it holds a comma, a quote
 * or a line break or is empty. A bare empty field is NULL (`null`); `""` is the empty text.
 */
export class CsvRecords {
  private field = "";
  private record: (string | null)[] = [];
  private quoted = false;
  // "plain" outside quotes, "quoted" inside, "quote" just after a quote inside quotes (the closing
  // quote, or the first of a doubled one: the next character tells).
  private state: "plain" | "quoted" | "quote" = "plain";

  constructor(private readonly onRecord: (record: (string | null)[]) => void) {}

  push(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (this.state === "quoted") {
        if (c === '"') this.state = "quote";
        else this.field += c;
        continue;
      }
      if (this.state === "quote") {
        this.state = "plain";
        if (c === '"') {
          this.field += c;
          this.state = "quoted";
          continue;
        }
      }
      if (c === ",") this.endField();
      else if (c === "\n") this.endRecord();
      else if (c === '"' && this.field === "" && !this.quoted) {
        this.quoted = true;
        this.state = "quoted";
      } else if (c !== "\r") this.field += c;
    }
  }

  /** The last record, when the stream does not end with a line break. */
  end(): void {
    if (this.state === "quoted") throw new Error("the table stream ends inside a quoted field");
    if (this.field !== "" || this.quoted || this.record.length > 0) this.endRecord();
  }

  private endField(): void {
    this.record.push(this.quoted ? this.field : this.field === "" ? null : this.field);
    this.field = "";
    this.quoted = false;
    this.state = "plain";
  }

  private endRecord(): void {
    this.endField();
    const record = this.record;
    this.record = [];
    this.onRecord(record);
  }
}

/** PostgreSQL's "2024-05-01 06:00:00.123456+00" as ISO 8601 with "T" and "+00:00" (what JSON had). */
export function isoTimestamp(text: string): string {
  const match = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::?(\d\d))?$/.exec(text);
  return match ? `${match[1]}T${match[2]}${match[3]}:${match[4] ?? "00"}` : text;
}

/** A field of the stream as a JSON-like value by the column's portable type. */
export function streamValue(text: string | null, type: string | undefined): unknown {
  if (text === null) return null;
  switch (type) {
    case "integer":
    case "float":
      return Number(text);
    case "boolean":
      return text === "t" || text === "true";
    case "timestamp":
      return isoTimestamp(text);
    default:
      return text;
  }
}

/**
 * Reads one table stream of the bundle (`tables/<table>.csv.gz`) row by row, without holding the
 * file in memory, each row keyed by the stream's header and typed by the manifest's `columns` (numbers,
 * booleans, timestamps as ISO 8601 strings; bytes stay `\x` hex text). A table the bundle does not
 * have yields nothing.
 */
export async function readBundleRows(
  location: BundleLocation,
  table: string,
  access: AwsAccess | undefined,
  columns: readonly StreamColumn[],
  onRow: (row: Json) => void,
): Promise<number> {
  const { GetObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const zlib = require("zlib") as typeof import("zlib");
  const client = s3Client(access);
  const types = new Map(columns.map((c) => [c.name, c.type]));
  let rows = 0;
  let header: string[] | undefined;
  const records = new CsvRecords((record) => {
    if (header === undefined) {
      header = record.map((name) => name ?? "");
      return;
    }
    const row: Json = {};
    record.forEach((text, i) => {
      const name = header![i];
      row[name] = streamValue(text, types.get(name));
    });
    onRow(row);
    rows++;
  });
  try {
    let body: NodeJS.ReadableStream;
    try {
      const reply = await client.send(
        new GetObjectCommand({
          Bucket: location.bucket,
          Key: tableStreamKey(location, table),
        }),
      );
      body = reply.Body as NodeJS.ReadableStream;
    } catch (e) {
      if ((e as { name?: string }).name === "NoSuchKey") return 0;
      throw e;
    }
    const text = body.pipe(zlib.createGunzip());
    text.setEncoding("utf8");
    for await (const chunk of text) records.push(chunk as string);
    records.end();
  } finally {
    client.destroy();
  }
  return rows;
}

/** Deletes every object under the bundle prefix (purgeOnDelete). Returns how many were removed. */
export async function purgeBundle(location: BundleLocation, access?: AwsAccess): Promise<number> {
  const { ListObjectsV2Command, DeleteObjectsCommand } =
    require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const client = s3Client(access);
  let removed = 0;
  try {
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: location.bucket,
          Prefix: bundleKeyPrefix(location),
          ContinuationToken: token,
        }),
      );
      const objects = (page.Contents ?? []).map((object) => ({ Key: object.Key! }));
      if (objects.length > 0) {
        const reply = await client.send(
          new DeleteObjectsCommand({ Bucket: location.bucket, Delete: { Objects: objects, Quiet: true } }),
        );
        // S3 answers a batch delete with 200 and lists the keys it refused (AccessDenied, ...) in Errors.
        const refused = reply.Errors ?? [];
        if (refused.length > 0) {
          const first = refused[0];
          throw Object.assign(
            new Error(
              `S3 did not delete ${refused.length} of ${objects.length} objects under s3://${location.bucket}/${bundleKeyPrefix(location)}: ` +
                `${first.Key}: ${first.Code} (${first.Message}); ${removed} were deleted before`,
            ),
            { name: first.Code ?? "DeleteObjectsError" },
          );
        }
        removed += objects.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    client.destroy();
  }
  return removed;
}
