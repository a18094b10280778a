#!/usr/bin/env bash
# tools/bench_gate/bench_gate.sh: the gate benchmark, self-contained on one machine.
#
#   tools/bench_gate/bench_gate.sh [--build DIR] [--duration S] [--connections N]
#                                  [--threads T] [--attacks] [--runs R] [--keep]
#
# Starts private Redis and MariaDB (tools/lib/servers.sh), the broker, one uschatd with gate,
# varify and status, and one chat node (status must have a live node to hand out), all from
# the build folder (default build/, a release build: `tools/uschat build`) on free loopback
# ports in a temporary folder. Registers one user through the gate (the code is read from the
# mail folder), then drives the gate with wrk (keep-alive connections) and prints requests/s
# and the latency distribution of:
#   1. GET /healthz    the HTTP path alone (MHD, routing, an atomic read);
#   2. POST /user_login  a full login: Redis rate check, MySQL lookup, Argon2id verify (the
#                        cost by design: opslimit 2, 19 MiB, see README), a STATUS_LOGIN
#                        round trip through the broker, a new token in Redis.
# Defaults: 10 s each, 8 connections, 2 wrk threads.
# --attacks instead times a normal user's logins (a new connection from 127.0.0.1 each, one
# after the other) with uschat-gate-attack while the gate, in its default configuration, is
# attacked from 8 other loopback addresses: none; slowloris (2,000 connections each sending a
# header byte a second, reopened when closed); abandoned requests (50 a second, headers and
# part of the body, then the client closes). --runs R (default 3) runs of 50 logins each;
# the medians are printed. Everything it started is stopped at exit
# (by pid); --keep leaves the folder for the logs.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
BUILD=$ROOT/build
DURATION=10
CONNECTIONS=8
THREADS=2
KEEP=0
ATTACKS=0
RUNS=3
while (($#)); do
    case $1 in
        --build) BUILD=$(readlink -f "$2"); shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --attacks) ATTACKS=1; shift ;;
        --runs) RUNS=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench_gate: unknown option $1" >&2; exit 2 ;;
    esac
done

BROKER=$BUILD/broker/uschat-broker
USCHATD=$BUILD/actors/uschatd/uschatd
for bin in "$BROKER" "$USCHATD"; do
    [[ -x $bin ]] || { echo "bench_gate: $bin is not built (tools/uschat build)" >&2; exit 1; }
