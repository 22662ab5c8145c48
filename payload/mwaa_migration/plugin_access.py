"""Who may call the migration plugin, which bundles it may read, and which run ids it takes.

Airflow does not authenticate the FastAPI apps of plugins, so the plugin decides every
request itself: the caller's JWT (checked by Airflow's auth manager) must belong to an
Admin, and the bundle must lie under the location the target's own configuration names
([mwaa_migration] bundle_location), never one named only by the caller. These are the
pure parts of those decisions.
"""

import re
from typing import Any, NamedTuple, Optional

CONFIG_SECTION = "mwaa_migration"
CONFIG_KEY = "bundle_location"
CONFIG_OPTION = "[%s] %s" % (CONFIG_SECTION, CONFIG_KEY)
CONFIG_ENV = "AIRFLOW__%s__%s" % (CONFIG_SECTION.upper(), CONFIG_KEY.upper())

# Simple auth manager roles are upper case; FAB's (and MWAA's) Admin role is "Admin".
_SIMPLE_ADMIN = "ADMIN"
_FAB_ADMIN = "Admin"

# What a caller-chosen run id may look like: short enough to travel in the database
# session's application_name beside the progress (see plugin_runs.py).
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
EXPORT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class BundleLocation(NamedTuple):
    bucket: str
    prefix: str  # without leading or trailing "/"; "" for the whole bucket

    def uri(self) -> str:
        return "s3://%s/%s" % (self.bucket, self.prefix)


def _clean_prefix(prefix: str) -> str:
    return prefix.strip("/")


def parse_bundle_location(text: Optional[str]) -> BundleLocation:
    """The configured location, s3://bucket[/prefix]; ValueError naming the option and the fix."""
    value = (text or "").strip()
    match = re.match(r"^s3://([^/]+)(?:/(.*))?$", value)
    if not match or not _BUCKET_PATTERN.match(match.group(1)):
        raise ValueError(
            "%s is %r; set it to the migration bucket and prefix the bundles are exported to, e.g. "
            "s3://my-migration-bucket/migration (MWAA: the Airflow configuration option "
            "mwaa_migration.bundle_location; self-managed: %s)" % (CONFIG_OPTION, value, CONFIG_ENV)
        )
    prefix = _clean_prefix(match.group(2) or "")
    if ".." in prefix.split("/"):
        raise ValueError("%s %r must not contain '..' segments" % (CONFIG_OPTION, value))
    return BundleLocation(match.group(1), prefix)


def bundle_refusal(allowed: BundleLocation, bucket: Any, prefix: Any, export_id: Any) -> Optional[str]:
    """Why a requested bundle may not be read; None when it lies under the allowed location."""
    requested = "s3://%s/%s/%s" % (bucket, _clean_prefix(str(prefix or "")), export_id)
    if not isinstance(bucket, str) or bucket != allowed.bucket:
        return "the bundle %s is not in the migration bucket %s that %s names" % (requested, allowed.bucket, CONFIG_OPTION)
    clean = _clean_prefix(str(prefix or ""))
    if ".." in clean.split("/"):
        return "the bundle prefix %r must not contain '..' segments" % prefix
    if allowed.prefix and clean != allowed.prefix and not clean.startswith(allowed.prefix + "/"):
        return "the bundle %s is not under %s, the location %s names" % (requested, allowed.uri(), CONFIG_OPTION)
    if not isinstance(export_id, str) or not EXPORT_ID_PATTERN.match(export_id):
        return "exportId %r must be letters, digits, '.', '_' or '-' (at most 128)" % (export_id,)
    return None


def run_id_refusal(run_id: str) -> Optional[str]:
    if RUN_ID_PATTERN.match(run_id or ""):
        return None
    return "run id %r must start with a letter or digit and hold at most 32 letters, digits, '.', '_' or '-'" % run_id


def user_name(user: Any) -> str:
    for getter in ("get_name", "get_id"):
        method = getattr(user, getter, None)
        if callable(method):
            try:
                return str(method())
            except Exception:  # noqa: BLE001 - a name is for messages only
                continue
    return repr(user)


def is_admin(user: Any) -> bool:
    """An Admin of the simple auth manager (role ADMIN) or of FAB (the Admin role, as on MWAA)."""
    role = getattr(user, "role", None)
    if isinstance(role, str) and role.upper() == _SIMPLE_ADMIN:
        return True
    roles = getattr(user, "roles", None) or []
    try:
        names = {getattr(r, "name", r) for r in roles}
    except TypeError:
        return False
    return _FAB_ADMIN in names


def bearer_token(authorization: Optional[str], cookie: Optional[str]) -> Optional[str]:
    """The JWT a request carries: an explicit Bearer header wins over the UI's `_token` cookie."""
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    return cookie or None
