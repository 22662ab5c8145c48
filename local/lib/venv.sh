#!/usr/bin/env bash
# Virtualenvs shared by every clone on this machine, keyed by the lock file's content:
#   ${MWAA_MIGRATION_CACHE:-$HOME/.cache/mwaa-migration}/venvs/<name>-<sha256[:12] of lock>
# A venv is built in a temporary directory and renamed into place when complete, so an
# interrupted install is never picked up. Source this file; it defines functions only.

MWAA_LOCKS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../locks" && pwd)

mwaa_cache_dir() {
  echo "${MWAA_MIGRATION_CACHE:-$HOME/.cache/mwaa-migration}"
}

# The Python 3.11 interpreter every venv is built on (the Airflow payload targets 3.11).
mwaa_python311() {
  local candidate
  for candidate in "${MWAA_PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
      "$candidate" -c 'import sys; print(sys.executable)'
      return 0
    fi
  done
  echo "error: Python 3.11 not found (tried \$MWAA_PYTHON, python3.11, python3); install python3.11 or set MWAA_PYTHON to its path" >&2
  return 1
}

# uv, pinned by local/locks/uv.txt, installed once into its own small venv in the cache.
mwaa_uv() {
  local pin uv_home python
  pin=$(tr -d '[:space:]' <"$MWAA_LOCKS_DIR/uv.txt")
  uv_home="$(mwaa_cache_dir)/uv-${pin#uv==}"
  if [ ! -x "$uv_home/bin/uv" ]; then
    python=$(mwaa_python311) || return 1
    local tmp="${uv_home}.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$(dirname "$uv_home")"
    echo "installing ${pin} into ${uv_home} ..." >&2
    "$python" -m venv "$tmp" >&2 &&
      "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check "$pin" >&2 || {
      rm -rf "$tmp"
      echo "error: could not install ${pin} from the Python package index (is it reachable?)" >&2
      return 1
    }
    # The uv binary does not depend on the venv's location; keep the first complete copy.
    mv -T "$tmp" "$uv_home" 2>/dev/null || rm -rf "$tmp"
  fi
  echo "$uv_home/bin/uv"
}

# Prints the path of the venv for lock file <lock> named <name>, building it if missing.
mwaa_ensure_venv() {
  local name=$1 lock=$2
  local hash cache target
  [ -f "$lock" ] || {
    echo "error: lock file ${lock} not found" >&2
    return 1
  }
  hash=$(sha256sum "$lock" | cut -c1-12)
  cache="$(mwaa_cache_dir)/venvs"
  target="$cache/${name}-${hash}"
  if [ -x "$target/bin/python" ]; then
    echo "$target"
    return 0
  fi
  mkdir -p "$cache"
  (
    # One builder per venv at a time; a second caller waits and then reuses the result.
    flock 9
    if [ -x "$target/bin/python" ]; then exit 0; fi
    local uv python tmp started
    uv=$(mwaa_uv) || exit 1
    python=$(mwaa_python311) || exit 1
    tmp="$cache/.building-${name}-${hash}.$$"
    rm -rf "$tmp"
    started=$(date +%s)
    echo "building venv ${name} from $(basename "$lock") into ${target} ..." >&2
    if ! "$uv" venv --quiet --relocatable --python "$python" --python-preference only-system "$tmp" >&2 ||
      ! VIRTUAL_ENV="$tmp" "$uv" pip sync --quiet --python "$tmp/bin/python" "$lock" >&2; then
      rm -rf "$tmp"
      echo "error: installing ${lock} into a venv failed (see the messages above)" >&2
      exit 1
    fi
    mv -T "$tmp" "$target"
    echo "venv ${name} ready in $(($(date +%s) - started)) s" >&2
  ) 9>"$cache/.lock-${name}-${hash}" || return 1
  echo "$target"
}
