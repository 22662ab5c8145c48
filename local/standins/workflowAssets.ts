/**
 * The target's workflow assets on the local stack: the DAG files uploaded to the target's DAG bucket
 * (what `WorkflowAssets` uploads on AWS), and the wait until the target has parsed every DAG, which
 * MWAA's own sync and scheduler do on AWS. The imports depend on it: history is imported only for DAGs
 * the target has.
 */
import * as pulumi from "@pulumi/pulumi";
import * as dynamic from "@pulumi/pulumi/dynamic";
import { airflowClientFor, type AirflowTarget, type AwsAccess, sdkSettings } from "../../providers";
import { STANDIN_MODULE } from "./module";

export interface LocalWorkflowAssetsInputs {
  /** The folder the files are read from. */
  folder: string;
  /** File name -> sha256, so a changed file shows in the preview. */
  files: Record<string, string>;
  /** DAG files the program generates (converted Data Pipeline pipelines): path under dagPath, and content. */
  generatedDags: { file: string; content: string }[];
  bucket: string;
  dagPath: string;
  /** The target's side, when it is another account's (the bucket is uploaded to as that side). */
  access?: AwsAccess;
  airflow: AirflowTarget;
  /** The DAGs the files define: the wait ends when the target lists them all. */
  dagIds: string[];
  parseDeadlineSeconds: number;
}

const provider: dynamic.ResourceProvider = {
  async create(inputs: LocalWorkflowAssetsInputs): Promise<dynamic.CreateResult> {
    const fs = require("node:fs") as typeof import("node:fs");
    const path = require("node:path") as typeof import("node:path");
    const s3sdk = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const s3 = new s3sdk.S3Client({ ...sdkSettings(inputs.access), forcePathStyle: true });
    try {
      for (const file of Object.keys(inputs.files).sort()) {
        await s3.send(
          new s3sdk.PutObjectCommand({
            Bucket: inputs.bucket,
            Key: `${inputs.dagPath}/${file}`,
            Body: fs.readFileSync(path.join(inputs.folder, file)),
          }),
        );
      }
      for (const dag of inputs.generatedDags ?? []) {
        await s3.send(
          new s3sdk.PutObjectCommand({
            Bucket: inputs.bucket,
            Key: `${inputs.dagPath}/${dag.file}`,
            Body: dag.content,
          }),
        );
      }
    } finally {
      s3.destroy();
    }
    console.log(
      `[LocalWorkflowAssets] uploaded ${Object.keys(inputs.files).length + (inputs.generatedDags ?? []).length} files to s3://${inputs.bucket}/${inputs.dagPath}/`,
    );
    const client = airflowClientFor(inputs.airflow);
    const deadline = Date.now() + inputs.parseDeadlineSeconds * 1000;
    for (;;) {
      const parsed = new Set((await client.listDags()).map((d) => d.dagId));
      const missing = inputs.dagIds.filter((id) => !parsed.has(id));
      if (missing.length === 0) break;
      if (Date.now() > deadline)
        throw new Error(
          `the target did not parse ${missing.join(", ")} within parseDeadlineSeconds=${inputs.parseDeadlineSeconds} of the upload`,
        );
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
    console.log(`[LocalWorkflowAssets] the target parsed ${inputs.dagIds.length} DAGs`);
    return { id: `s3://${inputs.bucket}/${inputs.dagPath}`, outs: inputs };
  },
  async diff(_id: string, olds: LocalWorkflowAssetsInputs, news: LocalWorkflowAssetsInputs) {
    const changed =
      JSON.stringify(olds.files) !== JSON.stringify(news.files) ||
      JSON.stringify(olds.generatedDags ?? []) !== JSON.stringify(news.generatedDags ?? []) ||
      olds.bucket !== news.bucket;
    return { changes: changed, replaces: changed ? ["files"] : [] };
  },
};

export class LocalWorkflowAssets extends dynamic.Resource {
  constructor(
    name: string,
    args: { [K in keyof LocalWorkflowAssetsInputs]: pulumi.Input<LocalWorkflowAssetsInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(provider, name, args, opts, STANDIN_MODULE, "LocalWorkflowAssets");
  }
}
