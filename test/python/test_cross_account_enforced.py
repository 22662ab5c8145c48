"""A target in another account, on a moto server that enforces IAM, with two accounts.

The source's side is account 123456789012 (moto's default): its DAG bucket, its task log group, and the
deployer, an IAM user holding the deployer policy the program builds for `targetRoleArn` (which adds
AssumeTargetRole). The target's side is account 210987654321: its DAG bucket, its task log group, the
migration bucket with a bundle, and the role `mwaa-migration-deployer`, which trusts the deployer and holds
the same policy. The providers' own operations (deployer-operations.ts) then run as the deployer, each
side reached as the program reaches it (providers/framework/awsAccess.ts): the export DAG delivered to the
source with the deployer's own credentials; the import DAG delivered, the bundle read and the task logs
written into the target's account as the assumed role, reading the source's logs as the deployer.

What this shows: moto keeps each account's IAM, CloudWatch Logs groups and streams apart, and judges the
role's trust policy and each identity's policies. The task-log copy only finds the target's group, and the
copied streams only land in it, because the target's side is reached as the role; the deployer without
AssumeTargetRole reaches the source and nothing of the target. What it cannot show: moto's S3 serves every
account's buckets to any identity its policy allows, applies a bucket policy's denials without S3's
condition keys, and never needs a bucket's or a key's own policy to let another account in, so the
cross-account bucket and key policies are checked under mocks (test/program/crossAccount.test.ts) and by
the policy pack, not here.
"""

import json
import os
import time
from typing import Any, Dict, List, Optional

import pytest
from bundle_fixture import TASKS, place_bundle, task_log_stream as _stream
from enforcing_moto import ROOT, EnforcingMoto, without_statement
from enforcing_moto import as_moto_judges, deployer_operations as _node, failed_operations as _failed

PAYLOAD = ROOT / "payload"
SOURCE_ACCOUNT = "123456789012"  # moto's default account
TARGET_ACCOUNT = "210987654321"
TARGET_ROLE = "mwaa-migration-deployer"
TARGET_ROLE_ARN = "arn:aws:iam::%s:role/%s" % (TARGET_ACCOUNT, TARGET_ROLE)
SOURCE_DAGS, TARGET_DAGS, BUCKET, PREFIX = "legacy-dags-a", "new-dags-b", "migration-bundles-b", "migration"
SOURCE_GROUP, TARGET_GROUP = "airflow-legacy-Task", "airflow-new-Task"
EXPORT_ID = "bulk-1"
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:*", "iam:*", "logs:*", "kms:*", "sts:*"], "Resource": "*"}],
}
OPERATIONS = ["deliver-export-dag", "deliver-import-dag", "read-manifest", "read-report", "copy-task-logs"]
TARGET_SIDE = {"deliver-import-dag", "read-manifest", "read-report", "copy-task-logs"}






