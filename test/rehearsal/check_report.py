"""Checks a rehearsal report against the databases themselves: every number the report states about
runs, rows and task logs is counted again with SQL on the source and target (and in the log groups),
and every migrated run and task instance is looked up on the target by its natural key. Then the
target's scheduler, which has had the DAGs the cutover activated for at least SCHEDULER_SECONDS, must
have created no run: every seeded schedule ends within the migrated history, so any run it made is a
catch-up or a duplicate of an interval the source already ran. With --pipelines, each converted
pipeline's run is looked up on the target with its tasks' states, and every one must have succeeded
(the examples CI runs are seeded with what they read). Where the target's roles are FAB's, the custom web
UI role the report names must be there, with exactly its DAGs' permissions and none on every DAG.

    check_report.py <report.json> [<source env> <target env>]

Exit 0 when everything matches; otherwise each mismatch is printed and the exit status is 1.
Run from the tools venv with PYTHONPATH=local while the rehearsal's environments still run (--keep).
"""

import json
import sys
import time
from datetime import datetime
from typing import Any, Dict, List, Set, Tuple

from envs import FINISHED_RUN_STATES, OWN_DAG_IDS, UNFINISHED_TI_STATES, snapshot
from mwaa_local import AirflowEnv
from mwaa_local.airflow_env import RestError

# The rehearsal's migration bucket (rehearsal/rehearsal.ts MIGRATION_BUCKET).
MIGRATION_BUCKET = "rehearsal-migration"
RECOUNTED_TABLES = ("dag_run", "task_instance", "variable", "connection", "slot_pool")
# The target's scheduler heartbeats every few seconds locally: this gives it several loops.
SCHEDULER_SECONDS = 30


def run_keys(env: AirflowEnv) -> Set[Tuple[str, str, str]]:
    return {
        (dag_id, run_id, state)
        for dag_id, run_id, state in env.query(
            "SELECT dag_id, run_id, state FROM dag_run WHERE dag_id <> ALL(%s) AND state = ANY(%s)",
            (list(OWN_DAG_IDS), list(FINISHED_RUN_STATES)),
        )
    }


def task_instance_keys(env: AirflowEnv) -> Set[Tuple[Any, ...]]:
    return set(
        env.query(
            "SELECT t.dag_id, t.task_id, t.run_id, t.map_index, t.state FROM task_instance t"
            " JOIN dag_run r ON r.dag_id = t.dag_id AND r.run_id = t.run_id"
            " WHERE r.dag_id <> ALL(%s) AND r.state = ANY(%s) AND (t.state IS NULL OR t.state <> ALL(%s))",
            (list(OWN_DAG_IDS), list(FINISHED_RUN_STATES), list(UNFINISHED_TI_STATES)),
        )
    )


def migrated_log_streams(env: AirflowEnv) -> Set[str]:
    """Task log streams of the user's DAGs in an environment's task log group."""
    logs = env.boto3_client("logs")
    names = set()
    for page in logs.get_paginator("describe_log_streams").paginate(logGroupName=env.log_group):
        for stream in page["logStreams"]:
            name = stream["logStreamName"]
            if not any(name.startswith("dag_id=%s/" % own) for own in OWN_DAG_IDS):
                names.add(name)
    return names


