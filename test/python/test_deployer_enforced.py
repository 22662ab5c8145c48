"""The deployer policy is enough for what the providers do as the deployer, and each statement is needed.

The deployer policy the program builds (rules/permissions.ts, printed by deployer-operations.ts) is attached
to an IAM user of a moto server of this module's own that enforces IAM (enforcing_moto.py). The providers'
own AWS operations then run as that user, through deployer-operations.ts, exactly as the resources call them:
- deliver and remove the export DAG and its library in the source's DAG folder, the import DAG and its
  library in the target's (providers/framework/dagDelivery.ts, as the run flow does before and after a run);
- read the manifest and the import report of a bundle placed beforehand (providers/framework/bundleStore.ts,
  as the resources' outputs do);
- the import's task-log copy (copyLogsOfBundle in providers/metadataImport.ts): the bundle's dag_run and
  task_instance streams, the source's streams read, the target's streams written, events older than the
  target's retention archived and each finished stream recorded in the migration bucket;
- the export resource's delete with purgeOnDelete (MetadataExport's provider), which lists and deletes a
  bundle;
- the preview's read of the Data Pipeline pipelines of `pipelineIds` (DescribePipelines and
  GetPipelineDefinition, datapipeline/live.ts), of a pipeline created in moto's Data Pipeline;
- the preview's read of the source's web UI mapping for `cloneWebUiAccess` (reads/sourceWebUi.ts): a managed
  policy letting a role into the source's UI as Viewer, found and carried;
- and, with boto3, the calls the AWS provider makes for the grants' aws.iam.RolePolicy resources
  (PutRolePolicy, GetRolePolicy, DeleteRolePolicy on the target's and the source's execution role).
Every operation succeeds with the policy. For each statement moto can judge, the policy without it makes the
operations that need it fail with AccessDenied, and only those (moto answers a refused CloudWatch Logs or Data
Pipeline call with an XML AccessDenied that the SDK's JSON client may not read, so for those the same call is
made through boto3 as the same user and its answer read). The statements moto cannot judge are named below, and removing
them all at once changes nothing here.

What moto 5.2's IAM simulation does not judge, and what this test does about it:
- CloudWatch Logs: moto authorises every Logs action against the resource "*", which a statement scoped to a
  log group never matches (AWS authorises them on the group or stream). The user here holds the policy with
  the Logs statements' resources widened to "*": ReadTaskLogs, WriteTargetTaskLogs and
  ReadTargetLogRetention are judged by their actions only, their scoping to the two task log groups is not
  (test/program/iamStatements.test.ts evaluates it).
- IAM policy reads: moto authorises GetPolicyVersion and ListEntitiesForPolicy against "*" too, so the user
  holds ReadPoliciesForSourceWebUi on "*": its actions are judged, its scoping to the account's policies is not.
- Batch deletes: moto authorises a DeleteObjects request as s3:DeleteObject on the bucket, where AWS
  authorises each key. The user here holds the DeleteObject statements with their buckets added: a
  statement's absence is judged, its key scope for a batch delete is not (a single DeleteObject on any other
  key is refused, which the probes below show).
- Conditions: not evaluated (ListMigrationPrefix is not held to its s3:prefix, nor the KMS statements to
  kms:ViaService, nor PassTargetExecutionRole to iam:PassedToService).
- KMS through S3: moto's S3 never calls KMS, so DecryptBundleThroughS3 and EncryptTaskLogCopyThroughS3 are
  not exercised.
- MWAA: moto has none, and the local MWAA stand-in does not evaluate IAM, so ReadEnvironments,
  ManageTargetEnvironment, ReachAirflowAsAdmin and RunAirflowCli are not exercised; nor is
  PassTargetExecutionRole (passing the role happens in MWAA's CreateEnvironment).
- Bucket policies: the migration bucket's TLS-only Deny would refuse every request to a plain-HTTP server;
  the buckets here have none.
"""

import json
import os
import time
from typing import Any, Dict, List

import pytest
from enforcing_moto import ROOT, EnforcingMoto, without_statement
from enforcing_moto import as_moto_judges, deployer_operations as _node, failed_operations as _failed
from bundle_fixture import place_bundle, task_log_stream as _stream

