"""Smoke tests of the local stack. Run from the repository root:

local/stack.sh up
local/.state/venvs/tools/bin/python -m pytest test/python/localstack
"""

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT / "local"))

import mwaa_local  # noqa: E402


@pytest.fixture(scope="session")
def stack():
    return mwaa_local.ensure_stack()


# The versions that get a seeded history (the slow part): the default source and target.
SEEDED_VERSIONS = os.environ.get("MWAA_LOCAL_SMOKE_VERSIONS", "2.8.1,2.11.0").replace(" ", "").split(",")


@pytest.fixture(scope="module", params=SEEDED_VERSIONS)
def seeded_env(request, stack):
    """A started Airflow of each version with a small seeded history (about 30 runs)."""
    version = request.param
    env = mwaa_local.AirflowEnv.create("smoke-" + version.replace(".", "-"), version, mwaa_local.new_fernet_key())
    summary = mwaa_local.seed_history(env, runs=30)
    print("seeded Airflow %s in %.0f s: %s" % (version, summary["seconds"], summary["tables"]))
    yield env, summary
    env.stop()
