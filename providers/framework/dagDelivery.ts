/**
 * Copies the payload into the Airflow DAG folder and takes it out again. For MWAA that is the
 * environment's S3 DAG prefix (MWAA syncs it to the workers); for self-managed Airflow it is an
 * S3 URI the deployment syncs from, or a local folder. The S3 client is built per call.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { PayloadFile } from "./payload";
import { DagFolder, parseDagFolder } from "../../rules/dagLocation";
import { type AwsAccess, sdkSettings } from "./awsAccess";

/** The side's client: the migration bucket's for the bundle, the environment's for its DAG folder. */
function s3Client(access: AwsAccess | undefined) {
  const { S3Client } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  return new S3Client(sdkSettings(access));
}

export async function deliverPayload(
  dagFolder: string,
  files: readonly PayloadFile[],
  access?: AwsAccess,
): Promise<void> {
  const folder: DagFolder = parseDagFolder(dagFolder);
  if (folder.kind === "folder") {
    for (const file of files) {
      const target = path.join(folder.path, ...file.key.split("/"));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      // Write then rename, so the DAG processor never parses a half-written file.
      fs.writeFileSync(`${target}.partial`, file.body);
      fs.renameSync(`${target}.partial`, target);
    }
    return;
  }
  const { PutObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const client = s3Client(access);
  try {
    // Library first, DAG file last: the DAG must not be parsed before what it imports is there.
    for (const file of [...files.slice(1), files[0]]) {
      await client.send(
        new PutObjectCommand({ Bucket: folder.bucket, Key: `${folder.prefix}${file.key}`, Body: file.body }),
      );
    }
  } finally {
    client.destroy();
  }
}

/** The MD5 (hex) of a file's content, as S3 gives it in a plain upload's ETag. */
export const contentMd5 = (body: Buffer): string => crypto.createHash("md5").update(body).digest("hex");

/** A file as it is in the DAG folder: its content's MD5 (hex) and when it was last written. */
export interface DeliveredFile {
  md5: string;
  modifiedAtMs: number;
}

/**
 * The files of `keys` that are in the DAG folder now. On S3 each is read with HeadObject (the deployer may
 * read the payload's objects, nothing else in the bucket): the MD5 is the object's ETag, which is the
 * content's MD5 for a plain upload (a KMS-encrypted or multipart object has another, and reads as
 * different). S3 answers a missing key with 403 to a caller without s3:ListBucket: either way it is absent.
 */
export async function deliveredFiles(
  dagFolder: string,
  keys: readonly string[],
  access?: AwsAccess,
): Promise<Map<string, DeliveredFile>> {
  const folder = parseDagFolder(dagFolder);
  const found = new Map<string, DeliveredFile>();
  if (folder.kind === "folder") {
    for (const key of keys) {
      const file = path.join(folder.path, ...key.split("/"));
      if (!fs.existsSync(file)) continue;
      found.set(key, { md5: contentMd5(fs.readFileSync(file)), modifiedAtMs: fs.statSync(file).mtimeMs });
    }
    return found;
  }
  const { HeadObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const client = s3Client(access);
  try {
    await Promise.all(
      keys.map(async (key) => {
        try {
          const head = await client.send(
            new HeadObjectCommand({ Bucket: folder.bucket, Key: `${folder.prefix}${key}` }),
          );
          if (head.ETag && head.LastModified)
            found.set(key, { md5: head.ETag.replace(/"/g, ""), modifiedAtMs: head.LastModified.getTime() });
        } catch (e) {
          const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if (status !== 404 && status !== 403) throw e;
        }
      }),
    );
  } finally {
    client.destroy();
  }
  return found;
}

/** Removes what deliverPayload wrote. Missing files are not an error (a re-run, or a manual clean-up). */
export async function removePayload(
  dagFolder: string,
  keys: readonly string[],
  access?: AwsAccess,
): Promise<void> {
  const folder = parseDagFolder(dagFolder);
  if (folder.kind === "folder") {
    for (const key of keys) fs.rmSync(path.join(folder.path, ...key.split("/")), { force: true });
    // Then the library's folders, deepest first, where nothing else was put into them.
    const folders = new Set(
      keys.flatMap((key) =>
        key
          .split("/")
          .slice(0, -1)
          .map((_, i, parts) => parts.slice(0, i + 1).join("/")),
      ),
    );
    for (const relative of [...folders].sort((a, b) => b.length - a.length)) {
      const dir = path.join(folder.path, ...relative.split("/"));
      if (fs.existsSync(dir) && fs.readdirSync(dir).filter((name) => name !== "__pycache__").length === 0)
        fs.rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const { DeleteObjectsCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const client = s3Client(access);
  try {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000).map((key) => ({ Key: `${folder.prefix}${key}` }));
      const reply = await client.send(
        new DeleteObjectsCommand({ Bucket: folder.bucket, Delete: { Objects: batch, Quiet: true } }),
      );
      // S3 answers a batch delete with 200 and lists the keys it refused (AccessDenied, ...) in Errors.
      const refused = reply.Errors ?? [];
      if (refused.length > 0) {
        const first = refused[0];
        throw Object.assign(
          new Error(
            `S3 did not delete ${refused.length} of ${batch.length} files from s3://${folder.bucket}/${folder.prefix}: ` +
              `${first.Key}: ${first.Code} (${first.Message})`,
          ),
          { name: first.Code ?? "DeleteObjectsError" },
        );
      }
    }
  } finally {
    client.destroy();
  }
}
