"""pytest setup: the local stack (PostgreSQL + moto) and import paths for the payload."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT / "local", ROOT / "payload", Path(__file__).resolve().parent):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture(scope="session")
def stack():
    from mwaa_local import ensure_stack

    return ensure_stack()
