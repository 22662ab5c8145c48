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
    # Airflow 3 targets are written through the migration plugin in their API server.
    importer.validate(conf.import_options({"bucket": "b", "exportId": "e"}, "3.0.6", None))
    with pytest.raises(ValueError, match="2.8.1: the import writes the metadata schema of Airflow 2.9"):
        importer.validate(conf.import_options({"bucket": "b", "exportId": "e"}, "2.8.1", None))


def test_booleans_and_numbers_are_checked():
    with pytest.raises(ValueError, match="'pauseActive' must be true or false"):
        conf.export_options({"bucket": "b", "exportId": "e", "pauseActive": "yes"}, None, None)
    with pytest.raises(ValueError, match="'deadlineSeconds' must be a number"):
        conf.export_options({"bucket": "b", "exportId": "e", "deadlineSeconds": "soon"}, None, None)


def test_the_target_fernet_key_is_required_unless_the_target_has_none():
    assert importer.fernet_key_problem("key", False, 3) is None
    assert "--no-fernet-key" in importer.fernet_key_problem(None, False, 0)
    assert "2 of its variables" in importer.fernet_key_problem(None, True, 2)
    assert importer.fernet_key_problem(None, True, 0) is None
    options = conf.import_options({"bucket": "b", "exportId": "e"}, None, None, no_fernet_key=True)
    assert options.no_fernet_key is True
    assert conf.import_options({"bucket": "b", "exportId": "e"}, None, "k", no_fernet_key=True).no_fernet_key is False


def test_every_policy_conflict_is_named_in_one_error():
    from mwaa_migration.policy import conflict_error

    assert conflict_error({"slot_pool": [], "variable": []}) is None
    error = conflict_error({"slot_pool": ["etl_pool"], "variable": ["a", "b"], "connection": ["c"]})
    assert "4 entries" in str(error)
    assert "connection c; slot_pool etl_pool; variable a, b" in str(error)


def test_secrets_need_the_kms_key_when_the_caller_says_so():
    base = {"bucket": "b", "exportId": "e"}
    with pytest.raises(ValueError, match="variable and connection .* --kms-key-id"):
        export.validate(conf.export_options(base, None, None, kms_key_required_for_secrets=True))
    export.validate(conf.export_options(dict(base, tables="dag_run"), None, None, kms_key_required_for_secrets=True))
    export.validate(conf.export_options(dict(base, kmsKeyId="k"), None, None, kms_key_required_for_secrets=True))
    note = export.secrets_note(conf.export_options(base, None, None))
    assert note["tables"] == ["variable", "connection"] and note["kmsKeyId"] is None and "default key" in note["warning"]


def test_unstorable_rows_are_skipped_only_when_asked():
    assert conf.import_options({"bucket": "b", "exportId": "e"}, None, None).skip_unstorable_rows is False
    options = conf.import_options({"bucket": "b", "exportId": "e", "skipUnstorableRows": True}, None, None)
    assert options.skip_unstorable_rows is True
