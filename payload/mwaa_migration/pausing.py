"""Quiescing the source for a consistent export: pause, wait, restore."""

import time
from typing import Any, Callable, List, Tuple

from .spec import FINISHED_RUN_STATES, OWN_DAG_IDS

# States in which a task instance is doing work right now.
BUSY_TI_STATES = ("running", "queued", "restarting")


def dag_pause_states(conn: Any) -> List[Tuple[str, bool]]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT dag_id, coalesce(is_paused, false) FROM dag"
            " WHERE dag_id <> ALL(%s) ORDER BY dag_id",
            (list(OWN_DAG_IDS),),
        )
        return [(dag_id, bool(paused)) for dag_id, paused in cur.fetchall()]


def pause_active(conn: Any) -> List[str]:
    """Pauses every unpaused DAG but the migration's own; returns their ids."""
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE dag SET is_paused = true"
            " WHERE coalesce(is_paused, false) = false AND dag_id <> ALL(%s)"
            " RETURNING dag_id",
            (list(OWN_DAG_IDS),),
        )
        paused = sorted(row[0] for row in cur.fetchall())
    conn.commit()
    return paused


def unpause(conn: Any, dag_ids: List[str]) -> None:
    if not dag_ids:
        return
    conn.rollback()  # a failed statement may have left the transaction aborted
    with conn.cursor() as cur:
        cur.execute("UPDATE dag SET is_paused = false WHERE dag_id = ANY(%s)", (dag_ids,))
    conn.commit()


def busy_task_instances(conn: Any) -> int:
    """Task instances at work: busy in a run still going, or with their own job still running.

    A busy state left behind in a finished run, with no running job, is no work in
    progress (nothing schedules or runs it any more); waiting for it would only end
    at the deadline.
    """
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM task_instance t"
            " JOIN dag_run r ON r.dag_id = t.dag_id AND r.run_id = t.run_id"
            " LEFT JOIN job j ON j.id = t.job_id"
            " WHERE t.state = ANY(%s) AND t.dag_id <> ALL(%s)"
            " AND (r.state IS NULL OR r.state <> ALL(%s) OR j.state = 'running')",
            (list(BUSY_TI_STATES), list(OWN_DAG_IDS), list(FINISHED_RUN_STATES)),
        )
        return int(cur.fetchone()[0])


def wait_until_idle(
    conn: Any,
    deadline_seconds: float,
    poll_seconds: float,
    log: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    started = clock()
    while True:
        busy = busy_task_instances(conn)
        conn.commit()  # end the snapshot so the next poll sees new states
        if busy == 0:
            return
        waited = clock() - started
        if waited >= deadline_seconds:
            raise TimeoutError(
                "%d task instances are still running or queued after %.0f s; raise "
                "deadlineSeconds, or let them finish and run the export again" % (busy, waited)
            )
        log("waiting for %d running task instances (%.0f s of %.0f s)" % (busy, waited, deadline_seconds))
        sleep(poll_seconds)
