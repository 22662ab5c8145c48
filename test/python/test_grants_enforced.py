"""The migration grants are enough, and no more, on a moto server that enforces IAM.

A real direct-mode export (Airflow 2.10.3 source) and import (2.11.0 target) run with the keys
of IAM users that hold nothing but the grants the program builds (rules/permissions.ts,
printed by grant-documents.ts), against a moto server of this module's own that authorises
every request. The other Python tests use moto without IAM, where a missing permission would
only show on AWS.

What moto 5.2 checks (moto/core/authorization.py, moto/iam/access_control.py, moto/s3/responses.py):
each request's SigV4 signature against the user's secret key, and each S3 request as an IAM
action on the object's ARN: CreateMultipartUpload, UploadPart and CompleteMultipartUpload as
s3:PutObject, DELETE with an uploadId as s3:AbortMultipartUpload, GET and HEAD as s3:GetObject.
What it does not check, so neither does this test:
- Condition keys. moto evaluates only StringEquals, and only on keys a request supplies (sts:ExternalId);
  every other condition passes. The import grant's ListBucket is therefore not held to its
  s3:prefix, and kms:ViaService is not evaluated.
- KMS through S3. moto stores SSE-KMS objects without calling KMS, so the grants' kms statements are
  not exercised: removing them would leave this test green.
- Bucket policies. The migration bucket's TLS-only Deny would refuse every request to a plain-HTTP
  server (as AWS would); the bucket here has no policy.
The task-log copy is not the payload's: it runs in the provider as the deployer, so neither grant reads
a log (test_deployer_enforced.py holds the deployer policy to it).
"""

from typing import Any, Dict

import pytest
import support
from enforcing_moto import EnforcingMoto, grant_documents, without_action, without_statement
from mwaa_local import AirflowEnv, new_fernet_key
from mwaa_migration import bundle

BUCKET = "migration-grants"
PREFIX = "grants"
SOURCE_VERSION, TARGET_VERSION = "2.10.3", "2.11.0"
# Full access to S3 and IAM: reads what the others wrote, for the assertions, and creates users with
# reduced grants. The payload never runs with it.
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:*", "iam:*"], "Resource": "*"}],
}


class GrantedMigration:
    """Source and target databases, the enforcing server, and one access key per grant."""

    def __init__(self, moto: EnforcingMoto, source: AirflowEnv, target: AirflowEnv):
        self.moto = moto
        self.source = source
        self.target = target
        self.grants: Dict[str, Any] = {}
        self.keys: Dict[str, Dict[str, str]] = {}
        self.key_arn = ""
        self.export_run: Any = None  # the completed processes of the fixture's export and import
        self.import_run: Any = None

    def user_without(self, side: str, sid: str = "", action: str = "") -> str:
        """A user holding the export or import grant minus one statement (by Sid) or one action."""
        name = "%s-without-%s" % (side, sid or action.replace(":", "-"))
        if name not in self.keys:
            grant = self.grants[side]
            reduced = without_statement(grant, sid) if sid else without_action(grant, action)
            self.keys[name] = self.moto.user_with_policy(name, reduced, creator=self.keys["admin"])
        return name

    def direct(self, env: AirflowEnv, command: str, user: str, export_id: str) -> Any:
        """python -m mwaa_migration <command> against env's database, signing as <user>."""
        argv = ["-m", "mwaa_migration", command, "--db-url", env.sql_url]
        argv += ["--bucket", BUCKET, "--prefix", PREFIX, "--export-id", export_id, "--kms-key-id", self.key_arn]
        extra = {"PYTHONPATH": str(support.PAYLOAD)}
        extra.update(self.moto.aws_env(self.keys[user]))
        return env.python(argv, check=False, env=extra, timeout=300)

    def s3(self, user: str) -> Any:
        return self.moto.client("s3", self.keys[user])

    def object_keys(self, export_id: str) -> list:
        listing = self.s3("admin").list_objects_v2(Bucket=BUCKET, Prefix="%s/%s/" % (PREFIX, export_id))
        return sorted(o["Key"] for o in listing.get("Contents", []))


def _prepare_moto(m: GrantedMigration) -> None:
    """Bucket, migration key and the IAM users, created before authorisation is switched on."""
    s3 = m.moto.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    m.key_arn = m.moto.client("kms").create_key(Description="migration bundles")["KeyMetadata"]["Arn"]
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": m.key_arn}}]
        },
    )
    m.grants = grant_documents(BUCKET, PREFIX, m.key_arn)
    m.keys = {
        "exporter": m.moto.user_with_policy("exporter", m.grants["export"]),
        "importer": m.moto.user_with_policy("importer", m.grants["import"]),
        "admin": m.moto.user_with_policy("admin", ADMIN_POLICY),
    }


@pytest.fixture(scope="module")
def granted(stack):
    moto = EnforcingMoto().start()
    source = target = None
    try:
        # Direct mode needs the metadata databases only: no DAG files, no scheduler, no webserver.
        source = AirflowEnv.create("grants-src", SOURCE_VERSION, new_fernet_key())
        support.seed_objects(source)
        target = AirflowEnv.create("grants-tgt", TARGET_VERSION, new_fernet_key())
        m = GrantedMigration(moto, source, target)
        _prepare_moto(m)
        moto.enforce()
        m.export_run = m.direct(source, "export", "exporter", "bulk-1")
        m.import_run = m.direct(target, "import", "importer", "bulk-1")
        yield m
    finally:
        moto.stop()
        for env in (source, target):
            if env is not None:
                env.stop()


