"""Scheduled history with retries (a task that fails its first try) and failed runs (a
task that fails every third interval, leaving its downstream task upstream_failed)."""

from datetime import timedelta

from airflow.decorators import task

from seed_settings import catch_up_dag

with catch_up_dag("seed_flaky", max_active_runs=8) as dag:

    @task(retries=2, retry_delay=timedelta(seconds=1))
    def wobbly(**context):
        if context["ti"].try_number == 1:
            raise RuntimeError("first attempt fails on purpose; the retry succeeds")
        return context["ti"].try_number

    @task(retries=0)
    def sometimes_fails(**context):
        index = int(context["logical_date"].timestamp() // 3600)
        if index % 3 == 0:
            raise ValueError("interval %d fails on purpose" % index)
        return index

    @task
    def after():
        return "done"

    wobbly() >> sometimes_fails() >> after()
