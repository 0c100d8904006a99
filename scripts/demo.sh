#!/usr/bin/env bash
# Set up the app on SQLite, create the demo workspace and serve it on http://localhost:5000
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/setup-env.sh

export FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask tickets demo
exec .venv/bin/flask run --debug --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
