"""Brings up what the integration tests of the providers need on top of the local stack, and takes it down.

    harness.py up   <state-dir>   a real Airflow (2.11.0, a version the import accepts as a target) with its own DAG folder, the DAG bucket in moto, and the
                                  stand-in's environment description; prints nothing, writes <state-dir>/it.json.
                                  Also an Airflow 3.3.2 under the FAB auth manager with the migration plugin, created
                                  but not started (the tests that import into it and make a role on it start and stop
                                  it), which the stand-in serves as a second environment
    harness.py down <state-dir>   stops those Airflows

Run from the tools venv with PYTHONPATH=local (scripts/test-integration.sh does).
"""

import json
import sys
from pathlib import Path

from mwaa_local import AirflowEnv, AirflowEnvError, ensure_stack, install_migration_plugin, new_fernet_key, stack_info

ENV_NAME = "providers-it"
AIRFLOW_VERSION = "2.11.0"
DAG_BUCKET = "providers-it-dags"
DAG_PREFIX = "dags"
MIGRATION_BUCKET = "providers-it-migration"
# The Airflow 3 target of the plugin import test: a fixed port (the last of the stack's Airflow range), so the
# stand-in can name it before it runs; the plugin may read bundles under PLUGIN_PREFIX only.
AIRFLOW3_ENV_NAME = "providers-it3"
AIRFLOW3_VERSION = "3.3.2"
AIRFLOW3_DAG_BUCKET = "providers-it3-dags"
PLUGIN_PREFIX = "plugin-it"


def airflow3_target() -> AirflowEnv:
    """A fresh one each session: its test counts what the import brings. It runs the FAB auth manager, as
    MWAA runs Airflow 3: its roles are where the custom role test makes one."""
    port = stack_info()["ports"]["airflow_last"]
    return AirflowEnv.create(AIRFLOW3_ENV_NAME, AIRFLOW3_VERSION, new_fernet_key(), port=port, auth_manager="fab")


def standin_environment(env: AirflowEnv, dag_bucket: str) -> dict:
    return {
        "airflowVersion": env.version,
        "restApiUrl": env.url,
        "username": env.admin_user,
        "password": env.admin_password,
        "cli": {"command": str(env.venv / "bin" / "airflow"), "env": env.process_env()},
        "sourceBucketArn": "arn:aws:s3:::" + dag_bucket,
        "dagS3Path": DAG_PREFIX,
        "dagsFolder": str(env.dags_folder),
        "executionRoleArn": "arn:aws:iam::123456789012:role/%s-execution" % env.name,
        "logGroups": {"Task": env.log_group},
    }


def up(state_dir: Path) -> None:
    ensure_stack(AIRFLOW_VERSION)
    info = stack_info()
    try:
        env = AirflowEnv.load(ENV_NAME)
        if env.version != AIRFLOW_VERSION:
            raise AirflowEnvError("version changed")
    except AirflowEnvError:
        env = AirflowEnv.create(ENV_NAME, AIRFLOW_VERSION, new_fernet_key())
    env.start()
    env.wait_healthy(timeout=600)
    s3 = env.boto3_client("s3")
    try:
        s3.create_bucket(Bucket=DAG_BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    # The migration bucket with its customer-managed key, where the task-log copy archives old events.
    try:
        s3.create_bucket(Bucket=MIGRATION_BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    kms_key = env.boto3_client("kms").create_key(Description="providers-it migration bucket")["KeyMetadata"]["KeyId"]
    airflow3 = airflow3_target()
    install_migration_plugin(airflow3, "s3://%s/%s" % (MIGRATION_BUCKET, PLUGIN_PREFIX))
    try:
        s3.create_bucket(Bucket=AIRFLOW3_DAG_BUCKET)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    standin = {
        "region": info["aws_region"],
        "accountId": "123456789012",
        "environments": {
            ENV_NAME: standin_environment(env, DAG_BUCKET),
            AIRFLOW3_ENV_NAME: standin_environment(airflow3, AIRFLOW3_DAG_BUCKET),
        },
    }
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "environments.json").write_text(json.dumps(standin, indent=2))
    (state_dir / "it.json").write_text(
        json.dumps(
            {
                "environmentName": ENV_NAME,
                "airflowVersion": env.version,
                "restApiUrl": env.url,
                "username": env.admin_user,
                "password": env.admin_password,
                "dagBucket": DAG_BUCKET,
                "dagPrefix": DAG_PREFIX,
                "dagsFolder": str(env.dags_folder),
                "taskLogGroup": env.log_group,
                "region": info["aws_region"],
                "migrationBucket": MIGRATION_BUCKET,
                "migrationKmsKeyId": kms_key,
                "airflow3": {
                    "environmentName": AIRFLOW3_ENV_NAME,
                    "airflowVersion": airflow3.version,
                    "restApiUrl": airflow3.url,
                    "dagsFolder": str(airflow3.dags_folder),
                    "dsn": airflow3.dsn,
                    "pluginPrefix": PLUGIN_PREFIX,
                },
                "source": {"dsn": env.dsn, "sqlUrl": env.sql_url, "venv": str(env.venv), "fernetKey": env.fernet_key},
            },
            indent=2,
        )
    )


def down() -> None:
    for name in (ENV_NAME, AIRFLOW3_ENV_NAME):
        try:
            AirflowEnv.load(name).stop()
        except AirflowEnvError:
            pass


if __name__ == "__main__":
    command, state = sys.argv[1], Path(sys.argv[2])
    up(state) if command == "up" else down()
