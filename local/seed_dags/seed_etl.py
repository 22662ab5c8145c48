"""Scheduled catch-up history: XComs, a templated Bash task (rendered fields), dynamically
mapped tasks in a pool, and an SLA that the catch-up runs miss."""

from datetime import timedelta

from airflow import DAG
from airflow.decorators import task
from airflow.operators.bash import BashOperator

from seed_settings import INTERVAL, START, end_for

with DAG(
    dag_id="seed_etl",
    schedule=INTERVAL,
    start_date=START,
    end_date=end_for("seed_etl"),
    catchup=True,
    max_active_runs=3,
    tags=["seed"],
    default_args={"retries": 0},
) as dag:

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
