import * as assert from "node:assert/strict";
import fc from "fast-check";
import {
  INVOKE_REST_API_MAX_PATH,
  assertPathFits,
  awsErrorType,
  backoffDelay,
  chooseAirflowClientKind,
  cliCommand,
  cliCommands,
  cliFailure,
  jsonRowsFromStdout,
  logGroupNameFromArn,
  maxRunIdLength,
  mwaaEnvEndpoint,
  mwaaSdkConfig,
  restApiVersionFor,
  restPaths,
} from "./";
import { splitCommandLine } from "../../local/mwaa-standin/commandLine";

describe("Airflow REST paths", () => {
  it("use API v1 on 2.x and v2 on 3.x, and refuse 1.x naming the version", () => {
    assert.equal(restApiVersionFor("2.8.1"), "v1");
    assert.equal(restApiVersionFor("3.0.6"), "v2");
    assert.throws(() => restApiVersionFor("1.10.15"), /"1\.10\.15"/);
  });

  it("tell how long a run id may be for InvokeRestApi's 64-character path", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9_]{1,40}$/), (dagId) => {
        const room = maxRunIdLength(dagId);
        if (room < 1) return;
        const fits = "r".repeat(room);
        assert.ok(restPaths.taskInstances(dagId, fits).length <= INVOKE_REST_API_MAX_PATH);
        assert.ok(restPaths.taskInstances(dagId, fits + "r").length > INVOKE_REST_API_MAX_PATH);
      }),
    );
  });

  it("refuse a path over the limit with its length and the way out", () => {
    const path = restPaths.taskLog(
      "a_rather_long_dag_identifier",
      "manual__2024-01-01T00:00:00+00:00",
      "extract",
      1,
    );
    assert.throws(
      () => assertPathFits(path, 64, "reading a log"),
      (error: Error) => {
        assert.match(error.message, new RegExp(`is ${path.length} characters`));
        assert.match(error.message, /mwaa-cli/);
        return true;
      },
    );
    assert.doesNotThrow(() => assertPathFits(path, undefined, "reading a log"));
  });

  it("URL-encode ids so '+' and ':' in run ids reach Airflow intact", () => {
    assert.equal(restPaths.dagRun("d", "manual__2024+00:00"), "/dags/d/dagRuns/manual__2024%2B00%3A00");
  });
});

describe("client chooser", () => {
  it("picks InvokeRestApi for MWAA ≥ 2.4.3, the CLI token below, and REST for self-managed Airflow", () => {
    assert.equal(chooseAirflowClientKind("mwaa", "2.8.1"), "mwaa-rest");
    assert.equal(chooseAirflowClientKind("mwaa", "2.4.3"), "mwaa-rest");
    assert.equal(chooseAirflowClientKind("mwaa", "2.4.2"), "mwaa-cli");
    assert.equal(chooseAirflowClientKind("mwaa", "2.2.2"), "mwaa-cli");
    assert.equal(chooseAirflowClientKind("mwaa", "3.0.6"), "mwaa-rest");
    assert.equal(chooseAirflowClientKind("self-managed", "2.10.3"), "airflow-rest");
  });

  it("honours an override that can work and refuses one that cannot, naming it", () => {
    assert.equal(chooseAirflowClientKind("mwaa", "2.8.1", "mwaa-cli"), "mwaa-cli");
    assert.throws(() => chooseAirflowClientKind("mwaa", "2.2.2", "mwaa-rest"), /2\.4\.3/);
    assert.throws(() => chooseAirflowClientKind("self-managed", "2.8.1", "mwaa-rest"), /"mwaa-rest"/);
    assert.throws(() => chooseAirflowClientKind("mwaa", "2.8.1", "airflow-rest"), /web login/);
    assert.throws(() => chooseAirflowClientKind("mwaa", "2.8.1", "ssh"), /"ssh" is not one of/);
  });
});

