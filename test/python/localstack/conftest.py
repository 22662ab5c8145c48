"""Smoke tests of the local stack. Run from the repository root:

local/stack.sh up
local/.state/venvs/tools/bin/python -m pytest test/python/localstack
"""

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT / "local"))

import mwaa_local  # noqa: E402


@pytest.fixture(scope="session")
def stack():
    return mwaa_local.ensure_stack()


@pytest.fixture(scope="module", params=["2.8.1", "2.11.0"])
def seeded_env(request, stack):
    """A started Airflow of each version with a small seeded history (about 30 runs)."""
    version = request.param
    env = mwaa_local.AirflowEnv.create("smoke-" + version.replace(".", "-"), version, mwaa_local.new_fernet_key())
    summary = mwaa_local.seed_history(env, runs=30)
    print("seeded Airflow %s in %.0f s: %s" % (version, summary["seconds"], summary["tables"]))
    yield env, summary
    env.stop()
