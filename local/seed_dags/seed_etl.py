"""Scheduled catch-up history: XComs, a templated Bash task (rendered fields), dynamically
mapped tasks in a pool, and an SLA that the catch-up runs miss."""

from datetime import timedelta

from airflow.decorators import task
from airflow.operators.bash import BashOperator

from seed_settings import catch_up_dag

with catch_up_dag("seed_etl", max_active_runs=8) as dag:

    @task
    def extract():
        return ["alpha", "beta", "gamma"]

    transform = BashOperator(
        task_id="transform",
        bash_command="echo 'transform {{ ds }} {{ run_id }}' && echo {{ ti.xcom_pull(task_ids='extract') | length }}",
    )

    @task(pool="seed_pool")
    def process(item):
        return {"item": item, "length": len(item)}

    @task(sla=timedelta(seconds=1))
    def load(results):
        total = sum(result["length"] for result in results)
        print("loaded %d results, total length %d" % (len(results), total))
        return total

    extracted = extract()
    processed = process.expand(item=extracted)
    extracted >> transform >> processed
    load(processed)
