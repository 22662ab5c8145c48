import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

export interface DagSyncTarget {
  name: string;
  bucket: string;
  prefix: string;
  dagsFolder: string;
}

export interface ObjectVersion {
  key: string;
  etag: string;
}

export interface SyncPlan {
  download: ObjectVersion[];
  remove: string[];
}

/**
 * What one polling round does, as MWAA's sync does: copy new or changed objects under the DAG prefix, and remove
 * files this sync wrote earlier whose object is gone. Files it did not write (put there by other means) stay.
 */
export function planDagSync(listed: ObjectVersion[], synced: ReadonlyMap<string, string>): SyncPlan {
  const present = new Set(listed.map((object) => object.key));
  return {
    download: listed.filter((object) => synced.get(object.key) !== object.etag && !object.key.endsWith("/")),
    remove: [...synced.keys()].filter((key) => !present.has(key)),
  };
}

/** The local path of an object, refusing keys that would escape the DAG folder. */
export function localPathFor(target: DagSyncTarget, key: string): string {
  const prefix = target.prefix.replace(/\/*$/, "/");
  const relativeKey = key.startsWith(prefix) ? key.slice(prefix.length) : key;
  const path = join(target.dagsFolder, relativeKey);
  const rel = relative(target.dagsFolder, path);
  if (rel.startsWith("..") || rel.split(sep).includes("..") || rel === "") {
    throw new Error(`S3 key ${key} would be written outside the DAG folder ${target.dagsFolder}`);
  }
  return path;
}

/** Polls each environment's DAG prefix in S3 and mirrors it into the local DAG folder. */
export class DagSyncer {
  private readonly synced = new Map<string, Map<string, string>>();
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly targets: DagSyncTarget[],
    private readonly region: string,
    private readonly log: (line: string) => void,
  ) {}

  start(intervalMs: number): void {
    const tick = async () => {
      if (this.running) return;
      this.running = true;
      try {
        await this.syncOnce();
      } catch (error) {
        this.log(`dag sync: ${String(error)}`);
      } finally {
        this.running = false;
      }
    };
    void tick();
    this.timer = setInterval(tick, intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async syncOnce(): Promise<void> {
    const s3sdk = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const s3 = new s3sdk.S3Client({ region: this.region, forcePathStyle: true });
    try {
      for (const target of this.targets) {
        const synced = this.synced.get(target.name) ?? new Map<string, string>();
        this.synced.set(target.name, synced);
        const listed: ObjectVersion[] = [];
        let token: string | undefined;
        do {
          const page = await s3.send(
            new s3sdk.ListObjectsV2Command({
              Bucket: target.bucket,
              Prefix: target.prefix.replace(/\/*$/, "/"),
              ContinuationToken: token,
            }),
          );
          for (const object of page.Contents ?? [])
            listed.push({ key: object.Key ?? "", etag: object.ETag ?? "" });
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        const plan = planDagSync(listed, synced);
        for (const object of plan.download) {
          const path = localPathFor(target, object.key);
          const body = await s3.send(new s3sdk.GetObjectCommand({ Bucket: target.bucket, Key: object.key }));
          const bytes = await body.Body!.transformToByteArray();
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(`${path}.standin-tmp`, bytes);
          renameSync(`${path}.standin-tmp`, path);
          synced.set(object.key, object.etag);
          this.log(`dag sync: ${target.name}: s3://${target.bucket}/${object.key} -> ${path}`);
        }
        for (const key of plan.remove) {
          rmSync(localPathFor(target, key), { force: true });
          synced.delete(key);
          this.log(`dag sync: ${target.name}: removed ${key}`);
        }
      }
    } finally {
      s3.destroy();
    }
  }
}
