"""The bulk of the scheduled history: small hourly pipelines of one task each, as most of a
production Airflow's runs are. Each has its own catch-up (runs_for) and may run many intervals
at once, so the scheduler works through their history quickly; a pipeline without runs in the
plan is not defined."""

from airflow.decorators import task

from seed_settings import catch_up_dag, runs_for

# dag_id: what its single task reports (table or target it looks after)
PIPELINES = {
    "seed_ingest_orders": "orders",
    "seed_ingest_clicks": "clickstream",
    "seed_refresh_dashboards": "dashboards",
    "seed_sync_crm": "crm_accounts",
    "seed_compact_events": "events",
}


def _pipeline(dag_id, subject):
    with catch_up_dag(dag_id, max_active_runs=16) as dag:

        @task(task_id="run")
        def run(**context):
            hour = context["logical_date"].hour
            rows = (hour + 1) * len(subject)
            print("%s: %d rows for %s" % (subject, rows, context["ds"]))
            return {"subject": subject, "rows": rows}

        run()
    return dag


for _dag_id, _subject in PIPELINES.items():
    if runs_for(_dag_id, default=0) > 0:
        globals()[_dag_id] = _pipeline(_dag_id, _subject)
