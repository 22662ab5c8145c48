"""Brings up what the integration tests of the providers need on top of the local stack, and takes it down.

    harness.py up   <state-dir>   a real Airflow (2.11.0, a version the import accepts as a target) with its own DAG folder, the DAG bucket in moto, and the
                                  stand-in's environment description; prints nothing, writes <state-dir>/it.json
    harness.py down <state-dir>   stops that Airflow

Run from the tools venv with PYTHONPATH=local (scripts/test-integration.sh does).
"""

import json
import sys
from pathlib import Path

from mwaa_local import AirflowEnv, AirflowEnvError, ensure_stack, new_fernet_key, stack_info

ENV_NAME = "providers-it"
AIRFLOW_VERSION = "2.11.0"
DAG_BUCKET = "providers-it-dags"
DAG_PREFIX = "dags"
MIGRATION_BUCKET = "providers-it-migration"


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
    standin = {
        "region": info["aws_region"],
        "accountId": "123456789012",
        "environments": {
            ENV_NAME: {
                "airflowVersion": env.version,
                "restApiUrl": env.url,
                "username": env.admin_user,
                "password": env.admin_password,
                "cli": {"command": str(env.venv / "bin" / "airflow"), "env": env.process_env()},
                "sourceBucketArn": "arn:aws:s3:::" + DAG_BUCKET,
                "dagS3Path": DAG_PREFIX,
                "dagsFolder": str(env.dags_folder),
                "executionRoleArn": "arn:aws:iam::123456789012:role/%s-execution" % ENV_NAME,
                "logGroups": {"Task": env.log_group},
            }
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
            },
            indent=2,
        )
    )


def down() -> None:
    try:
        AirflowEnv.load(ENV_NAME).stop()
    except AirflowEnvError:
        pass


if __name__ == "__main__":
    command, state = sys.argv[1], Path(sys.argv[2])
    up(state) if command == "up" else down()