def _log_name(dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
    """The task log's relative name; its CloudWatch stream is the same with every ':' written as '_'."""
    return "dag_id=%s/run_id=%s/task_id=%s/attempt=%d.log" % (dag_id, run_id, task_id, try_number)


def unreadable_task_logs(source: AirflowEnv, target: AirflowEnv) -> List[str]:
    """An Airflow 3 target: for one migrated task instance per DAG, its log read through the target's own
    REST API (what its UI shows) must come from the copied CloudWatch stream and carry every event of the
    source's stream."""
    problems: List[str] = []
    logs = source.boto3_client("logs")
    rows = source.query(
        "SELECT DISTINCT ON (t.dag_id) t.dag_id, t.run_id, t.task_id, t.try_number FROM task_instance t"
        " WHERE t.dag_id <> ALL(%s) AND t.state = 'success' AND t.map_index = -1 AND t.try_number >= 1"
        " ORDER BY t.dag_id, t.run_id, t.task_id",
        (list(OWN_DAG_IDS),),
    )
    for dag_id, run_id, task_id, try_number in rows:
        name = _log_name(dag_id, run_id, task_id, try_number)
        stream = name.replace(":", "_")
        events = logs.get_log_events(logGroupName=source.log_group, logStreamName=stream, startFromHead=True)["events"]
        body = target.rest(
            "GET",
            "/dags/%s/dagRuns/%s/taskInstances/%s/logs/%d" % (dag_id, run_id, task_id, try_number),
            params={"full_content": "true"},
        )
        content = body.get("content") if isinstance(body, dict) else None
        shown = [e for e in content if isinstance(e, dict) and e.get("timestamp")] if isinstance(content, list) else []
        # Airflow names the stream it read at the log's head, as the log's name (before the ':' rewrite):
        # 3.3 in an event, 3.0 in the event's "sources".
        source_line = any(name in json.dumps(e) for e in content) if isinstance(content, list) else False
        if not source_line or len(shown) < len(events):
            problems.append(
                "the target shows %d of the %d log events of %s (read from its stream: %s)"
                % (len(shown), len(events), stream, source_line)
            )
    return problems


def runs_the_target_created(report: Dict[str, Any], source: AirflowEnv, target: AirflowEnv) -> List[str]:
    """The runs of the source's DAGs on the target that did not come from the source, once the target's
    scheduler has had the activated DAGs for SCHEDULER_SECONDS after the report was written."""
    finished = datetime.fromisoformat(report["finishedAt"].replace("Z", "+00:00")).timestamp()
    time.sleep(max(0.0, finished + SCHEDULER_SECONDS - time.time()))
    active = [dag["dagId"] for dag in report["dags"] if dag["pausedOnTarget"] is False]
    query = "SELECT dag_id, run_id, run_type FROM dag_run WHERE dag_id = ANY(%s)"
    migrated = {(dag_id, run_id) for dag_id, run_id, _ in source.query(query, (active,))}
    created = sorted(row for row in target.query(query, (active,)) if (row[0], row[1]) not in migrated)
    if not created:
        return []
    return [
        "the target's scheduler created %d runs of the activated DAGs %s, e.g. %s: a catch-up or a duplicate"
        " of intervals the source ran" % (len(created), ", ".join(sorted({r[0] for r in created})), created[:3])
    ]


def pipeline_run_problems(report: Dict[str, Any], target: AirflowEnv) -> List[str]:
    """The converted pipelines' runs as the target's database has them, against the report."""
    problems: List[str] = []
    for run in report["pipelines"]["runs"]:
        dag_id = run["dagId"]
        if run["state"] != "success":
            problems.append("pipeline %s: its DAG %s did not succeed: %s" % (run["definition"], dag_id, run.get("error") or run["tasks"]))
        runs = target.query("SELECT run_id, state FROM dag_run WHERE dag_id = %s", (dag_id,))
        if len(runs) != 1 or runs[0][1] != run["state"]:
            problems.append("pipeline DAG %s: the report says one %s run, the target has %r" % (dag_id, run["state"], runs))
            continue
        tasks = dict(target.query("SELECT task_id, state FROM task_instance WHERE dag_id = %s AND run_id = %s", (dag_id, runs[0][0])))
        if tasks != run["tasks"]:
            problems.append("pipeline DAG %s: the report's tasks %r, the target's %r" % (dag_id, run["tasks"], tasks))
    return problems


def account_problems(report: Dict[str, Any], source: AirflowEnv, target: AirflowEnv) -> List[str]:
    """Each side is in the account the report names; with two accounts, the bundle is encrypted with a key of
    the target's account and nothing of the target's was written into the source's account."""
    problems: List[str] = []
    for side, env in (("source", source), ("target", target)):
        reported = (report.get(side) or {}).get("account")
        if reported != env.account_id:
            problems.append("the report puts the %s in account %r, it is in %s" % (side, reported, env.account_id))
    if source.account_id == target.account_id:
        return problems
    strays = source.boto3_client("logs").describe_log_groups(logGroupNamePrefix=target.log_group)["logGroups"]
    if strays:
        problems.append("the source's account %s has the target's log group %s" % (source.account_id, target.log_group))
    s3 = target.boto3_client("s3")
    manifests = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=MIGRATION_BUCKET)
        for item in page.get("Contents", [])
        if item["Key"].endswith("/manifest.json")
    ]
    if not manifests:
        problems.append("the migration bucket %s holds no manifest" % MIGRATION_BUCKET)
    for key in manifests:
        key_arn = s3.head_object(Bucket=MIGRATION_BUCKET, Key=key).get("SSEKMSKeyId", "")
        if ":%s:" % target.account_id not in key_arn:
            problems.append("%s is encrypted with %r, not a key of the target's account" % (key, key_arn))
    return problems


