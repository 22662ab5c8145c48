"""`npm run check-dags` on real Airflow: the broken corpus (test/python/dags_compat/broken, Airflow 2.x
DAGs with the kinds of breakage Airflow 3 brings) checked against Airflow 3.3.2 from 2.10.3 finds every
breakage with its file and line, by the right check (ruff's AIR rules, DagBag on 3.3.2, the template
scan); the same DAGs fixed (dags_compat/fixed) pass. Configuration options removed or renamed in 3.x
come with their replacement, a 2.x requirements.txt is held against the 3.3.2 lock, and a 1.10-era
plugins.zip is reported with the move to make.

The command builds (or reuses) the 2.10.3, 3.3.2 and tools virtualenvs from local/locks; it needs no
running stack (on 2.x, DagBag gets a throwaway SQLite database).
"""

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "dags_compat"

# Each breakage in the broken corpus: file -> (category, rule, line) that must be found. The lines are
# those of the broken files; a test below checks that every file of the corpus is listed here.
EXPECTED = {
    "dummy_operator.py": [("upgrade rules", "AIR302", 8), ("parse", "ModuleNotFoundError", 5)],
    "schedule_interval.py": [("upgrade rules", "AIR301", 10), ("parse", "TypeError", 7)],
    "execution_date_template.py": [
        ("templates", "execution_date", 10),
        ("templates", "prev_ds", 10),
        ("templates", "next_ds_nodash", 12),
    ],
    "subdag.py": [("upgrade rules", "AIR301", 18), ("parse", "ModuleNotFoundError", 6)],
    "bash_provider_move.py": [("upgrade rules", "AIR312", 14)],
    "days_ago.py": [("upgrade rules", "AIR301", 7), ("parse", "ImportError", 5)],
    "contrib.py": [("upgrade rules", "AIR301", 8), ("parse", "ModuleNotFoundError", 5)],
    "context_keys.py": [("templates", "execution_date", 9), ("templates", "next_execution_date", 9)],
    "sla.py": [("upgrade rules", "AIR311", 19), ("upgrade rules", "AIR311", 21)],
    "task_concurrency.py": [
        ("upgrade rules", "AIR301", 12),
        ("upgrade rules", "AIR301", 14),
        ("parse", "TypeError", 7),
    ],
    "default_view.py": [
        ("upgrade rules", "AIR301", 12),
        ("upgrade rules", "AIR301", 13),
        ("parse", "TypeError", 7),
    ],
    # Fails only when parsed on the new version: the operator is named in dag_factory.json.
    "dag_factory.py": [("parse", "ModuleNotFoundError", 16)],
}


def check_dags(*args, expect=None):
    command = ["node", "-r", "ts-node/register/transpile-only", "compat/cli.ts", *args]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    if expect is not None:
        assert result.returncode == expect, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    out = tmp_path_factory.mktemp("check-dags") / "broken.json"
    result = check_dags(
        "--target-version", "3.3.2", "--source-version", "2.10.3", "--dags", str(CORPUS / "broken"),
        "--json", str(out), expect=1,
    )
    return {"stdout": result.stdout, "report": json.loads(out.read_text())}


def found(report, file):
    return {(f["category"], f.get("rule"), f.get("line")) for f in report["findings"] if f.get("file") == file}


def test_every_broken_file_is_expected():
    assert sorted(p.name for p in (CORPUS / "broken").glob("*.py")) == sorted(EXPECTED)
    # The fixed folder also holds a module its DAG files import (factory_operators.py), as DAG folders do.
    helpers = ["factory_operators.py"]
    assert sorted(p.name for p in (CORPUS / "fixed").glob("*.py")) == sorted(list(EXPECTED) + helpers)


@pytest.mark.parametrize("file", sorted(EXPECTED))
def test_finds_each_breakage_with_its_line(broken, file):
    missing = set(EXPECTED[file]) - found(broken["report"], file)
    assert not missing, "%s: not found %s; found %s" % (file, missing, found(broken["report"], file))


def test_blocks_and_reports_what_parses(broken):
    report = broken["report"]
    assert report["blocked"] is True
    assert report["targetVersion"] == "3.3.2" and report["sourceVersion"] == "2.10.3"
    # The files that still parse on 3.3.2 (with warnings or runtime breakage only).
    assert sorted(report["dags"]) == [
        "bash_provider_move.py",
        "context_keys.py",
        "execution_date_template.py",
        "sla.py",
    ]
    blocking_files = {f["file"] for f in report["findings"] if f["severity"] == "blocks"}
    assert blocking_files == set(EXPECTED) - {"bash_provider_move.py", "sla.py"}
    # Warnings only: moved to the standard provider, SLAs ignored.
    for file in ("bash_provider_move.py", "sla.py"):
        assert {f["severity"] for f in report["findings"] if f["file"] == file} == {"warns"}


def test_parse_errors_carry_the_exceptions_last_line(broken):
    errors = {f["file"]: f for f in broken["report"]["findings"] if f["category"] == "parse"}
    assert errors["schedule_interval.py"]["message"] == (
        "TypeError: DAG.__init__() got an unexpected keyword argument 'schedule_interval'"
    )
    assert errors["dag_factory.py"]["message"] == "ModuleNotFoundError: No module named 'airflow.operators.dummy'"


