#!/usr/bin/env bash
# On-demand benchmarks of the metadata export/import (docs/benchmarks/):
#   bash bench/run.sh                   # both below
#   bash bench/run.sh export-import     # ~1.8M rows (and a quarter-size run) against a psql COPY baseline
#   bash bench/run.sh freeze            # the cutover's delta export + import at 1x and 10x the history
#   BENCH_SIZES=small bash bench/run.sh export-import  # a quick check of the harness
#   BENCH_SIZES=quarter bash bench/run.sh export-import  # the quarter size only
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
case "$which" in
  all | export-import | freeze) ;;
  *) echo "usage: bash bench/run.sh [all|export-import|freeze], got '$which'" >&2; exit 2 ;;
esac
bash local/stack.sh up >&2
# shellcheck source=/dev/null
source "${MWAA_LOCAL_STATE_DIR:-local/.state}/env.sh"
if [ "$which" != freeze ]; then PYTHONPATH=local "$MWAA_LOCAL_TOOLS_VENV/bin/python" bench/bench.py; fi
if [ "$which" != export-import ]; then PYTHONPATH=local "$MWAA_LOCAL_TOOLS_VENV/bin/python" bench/freeze.py; fi
