import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { convertPipelineFolder } from "./folder";

const FIXTURES = path.join(__dirname, "fixtures");

function folderWith(files: string[], from = FIXTURES): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "pipelines-"));
  for (const file of files) fs.copyFileSync(path.join(from, file), path.join(folder, path.basename(file)));
  return folder;
}

describe("a folder of pipeline definitions for the stack", () => {
  it("converts each definition into a DAG file under datapipeline/, the same bytes every time", () => {
    const folder = folderWith(["s3-copy-daily.json", "emr-steps.json"]);
    const first = convertPipelineFolder(folder, "3.3.2");
    assert.deepEqual(first.problems, []);
    assert.deepEqual(
      first.pipelines.map((p) => p.definition),
      ["emr-steps.json", "s3-copy-daily.json"],
    );
    for (const p of first.pipelines) {
      assert.equal(p.dagFile, `datapipeline/${p.dagId}.py`);
      assert.match(p.content, new RegExp(`dag_id="${p.dagId}"|"${p.dagId}"`));
      assert.ok(p.converted > 0, p.definition);
    }
    assert.deepEqual(convertPipelineFolder(folder, "3.3.2"), first, "a second preview gives the same files");
  });

  it("asks for an activation time rather than converting 'now' into a DAG that changes at every preview", () => {
    const folder = folderWith(["first-activation.json", "s3-copy-daily.json"]);
    const without = convertPipelineFolder(folder, "2.11.0");
    assert.equal(without.pipelines.length, 1);
    assert.match(
      without.problems[0],
      /first-activation\.json starts at its first activation .*pipelineActivationTime/,
    );
    const withTime = convertPipelineFolder(folder, "2.11.0", {
      activationTime: new Date("2027-01-04T00:00:00Z"),
    });
    assert.deepEqual(withTime.problems, []);
    assert.equal(withTime.pipelines.length, 2);
  });

  it("names the file and the reason of a broken definition, an empty folder and a missing one", () => {
    const broken = folderWith(["dangling-ref.json"], path.join(FIXTURES, "broken"));
    const [problem] = convertPipelineFolder(broken, "2.11.0").problems;
    assert.match(
      problem,
      /^mwaa-migration:pipelineDefinitions: dangling-ref\.json is not a valid definition: /,
    );
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "pipelines-"));
    assert.match(convertPipelineFolder(empty, "2.11.0").problems[0], /holds no \*\.json definition/);
    assert.match(convertPipelineFolder(path.join(empty, "nope"), "2.11.0").problems[0], /is not a folder/);
  });
});
