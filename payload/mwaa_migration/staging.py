"""A table's stream, from the bundle into a typed staging table, checked against the manifest."""

from typing import Any, Dict

from . import bundle, codec
from .errors import ImportFailed


def staging_table(name: str) -> str:
    return "mm_rows_" + name


def check_header(name: str, entry: Dict[str, Any], line: bytes) -> None:
    """The stream's header line must name the manifest's columns, in its order."""
    expected = codec.header([c["name"] for c in entry["columns"]])
    if line != expected:
        raise ImportFailed(
            "table %s: the stream's header %r does not name the manifest's columns %r; the bundle is "
            "altered or not of format version %d, export again"
            % (name, line[:200].decode("utf-8", "replace").rstrip("\n"), expected.decode("utf-8").rstrip("\n"),
               bundle.FORMAT_VERSION)
        )


def stage(conn: Any, s3: Any, bucket: str, name: str, entry: Dict[str, Any]) -> int:
    """Copies the stream into mm_rows_<name> (typed), verifying sha256 and row count.

    The stream is CSV as COPY writes it, each value in its type's text form (codec.py),
    so COPY reads it straight into the typed columns: no second pass over the rows.
    The staging table is temporary (private to the import's session) and dropped at
    commit, so a failed import leaves nothing behind.
    """
    reader = bundle.StreamReader(s3, bucket, entry["key"])
    definition = ", ".join(
        "%s %s" % (codec.quote_ident(c["name"]), codec.stage_type(c["type"])) for c in entry["columns"]
    )
    columns = ", ".join(codec.quote_ident(c["name"]) for c in entry["columns"])
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE %s (%s) ON COMMIT DROP" % (staging_table(name), definition))
        try:
            check_header(name, entry, reader.first_line())
            cur.copy_expert(
                "COPY %s (%s) FROM STDIN %s" % (staging_table(name), columns, codec.COPY_IN), reader, size=reader.CHUNK
            )
        except Exception:
            # A stream altered after export: say so, rather than where it stopped making sense.
            reader.drain()
            reader.verify(entry["sha256"])
            raise
        staged = cur.rowcount
        reader.verify(entry["sha256"])
    if staged != entry["rows"]:
        raise ImportFailed(
            "table %s: the stream holds %d rows but the manifest records %d; the bundle is "
            "incomplete or altered, export again" % (name, staged, entry["rows"])
        )
    return staged
