import * as assert from "assert";
import { DefinitionError, parseDefinition } from "./definition";
import { jodaToStrftime, pipelineParameters, splitExpressions, TimeModel, Translator } from "./expressions";
import { Pipeline } from "./objects";

const TIMESERIES: TimeModel = { scheduledStart: "data_interval_start", scheduledEnd: "data_interval_end" };

function translator(extra: object[] = [], parameters: object[] = [], values: object = {}) {
  const pipeline = new Pipeline(
    parseDefinition({
      objects: [
        { id: "Default", name: "Default" },
        {
          id: "In",
          name: "In",
          type: "S3DataNode",
          directoryPath: "s3://in/#{format(@scheduledStartTime,'YYYY')}",
        },
        { id: "Run", name: "Run", type: "ShellCommandActivity", command: "x", input: { ref: "In" } },
        ...extra,
      ],
      parameters,
      values,
    }),
  );
  const t = new Translator({ pipeline, parameters: pipelineParameters(pipeline), time: TIMESERIES });
  const run = pipeline.byId.get("Run")!;
  return { t, run, pipeline };
}

describe("datapipeline expressions", () => {
  it("turns Joda-Time patterns into strftime formats", () => {
    assert.strictEqual(jodaToStrftime("YYYY-MM-dd"), "%Y-%m-%d");
    assert.strictEqual(jodaToStrftime("yyyy-MM-dd'T'HH:mm:ss"), "%Y-%m-%dT%H:%M:%S");
    assert.strictEqual(jodaToStrftime("MMMM yyyy, EEE d"), "%B %Y, %a %-d");
    assert.strictEqual(jodaToStrftime("DDD HH:mm z"), "%j %H:%M %Z");
    assert.strictEqual(jodaToStrftime("'at' h a"), "at %-I %p");
    assert.strictEqual(jodaToStrftime("100%"), "100%%");
    assert.strictEqual(jodaToStrftime("HH:mm:ss.SSS"), undefined);
  });

  it("splits text and #{...} expressions, quotes and commas inside included", () => {
    const fail = (why: string): never => {
      throw new Error(why);
    };
    assert.deepStrictEqual(splitExpressions("a/#{format(@x,'a}b')}/c", fail), [
      { literal: "a/" },
      { expression: "format(@x,'a}b')" },
      { literal: "/c" },
    ]);
    assert.throws(() => splitExpressions("a #{b", fail), /unterminated/);
  });

  it("translates the run-time fields, the date-time functions and arithmetic to Jinja", () => {
    const { t, run } = translator();
    const cases: [string, string][] = [
      ["#{@scheduledStartTime}", "{{ data_interval_start.strftime('%Y-%m-%dT%H:%M:%S') }}"],
      ["#{format(@scheduledEndTime,'YYYY-MM-dd')}", "{{ data_interval_end.strftime('%Y-%m-%d') }}"],
      [
        "#{format(plusDays(@scheduledStartTime,1),'dd')}",
        "{{ (data_interval_start + macros.timedelta(days=1)).strftime('%d') }}",
      ],
      [
        "#{format(minusHours(@scheduledStartTime, 6),'HH')}",
        "{{ (data_interval_start - macros.timedelta(hours=6)).strftime('%H') }}",
      ],
      [
        "#{format(plusMonths(@scheduledStartTime,1),'MM')}",
        "{{ (data_interval_start + macros.dateutil.relativedelta.relativedelta(months=1)).strftime('%m') }}",
      ],
      ["#{format(@actualStartTime,'HH:mm')}", "{{ ti.start_date.strftime('%H:%M') }}"],
      ["#{day(@scheduledStartTime) * 2 + 1}", "{{ ((data_interval_start.day * 2) + 1) }}"],
      ["#{2 ^ 3}", "{{ (2 ** 3) }}"],
      ["#{@pipelineId}-#{id}", "{{ dag.dag_id }}-{{ 'Run' }}"],
      ["#{input.directoryPath}/part", "s3://in/{{ data_interval_start.strftime('%Y') }}/part"],
      ["plain {{ text }}", "{{ 'plain {{ text }}' }}"],
    ];
    for (const [text, jinja] of cases) assert.strictEqual(t.template(run, "command", text), jinja, text);
  });

  it("reads parameters from the DAG's params, their values from parameterValues, else the default", () => {
    const { t, run, pipeline } = translator(
      [],
      [
        { id: "myBucket", type: "String", default: "fallback" },
        { id: "myDays", type: "Integer", default: "3" },
        { id: "myArgs", type: "String", isArray: "true" },
      ],
      { myBucket: "given", myArgs: ["a", "b"] },
    );
    assert.strictEqual(t.template(run, "command", "s3://#{myBucket}/x"), "s3://{{ params.myBucket }}/x");
    assert.strictEqual(
      t.template(run, "command", "#{format(minusDays(@scheduledStartTime,myDays),'YYYY')}"),
      "{{ (data_interval_start - macros.timedelta(days=params.myDays)).strftime('%Y') }}",
    );
    assert.strictEqual(t.static(run, "role", "#{myBucket}-role"), "given-role");
    assert.strictEqual(t.static(run, "x", "#{myDays + 1}"), "4");
    assert.deepStrictEqual(t.templateList(run, "scriptArgument", ["#{myArgs}", "c"]), ["a", "b", "c"]);
    assert.strictEqual(pipelineParameters(pipeline).get("myBucket")?.values[0], "given");
  });

  it("knows node. in a precondition and in an alarm, where node is the reporting task", () => {
    const { t, run, pipeline } = translator([
      { id: "Check", name: "Check", type: "S3KeyExists", s3Key: "x" },
    ]);
    const check = pipeline.byId.get("Check")!;
    assert.strictEqual(
      t.template(check, "s3Key", "#{node.input.directoryPath}/_SUCCESS", { node: run }),
      "s3://in/{{ data_interval_start.strftime('%Y') }}/_SUCCESS",
    );
    assert.strictEqual(
      t.template(check, "message", "#{node.name} failed: #{node.errorMessage}", { callback: true }),
      "{{ ti.task_id }} failed: {{ exception }}",
    );
  });

  it("fails on what it does not know, naming the object and the field", () => {
    const { t, run } = translator([], [{ id: "myKnown", type: "String", default: "x" }]);
    const cases: [string, string][] = [
      ["#{formatDate(@scheduledStartTime)}", "unknown function formatDate()"],
      ["#{myMissing}", "unknown parameter myMissing"],
      ["#{@scheduledMidTime}", "unknown name @scheduledMidTime"],
      ["#{format(@scheduledStartTime,'ss.SSS')}", "strftime cannot print"],
      ["#{format(@scheduledStartTime)}", "takes 2 arguments"],
      ["#{plusDays('x', 1)}", "takes a date-time"],
      ["#{format(@scheduledStartTime,'YYYY'", "unterminated"],
      ["#{output.directoryPath}", "output is not a reference field"],
      ["#{@actualEndTime}", "only known once the object has finished"],
    ];
    for (const [text, says] of cases) {
      assert.throws(
        () => t.template(run, "command", text),
        (e: Error) =>
          e instanceof DefinitionError &&
          e.objectId === "Run" &&
          e.field === "command" &&
          e.message.includes(says),
        `${text} should fail with "${says}"`,
      );
    }
    assert.throws(() => t.static(run, "period", "#{@scheduledStartTime}"), /cannot take an Airflow template/);
  });

  it("stops on fields that refer to each other in a cycle", () => {
    const { t, pipeline } = translator([
      {
        id: "Loop",
        name: "Loop",
        type: "S3DataNode",
        filePath: "#{directoryPath}",
        directoryPath: "#{filePath}",
      },
    ]);
    assert.throws(() => t.template(pipeline.byId.get("Loop")!, "filePath", "#{directoryPath}"), /cycle/);
  });
});
