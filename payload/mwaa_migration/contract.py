"""The bundle contract shared with the TypeScript side: file names, DAG ids, run parameters.

One definition, `contract/bundle.json` in the project. The providers deliver it beside this
package as `contract_data/bundle.json`; run from the project (direct mode, tests), it is read
from the project's own contract folder.
"""

import json
from pathlib import Path
from typing import Any, Dict

_HERE = Path(__file__).resolve().parent
DATA_FOLDER = "contract_data"


def load(name: str) -> Dict[str, Any]:
    """One contract document by file name, e.g. "bundle.json"."""
    for folder in (_HERE / DATA_FOLDER, _HERE.parent.parent / "contract"):
        path = folder / name
        if path.is_file():
            return json.loads(path.read_text("utf-8"))
    raise FileNotFoundError(
        "contract file %s is missing: it is delivered with the migration DAGs as %s/%s/%s; "
        "deliver the payload again" % (name, _HERE.name, DATA_FOLDER, name)
    )


BUNDLE = load("bundle.json")
FORMAT_VERSION: int = BUNDLE["formatVersion"]
MANIFEST_NAME: str = BUNDLE["files"]["manifest"]
REPORT_NAME: str = BUNDLE["files"]["importReport"]
TABLES_FOLDER: str = BUNDLE["files"]["tablesFolder"]
TABLE_STREAM_EXTENSION: str = BUNDLE["files"]["tableStreamExtension"]
EXPORT_DAG_ID: str = BUNDLE["dagIds"]["export"]
IMPORT_DAG_ID: str = BUNDLE["dagIds"]["import"]
EXPORT_PHASES = tuple(BUNDLE["exportPhases"])
CONFLICT_POLICIES = tuple(BUNDLE["conflictPolicies"])
EXPORT_CONF_KEYS = frozenset(BUNDLE["runConf"]["export"])
IMPORT_CONF_KEYS = frozenset(BUNDLE["runConf"]["import"])

AIRFLOW_VERSIONS = load("airflowVersions.json")


def _version_tuple(text: str):
    parts = text.strip().split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError("Airflow version %r is not of the form major.minor.patch" % text)
    return tuple(int(p) for p in parts)


def capabilities_of(version: str) -> Dict[str, Any]:
    """The versions table's row for `version` (what this project can do with it)."""
    wanted = _version_tuple(version)
    for row in AIRFLOW_VERSIONS["capabilities"]:
        if _version_tuple(row["from"]) <= wanted < _version_tuple(row["below"]):
            return row
    raise ValueError("Airflow %s is outside every range of the versions table" % version)