def test_ruff_fixes_and_template_replacements_are_reported(broken):
    by_place = {(f["file"], f.get("line"), f.get("rule")): f for f in broken["report"]["findings"]}
    assert "Use `schedule` instead" in by_place[("schedule_interval.py", 10, "AIR301")]["fix"]
    assert "airflow.providers.standard.operators.empty" in by_place[("dummy_operator.py", 8, "AIR302")]["fix"]
    assert by_place[("execution_date_template.py", 10, "execution_date")]["fix"] == "use logical_date"


def test_prints_a_table_per_category(broken):
    stdout = broken["stdout"]
    for heading in (
        "== upgrade rules (ruff 0.17.6",
        "== parse (DagBag of Airflow 3.3.2",
        "== templates (context keys removed since 2.10.3",
    ):
        assert heading in stdout
    assert "schedule_interval.py:10" in stdout and "dag_factory.py:16" in stdout
    assert "BLOCKED:" in stdout.splitlines()[-1]


def test_the_fixed_folder_passes(tmp_path):
    out = tmp_path / "fixed.json"
    result = check_dags(
        "--target-version", "3.3.2", "--source-version", "2.10.3", "--dags", str(CORPUS / "fixed"),
        "--json", str(out), expect=0,
    )
    report = json.loads(out.read_text())
    assert report["findings"] == [], result.stdout
    assert sum(len(ids) for ids in report["dags"].values()) == len(EXPECTED)
    assert result.stdout.splitlines()[-1].startswith("OK: nothing blocks the move to Airflow 3.3.2")


def test_the_broken_folder_is_valid_airflow_2(tmp_path):
    """Every broken DAG loads on the Airflow it was written for: the breakage is the move's."""
    out = tmp_path / "on-2.10.3.json"
    check_dags("--target-version", "2.10.3", "--dags", str(CORPUS / "broken"), "--json", str(out), expect=0)
    report = json.loads(out.read_text())
    assert report["findings"] == []
    assert sorted(report["dags"]) == sorted(EXPECTED)


@pytest.fixture(scope="module")
def plugins_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("plugins") / "plugins.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted((CORPUS / "plugins").rglob("*.py")):
            archive.write(file, file.relative_to(CORPUS / "plugins").as_posix())
    return path


def test_configuration_requirements_and_plugins(tmp_path, plugins_zip):
    """Options removed or renamed in Airflow 3 with their replacement (Airflow 3.3.2's own upgrade
    lint), a 2.x requirements.txt against the 3.3.2 lock, and a 1.10-era plugins.zip."""
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text(
        "config:\n  mwaa-migration:airflowConfigurationOptions: "
        "'{\"webserver.web_server_port\": \"8080\", \"core.default_timezone\": \"utc\"}'\n"
    )
    out = tmp_path / "report.json"
    check_dags(
        "--target-version", "3.3.2", "--dags", str(CORPUS / "fixed"),
        "--config", "core.dag_concurrency=16", "--config", "scheduler.dag_dir_list_interval=60",
        "--config", "core.check_slas=True", "--stack-config", str(stack),
        "--requirements", str(CORPUS / "requirements-2x.txt"), "--plugins", str(plugins_zip),
        "--json", str(out), expect=1,
    )
    findings = json.loads(out.read_text())["findings"]
    config = {f["rule"]: f for f in findings if f["category"] == "configuration"}
    assert config["core.dag_concurrency"]["severity"] == "blocks"
    assert config["core.dag_concurrency"]["fix"] == "set core.max_active_tasks_per_dag instead"
    assert config["scheduler.dag_dir_list_interval"]["fix"] == "set dag_processor.refresh_interval instead"
    assert config["webserver.web_server_port"]["fix"] == "set api.port instead"
    assert config["webserver.web_server_port"]["file"] == "Pulumi.prod.yaml"
    assert config["core.check_slas"]["severity"] == "blocks" and "check_slas" in config["core.check_slas"]["message"]
    assert "core.default_timezone" not in config

    requirements = {(f.get("line"), f["rule"], f["severity"]) for f in findings if f["category"] == "requirements"}
    assert requirements == {
        (None, "--constraint", "blocks"),
        (3, "apache-airflow", "blocks"),
        (4, "apache-airflow-providers-amazon", "blocks"),
        (5, "apache-airflow-providers-snowflake", "warns"),
        (6, "pendulum", "blocks"),
    }

    plugins = {(f["file"], f.get("line"), f.get("rule"), f["severity"]) for f in findings if f["category"] == "plugins"}
    assert plugins == {
        ("plugins.zip:legacy_plugin.py", 12, "LegacyPlugin.operators", "blocks"),
        ("plugins.zip:legacy_plugin.py", 13, "LegacyPlugin.sensors", "blocks"),
        ("plugins.zip:operators/warehouse.py", 7, "hook", "warns"),
        ("plugins.zip:operators/warehouse.py", 13, "operator", "warns"),
        ("plugins.zip:operators/warehouse.py", 23, "operator", "warns"),
        ("plugins.zip:sensors/partition.py", 6, "sensor", "warns"),
    }
    operators = next(f for f in findings if f.get("rule") == "LegacyPlugin.operators")
    assert "airflow.operators.legacy_plugin" in operators["message"]
    assert "move WarehouseLoadOperator into the DAG folder" in operators["fix"]
