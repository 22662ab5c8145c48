/**
 * The Python payload the resources deliver: one DAG file plus the `mwaa_migration` library
 * beside it, read from the project's payload folder. The digest is an input of each
 * resource, so editing the payload shows up in the preview as a replacement.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CONTRACT_DOCUMENTS, LIBRARY_FOLDER } from "../../contract";

export interface PayloadFile {
  /** Path relative to the DAG folder, with "/" separators. */
  key: string;
  body: Buffer;
}

function libraryFiles(root: string, relative: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
    const child = `${relative}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== "__pycache__" && entry.name !== "tests") found.push(...libraryFiles(root, child));
    } else if (entry.name.endsWith(".py")) {
      found.push(child);
    }
  }
  return found;
}

/**
 * Keeps Airflow's DAG processor out of the library folder, so its modules are imported by the
 * DAG file but never parsed as DAG files themselves (which would list each of them as a broken
 * DAG in the environment's UI). `.*` is the rule in regexp syntax (2.x default), `*` in glob
 * syntax; each syntax skips the line it cannot read.
 */
export function libraryIgnoreFile(): PayloadFile {
  return { key: `${LIBRARY_FOLDER}/.airflowignore`, body: Buffer.from(".*\n*\n") };
}

/**
 * The contract documents the library reads (payload/mwaa_migration/contract.py), delivered as
 * `mwaa_migration/contract_data/<name>` so that both sides run on the same definition.
 */
export function contractFiles(): PayloadFile[] {
  return Object.entries(CONTRACT_DOCUMENTS)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, document]) => ({
      key: `${LIBRARY_FOLDER}/contract_data/${name}`,
      body: Buffer.from(`${JSON.stringify(document, null, 2)}\n`),
    }));
}

/** The files to copy for one DAG, in a stable order. */
export function readPayload(payloadDir: string, dagId: string): PayloadFile[] {
  const dagFile = `${dagId}.py`;
  if (!fs.existsSync(path.join(payloadDir, dagFile))) {
    throw new Error(
      `payloadDir ${payloadDir} has no ${dagFile}; point payloadDir at the project's payload folder`,
    );
  }
  const keys = [dagFile];
  if (fs.existsSync(path.join(payloadDir, LIBRARY_FOLDER)))
    keys.push(...libraryFiles(payloadDir, LIBRARY_FOLDER).sort());
  const files = keys.map((key) => ({ key, body: fs.readFileSync(path.join(payloadDir, key)) }));
  return keys.length > 1 ? [...files, ...contractFiles(), libraryIgnoreFile()] : files;
}

export function payloadDigest(files: readonly PayloadFile[]): string {
  const hash = crypto.createHash("sha256");
  for (const file of files) {
    hash.update(file.key).update("\0").update(file.body).update("\0");
  }
  return hash.digest("hex");
}
