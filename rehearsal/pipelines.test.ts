import { strict as assert } from "assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  boundedLines,
  convertForRehearsal,
  generatedDagHashes,
  pipelineRuns,
  taskSummary,
} from "./pipelines";

const EXAMPLES = path.join(__dirname, "..", "examples", "pipelines");

describe("rehearsal --pipelines", () => {
  it("converts the example folder for the target, as the stack converts pipelineDefinitions", () => {
    const pipelines = convertForRehearsal(EXAMPLES, "3.3.2", new Date("2027-01-04T00:00:00Z"));
    assert.deepEqual(pipelines.map((p) => p.dagFile).sort(), [
      "datapipeline/hourly_clicks.py",
      "datapipeline/nightly_log_archive.py",
      "datapipeline/sessions_backup.py",
    ]);
    const hashes = generatedDagHashes(pipelines);
    assert.match(hashes["datapipeline/hourly_clicks.py"], /^[0-9a-f]{64}$/);
  });

  it("stops before anything starts on a definition that does not convert, naming the file and the fault", () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "pipelines-"));
    fs.copyFileSync(path.join(EXAMPLES, "hourly-clicks.json"), path.join(folder, "hourly-clicks.json"));
    fs.writeFileSync(
      path.join(folder, "broken.json"),
      JSON.stringify({ objects: [{ id: "Copy", name: "Copy", type: "TeleportActivity" }] }),
    );
    assert.throws(
      () => convertForRehearsal(folder, "2.11.0", new Date()),
      (e: Error) =>
        /--pipelines .*: 1 definition did not convert/.test(e.message) &&
        /broken\.json .*Copy.*TeleportActivity|broken\.json .*TeleportActivity/s.test(e.message),
    );
    assert.throws(
      () => convertForRehearsal(path.join(folder, "nope"), "2.11.0", new Date()),
      /is not a folder/,
    );
  });

  it("reports each pipeline's run, a DAG the runner skipped as not run, and what the run bounded", () => {
    const pipelines = convertForRehearsal(EXAMPLES, "2.11.0", new Date("2027-01-04T00:00:00Z"));
    const runs = pipelineRuns(pipelines, {
      nightly_log_archive: {
        state: "failed",
        tasks: { wait_for_raw_logs: "failed", archive_logs: "upstream_failed", notify: "success" },
        bounded: { archive_logs: ["retries 3 -> 0"] },
      },
    });
    const nightly = runs.find((r) => r.dagId === "nightly_log_archive")!;
    assert.equal(
      taskSummary(nightly),
      "1 of 3 tasks succeeded; failed: wait_for_raw_logs; upstream_failed: archive_logs",
    );
    const hourly = runs.find((r) => r.dagId === "hourly_clicks")!;
    assert.equal(hourly.state, "not run");
    assert.match(taskSummary(hourly), /reported nothing/);
    assert.deepEqual(boundedLines(runs), ["nightly_log_archive.archive_logs: retries 3 -> 0"]);
  });
});
