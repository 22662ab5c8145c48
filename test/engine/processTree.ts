/**
 * The processes below this one, read from /proc: how the tests find the `pulumi up` the Automation
 * API started (and the provider plugins it started) to interrupt or kill it, and the Airflow task
 * process of a migration DAG to kill it mid-transaction.
 */
import * as fs from "node:fs";

export interface ProcessEntry {
  pid: number;
  ppid: number;
  args: string[];
}

export function allProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      // The command name (in parentheses) may hold spaces; the fields after it are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const args = fs.readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").filter(Boolean);
      entries.push({ pid: Number(name), ppid, args });
    } catch {
      // gone while we looked
    }
  }
  return entries;
}

export function descendantsOf(root: number, processes = allProcesses()): ProcessEntry[] {
  const found: ProcessEntry[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const entry of processes)
      if (entry.ppid === parent) {
        found.push(entry);
        frontier.push(entry.pid);
      }
  }
  return found;
}

/** The `pulumi up` this process runs, with everything it started: what a terminal's Ctrl-C reaches. */
export function signalPulumiUp(signal: NodeJS.Signals): number[] {
  const processes = allProcesses();
  const up = descendantsOf(process.pid, processes).find(
    (entry) => /(^|\/)pulumi$/.test(entry.args[0] ?? "") && entry.args.includes("up"),
  );
  if (!up) throw new Error("no `pulumi up` is running under this process");
  const targets = [up, ...descendantsOf(up.pid, processes)];
  for (const entry of targets) {
    try {
      process.kill(entry.pid, signal);
    } catch {
      // already gone
    }
  }
  return targets.map((entry) => entry.pid);
}

/**
 * The process that runs a task of `dagId`: Airflow 2 names it `airflow task runner: <dag> <task> ...`
 * (setproctitle), under the `airflow task supervisor` that watches it. Killing it is a worker dying
 * mid-task: its supervisor sees the exit and fails the task.
 */
export function taskRunnerOf(dagId: string): ProcessEntry | undefined {
  return allProcesses().find((entry) => entry.args.join(" ").startsWith(`airflow task runner: ${dagId} `));
}
