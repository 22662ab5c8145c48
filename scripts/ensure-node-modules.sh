#!/usr/bin/env bash
# Installs the npm packages when node_modules is missing or older than the lock file,
# so that `npm test` and `npm run rehearse` work on a fresh clone with nothing else typed.
set -euo pipefail
cd "$(dirname "$0")/.."

install_if_stale() {
  local dir=$1
  [ -f "$dir/package.json" ] || return 0
  local marker="$dir/node_modules/.package-lock.json"
  if [ ! -f "$marker" ] || [ "$dir/package-lock.json" -nt "$marker" ]; then
    echo "installing npm packages in ${dir} ..."
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

install_if_stale .
install_if_stale policies
