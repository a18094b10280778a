#!/usr/bin/env bash
# tools/bench_chat/bench_messages.sh: persisted text messages per second, end to end, on this
# machine, with the default commit batch size and with batch=1 in the same run.
#
#   tools/bench_chat/bench_messages.sh [--build DIR] [--pairs N] [--duration S] [--window W]
#                                      [--batches "DEFAULT 1"] [--rate R] [--size BYTES]
#                                      [--only same|cross] [--modes "flat rate"] [--json DIR]
#                                      [--keep]
#
# Starts private Redis and MariaDB (tools/lib/servers.sh; innodb_flush_log_at_trx_commit=1,
# checked), the broker and TWO chat nodes (uschatd --service chat --node node1/node2) from
# the build folder (default build/, a release build: `tools/uschat build`), on free loopback
# ports in a temporary folder, seeds N pairs of friends (default 1000) and drives the nodes
# with the load generator (tools/load/uschat-load, scenario chat). For each batch size
# (chat/message_batch_max; the nodes are restarted with it):
#   1. same-node, flat out (--window messages in flight per sender, default 8): messages
#      acked per second (each ack after its MySQL COMMIT) and delivered per second (the
#      peer's 1019), latency p50/p99 from the send to the peer's receipt;
#   2. the same with the two members of every pair on different nodes (1019 through the
#      broker);
#   3. open loop at a fixed rate (--rate, default: half the goal, 10000/s), same-node and
#      cross-node: latency p50/p99 from the scheduled send to the peer's receipt.
# The nodes are started afresh for every run and warmed up by 2 s of the same load. Every run must end with no seq gap and, at the
# default batch size, no missing ack and no missing delivery (checked); delivered/s is the
# mean of the per-second deliveries during the measured window.
# Goal: 20,000 messages/s or more end to end, p99 under 50 ms at half that rate.
# Everything it started is stopped at exit (by pid); --keep leaves the folder for the logs.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
BUILD=$ROOT/build
PAIRS=1000
DURATION=10
WINDOW=8
BATCHES=""
RATE=10000
SIZE=32
ONLY=""
MODES="flat rate"
JSON_DIR=""
KEEP=0
while (($#)); do
    case $1 in
        --build) BUILD=$(readlink -f "$2"); shift 2 ;;
        --pairs) PAIRS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --window) WINDOW=$2; shift 2 ;;
        --batches) BATCHES=$2; shift 2 ;;
        --rate) RATE=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --modes) MODES=$2; shift 2 ;;
        --json) JSON_DIR=$(mkdir -p "$2" && readlink -f "$2"); shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench_messages: unknown option $1" >&2; exit 2 ;;
    esac
done

LOAD=$BUILD/tools/load/uschat-load
BROKER=$BUILD/broker/uschat-broker
USCHATD=$BUILD/actors/uschatd/uschatd
for bin in "$LOAD" "$BROKER" "$USCHATD"; do
    [[ -x $bin ]] || { echo "bench_messages: $bin is not built (tools/uschat build)" >&2; exit 1; }
done
# The default batch size is the one the nodes run with (config/node1.conf).
DEFAULT_BATCH=$(awk '$1 == "message_batch_max" { print $3; exit }' "$ROOT/config/node1.conf")
[[ -n $BATCHES ]] || BATCHES="$DEFAULT_BATCH 1"

# shellcheck source=tools/lib/servers.sh
source "$ROOT/tools/lib/servers.sh"

# shellcheck source=tools/lib/bench_stack.sh
source "$ROOT/tools/lib/bench_stack.sh"
bench_stack_begin bench_messages
NODE_PIDS=()
bench_before_stop() {
    local pid
    for pid in "${NODE_PIDS[@]}"; do bench_stop_pid "$pid"; done
}

bench_servers_start
PORT_NODE1=$(bench_free_port)
PORT_NODE2=$(bench_free_port)
# servers.sh starts MariaDB for tests (64 MB buffer pool, 8 MB redo log); a message store
# needs a redo log that does not force a checkpoint every second. Both are dynamic in 10.11.
# The durability setting stays the safe default, and is checked.
mysql_root() { mariadb --no-defaults --socket="$DIR/mysqld.sock" --user=root --batch --skip-column-names "$@"; }
mysql_root -e "SET GLOBAL innodb_buffer_pool_size = 512*1024*1024; SET GLOBAL innodb_log_file_size = 512*1024*1024;" ||
    echo "bench_messages: could not grow the buffer pool / redo log (continuing)" >&2
FLUSH=$(mysql_root -e "SELECT @@innodb_flush_log_at_trx_commit")
[[ $FLUSH == 1 ]] || { echo "bench_messages: innodb_flush_log_at_trx_commit is $FLUSH, not 1" >&2; exit 1; }
MARIADB_PID=$(cat "$DIR/mariadb.pid")
REDIS_PID=$(cat "$DIR/redis.pid")

# The load generator's senders stay far below this; the limit is not what is measured.
export USCHAT_CHAT_RATE_LIMIT=100000

servers_spawn "$DIR/broker.log" "$DIR/broker.pid" "$BROKER" --config "$ROOT/config/broker.conf"
BROKER_PID=$(cat "$DIR/broker.pid")
PIDS+=("$BROKER_PID")
for _ in $(seq 100); do servers_port_open "$PORT_BROKER" && break; sleep 0.1; done

