/**
 * Everything the rehearsal starts outside its own process, and how it is stopped again: the local
 * stack (local/stack.sh), the Airflow environments (through envs.py) and the MWAA stand-in. Clean-up
 * steps are registered as things start and run in reverse order at the end, after an error, and on
 * SIGINT/SIGTERM, so nothing the rehearsal started is left running.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..");

export class PrerequisiteError extends Error {}

/** Where local/stack.sh keeps its state (MWAA_LOCAL_STATE_DIR moves it). */
export function stateDir(): string {
  return path.resolve(process.env.MWAA_LOCAL_STATE_DIR || path.join(ROOT, "local", ".state"));
}

export interface StackInfo {
  port_base: number;
  ports: {
    moto: number;
    postgres: number;
    mwaa_standin: number;
    airflow_first: number;
    airflow_last: number;
  };
  aws_region: string;
  aws_endpoint_url: string;
  venvs: Record<string, string>;
  env: Record<string, string>;
}

export function readStackInfo(): StackInfo {
  const file = path.join(stateDir(), "env.json");
  if (!fs.existsSync(file))
    throw new PrerequisiteError(`${file} is missing: local/stack.sh up did not finish`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as StackInfo;
}

type Cleanup = { what: string; run: () => Promise<void> };
const cleanups: Cleanup[] = [];
/** Commands running in the foreground (envs.py, stack.sh): stopped first when the rehearsal ends early. */
const children = new Set<ChildProcess>();
let cleaning: Promise<void> | undefined;
let interruptedBy: string | undefined;

/** The signal that ended the rehearsal early, if one did (its handler is then stopping everything). */
export function interrupted(): string | undefined {
  return interruptedBy;
}

/** Registers a step for the end of the rehearsal (run last-registered first). */
export function onCleanup(what: string, run: () => Promise<void>): void {
  cleanups.push({ what, run });
}

export function cleanUp(log: (line: string) => void): Promise<void> {
  cleaning ??= (async () => {
    for (const child of children) child.kill("SIGTERM");
    while (cleanups.length > 0) {
      const step = cleanups.pop()!;
      log(`stopping ${step.what}`);
      try {
        await step.run();
      } catch (e) {
        log(`could not stop ${step.what}: ${(e as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/** Ctrl-C or a kill: stop what was started, then exit with the signal's conventional status. */
export function installSignalHandlers(log: (line: string) => void): void {
  for (const [signal, status] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.on(signal, () => {
      if (cleaning) return;
      interruptedBy = signal;
      log(`${signal} received: stopping everything the rehearsal started`);
      void cleanUp(log).finally(() => process.exit(status));
    });
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Each stderr line (and stdout line when inherit is false) as it arrives. */
  onLine?: (line: string) => void;
  /** Pass stdout/stderr straight to the terminal. */
  inherit?: boolean;
}

/** Runs a command to its end; resolves with its stdout, rejects with the exit status and the last lines. */
export function run(argv: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: ROOT,
      env: options.env ?? process.env,
      stdio: options.inherit ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let stdout = "";
    const tail: string[] = [];
    const lines = (chunk: Buffer, keep: boolean) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() === "") continue;
        if (keep) {
          tail.push(line);
          if (tail.length > 20) tail.shift();
        }
        options.onLine?.(line);
      }
    };
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => lines(chunk, true));
    child.on("error", (e) => {
      children.delete(child);
      reject(new PrerequisiteError(`could not run ${argv[0]}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      children.delete(child);
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(
            `${argv.slice(0, 3).join(" ")} ${signal ? `was stopped by ${signal}` : `exited ${code}`}` +
              (tail.length ? `:\n  ${tail.slice(-8).join("\n  ")}` : ""),
          ),
        );
    });
  });
}

/** Runs local/mwaa_local/envs.py in the stack's tools venv and returns its JSON answer. */
export async function envsPy<T>(args: string[], onLine?: (line: string) => void): Promise<T> {
  const info = readStackInfo();
  const python = path.join(info.venvs.tools, "bin", "python");
  const env = {
    ...process.env,
    ...info.env,
    PYTHONPATH: path.join(ROOT, "local"),
    PYTHONUNBUFFERED: "1",
  };
  if (args.some((arg) => typeof arg !== "string"))
    throw new Error(`envs.py ${JSON.stringify(args)}: every argument must be text`);
  const stdout = await run([python, path.join(ROOT, "local", "mwaa_local", "envs.py"), ...args], {
    env,
    onLine,
  });
  const last = stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`envs.py ${args[0]} answered something that is not JSON: ${last.slice(0, 300)}`);
  }
}

export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.setTimeout(500);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}

export async function stackIsUp(): Promise<boolean> {
  try {
    await run(["bash", path.join(ROOT, "local", "stack.sh"), "status"]);
    return true;
  } catch {
    return false;
  }
}

/** local/stack.sh up for the two versions; its install and start messages go to the terminal. */
export async function stackUp(versions: string[]): Promise<void> {
  await run(["bash", path.join(ROOT, "local", "stack.sh"), "up"], {
    inherit: true,
    env: { ...process.env, MWAA_LOCAL_AIRFLOW_VERSIONS: versions.join(",") },
  }).catch((e: Error) => {
    throw new PrerequisiteError(`the local stack did not come up (local/stack.sh up); ${e.message}`);
  });
}

export async function stackDown(): Promise<void> {
  await run(["bash", path.join(ROOT, "local", "stack.sh"), "down"], { inherit: true });
}

export interface StandinPorts {
  api: number;
  web: number;
}

/**
 * Starts the MWAA stand-in in its own process group with a pid file in the stack's pid folder,
 * so that `local/stack.sh down` stops it too when --keep left it running.
 */
export async function startStandin(
  configFile: string,
  ports: StandinPorts,
  tls: { cert: string; key: string },
) {
  for (const [what, port] of [
    ["API", ports.api],
    ["HTTPS webserver", ports.web],
  ] as const) {
    if (await portInUse(port))
      throw new PrerequisiteError(
        `port ${port} (the MWAA stand-in's ${what}) is taken by another process; stop it, or set MWAA_LOCAL_PORT_BASE to another base`,
      );
  }
  const logFile = path.join(stateDir(), "logs", "mwaa-standin.log");
  const out = fs.openSync(logFile, "a");
  const child = spawn(
    process.execPath,
    [
      "-r",
      "ts-node/register/transpile-only",
      path.join(ROOT, "local", "mwaa-standin", "main.ts"),
      "--config",
      configFile,
      "--api-port",
      String(ports.api),
      "--web-port",
      String(ports.web),
      "--tls-cert",
      tls.cert,
      "--tls-key",
      tls.key,
    ],
    { cwd: ROOT, env: process.env, detached: true, stdio: ["ignore", out, out] },
  );
  fs.closeSync(out);
  child.unref();
  const pidFile = path.join(stateDir(), "pids", "mwaa-standin.pid");
  fs.writeFileSync(pidFile, String(child.pid));
  const stop = async () => stopGroup(child.pid!, pidFile);
  for (let i = 0; i < 120; i++) {
    if (await portInUse(ports.api)) return stop;
    if (child.exitCode !== null || !alive(child.pid!)) {
      throw new Error(`the MWAA stand-in exited at start; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error(`the MWAA stand-in did not listen on 127.0.0.1:${ports.api} within 60 s; see ${logFile}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopGroup(pid: number, pidFile: string): Promise<void> {
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    // already gone
  }
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
  fs.rmSync(pidFile, { force: true });
}
