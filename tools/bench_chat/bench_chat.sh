#!/usr/bin/env bash
# tools/bench_chat/bench_chat.sh: the chat node benchmark, self-contained on one machine.
#
#   tools/bench_chat/bench_chat.sh [--build DIR] [--users N] [--hold S] [--login S]
#                                  [--messages S] [--admission N] [--keep]
#
# Starts private Redis and MariaDB (tools/lib/servers.sh), the broker and ONE chat node
# (uschatd --service chat --node node1) from the build folder (default build/, a release
# build: `tools/uschat build`), all on free loopback ports in a temporary folder, and drives
# them with the load generator (tools/load/uschat-load):
#   1. seeds N load users (default 10000) with tokens in Redis;
#   2. warms the node up (a few seconds of logins), then reads its RSS (the baseline);
#   3. holds N logged-in connections with a heartbeat every 10 s for S seconds (default 20)
#      while sampling the node's RSS, and prints the RSS per connection:
#      (peak RSS - baseline) / N, user-space memory of an idle logged-in connection;
#   4. logs in flat out for S seconds (default 10, --direct: token from Redis, presence set,
#      profile and lists read from MySQL, no gate) and prints the logins per second;
#   5. 1,000 pairs of friends send text messages flat out (8 in flight per sender) for S
#      seconds (default 10, --messages S; 0 skips it) and prints the messages acked per
#      second (each acked only after its MySQL commit) and the seq gaps seen (must be 0).
# --admission N instead measures connections that never log in: after the warm-up, N idle
# connections and then N that send the first 100 bytes of a login frame announcing 8,000
# bytes (from 127.0.0.2 and up, 50 per address), held for 15 s (past the 10 s login
# deadline), with the node's RSS per connection of each kind, while 200 real logins a second
# (--direct) run throughout; their latency is the load generator's. Run it once with the
# defaults and once with USCHAT_CHAT_LOGIN_MAX_BODY=8192 USCHAT_CHAT_PRELOGIN_PER_ADDRESS=
# 10000000 in the environment (no pre-login limits) to compare.
# Goals on a 2-core machine: under 4 KiB per connection, 2,000 logins/s or more.
# Everything it started is stopped at exit (by pid); --keep leaves the folder for the logs.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
BUILD=$ROOT/build
USERS=10000
HOLD_S=20
LOGIN_S=10
MSG_S=10
KEEP=0
ADMISSION=0
while (($#)); do
    case $1 in
        --build) BUILD=$(readlink -f "$2"); shift 2 ;;
        --users) USERS=$2; shift 2 ;;
        --hold) HOLD_S=$2; shift 2 ;;
        --login) LOGIN_S=$2; shift 2 ;;
        --messages) MSG_S=$2; shift 2 ;;
        --admission) ADMISSION=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench_chat: unknown option $1" >&2; exit 2 ;;
    esac
done

LOAD=$BUILD/tools/load/uschat-load
BROKER=$BUILD/broker/uschat-broker
USCHATD=$BUILD/actors/uschatd/uschatd
for bin in "$LOAD" "$BROKER" "$USCHATD"; do
    [[ -x $bin ]] || { echo "bench_chat: $bin is not built (tools/uschat build)" >&2; exit 1; }
done

# shellcheck source=tools/lib/servers.sh
source "$ROOT/tools/lib/servers.sh"

# shellcheck source=tools/lib/bench_stack.sh
source "$ROOT/tools/lib/bench_stack.sh"
bench_stack_begin bench_chat
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

bench_servers_start
PORT_NODE=$(bench_free_port)
export USCHAT_CHAT_PORT=$PORT_NODE

servers_spawn "$DIR/broker.log" "$DIR/broker.pid" "$BROKER" --config "$ROOT/config/broker.conf"
PIDS+=("$(cat "$DIR/broker.pid")")
servers_spawn "$DIR/node1.log" "$DIR/node1.pid" "$USCHATD" --config "$ROOT/config/chat.conf" \
    --service chat --node node1
NODE_PID=$(cat "$DIR/node1.pid")
PIDS+=("$NODE_PID")
for _ in $(seq 100); do servers_port_open "$PORT_NODE" && break; sleep 0.1; done
servers_port_open "$PORT_NODE" || { tail -n 20 "$DIR/node1.log" >&2; exit 1; }

cat >"$DIR/stack.env" <<EOF
REDIS_HOST=127.0.0.1
REDIS_PORT=$PORT_REDIS
MYSQL_HOST=127.0.0.1
MYSQL_PORT=$PORT_MYSQL
MYSQL_USER=$SERVERS_MYSQL_USER
MYSQL_PASSWORD=$USCHAT_MYSQL_PASSWORD
MYSQL_DB=uschat
CHAT_NODES="node1=127.0.0.1:$PORT_NODE"
EOF
load() { "$LOAD" --stack-env "$DIR/stack.env" --server-pid "$NODE_PID" "$@"; }

