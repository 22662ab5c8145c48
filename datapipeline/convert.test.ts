import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { AIRFLOW_VERSIONS } from "./airflow";
import { convertDefinition, ConvertOptions, DEFAULT_OPTIONS } from "./convert";
import { DefinitionError } from "./definition";
import { BROKEN, FIXTURES, fixtureNames, loadFixture } from "./fixtures/load";
import { ACTIVITY_TYPES, DATA_NODE_TYPES, PRECONDITION_TYPES } from "./objects";
import { DagPlan, Py, TaskPlan } from "./plan";
import { renderDag } from "./render";

const ACTIVATION = new Date("2025-01-01T00:00:00Z");

function convert(name: string, options: Partial<ConvertOptions> = {}): DagPlan {
  return convertDefinition(loadFixture(name), {
    ...DEFAULT_OPTIONS,
    pipelineName: name,
    source: `file ${name}.json`,
    activationTime: ACTIVATION,
    ...options,
  });
}

const task = (plan: DagPlan, taskId: string): TaskPlan => {
  const found = plan.tasks.find((t) => t.taskId === taskId);
  assert.ok(found, `${plan.dagId} has no task ${taskId}: ${plan.tasks.map((t) => t.taskId).join(", ")}`);
  return found;
};
const arg = (plan: DagPlan, taskId: string, key: string): Py | undefined =>
  task(plan, taskId).args.find(([k]) => k === key)?.[1];
const code = (py: Py | undefined) =>
  py && py.py === "code" ? py.code : py && py.py === "num" ? String(py.value) : undefined;
const edges = (plan: DagPlan) => plan.edges.map(([u, d]) => `${u} >> ${d}`).sort();
const outcome = (plan: DagPlan, id: string) => plan.outcomes.find((o) => o.objectId === id)!;

describe("datapipeline conversion: the corpus", () => {
  it("has at least 15 definitions, in both shapes, with parameters and expressions", () => {
    const names = fixtureNames();
    assert.ok(names.length >= 15, `${names.length} definitions`);
    const raw = names.map((n) => fs.readFileSync(path.join(FIXTURES, `${n}.json`), "utf8"));
    assert.ok(
      raw.some((text) => text.includes('"pipelineObjects"')),
      "an API-shape definition",
    );
    assert.ok(
      raw.some((text) => text.includes('"parameters"') && text.includes('"values"')),
      "parameters with values",
    );
    assert.ok(
      raw.every((text) => text.includes("#{")),
      "expressions in every definition",
    );
  });

  it("covers every object type and schedule feature the converter claims", () => {
    const types = new Set<string>();
    const features = new Set<string>();
    for (const name of fixtureNames()) {
      const definition = loadFixture(name);
      for (const object of definition.objects) {
        for (const value of object.fields.type ?? []) if ("string" in value) types.add(value.string);
        for (const key of [
          "startAt",
          "endDateTime",
          "occurrences",
          "lateAfterTimeout",
          "onLateAction",
          "onSuccess",
          "onFail",
        ]) {
          if (object.fields[key]) features.add(key);
        }
        for (const value of object.fields.scheduleType ?? [])
          if ("string" in value) features.add(value.string);
      }
    }
    const wanted = [
      ...ACTIVITY_TYPES,
      ...DATA_NODE_TYPES,
      ...PRECONDITION_TYPES,
      "Schedule",
      "Ec2Resource",
      "EmrCluster",
      "SnsAlarm",
      "Terminate",
      "JdbcDatabase",
      "RdsDatabase",
      "RedshiftDatabase",
      "EmrConfiguration",
      "Property",
      "ShellScriptConfig",
    ];
    assert.deepStrictEqual(
      wanted.filter((t) => !types.has(t)),
      [],
      "object types no definition uses",
    );
    for (const feature of [
      "cron",
      "timeseries",
      "ondemand",
      "startAt",
      "endDateTime",
      "occurrences",
      "lateAfterTimeout",
      "onLateAction",
      "onSuccess",
      "onFail",
    ]) {
      assert.ok(features.has(feature), feature);
    }
  });

  for (const version of AIRFLOW_VERSIONS) {
    it(`converts every definition for Airflow ${version}, an outcome for each object and a unique id for each task`, () => {
      for (const name of fixtureNames()) {
        const plan = convert(name, { airflowVersion: version });
        const definition = loadFixture(name);
        assert.deepStrictEqual(
          plan.outcomes.map((o) => o.objectId).sort(),
          definition.objects.map((o) => o.id).sort(),
          name,
        );
        const ids = plan.tasks.map((t) => t.taskId);
        assert.strictEqual(new Set(ids).size, ids.length, name);
        for (const t of plan.tasks) assert.match(t.taskId, /^[a-z][a-z0-9_]*$/, `${name}: ${t.taskId}`);
        const text = renderDag(plan);
        assert.ok(text.includes(`dag_id="${plan.dagId}"`), name);
      }
    });
  }

  it("never writes an encrypted field (a password) into a DAG", () => {
    for (const name of fixtureNames()) {
      for (const version of AIRFLOW_VERSIONS) {
        assert.ok(
          !renderDag(convert(name, { airflowVersion: version })).includes("not-a-real-password"),
          name,
        );
      }
    }
  });
});

