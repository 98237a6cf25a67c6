# Make sure PostgreSQL and Redis answer on 127.0.0.1, installing (apt-get) and starting them
# if this machine has none. Sourced by .ci/run and bench/run.sh; needs root to install.
# shellcheck shell=bash

readonly PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_HOST=127.0.0.1 REDIS_PORT=6379
# Seconds to wait for a service to answer after starting it.
readonly SERVICE_WAIT=${CI_SERVICE_WAIT:-90}
policy_rc_created=0

die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

apt_updated=0
apt_install() {
    if [ "$apt_updated" = 0 ]; then
        apt-get update -q
        apt_updated=1
    fi
    apt-get install -y -q "$@"
}

# Install server packages without letting their maintainer scripts start the daemons: this
# script starts them itself, with the options CI needs.
apt_install_services() {
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_rc_created=1
    fi
    apt_install "$@"
    if [ "$policy_rc_created" = 1 ]; then
        rm -f /usr/sbin/policy-rc.d
        policy_rc_created=0
    fi
}

# wait_for SECONDS COMMAND...: true as soon as COMMAND succeeds, false after SECONDS.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            return 1
        fi
        sleep 1
    done
}

# --- PostgreSQL --------------------------------------------------------------------------------

pg_version() {
    # The newest installed cluster version, e.g. "15"; empty when none is installed.
    if [ -d /etc/postgresql ]; then
        find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -n 1
    fi
}

pg_ready() {
    command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3
}

psql_ci() {
    PGCONNECT_TIMEOUT=5 PGOPTIONS="-c client_min_messages=warning" psql -X -q -w -v ON_ERROR_STOP=1 \
        -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres "$@"
}

pg_can_connect() {
    psql_ci -tAc 'SELECT 1' >/dev/null 2>&1
}

pg_cluster_log() {
    local ver=$1
    tail -n 30 "/var/log/postgresql/postgresql-${ver}-main.log" 2>/dev/null || true
}

ensure_postgres() {
    local ver
    if pg_ready; then
        echo "PostgreSQL answers on ${PG_HOST}:${PG_PORT}."
    else
        ver=$(pg_version)
        if [ -z "$ver" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
            echo "PostgreSQL is not installed; installing it."
            apt_install_services postgresql
            ver=$(pg_version)
            [ -n "$ver" ] || die "PostgreSQL was installed but /etc/postgresql has no cluster."
        fi
        [ -d "/etc/postgresql/${ver}/main" ] ||
            die "no cluster 'main' in /etc/postgresql/${ver}; cannot start PostgreSQL."
        echo "Starting PostgreSQL ${ver} (cluster main)."
        # Exits non-zero when the cluster is already running; the readiness wait decides.
        pg_ctlcluster --skip-systemctl-redirect "$ver" main start ||
            echo "pg_ctlcluster start returned non-zero; waiting for the server anyway."
        if ! wait_for "$SERVICE_WAIT" pg_ready; then
            pg_cluster_log "$ver" >&2
            die "PostgreSQL did not answer on ${PG_HOST}:${PG_PORT} within ${SERVICE_WAIT}s."
        fi
        echo "PostgreSQL answers on ${PG_HOST}:${PG_PORT}."
    fi

    if pg_can_connect; then
        return 0
    fi
    # A freshly installed cluster asks for a password over TCP; CI connects as postgres
    # without one, so trust loopback connections (first matching pg_hba.conf line wins).
    ver=$(pg_version)
    local hba="/etc/postgresql/${ver}/main/pg_hba.conf"
    [ -f "$hba" ] ||
        die "cannot connect to PostgreSQL as postgres and no pg_hba.conf at ${hba} to fix it."
    echo "Allowing trusted loopback connections in ${hba}."
    if ! grep -q '^# CI: trust loopback' "$hba"; then
        {
            echo '# CI: trust loopback TCP connections'
            echo 'host    all    all    127.0.0.1/32    trust'
            echo 'host    all    all    ::1/128         trust'
            cat "$hba"
        } >"${hba}.ci"
        # Overwrite in place so that owner and mode stay as they were.
        cat "${hba}.ci" >"$hba"
        rm -f "${hba}.ci"
    fi
    pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
    if ! wait_for 15 pg_can_connect; then
        psql_ci -c 'SELECT 1' >&2 || true
        die "cannot connect to PostgreSQL at ${PG_HOST}:${PG_PORT} as user postgres."
    fi
}

# --- Redis -------------------------------------------------------------------------------------

redis_ready() {
    command -v redis-cli >/dev/null 2>&1 &&
        [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
}

ensure_redis() {
    if redis_ready; then
        echo "Redis answers on ${REDIS_HOST}:${REDIS_PORT}."
        return 0
    fi
    if ! command -v redis-server >/dev/null 2>&1; then
        echo "Redis is not installed; installing it."
        apt_install_services redis-server
    fi
    mkdir -p /var/lib/redis /var/log/redis
    echo "Starting Redis."
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
        --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
    if ! wait_for "$SERVICE_WAIT" redis_ready; then
        tail -n 30 /var/log/redis/ci.log >&2 2>/dev/null || true
        die "Redis did not answer on ${REDIS_HOST}:${REDIS_PORT} within ${SERVICE_WAIT}s."
    fi
    echo "Redis answers on ${REDIS_HOST}:${REDIS_PORT}."
}
