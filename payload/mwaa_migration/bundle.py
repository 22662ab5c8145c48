"""The bundle in S3: gzip CSV streams (one per table) with their checksums, and the manifest.

Streams are written as S3 multipart uploads while the rows are produced, so an
export's memory use is one part buffer, whatever the table size. Every object is
written with SSE-KMS under the migration key.
"""

import hashlib
import json
import zlib
from typing import Any, Dict, Iterator, Optional

from .contract import FORMAT_VERSION, MANIFEST_NAME, REPORT_NAME, TABLE_STREAM_EXTENSION, TABLES_FOLDER

PART_SIZE = 8 * 1024 * 1024  # S3 parts must be at least 5 MiB, except the last
GZIP_LEVEL = 1  # the export is bound by CPU; level 1 costs a third of level 6
RAW_BATCH = 1024 * 1024
_GZIP_WBITS = 16 + zlib.MAX_WBITS


def export_root(prefix: str, export_id: str) -> str:
    prefix = prefix.strip("/")
    return "%s/%s" % (prefix, export_id) if prefix else export_id


def table_key(prefix: str, export_id: str, table: str) -> str:
    return "%s/%s/%s%s" % (export_root(prefix, export_id), TABLES_FOLDER, table, TABLE_STREAM_EXTENSION)


def manifest_key(prefix: str, export_id: str) -> str:
    return "%s/%s" % (export_root(prefix, export_id), MANIFEST_NAME)


def read_where_found(manifest: Dict[str, Any], prefix: str, export_id: str) -> Dict[str, Any]:
    """The manifest with each table's stream key beside the manifest itself: a bundle is read where it was
    found, not where it was written (the manifest records the export's own keys, and a bundle copied to
    another bucket or prefix keeps them)."""
    tables = {
        name: dict(entry, key=table_key(prefix, export_id, name)) for name, entry in manifest.get("tables", {}).items()
    }
    return dict(manifest, tables=tables)


def report_key(prefix: str, export_id: str) -> str:
    return "%s/%s" % (export_root(prefix, export_id), REPORT_NAME)


def _sse_args(kms_key_id: Optional[str]) -> Dict[str, str]:
    args = {"ServerSideEncryption": "aws:kms"}
    if kms_key_id:
        args["SSEKMSKeyId"] = kms_key_id
    return args


class StreamWriter:
    """A file-like sink: gzip, sha256 and multipart upload of whatever is written.

    The caller counts the rows (a CSV record may span lines). Call close() to finish the
    object or abort() to discard it; a failed upload is always aborted.
    """

    def __init__(self, s3: Any, bucket: str, key: str, kms_key_id: Optional[str]) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._key = key
        self._compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, _GZIP_WBITS)
        self._sha = hashlib.sha256()
        self._raw = bytearray()
        self._buffer = bytearray()
        self._parts = []  # type: list
        self.bytes_written = 0
        upload = s3.create_multipart_upload(Bucket=bucket, Key=key, **_sse_args(kms_key_id))
        self._upload_id = upload["UploadId"]

    def write(self, data: Any) -> int:
        # COPY hands over one row per call: collect rows and compress them in batches.
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._raw += data
        if len(self._raw) >= RAW_BATCH:
            self._compress_batch()
        return len(data)

    def _compress_batch(self) -> None:
        self._buffer += self._compressor.compress(self._raw)
        self._raw = bytearray()
        if len(self._buffer) >= PART_SIZE:
            self._flush_part()

    def _flush_part(self) -> None:
        body = bytes(self._buffer)
        self._buffer = bytearray()
        self._sha.update(body)
        self.bytes_written += len(body)
        number = len(self._parts) + 1
        try:
            reply = self._s3.upload_part(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=body,
            )
        except Exception:
            self.abort()
            raise
        self._parts.append({"PartNumber": number, "ETag": reply["ETag"]})

    def close(self) -> str:
        """Finishes the object and returns the sha256 (hex) of its bytes."""
        self._compress_batch()
        self._buffer += self._compressor.flush()
        if self._buffer or not self._parts:
            self._flush_part()
        try:
            self._s3.complete_multipart_upload(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        except Exception:
            self.abort()
            raise
        return self._sha.hexdigest()

    def abort(self) -> None:
        try:
            self._s3.abort_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id
            )
        except Exception:  # noqa: BLE001 - best effort; the lifecycle rule expires leftovers
            pass


class ChecksumMismatch(Exception):
    pass


