#!/usr/bin/env bash
# Set up everything the tests need and run all of them: the whole suite on SQLite, then
# again on PostgreSQL. Usage: bash scripts/test.sh [pytest args]
#
# On a fresh Debian machine (as root, or with sudo) it installs the Debian packages the
# tests need, creates .venv, and starts a PostgreSQL server of its own (data and socket
# in a temporary directory, no TCP port; stopped on exit), so it works next to another
# PostgreSQL and when run twice at once. With TEST_DATABASE_URL set (e.g.
# postgresql+psycopg://user:pass@localhost/postgres) it uses that server instead; each
# test creates and drops its own database there.
# It fails if either run fails or if a run ran no tests at all.
set -euo pipefail
cd "$(dirname "$0")/.."

# postgresql: the second run; chromium: the browser tests (Playwright drives Debian's build).
# dovecot-imapd: the real IMAP server of the inbound-email tests (fetch-mail).
DEBIAN_PACKAGES=(postgresql chromium dovecot-imapd)

install_debian_packages() {
    command -v dpkg-query >/dev/null || { echo "Not Debian: install ${DEBIAN_PACKAGES[*]} yourself." >&2; return 0; }
    local missing=() pkg
    for pkg in "${DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
    done
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        missing+=(python3 python3-venv)
    fi
    # npm installs axe-core for the accessibility checks of the browser tests.
    command -v npm >/dev/null || missing+=(nodejs npm)
    ((${#missing[@]})) || return 0
    echo "== installing Debian packages: ${missing[*]} =="
    local sudo=()
    if [ "$(id -u)" != 0 ]; then
        sudo=(sudo -n)
    fi
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Run pytest with the given environment; fail if it fails or runs no test.
run_suite() {
    local name=$1 start rc=0 ran
    shift
    echo "== tests on $name =="
    start=$SECONDS
    env "$@" .venv/bin/python -m pytest --junitxml="$XT_REPORT_DIR/junit-$name.xml" --durations=15 \
        "${SUITE_ARGS[@]}" "${PYTEST_ARGS[@]}" || rc=$?
    ran="$(.venv/bin/python - "$XT_REPORT_DIR/junit-$name.xml" <<'EOF' 2>/dev/null || echo 0
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
print(sum(int(s.get("tests", 0)) - int(s.get("skipped", 0)) for s in suites))
EOF
)"
    echo "== $name: pytest exit $rc, $ran tests run, $((SECONDS - start)) s =="
    if [ "$rc" = 0 ] && [ "$ran" = 0 ]; then
        echo "== $name: no test ran; that is a failure ==" >&2
        rc=1
    fi
    return "$rc"
}

install_debian_packages
. scripts/setup-env.sh
. scripts/temp-postgres.sh

# axe-core, pinned by tests/e2e/package-lock.json.
if [ ! -f tests/e2e/node_modules/axe-core/axe.min.js ]; then
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
# Everything the browser tests need is installed now: a missing piece must fail, not skip.
export CI="${CI:-true}"

XT_REPORT_DIR="$(mktemp -d /tmp/xt-test.XXXXXX)"
cleanup() {
    stop_temp_postgres
    # The JUnit reports (with each test's time) stay in test-artifacts/ for CI to keep.
    mkdir -p test-artifacts
    cp "$XT_REPORT_DIR"/junit-*.xml test-artifacts/ 2>/dev/null || true
    rm -rf "$XT_REPORT_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PYTEST_ARGS=("$@")
failed=()

# Style and architecture first: a broken import contract or an unformatted file fails the run.
echo "== ruff check, ruff format --check, lint-imports, node --check =="
.venv/bin/ruff check . || failed+=(ruff)
.venv/bin/ruff format --check . || failed+=(ruff-format)
.venv/bin/lint-imports || failed+=(import-contracts)
# The page scripts are parsed (not run): a broken merge of the JavaScript fails here, not in a browser.
js_ok=true
while IFS= read -r -d '' script; do
    node --check "$script" || js_ok=false
done < <(find xobito_tickets/static -name '*.js' -print0 | sort -z)
"$js_ok" || failed+=(node-check)

# Two pytest workers (xdist): the machine has two cores and most tests wait on a database.
WORKERS="${XT_TEST_WORKERS:-2}"

SUITE_ARGS=(-m "not e2e" -n "$WORKERS")
run_suite sqlite -u TEST_DATABASE_URL XT_EXPECT_DATABASE=sqlite || failed+=(SQLite)
# The browser tests serve their own SQLite-backed app and run one at a time.
SUITE_ARGS=(-m e2e)
run_suite browser -u TEST_DATABASE_URL XT_EXPECT_DATABASE=sqlite || failed+=(browser)

if [ -n "${TEST_DATABASE_URL:-}" ]; then
    pg_url="$TEST_DATABASE_URL"
else
    start_temp_postgres
    pg_url="$XT_PG_URL"
fi
SUITE_ARGS=(-m "not e2e" -n "$WORKERS")
run_suite postgresql TEST_DATABASE_URL="$pg_url" XT_EXPECT_DATABASE=postgresql || failed+=(PostgreSQL)

if ((${#failed[@]})); then
    echo "== FAILED on: ${failed[*]} ==" >&2
    exit 1
fi
echo "== all tests passed on SQLite and PostgreSQL =="
