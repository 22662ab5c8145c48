import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigurationError } from "../rules/config";
import { constraintProblem } from "../rules/requirements";
import { pluginsZipWithMigrationPlugin, zipWithFiles } from "../providers";

export interface WorkflowAssetsArgs {
  readonly bucket: pulumi.Input<string>;
  /** Folder in the bucket MWAA reads DAGs from. */
  readonly dagS3Path: string;
  /** Local paths, already resolved against the project folder. */
  readonly dagsFolder: string;
  readonly requirementsFile?: string;
  readonly pluginsZip?: string;
  readonly startupScript?: string;
  /**
   * The payload folder whose migration plugin plugins.zip must carry (an Airflow 3 history target, until
   * `complete`); the user's pluginsZip, if any, keeps its files beside it.
   */
  readonly migrationPluginFrom?: string;
  /**
   * Where requirements.txt's packages come from when not as written (rules/packageSource): the file
   * uploaded in place of requirementsFile, and the files (wheels, the constraint file) plugins.zip carries.
   */
  readonly packages?: {
    readonly requirements: string;
    readonly pluginFiles: readonly { readonly name: string; readonly data: Buffer }[];
  };
  /** DAG files made by the program (converted Data Pipeline definitions), by path in the DAG folder. */
  readonly generatedDags?: readonly { readonly file: string; readonly content: string }[];
  /** Target Airflow and Python line, for the requirements.txt constraint check. */
  readonly airflowVersion: string;
  readonly pythonVersion: string;
  /**
   * When true, content problems (see `problems`) do not throw here: the caller reports them together
   * with its own checks, so one preview lists everything to fix.
   */
  readonly problemsReportedByCaller?: boolean;
}

/** Files below `folder`, as paths relative to it with forward slashes, skipping caches and hidden files. */
export function listDagFiles(folder: string): string[] {
  const files: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith(".") || entry.name === "__pycache__" || entry.name.endsWith(".pyc")) continue;
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), relative);
      else if (entry.isFile()) files.push(relative);
    }
  };
  walk(folder, "");
  return files;
}

/** A resource name per DAG file: readable, and unique even when two paths differ only in punctuation. */
export function dagObjectName(relative: string): string {
  const readable = relative.replace(/[^a-zA-Z0-9]+/g, "-").replace(/^-|-$/g, "");
  const digest = crypto.createHash("sha256").update(relative).digest("hex").slice(0, 8);
  return `dag-${readable}-${digest}`;
}

/** S3 keys of the files MWAA reads besides DAGs (fixed names at the bucket root). */
export const ASSET_KEYS = {
  requirements: "requirements.txt",
  plugins: "plugins.zip",
  startupScript: "startup.sh",
} as const;

/** Local files that must exist before anything can be uploaded. */
export function missingAssetProblems(args: WorkflowAssetsArgs): string[] {
  const problems: string[] = [];
  if (!fs.existsSync(args.dagsFolder) || !fs.statSync(args.dagsFolder).isDirectory()) {
    problems.push(
      `mwaa-migration:dagsFolder ${args.dagsFolder} is not a folder; point it at the DAG files to deploy.`,
    );
  }
  const files: [string, string | undefined][] = [
    ["requirementsFile", args.requirementsFile],
    ["pluginsZip", args.pluginsZip],
    ["startupScript", args.startupScript],
  ];
  for (const [key, file] of files) {
    if (file !== undefined && !fs.existsSync(file)) {
      problems.push(
        `mwaa-migration:${key} ${file} does not exist; fix the path or set the key to "" for none.`,
      );
    }
  }
  return problems;
}

/** A generated DAG file may not take the place of one of the user's. */
export function generatedDagProblems(args: WorkflowAssetsArgs): string[] {
  if (!args.generatedDags?.length || !fs.existsSync(args.dagsFolder)) return [];
  const own = new Set(listDagFiles(args.dagsFolder));
  return args.generatedDags
    .filter((dag) => own.has(dag.file))
    .map(
      (dag) =>
        `mwaa-migration:dagsFolder ${args.dagsFolder} already has ${dag.file}, where the converted pipeline's DAG goes; ` +
        `move that file or remove the pipeline from mwaa-migration:pipelineDefinitions.`,
    );
}

/** Content problems: requirements.txt must pin the target's constraint file. */
export function requirementsProblems(args: WorkflowAssetsArgs): string[] {
  if (!args.requirementsFile || !fs.existsSync(args.requirementsFile)) return [];
  const problem = constraintProblem(
    args.requirementsFile,
    fs.readFileSync(args.requirementsFile, "utf8"),
    args.airflowVersion,
    args.pythonVersion,
  );
  return problem ? [problem] : [];
}

/**
 * The plugins.zip to upload: the user's file as it is, or, when the migration plugin or the packages'
 * wheels go in, a file holding the user's archive plus those.
 */
