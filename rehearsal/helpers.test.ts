import { strict as assert } from "assert";
import { bundleDagRows, bundleFilesToCopy, parseBundleSource } from "./bundleImport";
import { progressPrefix } from "./display";
import {
  dagBucketName,
  rehearsalEnvironment,
  standinConfig,
  workflowAssetFiles,
  LocalAirflow,
} from "./rehearsal";
import type { StackInfo } from "./processes";

const env: LocalAirflow = {
  name: "rehearse-src",
  airflowVersion: "2.8.1",
  url: "http://127.0.0.1:58010",
  username: "admin",
  password: "admin",
  dagsFolder: "/state/airflow/rehearse-src/dags",
  dagBucket: "rehearse-src-dags",
  logGroup: "airflow-rehearse-src-Task",
  account: "123456789012",
  fabRoles: true,
  dsn: "postgresql://postgres@127.0.0.1:58001/airflow_rehearse_src",
  cli: { command: "/venv/bin/airflow", env: { AIRFLOW_HOME: "/state/airflow/rehearse-src" } },
  region: "us-east-1",
};

describe("rehearsal helpers", () => {
  it("describes a local Airflow as an MWAA environment whose DAG folder is its S3 prefix", () => {
    assert.deepEqual(rehearsalEnvironment(env), {
      name: "rehearse-src",
      airflowVersion: "2.8.1",
      region: "us-east-1",
      account: "123456789012",
      dagBucket: "rehearse-src-dags",
      dagPath: "dags",
      logGroup: "airflow-rehearse-src-Task",
      executionRoleName: "rehearse-src-execution",
      fabRoles: true,
    });
  });

  it("describes each local Airflow to the MWAA stand-in", () => {
    const info = { aws_region: "us-east-1", aws_endpoint_url: "http://127.0.0.1:58002" } as StackInfo;
    const config = standinConfig(info, [env]) as {
      iamEndpoint?: string;
      environments: Record<string, Record<string, unknown>>;
    };
    assert.deepEqual(config.environments["rehearse-src"], {
      airflowVersion: "2.8.1",
      restApiUrl: "http://127.0.0.1:58010",
      username: "admin",
      password: "admin",
      cli: env.cli,
      sourceBucketArn: "arn:aws:s3:::rehearse-src-dags",
      dagS3Path: "dags",
      dagsFolder: "/state/airflow/rehearse-src/dags",
      executionRoleArn: "arn:aws:iam::123456789012:role/rehearse-src-execution",
      logGroups: { Task: "airflow-rehearse-src-Task" },
    });
    assert.equal(config.iamEndpoint, "http://127.0.0.1:58002");
  });

  it("places a target of another account in it: the stand-in serves it only to that account's keys", () => {
    const info = { aws_region: "us-east-1", aws_endpoint_url: "http://127.0.0.1:58002" } as StackInfo;
    const target = { ...env, name: "rehearse-tgt", account: "210987654321" };
    assert.deepEqual(rehearsalEnvironment(target).account, "210987654321");
    const described = (
      standinConfig(info, [target]) as { environments: Record<string, Record<string, unknown>> }
    ).environments["rehearse-tgt"];
    assert.equal(described.accountId, "210987654321");
    assert.equal(described.executionRoleArn, "arn:aws:iam::210987654321:role/rehearse-tgt-execution");
    // Bucket names are global: each account's environment of one name has its own DAG bucket.
    assert.notEqual(dagBucketName("rehearse-tgt", "210987654321"), dagBucketName("rehearse-tgt"));
  });

  it("copies the source's DAG files and their settings as workflow assets, never the migration DAGs", () => {
    assert.deepEqual(
      workflowAssetFiles([
        "seed_etl.py",
        "mwaa_migration",
        "mwaa_migration_export.py",
        "seed_settings.json",
        "__pycache__",
        ".markers",
      ]),
      ["seed_etl.py", "seed_settings.json"],
    );
  });

  it("reads a bundle from a folder or an S3 URI, and copies only its manifest and table streams", () => {
    assert.deepEqual(parseBundleSource("s3://prod/mwaa-migration/bulk-1/", "/x"), {
      kind: "s3",
      where: "prod",
      prefix: "mwaa-migration/bulk-1/",
    });
    assert.deepEqual(parseBundleSource("exports/bulk-1", "/home/me"), {
      kind: "folder",
      where: "/home/me/exports/bulk-1",
      prefix: "",
    });
    assert.deepEqual(
      bundleFilesToCopy([
        "import-report.json",
        "tables/dag_run.csv.gz",
        "manifest.json",
        "tables/../../x",
        "notes.txt",
      ]),
      ["manifest.json", "tables/dag_run.csv.gz"],
    );
  });

  it("reports a bundle's DAGs with their runs in the bundle, runs imported, and paused states", () => {
    const manifest = {
      dags: [
        { dagId: "etl", isPaused: false },
        { dagId: "old", isPaused: true },
      ],
    };
    const importReport = { dags: { runs: { etl: { runs: 5, imported: 5 }, old: { runs: 2, imported: 0 } } } };
    const target = { airflowVersion: "2.11.0", dags: {}, tables: {} };
    assert.deepEqual(bundleDagRows(manifest, importReport, target), [
      {
        dagId: "etl",
        runsBefore: 5,
        runsAfter: 5,
        pausedOnSourceBefore: false,
        pausedOnSourceAfter: null,
        pausedOnTarget: null,
      },
      {
        dagId: "old",
        runsBefore: 2,
        runsAfter: 0,
        pausedOnSourceBefore: true,
        pausedOnSourceAfter: null,
        pausedOnTarget: null,
      },
    ]);
  });

  it("prefixes progress lines with the elapsed time and the stage", () => {
    assert.equal(progressPrefix(125_400, "bulk"), "[02:05] bulk     |");
  });
});
