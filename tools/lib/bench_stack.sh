# shellcheck shell=bash
# bench_stack.sh - what the benchmark scripts share: a private folder with Redis and a
# migrated MariaDB on free loopback ports, the USCHAT_* environment pointing the programs at
# them and at a broker port, CURVE keys for every process (DIR/keys), and a cleanup that stops every process the script started (by
# pid, newest first) and then the servers. Sourced by tools/bench_chat/*.sh and
# tools/bench_gate/bench_gate.sh after tools/lib/servers.sh.
#
#   bench_stack_begin NAME   makes DIR, empties PIDS, installs the traps (KEEP=1 keeps DIR)
#   bench_servers_start      starts the servers; sets PORT_REDIS, PORT_MYSQL, PORT_BROKER
#   bench_stop_pid PID       SIGTERM, up to 15 s, then SIGKILL
# A script with processes of its own to stop first defines bench_before_stop.

bench_free_port() {
    /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/free_ports.py" 1
}

bench_stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

bench__cleanup() {
    local i
    if declare -F bench_before_stop >/dev/null; then bench_before_stop; fi
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do bench_stop_pid "${PIDS[i]}"; done
    servers_stop "$DIR" >/dev/null 2>&1 || true
    if ((${KEEP:-0})); then echo "$BENCH_NAME: logs kept in $DIR"; else rm -rf "$DIR"; fi
}

bench_stack_begin() {
    BENCH_NAME=$1
    DIR=$(mktemp -d "/tmp/uschat-$BENCH_NAME-XXXXXX")
    PIDS=()
    trap bench__cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_servers_start() {
    PORT_REDIS=$(bench_free_port)
    PORT_MYSQL=$(bench_free_port)
    PORT_BROKER=$(bench_free_port)
    echo "$BENCH_NAME: servers in $DIR"
    servers_start_redis "$DIR" "$PORT_REDIS"
    servers_start_mariadb "$DIR" "$PORT_MYSQL" uschat
    "$ROOT/tools/lib/migrate.sh" --quiet --defaults-file="$DIR/client.cnf" uschat
    export USCHAT_BROKER_ENDPOINT=tcp://127.0.0.1:$PORT_BROKER
    USCHAT_BROKER_TAP=tcp://127.0.0.1:$(bench_free_port)
    export USCHAT_BROKER_TAP
    export USCHAT_REDIS_HOST=127.0.0.1 USCHAT_REDIS_PORT=$PORT_REDIS
    export USCHAT_MYSQL_HOST=127.0.0.1 USCHAT_MYSQL_PORT=$PORT_MYSQL
    export USCHAT_MYSQL_USER=$SERVERS_MYSQL_USER USCHAT_MYSQL_DATABASE=uschat
    USCHAT_MYSQL_PASSWORD=$(cat "$DIR/mysql.password")
    export USCHAT_MYSQL_PASSWORD USCHAT_LOG_LEVEL=${USCHAT_LOG_LEVEL:-info}
    # CURVE as in production (docs/security.md): a key pair per process, in DIR/keys
    local keys=${BUILD:-$ROOT/build}/tools/keys/uschat-keys spec
    "$keys" init "$DIR/keys" >/dev/null || return 1
    for spec in node1:chat node2:chat gate:gate varify:varify status:status echo:echo \
        monitor:tap; do
        "$keys" actor "$DIR/keys" "${spec%%:*}" --services "${spec#*:}" >/dev/null || return 1
    done
    export USCHAT_BROKER_CURVE_KEYS_DIR=$DIR/keys
}