export function pluginsArchive(
  args: Pick<WorkflowAssetsArgs, "pluginsZip" | "migrationPluginFrom" | "packages">,
): string | undefined {
  const packageFiles = args.packages?.pluginFiles ?? [];
  if (!args.migrationPluginFrom && packageFiles.length === 0) return args.pluginsZip;
  const userZip = args.pluginsZip ? fs.readFileSync(args.pluginsZip) : undefined;
  const withPlugin = args.migrationPluginFrom
    ? pluginsZipWithMigrationPlugin(args.migrationPluginFrom, userZip)
    : userZip;
  const archive = packageFiles.length > 0 ? zipWithFiles(withPlugin, packageFiles) : withPlugin!;
  return contentFile("plugins", ".zip", archive);
}

/**
 * A file the program made, under the system's temporary folder and named by its content, so the same
 * content gives the same file and no diff.
 */
function contentFile(stem: string, extension: string, content: Buffer | string): string {
  const digest = crypto.createHash("sha256").update(content).digest("hex").slice(0, 16);
  const folder = path.join(os.tmpdir(), "mwaa-migration");
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `${stem}-${digest}${extension}`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, content);
  return file;
}

/** The requirements.txt to upload: the user's file, or the one rewritten for where the packages come from. */
export function requirementsUpload(
  args: Pick<WorkflowAssetsArgs, "requirementsFile" | "packages">,
): string | undefined {
  if (!args.requirementsFile || !args.packages) return args.requirementsFile;
  return contentFile("requirements", ".txt", args.packages.requirements);
}

/**
 * Uploads the DAG folder, requirements.txt, plugins.zip and the startup script to the target's bucket.
 * The bucket is versioned; the environment receives each object's version, so changed content is an
 * environment update in the preview rather than a silent drift.
 */
export class WorkflowAssets extends pulumi.ComponentResource {
  /** Content problems found at preview (requirements.txt without the target's constraint). */
  readonly problems: readonly string[];
  readonly dagObjects: aws.s3.BucketObjectv2[];
  /** Each uploaded DAG file (relative to the DAG prefix) -> sha256 of its content, known at preview. */
  readonly dagFileHashes: Record<string, string>;
  readonly requirements?: { key: string; version: pulumi.Output<string> };
  readonly plugins?: { key: string; version: pulumi.Output<string> };
  readonly startupScript?: { key: string; version: pulumi.Output<string> };

  constructor(name: string, args: WorkflowAssetsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mwaa-migration:assets:WorkflowAssets", name, {}, opts);
    const missing = missingAssetProblems(args);
    if (missing.length > 0) throw new ConfigurationError(missing);
    this.problems = [...requirementsProblems(args), ...generatedDagProblems(args)];
    if (this.problems.length > 0 && !args.problemsReportedByCaller)
      throw new ConfigurationError(this.problems);

    const upload = (logicalName: string, key: string, source: pulumi.asset.Asset, contentType?: string) =>
      new aws.s3.BucketObjectv2(
        `${name}-${logicalName}`,
        { bucket: args.bucket, key, source, contentType },
        { parent: this },
      );

    const dagFiles = listDagFiles(args.dagsFolder);
    this.dagObjects = dagFiles.map((relative) =>
      upload(
        dagObjectName(relative),
        `${args.dagS3Path}/${relative}`,
        new pulumi.asset.FileAsset(path.join(args.dagsFolder, relative)),
        relative.endsWith(".py") ? "text/x-python" : undefined,
      ),
    );
    const sha256 = (content: string | Buffer) => crypto.createHash("sha256").update(content).digest("hex");
    this.dagFileHashes = Object.fromEntries([
      ...dagFiles.map((relative) => [
        relative,
        sha256(fs.readFileSync(path.join(args.dagsFolder, relative))),
      ]),
      ...(args.generatedDags ?? []).map((dag) => [dag.file, sha256(dag.content)]),
    ]);
    for (const dag of args.generatedDags ?? []) {
      this.dagObjects.push(
        upload(
          dagObjectName(dag.file),
          `${args.dagS3Path}/${dag.file}`,
          new pulumi.asset.StringAsset(dag.content),
          "text/x-python",
        ),
      );
    }
    const versioned = (logicalName: string, key: string, file: string | undefined, type: string) => {
      if (!file) return undefined;
      return { key, version: upload(logicalName, key, new pulumi.asset.FileAsset(file), type).versionId };
    };
    this.requirements = versioned(
      "requirements",
      ASSET_KEYS.requirements,
      requirementsUpload(args),
      "text/plain",
    );
    this.plugins = versioned("plugins", ASSET_KEYS.plugins, pluginsArchive(args), "application/zip");
    this.startupScript = versioned(
      "startup-script",
      ASSET_KEYS.startupScript,
      args.startupScript,
      "text/x-shellscript",
    );

    this.registerOutputs({
      dagKeys: this.dagObjects.map((o) => o.key),
      requirementsVersion: this.requirements?.version,
      pluginsVersion: this.plugins?.version,
      startupScriptVersion: this.startupScript?.version,
    });
  }
}
