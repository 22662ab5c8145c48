"""Run parameters (a DAG run's conf, or command-line flags) to typed options."""

from typing import Any, Dict, List, Optional

from .contract import EXPORT_CONF_KEYS as EXPORT_KEYS
from .contract import IMPORT_CONF_KEYS as IMPORT_KEYS
from .export import ExportOptions
from .importer import ImportOptions


def _unknown(conf: Dict[str, Any], allowed: set, what: str) -> None:
    extra = sorted(set(conf) - allowed)
    if extra:
        raise ValueError(
            "unknown %s parameter(s) %s; accepted: %s" % (what, ", ".join(extra), ", ".join(sorted(allowed)))
        )


def _required(conf: Dict[str, Any], key: str) -> str:
    value = conf.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError("parameter %r is required (a non-empty string)" % key)
    return value


def _bool(conf: Dict[str, Any], key: str, default: bool) -> bool:
    value = conf.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError("parameter %r must be true or false, got %r" % (key, value))


def _number(conf: Dict[str, Any], key: str, default: float) -> float:
    value = conf.get(key, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError("parameter %r must be a number of seconds, got %r" % (key, value)) from None
    if number < 0:
        raise ValueError("parameter %r must not be negative, got %r" % (key, value))
    return number


def _tables(conf: Dict[str, Any]) -> Optional[List[str]]:
    value = conf.get("tables")
    if value is None or value == []:
        return None
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return list(value)
    raise ValueError("parameter 'tables' must be a list of table names, got %r" % (value,))


def _bundle_fields(conf: Dict[str, Any]) -> Dict[str, Any]:
    """Where the bundle lives and what it holds: the parameters export and import share."""
    return {
        "bucket": _required(conf, "bucket"),
        "prefix": str(conf.get("prefix") or ""),
        "export_id": _required(conf, "exportId"),
        "tables": _tables(conf),
        "kms_key_id": conf.get("kmsKeyId") or None,
    }


def export_options(
    conf: Dict[str, Any],
    airflow_version: Optional[str],
    fernet_keys: Optional[str],
    kms_key_required_for_secrets: bool = False,
) -> ExportOptions:
    _unknown(conf, EXPORT_KEYS, "export")
    return ExportOptions(
        phase=str(conf.get("phase") or "full"),
        watermark=conf.get("watermark") or None,
        **_bundle_fields(conf),
        pause_active=_bool(conf, "pauseActive", False),
        deadline_seconds=_number(conf, "deadlineSeconds", 1800.0),
        poll_seconds=_number(conf, "pollSeconds", 10.0),
        airflow_version=airflow_version,
        fernet_keys=fernet_keys,
        kms_key_required_for_secrets=kms_key_required_for_secrets,
    )


def import_options(
    conf: Dict[str, Any], airflow_version: Optional[str], fernet_keys: Optional[str], no_fernet_key: bool = False
) -> ImportOptions:
    """no_fernet_key: the target has no Fernet key configured (not merely none given)."""
    _unknown(conf, IMPORT_KEYS, "import")
    return ImportOptions(
        conflict_policy=str(conf.get("conflictPolicy") or "skip"),
        import_orphan_history=_bool(conf, "importOrphanHistory", False),
        **_bundle_fields(conf),
        fernet_keys=fernet_keys,
        continue_schedules=_bool(conf, "continueSchedules", True),
        airflow_version=airflow_version,
        skip_unstorable_rows=_bool(conf, "skipUnstorableRows", False),
        no_fernet_key=no_fernet_key and not fernet_keys,
    )
