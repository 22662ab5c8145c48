"""The edge DAG (edge_dags.py) as an Airflow 3 target parses it: the same DAG id and tasks, so
that the source's edge history has its DAG on the target. Two of its arguments cannot be part of
an Airflow 3 DAG: an integer beyond 64 bits (its DAG processor hands DAGs to its supervisor with
msgspec) and a NUL character (the serialized DAG is jsonb, which refuses it); they are left out
here. The migrated rows still hold both (rendered fields and the XCom)."""

import datetime

from airflow.exceptions import AirflowSkipException
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

EDGE_KWARGS = {
    "zeta_first": "try {{ ti.try_number }}",
    "a": {"big": 1e16, "neg_zero": -0.0, "tiny": 1.5e-7},
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
