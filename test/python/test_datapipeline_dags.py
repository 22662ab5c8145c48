"""Data Pipeline definitions converted to DAG files (datapipeline/, `npm run convert-pipeline`), then
loaded by real Airflow 2.11.0 and 3.3.2: a DagBag with no import errors, each DAG serialized as the
DAG processor does, its tasks, operators and dependencies those of the conversion, its timetable's first
runs the pipeline's, its templates rendered by Airflow's own Jinja and macros, and the files clean
under ruff (with the AIR rules for Airflow 3). A pipeline read from moto's Data Pipeline API converts
to the same file as its definition.

DagBag parsing needs no database or scheduler: each Airflow version runs once, in its own virtualenv
(local/locks), over the whole corpus (datapipeline_dagbag.py).
"""

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from mwaa_local import client_env, ensure_airflow_venv

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "datapipeline" / "fixtures"
PROBE = Path(__file__).resolve().parent / "datapipeline_dagbag.py"
VERSIONS = ("2.11.0", "3.3.2")
ACTIVATION = "2025-01-01T00:00:00"
# ShellCommandActivity's other runners, converted from copies of one definition (a DAG id each).
RUNNER_VARIANTS = {"ssm": "shell-staging", "ecs": "shell-staging"}


def converter(args, env=None):
    """The converter's command (`npm run convert-pipeline`), started; wait on it with finish()."""
    command = ["node", "-r", "ts-node/register/transpile-only", "datapipeline/cli.ts", *args]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def finish(process):
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    return output


def convert(args, env=None):
    return finish(converter(args, env))


