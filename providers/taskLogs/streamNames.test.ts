import * as assert from "node:assert/strict";
import fc from "fast-check";
import {
  DEFAULT_LOG_TEMPLATE,
  LEGACY_LOG_TEMPLATE,
  TaskInstanceLogKey,
  logTemplateFor,
  pythonIsoformat,
  renderStreamName,
  streamPairsFor,
} from "./streamNames";

const id = fc.stringMatching(/^[A-Za-z0-9_.-]{1,40}$/);
const runId = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_.+:-]{1,60}$/),
  fc
    .date({ min: new Date("2000-01-01"), max: new Date("2090-01-01"), noInvalidDate: true })
    .map((d) => `scheduled__${d.toISOString().slice(0, 19)}+00:00`),
);
const key: fc.Arbitrary<TaskInstanceLogKey> = fc.record({
  dagId: id,
  taskId: id,
  runId,
  mapIndex: fc.integer({ min: -1, max: 5000 }),
  tryNumber: fc.integer({ min: 1, max: 50 }),
  logicalDate: fc
    .date({ min: new Date("2000-01-01"), max: new Date("2090-01-01"), noInvalidDate: true })
    .map((d) => d.toISOString()),
});

describe("task log stream names", () => {
  it("follow Airflow's templates: 2.0-2.2 by date, 2.3+ by run id, with ':' written as '_'", () => {
    const ti = {
      dagId: "etl",
      taskId: "load",
      runId: "scheduled__2024-03-01T00:00:00+00:00",
      mapIndex: -1,
      tryNumber: 2,
      logicalDate: "2024-03-01T00:00:00.000Z",
    };
    assert.equal(renderStreamName(ti, logTemplateFor("2.2.5")), "etl/load/2024-03-01T00_00_00+00_00/2.log");
    assert.equal(
      renderStreamName(ti, logTemplateFor("2.8.1")),
      "dag_id=etl/run_id=scheduled__2024-03-01T00_00_00+00_00/task_id=load/attempt=2.log",
    );
    assert.equal(
      renderStreamName({ ...ti, mapIndex: 3 }, logTemplateFor("3.0.6")),
      "dag_id=etl/run_id=scheduled__2024-03-01T00_00_00+00_00/task_id=load/map_index=3/attempt=2.log",
    );
  });

  it("write the date as Python's isoformat (microseconds only when present)", () => {
    assert.equal(pythonIsoformat("2024-01-02T03:04:05Z"), "2024-01-02T03:04:05+00:00");
    assert.equal(pythonIsoformat("2024-01-02T03:04:05.120Z"), "2024-01-02T03:04:05.120000+00:00");
    assert.equal(pythonIsoformat("2024-01-02T03:04:05.123456+00:00"), "2024-01-02T03:04:05.123456+00:00");
  });

  it("refuse a mapped task for a template without a map index, naming the task", () => {
    assert.throws(
      () =>
        renderStreamName(
          {
            dagId: "d",
            taskId: "t",
            runId: "r",
            mapIndex: 0,
            tryNumber: 1,
            logicalDate: "2024-01-01T00:00:00Z",
          },
          LEGACY_LOG_TEMPLATE,
        ),
      /d\.t map_index 0/,
    );
  });

  it("never contain ':' and keep every key field readable in the 2.3+ name", () => {
    fc.assert(
      fc.property(key, (ti) => {
        const name = renderStreamName(ti, DEFAULT_LOG_TEMPLATE);
        assert.ok(!name.includes(":"));
        const match =
          /^dag_id=([^/]+)\/run_id=([^/]+)\/task_id=([^/]+)\/(?:map_index=(\d+)\/)?attempt=(\d+)\.log$/.exec(
            name,
          );
        assert.ok(match, name);
        assert.equal(match[1], ti.dagId);
        assert.equal(match[2], ti.runId.replace(/:/g, "_"));
        assert.equal(match[3], ti.taskId);
        assert.equal(Number(match[4] ?? -1), ti.mapIndex);
        assert.equal(Number(match[5]), ti.tryNumber);
      }),
    );
  });

  it("give distinct task instances distinct target streams", () => {
    fc.assert(
      fc.property(key, key, (a, b) => {
        const differ =
          a.dagId !== b.dagId ||
          a.taskId !== b.taskId ||
          a.runId.replace(/:/g, "_") !== b.runId.replace(/:/g, "_") ||
          a.mapIndex !== b.mapIndex ||
          a.tryNumber !== b.tryNumber;
        if (differ)
          assert.notEqual(
            renderStreamName(a, DEFAULT_LOG_TEMPLATE),
            renderStreamName(b, DEFAULT_LOG_TEMPLATE),
          );
      }),
    );
  });

  it("pair one source and one target stream per try, from the same key", () => {
    fc.assert(
      fc.property(key, (ti) => {
        const unmapped = { ...ti, mapIndex: -1 };
        const pairs = streamPairsFor(unmapped, LEGACY_LOG_TEMPLATE, DEFAULT_LOG_TEMPLATE);
        assert.equal(pairs.length, ti.tryNumber);
        pairs.forEach((pair, i) => {
          assert.ok(pair.source.endsWith(`/${i + 1}.log`));
          assert.ok(pair.target.endsWith(`/attempt=${i + 1}.log`));
          assert.ok(pair.source.startsWith(`${ti.dagId}/${ti.taskId}/`));
        });
      }),
    );
  });
});
