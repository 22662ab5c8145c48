"""After an import: each DAG's next run follows its last imported scheduled run.

The target parsed its DAGs before the history arrived, so its `dag` rows say
"first run at start_date". Unpaused like that, a catchup DAG would try every
interval the source already ran. Here the next-run fields are computed the way
Airflow's own DAG processor does (the DAG's timetable, from the target's
serialized DAG, applied to the last scheduled/backfill run's data interval)
and written inside the import's transaction.
"""

import json
import zlib
from typing import Any, Dict, List, Optional

from . import db

AUTOMATED_RUN_TYPES = ("scheduled", "backfill")


def _serialized_dag(conn: Any, dag_id: str) -> Optional[Dict[str, Any]]:
    # Airflow 3 keeps one serialized DAG per DAG version: the newest is the DAG as it is now.
    with conn.cursor() as cur:
        cur.execute(
            "SELECT data, data_compressed FROM serialized_dag WHERE dag_id = %s ORDER BY last_updated DESC LIMIT 1",
            (dag_id,),
        )
        row = cur.fetchone()
    if row is None:
        return None
    data, compressed = row
    if data is not None:
        return data if isinstance(data, dict) else json.loads(data)
    return json.loads(zlib.decompress(bytes(compressed)))


def _logical_date_column(conn: Any) -> str:
    """execution_date on Airflow 2, logical_date on Airflow 3."""
    names = {c.name for c in db.reflect_columns(conn, "dag_run") or []}
    return "logical_date" if "logical_date" in names else "execution_date"


def _last_automated_run(conn: Any, dag_id: str, logical: str) -> Optional[tuple]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT %s, data_interval_start, data_interval_end FROM dag_run"
            " WHERE dag_id = %%s AND run_type = ANY(%%s) AND %s IS NOT NULL ORDER BY %s DESC LIMIT 1"
            % (logical, logical, logical),
            (dag_id, list(AUTOMATED_RUN_TYPES)),
        )
        return cur.fetchone()


def _deserialize(data: Dict[str, Any]) -> Any:
    """The scheduler's view of a serialized DAG (Airflow 3.3 renamed the class that builds it)."""
    from airflow.serialization import serialized_objects

    loader = getattr(serialized_objects, "DagSerialization", None) or serialized_objects.SerializedDAG
    return loader.from_dict(data)


def next_run_info(dag: Any, logical_date: Any, start: Any, end: Any) -> Any:
    """What the DAG's timetable schedules after a run, as the DAG processor computes it. The
    timetable's own interface is the one Airflow 2.2 to 3.3 all have."""
    from airflow.timetables.base import DataInterval

    if start and end:
        interval = DataInterval(start, end)
    else:
        interval = dag.infer_automated_data_interval(logical_date)
    return dag.timetable.next_dagrun_info(last_automated_data_interval=interval, restriction=dag._time_restriction)


def continue_schedules(conn: Any, dag_ids: List[str]) -> Dict[str, Any]:
    """Moves each DAG's next-run fields past its last imported run; never backwards."""
    changes: Dict[str, Any] = {}
    logical = _logical_date_column(conn)
    for dag_id in sorted(dag_ids):
        data = _serialized_dag(conn, dag_id)
        last = _last_automated_run(conn, dag_id, logical)
        if data is None or last is None:
            continue
        logical_date, start, end = last
        info = next_run_info(_deserialize(data), logical_date, start, end)
        with conn.cursor() as cur:
            cur.execute("SELECT next_dagrun FROM dag WHERE dag_id = %s", (dag_id,))
            current = cur.fetchone()
            if current is None:
                continue
            current_next = current[0]
            if info is None or info.logical_date is None:
                if current_next is None or current_next > logical_date:
                    continue
                values = (None, None, None, None)
            else:
                if current_next is not None and current_next >= info.logical_date:
                    continue
                values = (info.logical_date, info.data_interval.start, info.data_interval.end, info.run_after)
            cur.execute(
                "UPDATE dag SET next_dagrun = %s, next_dagrun_data_interval_start = %s,"
                " next_dagrun_data_interval_end = %s, next_dagrun_create_after = %s WHERE dag_id = %s",
                values + (dag_id,),
            )
        changes[dag_id] = {
            "previousNextRun": current_next.isoformat() if current_next else None,
            "nextRun": values[0].isoformat() if values[0] else None,
        }
    return changes
