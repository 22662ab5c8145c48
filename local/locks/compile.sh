#!/usr/bin/env bash
# Regenerates the lock files from their *.in requirements. Airflow's constraint files are
# not used: each Airflow lock is resolved with --exclude-newer set shortly after that
# Airflow release, so the pins match what the release was tested with. Run only when a
# lock must change, then re-verify with the smoke tests (test/python/localstack).
set -euo pipefail
cd "$(dirname "$0")"
uv=${UV:-uv}

# version -> date shortly after its release
declare -A released_by=(
  [2.8.1]=2024-01-25
  [2.10.3]=2024-11-12
  [2.11.0]=2025-05-28
  [3.0.6]=2025-09-02
  [3.3.2]=2026-09-22
)

for version in "${!released_by[@]}"; do
  "$uv" pip compile --quiet --python-version 3.11 --exclude-newer "${released_by[$version]}" \
    "airflow-${version}.in" -o "airflow-${version}.txt"
done
"$uv" pip compile --quiet --python-version 3.11 tools.in -o tools.txt
