/**
 * Builds what an environment without an internet route installs its requirements from: the wheels pip
 * resolves for the target's Python and platform under the target's constraint file, and that constraint
 * file itself. It runs `pip download` on the deployer's machine at preview (the deployer reaches PyPI, or
 * the indexes requirements.txt names; the environment does not), and keeps each result in a cache folder
 * keyed by everything that decides it, so a second preview reuses it.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { pinnedConstraints } from "../rules/requirements";
import {
  indexLines,
  requirementLines,
  targetPlatformArgs,
  targetPlatformName,
  type PackageSource,
} from "../rules/packageSource";

export interface WheelhouseRequest {
  /** The user's requirements.txt, and its path for messages. */
  readonly requirements: string;
  readonly requirementsPath: string;
  /** A local copy of the constraint file; when absent, the URL requirements.txt pins is downloaded. */
  readonly constraintsFile?: string;
  /** The target's Python line, e.g. "3.11". */
  readonly python: string;
  readonly source: Exclude<PackageSource, { kind: "as-written" }>;
  /** The interpreter that runs pip (default: python3 on PATH). */
  readonly pythonCommand?: string;
  /** Where built wheelhouses are kept (default: ~/.cache/mwaa-migration/wheels). */
  readonly cacheRoot?: string;
}

export interface WheelFile {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
}

export type Wheelhouse =
  | { readonly ok: true; readonly constraints: string; readonly wheels: readonly WheelFile[] }
  | { readonly ok: false; readonly problem: string };

const DEFAULT_CACHE = path.join(os.homedir(), ".cache", "mwaa-migration", "wheels");
const PIP_TIMEOUT_MS = 20 * 60 * 1000;

function run(command: string, args: string[]): { ok: boolean; stdout: Buffer; stderr: string } {
  const result = spawnSync(command, args, { maxBuffer: 256 * 1024 * 1024, timeout: PIP_TIMEOUT_MS });
  if (result.error) return { ok: false, stdout: Buffer.alloc(0), stderr: result.error.message };
  return { ok: result.status === 0, stdout: result.stdout, stderr: result.stderr.toString("utf8") };
}

/** pip's own explanation: its ERROR lines, or the last lines it printed. */
function pipReason(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const errors = lines.filter((l) => l.startsWith("ERROR:"));
  return (errors.length > 0 ? errors : lines.slice(-3)).join(" ").replace(/\s+/g, " ");
}

function constraintsText(request: WheelhouseRequest, python: string): { text?: string; problem?: string } {
  const key = "mwaa-migration:constraintsFile";
  if (request.constraintsFile) {
    if (!fs.existsSync(request.constraintsFile))
      return {
        problem: `${key} ${request.constraintsFile} does not exist; give the path of the target's constraint file`,
      };
    return { text: fs.readFileSync(request.constraintsFile, "utf8") };
  }
  const urls = pinnedConstraints(request.requirements);
  if (urls.length !== 1)
    return {
      problem:
        `mwaa-migration:requirementsFile ${request.requirementsPath} must pin one --constraint for the ` +
        `packages to be resolved offline; or set ${key} to a local copy of the target's constraint file`,
    };
  const fetched = run(python, [
    "-c",
    "import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=60).read())",
    urls[0],
  ]);
  if (!fetched.ok) {
    const reason = fetched.stderr.trim().split(/\r?\n/).pop() ?? "no answer";
    return {
      problem:
        `could not download the constraint file ${urls[0]} that ${request.requirementsPath} pins ` +
        `(${reason}); download it where you can and set ${key} to its path`,
    };
  }
  return { text: fetched.stdout.toString("utf8") };
}

function listWheels(folder: string): WheelFile[] {
  return fs
    .readdirSync(folder)
    .filter((name) => name.endsWith(".whl"))
    .sort()
    .map((name) => ({
      name,
      path: path.join(folder, name),
      bytes: fs.statSync(path.join(folder, name)).size,
    }));
}

function offlineProblem(request: WheelhouseRequest, reason: string): string {
  return (
    `mwaa-migration:requirementsFile ${request.requirementsPath} cannot be installed without the ` +
    `internet: pip found no complete set of wheels for ${targetPlatformName(request.python)} under ` +
    `the target's constraints (${reason}). Build the missing wheels yourself and add ` +
    `them to pluginsZip, or set mwaa-migration:packageSource to a private repository's index URL.`
  );
}

