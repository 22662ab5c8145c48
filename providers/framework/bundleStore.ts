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

/**
 * Reads one table stream of the bundle (`tables/<table>.jsonl.gz`) row by row, without holding
 * the file in memory. A table the bundle does not have yields nothing.
 */
export async function readBundleRows(
  location: BundleLocation,
  table: string,
  access: AwsAccess | undefined,
  onRow: (row: Json) => void,
): Promise<number> {
  const { GetObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const zlib = require("zlib") as typeof import("zlib");
  const readline = require("readline") as typeof import("readline");
  const client = s3Client(access);
  let rows = 0;
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
    const lines = readline.createInterface({ input: body.pipe(zlib.createGunzip()), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === "") continue;
      onRow(JSON.parse(line) as Json);
      rows++;
    }
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