describe("datapipeline conversion: broken definitions", () => {
  const expected: Record<string, [string, string, string]> = {
    "unknown-type": ["Copy", "type", 'unknown object type "S3CopyActivity"'],
    "dangling-ref": ["Copy", "output", 'refers to "Missing", which is not defined'],
    "dependson-cycle": ["A", "dependsOn", "cycle: A -> B -> C -> A"],
    "bad-period": ["Fortnightly", "period", 'bad period "1 fortnight"'],
    "period-too-short": ["Often", "period", "shortest is 15 minutes"],
    "unknown-function": ["Run", "command", "unknown function formatDate()"],
    "unknown-parameter": ["Out", "directoryPath", "unknown parameter myBucket"],
    "unknown-runtime-field": ["Run", "command", "unknown name @scheduledMidTime"],
    "bad-format-pattern": ["Run", "command", "strftime cannot print"],
    "bad-start": ["Daily", "startDateTime", "bad date-time"],
    "parent-cycle": ["P1", "parent", "cycle"],
    "missing-required": ["Load", "database", "needs a database"],
  };
  it("has a stated error for every broken definition", () => {
    const files = fs.readdirSync(BROKEN).map((f) => f.replace(/\.json$/, ""));
    assert.deepStrictEqual(files.sort(), Object.keys(expected).sort());
  });
  for (const [name, [objectId, field, says]] of Object.entries(expected)) {
    it(`${name}: names object ${objectId}, field ${field}`, () => {
      assert.throws(
        () =>
          convertDefinition(loadFixture(name, BROKEN), {
            ...DEFAULT_OPTIONS,
            pipelineName: name,
            source: name,
          }),
        (e: Error) =>
          e instanceof DefinitionError &&
          e.objectId === objectId &&
          e.field === field &&
          e.message.includes(says) &&
          e.message.startsWith(`object "${objectId}", field "${field}": `),
      );
    });
  }
});

