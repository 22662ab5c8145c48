import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");

/** The rehearsal's entry point, stopped by its own checks before it starts anything. */
function rehearse(...args: string[]) {
  return spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", "rehearsal/main.ts", ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
    },
  );
}

describe("npm run rehearse (command line)", function () {
  this.timeout(60_000);

  it("prints its usage with --help", () => {
    const result = rehearse("--help");
    assert.equal(result.status, 0);
    assert.match(result.stdout, /--source-version/);
    assert.match(result.stdout, /--bundle <folder\|s3-uri>/);
  });

  it("refuses an Airflow version it has no lock file for, before starting anything", () => {
    const result = rehearse("--target-version", "2.9.2");
    assert.equal(result.status, 2);
    assert.match(
      result.stderr,
      /--target-version 2\.9\.2: the local stack has lock files for Airflow .*2\.8\.1/,
    );
    assert.doesNotMatch(result.stdout + result.stderr, /\[stack\]/);
  });
});
