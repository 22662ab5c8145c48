import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import { dagObjectName, listDagFiles, missingAssetProblems } from "./workflowAssets";

describe("workflow assets", () => {
  let folder: string;
  before(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), "dags-"));
    for (const file of [
      "a.py",
      "team/b.py",
      "team/sql/c.sql",
      "__pycache__/a.cpython-311.pyc",
      ".airflowignore",
      "d.pyc",
    ]) {
      fs.mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
      fs.writeFileSync(path.join(folder, file), "x");
    }
  });
  after(() => fs.rmSync(folder, { recursive: true, force: true }));

  it("lists DAG files recursively, sorted, without caches and hidden files", () => {
    assert.deepEqual(listDagFiles(folder), ["a.py", "team/b.py", "team/sql/c.sql"]);
  });

  it("gives each DAG file a distinct resource name, even when paths differ only in punctuation", () => {
    assert.notEqual(dagObjectName("team/a_b.py"), dagObjectName("team/a-b.py"));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 30 }), { minLength: 2, maxLength: 20 }),
        (paths) => {
          assert.equal(new Set(paths.map(dagObjectName)).size, paths.length);
          for (const p of paths) assert.match(dagObjectName(p), /^dag-[A-Za-z0-9-]*-[0-9a-f]{8}$/);
        },
      ),
    );
  });

  it("reports missing files by config key", () => {
    const problems = missingAssetProblems({
      bucket: "b",
      dagS3Path: "dags",
      dagsFolder: path.join(folder, "missing"),
      pluginsZip: path.join(folder, "plugins.zip"),
      airflowVersion: "2.11.0",
      pythonVersion: "3.11",
    });
    assert.match(problems[0], /mwaa-migration:dagsFolder .* is not a folder/);
    assert.match(problems[1], /mwaa-migration:pluginsZip .* does not exist/);
  });
});
