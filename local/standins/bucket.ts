/**
 * The migration bucket and its KMS key on moto: what `MigrationBucket` creates on AWS (bucket,
 * customer-managed key as the default encryption, versioning, a lifecycle rule that expires bundles). In a
 * target's other account (`access`), the bucket and the key are that account's, and their policies name
 * the source's execution role with the program's own statements. Of the bucket policy only those are put:
 * moto applies a bucket policy's denials without S3's condition keys (TLS, the encryption headers), so the
 * program's denials would refuse every request here; the policy pack checks them. The bucket outlives the
 * resource, as the real one outlives the migration stages: bundles expire through the lifecycle rule.
 */
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import { type AwsAccess, sdkSettings } from "../../providers";
import { policyDocument } from "../../rules/permissionTable";
import { crossAccountExportStatements, migrationKeyPolicy } from "../../rules/permissions";
import { STANDIN_MODULE } from "./module";

export interface LocalMigrationBucketInputs {
  bucketName: string;
  prefix: string;
  expirationDays: number;
  /** The account the bucket and key are made in, when not the stack's own. */
  access?: AwsAccess;
  /** The source's execution role in another account, which writes the bundles. */
  sourceWriterRoleArn?: string;
}

export interface LocalMigrationBucketOutputs extends LocalMigrationBucketInputs {
  keyArn: string;
}

const provider: dynamic.ResourceProvider = {
  async create(inputs: LocalMigrationBucketInputs): Promise<dynamic.CreateResult> {
    const kms = require("@aws-sdk/client-kms") as typeof import("@aws-sdk/client-kms");
    const s3sdk = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const keys = new kms.KMSClient(sdkSettings(inputs.access));
    const s3 = new s3sdk.S3Client({ ...sdkSettings(inputs.access), forcePathStyle: true });
    try {
      const writer = inputs.sourceWriterRoleArn;
      const account = inputs.access?.assumeRoleArn?.split(":")[4];
      // The key's policy cannot name the key's own ARN: its statements are written for any key of the account.
      const keyPolicy =
        writer && account
          ? JSON.stringify(
              migrationKeyPolicy(
                "aws",
                account,
                crossAccountExportStatements(
                  { bucketName: "*", prefix: inputs.prefix, keyArn: `arn:aws:kms:*:${account}:key/*` },
                  writer,
                ).key,
              ),
            )
          : undefined;
      const key = await keys.send(
        new kms.CreateKeyCommand({
          Description: `bundles in ${inputs.bucketName}`,
          ...(keyPolicy ? { Policy: keyPolicy } : {}),
        }),
      );
      const keyArn = key.KeyMetadata!.Arn!;
      try {
        await s3.send(new s3sdk.CreateBucketCommand({ Bucket: inputs.bucketName }));
      } catch (e) {
        const name = (e as { name?: string }).name;
        if (name === "BucketAlreadyExists")
          throw new Error(
            `the migration bucket ${inputs.bucketName} exists in another account of the local AWS, left by an ` +
              `earlier rehearsal with another --target-account; stop the local stack (bash local/stack.sh down) and rehearse again`,
          );
        if (name !== "BucketAlreadyOwnedByYou") throw e;
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
      if (writer) {
        const writers = crossAccountExportStatements(
          { bucketName: inputs.bucketName, prefix: inputs.prefix, keyArn },
          writer,
        ).bucket;
        await s3.send(
          new s3sdk.PutBucketPolicyCommand({
            Bucket: inputs.bucketName,
            Policy: JSON.stringify(policyDocument(writers)),
          }),
        );
      }
      return { id: inputs.bucketName, outs: { ...inputs, keyArn } };
    } finally {
      keys.destroy();
      s3.destroy();
    }
  },
  async diff(_id: string, olds: LocalMigrationBucketOutputs, news: LocalMigrationBucketInputs) {
    const replaces: string[] = (
      ["bucketName", "prefix", "expirationDays", "sourceWriterRoleArn"] as const
    ).filter((k) => olds[k] !== news[k]);
    if (JSON.stringify(olds.access ?? {}) !== JSON.stringify(news.access ?? {})) replaces.push("access");
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