def web_ui_role_problems(report: Dict[str, Any], target: AirflowEnv) -> List[str]:
    made = report.get("webUiRole") or {}
    if "name" not in made:
        return ["the target's roles are FAB's, yet the report made no custom role: %s" % made] if target.runs_fab else []
    # Airflow 3 keeps roles in the FAB auth manager's API; Airflow 2 in its REST API.
    path = ("/auth/fab/v1/roles/%s" if int(target.version.split(".")[0]) >= 3 else "/roles/%s") % made["name"]
    try:
        role = target.rest("GET", path)
    except RestError as error:
        return ["the custom role %s is not on the target: %s" % (made["name"], error)]
    held = {(p["action"]["name"], p["resource"]["name"]) for p in role.get("actions", [])}
    problems = []
    on_dags = {resource for _, resource in held if resource.startswith("DAG:")}
    if on_dags != {"DAG:" + dag for dag in made["dags"]}:
        problems.append("the custom role %s holds permissions on %s, the report lists its DAGs %s"
                        % (made["name"], sorted(on_dags), made["dags"]))
    if any(resource == "DAGs" for _, resource in held):
        problems.append("the custom role %s holds a permission on every DAG" % made["name"])
    if len(held) != made["permissions"]:
        problems.append("the custom role %s holds %d permissions, the report says %d"
                        % (made["name"], len(held), made["permissions"]))
    return problems


def check(report: Dict[str, Any], source: AirflowEnv, target: AirflowEnv) -> List[str]:
    problems: List[str] = []

    def expect(what: str, reported: Any, counted: Any) -> None:
        if reported != counted:
            problems.append("%s: the report says %r, the database has %r" % (what, reported, counted))

    if not report.get("reconciled"):
        problems.append("the report itself is not reconciled: %s" % "; ".join(report.get("problems", [])))
    for stage in report["stages"]:
        if not stage["ok"]:
            problems.append("stage %s failed: %s" % (stage["stage"], stage.get("detail")))
    if not report.get("freezeWindowSeconds"):
        problems.append("no freeze window measured")

    src = snapshot(source.name)
    tables = {row["table"]: row for row in report["tables"]}
    for table in RECOUNTED_TABLES:
        expect("%s rows imported" % table, tables.get(table, {}).get("imported", 0), src["tables"][table])

    for dag in report["dags"]:
        dag_id = dag["dagId"]
        counted = src["dags"].get(dag_id, {})
        expect("%s runs on the source" % dag_id, dag["runsBefore"], counted.get("runs"))
        expect("%s paused on the source after cutover" % dag_id, dag["pausedOnSourceAfter"], counted.get("isPaused"))
    missing_dags = set(src["dags"]) - {dag["dagId"] for dag in report["dags"]}
    if missing_dags:
        problems.append("DAGs of the source missing from the report: %s" % ", ".join(sorted(missing_dags)))

    # Every migrated run and task instance is on the target, with the same state.
    for what, source_keys, target_keys in (
        ("DAG runs", run_keys(source), run_keys(target)),
        ("task instances", task_instance_keys(source), task_instance_keys(target)),
    ):
        absent = source_keys - target_keys
        if absent:
            problems.append("%d %s of the source are not on the target, e.g. %s" % (len(absent), what, sorted(absent)[:3]))

    logs = report.get("logs") or {}
    source_streams = migrated_log_streams(source)
    target_streams = migrated_log_streams(target)
    expect("task log streams copied", logs.get("copied", 0), len(source_streams))
    if int(target.version.split(".")[0]) >= 3:
        problems.extend(unreadable_task_logs(source, target))
    if len(target_streams) < len(source_streams):
        problems.append(
            "the target's task log group has %d streams of migrated DAGs, the source %d"
            % (len(target_streams), len(source_streams))
        )
    if "pipelines" in report:
        problems.extend(pipeline_run_problems(report, target))
    problems.extend(runs_the_target_created(report, source, target))
    problems.extend(account_problems(report, source, target))
    problems.extend(web_ui_role_problems(report, target))
    return problems


def main(argv: List[str]) -> int:
    report = json.loads(open(argv[0], encoding="utf-8").read())
    source_name = argv[1] if len(argv) > 1 else "rehearse-src"
    target_name = argv[2] if len(argv) > 2 else "rehearse-tgt"
    source, target = AirflowEnv.load(source_name), AirflowEnv.load(target_name)
    problems = check(report, source, target)
    if problems:
        print("the report does not match the databases:")
        for problem in problems:
            print("  - " + problem)
        return 1
    dags = len(report["dags"])
    runs = sum(dag["runsBefore"] for dag in report["dags"])
    if "pipelines" in report:
        print("the %d converted pipelines' runs match the target's database" % len(report["pipelines"]["runs"]))
    if source.account_id != target.account_id:
        print("the target is in account %s, the source in %s, as the report says" % (target.account_id, source.account_id))
    if "name" in (report.get("webUiRole") or {}):
        role = report["webUiRole"]
        print("the custom web UI role %s is on the target with the permissions of its DAGs %s"
              % (role["name"], ", ".join(role["dags"])))
    print(
        "report matches the databases: %d DAGs, %d runs, %d task instances, %d log streams; the target's scheduler"
        " created no run in %d s with the DAGs active"
        % (dags, runs, next(r["imported"] for r in report["tables"] if r["table"] == "task_instance"), report["logs"]["copied"], SCHEDULER_SECONDS)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
