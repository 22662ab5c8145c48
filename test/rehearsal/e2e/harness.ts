/**
 * Drives `npm run rehearse` as a user would (scripts/rehearse.sh in its own process group, as a
 * terminal runs it) and looks at what it leaves behind: processes that carry its marker or its state
 * folder, and the local stack's ports. Used by the end-to-end tests CI runs after its rehearsal.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { portInUse } from "../../../rehearsal/processes";

export const ROOT = path.resolve(__dirname, "..", "..", "..");

/** Ports of the local stack for a port base (local/stack.sh): moto, PostgreSQL, stand-in API and web, Airflow. */
export function stackPorts(base: number): number[] {
  const airflow = Array.from({ length: 10 }, (_, i) => base + 10 + i);
  return [base, base + 1, base + 2, base + 3, ...airflow];
}

/** A stack of its own: a fresh state folder and a port base nobody else uses. */
export interface IsolatedStack {
  stateDir: string;
  portBase: number;
  /** Set in the rehearsal's environment; every process it starts inherits it. */
  marker: string;
  env: NodeJS.ProcessEnv;
}

export function isolatedStack(portBase: number): IsolatedStack {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "rehearse-e2e-"));
  // PostgreSQL runs as its own OS user and keeps its data in here.
  fs.chmodSync(stateDir, 0o755);
  const marker = crypto.randomUUID();
  return {
    stateDir,
    portBase,
    marker,
    env: {
      ...process.env,
      MWAA_LOCAL_STATE_DIR: stateDir,
      MWAA_LOCAL_PORT_BASE: String(portBase),
      MWAA_REHEARSE_E2E_MARKER: marker,
    },
  };
}

/** One number from a local Airflow's metadata database (psql, as the stack's PostgreSQL superuser). */
export function countIn(stateDir: string, envName: string, sql: string): number {
  const read = (...parts: string[]) => JSON.parse(fs.readFileSync(path.join(stateDir, ...parts), "utf8"));
  const { database } = read("airflow", envName, "mwaa_local.json") as { database: string };
  const { ports } = read("env.json") as { ports: { postgres: number } };
  const dsn = `postgresql://postgres@127.0.0.1:${ports.postgres}/${database}`;
  const result = spawnSync("psql", [dsn, "-Atc", sql], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`psql ${sql}: ${result.stderr}`);
  return Number(result.stdout.trim());
}

export function stackCommand(command: "up" | "down" | "status", env: NodeJS.ProcessEnv): number {
  const result = spawnSync("bash", [path.join(ROOT, "local", "stack.sh"), command], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
    timeout: 600_000,
  });
  if (command !== "status" && result.status !== 0)
    throw new Error(`local/stack.sh ${command} exited ${result.status}: ${result.stderr.slice(-2000)}`);
  return result.status ?? -1;
}

export class RunningRehearsal {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    // Its own process group, like a command in a terminal: Ctrl-C reaches the group.
    this.child = spawn("bash", [path.join(ROOT, "scripts", "rehearse.sh"), ...args], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let pending = "";
    const take = (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const lines = pending.split(/\r?\n|\r/);
      pending = lines.pop() ?? "";
      for (const line of lines) this.line(line);
    };
    this.child.stdout!.on("data", take);
    this.child.stderr!.on("data", take);
    this.exited = new Promise((resolve) =>
      this.child.on("close", (code, signal) => {
        if (pending) this.line(pending);
        resolve({ code, signal });
      }),
    );
  }

  private line(line: string): void {
    this.output.push(line);
    for (const waiter of [...this.waiters])
      if (waiter.pattern.test(line)) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(line);
      }
  }

  /** The first output line matching pattern (already printed or still to come). */
  async waitFor(pattern: RegExp, seconds: number): Promise<string> {
    const seen = this.output.find((line) => pattern.test(line));
    if (seen !== undefined) return seen;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        new Promise<string>((resolve) => this.waiters.push({ pattern, resolve })),
        new Promise<string>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no line matching ${pattern} within ${seconds} s:\n${this.tail()}`)),
            seconds * 1000,
          );
        }),
        this.exited.then((status) => {
          throw new Error(
            `the rehearsal exited (${JSON.stringify(status)}) before ${pattern}:\n${this.tail()}`,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** What Ctrl-C in a terminal does: SIGINT to the whole foreground process group. */
  interrupt(): void {
    process.kill(-this.child.pid!, "SIGINT");
  }

  async exit(seconds: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the rehearsal did not exit within ${seconds} s:\n${this.tail()}`)),
            seconds * 1000,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Last resort for a test that failed half-way: the rehearsal's process group, then its stack
   * (local/stack.sh down stops Airflow by process group through its pid files, which killing a
   * group leader first would defeat), then anything else of its own still running.
   */
  abandon(stack: IsolatedStack): void {
    try {
      process.kill(-this.child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
    stackCommand("down", stack.env);
    for (const left of processesOf(stack.marker, stack.stateDir)) {
      try {
        process.kill(left.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  tail(lines = 25): string {
    return this.output.slice(-lines).join("\n");
  }
}

function readProc(pid: string, file: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, "latin1");
  } catch {
    return "";
  }
}

function parentOf(pid: string): number {
  // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
  const stat = readProc(pid, "stat");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

export interface LeftProcess {
  pid: number;
  parent: number;
  command: string;
}

function cwdOf(pid: string): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return "";
  }
}

/**
 * Processes that the rehearsal started: they carry its marker in their environment (inherited
 * from the rehearsal), name its state folder on their command line (PostgreSQL's data folder, the
 * stand-in's configuration) or work in it (Airflow, whose process titles overwrite the environment).
 */
export function processesOf(marker: string, stateDir: string): LeftProcess[] {
  const found: LeftProcess[] = [];
  for (const pid of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    if (Number(pid) === process.pid) continue;
    const command = readProc(pid, "cmdline").split("\0").join(" ").trim();
    if (command === "") continue; // kernel threads and zombies
    const environ = readProc(pid, "environ").split("\0");
    if (
      environ.includes(`MWAA_REHEARSE_E2E_MARKER=${marker}`) ||
      command.includes(stateDir) ||
      cwdOf(pid).startsWith(stateDir)
    )
      found.push({ pid: Number(pid), parent: parentOf(pid), command: command.slice(0, 200) });
  }
  return found;
}

export async function openPorts(ports: number[]): Promise<number[]> {
  const open = await Promise.all(ports.map((port) => portInUse(port)));
  return ports.filter((_, i) => open[i]);
}

/** Polls until check() returns an empty list or seconds pass; returns its last answer. */
export async function settle<T>(check: () => T[] | Promise<T[]>, seconds: number): Promise<T[]> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const left = await check();
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 500));
  }
}
