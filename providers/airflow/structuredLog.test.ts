import * as assert from "node:assert/strict";
import { logText } from "./restClient";
import { structuredLogLine } from "./structuredLog";

// Shapes as Airflow 3.3's log endpoint returns them (trimmed), read back from CloudWatch.
const frame = (filename: string, lineno: number, name: string) => ({ filename, lineno, name });
const failedTaskLine = {
  timestamp: "2026-11-24T05:54:29.524000Z",
  event: "Task failed with exception",
  logger: "task",
  level: "error",
  error_detail: [
    {
      exc_type: "RuntimeError",
      exc_value: "probe asked to fail",
      exc_notes: [],
      syntax_error: null,
      is_cause: false,
      frames: [
        frame("/venv/airflow/sdk/execution_time/task_runner.py", 1579, "_run_task_and_map_outcome"),
        frame("/dags/airflow3_probe.py", 13, "say"),
      ],
      is_group: false,
      exceptions: [],
    },
  ],
};

describe("structured log lines of Airflow 3 (API v2)", () => {
  it("renders a plain line as its event and a string as itself", () => {
    assert.equal(structuredLogLine({ timestamp: "t", event: "probe line 4", level: "info" }), "probe line 4");
    assert.equal(structuredLogLine("already text"), "already text");
  });

  it("renders a failed task's error_detail as a Python traceback under the event", () => {
    assert.equal(
      structuredLogLine(failedTaskLine),
      [
        "Task failed with exception",
        "Traceback (most recent call last):",
        '  File "/venv/airflow/sdk/execution_time/task_runner.py", line 1579, in _run_task_and_map_outcome',
        '  File "/dags/airflow3_probe.py", line 13, in say',
        "RuntimeError: probe asked to fail",
      ].join("\n"),
    );
  });

  it("prints a chain of exceptions cause first, with Python's link sentence", () => {
    const outer = { exc_type: "AirflowException", exc_value: "export failed", is_cause: false, frames: [] };
    const cause = {
      exc_type: "KeyError",
      exc_value: "'dag_id'",
      is_cause: true,
      frames: [frame("/x.py", 3, "f")],
    };
    const text = structuredLogLine({ event: "Task failed with exception", error_detail: [outer, cause] });
    assert.equal(
      text,
      [
        "Task failed with exception",
        "Traceback (most recent call last):",
        '  File "/x.py", line 3, in f',
        "KeyError: 'dag_id'",
        "",
        "The above exception was the direct cause of the following exception:",
        "",
        "AirflowException: export failed",
      ].join("\n"),
    );
  });

  it("keeps the traceback in the text of a whole v2 log answer", () => {
    const body = { content: [{ event: "::group::Pre Execute" }, failedTaskLine], continuation_token: null };
    assert.match(
      logText(body),
      /::group::Pre Execute\nTask failed with exception\nTraceback[^]*probe asked to fail$/,
    );
  });
});
