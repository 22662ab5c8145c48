/**
 * Records of finished streams: one small object per source stream under `<prefix>task-log-copies/<group>/`.
 * A copy skips, unread, every stream recorded there; copies that share the prefix (the bulk and the delta
 * import of one migration) therefore skip each other's streams.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { StreamPair } from "./streamNames";

/** Where the copy records streams it finished, one object per source stream; a re-run skips them unread. */
export function completionPrefix(prefix: string, sourceLogGroup: string): string {
  const base = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  return `${base}task-log-copies/${sourceLogGroup}/`;
}

export interface CompletionRecordsLocation {
  bucket: string;
  /** The migration's records prefix (shared by its bulk and delta imports). */
  prefix: string;
  kmsKeyId?: string;
  sourceLogGroup: string;
  targetLogGroup: string;
}

export interface CompletionRecords {
  /** The source streams recorded as finished. */
  finished(): Promise<Set<string>>;
  /** Records a source stream as finished, with where it went and how many events were copied. */
  record(pair: StreamPair, eventsCopied: number): Promise<void>;
}

export function completionRecords(s3: S3Client, location: CompletionRecordsLocation): CompletionRecords {
  const s3sdk = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const prefix = completionPrefix(location.prefix, location.sourceLogGroup);
  return {
    async finished() {
      const streams = new Set<string>();
      let token: string | undefined;
      do {
        const page = await s3.send(
          new s3sdk.ListObjectsV2Command({
            Bucket: location.bucket,
            Prefix: prefix,
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key?.startsWith(prefix)) streams.add(object.Key.slice(prefix.length));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return streams;
    },

    async record(pair, eventsCopied) {
      await s3.send(
        new s3sdk.PutObjectCommand({
          Bucket: location.bucket,
          Key: `${prefix}${pair.source}`,
          Body: JSON.stringify({ target: `${location.targetLogGroup}/${pair.target}`, eventsCopied }),
          ContentType: "application/json",
          ServerSideEncryption: "aws:kms",
          SSEKMSKeyId: location.kmsKeyId,
        }),
      );
    },
  };
}
