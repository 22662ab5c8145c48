/**
 * The migration grants on moto's IAM: the export grant on the source's execution role and the import
 * grant on the target's, with the documents the program builds (rules/permissions.ts). Deleting the
 * resource removes both, as the `complete` stage does on AWS.
 */
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import { STANDIN_MODULE } from "./module";

export interface LocalGrantsInputs {
  sourceRoleName: string;
  targetRoleName: string;
  exportPolicy: string;
  importPolicy: string;
}

const EXPORT_POLICY_NAME = "mwaa-migration-export";
const IMPORT_POLICY_NAME = "mwaa-migration-import";

const provider: dynamic.ResourceProvider = {
  async create(inputs: LocalGrantsInputs): Promise<dynamic.CreateResult> {
    const iam = require("@aws-sdk/client-iam") as typeof import("@aws-sdk/client-iam");
    const client = new iam.IAMClient({});
    try {
      for (const [role, name, document] of [
        [inputs.sourceRoleName, EXPORT_POLICY_NAME, inputs.exportPolicy],
        [inputs.targetRoleName, IMPORT_POLICY_NAME, inputs.importPolicy],
      ]) {
        await client.send(
          new iam.PutRolePolicyCommand({ RoleName: role, PolicyName: name, PolicyDocument: document }),
        );
      }
      return { id: `${inputs.sourceRoleName}+${inputs.targetRoleName}`, outs: inputs };
    } finally {
      client.destroy();
    }
  },
  async diff(_id: string, olds: LocalGrantsInputs, news: LocalGrantsInputs) {
    const replaces = (["sourceRoleName", "targetRoleName", "exportPolicy", "importPolicy"] as const).filter(
      (k) => olds[k] !== news[k],
    );
    return { changes: replaces.length > 0, replaces };
  },
  async delete(_id: string, props: LocalGrantsInputs): Promise<void> {
    const iam = require("@aws-sdk/client-iam") as typeof import("@aws-sdk/client-iam");
    const client = new iam.IAMClient({});
    try {
      for (const [role, name] of [
        [props.sourceRoleName, EXPORT_POLICY_NAME],
        [props.targetRoleName, IMPORT_POLICY_NAME],
      ]) {
        try {
          await client.send(new iam.DeleteRolePolicyCommand({ RoleName: role, PolicyName: name }));
        } catch (e) {
          if ((e as { name?: string }).name !== "NoSuchEntityException") throw e;
        }
      }
    } finally {
      client.destroy();
    }
  },
};

export class LocalGrants extends dynamic.Resource {
  constructor(
    name: string,
    args: { [K in keyof LocalGrantsInputs]: pulumi.Input<LocalGrantsInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(provider, name, args, opts, STANDIN_MODULE, "LocalGrants");
  }
}
