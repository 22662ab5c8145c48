import { strict as assert } from "assert";
import { DEFAULTS, lockedVersionsFrom, parseOptions, UsageError } from "./options";

const LOCKED = ["2.8.1", "2.10.3", "2.11.0"];

describe("rehearsal options", () => {
  it("defaults to a few hundred runs from 2.8.1 to 2.11.0", () => {
    assert.deepEqual(parseOptions([], LOCKED), {
      ...DEFAULTS,
      keep: false,
      bundle: null,
      pipelines: null,
      targetAccount: null,
    });
  });

  it("reads every flag, with a space or an equals sign", () => {
    assert.deepEqual(
      parseOptions(
        [
          "--source-version",
          "2.10.3",
          "--target-version=2.11.0",
          "--runs",
          "20",
          "--keep",
          "--reports-dir",
          "/tmp/r",
          "--pipelines",
          "pipelines/",
          "--target-account",
          "210987654321",
        ],
        LOCKED,
      ),
      {
        sourceVersion: "2.10.3",
        targetVersion: "2.11.0",
        runs: 20,
        keep: true,
        bundle: null,
        reportsDir: "/tmp/r",
        pipelines: "pipelines/",
        targetAccount: "210987654321",
      },
    );
    assert.equal(
      (parseOptions(["--bundle", "s3://prod-bundles/mwaa-migration/bulk-1"], LOCKED) as { bundle: string })
        .bundle,
      "s3://prod-bundles/mwaa-migration/bulk-1",
    );
    assert.equal(parseOptions(["--help"], LOCKED), "help");
  });

  it("refuses a version without a lock file and names the versions that work", () => {
    assert.throws(
      () => parseOptions(["--source-version", "2.9.2"], LOCKED),
      (e: Error) => e instanceof UsageError && /2\.9\.2.*2\.8\.1, 2\.10\.3, 2\.11\.0/.test(e.message),
    );
  });

  it("refuses a downgrade, a history too small to cover every kind of row, and unknown flags", () => {
    assert.throws(
      () => parseOptions(["--source-version", "2.11.0", "--target-version", "2.8.1"], LOCKED),
      /older than/,
    );
    assert.throws(() => parseOptions(["--runs", "5"], LOCKED), /--runs 5: give a whole number from 10/);
    assert.throws(() => parseOptions(["--runs"], LOCKED), /--runs needs a value/);
    assert.throws(() => parseOptions(["--fast"], LOCKED), /unknown option --fast/);
    assert.throws(() => parseOptions(["--bundle", "s3://"], LOCKED), /s3:\/\/bucket\/prefix\/exportId/);
    assert.throws(
      () => parseOptions(["--bundle", "bundles/bulk-1", "--pipelines", "pipelines/"], LOCKED),
      /--pipelines runs with a full rehearsal/,
    );
  });

  it("takes a target account of 12 digits other than the source's", () => {
    assert.throws(() => parseOptions(["--target-account", "2109"], LOCKED), /12 digits/);
    assert.throws(
      () => parseOptions(["--target-account", "123456789012"], LOCKED),
      /is the source's account.*give another id/,
    );
    assert.throws(
      () => parseOptions(["--bundle", "bundles/bulk-1", "--target-account", "210987654321"], LOCKED),
      /--target-account runs with a full rehearsal/,
    );
  });

  it("knows the locked versions from the lock file names, in version order", () => {
    assert.deepEqual(
      lockedVersionsFrom([
        "airflow-2.11.0.txt",
        "airflow-2.8.1.in",
        "airflow-2.8.1.txt",
        "tools.txt",
        "airflow-2.10.3.txt",
      ]),
      ["2.8.1", "2.10.3", "2.11.0"],
    );
  });
});
