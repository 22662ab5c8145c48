#!/usr/bin/env bash
# The test command (`npm test`): sets up what the tests need, then runs every layer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-modules.sh

echo "== type-check (tsc --strict)"
npm run --silent build
echo "== lint (eslint + prettier)"
npm run --silent lint
echo "== unit tests (mocha)"
npx mocha

# Layers that need the local stack (PostgreSQL, moto, real Airflow), when present.
for layer in scripts/test-python.sh scripts/test-integration.sh; do
  if [ -f "$layer" ]; then bash "$layer"; fi
done