/**
 * Wheels built here from the source archives pip resolves for these requirements (on this machine's
 * Python, which is enough to find the packages that publish no wheel), kept in `files.built` when they
 * are pure Python; a problem names a package that only builds for this machine's platform.
 */
function buildPureWheels(
  python: string,
  files: { requirements: string; constraints: string; built: string },
  targetPython: string,
): { wheels: number; problem?: string } {
  const report = path.join(files.built, "..", "resolution.json");
  const resolved = run(python, [
    ...["-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--disable-pip-version-check"],
    ...["--report", report, "-r", files.requirements, "-c", files.constraints],
  ]);
  if (!resolved.ok) return { wheels: 0, problem: pipReason(resolved.stderr) };
  const install = (JSON.parse(fs.readFileSync(report, "utf8")).install ?? []) as {
    download_info?: { url?: string };
    metadata?: { name?: string; version?: string };
  }[];
  const sources = install.filter((item) => !(item.download_info?.url ?? "").endsWith(".whl"));
  for (const item of sources) {
    const pin = `${item.metadata?.name}==${item.metadata?.version}`;
    const built = run(python, [
      ...["-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps"],
      ...["--wheel-dir", files.built, pin],
    ]);
    if (!built.ok)
      return {
        wheels: 0,
        problem: `${pin} publishes no wheel and did not build: ${pipReason(built.stderr)}`,
      };
  }
  const platformBound = (fs.existsSync(files.built) ? fs.readdirSync(files.built) : []).filter(
    (name) => name.endsWith(".whl") && !name.endsWith("-none-any.whl"),
  );
  if (platformBound.length > 0)
    return {
      wheels: 0,
      problem:
        `${platformBound.join(", ")} publish no wheel for ${targetPlatformName(targetPython)} and build ` +
        `only for this machine's platform`,
    };
  return { wheels: sources.length };
}

/** The wheels and constraint file for `request`, built (or found in the cache), or why they cannot be. */
export function buildWheelhouse(request: WheelhouseRequest): Wheelhouse {
  const python = request.pythonCommand ?? "python3";
  const constraints = constraintsText(request, python);
  if (constraints.problem) return { ok: false, problem: constraints.problem };
  const text = constraints.text!;
  if (request.source.kind === "index") return { ok: true, constraints: text, wheels: [] };

  const packages = requirementLines(request.requirements);
  const platform = targetPlatformArgs(request.python);
  const indexes = indexLines(request.requirements);
  const key = crypto
    .createHash("sha256")
    .update(JSON.stringify({ packages, indexes, platform, constraints: text }))
    .digest("hex")
    .slice(0, 24);
  const root = request.cacheRoot ?? DEFAULT_CACHE;
  const folder = path.join(root, key);
  if (fs.existsSync(path.join(folder, ".complete")))
    return { ok: true, constraints: text, wheels: listWheels(folder) };

  // Built beside the cache entry, so the finished folder is renamed into place (same file system).
  fs.mkdirSync(root, { recursive: true });
  const work = fs.mkdtempSync(path.join(root, `.building-${key}-`));
  try {
    const files = {
      requirements: path.join(work, "requirements.txt"),
      constraints: path.join(work, "constraints.txt"),
      wheels: path.join(work, "wheels"),
      built: path.join(work, "built"),
    };
    fs.writeFileSync(files.requirements, [...indexes, ...packages, ""].join("\n"));
    fs.writeFileSync(files.constraints, text);
    const download = (extraLinks: string[]) =>
      run(python, [
        ...["-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--dest", files.wheels],
        ...platform,
        ...extraLinks.flatMap((folder) => ["--find-links", folder]),
        ...["-r", files.requirements, "-c", files.constraints],
      ]);
    let pip = download([]);
    if (!pip.ok) {
      // Some packages publish only a source archive (Airflow 2's python-nvd3 among them): build those
      // here, keep the pure-Python ones (they install anywhere) and resolve again with them at hand.
      const built = buildPureWheels(python, files, request.python);
      if (built.problem) return { ok: false, problem: offlineProblem(request, built.problem) };
      if (built.wheels > 0) pip = download([files.built]);
    }
    if (!pip.ok) return { ok: false, problem: offlineProblem(request, pipReason(pip.stderr)) };
    fs.mkdirSync(files.wheels, { recursive: true });
    fs.writeFileSync(path.join(files.wheels, ".complete"), "");
    fs.rmSync(folder, { recursive: true, force: true });
    fs.renameSync(files.wheels, folder);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return { ok: true, constraints: text, wheels: listWheels(folder) };
}