class TwoAccounts:
    def __init__(self, moto: EnforcingMoto) -> None:
        self.moto = moto
        self.region = moto.region
        self.keys: Dict[str, Dict[str, str]] = {}
        self.target_admin: Dict[str, str] = {}
        self.key_arn = ""
        self.policy: Dict[str, Any] = {}

    def logs_arn(self, account: str, group: str) -> str:
        return "arn:aws:logs:%s:%s:log-group:%s" % (self.region, account, group)

    def in_target(self, service: str, keys: Optional[Dict[str, str]] = None) -> Any:
        import boto3

        keys = keys or self.target_admin
        return boto3.client(
            service,
            endpoint_url=self.moto.endpoint,
            region_name=self.region,
            aws_access_key_id=keys["AccessKeyId"],
            aws_secret_access_key=keys["SecretAccessKey"],
            aws_session_token=keys.get("SessionToken"),
        )

    def prepare(self) -> None:
        # The target's account, reached as moto reaches any account: a role of it assumed while IAM is open.
        setup = self.moto.client("sts").assume_role(
            RoleArn="arn:aws:iam::%s:role/setup" % TARGET_ACCOUNT, RoleSessionName="setup"
        )["Credentials"]
        setup_keys = {k: setup[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}
        iam_b = self.in_target("iam", setup_keys)
        iam_b.create_user(UserName="target-admin")
        iam_b.put_user_policy(UserName="target-admin", PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY))
        key = iam_b.create_access_key(UserName="target-admin")["AccessKey"]
        self.target_admin = {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}

        s3_b = self.in_target("s3")
        for bucket in (TARGET_DAGS, BUCKET):
            s3_b.create_bucket(Bucket=bucket)
        self.key_arn = self.in_target("kms").create_key(Description="migration bundles")["KeyMetadata"]["Arn"]
        assert (":%s:" % TARGET_ACCOUNT) in self.key_arn
        place_bundle(s3_b, BUCKET, PREFIX, EXPORT_ID, self.key_arn)
        logs_b = self.in_target("logs")
        logs_b.create_log_group(logGroupName=TARGET_GROUP)
        logs_b.put_retention_policy(logGroupName=TARGET_GROUP, retentionInDays=1)

        s3_a = self.moto.client("s3")
        s3_a.create_bucket(Bucket=SOURCE_DAGS)
        logs_a = self.moto.client("logs")
        logs_a.create_log_group(logGroupName=SOURCE_GROUP)
        now = int(time.time() * 1000)
        for task in TASKS:
            logs_a.create_log_stream(logGroupName=SOURCE_GROUP, logStreamName=_stream(task))
            logs_a.put_log_events(
                logGroupName=SOURCE_GROUP,
                logStreamName=_stream(task),
                logEvents=[{"timestamp": now - 60_000 + i, "message": "%s line %d" % (task, i)} for i in range(3)],
            )

        self.policy = _node("policy", json.dumps(self.scope()))
        self.keys["source-admin"] = self.moto.user_with_policy("source-admin", ADMIN_POLICY)
        self.keys["deployer"] = self.moto.user_with_policy("deployer", as_moto_judges(self.policy))
        self.keys["without-assume"] = self.moto.user_with_policy(
            "without-assume", without_statement(as_moto_judges(self.policy), "AssumeTargetRole")
        )
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::%s:user/%s" % (SOURCE_ACCOUNT, user)},
                    "Action": "sts:AssumeRole",
                }
                for user in ("deployer", "without-assume")
            ],
        }
        iam_b = self.in_target("iam")
        iam_b.create_role(RoleName=TARGET_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
        iam_b.put_role_policy(
            RoleName=TARGET_ROLE, PolicyName="deployer", PolicyDocument=json.dumps(as_moto_judges(self.policy))
        )

    def scope(self) -> Dict[str, Any]:
        """The deployer policy's scope as the program builds it for a target in another account."""
        return {
            "region": self.region,
            "account": TARGET_ACCOUNT,
            "sourceSide": {"region": self.region, "account": SOURCE_ACCOUNT},
            "targetRoleArn": TARGET_ROLE_ARN,
            "targetEnvironmentName": "new",
            "sourceEnvironmentName": "legacy",
            "sourceExecutionRoleArn": "arn:aws:iam::%s:role/service-role/AmazonMWAA-legacy" % SOURCE_ACCOUNT,
            "bundle": {"bucketName": BUCKET, "prefix": PREFIX, "keyArn": self.key_arn},
            "sourceDags": {"bucket": "arn:aws:s3:::%s" % SOURCE_DAGS, "dagS3Path": "dags"},
            "targetDags": {"bucket": TARGET_DAGS, "dagS3Path": "dags"},
            "targetAirflowVersion": "2.11.0",
            "sourceTaskLogGroupArn": self.logs_arn(SOURCE_ACCOUNT, SOURCE_GROUP),
            "targetTaskLogGroupArn": self.logs_arn(TARGET_ACCOUNT, TARGET_GROUP),
            "purgeBundlesOnDelete": False,
        }

    def run(self, user: str, assume_role: bool = True) -> Dict[str, Dict[str, Any]]:
        spec = {
            "region": self.region,
            "payloadDir": str(PAYLOAD),
            "sourceDagFolder": "s3://%s/dags" % SOURCE_DAGS,
            "targetDagFolder": "s3://%s/dags" % TARGET_DAGS,
            "bucket": BUCKET,
            "prefix": PREFIX,
            "exportId": EXPORT_ID,
            "kmsKeyId": self.key_arn,
            "purgeExportId": EXPORT_ID,
            "sourceLogGroup": self.logs_arn(SOURCE_ACCOUNT, SOURCE_GROUP),
            "targetLogGroup": self.logs_arn(TARGET_ACCOUNT, TARGET_GROUP),
            "targetAirflowVersion": "2.11.0",
            "pipelineIds": [],
            "sourceEnvironmentName": "legacy",
            "account": SOURCE_ACCOUNT,
            "operations": OPERATIONS,
            **({"targetAssumeRoleArn": TARGET_ROLE_ARN} if assume_role else {}),
        }
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
        env.update(self.moto.aws_env(self.keys[user]))
        return _node("run", json.dumps(spec), env=env)

    def target_streams(self) -> List[str]:
        streams = self.in_target("logs").describe_log_streams(logGroupName=TARGET_GROUP).get("logStreams", [])
        return sorted(s["logStreamName"] for s in streams)

    def reset_target_logs(self) -> None:
        logs = self.in_target("logs")
        for stream in self.target_streams():
            logs.delete_log_stream(logGroupName=TARGET_GROUP, logStreamName=stream)
        s3 = self.in_target("s3")
        listing = s3.list_objects_v2(Bucket=BUCKET, Prefix="%s/task-log-copies/" % PREFIX).get("Contents", [])
        for item in listing:
            s3.delete_object(Bucket=BUCKET, Key=item["Key"])


@pytest.fixture(scope="module")
def accounts(stack):
    moto = EnforcingMoto().start()
    try:
        world = TwoAccounts(moto)
        world.prepare()
        moto.enforce()
        yield world
    finally:
        moto.stop()




def test_the_deployer_reaches_the_target_account_as_the_role_and_the_source_as_itself(accounts):
    accounts.reset_target_logs()
    outcomes = accounts.run("deployer")
    assert _failed(outcomes) == {}
    copy = outcomes["copy-task-logs"]["detail"]
    assert copy["streams"]["copied"] == 2 and copy["eventsCopied"] == 6
    # The copied streams are in the target's account; the source's account has no such group.
    assert accounts.target_streams() == sorted(_stream(t) for t in TASKS)
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as missing:
        accounts.moto.client("logs", accounts.keys["source-admin"]).describe_log_streams(logGroupName=TARGET_GROUP)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_reaching_the_target_with_the_deployers_own_credentials_finds_nothing_of_it(accounts):
    """Without the role (what a provider ignoring the target's side would do) the target's log group is not
    in the deployer's account: the copy fails instead of writing somewhere else."""
    accounts.reset_target_logs()
    outcomes = accounts.run("deployer", assume_role=False)
    assert outcomes["copy-task-logs"]["ok"] is False, outcomes["copy-task-logs"]
    message = outcomes["copy-task-logs"]["message"]
    assert "target log group airflow-new-Task does not exist in %s, reached with the default credentials" % (
        accounts.region
    ) in message, message
    assert "set targetRoleArn" in message
    assert accounts.target_streams() == []


def test_without_assume_target_role_the_deployer_reaches_only_the_source(accounts):
    accounts.reset_target_logs()
    outcomes = accounts.run("without-assume")
    failed = _failed(outcomes)
    assert set(failed) == TARGET_SIDE
    for message in failed.values():
        assert message.startswith("AccessDenied"), message
        assert "sts:AssumeRole" in message or "AssumeRole" in message, message
    assert outcomes["deliver-export-dag"]["ok"] is True
