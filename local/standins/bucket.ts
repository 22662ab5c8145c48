/**
 * The migration bucket and its KMS key on moto: what `MigrationBucket` creates on AWS (bucket,
 * customer-managed key as the default encryption, versioning, a lifecycle rule that expires bundles).
 * The bucket outlives the resource, as the real one outlives the migration stages: bundles expire
 * through the lifecycle rule.
 */
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import { STANDIN_MODULE } from "./module";

export interface LocalMigrationBucketInputs {
  bucketName: string;
  prefix: string;
  expirationDays: number;
}

export interface LocalMigrationBucketOutputs extends LocalMigrationBucketInputs {
  keyArn: string;
}

const provider: dynamic.ResourceProvider = {
  async create(inputs: LocalMigrationBucketInputs): Promise<dynamic.CreateResult> {
    const kms = require("@aws-sdk/client-kms") as typeof import("@aws-sdk/client-kms");
    const s3sdk = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const keys = new kms.KMSClient({});
    const s3 = new s3sdk.S3Client({ forcePathStyle: true });
    try {
      const key = await keys.send(
        new kms.CreateKeyCommand({ Description: `bundles in ${inputs.bucketName}` }),
      );
      const keyArn = key.KeyMetadata!.Arn!;
      try {
        await s3.send(new s3sdk.CreateBucketCommand({ Bucket: inputs.bucketName }));
      } catch (e) {
        if ((e as { name?: string }).name !== "BucketAlreadyOwnedByYou") throw e;
      }
      await s3.send(
        new s3sdk.PutBucketVersioningCommand({
          Bucket: inputs.bucketName,
          VersioningConfiguration: { Status: "Enabled" },
        }),
      );
      await s3.send(
        new s3sdk.PutBucketEncryptionCommand({
          Bucket: inputs.bucketName,
          ServerSideEncryptionConfiguration: {
            Rules: [
              { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: keyArn } },
            ],
          },
        }),
      );
      await s3.send(
        new s3sdk.PutBucketLifecycleConfigurationCommand({
          Bucket: inputs.bucketName,
          LifecycleConfiguration: {
            Rules: [
              {
                ID: "expire-bundles",
                Status: "Enabled",
                Filter: { Prefix: `${inputs.prefix.replace(/\/+$/, "")}/` },
                Expiration: { Days: inputs.expirationDays },
                NoncurrentVersionExpiration: { NoncurrentDays: inputs.expirationDays },
              },
            ],
          },
        }),
      );
      return { id: inputs.bucketName, outs: { ...inputs, keyArn } };
    } finally {
      keys.destroy();
      s3.destroy();
    }
  },
  async diff(_id: string, olds: LocalMigrationBucketOutputs, news: LocalMigrationBucketInputs) {
    const replaces = (["bucketName", "prefix", "expirationDays"] as const).filter((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0, replaces };
  },
};

export class LocalMigrationBucket extends dynamic.Resource {
  declare readonly bucketName: pulumi.Output<string>;
  declare readonly keyArn: pulumi.Output<string>;

  constructor(name: string, args: LocalMigrationBucketInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, keyArn: undefined }, opts, STANDIN_MODULE, "LocalMigrationBucket");
  }
}
