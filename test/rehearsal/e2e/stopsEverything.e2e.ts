/**
 * "After an error or Ctrl-C nothing the rehearsal started is left running": a real rehearsal on a
 * stack of its own, interrupted once with Ctrl-C and once made to fail half-way, then checked for
 * processes and ports it left behind. Run by scripts/ci-rehearsal.sh (a few minutes).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  IsolatedStack,
  isolatedStack,
  openPorts,
  processesOf,
  RunningRehearsal,
  settle,
  countIn,
  stackCommand,
  stackPorts,
} from "./harness";

/** Well away from the ports of the caller's own stack (MWAA_LOCAL_PORT_BASE, default 24000). */
const PORT_BASE = Number(
  process.env.MWAA_REHEARSE_E2E_PORT_BASE || Number(process.env.MWAA_LOCAL_PORT_BASE || 24000) + 100,
);

describe("npm run rehearse stops what it started", function () {
  this.timeout(480_000);
  let isolated: IsolatedStack | undefined;
  let rehearsal: RunningRehearsal | undefined;

  afterEach(() => {
    // Whatever the outcome, this test leaves nothing behind either.
    if (isolated) {
      if (rehearsal) rehearsal.abandon(isolated);
      else stackCommand("down", isolated.env);
      fs.rmSync(isolated.stateDir, { recursive: true, force: true });
    }
    isolated = undefined;
    rehearsal = undefined;
  });

  it("after Ctrl-C mid-migration: both Airflows, the stand-in, moto and PostgreSQL are stopped, every port is free", async () => {
    isolated = isolatedStack(PORT_BASE);
    assert.deepEqual(
      await openPorts(stackPorts(PORT_BASE)),
      [],
      `ports from ${PORT_BASE} must be free to start`,
    );
    rehearsal = new RunningRehearsal(["--runs", "10"], isolated.env);
    // Everything is running once the stand-in serves both environments.
    await rehearsal.waitFor(/MWAA stand-in serving rehearse-src, rehearse-tgt/, 420);
    const running = processesOf(isolated.marker, isolated.stateDir);
    assert.ok(
      running.some((p) => /airflow scheduler/.test(p.command)) &&
        running.some((p) => /airflow webserver/.test(p.command)),
      `the rehearsal should be running Airflow now:\n${running.map((p) => p.command).join("\n")}`,
    );

    rehearsal.interrupt();
    const status = await rehearsal.exit(120);
    assert.equal(status.code, 130, `exit status after Ctrl-C:\n${rehearsal.tail()}`);
    assert.match(rehearsal.output.join("\n"), /SIGINT received: stopping everything the rehearsal started/);

    const left = await settle(() => processesOf(isolated!.marker, isolated!.stateDir), 10);
    assert.deepEqual(left, [], "processes the rehearsal left running");
    assert.deepEqual(await settle(() => openPorts(stackPorts(PORT_BASE)), 10), [], "ports still taken");
  });

  it("after a failure half-way: its Airflow is stopped, the stack it did not start keeps running", async () => {
    isolated = isolatedStack(PORT_BASE);
    stackCommand("up", { ...isolated.env, MWAA_LOCAL_AIRFLOW_VERSIONS: "2.8.1,2.11.0" });
    const before = processesOf(isolated.marker, isolated.stateDir).map((p) => p.pid);
    rehearsal = new RunningRehearsal(["--runs", "10"], isolated.env);
    await rehearsal.waitFor(/seeding 'rehearse-src'/, 300);
    // The source's scheduler crashes while it runs the history's first DAG runs.
    const deadline = Date.now() + 180_000;
    while (countIn(isolated.stateDir, "rehearse-src", "SELECT count(*) FROM dag_run") === 0) {
      assert.ok(Date.now() < deadline, `no DAG run started in the source within 180 s:\n${rehearsal.tail()}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const pidFile = path.join(isolated.stateDir, "pids", "airflow-rehearse-src-scheduler.pid");
    process.kill(-Number(fs.readFileSync(pidFile, "utf8").trim()), "SIGKILL");

    const status = await rehearsal.exit(180);
    assert.equal(status.code, 1, `exit status after the failure:\n${rehearsal.tail()}`);
    const output = rehearsal.output.join("\n");
    assert.match(output, /rehearsal failed: .*the scheduler of 'rehearse-src' exited/s);
    assert.match(output, /stopping Airflow rehearse-src/);
    assert.doesNotMatch(output, /stopping the local stack/);

    // PostgreSQL's own workers (children of the postmaster that was up before) do not count.
    const startedByRehearsal = () =>
      processesOf(isolated!.marker, isolated!.stateDir).filter(
        (p) => !before.includes(p.pid) && !before.includes(p.parent),
      );
    const left = await settle(startedByRehearsal, 10);
    assert.deepEqual(left, [], "processes the rehearsal left running");
    assert.deepEqual(
      await openPorts(stackPorts(PORT_BASE)),
      [PORT_BASE, PORT_BASE + 1],
      "only moto and PostgreSQL, which were up before, should still listen",
    );
  });
});
