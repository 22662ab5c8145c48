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
  withTriggerStreams,
  writesTriggerStreams,
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

/**
 * Airflow's own default `[logging] log_filename_template`, verbatim from config.yml (the same text in
 * 3.0 through 3.3.2; `%%` there is configparser's escape for `%`), and a reading of the three Jinja constructs
 * it uses, so the names below are checked against Airflow's template rather than against our placeholders.
 */
const AIRFLOW_3_LOG_FILENAME_TEMPLATE =
  "dag_id={{ ti.dag_id }}/run_id={{ ti.run_id }}/task_id={{ ti.task_id }}/" +
  "{% if ti.map_index >= 0 %}map_index={{ ti.map_index }}/{% endif %}" +
  "attempt={{ try_number|default(ti.try_number) }}.log";

function renderAirflowTemplate(template: string, ti: TaskInstanceLogKey): string {
  const fields: Record<string, string> = {
    "ti.dag_id": ti.dagId,
    "ti.run_id": ti.runId,
    "ti.task_id": ti.taskId,
    "ti.map_index": String(ti.mapIndex),
    "try_number|default(ti.try_number)": String(ti.tryNumber),
  };
  return template
    .replace(/\{% if ti\.map_index >= 0 %\}(.*?)\{% endif %\}/g, (_, body: string) =>
      ti.mapIndex >= 0 ? body : "",
    )
    .replace(/\{\{ (.+?) \}\}/g, (_, field: string) => {
      assert.ok(field in fields, `unexpected template field ${field}`);
      return fields[field];
    });
}

const AIRFLOW_3_VERSIONS = ["3.0.6", "3.1.0", "3.2.1", "3.3.1", "3.3.2"];

describe("task log stream names on Airflow 3", () => {
  it("are Airflow's default log file name with ':' written as '_', mapped or not, for every 3.x version", () => {
    fc.assert(
      fc.property(key, fc.constantFrom(...AIRFLOW_3_VERSIONS), fc.boolean(), (ti, version, dateless) => {
        const run = dateless ? { ...ti, logicalDate: null } : ti;
        assert.equal(
          renderStreamName(run, logTemplateFor(version)),
          renderAirflowTemplate(AIRFLOW_3_LOG_FILENAME_TEMPLATE, run).replace(/:/g, "_"),
        );
      }),
    );
  });

  it("name each try of a mapped task instance by its map index and attempt", () => {
    const ti = {
      dagId: "fan_out",
      taskId: "square",
      runId: "manual__2026-02-01T08:30:00.123456+00:00",
      mapIndex: 12,
      tryNumber: 3,
      logicalDate: null,
    };
    assert.deepEqual(
      streamPairsFor(ti, logTemplateFor("3.0.6"), logTemplateFor("3.3.1")).map((pair) => pair.target),
      [1, 2, 3].map(
        (n) =>
          `dag_id=fan_out/run_id=manual__2026-02-01T08_30_00.123456+00_00/task_id=square/map_index=12/attempt=${n}.log`,
      ),
    );
  });

  it("need no logical date, but a template that names logs by date refuses a run without one", () => {
    const dateless = { ...tiOf("asset_driven", "load"), runId: "asset_triggered__2026-03-01T00:00:00+00:00" };
    assert.equal(
      renderStreamName(dateless, logTemplateFor("3.3.1")),
      "dag_id=asset_driven/run_id=asset_triggered__2026-03-01T00_00_00+00_00/task_id=load/attempt=1.log",
    );
    assert.throws(
      () => renderStreamName(dateless, LEGACY_LOG_TEMPLATE),
      /task asset_driven\.load of run asset_triggered__2026-03-01T00:00:00\+00:00 has no logical date/,
    );
  });

  it("have triggerer streams from 3.0 on only", () => {
    assert.deepEqual(["2.2.5", "2.8.1", "2.11.0", "3.0.6", "3.3.1"].map(writesTriggerStreams), [
      false,
      false,
      false,
      true,
      true,
    ]);
  });

  it("pair each try's triggerer streams, and only its own, with the target name plus the same suffix", () => {
    const tryName = fc.record({ ti: key, version: fc.constantFrom(...AIRFLOW_3_VERSIONS) });
    fc.assert(
      fc.property(
        fc.uniqueArray(tryName, {
          minLength: 1,
          maxLength: 6,
          selector: ({ ti }) => renderStreamName(ti, DEFAULT_LOG_TEMPLATE),
        }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 99_999 })), { maxLength: 12 }),
        (tries, triggers) => {
          const pairs = tries.map(({ ti, version }) => ({
            key: ti,
            source: renderStreamName(ti, logTemplateFor(version)),
            target: renderStreamName({ ...ti, dagId: `moved_${ti.dagId}` }, DEFAULT_LOG_TEMPLATE),
          }));
          const written = triggers.map(
            ([which, job]) => `${pairs[which % pairs.length].source}.trigger.${job}.log`,
          );
          const noise = pairs.flatMap((pair) => [
            `${pair.source}.trigger.log`,
            `${pair.source}.trigger.x1.log`,
            `${pair.source}1.trigger.7.log`,
            pair.source,
          ]);
          const result = withTriggerStreams(pairs, [...noise, ...written]);
          assert.equal(result.length, pairs.length + new Set(written).size);
          let current = -1;
          for (const pair of result) {
            const own = pairs.indexOf(pair);
            if (own >= 0) {
              assert.equal(own, current + 1, "the tries keep their order");
              current = own;
              continue;
            }
            const base = pairs[current];
            const suffix = pair.source.slice(base.source.length);
            assert.match(suffix, /^\.trigger\.\d+\.log$/);
            assert.ok(pair.source.startsWith(base.source) && written.includes(pair.source));
            assert.equal(pair.target, base.target + suffix);
            assert.equal(pair.key, base.key);
          }
        },
      ),
    );
  });
});

function tiOf(dagId: string, taskId: string): TaskInstanceLogKey {
  return { dagId, taskId, runId: "r", mapIndex: -1, tryNumber: 1, logicalDate: null };
}
