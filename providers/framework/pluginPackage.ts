/**
 * What an Airflow 3 target needs in its plugins folder for the import to run there (payload/plugins: the
 * migration plugin, and the `mwaa_migration` library beside it), and the one configuration option that
 * tells the plugin which bundles it may read. On MWAA the plugins folder is plugins.zip, uploaded at the
 * prepare stage: the user's own plugins.zip, if any, with the migration plugin added.
 */
import * as fs from "fs";
import * as path from "path";
import { LIBRARY_FOLDER } from "../../contract";
import { contractFiles, type PayloadFile } from "./payload";
import { readZip, writeZip, type ZipEntry } from "./zip";

/** payload/plugins: the plugin module and the .airflowignore that keeps the library out of plugin discovery. */
export const PLUGIN_FOLDER = "plugins";
const IGNORE_FILE = ".airflowignore";

/** The Airflow option the plugin reads (payload/mwaa_migration/plugin_access.py), in MWAA's "section.key" form. */
export const BUNDLE_LOCATION_OPTION = "mwaa_migration.bundle_location";

function filesUnder(root: string, relative: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
    const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== "__pycache__") found.push(...filesUnder(root, child));
    } else if (entry.name.endsWith(".py") || entry.name === IGNORE_FILE) {
      found.push(child);
    }
  }
  return found.sort();
}

/** The plugin's files, keyed by their path in the plugins folder. */
export function migrationPluginFiles(payloadDir: string): PayloadFile[] {
  const pluginDir = path.join(payloadDir, PLUGIN_FOLDER);
  if (!fs.existsSync(pluginDir)) {
    throw new Error(
      `payloadDir ${payloadDir} has no ${PLUGIN_FOLDER}/; point payloadDir at the project's payload folder`,
    );
  }
  const plugin = filesUnder(pluginDir, "").map((key) => ({
    key,
    body: fs.readFileSync(path.join(pluginDir, key)),
  }));
  const library = filesUnder(payloadDir, LIBRARY_FOLDER).map((key) => ({
    key,
    body: fs.readFileSync(path.join(payloadDir, key)),
  }));
  return [...plugin, ...library, ...contractFiles()];
}

function ignoreLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== "");
}

/**
 * plugins.zip for an Airflow 3 target: the user's archive (if any) with the migration plugin's files added,
 * replacing any older copy of them; the user's .airflowignore keeps its lines and gains the plugin's.
 */
export function pluginsZipWithMigrationPlugin(payloadDir: string, userZip?: Buffer): Buffer {
  const ours = migrationPluginFiles(payloadDir);
  const ourKeys = new Set(ours.map((file) => file.key));
  const theirs = userZip ? readZip(userZip) : [];
  const kept: ZipEntry[] = theirs.filter(
    (entry) => !ourKeys.has(entry.name) && !entry.name.startsWith(`${LIBRARY_FOLDER}/`),
  );
  const entries: ZipEntry[] = [...kept];
  for (const file of ours) {
    if (file.key === IGNORE_FILE) {
      const existing = theirs.find((entry) => entry.name === IGNORE_FILE);
      const lines = existing ? ignoreLines(existing.data.toString("utf8")) : [];
      const merged = [...lines, ...ignoreLines(file.body.toString("utf8")).filter((l) => !lines.includes(l))];
      entries.push({ name: IGNORE_FILE, data: Buffer.from(`${merged.join("\n")}\n`) });
    } else {
      entries.push({ name: file.key, data: file.body });
    }
  }
  return writeZip(entries);
}

/** An archive holding `files`, plus the entries of `zip` (if any) that `files` do not replace. */
export function zipWithFiles(zip: Buffer | undefined, files: readonly ZipEntry[]): Buffer {
  const names = new Set(files.map((file) => file.name));
  const kept = zip ? readZip(zip).filter((entry) => !names.has(entry.name)) : [];
  return writeZip([...kept, ...files]);
}

/** The Airflow configuration option (MWAA's airflowConfigurationOptions) naming where the bundles are. */
export function bundleLocationOption(bucket: string, prefix: string): Record<string, string> {
  const clean = prefix.replace(/^\/+|\/+$/g, "");
  return { [BUNDLE_LOCATION_OPTION]: `s3://${bucket}/${clean}` };
}