done
ATTACK=$BUILD/tools/bench_gate/uschat-gate-attack
((ATTACKS == 0)) || [[ -x $ATTACK ]] || { echo "bench_gate: $ATTACK is not built" >&2; exit 1; }
((ATTACKS == 1)) || command -v wrk >/dev/null || { echo "bench_gate: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

# shellcheck source=tools/lib/servers.sh
source "$ROOT/tools/lib/servers.sh"

# shellcheck source=tools/lib/bench_stack.sh
source "$ROOT/tools/lib/bench_stack.sh"
bench_stack_begin bench_gate
export USCHAT_LOG_LEVEL=warn
bench_servers_start >/dev/null
P_GATE=$(bench_free_port)
P_CHAT=$(bench_free_port)
export USCHAT_GATE_HOST=127.0.0.1 USCHAT_GATE_PORT=$P_GATE USCHAT_CHAT_PORT=$P_CHAT
export USCHAT_VARIFY_MAIL_DIR=$DIR/mail

"$BROKER" --config "$ROOT/config/broker.conf" >"$DIR/broker.log" 2>&1 &
PIDS+=($!)
"$USCHATD" --config "$ROOT/config/uschat.conf" --service gate --service varify --service status \
    >"$DIR/uschatd.log" 2>&1 &
PIDS+=($!)
"$USCHATD" --config "$ROOT/config/node1.conf" --node bench.node1 >"$DIR/chat.log" 2>&1 &
PIDS+=($!)

GATE=http://127.0.0.1:$P_GATE
for _ in $(seq 150); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$GATE/healthz") == 200 ]] && break
    sleep 0.2
done
[[ $(curl -s -o /dev/null -w '%{http_code}' "$GATE/healthz") == 200 ]] ||
    { echo "bench_gate: the gate did not come up; see $DIR/uschatd.log" >&2; KEEP=1; exit 1; }

# The seed client's password transform: each UTF-16 unit XOR (units % 255).
wire() { /usr/bin/python3 -c '
import sys, json
p = sys.argv[1]; u = p.encode("utf-16-le"); n = len(u) // 2; k = n % 255
units = [int.from_bytes(u[i:i+2], "little") ^ k for i in range(0, len(u), 2)]
print(json.dumps(b"".join(x.to_bytes(2, "little") for x in units).decode("utf-16-le", "surrogatepass"))[1:-1])' "$1"; }

EMAIL=bench@bench.test
PASS=$(wire "bench-password-1")
curl -s -d "{\"email\":\"$EMAIL\"}" "$GATE/get_varifycode" >/dev/null
CODE=""
for _ in $(seq 50); do
    CODE=$(grep -rhao "verification code is: [0-9]\{6\}" "$DIR/mail" 2>/dev/null | tail -1 | grep -o "[0-9]\{6\}$" || true)
    [[ -n $CODE ]] && break
    sleep 0.1
done
[[ -n $CODE ]] || { echo "bench_gate: no code mailed; see $DIR/uschatd.log" >&2; KEEP=1; exit 1; }
REG=$(curl -s -d "{\"email\":\"$EMAIL\",\"user\":\"bench\",\"passwd\":\"$PASS\",\"confirm\":\"$PASS\",\"varifycode\":\"$CODE\"}" "$GATE/user_register")
[[ $REG == *'"error":0'* ]] || { echo "bench_gate: register failed: $REG" >&2; KEEP=1; exit 1; }
for _ in $(seq 50); do
    LOGIN=$(curl -s -d "{\"email\":\"$EMAIL\",\"passwd\":\"$PASS\"}" "$GATE/user_login")
    [[ $LOGIN == *'"error":0'* ]] && break
    sleep 0.2
done
[[ $LOGIN == *'"error":0'* ]] || { echo "bench_gate: login failed: $LOGIN" >&2; KEEP=1; exit 1; }

printf '{"email":"%s","passwd":"%s"}' "$EMAIL" "$PASS" >"$DIR/login.json"
if ((ATTACKS)); then
    for attack in none slowloris abandon; do
        rate=1000 # slowloris: (re)connections a second
        [[ $attack == abandon ]] && rate=50
        echo
        echo "== logins during attack: $attack"
        "$ATTACK" --port "$P_GATE" --login "$DIR/login.json" --attack "$attack" --addresses 8 \
            --connections 2000 --byte-every-ms 1000 --rate "$rate" --warm-s 5 --logins 50 \
            --runs "$RUNS"
    done
    echo
    echo "gate metrics after the attacks:"
    curl -s "$GATE/metrics" | grep -E '^uschat_gate_connections_closed_total' || true
    exit 0
fi
cat >"$DIR/login.lua" <<LUA
wrk.method = "POST"
local f = assert(io.open("$DIR/login.json", "rb"))
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
local bad = 0
response = function(status, headers, body)
    if status ~= 200 or not string.find(body, '"error":0', 1, true) then bad = bad + 1 end
end
done = function(summary, latency, requests)
    io.write(string.format("answers other than error 0: %d\n", bad))
end
LUA
cat >"$DIR/healthz.lua" <<'LUA'
local bad = 0
response = function(status, headers, body)
    if status ~= 200 then bad = bad + 1 end
end
done = function(summary, latency, requests)
    io.write(string.format("answers other than 200: %d\n", bad))
end
LUA

echo
echo "== GET /healthz: $CONNECTIONS connections, $THREADS threads, ${DURATION}s"
wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency -s "$DIR/healthz.lua" "$GATE/healthz"
echo
echo "== POST /user_login (Argon2id t=2, m=19 MiB per request): $CONNECTIONS connections, $THREADS threads, ${DURATION}s"
wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency -s "$DIR/login.lua" "$GATE/user_login"
echo
echo "gate metrics after the run:"
curl -s "$GATE/metrics" | grep -E '^uschat_gate_requests_total' || true