def _denied(call: Any) -> str:
    """The error code of a call that must be refused."""
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as refused:
        call()
    return refused.value.response["Error"]["Code"]


def _output(run: Any) -> str:
    return run.stdout + run.stderr


def test_the_server_enforces_iam(granted):
    anonymous = granted.moto.client("s3")
    assert _denied(lambda: anonymous.list_objects_v2(Bucket=BUCKET)) == "InvalidAccessKeyId"


def test_export_and_import_succeed_with_only_the_grants(granted):
    assert granted.export_run.returncode == 0, _output(granted.export_run)
    assert granted.import_run.returncode == 0, _output(granted.import_run)
    # The import exits 0 even when its report cannot be written; the report is what the provider reads.
    assert "could not write the import report" not in _output(granted.import_run)
    admin = granted.s3("admin")
    manifest = bundle.get_json(admin, BUCKET, bundle.manifest_key(PREFIX, "bulk-1"))
    report = bundle.get_json(admin, BUCKET, bundle.report_key(PREFIX, "bulk-1"))
    assert report["status"] == "succeeded"
    assert report["tables"]["variable"]["inserted"] == manifest["tables"]["variable"]["rows"] > 0
    head = admin.head_object(Bucket=BUCKET, Key=bundle.report_key(PREFIX, "bulk-1"))
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == granted.key_arn
    pools = granted.target.query("SELECT slots FROM slot_pool WHERE pool = 'etl_pool'")
    assert pools == [(3,)]


def test_the_import_grant_cannot_change_the_bundle(granted):
    importer = granted.s3("importer")
    manifest = bundle.manifest_key(PREFIX, "bulk-1")
    assert _denied(lambda: importer.put_object(Bucket=BUCKET, Key=manifest, Body=b"{}")) == "AccessDenied"
    assert _denied(lambda: importer.delete_object(Bucket=BUCKET, Key=manifest)) == "AccessDenied"
    stream = bundle.table_key(PREFIX, "bulk-1", "variable")
    assert _denied(lambda: importer.put_object(Bucket=BUCKET, Key=stream, Body=b"")) == "AccessDenied"
    outside = "elsewhere/bulk-1/import-report.json"
    assert _denied(lambda: importer.put_object(Bucket=BUCKET, Key=outside, Body=b"{}")) == "AccessDenied"


def test_the_export_grant_cannot_read_or_delete_the_bundle(granted):
    exporter = granted.s3("exporter")
    manifest = bundle.manifest_key(PREFIX, "bulk-1")
    assert _denied(lambda: exporter.get_object(Bucket=BUCKET, Key=manifest)) == "AccessDenied"
    assert _denied(lambda: exporter.head_object(Bucket=BUCKET, Key=manifest)) == "403"
    assert _denied(lambda: exporter.delete_object(Bucket=BUCKET, Key=manifest)) == "AccessDenied"
    assert _denied(lambda: exporter.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX + "/")) == "AccessDenied"
    outside = "elsewhere/bulk-1/manifest.json"
    assert _denied(lambda: exporter.put_object(Bucket=BUCKET, Key=outside, Body=b"{}")) == "AccessDenied"


def _abandon_stream(granted: GrantedMigration, user: str, name: str) -> list:
    """A table stream started and aborted as user, as a failed export does; returns the uploads left."""
    key = bundle.table_key(PREFIX, "abandoned", name)
    writer = bundle.StreamWriter(granted.s3(user), BUCKET, key, granted.key_arn)
    writer.write(b'{"n": 1}\n')
    writer.abort()  # swallows its own errors: only the bucket shows whether the abort was allowed
    return granted.s3("admin").list_multipart_uploads(Bucket=BUCKET, Prefix=key).get("Uploads", [])


def test_an_abandoned_stream_is_aborted_with_the_export_grant(granted):
    assert _abandon_stream(granted, "exporter", "log") == []
    without_abort = granted.user_without("export", action="s3:AbortMultipartUpload")
    assert len(_abandon_stream(granted, without_abort, "job")) == 1


def test_an_export_without_its_write_statement_fails(granted):
    run = granted.direct(granted.source, "export", granted.user_without("export", "WriteExportBundle"), "no-write")
    assert run.returncode != 0
    assert "AccessDenied" in _output(run)
    assert granted.object_keys("no-write") == []


def test_an_import_without_its_read_statement_fails(granted):
    run = granted.direct(granted.target, "import", granted.user_without("import", "ReadExportBundle"), "bulk-1")
    assert run.returncode != 0
    assert "AccessDenied" in _output(run)


def test_an_import_without_its_report_statement_writes_no_report(granted):
    export = granted.direct(granted.source, "export", "exporter", "bulk-2")
    assert export.returncode == 0, _output(export)
    run = granted.direct(granted.target, "import", granted.user_without("import", "WriteImportReport"), "bulk-2")
    assert "could not write the import report" in _output(run)
    assert bundle.report_key(PREFIX, "bulk-2") not in granted.object_keys("bulk-2")

