"""A DAG whose one run holds values chosen to break a naive copy of the metadata: JSON
number forms and key order, JSON null, escapes (\\u0000), control characters, long texts,
and task instances that end success, failed, skipped and upstream_failed.

The rendered template fields and the XCom come from a real run; the test adds by SQL
what Airflow does not write for a finished run (support.seed_edge_rows)."""

import datetime

from airflow import DAG
from airflow.exceptions import AirflowSkipException
from airflow.operators.python import PythonOperator

# Rendered into rendered_task_instance_fields.rendered_fields (a json column) and returned
# as the XCom. Key order is on purpose: jsonb would sort these keys.
EDGE_KWARGS = {
    # Changes when the task is cleared and runs again.
    "zeta_first": "try {{ ti.try_number }}",
    "a": {"big": 1e16, "neg_zero": -0.0, "tiny": 1.5e-7, "huge_int": 123456789012345678901234567890},
    "nul": "before\x00after",
    "controls": "\x01\x02\x1f\t\n\r\x7f",
    "unicode": "Grüße 東京 \u2028 \U0001F600",
    "nothing": None,
    "quotes": "\"'\\",
}


def _render(**kwargs):
    return {key: kwargs[key] for key in EDGE_KWARGS}


def _fail():
    raise RuntimeError("edge: this task fails on purpose")


def _skip():
    raise AirflowSkipException("edge: skipped on purpose")


with DAG(
    dag_id="hist_edge",
    schedule=None,
    start_date=datetime.datetime(2022, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    default_args={"retries": 0},
) as edge:
    render = PythonOperator(task_id="render", python_callable=_render, op_kwargs=EDGE_KWARGS)
    fail = PythonOperator(task_id="fail", python_callable=_fail)
    after_fail = PythonOperator(task_id="after_fail", python_callable=lambda: None)
    skip = PythonOperator(task_id="skip", python_callable=_skip)
    render >> fail >> after_fail
    render >> skip
