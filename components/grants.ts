import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { exportGrantPolicy, importGrantPolicy } from "../rules/permissions";

export interface MigrationGrantsArgs {
  readonly bucketName: pulumi.Input<string>;
  readonly prefix: string;
  readonly keyArn: pulumi.Input<string>;
  /** The MWAA source's execution role; absent for a self-managed source (see `exportPolicy`). */
  readonly sourceRoleName?: pulumi.Input<string>;
  readonly targetRoleName: pulumi.Input<string>;
  /** The target side's provider when the target is in another account (the source's grant keeps the default). */
  readonly targetProvider?: aws.Provider;
}

/**
 * The temporary cross-environment permissions of a migration, as separate named inline policies so a
 * reviewer sees each one and the `complete` stage removes them by removing this component.
 */
export class MigrationGrants extends pulumi.ComponentResource {
  /** The export policy document; for a self-managed source, attach it to the identity its Airflow uses. */
  readonly exportPolicy: pulumi.Output<string>;
  readonly importPolicy: pulumi.Output<string>;
  readonly sourceExportGrant?: aws.iam.RolePolicy;
  readonly targetImportGrant: aws.iam.RolePolicy;

  constructor(name: string, args: MigrationGrantsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mwaa-migration:grants:MigrationGrants", name, {}, opts);
    const bundle = pulumi.all([args.bucketName, args.keyArn]);
    this.exportPolicy = bundle.apply(([bucketName, keyArn]) =>
      JSON.stringify(exportGrantPolicy({ bucketName, prefix: args.prefix, keyArn })),
    );
    this.importPolicy = bundle.apply(([bucketName, keyArn]) =>
      JSON.stringify(importGrantPolicy({ bucketName, prefix: args.prefix, keyArn })),
    );

    if (args.sourceRoleName !== undefined) {
      this.sourceExportGrant = new aws.iam.RolePolicy(
        `${name}-source-export`,
        { name: `${name}-source-export`, role: args.sourceRoleName, policy: this.exportPolicy },
        { parent: this },
      );
    }
    this.targetImportGrant = new aws.iam.RolePolicy(
      `${name}-target-import`,
      { name: `${name}-target-import`, role: args.targetRoleName, policy: this.importPolicy },
      { parent: this, provider: args.targetProvider },
    );
    this.registerOutputs({ exportPolicy: this.exportPolicy, importPolicy: this.importPolicy });
  }
}