PAYLOAD = ROOT / "payload"
ACCOUNT = "123456789012"  # moto's default account
SOURCE_DAGS, TARGET_DAGS, BUCKET, PREFIX = "legacy-dags", "new-dags", "migration-bundles", "migration"
SOURCE_GROUP, TARGET_GROUP = "airflow-legacy-Task", "airflow-new-Task"
EXPORT_ID = "bulk-1"
STACK_ROLE = "new-execution-role"  # under the stack's path, /mwaa-migration/
SOURCE_ROLE = "AmazonMWAA-legacy-x1Yz9Q"  # under /service-role/, as MWAA names them
TARGET_VERSION = "2.11.0"
USER_DAG = "dags/etl.py"
PIPELINE_NAME = "nightly-copy"
ANALYSTS_ROLE = "Analysts"
# Full access, for setting up, resetting and reading what the deployer did. No operation runs with it.
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:*", "iam:*", "logs:*", "kms:*", "datapipeline:*"], "Resource": "*"}],
}

OPERATIONS = [
    "deliver-export-dag",
    "remove-export-dag",
    "deliver-import-dag",
    "remove-import-dag",
    "read-manifest",
    "read-report",
    "copy-task-logs",
    "purge-bundle",
    "read-pipelines",
    "read-web-ui",
    "put-grants",  # run here, with boto3: the AWS provider's calls for the grants
]

# What fails without each statement moto judges: exactly these operations, each with AccessDenied.
NEEDED_BY = {
    "MigrationGrantsOnExecutionRoles": {"put-grants"},
    "DeliverExportDag": {"deliver-export-dag", "remove-export-dag"},
    "DeliverImportDag": {"deliver-import-dag", "remove-import-dag"},
    "ReadBundleResults": {"read-manifest", "read-report", "copy-task-logs"},
    "ListMigrationPrefix": {"copy-task-logs", "purge-bundle"},
    "PurgeBundles": {"purge-bundle"},
    "ReadBundleTaskInstances": {"copy-task-logs"},
    "ReadTaskLogs": {"copy-task-logs"},
    "WriteTargetTaskLogs": {"copy-task-logs"},
    "ReadTargetLogRetention": {"copy-task-logs"},
    "ArchiveOldTaskLogEvents": {"copy-task-logs"},
    "RecordCopiedTaskLogStreams": {"copy-task-logs"},
    "ReadDataPipelineDefinitions": {"read-pipelines"},
    "ListPoliciesForSourceWebUi": {"read-web-ui"},
    "ReadPoliciesForSourceWebUi": {"read-web-ui"},
}

# The statements moto cannot judge, and why (see the module's docstring).
NOT_JUDGED = {
    "ReadEnvironments": "MWAA: moto has none and the stand-in does not evaluate IAM",
    "ManageTargetEnvironment": "MWAA: moto has none and the stand-in does not evaluate IAM",
    "ReachAirflowAsAdmin": "MWAA: moto has none and the stand-in does not evaluate IAM",
    "RunAirflowCli": "MWAA: moto has none and the stand-in does not evaluate IAM",
    "PassTargetExecutionRole": "iam:PassRole is checked by MWAA's CreateEnvironment, which moto does not have",
    "DecryptBundleThroughS3": "KMS through S3: moto's S3 never calls KMS",
    "EncryptTaskLogCopyThroughS3": "KMS through S3: moto's S3 never calls KMS",
}