describe("datapipeline conversion: graphs", () => {
  it("waits for a data node's precondition before the activity that reads it", () => {
    const plan = convert("s3-copy-daily");
    assert.deepStrictEqual(plan.tasks.map((t) => `${t.taskId}:${t.operator}`).sort(), [
      "archive_logs:S3CopyObjectOperator",
      "wait_for_raw_logs_arrived:S3KeySensor",
    ]);
    assert.deepStrictEqual(edges(plan), ["wait_for_raw_logs_arrived >> archive_logs"]);
  });

  it("chains writer, precondition sensor and reader of the same data node", () => {
    const plan = convert("copy-s3-sql");
    assert.deepStrictEqual(edges(plan), [
      "load_customers >> wait_for_staging_table_exists",
      "wait_for_staging_table_exists >> extract_country",
    ]);
    assert.strictEqual(task(plan, "wait_for_staging_table_exists").operator, "SqlSensor");
  });

  it("follows dependsOn, one edge per dependency", () => {
    const plan = convert("sql-activity-weekly");
    assert.deepStrictEqual(edges(plan), [
      "roll_up_sales >> refresh_dashboards",
      "roll_up_sales >> vacuum",
      "vacuum >> refresh_dashboards",
    ]);
  });

  it("sets an EMR cluster up before its steps and tears it down after the last wait", () => {
    const plan = convert("emr-steps");
    assert.deepStrictEqual(edges(plan), [
      "aggregate >> wait_for_aggregate",
      "create_spark_cluster >> aggregate",
      "create_spark_cluster >> sessionise",
      "create_spark_cluster >> terminate_spark_cluster",
      "create_spark_cluster >> wait_for_aggregate",
      "create_spark_cluster >> wait_for_sessionise",
      "sessionise >> wait_for_sessionise",
      "wait_for_aggregate >> terminate_spark_cluster",
      "wait_for_sessionise >> aggregate",
      "wait_for_sessionise >> terminate_spark_cluster",
    ]);
    assert.strictEqual(task(plan, "terminate_spark_cluster").teardownOf, "create_spark_cluster");
    assert.strictEqual(
      code(arg(plan, "wait_for_aggregate", "timeout")),
      "timedelta(hours=2)",
      "attemptTimeout",
    );
    assert.strictEqual(
      code(arg(plan, "wait_for_sessionise", "timeout")),
      "timedelta(hours=3)",
      "terminateAfter",
    );
    const text = renderDag(plan);
    assert.match(text, /"Args": \["spark-submit", "s3:\/\/example-jobs\/check.py", "--filters", "a,b"\]/);
    assert.match(text, /terminate_spark_cluster\.as_teardown\(setups=create_spark_cluster\)/);
  });

  it("stages Hive tables from the data nodes' formats and runs Pig and Hadoop steps in order", () => {
    const plan = convert("hive-pig-hadoop");
    assert.ok(edges(plan).includes("wait_for_rank_pages >> clean_pages"));
    assert.ok(edges(plan).includes("wait_for_clean_pages >> index_pages"));
    const text = renderDag(plan);
    assert.match(
      text,
      /CREATE EXTERNAL TABLE rank_pages_input1 \(url STRING, views BIGINT\) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\\\t'/,
    );
    assert.match(text, /"input1=rank_pages_input1"/);
    assert.match(text, /"topN=\{\{ params.myTopN \}\}"/);
    assert.match(
      text,
      /"pig-script",\s+"--run-pig-script",\s+"--args",\s+"-f",\s+"s3:\/\/example-scripts\/pig\/clean-pages.pig"/,
    );
    assert.match(text, /"MainClass": "com.example.Indexer"/);
    assert.deepStrictEqual(plan.params.find((p) => p.id === "myTopN")?.value, { py: "num", value: 250 });
  });
});

