#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server.
#
#   scripts/with-postgres.sh COMMAND [ARGS...]
#
# Installs PostgreSQL from Debian's packages when no server binaries are found, creates a
# cluster in a temporary directory, starts it on 127.0.0.1 on a free port (never touching a
# system cluster), exports DATABASE_URL=postgres://forecaster@127.0.0.1:PORT/forecaster (the
# role is a superuser, so pytest-django can create its test database), runs COMMAND, and
# stops and removes the server when COMMAND ends, fails or is interrupted.
#
# As root the server runs as the unprivileged `postgres` user (PostgreSQL refuses to run as
# root). PG_DURABLE=1 keeps fsync on; by default it is off, since the data is thrown away.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

log() { echo "with-postgres: $*" >&2; }

# The newest PostgreSQL server binaries: Debian's versioned folders first, then the PATH.
find_pg_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
            echo "$dir"; return 0
        fi
    done
    local initdb
    initdb="$(command -v initdb 2>/dev/null || true)"
    if [ -n "$initdb" ]; then
        dir="$(dirname "$(readlink -f "$initdb")")"
        if [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
            echo "$dir"; return 0
        fi
    fi
    return 1
}

install_postgres() {
    log "installing PostgreSQL from Debian's packages"
    local here
    here="$(dirname "$0")"
    # The cluster manager first, told not to create (and start) a system cluster: we only
    # ever want our throwaway one.
    "$here/apt-install.sh" postgresql-common
    if [ -w /etc/postgresql-common/createcluster.conf ]; then
        sed -i 's/^#\?\s*create_main_cluster.*/create_main_cluster = false/' \
            /etc/postgresql-common/createcluster.conf
    fi
    "$here/apt-install.sh" postgresql
}

PG_BIN="$(find_pg_bindir || true)"
if [ -z "$PG_BIN" ]; then
    install_postgres
    PG_BIN="$(find_pg_bindir)" || { log "no initdb/pg_ctl found after installing"; exit 1; }
fi

# Who runs the server: ourselves, or `postgres` when we are root.
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
    fi
    RUN_AS=(runuser -u postgres --)
fi

PYTHON="$(command -v python3)"
PORT="${PG_PORT:-$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
PG_TMP="$(mktemp -d "${TMPDIR:-/tmp}/forecaster-pg.XXXXXX")"
if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$PG_TMP"
fi

stop_server() {
    local rc=$?
    if [ -f "$PG_TMP/data/postmaster.pid" ]; then
        (cd "$PG_TMP" && "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w stop >/dev/null 2>&1) \
            || (cd "$PG_TMP" && "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate stop >/dev/null 2>&1) \
            || true
    fi
    rm -rf "$PG_TMP"
    exit "$rc"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

FAST_OPTS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if [ "${PG_DURABLE:-0}" = "1" ]; then
    FAST_OPTS=""
fi

# Commands run from inside the temp dir: the server user may not be able to enter our cwd.
(
    cd "$PG_TMP"
    "${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_TMP/data" -U forecaster --auth=trust \
        -E UTF8 --locale=C.UTF-8 >"$PG_TMP/initdb.log" 2>&1 \
        || { cat "$PG_TMP/initdb.log" >&2; exit 1; }
    # Loopback only, socket in the temp dir, trust auth: nobody else can reach this server.
    "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PG_TMP -c max_connections=100 $FAST_OPTS" \
        start >/dev/null \
        || { cat "$PG_TMP/server.log" >&2; exit 1; }
    "${RUN_AS[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U forecaster forecaster
)

export DATABASE_URL="postgres://forecaster@127.0.0.1:$PORT/forecaster"
export PG_BIN
log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (data in $PG_TMP)"

# Not exec: the EXIT trap must run after COMMAND to stop the server.
set +e
"$@"
