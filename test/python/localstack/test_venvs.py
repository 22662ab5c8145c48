"""Venvs keyed by their lock file's hash, built atomically (local/lib/venv.sh)."""

import hashlib
import os
import subprocess
from pathlib import Path

from conftest import REPO_ROOT

VENV_LIB = str(REPO_ROOT / "local" / "lib" / "venv.sh")


def _ensure(cache, name, lock):
    return subprocess.run(
        ["bash", "-c", 'source "$1" && mwaa_ensure_venv "$2" "$3"', "bash", VENV_LIB, name, str(lock)],
        env=dict(os.environ, MWAA_MIGRATION_CACHE=str(cache)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _with_uv_from(cache, shared_cache):
    # Reuse the uv binary the stack already installed instead of installing it again.
    for uv_home in shared_cache.glob("uv-*"):
        (cache / uv_home.name).symlink_to(uv_home)


def test_venv_path_is_the_lock_hash_and_a_second_call_reuses_it(tmp_path, stack):
    _with_uv_from(tmp_path, _shared_cache(stack))
    lock = tmp_path / "empty.txt"
    lock.write_text("# no packages\n")
    first = _ensure(tmp_path, "probe", lock)
    assert first.returncode == 0, first.stderr
    venv = first.stdout.strip()
    assert venv == str(tmp_path / "venvs" / ("probe-" + hashlib.sha256(lock.read_bytes()).hexdigest()[:12]))
    marker = tmp_path / "venvs" / venv.rsplit("/", 1)[1] / "marker"
    marker.write_text("kept")
    again = _ensure(tmp_path, "probe", lock)
    assert again.stdout.strip() == venv and marker.exists() and "building" not in again.stderr
    lock.write_text("# no packages, edited\n")
    edited = _ensure(tmp_path, "probe", lock)
    assert edited.returncode == 0 and edited.stdout.strip() != venv


def test_a_failed_install_leaves_no_venv_behind(tmp_path, stack):
    _with_uv_from(tmp_path, _shared_cache(stack))
    lock = tmp_path / "broken.txt"
    lock.write_text("mwaa-local-missing @ file:///nonexistent/mwaa_local_missing-0.0.1-py3-none-any.whl\n")
    result = _ensure(tmp_path, "broken", lock)
    assert result.returncode != 0
    assert "installing" in result.stderr and "failed" in result.stderr
    assert [path.name for path in (tmp_path / "venvs").iterdir() if not path.name.startswith(".lock-")] == []


def _shared_cache(stack):
    return Path(stack["venvs"]["tools"]).parent.parent
