import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { type AirflowClient, createAirflowClient } from "../../providers/airflow";

/** What scripts/test-integration.sh set up (written by test/integration/harness.py). */
export interface IntegrationInfo {
  environmentName: string;
  airflowVersion: string;
  restApiUrl: string;
  username: string;
  password: string;
  dagBucket: string;
  dagPrefix: string;
  dagsFolder: string;
  taskLogGroup: string;
  region: string;
  migrationBucket: string;
  migrationKmsKeyId: string;
  /** The Airflow 3 target with the migration plugin (created, not started: its test starts it). */
  airflow3: {
    environmentName: string;
    airflowVersion: string;
    restApiUrl: string;
    dagsFolder: string;
    dsn: string;
    /** The plugin reads bundles under s3://<migrationBucket>/<pluginPrefix> only. */
    pluginPrefix: string;
  };
  /** The Airflow 2.11.0 environment's database, venv and Fernet key (for a direct-mode export). */
  source: { dsn: string; sqlUrl: string; venv: string; fernetKey: string };
}

export function integrationInfo(): IntegrationInfo {
  const path = process.env.MWAA_IT_INFO;
  if (!path)
    throw new Error("MWAA_IT_INFO is not set: run the integration tests with scripts/test-integration.sh");
  return JSON.parse(readFileSync(path, "utf8")) as IntegrationInfo;
}

/** The harness's Airflow 3 target through its own REST API (v2), as its Admin. */
export function airflow3Client(info: IntegrationInfo): AirflowClient {
  return createAirflowClient({
    kind: "airflow-rest",
    baseUrl: info.airflow3.restApiUrl,
    username: info.username,
    password: info.password,
    airflowVersion: info.airflow3.airflowVersion,
  });
}

/** The local stack's tools Python (mwaa_local, moto). */
export function tools(): string {
  const venv = process.env.MWAA_LOCAL_TOOLS_VENV;
  if (!venv)
    throw new Error("MWAA_LOCAL_TOOLS_VENV is not set: run this test with scripts/test-integration.sh");
  return path.join(venv, "bin", "python");
}

/** `python -m mwaa_local <command> <name>`: e.g. start or stop one of the stack's Airflow environments. */
export function mwaaLocal(command: string, name: string): void {
  execFileSync(tools(), ["-m", "mwaa_local", command, name], {
    env: { ...process.env, PYTHONPATH: path.resolve(__dirname, "..", "..", "local") },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

/** A DAG file for the client tests: one DAG that logs its conf, and 120 more so that listing needs two pages. */
export const PROBE_DAG_ID = "client_probe";
export const PAGE_PROBE_COUNT = 120;
export const PROBE_DAG_FILE = `
import pendulum
from airflow import DAG
from airflow.operators.python import PythonOperator


def say(**context):
    print("probe conf marker=%s" % context["dag_run"].conf.get("marker"))
    for i in range(5):
        print("probe line %d" % i)


with DAG("${PROBE_DAG_ID}", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None, catchup=False):
    PythonOperator(task_id="say", python_callable=say)

for i in range(${PAGE_PROBE_COUNT}):
    globals()["page_probe_%03d" % i] = DAG(
        "page_probe_%03d" % i, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None
    )
`;
