"""Runs triggered by hand (REST API) with a conf; reads a JSON variable and a connection."""

from airflow import DAG
from airflow.decorators import task
from airflow.models import Variable
from airflow.hooks.base import BaseHook

from seed_settings import START

with DAG(
    dag_id="seed_manual",
    schedule=None,
    start_date=START,
    catchup=False,
    tags=["seed"],
) as dag:

    @task
    def greet(**context):
        conf = context["dag_run"].conf or {}
        settings = Variable.get("seed_settings_json", deserialize_json=True)
        print("hello %s, region %s" % (conf.get("who", "nobody"), settings["region"]))
        return conf.get("who", "nobody")

    @task
    def use_connection(who):
        conn = BaseHook.get_connection("seed_postgres")
        print("connecting as %s to %s" % (conn.login, conn.host))
        return {"who": who, "host": conn.host, "has_password": bool(conn.password)}

    use_connection(greet())