class StreamReader:
    """A file-like source (read(n)) of one table's stream, decompressed.

    Hashes the stored bytes as they are read; verify() compares with the manifest
    once the stream is exhausted. The import reads the stream into its staging
    table inside the transaction and verifies before anything reaches the target
    tables, so a tampered stream is refused without a second download.
    """

    CHUNK = 1024 * 1024

    def __init__(self, s3: Any, bucket: str, key: str) -> None:
        self.key = key
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        self._sha = hashlib.sha256()
        self._blocks = self._decompressed_blocks(body.iter_chunks(self.CHUNK))
        self._pending = b""
        self._offset = 0
        self._done = False

    def _decompressed_blocks(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """Decompressed data in blocks of at most CHUNK bytes (bounded memory)."""
        decompressor = zlib.decompressobj(_GZIP_WBITS)
        for chunk in chunks:
            self._sha.update(chunk)
            data = decompressor.decompress(chunk, self.CHUNK)
            while True:
                if data:
                    yield data
                if not decompressor.unconsumed_tail:
                    break
                data = decompressor.decompress(decompressor.unconsumed_tail, self.CHUNK)
        tail = decompressor.flush()
        if tail:
            yield tail

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            rest = self._pending[self._offset :] + b"".join(self._blocks)
            self._pending, self._offset, self._done = b"", 0, True
            return rest
        while len(self._pending) - self._offset < size and self._pull():
            pass
        out = self._pending[self._offset : self._offset + size]
        self._offset += len(out)
        return out

    def _pull(self) -> bool:
        """Appends the next block to what is pending; False once the blocks are used up."""
        if self._done:
            return False
        block = next(self._blocks, None)
        if block is None:
            self._done = True
            return False
        self._pending = self._pending[self._offset :] + block
        self._offset = 0
        return True

    def first_line(self, limit: int = 1024 * 1024) -> bytes:
        """The stream's first line, with its line end (a CSV stream's header); read() goes on after it."""
        while b"\n" not in self._pending[self._offset :] and len(self._pending) <= limit and self._pull():
            pass
        end = self._pending.find(b"\n", self._offset)
        end = len(self._pending) if end < 0 else end + 1
        line = self._pending[self._offset : end]
        self._offset = end
        return line

    def drain(self) -> None:
        """Reads the rest of the stream (hashing it), so that verify() can tell whether it was altered."""
        while self.read(self.CHUNK):
            pass

    def lines(self) -> Iterator[bytes]:
        rest = b""
        while True:
            block = self.read(self.CHUNK)
            if not block:
                break
            rest += block
            *complete, rest = rest.split(b"\n")
            for line in complete:
                yield line
        if rest.strip():
            yield rest

    def verify(self, expected_sha256: str) -> None:
        actual = self._sha.hexdigest()
        if actual != expected_sha256:
            raise ChecksumMismatch(
                "s3 object %s has sha256 %s but the manifest records %s: the stream was "
                "changed after export; export again rather than importing it"
                % (self.key, actual, expected_sha256)
            )


class BundleExists(Exception):
    pass


def object_exists(s3: Any, bucket: str, key: str) -> bool:
    """False also when the caller may not tell (403: the export grant cannot read the bundle)."""
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError:
        return False


def _if_none_match(request: Any, **_: Any) -> None:
    request.headers["If-None-Match"] = "*"


def put_json(
    s3: Any, bucket: str, key: str, document: Dict[str, Any], kms_key_id: Optional[str], only_if_absent: bool = False
) -> None:
    """only_if_absent: S3 refuses the write (412) when the object exists, atomically.

    The header goes on the request directly: botocore before 1.35 (Airflow 2.8's) has
    no IfNoneMatch parameter, and S3 honours the header from any client.
    """
    from botocore.exceptions import ClientError

    body = json.dumps(document, indent=2, sort_keys=True).encode("utf-8")
    event = "before-sign.s3.PutObject"
    if only_if_absent:
        s3.meta.events.register(event, _if_none_match, unique_id="mwaa-migration-if-none-match")
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", **_sse_args(kms_key_id))
    except ClientError as error:
        if only_if_absent and error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
            raise BundleExists(
                "s3://%s/%s already exists: an export under this exportId completed earlier, so this one "
                "stops without replacing its manifest; export under a new exportId" % (bucket, key)
            ) from None
        raise
    finally:
        if only_if_absent:
            s3.meta.events.unregister(event, unique_id="mwaa-migration-if-none-match")


def get_json(s3: Any, bucket: str, key: str) -> Dict[str, Any]:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as error:
        raise FileNotFoundError(
            "cannot read s3://%s/%s (%s); an export is complete only once its manifest "
            "is written, so check the bucket, prefix and exportId" % (bucket, key, error)
        ) from error
    return json.loads(body)


def s3_client() -> Any:
    """An S3 client from the default AWS chain (AWS_ENDPOINT_URL etc. honoured)."""
    import boto3  # imported here so that pure modules load without boto3

    return boto3.client("s3")
