import { strict as assert } from "assert";
import * as crypto from "crypto";
import type { DeliveredFile } from "./dagDelivery";
import { stagedVerdict } from "./staging";

const file = (key: string, text: string) => ({ key, body: Buffer.from(text) });
const delivered = (text: string, modifiedAt: string): DeliveredFile => ({
  md5: crypto.createHash("md5").update(text).digest("hex"),
  modifiedAtMs: Date.parse(modifiedAt),
});

describe("whether a migration DAG is staged", () => {
  const payload = [file("mwaa_migration_export.py", "# dag"), file("mwaa_migration/__init__.py", "")];
  const inFolder = new Map([
    ["mwaa_migration_export.py", delivered("# dag", "2026-12-03T10:00:00Z")],
    ["mwaa_migration/__init__.py", delivered("", "2026-12-03T10:00:05Z")],
  ]);

  it("is staged when the same files are in the folder and Airflow parsed it after the newest was written", () => {
    assert.deepEqual(stagedVerdict(payload, inFolder, "2026-12-03T10:00:06.5+00:00"), { staged: true });
  });

  it("is not staged when a parse predates the newest file: that parse read the previous delivery", () => {
    const verdict = stagedVerdict(payload, inFolder, "2026-12-03T10:00:04+00:00");
    assert.equal(verdict.staged, false);
    assert.match(verdict.staged ? "" : verdict.reason, /before its files were written/);
  });

  it("is not staged when a file is missing or holds other content, naming the file", () => {
    const missing = new Map(inFolder);
    missing.delete("mwaa_migration/__init__.py");
    assert.deepEqual(stagedVerdict(payload, missing, "2026-12-03T11:00:00Z"), {
      staged: false,
      reason: "mwaa_migration/__init__.py is not in the DAG folder",
    });
    const changed = new Map(inFolder);
    changed.set("mwaa_migration_export.py", delivered("# older dag", "2026-12-03T10:00:00Z"));
    assert.deepEqual(stagedVerdict(payload, changed, "2026-12-03T11:00:00Z"), {
      staged: false,
      reason: "mwaa_migration_export.py in the DAG folder differs",
    });
  });

  it("is not staged when Airflow does not list the DAG; a listed DAG without a parse time counts (MWAA CLI)", () => {
    assert.equal(stagedVerdict(payload, inFolder, undefined).staged, false);
    assert.deepEqual(stagedVerdict(payload, inFolder, ""), { staged: true });
  });
});