describe("datapipeline conversion: retries, timeouts and alarms", () => {
  it("puts the Default object's settings in default_args and an activity's own beside its task", () => {
    const plan = convert("shell-staging");
    assert.deepStrictEqual(
      plan.defaultArgs.map(([k, v]) => `${k}=${code(v)}`),
      ["retries=2", "retry_delay=timedelta(minutes=15)"],
    );
    assert.strictEqual(code(arg(plan, "summarise_orders", "retries")), "4");
    assert.strictEqual(code(arg(plan, "summarise_orders", "execution_timeout")), "timedelta(minutes=30)");
    assert.strictEqual(arg(plan, "clean_up", "retries"), undefined, "inherits default_args");
  });

  it("inherits from parent objects before Default", () => {
    const plan = convert("parents-and-defaults");
    assert.deepStrictEqual(
      plan.defaultArgs.map(([k, v]) => `${k}=${code(v)}`),
      ["execution_timeout=timedelta(hours=1)"],
    );
    assert.strictEqual(code(arg(plan, "extract_accounts", "retries")), "5");
    assert.strictEqual(code(arg(plan, "extract_accounts", "retry_delay")), "timedelta(minutes=2)");
    assert.strictEqual(code(arg(plan, "transform_accounts", "execution_timeout")), "timedelta(minutes=20)");
    assert.strictEqual(code(arg(plan, "load_accounts", "retries")), "0");
    for (const t of ["extract_accounts", "transform_accounts", "load_accounts"]) {
      assert.strictEqual(arg(plan, t, "on_failure_callback")?.py, "call");
    }
    assert.match(
      renderDag(plan),
      /aws_conn_id="aws_default",\n\s+target_arn="arn:aws:sns:us-east-1:123456789012:accounts"/,
    );
    const mapped = convert("parents-and-defaults", { roleConnections: { AlarmRole: "aws_alarms" } });
    assert.match(renderDag(mapped), /aws_conn_id="aws_alarms"/);
  });

  it("alarms on lateness with an SLA on Airflow 2 and a deadline on Airflow 3; Terminate becomes a timeout", () => {
    const v2 = convert("late-alarms", { airflowVersion: "2.11.0" });
    assert.strictEqual(code(arg(v2, "poll", "sla")), "timedelta(minutes=10)");
    assert.deepStrictEqual(
      v2.dagArgs.map(([k]) => k),
      ["sla_miss_callback"],
    );
    assert.strictEqual(code(arg(v2, "poll", "execution_timeout")), "timedelta(minutes=10)");
    assert.strictEqual(outcome(v2, "LateAlarm").status, "approximated");
    assert.strictEqual(outcome(v2, "StopPolling").status, "approximated");
    const v3 = convert("late-alarms", { airflowVersion: "3.3.2" });
    assert.strictEqual(arg(v3, "poll", "sla"), undefined);
    assert.deepStrictEqual(
      v3.dagArgs.map(([k]) => k),
      ["deadline"],
    );
    const text = renderDag(v3);
    assert.match(
      text,
      /DeadlineAlert\(\n\s+reference=DeadlineReference.DAGRUN_QUEUED_AT,\n\s+interval=timedelta\(minutes=10\)/,
    );
    assert.match(text, /subject": "Poll is late"/);
    assert.strictEqual(code(arg(v3, "poll", "max_active_tis_per_dag")), "1");
  });
});

describe("datapipeline conversion: where commands run, versions, what is not converted", () => {
  it("runs ShellCommandActivity on the worker, through SSM or as an ECS task, as chosen", () => {
    assert.strictEqual(task(convert("shell-staging"), "clean_up").operator, "BashOperator");
    assert.strictEqual(task(convert("shell-staging"), "summarise_orders").operator, "PythonOperator");
    const ssm2 = convert("shell-staging", { shellRunner: "ssm", airflowVersion: "2.11.0" });
    assert.strictEqual(task(ssm2, "clean_up").operator, "PythonOperator");
    assert.ok(ssm2.helpers.includes("run_ssm_command"));
    const ssm3 = convert("shell-staging", {
      shellRunner: "ssm",
      airflowVersion: "3.3.2",
      ssmTargetTag: "Role",
    });
    assert.strictEqual(task(ssm3, "clean_up").operator, "SsmRunCommandOperator");
    assert.match(renderDag(ssm3), /"Key": "tag:Role", "Values": \["ReportHost"\]/);
    const ecs = convert("shell-staging", { shellRunner: "ecs", ecsCluster: "batch" });
    assert.strictEqual(task(ecs, "summarise_orders").operator, "EcsRunTaskOperator");
    assert.match(renderDag(ecs), /"subnets": \["subnet-0abc1234def567890"\]/);
    assert.match(renderDag(ecs), /cluster="batch"/);
    assert.match(renderDag(ecs), /ShellCommandActivity runs: ecs/);
  });

  it("imports from Airflow 2's modules or from airflow.sdk and the standard provider", () => {
    const v2 = renderDag(convert("shell-preconditions", { airflowVersion: "2.11.0" }));
    assert.match(v2, /^from airflow import DAG$/m);
    assert.match(v2, /^from airflow.operators.bash import BashOperator$/m);
    assert.match(v2, /^from airflow.sensors.bash import BashSensor$/m);
    assert.match(v2, /^from airflow.timetables.trigger import CronTriggerTimetable$/m);
    const v3 = renderDag(convert("shell-preconditions", { airflowVersion: "3.3.2" }));
    assert.match(v3, /^from airflow.sdk import DAG, CronTriggerTimetable$/m);
    assert.match(v3, /^from airflow.providers.standard.operators.bash import BashOperator$/m);
    assert.match(v3, /^from airflow.providers.standard.sensors.bash import BashSensor$/m);
    assert.ok(!/^from airflow import/m.test(v3));
  });

  it("keeps activities it cannot convert as tasks that fail with the original object", () => {
    const plan = convert("not-converted");
    const statuses = Object.fromEntries(plan.outcomes.map((o) => [o.objectId, o.status]));
    assert.deepStrictEqual(
      Object.entries(statuses)
        .filter(([, s]) => s === "not converted")
        .map(([id]) => id)
        .sort(),
      ["CopyProfiles", "Crunch", "Proxy", "RestoreCluster", "RestoreProfiles"],
    );
    const text = renderDag(plan);
    assert.match(text, /# NOT CONVERTED: CopyActivity copies between S3 and SQL tables/);
    assert.match(text, /# To do: use DynamoDBToS3Operator/);
    assert.match(text, /"CopyProfiles": \{\n\s+"id": "CopyProfiles",/);
    assert.match(text, /python_callable=fail_not_converted,\n\s+op_args=\["Crunch"\],\n\s+retries=0,/);
    assert.deepStrictEqual(edges(plan), [
      "copy_profiles >> crunch",
      "crunch >> notify",
      "restore_profiles >> copy_profiles",
    ]);
  });

  it("reads the API's shape as the file's: parameters, array values and Default", () => {
    const plan = convert("api-shape-export");
    assert.strictEqual(plan.schedule.cron, "30 6 * * *");
    const text = renderDag(plan);
    assert.match(text, /"set -- nightly copy\\n"\n\s+"echo copied s3:\/\/\{\{ params.myBucket \}\}\/out\//);
    assert.deepStrictEqual(
      plan.params.map((p) => p.id),
      ["myBucket"],
    );
    assert.match(text, /- myPeriod = 1 day\n- myStart = 2024-12-01T06:30:00\n- myTags = nightly, copy/);
    assert.strictEqual(outcome(plan, "Default").status, "approximated", "failureAndRerunMode NONE");
  });

  it("starts an activation-time pipeline at the given time, without catch-up", () => {
    const plan = convert("first-activation");
    assert.strictEqual(plan.schedule.startDate?.toISOString(), "2025-01-01T00:00:00.000Z");
    assert.strictEqual(plan.schedule.catchup, false);
    assert.strictEqual(plan.schedule.cron, "0 0-23/6 * * *");
    assert.strictEqual(outcome(plan, "SixHourly").status, "approximated");
  });

  it("has no schedule on demand, and an ondemand run's time is run_after on Airflow 3", () => {
    const v3 = convert("shell-script-ondemand", { airflowVersion: "3.3.2" });
    assert.strictEqual(v3.schedule.timetable, null);
    assert.match(renderDag(v3), /schedule=None/);
    assert.match(renderDag(v3), /dag_run.run_after.strftime\('%Y-%m-%d'\)/);
    assert.match(
      renderDag(convert("shell-script-ondemand", { airflowVersion: "2.11.0" })),
      /data_interval_start.strftime/,
    );
  });
});