# start_nodes BATCH: both nodes with that batch size (stopped first when running).
start_nodes() {
    local batch=$1 n port pid
    for pid in "${NODE_PIDS[@]}"; do bench_stop_pid "$pid"; done
    NODE_PIDS=()
    for n in 1 2; do
        port=PORT_NODE$n
        USCHAT_CHAT_PORT=${!port} USCHAT_CHAT_MESSAGE_BATCH_MAX=$batch \
            servers_spawn "$DIR/node$n.log" "$DIR/node$n.pid" "$USCHATD" \
            --config "$ROOT/config/node$n.conf"
        NODE_PIDS+=("$(cat "$DIR/node$n.pid")")
    done
    for n in 1 2; do
        port=PORT_NODE$n
        for _ in $(seq 100); do servers_port_open "${!port}" && break; sleep 0.1; done
        servers_port_open "${!port}" || { tail -n 20 "$DIR/node$n.log" >&2; exit 1; }
    done
    sleep 1 # registered with the broker (READY) before the first cross-node push
}

cat >"$DIR/stack.env" <<EOF
REDIS_HOST=127.0.0.1
REDIS_PORT=$PORT_REDIS
MYSQL_HOST=127.0.0.1
MYSQL_PORT=$PORT_MYSQL
MYSQL_USER=$SERVERS_MYSQL_USER
MYSQL_PASSWORD=$USCHAT_MYSQL_PASSWORD
MYSQL_DB=uschat
CHAT_NODES="node1=127.0.0.1:$PORT_NODE1 node2=127.0.0.1:$PORT_NODE2"
EOF
USERS=$((2 * PAIRS))
load() {
    "$LOAD" --stack-env "$DIR/stack.env" --server-pid "${NODE_PIDS[0]}" \
        --server-pid "${NODE_PIDS[1]}" --server-pid "$BROKER_PID" --server-pid "$MARIADB_PID" \
        --server-pid "$REDIS_PID" "$@"
}
start_nodes "$DEFAULT_BATCH"
load --seed "$USERS" >"$DIR/seed.out" 2>&1 || { cat "$DIR/seed.out" >&2; exit 1; }

RESULTS=()
# run NAME BATCH ARGS...: one load run; its figures go into RESULTS.
run() {
    local name=$1 batch=$2
    shift 2
    local json=$DIR/$name.json out=$DIR/$name.out
    # fresh nodes: what an overloaded run left in the lanes must not slow the next one; then
    # 2 s of the same load unmeasured (connections, prepared statements, buffer pool warm)
    start_nodes "$batch"
    load --users "$USERS" --duration 2 --size "$SIZE" "$@" chat >"$DIR/$name.warmup" 2>&1 || true
    if ! load --users "$USERS" --duration "$DURATION" --size "$SIZE" --json "$json" "$@" chat \
        >"$out" 2>&1; then
        cat "$out" >&2
        exit 1
    fi
    [[ -z $JSON_DIR ]] || cp "$json" "$JSON_DIR/"
    local line
    line=$(jq -r --arg name "$name" --arg batch "$batch" '
        def ms(x): (x / 1000 * 10 | round / 10);
        [$name, $batch,
         (.metrics.acked_per_s | round),
         ((.timeline.delivered_per_s // [0]) | add / length | round),
         ms(.latency_us.delivery.p50), ms(.latency_us.delivery.p99),
         ms(.latency_us.ack.p50), ms(.latency_us.ack.p99),
         (.metrics.seq_gaps | round), (.metrics.acks_missing | round),
         (.metrics.deliveries_missing | round), (.metrics.ack_errors | round),
         ([.servers[]? | "\(.name):\(.cpu_pct | round)%"] | join(" ")),
         "client:\((.client.cpu_s // 0) / .duration_s * 100 | round)%"] | @tsv' "$json")
    RESULTS+=("$line")
    printf '%s\n' "$line" | awk -F'\t' '{ printf "  %-16s batch %-5s acked/s %7s delivered/s %7s  delivery p50 %6s ms p99 %6s ms  gaps %s missing %s/%s errors %s\n", $1, $2, $3, $4, $5, $6, $9, $10, $11, $12 }'
}

for batch in $BATCHES; do
    echo "== batch $batch"
    for where in same cross; do
        [[ -z $ONLY || $ONLY == "$where" ]] || continue
        cross=()
        [[ $where == cross ]] && cross=(--cross-node)
        [[ " $MODES " != *" flat "* ]] ||
            run "$where-flat-b$batch" "$batch" --rate 0 --window "$WINDOW" "${cross[@]}"
        [[ " $MODES " != *" rate "* ]] || run "$where-rate-b$batch" "$batch" --rate "$RATE" "${cross[@]}"
    done
done

echo
echo "== chat messages benchmark ($(nproc) cores, $(uname -sr), $PAIRS pairs, ${SIZE}-byte" \
    "messages, innodb_flush_log_at_trx_commit=$FLUSH)"
printf '  %-18s %6s %10s %12s %9s %9s %9s %9s %5s %8s  %s\n' run batch acked/s delivered/s \
    "e2e p50" "e2e p99" "ack p50" "ack p99" gaps missing "cpu (% of one core)"
for line in "${RESULTS[@]}"; do
    printf '%s\n' "$line" | awk -F'\t' '{ printf "  %-18s %6s %10s %12s %7sms %7sms %7sms %7sms %5s %4s/%-3s  %s %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $13, $14 }'
done
# A seq gap is a fault at any load. Acks or deliveries still missing 5 s after the run are
# a fault only where the node kept up (at the default batch size); batch=1 falls behind.
BAD=0
for line in "${RESULTS[@]}"; do
    awk -F'\t' -v dflt="$DEFAULT_BATCH" '{ exit !($9 == 0 && ($2 != dflt || ($10 == 0 && $11 == 0))) }' \
        <<<"$line" || BAD=1
done
((BAD == 0)) || { echo "bench_messages: a run skipped a seq or left messages unacked" >&2; exit 1; }
