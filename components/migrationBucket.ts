import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { baselineBucketControls } from "./bucketControls";
import { accountOfArn } from "../rules/arns";
import {
  crossAccountExportStatements,
  migrationBucketPolicy,
  migrationKeyPolicy,
} from "../rules/permissions";
import { bucketNamePrefix } from "../rules/names";

export interface MigrationBucketArgs {
  /** Key prefix the export bundles live under; the lifecycle rule expires only that prefix. */
  readonly prefix: string;
  /** Days after which bundles (current and noncurrent versions) are deleted. */
  readonly expirationDays: number;
  /**
   * The source's execution role, when it may be in another account than the bucket (`account`): the bucket
   * and key policies then let it write the bundle, as its export grant says, and nothing else.
   */
  readonly sourceWriter?: {
    readonly roleArn: pulumi.Input<string | undefined>;
    readonly account: pulumi.Input<string>;
    readonly partition: string;
    /** The bucket's and key's region. */
    readonly region: string;
  };
  readonly tags?: Record<string, string>;
}

/** Whether a writer role is another account's than the bucket's (and so needs the resource policies). */
const crossAccountWriter = (roleArn: string | undefined, bucketAccount: string) =>
  roleArn !== undefined && accountOfArn(roleArn) !== undefined && accountOfArn(roleArn) !== bucketAccount;

/**
 * The bucket export bundles travel through. Bundles carry decrypted variables and connections, so the
 * bucket only takes objects encrypted with its own customer-managed key, only over TLS, and never
 * public; bundles expire after a number of days.
 */
export class MigrationBucket extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly bucket: aws.s3.Bucket;
  readonly bucketName: pulumi.Output<string>;
  readonly keyArn: pulumi.Output<string>;

  constructor(name: string, args: MigrationBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mwaa-migration:storage:MigrationBucket", name, {}, opts);
    const parent = { parent: this };
    const writer = args.sourceWriter;
    // The writer's statements for a placeholder key ARN: the key's policy cannot name the key's own ARN.
    const keyWriterStatements = writer
      ? pulumi.all([writer.roleArn, writer.account]).apply(([roleArn, account]) =>
          crossAccountWriter(roleArn, account)
            ? crossAccountExportStatements(
                {
                  bucketName: "*",
                  prefix: args.prefix,
                  keyArn: `arn:${writer.partition}:kms:${writer.region}:${account}:key/*`,
                },
                roleArn!,
              ).key
            : [],
        )
      : undefined;

    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Encrypts the MWAA migration export bundles of ${name}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy:
          writer && keyWriterStatements
            ? pulumi
                .all([writer.account, keyWriterStatements])
                .apply(([account, statements]) =>
                  statements.length > 0
                    ? JSON.stringify(migrationKeyPolicy(writer.partition, account, statements))
                    : undefined,
                )
            : undefined,
        tags: args.tags,
      },
      parent,
    );
    this.bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { bucketPrefix: bucketNamePrefix(name), forceDestroy: false, tags: args.tags },
      parent,
    );
    const bucketId = this.bucket.id;

    const controls = [
      ...baselineBucketControls(name, bucketId, parent),
      new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-encryption`,
        {
          bucket: bucketId,
          rules: [
            {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.key.arn },
              bucketKeyEnabled: true,
            },
          ],
        },
        parent,
      ),
      new aws.s3.BucketLifecycleConfiguration(
        `${name}-lifecycle`,
        {
          bucket: bucketId,
          rules: [
            {
              id: "expire-export-bundles",
              status: "Enabled",
              filter: { prefix: `${args.prefix}/` },
              expiration: { days: args.expirationDays },
              noncurrentVersionExpiration: { noncurrentDays: args.expirationDays },
              abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
            },
          ],
        },
        parent,
      ),
    ];
    // The policy goes on after the public-access block so S3 never sees it on an unprotected bucket.
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucketId,
        policy: pulumi
          .all([this.bucket.bucket, this.key.arn, writer?.roleArn, writer?.account])
          .apply(([bucket, keyArn, roleArn, account]) =>
            JSON.stringify(
              migrationBucketPolicy(
                bucket,
                keyArn,
                account !== undefined && crossAccountWriter(roleArn, account)
                  ? crossAccountExportStatements(
                      { bucketName: bucket, prefix: args.prefix, keyArn },
                      roleArn!,
                    ).bucket
                  : [],
              ),
            ),
          ),
      },
      { parent: this, dependsOn: controls },
    );

    this.bucketName = this.bucket.bucket;
    this.keyArn = this.key.arn;
    this.registerOutputs({ bucketName: this.bucketName, keyArn: this.keyArn });
  }
}
