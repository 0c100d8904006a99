#!/usr/bin/env bash
# Set up the app on SQLite, create the demo workspace and serve it on http://localhost:5000
#
#   bash scripts/demo.sh                 # http://127.0.0.1:5000/demo/tickets
#   PORT=8080 HOST=0.0.0.0 bash scripts/demo.sh
#   RESET=1 bash scripts/demo.sh         # start again from an empty database and mailbox
#
# It installs the project alone (no test tools) into .venv-demo, so the first run is quick.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-demo
exec 9<pyproject.toml
flock 9
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
fi
stamp="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$VENV/.xobito-installed" 2>/dev/null)" != "$stamp" ]; then
    "$VENV/bin/python" -m pip install -q -e .
    echo "$stamp" >"$VENV/.xobito-installed"
fi
flock -u 9
exec 9<&-

if [ "${RESET:-}" = 1 ]; then
    rm -rf instance/xobito_tickets.sqlite instance/xobito_tickets.sqlite-* instance/mail instance/storage
    echo "== demo reset: database, mailbox and attachments removed =="
fi

export FLASK_APP=wsgi
"$VENV/bin/flask" db upgrade
"$VENV/bin/flask" tickets demo
exec "$VENV/bin/flask" run --debug --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