load --seed "$USERS" >"$DIR/seed.out" 2>&1 || { cat "$DIR/seed.out" >&2; exit 1; }
load --users 1000 --duration 3 --rate 0 --direct login >"$DIR/warmup.out" 2>&1 ||
    { cat "$DIR/warmup.out" >&2; exit 1; }
sleep 1
BASE_KB=$(rss_kb "$NODE_PID")

if ((ADMISSION > 0)); then
    load --users "$USERS" --duration 20 --rate 200 --direct login >"$DIR/login.out" 2>&1 &
    LOAD_PID=$!
    # shellcheck disable=SC2016
    /usr/bin/python3 - "$PORT_NODE" "$NODE_PID" "$ADMISSION" <<'PY'
import socket, struct, sys, time
port, pid, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
def flood(first, payload):
    socks = []
    for i in range(n):
        a = first + i // 50
        s = socket.socket()
        s.bind((f"127.0.{a // 250}.{2 + a % 250}", 0))
        s.connect(("127.0.0.1", port))
        if payload:
            s.send(payload)
        socks.append(s)
    return socks
time.sleep(1)
r0 = rss()
idle = flood(0, b"")
time.sleep(1)
r1 = rss()
half = flood(n // 50 + 1, struct.pack(">HH", 1005, 8000) + b"{" * 100)
time.sleep(1)
r2 = rss()
open_half = 0
for s in half:
    s.setblocking(False)
    try:
        open_half += s.recv(1) != b""
    except BlockingIOError:
        open_half += 1
    except OSError:
        pass
print(f"  node RSS {r0} kB; + {n} idle connections: {r1} kB ({(r1 - r0) * 1024 // n} bytes each)")
print(f"  + {n} half-sent 8000-byte login frames: {r2} kB ({(r2 - r1) * 1024 // n} bytes each),"
      f" {open_half} of them still open")
time.sleep(13)
for s in idle + half:
    s.close()
PY
    wait "$LOAD_PID" || { cat "$DIR/login.out" >&2; exit 1; }
    echo "  real logins (--direct, 200/s for 20 s, through the flood and its login deadline):"
    grep -E '^ *(latency|login|logins_ok|logins_failed) ' "$DIR/login.out" | sed 's/^ */    /'
    exit 0
fi

# Hold USERS connections; sample the node's RSS meanwhile.
PEAK_KB=$BASE_KB
load --users "$USERS" --duration "$HOLD_S" --heartbeat 10000 connections >"$DIR/hold.out" 2>&1 &
LOAD_PID=$!
while kill -0 "$LOAD_PID" 2>/dev/null; do
    kb=$(rss_kb "$NODE_PID")
    ((kb > PEAK_KB)) && PEAK_KB=$kb
    sleep 0.5
done
wait "$LOAD_PID" || { cat "$DIR/hold.out" >&2; exit 1; }
LIVE=$(awk '$1 == "live_at_end" { print $2 }' "$DIR/hold.out")
HB_OK=$(awk '$1 == "heartbeats_ok" { print $2 }' "$DIR/hold.out")
CLOSED=$(awk '$1 == "closed_by_server" { print $2 }' "$DIR/hold.out")

load --users "$USERS" --duration "$LOGIN_S" --rate 0 --direct login >"$DIR/login.out" 2>&1 ||
    { cat "$DIR/login.out" >&2; exit 1; }
RATE=$(awk '$1 == "logins_per_s" { print $2 }' "$DIR/login.out")
FAILED=$(awk '$1 == "logins_failed" { print $2 }' "$DIR/login.out")
P99=$(awk '$1 == "login" && NF >= 8 { print $5 }' "$DIR/login.out")

MSG_RATE=skipped
GAPS=-
if ((MSG_S > 0)); then
    load --users 2000 --duration "$MSG_S" --rate 0 --window 8 chat >"$DIR/chat.out" 2>&1 ||
        { cat "$DIR/chat.out" >&2; exit 1; }
    MSG_RATE=$(awk '$1 == "acked_per_s" { print $2 }' "$DIR/chat.out")
    GAPS=$(awk '$1 == "seq_gaps" { print $2 }' "$DIR/chat.out")
fi

PER_CONN=$(((PEAK_KB - BASE_KB) * 1024 / (LIVE > 0 ? LIVE : 1)))
echo
echo "== chat node benchmark ($(nproc) cores, $(uname -sr))"
printf '  %-34s %s\n' "connections held (heartbeat 10 s)" "${LIVE:-?} of $USERS, closed by server ${CLOSED:-?}, heartbeats ok ${HB_OK:-?}"
printf '  %-34s %s\n' "node RSS idle / with connections" "$BASE_KB kB / $PEAK_KB kB"
printf '  %-34s %s\n' "node RSS per connection" "$PER_CONN bytes (goal < 4096)"
printf '  %-34s %s\n' "logins/s (token, presence, MySQL)" "${RATE:-?} (goal >= 2000), failed ${FAILED:-?}, p99 ${P99:-?}"
printf '  %-34s %s\n' "messages acked/s (after commit)" "$MSG_RATE, seq gaps $GAPS"
[[ ${LIVE:-0} == "$USERS" ]] || exit 1
