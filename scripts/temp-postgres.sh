# Sourced by the scripts: a throwaway PostgreSQL server owned by the calling script.
#
#   . scripts/temp-postgres.sh
#   start_temp_postgres            # exports XT_PG_URL (the server's "postgres" database)
#   trap stop_temp_postgres EXIT
#
# The data directory and the unix socket live in a fresh directory under /tmp and the
# server listens on no TCP port, so it never clashes with another PostgreSQL on the
# machine or with a second run of the same script. fsync is off: the data is thrown
# away at the end, and it makes the tests several times faster.

temp_postgres_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# Run a command as the server's owner: initdb and postgres refuse to run as root.
_temp_postgres_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

# Stop servers of earlier runs that were killed before they could clean up.
_reap_stale_temp_postgres() {
    local dir pid bin
    bin="$(temp_postgres_bin)"
    for dir in /tmp/xt-pg.*; do
        [ -f "$dir/owner.pid" ] || continue
        pid="$(cat "$dir/owner.pid" 2>/dev/null || true)"
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            continue
        fi
        if [ -f "$dir/data/postmaster.pid" ] && [ -n "$bin" ]; then
            _temp_postgres_as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -s stop >/dev/null 2>&1 || true
        fi
        rm -rf "$dir"
    done
}

start_temp_postgres() {
    local bin
    bin="$(temp_postgres_bin)"
    if [ -z "$bin" ]; then
        echo "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin): apt-get install postgresql" >&2
        return 1
    fi
    _reap_stale_temp_postgres
    XT_PG_DIR="$(mktemp -d /tmp/xt-pg.XXXXXX)"
    echo "$$" >"$XT_PG_DIR/owner.pid"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$XT_PG_DIR"
    fi
    if ! _temp_postgres_as_owner "$bin/initdb" -D "$XT_PG_DIR/data" -U postgres --auth=trust \
            -E UTF8 --no-locale >"$XT_PG_DIR/initdb.log" 2>&1; then
        cat "$XT_PG_DIR/initdb.log" >&2
        return 1
    fi
    if ! _temp_postgres_as_owner "$bin/pg_ctl" -D "$XT_PG_DIR/data" -l "$XT_PG_DIR/server.log" -w -t 60 -s \
            -o "-k $XT_PG_DIR -c listen_addresses='' -c max_connections=200 -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off" start; then
        cat "$XT_PG_DIR/server.log" >&2
        return 1
    fi
    export XT_PG_DIR
    export XT_PG_URL="postgresql+psycopg://postgres@/postgres?host=$XT_PG_DIR"
}

stop_temp_postgres() {
    [ -n "${XT_PG_DIR:-}" ] && [ -d "$XT_PG_DIR" ] || return 0
    _temp_postgres_as_owner "$(temp_postgres_bin)/pg_ctl" -D "$XT_PG_DIR/data" -m fast -s -w stop >/dev/null 2>&1 || true
    rm -rf "$XT_PG_DIR"
    XT_PG_DIR=""
}
