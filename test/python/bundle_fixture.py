"""A small export bundle as the export writes it, for the tests of what the providers read from a bundle.

Two task instances of one run of DAG `etl`, a connection, the import's report, and the manifest (written
last); the table streams are CSV as codec.py writes them (bundle format 2).
"""

import datetime
import gzip
import json
from typing import Any, Dict, List

from mwaa_migration import codec

RUN_ID = "scheduled__2024-05-01T00:00:00+00:00"
TASKS = ("extract", "load")

RUN_COLUMNS = [{"name": "dag_id", "type": "text"}, {"name": "run_id", "type": "text"},
               {"name": "execution_date", "type": "timestamp"}]
TI_COLUMNS = [{"name": "dag_id", "type": "text"}, {"name": "run_id", "type": "text"}, {"name": "task_id", "type": "text"},
              {"name": "map_index", "type": "integer"}, {"name": "try_number", "type": "integer"},
              {"name": "state", "type": "text"}, {"name": "end_date", "type": "timestamp"}]
CONNECTION_COLUMNS = [{"name": "conn_id", "type": "text"}, {"name": "password", "type": "text"}]


def gzip_csv(columns: List[Dict[str, str]], rows: List[Dict[str, Any]]) -> bytes:
    """A table stream as the export writes it (codec.py): a header, then each row's values as text."""
    names = [c["name"] for c in columns]
    return gzip.compress(
        codec.header(names)
        + b"".join(codec.csv_record([codec.encode_value(r.get(c["name"]), c["type"]) for c in columns]) for r in rows)
    )


def bundle_objects(export_id: str) -> Dict[str, bytes]:
    """The bundle's objects by name relative to its folder, in the order the export writes them."""
    runs = [{"dag_id": "etl", "run_id": RUN_ID,
             "execution_date": datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc)}]
    ended = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    tis = [
        {"dag_id": "etl", "run_id": RUN_ID, "task_id": task, "map_index": -1, "try_number": 1,
         "state": "success", "end_date": ended}
        for task in TASKS
    ]
    return {
        "tables/dag_run.csv.gz": gzip_csv(RUN_COLUMNS, runs),
        "tables/task_instance.csv.gz": gzip_csv(TI_COLUMNS, tis),
        "tables/connection.csv.gz": gzip_csv(CONNECTION_COLUMNS, [{"conn_id": "warehouse", "password": "decrypted"}]),
        "import-report.json": json.dumps(
            {
                "status": "succeeded",
                "tables": {"dag_run": {"inserted": 1}},
                "dags": {"runs": {"etl": {"runs": 1, "imported": 1}}},
            }
        ).encode(),
        "manifest.json": json.dumps(
            {
                "formatVersion": 2,
                "exportId": export_id,
                "phase": "bulk",
                "source": {"airflowVersion": "2.10.3"},
                "tables": {
                    "dag_run": {"rows": 1, "columns": RUN_COLUMNS},
                    "task_instance": {"rows": 2, "columns": TI_COLUMNS},
                    "connection": {"rows": 1, "columns": CONNECTION_COLUMNS},
                },
            }
        ).encode(),
    }


def place_bundle(s3: Any, bucket: str, prefix: str, export_id: str, key_arn: str) -> List[str]:
    """Writes the bundle under <prefix>/<export_id>/ with the migration key; returns the keys written."""
    folder = "%s/%s/" % (prefix, export_id)
    objects = bundle_objects(export_id)
    for name, body in objects.items():
        s3.put_object(Bucket=bucket, Key=folder + name, Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    return [folder + name for name in objects]


def task_log_stream(task_id: str) -> str:
    """The source's CloudWatch stream of a task's first try, as Airflow 2 names it in MWAA."""
    return ("dag_id=etl/run_id=%s/task_id=%s/attempt=1.log" % (RUN_ID, task_id)).replace(":", "_")
