/**
 * The migration grants on moto's IAM: the export grant on the source's execution role and the import
 * grant on the target's (in the target's account when `targetAccess` names another), with the documents
 * the program builds (rules/permissions.ts). Deleting the resource removes both, as the `complete` stage
 * does on AWS.
 */
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import { type AwsAccess, sdkSettings } from "../../providers";
import { STANDIN_MODULE } from "./module";

export interface LocalGrantsInputs {
  sourceRoleName: string;
  targetRoleName: string;
  exportPolicy: string;
  importPolicy: string;
  targetAccess?: AwsAccess;
}

const EXPORT_POLICY_NAME = "mwaa-migration-export";
const IMPORT_POLICY_NAME = "mwaa-migration-import";

const provider: dynamic.ResourceProvider = {
  async create(inputs: LocalGrantsInputs): Promise<dynamic.CreateResult> {
    const iam = require("@aws-sdk/client-iam") as typeof import("@aws-sdk/client-iam");
    for (const [role, name, document, access] of [
      [inputs.sourceRoleName, EXPORT_POLICY_NAME, inputs.exportPolicy, undefined],
      [inputs.targetRoleName, IMPORT_POLICY_NAME, inputs.importPolicy, inputs.targetAccess],
    ] as const) {
      const client = new iam.IAMClient(sdkSettings(access));
      try {
        await client.send(
          new iam.PutRolePolicyCommand({ RoleName: role, PolicyName: name, PolicyDocument: document }),
        );
      } finally {
        client.destroy();
      }
    }
    return { id: `${inputs.sourceRoleName}+${inputs.targetRoleName}`, outs: inputs };
  },
  async diff(_id: string, olds: LocalGrantsInputs, news: LocalGrantsInputs) {
    const replaces: string[] = (
      ["sourceRoleName", "targetRoleName", "exportPolicy", "importPolicy"] as const
    ).filter((k) => olds[k] !== news[k]);
    if (JSON.stringify(olds.targetAccess ?? {}) !== JSON.stringify(news.targetAccess ?? {}))
      replaces.push("targetAccess");
    return { changes: replaces.length > 0, replaces };
  },
  async delete(_id: string, props: LocalGrantsInputs): Promise<void> {
    const iam = require("@aws-sdk/client-iam") as typeof import("@aws-sdk/client-iam");
    for (const [role, name, access] of [
      [props.sourceRoleName, EXPORT_POLICY_NAME, undefined],
      [props.targetRoleName, IMPORT_POLICY_NAME, props.targetAccess],
    ] as const) {
      const client = new iam.IAMClient(sdkSettings(access));
      try {
        await client.send(new iam.DeleteRolePolicyCommand({ RoleName: role, PolicyName: name }));
      } catch (e) {
        if ((e as { name?: string }).name !== "NoSuchEntityException") throw e;
      } finally {
        client.destroy();
      }
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