def stamp(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()


@pytest.fixture(scope="module", params=VERSIONS)
def converted(request, tmp_path_factory):
    version = request.param
    out = tmp_path_factory.mktemp("dags-%s" % version)
    plans = []
    runs = [([str(FIXTURES)], [])]
    variants = tmp_path_factory.mktemp("variants-%s" % version)
    for runner, name in RUNNER_VARIANTS.items():
        copy = variants / ("%s-on-%s.json" % (name, runner))
        shutil.copy(FIXTURES / ("%s.json" % name), copy)
        runs.append(([str(copy)], ["--shell-runner", runner]))
    # The conversions run side by side: most of each is Node.js and ts-node starting.
    reports = [out / (".plans-%d.json" % number) for number in range(len(runs))]
    started = [
        converter([*inputs, "--out", str(out), "--airflow-version", version, "--activation-time", ACTIVATION,
                   "--report", str(report), *extra])
        for (inputs, extra), report in zip(runs, reports)
    ]
    for process, report in zip(started, reports):
        finish(process)
        plans.extend(json.loads(report.read_text()))
        report.unlink()
    venv = ensure_airflow_venv(version)
    home = tmp_path_factory.mktemp("airflow-home-%s" % version)
    result_file = home / "dagbag.json"
    env = dict(os.environ, AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="false",
               AIRFLOW__CORE__DAGS_FOLDER=str(out))
    result = subprocess.run([str(venv / "bin" / "python"), str(PROBE), str(out), str(result_file)],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    bag = json.loads(result_file.read_text())
    print("Airflow %s parsed %d DAG files in %.2f s" % (version, len(plans), bag["parse_seconds"]))
    return {"version": version, "out": out, "plans": plans, "bag": bag}


def test_every_dag_loads_without_import_errors_and_serializes(converted):
    bag = converted["bag"]
    assert bag["import_errors"] == {}
    assert len(converted["plans"]) >= 15 + len(RUNNER_VARIANTS)
    assert sorted(bag["dags"]) == sorted(plan["dagId"] for plan in converted["plans"])
    assert {dag_id: dag["serialization_error"] for dag_id, dag in bag["dags"].items() if dag["serialization_error"]} == {}


def test_tasks_operators_and_dependencies_are_the_conversions(converted):
    for plan in converted["plans"]:
        dag = converted["bag"]["dags"][plan["dagId"]]
        assert {t["taskId"]: t["operator"] for t in plan["tasks"]} == {
            task_id: task["operator"] for task_id, task in dag["tasks"].items()
        }, plan["dagId"]
        expected = {task_id: sorted(u for u, d in plan["edges"] if d == task_id) for task_id in dag["tasks"]}
        assert {task_id: task["upstream"] for task_id, task in dag["tasks"].items()} == expected, plan["dagId"]
        teardowns = sorted(t["taskId"] for t in plan["tasks"] if t.get("teardownOf"))
        assert sorted(t for t, task in dag["tasks"].items() if task["is_teardown"]) == teardowns, plan["dagId"]


def test_first_five_runs_are_the_pipelines(converted):
    checked = 0
    for plan in converted["plans"]:
        dag = converted["bag"]["dags"][plan["dagId"]]
        expected = [(stamp(r["runsAt"]), stamp(r["scheduledStart"])) for r in plan["expectedRuns"]]
        actual = [(stamp(r["runs_at"]), stamp(r["interval_start"])) for r in dag["runs"]]
        assert actual == expected, "%s (%s)" % (plan["dagId"], dag["timetable"])
        checked += bool(expected)
    assert checked >= 14


def seconds(py):
    """A plan's timedelta(...) argument in seconds."""
    if py is None:
        return None
    unit, value = py["code"][len("timedelta("):-1].split("=")
    return int(value) * {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}[unit]


def test_retries_timeouts_and_alarms_reach_the_tasks(converted):
    for plan in converted["plans"]:
        dag = converted["bag"]["dags"][plan["dagId"]]
        defaults = dict((k, v) for k, v in plan["defaultArgs"])
        for task in plan["tasks"]:
            args = dict((k, v) for k, v in task["args"])
            loaded = dag["tasks"][task["taskId"]]
            where = "%s.%s" % (plan["dagId"], task["taskId"])
            retries = args.get("retries", defaults.get("retries"))
            assert loaded["retries"] == (retries["value"] if retries else 0), where
            delay = args.get("retry_delay", defaults.get("retry_delay"))
            if delay:
                assert loaded["retry_delay"] == seconds(delay), where
            assert loaded["execution_timeout"] == seconds(args.get("execution_timeout", defaults.get("execution_timeout"))), where
            if "timeout" in args:
                assert loaded["timeout"] == seconds(args["timeout"]), where
            callbacks = sorted(k for k in args if k.startswith("on_") and k.endswith("_callback"))
            assert loaded["callbacks"] == callbacks, where


def test_templates_render_with_airflows_jinja_and_macros(converted):
    bag = converted["bag"]
    assert {dag_id: dag["render_errors"] for dag_id, dag in bag["dags"].items() if dag["render_errors"]} == {}
    untemplated = {
        "%s.%s" % (dag_id, task_id): task["untemplated"]
        for dag_id, dag in bag["dags"].items()
        for task_id, task in dag["tasks"].items()
        if task["untemplated"]
    }
    assert untemplated == {}, "templates in arguments Airflow does not render"
    rendered = bag["dags"]["s3_copy_daily"]["rendered"]["archive_logs"]
    assert rendered["source_bucket_key"] == "s3://example-raw-logs/2024-01-01/events.csv"
    assert rendered["dest_bucket_key"] == "s3://example-archive/logs/2023/12/31/events.csv"
    assert rendered["on_failure_callback.message"] == "archive_logs failed for 2024-01-01: example failure"
    report = bag["dags"]["monthly_report"]["rendered"]["monthly_report"]["bash_command"]
    assert "--title 'January 2024' --from 2024-01-01 --days 29" in report
    assert "--sunday 2024-01-28" in report and "--next 2024-02 --year 2025" in report
    hive = bag["dags"]["hive_pig_hadoop"]["rendered"]["rank_pages"]["steps"]
    assert "topN=250" in hive[1]["HadoopJarStep"]["Args"]
    assert "LOCATION 's3://example-weblogs/pageviews/2024-07-01-00/'" in hive[0]["HadoopJarStep"]["Args"][2]


def test_files_pass_ruff(converted):
    ruff = Path(sys.executable).parent / "ruff"
    args = [str(ruff), "check", "--no-cache", "--isolated", "--target-version", "py311", "--output-format", "concise"]
    if converted["version"].startswith("3."):
        args += ["--preview", "--extend-select", "AIR"]
    result = subprocess.run([*args, str(converted["out"])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# Definitions without parameters: moto's Data Pipeline keeps the objects of put_pipeline_definition
# but not its parameter objects or values.
LIVE_FIXTURES = ("s3-copy-daily", "sql-activity-weekly", "late-alarms", "not-converted")


def api_objects(definition):
    """A definition file's objects in the API's shape (what put_pipeline_definition takes)."""
    objects = []
    for obj in definition["objects"]:
        fields = []
        for key, value in obj.items():
            if key in ("id", "name"):
                continue
            for item in value if isinstance(value, list) else [value]:
                fields.append({"key": key, "refValue": item["ref"]} if isinstance(item, dict) else
                              {"key": key, "stringValue": str(item)})
        objects.append({"id": obj["id"], "name": obj.get("name", obj["id"]), "fields": fields})
    return objects


def without_source(text):
    return "\n".join(text.splitlines()[1:])


def test_a_live_pipeline_from_moto_converts_to_the_same_dag(stack, tmp_path):
    import boto3

    names = LIVE_FIXTURES
    client = boto3.client("datapipeline", endpoint_url=stack["aws_endpoint_url"], region_name=stack["aws_region"],
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    ids = []
    for name in names:
        definition = json.loads((FIXTURES / ("%s.json" % name)).read_text())
        assert "parameters" not in definition, name
        pipeline_id = client.create_pipeline(name=name, uniqueId="test-%s-%s" % (name, tmp_path.name))["pipelineId"]
        client.put_pipeline_definition(pipelineId=pipeline_id, pipelineObjects=api_objects(definition))
        ids.append(pipeline_id)
    from_files, from_api = tmp_path / "files", tmp_path / "api"
    files = converter([*[str(FIXTURES / ("%s.json" % n)) for n in names], "--out", str(from_files)])
    output = convert([*ids, "--out", str(from_api)], env=client_env())
    finish(files)
    for pipeline_id in ids:
        assert "pipeline %s" % pipeline_id in output
    for name in names:
        dag_file = "%s.py" % name.replace("-", "_")
        live, file = (from_api / dag_file).read_text(), (from_files / dag_file).read_text()
        assert "(pipeline df-" in live.splitlines()[0]
        assert without_source(live) == without_source(file), name