class DeployerWorld:
    """The enforcing moto server with two DAG buckets, the migration bucket and key, a bundle, task log
    groups and the two execution roles; the deployer policy and one IAM user per variant of it."""

    def __init__(self, moto: EnforcingMoto) -> None:
        self.moto = moto
        self.region = moto.region
        self.key_arn = ""
        self.policy: Dict[str, Any] = {}
        self.keys: Dict[str, Dict[str, str]] = {}
        self.runs = 0
        self.now_ms = int(time.time() * 1000)
        self.pipeline_id = ""

    # --- setup, as the admin ----------------------------------------------------------------------------

    def arn(self, service: str, resource: str) -> str:
        return "arn:aws:%s:%s:%s:%s" % (service, self.region, ACCOUNT, resource)

    def scope(self, purge: bool = True) -> Dict[str, Any]:
        return {
            "region": self.region,
            "account": ACCOUNT,
            "targetEnvironmentName": "new",
            "sourceEnvironmentName": "legacy",
            "sourceExecutionRoleArn": "arn:aws:iam::%s:role/service-role/%s" % (ACCOUNT, SOURCE_ROLE),
            "bundle": {"bucketName": BUCKET, "prefix": PREFIX, "keyArn": self.key_arn},
            "sourceDags": {"bucket": "arn:aws:s3:::%s" % SOURCE_DAGS, "dagS3Path": "dags"},
            "targetDags": {"bucket": TARGET_DAGS, "dagS3Path": "dags"},
            "targetAirflowVersion": TARGET_VERSION,
            "sourceTaskLogGroupArn": self.arn("logs", "log-group:%s" % SOURCE_GROUP),
            "targetTaskLogGroupArn": self.arn("logs", "log-group:%s" % TARGET_GROUP),
            "purgeBundlesOnDelete": purge,
            "pipelineIds": [self.pipeline_id],
            "readsSourceWebUi": True,
        }

    def prepare(self) -> None:
        s3 = self.moto.client("s3")
        for bucket in (SOURCE_DAGS, TARGET_DAGS, BUCKET):
            s3.create_bucket(Bucket=bucket)
        for bucket in (SOURCE_DAGS, TARGET_DAGS):
            s3.put_object(Bucket=bucket, Key=USER_DAG, Body=b"# a user's DAG\n")
        self.key_arn = self.moto.client("kms").create_key(Description="migration bundles")["KeyMetadata"]["Arn"]
        s3.put_bucket_encryption(
            Bucket=BUCKET,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": self.key_arn,
                        }
                    }
                ]
            },
        )
        iam = self.moto.client("iam")
        trust = json.dumps({"Version": "2012-10-17", "Statement": []})
        iam.create_role(RoleName=STACK_ROLE, Path="/mwaa-migration/", AssumeRolePolicyDocument=trust)
        iam.create_role(RoleName=SOURCE_ROLE, Path="/service-role/", AssumeRolePolicyDocument=trust)
        iam.create_role(RoleName="Admin", AssumeRolePolicyDocument=trust)
        # The source's web UI mapping, as the migration guide's tutorial writes it: a managed policy on a role.
        iam.create_role(RoleName=ANALYSTS_ROLE, AssumeRolePolicyDocument=trust)
        login = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "airflow:CreateWebLoginToken",
                           "Resource": "arn:aws:airflow:%s:%s:role/legacy/Viewer" % (self.region, ACCOUNT)}],
        }
        viewers = iam.create_policy(PolicyName="legacy-web-ui-viewers", PolicyDocument=json.dumps(login))
        iam.attach_role_policy(RoleName=ANALYSTS_ROLE, PolicyArn=viewers["Policy"]["Arn"])
        self.place_bundle(self.moto.client("s3"), EXPORT_ID)
        self.seed_logs(self.moto.client("logs"))
        datapipeline = self.moto.client("datapipeline")
        self.pipeline_id = datapipeline.create_pipeline(name=PIPELINE_NAME, uniqueId="nightly-1")["pipelineId"]
        datapipeline.put_pipeline_definition(
            pipelineId=self.pipeline_id,
            pipelineObjects=[
                {"id": "Default", "name": "Default", "fields": [{"key": "scheduleType", "stringValue": "ondemand"}]}
            ],
        )
        self.policy = _node("policy", json.dumps(self.scope()))
        self.keys["admin"] = self.moto.user_with_policy("admin", ADMIN_POLICY)
        self.keys["deployer"] = self.moto.user_with_policy("deployer", as_moto_judges(self.policy))
        self.keys["as-generated"] = self.moto.user_with_policy("as-generated", self.policy)

    def place_bundle(self, s3: Any, export_id: str) -> List[str]:
        """A bundle as the export writes it (manifest last) with the import's report beside it."""
        return place_bundle(s3, BUCKET, PREFIX, export_id, self.key_arn)

    def seed_logs(self, logs: Any) -> None:
        """The source's streams (extract: fresh events; load: events older than the target's retention, then
        a fresh one) and the target's group with a one-day retention."""
        logs.create_log_group(logGroupName=SOURCE_GROUP)
        logs.create_log_group(logGroupName=TARGET_GROUP)
        logs.put_retention_policy(logGroupName=TARGET_GROUP, retentionInDays=1)
        hour, day = 3_600_000, 86_400_000
        events = {
            "extract": [self.now_ms - hour + i for i in range(3)],
            "load": [self.now_ms - 3 * day + i for i in range(2)] + [self.now_ms - hour],
        }
        for task, stamps in events.items():
            logs.create_log_stream(logGroupName=SOURCE_GROUP, logStreamName=_stream(task))
            logs.put_log_events(
                logGroupName=SOURCE_GROUP,
                logStreamName=_stream(task),
                logEvents=[{"timestamp": t, "message": "%s line %d" % (task, i)} for i, t in enumerate(stamps)],
            )

    def reset(self) -> str:
        """Undoes what a run did, so the next one has everything to do again; returns a fresh purge bundle."""
        s3 = self.client("s3", "admin")
        for bucket in (SOURCE_DAGS, TARGET_DAGS):
            for key in self.keys_under(bucket, "dags/"):
                if key != USER_DAG:
                    s3.delete_object(Bucket=bucket, Key=key)
        for prefix in ("%s/task-log-copies/" % PREFIX, "%s/%s/task-logs/" % (PREFIX, EXPORT_ID)):
            for key in self.keys_under(BUCKET, prefix):
                s3.delete_object(Bucket=BUCKET, Key=key)
        logs = self.client("logs", "admin")
        for stream in logs.describe_log_streams(logGroupName=TARGET_GROUP).get("logStreams", []):
            logs.delete_log_stream(logGroupName=TARGET_GROUP, logStreamName=stream["logStreamName"])
        iam = self.client("iam", "admin")
        for role in (STACK_ROLE, SOURCE_ROLE):
            for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
                iam.delete_role_policy(RoleName=role, PolicyName=name)
        self.runs += 1
        purge_id = "purge-%d" % self.runs
        self.place_bundle(s3, purge_id)
        return purge_id

    # --- as a user -------------------------------------------------------------------------------------

    def client(self, service: str, user: str) -> Any:
        return self.moto.client(service, self.keys[user])

    def keys_under(self, bucket: str, prefix: str) -> List[str]:
        listing = self.client("s3", "admin").list_objects_v2(Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"] for o in listing.get("Contents", []))

    def user_without(self, *sids: str) -> str:
        """A user holding the policy (as moto judges it) minus the named statements."""
        name = "without-" + "-".join(sids) if len(sids) == 1 else "without-%d-statements" % len(sids)
        if name not in self.keys:
            reduced = as_moto_judges(self.policy)
            for sid in sids:
                reduced = without_statement(reduced, sid)
            self.keys[name] = self.moto.user_with_policy(name, reduced, creator=self.keys["admin"])
        return name

    def run(self, user: str, operations: List[str] = OPERATIONS) -> Dict[str, Dict[str, Any]]:
        """The operations as user, from a state where each has its work to do."""
        purge_id = self.reset()
        spec = {
            "region": self.region,
            "payloadDir": str(PAYLOAD),
            "sourceDagFolder": "s3://%s/dags" % SOURCE_DAGS,
            "targetDagFolder": "s3://%s/dags" % TARGET_DAGS,
            "bucket": BUCKET,
            "prefix": PREFIX,
            "exportId": EXPORT_ID,
            "kmsKeyId": self.key_arn,
            "purgeExportId": purge_id,
            "sourceLogGroup": self.arn("logs", "log-group:%s" % SOURCE_GROUP),
            "targetLogGroup": self.arn("logs", "log-group:%s" % TARGET_GROUP),
            "targetAirflowVersion": TARGET_VERSION,
            "pipelineIds": [self.pipeline_id],
            "sourceEnvironmentName": "legacy",
            "account": ACCOUNT,
            "operations": [o for o in operations if o != "put-grants"],
        }
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
        env.update(self.moto.aws_env(self.keys[user]))
        outcomes = _node("run", json.dumps(spec), env=env)
        if "put-grants" in operations:
            outcomes["put-grants"] = self.put_grants(user)
        return outcomes

    def put_grants(self, user: str) -> Dict[str, Any]:
        """What the AWS provider does for the grants' aws.iam.RolePolicy resources: put, read, delete."""
        from botocore.exceptions import ClientError

        iam = self.client("iam", user)
        statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
        document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        try:
            for role in (STACK_ROLE, SOURCE_ROLE):
                iam.put_role_policy(RoleName=role, PolicyName="grant", PolicyDocument=document)
                iam.get_role_policy(RoleName=role, PolicyName="grant")
                iam.delete_role_policy(RoleName=role, PolicyName="grant")
        except ClientError as e:
            return {"ok": False, "error": e.response["Error"]["Code"], "message": str(e)}
        return {"ok": True, "detail": None}


@pytest.fixture(scope="module")
def world(stack):
    moto = EnforcingMoto().start()
    try:
        w = DeployerWorld(moto)
        w.prepare()
        moto.enforce()
        yield w
    finally:
        moto.stop()




def _denied(call: Any) -> str:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"]


def test_every_statement_is_judged_here_or_named_as_not(world):
    sids = [s["Sid"] for s in world.policy["Statement"]]
    assert sorted(sids) == sorted(set(NEEDED_BY) | set(NOT_JUDGED))
    assert not set(NEEDED_BY) & set(NOT_JUDGED)


def test_every_operation_succeeds_with_the_deployer_policy(world):
    staged = ["find-staged-export-dag", "find-staged-import-dag"]
    outcomes = world.run("deployer", ["deliver-export-dag", "deliver-import-dag"] + staged)
    assert _failed(outcomes) == {}
    delivered = {o: outcomes[o]["detail"] for o in ("deliver-export-dag", "deliver-import-dag")}
    # A run reads the payload back to find it staged (HeadObject): every file is found through the policy.
    assert outcomes["find-staged-export-dag"]["detail"] == sorted(delivered["deliver-export-dag"])
    assert outcomes["find-staged-import-dag"]["detail"] == sorted(delivered["deliver-import-dag"])
    for bucket, operation, dag in (
        (SOURCE_DAGS, "deliver-export-dag", "mwaa_migration_export.py"),
        (TARGET_DAGS, "deliver-import-dag", "mwaa_migration_import.py"),
    ):
        keys = world.keys_under(bucket, "dags/")
        assert keys == sorted([USER_DAG] + ["dags/" + k for k in delivered[operation]])
        assert "dags/" + dag in keys and any(k.startswith("dags/mwaa_migration/") for k in keys)

    outcomes = world.run("deployer", [o for o in OPERATIONS if not o.startswith("deliver-")])
    assert _failed(outcomes) == {}
    for bucket in (SOURCE_DAGS, TARGET_DAGS):
        assert world.keys_under(bucket, "dags/") == [USER_DAG]
    assert outcomes["read-manifest"]["detail"] == ["exportId", "formatVersion", "phase", "source", "tables"]
    assert "status" in outcomes["read-report"]["detail"]
    assert outcomes["read-pipelines"]["detail"] == [PIPELINE_NAME]
    assert outcomes["read-web-ui"]["detail"] == ["arn:aws:iam::%s:role/%s=Viewer" % (ACCOUNT, ANALYSTS_ROLE)]

    copied = outcomes["copy-task-logs"]["detail"]
    streams = {"total": 2, "copied": 2, "resumed": 0, "skipped": 0, "missing": 0, "archivedOnly": 0}
    assert copied["streams"] == streams
    assert (copied["eventsCopied"], copied["eventsArchived"]) == (4, 2)
    logs = world.client("logs", "admin")
    written = {s["logStreamName"] for s in logs.describe_log_streams(logGroupName=TARGET_GROUP)["logStreams"]}
    assert written == {_stream("extract"), _stream("load")}
    records = world.keys_under(BUCKET, "%s/task-log-copies/%s/" % (PREFIX, SOURCE_GROUP))
    archive = world.keys_under(BUCKET, "%s/%s/task-logs/%s/" % (PREFIX, EXPORT_ID, SOURCE_GROUP))
    assert len(records) == 2 and len(archive) == 1
    head = world.client("s3", "admin").head_object(Bucket=BUCKET, Key=archive[0])
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == world.key_arn

    purge_id = "purge-%d" % world.runs
    assert outcomes["purge-bundle"]["detail"][0].startswith("[MetadataExport] purged 5 objects")
    assert world.keys_under(BUCKET, "%s/%s/" % (PREFIX, purge_id)) == []
    assert len(world.keys_under(BUCKET, "%s/%s/" % (PREFIX, EXPORT_ID))) == 5 + 1  # the bundle and the archive


# moto refuses a CloudWatch Logs call with an XML AccessDenied, which the SDK's JSON client cannot read: the
# copy fails with the SDK's "not valid JSON". The same call through boto3, as the same user, shows the refusal.
PROBES = {
    "ReadTaskLogs": ("logs", "describe_log_streams", lambda w: {"logGroupName": TARGET_GROUP}),
    "WriteTargetTaskLogs": (
        "logs",
        "create_log_stream",
        lambda w: {"logGroupName": TARGET_GROUP, "logStreamName": "probe"},
    ),
    "ReadTargetLogRetention": ("logs", "describe_log_groups", lambda w: {"logGroupNamePrefix": TARGET_GROUP}),
    "ReadDataPipelineDefinitions": ("datapipeline", "describe_pipelines", lambda w: {"pipelineIds": [w.pipeline_id]}),
}


def _refusal(world: DeployerWorld, user: str, sid: str) -> str:
    """The body of moto's answer to the call the statement allows, made with boto3 as user."""
    from botocore.exceptions import ClientError

    service, method, arguments = PROBES[sid]
    with pytest.raises(ClientError) as refused:
        getattr(world.client(service, user), method)(**arguments(world))
    return refused.value.response["Error"]["Message"]


@pytest.mark.parametrize("sid", sorted(NEEDED_BY))
def test_without_a_statement_the_operations_that_need_it_fail(world, sid):
    user = world.user_without(sid)
    failed = _failed(world.run(user))
    assert set(failed) == NEEDED_BY[sid], failed
    for operation, error in failed.items():
        if sid in PROBES and "AccessDenied" not in error:
            assert "is not valid JSON" in error, (operation, error)
            refusal = _refusal(world, user, sid)
            service = PROBES[sid][0]
            assert "<Code>AccessDenied</Code>" in refusal and ("is not authorized to perform: %s:" % service) in refusal
        else:
            assert "AccessDenied" in error, (operation, error)


def test_the_statements_moto_cannot_judge_change_nothing_here(world):
    outcomes = world.run(world.user_without(*sorted(NOT_JUDGED)))
    assert _failed(outcomes) == {}


def test_without_purge_the_deployer_deletes_nothing_in_the_migration_bucket(world):
    policy = _node("policy", json.dumps(world.scope(purge=False)))
    sids = {s["Sid"] for s in policy["Statement"]}
    assert sids == {s["Sid"] for s in world.policy["Statement"]} - {"PurgeBundles"}
    if "no-purge" not in world.keys:
        world.keys["no-purge"] = world.moto.user_with_policy(
            "no-purge", as_moto_judges(policy), creator=world.keys["admin"]
        )
    failed = _failed(world.run("no-purge", ["read-manifest", "purge-bundle"]))
    assert set(failed) == {"purge-bundle"} and "AccessDenied" in failed["purge-bundle"]


def test_moto_refuses_the_policy_as_generated_where_it_authorises_otherwise_than_aws(world):
    """The adaptations are needed, and nothing else is: with the policy exactly as generated, moto refuses
    the batch deletes (it asks for s3:DeleteObject on the bucket), the log copy (Logs against "*") and the
    policy reads (IAM against "*")."""
    failed = _failed(world.run("as-generated"))
    expected = {"remove-export-dag", "remove-import-dag", "copy-task-logs", "purge-bundle", "read-web-ui"}
    assert set(failed) == expected, failed


def test_the_deployer_reaches_nothing_else(world):
    s3 = world.client("s3", "deployer")
    manifest = "%s/%s/manifest.json" % (PREFIX, EXPORT_ID)
    # The users' DAGs and the rest of the DAG buckets.
    for bucket in (SOURCE_DAGS, TARGET_DAGS):
        assert _denied(lambda: s3.put_object(Bucket=bucket, Key=USER_DAG, Body=b"")) == "AccessDenied"
        assert _denied(lambda: s3.delete_object(Bucket=bucket, Key=USER_DAG)) == "AccessDenied"
        assert _denied(lambda: s3.get_object(Bucket=bucket, Key=USER_DAG)) == "AccessDenied"
        assert _denied(lambda: s3.list_objects_v2(Bucket=bucket, Prefix="dags/")) == "AccessDenied"
    other = "dags/mwaa_migration_import.py"
    assert _denied(lambda: s3.put_object(Bucket=SOURCE_DAGS, Key=other, Body=b"")) == "AccessDenied"
    # The bundle's secrets, and writes to what the export wrote.
    secrets = "%s/%s/tables/connection.csv.gz" % (PREFIX, EXPORT_ID)
    assert _denied(lambda: s3.get_object(Bucket=BUCKET, Key=secrets)) == "AccessDenied"
    assert _denied(lambda: s3.put_object(Bucket=BUCKET, Key=manifest, Body=b"{}")) == "AccessDenied"
    assert _denied(lambda: s3.get_object(Bucket=BUCKET, Key="elsewhere/%s/manifest.json" % EXPORT_ID)) == "AccessDenied"
    # Roles other than the two execution roles.
    iam = world.client("iam", "deployer")
    document = json.dumps({"Version": "2012-10-17", "Statement": []})
    assert (
        _denied(lambda: iam.put_role_policy(RoleName="Admin", PolicyName="grant", PolicyDocument=document))
        == "AccessDenied"
    )
