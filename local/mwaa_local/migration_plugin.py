"""The migration plugin in a local Airflow 3: what plugins.zip brings to an MWAA environment, copied into
the environment's plugins folder (the plugin module, its .airflowignore, the mwaa_migration library and the
contract documents it reads), and the bundle location it is allowed to read."""

import shutil
from pathlib import Path

from .airflow_env import AirflowEnv

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = ROOT / "payload"
LIBRARY = "mwaa_migration"


def install_migration_plugin(env: AirflowEnv, bundle_location: str) -> None:
    """Copies the plugin into env's plugins folder and sets [mwaa_migration] bundle_location (for
    processes started afterwards)."""
    folder = env.plugins_folder
    folder.mkdir(parents=True, exist_ok=True)
    for item in (PAYLOAD / "plugins").iterdir():
        if item.is_file():
            shutil.copy(item, folder / item.name)
    library = folder / LIBRARY
    if library.exists():
        shutil.rmtree(library)
    shutil.copytree(PAYLOAD / LIBRARY, library, ignore=shutil.ignore_patterns("__pycache__"))
    contract_data = library / "contract_data"
    contract_data.mkdir(exist_ok=True)
    for document in (ROOT / "contract").glob("*.json"):
        shutil.copy(document, contract_data / document.name)
    env.set_options({"mwaa_migration": {"bundle_location": bundle_location}})
