/**
 * `npm run rehearse`: the whole migration on real Airflow on this machine, or, with --bundle, the
 * import of an existing bundle into a local target. Writes the report under reports/ and stops
 * everything it started (unless --keep).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { runBundleRehearsal } from "./bundleImport";
import { Display } from "./display";
import { lockedVersionsFrom, parseOptions, RehearsalOptions, USAGE, UsageError } from "./options";
import {
  cleanUp,
  installSignalHandlers,
  interrupted,
  onCleanup,
  portInUse,
  PrerequisiteError,
  readStackInfo,
  ROOT,
  stackDown,
  stackIsUp,
  stackUp,
} from "./processes";
import { createdAirflows, LocalAirflow, runRehearsal } from "./rehearsal";
import { Report, reportBaseName } from "./report";
import { renderHtml, renderJson, renderTerminal } from "./render";

function writeReport(report: Report, options: RehearsalOptions): string[] {
  const dir = path.resolve(ROOT, options.reportsDir);
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, reportBaseName(report.mode, new Date(report.startedAt)));
  const files = [`${base}.txt`, `${base}.html`, `${base}.json`];
  fs.writeFileSync(files[0], renderTerminal(report));
  fs.writeFileSync(files[1], renderHtml(report));
  fs.writeFileSync(files[2], renderJson(report));
  for (const [file, name] of [
    [`${base}.json`, "latest.json"],
    [`${base}.html`, "latest.html"],
  ]) {
    fs.copyFileSync(file, path.join(dir, name));
  }
  return files;
}

function loginLines(envs: LocalAirflow[]): string[] {
  return envs.map(
    (env) =>
      `  ${env.name} (Airflow ${env.airflowVersion}): ${env.url}  login ${env.username} / ${env.password}`,
  );
}

async function main(): Promise<number> {
  const locks = fs.readdirSync(path.join(ROOT, "local", "locks"));
  let options: RehearsalOptions;
  try {
    const parsed = parseOptions(process.argv.slice(2), lockedVersionsFrom(locks));
    if (parsed === "help") {
      console.log(USAGE);
      return 0;
    }
    options = parsed;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }

  const display = new Display();
  const say = (line: string) => display.line(line);
  installSignalHandlers(say);
  let status = 1;
  let reported = false;
  try {
    display.enter(
      "setup",
      "local stack: PostgreSQL, moto and the Airflow virtualenvs (installed on first use)",
    );
    const wasUp = await stackIsUp();
    const versions = options.bundle
      ? [options.targetVersion]
      : [options.sourceVersion, options.targetVersion];
    await stackUp([...new Set(versions)]);
    if (!wasUp) onCleanup("the local stack", stackDown);
    const info = readStackInfo();
    Object.assign(process.env, info.env);
    for (const port of [info.ports.mwaa_standin, info.ports.mwaa_standin + 1])
      if (await portInUse(port))
        throw new PrerequisiteError(
          `port ${port} (the MWAA stand-in, MWAA_LOCAL_PORT_BASE+${port - info.port_base}) is taken by another process ` +
            `(a rehearsal left running with --keep? stop it with: bash local/stack.sh down), or pick another MWAA_LOCAL_PORT_BASE`,
        );
    display.captureConsole();

    const result = options.bundle
      ? await runBundleRehearsal(options, display)
      : await runRehearsal(options, display);
    const files = writeReport(result.report, options);
    process.stdout.write("\n" + renderTerminal(result.report) + "\n");
    say(`report: ${files.join(", ")}`);
    status = result.report.reconciled ? 0 : 1;
    reported = true;
  } catch (e) {
    // After a signal, its handler stops everything and exits; the failure it caused is no news.
    if (interrupted()) return new Promise<number>(() => undefined);
    if (e instanceof PrerequisiteError) say(`cannot rehearse: ${e.message}`);
    else say(`rehearsal failed: ${(e as Error).message}`);
    status = 1;
  }
  if (options.keep && reported) {
    say("--keep: everything stays running. Airflow UIs:");
    for (const line of loginLines(createdAirflows)) say(line);
    say("stop it all with: bash local/stack.sh down");
  } else {
    if (options.keep) say("--keep applies to a rehearsal that reaches its report: stopping everything");
    await cleanUp(say);
  }
  return status;
}

main().then(
  (status) => process.exit(status),
  (e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
