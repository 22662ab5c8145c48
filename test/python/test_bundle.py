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
    writer = bundle.StreamWriter(client, bucket, "p/e/tables/t.csv.gz", None)
    writer.write(codec.header(["n", "text"]))
    # Random-ish payload so that gzip output spans several parts.
    for i in range(120000):
        writer.write(codec.csv_record([str(i) + uuid.uuid4().hex, 'ünïcode \\ "quoted", \n']))
    sha = writer.close()
    reader = bundle.StreamReader(client, bucket, "p/e/tables/t.csv.gz")
    assert reader.first_line() == b"n,text\n"
    records = list(codec.parse_records(reader.read().decode("utf-8")))
    reader.verify(sha)
    assert len(records) == 120000
    assert records[7][1] == 'ünïcode \\ "quoted", \n'
    head = client.head_object(Bucket=bucket, Key="p/e/tables/t.csv.gz")
    assert head["ServerSideEncryption"] == "aws:kms"


def test_a_changed_stream_is_refused(s3):
    client, bucket = s3
    writer = bundle.StreamWriter(client, bucket, "k.csv.gz", None)
    writer.write(codec.header(["a"]) + codec.csv_record(["1"]))
    sha = writer.close()
    client.put_object(Bucket=bucket, Key="k.csv.gz", Body=gzip.compress(b"a\n2\n"))
    reader = bundle.StreamReader(client, bucket, "k.csv.gz")
    assert reader.read() == b"a\n2\n"
    with pytest.raises(bundle.ChecksumMismatch, match="sha256"):
        reader.verify(sha)


def test_values_encode_by_portable_type():
    when = datetime.datetime(2024, 5, 1, 6, 0, 0, 123456, tzinfo=datetime.timezone.utc)
    assert codec.encode_value(when, "timestamp") == "2024-05-01 06:00:00.123456+00:00"
    assert codec.encode_value(b"\x80\x05}\x94.", "bytes") == "\\x80057d942e"
    assert codec.encode_value(True, "boolean") == "t" and codec.encode_value(None, "text") is None
    assert codec.decode_value("\\x80057d942e", "bytes") == b"\x80\x05}\x94."
    assert codec.decode_value(None, "bytes") is None
    # As PostgreSQL writes them: the fraction as long as needed, the offset in hours.
    assert codec.decode_value("2024-05-01 06:00:00.123456+00", "timestamp") == when
    assert codec.decode_value("2024-05-01 06:00:00.12+00", "timestamp") == when.replace(microsecond=120000)
    assert codec.decode_value("2024-05-01 06:00:00+00", "timestamp") == when.replace(microsecond=0)
    assert codec.decode_value("f", "boolean") is False and codec.decode_value("-3", "integer") == -3
    with pytest.raises(ValueError, match="cannot carry"):
        codec.portable_type("t", "c", "tsvector")


def test_null_and_the_empty_text_stay_apart_in_a_record():
    line = codec.csv_record([None, "", "a,b", 'say "hi"', "two\nlines", "\\.", "plain"])
    assert line == b',"","a,b","say ""hi""","two\nlines","\\.",plain\n'
    assert list(codec.parse_records(line.decode("utf-8"))) == [
        [None, "", "a,b", 'say "hi"', "two\nlines", "\\.", "plain"]
    ]
    with pytest.raises(ValueError, match="not CSV"):
        list(codec.parse_records('"open"x,\n'))


def test_postgresql_and_python_read_and_write_the_same_records(stack):
    """What COPY writes, Python reads alike; what Python writes (secret tables), COPY reads alike."""
    import io

    import psycopg2

    columns = [("t", "text"), ("i", "integer"), ("f", "float"), ("b", "boolean"), ("ts", "timestamp"),
               ("raw", "bytes"), ("doc", "json-text")]
    values = [
        ["", 1, 0.1, True, datetime.datetime(2024, 5, 1, 6, 0, 0, 120000, tzinfo=datetime.timezone.utc),
         b"\x00\x80\xff,\n\"", '{"n": 1e+16, "s": "a\\u0000b"}'],
        ['a,"b"\r\nc', -(2**63), -0.0, False, datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc), b"",
         "null"],
        [None] * 7,
    ]
    conn = psycopg2.connect(stack["postgres_url"])
    try:
        with conn.cursor() as cur:
            for setting in codec.EXPORT_SETTINGS:
                cur.execute(setting)
            cur.execute(
                "CREATE TEMP TABLE mm_codec (t text, i bigint, f float8, b boolean, ts timestamptz, raw bytea, doc json)"
            )
            written = codec.header([n for n, _ in columns]) + b"".join(
                codec.csv_record([codec.encode_value(v, t) for v, (_, t) in zip(row, columns)]) for row in values
            )
            reader = io.BytesIO(written)
            reader.readline()
            cur.copy_expert("COPY mm_codec FROM STDIN %s" % codec.COPY_IN, reader)
            cur.execute("SELECT t, i, f, b, ts, raw, doc::text FROM mm_codec ORDER BY i NULLS LAST")
            stored = [[bytes(v) if isinstance(v, memoryview) else v for v in row] for row in cur.fetchall()]
            assert stored == [values[1], values[0], values[2]]
            out = io.BytesIO()
            cur.copy_expert(
                "COPY (SELECT t, i, f, b, ts, raw, doc::text AS doc FROM mm_codec ORDER BY i NULLS LAST) TO STDOUT %s"
                % codec.COPY_OUT,
                out,
            )
        text = out.getvalue().decode("utf-8")
        header, *records = list(codec.parse_records(text))
        assert header == [n for n, _ in columns]
        read = [[codec.decode_value(v, t) for v, (_, t) in zip(record, columns)] for record in records]
        assert read == [values[1], values[0], values[2]]
        assert str(read[0][2]) == "-0.0"
    finally:
        conn.close()


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


def test_a_bundle_of_the_earlier_format_is_refused_naming_its_version_and_the_fix():
    from mwaa_migration.errors import ImportFailed
    from mwaa_migration.importer import check_manifest

    with pytest.raises(ImportFailed, match=r"format version 1 \(gzip JSON Lines streams.*reads version 2.*export again"):
        check_manifest({"formatVersion": 1, "tables": {}})
    check_manifest({"formatVersion": bundle.FORMAT_VERSION, "tables": {}})


def test_a_bundle_is_read_where_its_manifest_was_found_not_where_it_was_written():
    written = {
        "formatVersion": bundle.FORMAT_VERSION,
        "tables": {"dag_run": {"key": "nightly/bulk-1/tables/dag_run.csv.gz", "rows": 3, "sha256": "x", "columns": []}},
    }
    moved = bundle.read_where_found(written, "copied/", "bulk-1")
    assert moved["tables"]["dag_run"]["key"] == "copied/bulk-1/tables/dag_run.csv.gz"
    assert moved["tables"]["dag_run"]["rows"] == 3
    assert written["tables"]["dag_run"]["key"] == "nightly/bulk-1/tables/dag_run.csv.gz"
