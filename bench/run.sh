#!/usr/bin/env bash
# On-demand benchmark of the metadata export/import against a psql COPY baseline.
#   bash bench/run.sh                   # ~1M task instances, plus a quarter-size run
#   BENCH_SIZES=small bash bench/run.sh # a quick check of the harness
set -euo pipefail
cd "$(dirname "$0")/.."
bash local/stack.sh up >&2
# shellcheck source=/dev/null
source local/.state/env.sh
PYTHONPATH=local exec "$MWAA_LOCAL_TOOLS_VENV/bin/python" bench/bench.py
