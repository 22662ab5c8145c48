#!/usr/bin/env bash
# The test command (`npm test`): installs what the tests need on first use, then runs every layer:
# type-check, lint, unit tests (mocha, under Pulumi mocks), the Python payload against real Airflow
# (pytest), and the providers against real Airflow, moto and the MWAA stand-in (mocha + pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-modules.sh

results=$(mktemp)
trap 'rm -f "$results"' EXIT

echo "== type-check (tsc --strict)"
npm run --silent build
echo "== lint (eslint + prettier)"
npm run --silent lint
echo "== unit tests (mocha)"
npx mocha 2>&1 | tee -a "$results"

bash scripts/test-python.sh 2>&1 | tee -a "$results"
bash scripts/test-integration.sh 2>&1 | tee -a "$results"

# One closing line for the whole run, summed over mocha's and pytest's own summaries.
python3 - "$results" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
def total(pattern):
    return sum(int(n) for n in re.findall(pattern, text, re.M))
passed = total(r"^\s*(\d+) passing") + total(r"(\d+) passed")
failed = total(r"^\s*(\d+) failing") + total(r"(\d+) failed")
skipped = total(r"^\s*(\d+) pending") + total(r"(\d+) skipped")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
