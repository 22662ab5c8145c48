"""Run parameters: what a DAG run's conf may say, and the errors for what it may not."""

import pytest
from mwaa_migration import conf, export, importer


def test_export_conf_becomes_options_with_defaults():
    options = conf.export_options({"bucket": "b", "exportId": "e1", "tables": "dag_run, xcom"}, "2.8.1", None)
    assert options.phase == "full" and options.prefix == "" and options.tables == ["dag_run", "xcom"]
    assert options.pause_active is False and options.deadline_seconds == 1800.0
    export.validate(options)


def test_unknown_parameters_are_named():
    with pytest.raises(ValueError, match="unknown export parameter\\(s\\) exportid"):
        conf.export_options({"bucket": "b", "exportid": "e1"}, None, None)


def test_delta_needs_a_watermark_and_bulk_does_not_pause():
    with pytest.raises(ValueError, match="watermark"):
        export.validate(conf.export_options({"bucket": "b", "exportId": "e", "phase": "delta"}, None, None))
    with pytest.raises(ValueError, match="pauseActive"):
        export.validate(
            conf.export_options({"bucket": "b", "exportId": "e", "phase": "bulk", "pauseActive": True}, None, None)
        )


def test_import_conf_checks_policy_and_target_version():
    options = conf.import_options({"bucket": "b", "exportId": "e", "conflictPolicy": "overwrite"}, "2.11.0", None)
    importer.validate(options)
    with pytest.raises(ValueError, match="conflictPolicy"):
        importer.validate(conf.import_options({"bucket": "b", "exportId": "e", "conflictPolicy": "merge"}, None, None))
    with pytest.raises(ValueError, match="Airflow 3"):
        importer.validate(conf.import_options({"bucket": "b", "exportId": "e"}, "3.0.6", None))
    with pytest.raises(ValueError, match="2.8.1"):
        importer.validate(conf.import_options({"bucket": "b", "exportId": "e"}, "2.8.1", None))


def test_booleans_and_numbers_are_checked():
    with pytest.raises(ValueError, match="'pauseActive' must be true or false"):
        conf.export_options({"bucket": "b", "exportId": "e", "pauseActive": "yes"}, None, None)
    with pytest.raises(ValueError, match="'deadlineSeconds' must be a number"):
        conf.export_options({"bucket": "b", "exportId": "e", "deadlineSeconds": "soon"}, None, None)
