"""DAGs that give a source environment real history: scheduled catch-up runs, manual
runs, a failure, a retry, mapped tasks, XComs, a rescheduling sensor and an SLA."""

import datetime
import os

from airflow import DAG
from airflow.decorators import task
from airflow.operators.python import PythonOperator
from airflow.sensors.python import PythonSensor

MARKERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".markers")


def _fail_first_try(ti, **_):
    if ti.try_number <= 1:
        raise RuntimeError("first try fails on purpose (retry history)")
    return "second try succeeded"


def marker_path(name, run_id):
    return os.path.join(MARKERS, "%s-%s" % (name, run_id.replace(":", "_").replace("+", "_")))


def _second_poke(run_id, ti, **_):
    """False on the first poke, True on the next: one reschedule per run."""
    os.makedirs(MARKERS, exist_ok=True)
    marker = marker_path(ti.dag_id, run_id)
    if os.path.exists(marker):
        return True
    open(marker, "w").close()
    return False


with DAG(
    dag_id="hist_etl",
    schedule="@yearly",
    start_date=datetime.datetime(2022, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=True,
    max_active_runs=4,
    default_args={"retries": 0},
) as etl:

    @task(sla=datetime.timedelta(seconds=1))
    def extract():
        return {"rows": 3, "label": "grüße"}

    @task
    def transform(x):
        return x * 10

    flaky = PythonOperator(
        task_id="flaky",
        python_callable=_fail_first_try,
        retries=1,
        retry_delay=datetime.timedelta(seconds=1),
    )
    wait = PythonSensor(
        task_id="wait",
        python_callable=_second_poke,
        mode="reschedule",
        poke_interval=1,
        timeout=300,
    )
    extract() >> transform.expand(x=[1, 2, 3]) >> flaky >> wait


def _maybe_fail(dag_run, **_):
    """Fails when the conf asks for it, until the run's "recover" marker exists (then a
    cleared run succeeds when it runs again)."""
    if (dag_run.conf or {}).get("fail") and not os.path.exists(marker_path("recover", dag_run.run_id)):
        raise ValueError("this run fails on purpose")


with DAG(
    dag_id="hist_manual",
    schedule=None,
    start_date=datetime.datetime(2022, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    default_args={"retries": 0},
) as manual:

    @task
    def hello(**context):
        return {"conf": context["dag_run"].conf}

    check = PythonOperator(task_id="check", python_callable=_maybe_fail)
    hello() >> check
