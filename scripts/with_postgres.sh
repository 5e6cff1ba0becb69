#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster, then delete the cluster.
#
#   scripts/with_postgres.sh python -m pytest tests/web -q
#
# The command sees TEST_DATABASE_URL (SQLAlchemy + psycopg form), which tests/conftest.py uses
# instead of SQLite. The server listens only on a Unix socket inside the cluster's own temporary
# directory, so several runs can go side by side and nothing is reachable from the network.
# PostgreSQL refuses to run as root; as root the server runs as the "postgres" user.
# Set PG_BIN to choose the server's bin directory (default: pg_config's, else the newest
# /usr/lib/postgresql/*/bin).
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi

find_bin() {
    if [[ -n "${PG_BIN:-}" ]]; then
        echo "$PG_BIN"
    elif command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/initdb" ]]; then
        pg_config --bindir
    else
        # Debian keeps server binaries off PATH, one directory per major version.
        ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
    fi
}

PG_BIN="$(find_bin)"
if [[ -z "$PG_BIN" || ! -x "$PG_BIN/initdb" ]]; then
    echo "$0: no PostgreSQL server found (set PG_BIN to the directory holding initdb)" >&2
    exit 2
fi

as_server_user() {
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

CLUSTER_DIR="$(mktemp -d -t hearings-pg.XXXXXX)"
DATA_DIR="$CLUSTER_DIR/data"
LOG_FILE="$CLUSTER_DIR/server.log"
DATABASE="hearings_test"
[[ "$(id -u)" -eq 0 ]] && chown postgres: "$CLUSTER_DIR"

stop_cluster() {
    if [[ -f "$DATA_DIR/postmaster.pid" ]]; then
        as_server_user "$PG_BIN/pg_ctl" -D "$DATA_DIR" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$CLUSTER_DIR"
}
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Trust authentication is safe here: there is no TCP listener and the socket directory is private.
as_server_user "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$CLUSTER_DIR/initdb.log" 2>&1 || { cat "$CLUSTER_DIR/initdb.log" >&2; exit 1; }
if ! as_server_user "$PG_BIN/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 \
    -o "-c listen_addresses='' -k $CLUSTER_DIR -c fsync=off -c full_page_writes=off" start >/dev/null; then
    cat "$LOG_FILE" >&2
    exit 1
fi
as_server_user "$PG_BIN/createdb" -h "$CLUSTER_DIR" -U postgres "$DATABASE"

export TEST_DATABASE_URL="postgresql+psycopg://postgres@/$DATABASE?host=$CLUSTER_DIR"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') ready: $TEST_DATABASE_URL" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