describe("MWAA endpoint resolution", () => {
  it("uses AWS_ENDPOINT_URL_MWAA, then AWS_ENDPOINT_URL, else the regional env. host", () => {
    assert.equal(mwaaEnvEndpoint("eu-west-1", {}), "https://env.airflow.eu-west-1.amazonaws.com");
    assert.equal(mwaaEnvEndpoint("cn-north-1", {}), "https://env.airflow.cn-north-1.amazonaws.com.cn");
    assert.equal(
      mwaaEnvEndpoint("us-east-1", {
        AWS_ENDPOINT_URL: "http://127.0.0.1:1/",
        AWS_ENDPOINT_URL_MWAA: "http://h:2",
      }),
      "http://h:2",
    );
    assert.equal(
      mwaaEnvEndpoint("us-east-1", { AWS_ENDPOINT_URL: "http://127.0.0.1:1/" }),
      "http://127.0.0.1:1",
    );
    assert.equal(
      mwaaEnvEndpoint("us-east-1", {
        AWS_ENDPOINT_URL: "http://x",
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true",
      }),
      "https://env.airflow.us-east-1.amazonaws.com",
    );
  });

  it("keeps the SDK's host prefix only for AWS's own endpoints", () => {
    assert.deepEqual(mwaaSdkConfig({ region: "us-east-1" }, {}), {
      region: "us-east-1",
      disableHostPrefix: false,
    });
    assert.equal(
      mwaaSdkConfig({ region: "us-east-1" }, { AWS_ENDPOINT_URL_MWAA: "http://x" }).disableHostPrefix,
      true,
    );
  });

  it("refuses a malformed region, naming the setting", () => {
    assert.throws(() => mwaaEnvEndpoint("US East", {}), /aws:region/);
  });

  it("reads the error type from the header or the body", () => {
    assert.equal(
      awsErrorType("RestApiClientException:http://internal.amazon.com/", {}),
      "RestApiClientException",
    );
    assert.equal(
      awsErrorType(null, { __type: "com.amazonaws.mwaa#ResourceNotFoundException" }),
      "ResourceNotFoundException",
    );
  });
});

describe("log group ARNs", () => {
  it("give the group name with or without the trailing :*", () => {
    const arn = "arn:aws:logs:us-east-1:123456789012:log-group:airflow-MyEnv-Task";
    assert.equal(logGroupNameFromArn(arn), "airflow-MyEnv-Task");
    assert.equal(logGroupNameFromArn(`${arn}:*`), "airflow-MyEnv-Task");
    assert.throws(() => logGroupNameFromArn("airflow-MyEnv-Task"), /not a CloudWatch Logs group ARN/);
  });
});

describe("MWAA CLI commands", () => {
  it("survive the trip through the stand-in's shell-style splitter, whatever the arguments", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, unit: "grapheme" }), { minLength: 1, maxLength: 8 }),
        (args) => {
          assert.deepEqual(splitCommandLine(cliCommand(args)), args);
        },
      ),
    );
  });

  it("carry a JSON run conf as one argument", () => {
    const args = cliCommands.trigger("dag", "run-1", { note: 'it\'s "quoted"', n: [1, 2] });
    assert.deepEqual(splitCommandLine(cliCommand(args)), args);
  });

  it("name list-runs' DAG by flag on 2.x and positionally on 3.x", () => {
    assert.deepEqual(cliCommands.listRuns("d", "2.8.1").slice(0, 4), ["dags", "list-runs", "--dag-id", "d"]);
    assert.deepEqual(cliCommands.listRuns("d", "3.0.6").slice(0, 3), ["dags", "list-runs", "d"]);
  });

  it("find the JSON table after warning lines, and say so when there is none", () => {
    const stdout = 'WARNING something [deprecated]\n[{"dag_id": "a", "paused": "True"}]\n';
    assert.deepEqual(jsonRowsFromStdout(stdout, "dags list"), [{ dag_id: "a", paused: "True" }]);
    assert.deepEqual(jsonRowsFromStdout("No data found\n", "dags list"), []);
    assert.throws(() => jsonRowsFromStdout("Traceback ...", "dags list"), /"airflow dags list"/);
  });
});

describe("MWAA CLI failure detection (the endpoint passes no exit status)", () => {
  const warning = "/venv/airflow/utils/dot_renderer.py:28 UserWarning: Could not import graphviz.";
  it("takes warnings alone on stderr for success", () => {
    assert.equal(
      cliFailure({ stdout: "Dag: d, paused: True\n", stderr: warning }, /paused: True/),
      undefined,
    );
  });
  it("reports the complaint when stdout is empty", () => {
    const stderr = `${warning}\nDAG: nope does not exist in 'dag' table\n`;
    assert.equal(cliFailure({ stdout: "", stderr }), "DAG: nope does not exist in 'dag' table");
  });
  it("fails a command whose stdout lacks the expected result", () => {
    assert.match(cliFailure({ stdout: "something else", stderr: "" }, /run_42/) ?? "", /something else/);
  });
});

describe("retry backoff", () => {
  it("stays within the capped exponential window", () => {
    const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const delay = backoffDelay(attempt, policy, () => r);
          assert.ok(delay >= 0 && delay <= Math.min(1000, 100 * 2 ** (attempt - 1)));
        },
      ),
    );
  });
});
