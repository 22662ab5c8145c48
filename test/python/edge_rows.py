"""The edge-row fixture: one finished run of hist_edge (dags/edge_dags.py) whose rows hold
values a naive copy of the metadata breaks.

The scheduler runs the DAG (rendered fields and an XCom with JSON number forms, key order,
a NUL escape and control characters; tasks ending success, failed, skipped and
upstream_failed; a run note and a task note). SQL then adds what Airflow does not leave on a
finished run by itself: a task instance in every other state, the deferral columns of a task
that was deferred before it finished, JSON text that jsonb would rewrite, JSON null beside SQL
NULL, and long texts with control characters."""

import contextlib
from typing import Any, Dict, Iterator, List

import support
from mwaa_local import AirflowEnv
from mwaa_migration.spec import UNFINISHED_TI_STATES

# A finished run may still hold these (removed: the task left the DAG; None: never scheduled).
OTHER_FINISHED_STATES = ("removed", None)
SEEDED_STATES = UNFINISHED_TI_STATES + OTHER_FINISHED_STATES

# Valid for json, changed by jsonb: spacing, number forms, a duplicate key (jsonb keeps the
# last), escapes (jsonb decodes them) and a NUL escape (jsonb refuses it).
EDGE_JSON = (
    '{"event" : {"z": 1e+16, "a": -0.0, "n": null, "exact": 1.000, "big": 123456789012345678901234567890},'
    ' "dup": 1, "dup": 2, "nul\\u0000key": "\\u0000", "esc": "\\ud83d\\ude00 \\u00e9 \\/ \\u001f"}'
)
CONTROLS = "".join(chr(c) for c in range(1, 32)) + "\x7f"
EDGE_NOTE = ("note ✓ " + CONTROLS + " Grüße 東京 ")[:60] * 16  # 960 characters; notes hold 1000
LONG_TEXT = ("long ✓ " + CONTROLS + "\\ \" ' ") * 6000  # about 300,000 characters
# next_kwargs in Airflow's serialized form (the scheduler deserializes it), with the same traps.
EDGE_NEXT_KWARGS = (
    '{"__var": {"event" : {"__var": {"z": 1e+16, "a": -0.0, "n": null, "exact": 1.000, "nul": "\\u0000",'
    ' "esc": "\\ud83d\\ude00 \\/"}, "__type": "dict"}}, "__type": "dict"}'
)
DEFERRED_TIMEOUT = "2024-05-01 06:00:00.123456"


@contextlib.contextmanager
def _cursor(env: AirflowEnv) -> Iterator[Any]:
    import psycopg2

    conn = psycopg2.connect(env.dsn)
    try:
        with conn.cursor() as cur:
            yield cur
        conn.commit()
    finally:
        conn.close()


def columns(cur: Any, table: str) -> List[str]:
    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s"
        " ORDER BY ordinal_position",
        (table,),
    )
    return [row[0] for row in cur.fetchall()]


def _copy_row(cur: Any, source: str, target: str, where: str, params: tuple, overrides: Dict[str, Any]) -> None:
    """INSERT INTO target the row(s) of source matching where, with some columns replaced."""
    wanted = [c for c in columns(cur, target) if c != "id" and c in set(columns(cur, source))]
    values = ["%s" if c in overrides else '"%s"' % c for c in wanted]
    cur.execute(
        "INSERT INTO %s (%s) SELECT %s FROM %s WHERE %s"
        % (target, ", ".join('"%s"' % c for c in wanted), ", ".join(values), source, where),
        tuple(overrides[c] for c in wanted if c in overrides) + params,
    )


def seed_edge_rows(env: AirflowEnv) -> str:
    """Runs hist_edge once through the scheduler, adds the SQL-only rows; returns the run id."""
    env.rest("PATCH", "/dags/%s" % support.EDGE_DAG, json={"is_paused": False})
    try:
        run_id = support.trigger(
            env, support.EDGE_DAG, {"big": 1e16, "neg_zero": -0.0, "nul": "\x00", "controls": CONTROLS}, note=EDGE_NOTE
        )
        support.wait_run(env, support.EDGE_DAG, run_id)
    finally:
        env.rest("PATCH", "/dags/%s" % support.EDGE_DAG, json={"is_paused": True})
    env.rest(
        "PATCH",
        "/dags/%s/dagRuns/%s/taskInstances/render/setNote" % (support.EDGE_DAG, run_id),
        json={"note": EDGE_NOTE},
    )
    ti = "dag_id = %s AND run_id = %s AND task_id = %s"
    with _cursor(env) as cur:
        for state in SEEDED_STATES:
            overrides: Dict[str, Any] = {"task_id": "state_%s" % (state or "none"), "state": state}
            if state in UNFINISHED_TI_STATES:
                # No job: the scheduler would take a running task of a finished job for a zombie.
                overrides.update(job_id=None, queued_by_job_id=None, pid=None)
            _copy_row(cur, "task_instance", "task_instance", ti, (support.EDGE_DAG, run_id, "render"), overrides)
        # Finished tasks that were deferred once keep what the deferral left.
        cur.execute(
            "UPDATE task_instance SET trigger_timeout = %s, next_method = 'execute_complete', next_kwargs = %s::json,"
            " hostname = %s, external_executor_id = %s"
            " WHERE dag_id = %s AND run_id = %s AND task_id IN ('render', 'state_removed')",
            (DEFERRED_TIMEOUT, EDGE_NEXT_KWARGS, LONG_TEXT[:1000], LONG_TEXT[:250], support.EDGE_DAG, run_id),
        )
        if "task_instance_history" in _tables(cur):
            _copy_row(cur, "task_instance", "task_instance_history", ti, (support.EDGE_DAG, run_id, "state_removed"), {})
        cur.execute(
            "UPDATE rendered_task_instance_fields SET k8s_pod_yaml = 'null'::json WHERE " + ti,
            (support.EDGE_DAG, run_id, "render"),
        )
        cur.execute(
            "INSERT INTO rendered_task_instance_fields (dag_id, task_id, run_id, map_index, rendered_fields, k8s_pod_yaml)"
            " VALUES (%s, 'state_removed', %s, -1, %s::json, NULL)",
            (support.EDGE_DAG, run_id, EDGE_JSON),
        )
        _copy_row(cur, "xcom", "xcom", ti + " AND key = 'return_value'", (support.EDGE_DAG, run_id, "render"),
                  {"key": "edge_null_value", "value": None})
        cur.execute("SELECT execution_date FROM dag_run WHERE dag_id = %s AND run_id = %s", (support.EDGE_DAG, run_id))
        logical_date = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO log (dttm, dag_id, task_id, event, execution_date, owner, extra)"
            " VALUES (now(), %s, 'render', 'edge', %s, %s, %s)",
            (support.EDGE_DAG, logical_date, "owner " + CONTROLS, LONG_TEXT),
        )
        cur.execute(
            "INSERT INTO sla_miss (task_id, dag_id, execution_date, email_sent, timestamp, description, notification_sent)"
            " VALUES ('render', %s, %s, false, now(), %s, false)",
            (support.EDGE_DAG, logical_date, LONG_TEXT[:100000]),
        )
    return run_id


def _tables(cur: Any) -> List[str]:
    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    return [row[0] for row in cur.fetchall()]


def execute(env: AirflowEnv, sql: str, params: tuple = ()) -> None:
    """One statement against the environment's metadata database, committed."""
    with _cursor(env) as cur:
        cur.execute(sql, params)
