"""Bundle streams against moto's S3: multipart gzip with checksums, and their refusal."""

import datetime
import gzip
import uuid

import pytest
from mwaa_migration import bundle, codec
from mwaa_migration.secrets import Cipher, reveal_row, seal_row
from mwaa_migration.spec import table_spec


@pytest.fixture()
def s3(stack):
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=stack["aws_endpoint_url"],
        region_name=stack["aws_region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    name = "bundle-" + uuid.uuid4().hex[:8]
    client.create_bucket(Bucket=name)
    return client, name


def test_a_stream_larger_than_a_part_round_trips_with_its_checksum(s3, monkeypatch):
    client, bucket = s3
    monkeypatch.setattr(bundle, "PART_SIZE", 5 * 1024 * 1024)
    writer = bundle.StreamWriter(client, bucket, "p/e/tables/t.jsonl.gz", None)
    line = codec.dump_line({"n": 1, "text": "ünïcode \\ \"quoted\" \n"})
    # Random-ish payload so that gzip output spans several parts.
    for i in range(120000):
        writer.write(line.replace(b"1", str(i).encode() + uuid.uuid4().hex.encode(), 1))
    sha = writer.close()
    assert writer.rows == 120000
    reader = bundle.StreamReader(client, bucket, "p/e/tables/t.jsonl.gz")
    lines = list(reader.lines())
    reader.verify(sha)
    assert len(lines) == 120000
    head = client.head_object(Bucket=bucket, Key="p/e/tables/t.jsonl.gz")
    assert head["ServerSideEncryption"] == "aws:kms"


def test_a_changed_stream_is_refused(s3):
    client, bucket = s3
    writer = bundle.StreamWriter(client, bucket, "k.jsonl.gz", None)
    writer.write(codec.dump_line({"a": 1}))
    sha = writer.close()
    client.put_object(Bucket=bucket, Key="k.jsonl.gz", Body=gzip.compress(b'{"a":2}\n'))
    reader = bundle.StreamReader(client, bucket, "k.jsonl.gz")
    assert reader.read() == b'{"a":2}\n'
    with pytest.raises(bundle.ChecksumMismatch, match="sha256"):
        reader.verify(sha)


def test_values_encode_by_portable_type():
    when = datetime.datetime(2024, 5, 1, 6, 0, 0, 123456, tzinfo=datetime.timezone.utc)
    assert codec.encode_value(when, "timestamp") == "2024-05-01T06:00:00.123456+00:00"
    assert codec.encode_value(b"\x80\x05}\x94.", "bytes") == {"$b64": "gAV9lC4="}
    assert codec.decode_value({"$b64": "gAV9lC4="}, "bytes") == b"\x80\x05}\x94."
    assert codec.decode_value(None, "bytes") is None
    assert codec.decode_value("2024-05-01T06:00:00.123456+00:00", "timestamp") == when
    with pytest.raises(ValueError, match="cannot carry"):
        codec.portable_type("t", "c", "tsvector")


def test_secrets_are_revealed_for_the_bundle_and_sealed_with_the_target_key():
    from cryptography.fernet import Fernet

    source_key, target_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    spec = table_spec("connection")
    stored = {"conn_id": "c", "password": Fernet(source_key.encode()).encrypt(b"pw").decode(),
              "is_encrypted": True, "extra": '{"k": 1}', "is_extra_encrypted": False}
    clear = reveal_row(spec, stored, Cipher(source_key))
    assert clear["password"] == "pw" and clear["is_encrypted"] is False
    sealed = seal_row(spec, clear, Cipher(target_key), {"password", "is_encrypted", "extra", "is_extra_encrypted"})
    assert sealed["is_encrypted"] is True and sealed["is_extra_encrypted"] is True
    assert Fernet(target_key.encode()).decrypt(sealed["password"].encode()) == b"pw"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        reveal_row(spec, stored, Cipher(target_key))


def test_a_manifest_is_never_written_over(s3):
    client, bucket = s3
    key = bundle.manifest_key("p", "e1")
    assert not bundle.object_exists(client, bucket, key)
    bundle.put_json(client, bucket, key, {"n": 1}, None, only_if_absent=True)
    assert bundle.object_exists(client, bucket, key)
    with pytest.raises(bundle.BundleExists, match="already exists"):
        bundle.put_json(client, bucket, key, {"n": 2}, None, only_if_absent=True)
    assert bundle.get_json(client, bucket, key) == {"n": 1}
    bundle.put_json(client, bucket, bundle.report_key("p", "e1"), {"n": 2}, None)  # reports are rewritten


def test_a_secret_that_cannot_be_decrypted_names_the_side_and_the_row():
    from cryptography.fernet import Fernet

    spec = table_spec("variable")
    stored = {"key": "api_key", "val": Fernet(Fernet.generate_key()).encrypt(b"v").decode(), "is_encrypted": True}
    with pytest.raises(ValueError, match="the target's variable 'api_key' \\(val\\) cannot be decrypted"):
        reveal_row(spec, stored, Cipher(Fernet.generate_key().decode(), "target"))
    with pytest.raises(ValueError, match="the source's variable 'api_key' \\(val\\) is marked encrypted"):
        reveal_row(spec, stored, Cipher(None, "source"))
