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

AUTOMATED_RUN_TYPES = ("scheduled", "backfill")


def _serialized_dag(conn: Any, dag_id: str) -> Optional[Dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute("SELECT data, data_compressed FROM serialized_dag WHERE dag_id = %s", (dag_id,))
        row = cur.fetchone()
    if row is None:
        return None
    data, compressed = row
    if data is not None:
        return data if isinstance(data, dict) else json.loads(data)
    return json.loads(zlib.decompress(bytes(compressed)))


def _last_automated_run(conn: Any, dag_id: str) -> Optional[tuple]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT execution_date, data_interval_start, data_interval_end FROM dag_run"
            " WHERE dag_id = %s AND run_type = ANY(%s) ORDER BY execution_date DESC LIMIT 1",
            (dag_id, list(AUTOMATED_RUN_TYPES)),
        )
        return cur.fetchone()


def continue_schedules(conn: Any, dag_ids: List[str]) -> Dict[str, Any]:
    """Moves each DAG's next-run fields past its last imported run; never backwards."""
    changes: Dict[str, Any] = {}
    for dag_id in sorted(dag_ids):
        data = _serialized_dag(conn, dag_id)
        last = _last_automated_run(conn, dag_id)
        if data is None or last is None:
            continue
        # Imported only when a DAG needs it: Airflow is large, and the timetables are its own.
        from airflow.serialization.serialized_objects import SerializedDAG
        from airflow.timetables.base import DataInterval

        dag = SerializedDAG.from_dict(data)
        logical_date, start, end = last
        interval = DataInterval(start, end) if start and end else dag.infer_automated_data_interval(logical_date)
        info = dag.next_dagrun_info(interval)
        with conn.cursor() as cur:
            cur.execute("SELECT next_dagrun FROM dag WHERE dag_id = %s", (dag_id,))
            current = cur.fetchone()
            if current is None:
                continue
            current_next = current[0]
            if info is None:
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
