#!/usr/bin/env bash
# Test of the local stack as the README has a user run it (run by CTest from
# `tools/uschat test`; skips with 77 without USCHAT_BUILD_DIR):
#   1. `tools/uschat up` on free ports in a temporary var folder, with the programs of this
#      build (USCHAT_NO_BUILD=1): every process runs and var/run/stack.env has every key;
#      every link is CURVE with a key pair per process (secrets 0600) allowed its own services;
#   2. `up` again while it runs: nothing is restarted; with chat-node1 stopped and uschatd.log
#      grown by 1 MB since uschatd started, `up` starts chat-node1 again and says ready (a
#      readiness check that piped the log into `grep -q` died of SIGPIPE there);
#   3. the README's curl flow: /healthz, a code by mail file, register, login (sent to one of
#      CHAT_NODES), the wrong password refused with 1009;
#   4. Redis killed (kill -9) a second and a half after the login, `up` starts it again: the
#      login token is still there (append-only persistence) and the chat node takes it;
#   5. `tools/uschat status` names every process as running;
#   6. `tools/uschat down`, `up` again: the account is still there, and a login right after
#      `up` returns is sent to a chat node (status already knows them);
#   7. `tools/uschat down`: every process it started is gone and no port listens any more.
set -euo pipefail

root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if [[ -z ${USCHAT_BUILD_DIR:-} || ! -x $USCHAT_BUILD_DIR/actors/uschatd/uschatd ]]; then
    echo "SKIP: USCHAT_BUILD_DIR with built programs is not set (run \`tools/uschat test\`)"
    exit 77
fi
uschat=$root/tools/uschat
var=$(mktemp -d /tmp/uschat-stacktest-XXXXXX)
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
cleanup() {
    "$uschat" down >/dev/null 2>&1 || true
    if ((failures)); then
        for log in "$var"/log/*.log; do
            [[ -f $log ]] && { echo "---- $log" && tail -n 20 "$log"; } >&2
        done
    fi
    rm -rf "$var"
}
# A process counts as gone once it has exited (a zombie not yet reaped has).
alive() { [[ -e /proc/$1 ]] && [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) != Z ]]; }

read -r p_redis p_mysql p_broker p_tap p_gate p_node1 p_node2 p_files < <(/usr/bin/python3 "$root/tools/lib/free_ports.py" 8)
export USCHAT_NO_BUILD=1 USCHAT_BUILD_DIR_RELEASE=$USCHAT_BUILD_DIR USCHAT_VAR_DIR=$var
export USCHAT_PORT_REDIS=$p_redis USCHAT_PORT_MYSQL=$p_mysql USCHAT_PORT_BROKER=$p_broker
export USCHAT_PORT_TAP=$p_tap USCHAT_PORT_GATE=$p_gate USCHAT_PORT_NODE1=$p_node1
export USCHAT_PORT_NODE2=$p_node2 USCHAT_PORT_FILES=$p_files
trap cleanup EXIT

# ---- 1. up ------------------------------------------------------------------------------
if ! "$uschat" up >"$var/up.out" 2>&1; then
    cat "$var/up.out" >&2
    fail "tools/uschat up failed"
    exit 1
fi
env_file=$var/run/stack.env
for key in GATE_URL BROKER_ENDPOINT TAP_ENDPOINT MAIL_DIR REDIS_HOST REDIS_PORT MYSQL_HOST \
    MYSQL_PORT MYSQL_USER MYSQL_PASSWORD MYSQL_DB CHAT_NODES; do
    grep -q "^$key=" "$env_file" || fail "stack.env lacks $key"
done
set -a
# shellcheck disable=SC1090
source "$env_file"
set +a
[[ $GATE_URL == "http://127.0.0.1:$p_gate" ]] || fail "GATE_URL $GATE_URL"
[[ $CHAT_NODES == "node1=127.0.0.1:$p_node1 node2=127.0.0.1:$p_node2" ]] ||
    fail "CHAT_NODES $CHAT_NODES"

pids=()
for f in "$var"/run/*.pid "$var"/servers/redis.pid "$var"/servers/mariadb.pid; do
    pid=$(cat "$f")
    alive "$pid" || fail "$(basename "$f" .pid) (pid $pid) is not running"
    pids+=("$pid")
done
((${#pids[@]} == 6)) || fail "expected 6 processes (broker, uschatd, 2 nodes, redis, mariadb), got ${#pids[@]}"

# CURVE on every link: a key pair per process, secrets 0600, each allowed its own services
grep -q "CURVE on" "$var/log/broker.log" || fail "the broker does not run with CURVE"
grep -q "PLAIN TCP" "$var"/log/*.log && fail "a process of the stack runs over plain TCP"
for name in gate varify status echo files node1 node2 monitor; do
    secret=$var/keys/actors/$name.cert_secret
    [[ $(stat -c %a "$secret" 2>/dev/null) == 600 ]] || fail "$secret is missing or not 0600"
done
grep -q 'services = "chat"' "$var/keys/authorized/node1.cert" || fail "node1's key is not for chat only"
grep -q 'services = "gate"' "$var/keys/authorized/gate.cert" || fail "gate's key is not for gate only"

# ---- 2. up again ------------------------------------------------------------------------
"$uschat" up >"$var/up2.out" 2>&1 || { cat "$var/up2.out" >&2; fail "a second tools/uschat up failed"; }
after=()
for f in "$var"/run/*.pid "$var"/servers/redis.pid "$var"/servers/mariadb.pid; do
    after+=("$(cat "$f")")
done
[[ "${after[*]}" == "${pids[*]}" ]] || fail "the second up restarted something: ${pids[*]} -> ${after[*]}"

node1_pid=$(cat "$var/run/chat-node1.pid")
kill -TERM "$node1_pid"
for ((i = 0; i < 100; i++)); do
    alive "$node1_pid" || break
    sleep 0.1
done
alive "$node1_pid" && fail "chat-node1 (pid $node1_pid) did not stop on SIGTERM"
# ~1 MB after the lines that say status knows the nodes, as a uschatd that ran for a while
stamp=$(date '+%FT%T')
for ((i = 0; i < 12000; i++)); do
    echo "$stamp.000Z INFO  [status.local] a line of a long-running uschatd log"
done >>"$var/log/uschatd.log"
if ! USCHAT_READY_TIMEOUT=20 "$uschat" up >"$var/up-node1.out" 2>&1; then
    cat "$var/up-node1.out" >&2
    fail "up did not start the missing chat-node1 with a log of $(stat -c %s "$var/log/uschatd.log") bytes"
fi
alive "$(cat "$var/run/chat-node1.pid")" || fail "chat-node1 not running after up"

# ---- 3. the README's flow ---------------------------------------------------------------
post() { curl -s --max-time 10 -d "$2" "$GATE_URL$1"; }
health=$(curl -s --max-time 10 "$GATE_URL/healthz")
[[ $health == '{"status":"ok","broker":true,"redis":true,"mysql":true}' ]] || fail "healthz: $health"
reply=$(post /get_varifycode '{"email":"erin@example.com"}')
[[ $reply == '{"error":0,"email":"erin@example.com"}' ]] || fail "get_varifycode: $reply"
mail=$(ls -t "$MAIL_DIR"/*.eml 2>/dev/null | head -1)
code=$(grep -o 'code is: [0-9]*' "$mail" | grep -o '[0-9]*$' || true)
[[ $code =~ ^[0-9]{6}$ ]] || fail "no 6-digit code in the mail file '$mail'"
# "745230" is the wire form of the password 123456 (README)
reply=$(post /user_register '{"email":"erin@example.com","user":"erin","passwd":"745230",
    "confirm":"745230","varifycode":"'"$code"'"}')
[[ $reply == '{"error":0,"uid":1,"email":"erin@example.com","user":"erin"}' ]] ||
    fail "user_register: $reply"
reply=$(post /user_login '{"email":"erin@example.com","passwd":"745230"}')
node=$(jq -r 'select(.error == 0 and .uid == 1 and (.token | test("^[0-9a-f]{64}$")))
    | "\(.host):\(.port)"' <<<"$reply" 2>/dev/null || true)
[[ -n $node && " $CHAT_NODES " == *"=$node "* ]] || fail "user_login: $reply"
reply=$(post /user_login '{"email":"erin@example.com","passwd":"745231"}')
[[ $reply == '{"error":1009}' ]] || fail "wrong password: $reply"

# ---- 4. Redis restarts: the session's token is kept -------------------------------------
reply=$(post /user_login '{"email":"erin@example.com","passwd":"745230"}')
token=$(jq -r .token <<<"$reply")
node_port=$(jq -r .port <<<"$reply")
sleep 1.5 # appendfsync everysec: what is a second old is on disk
kill -KILL "$(cat "$var/servers/redis.pid")"
"$uschat" up >"$var/up-redis.out" 2>&1 || fail "up after Redis was killed: $(cat "$var/up-redis.out")"
# 1005 (login) to the chat node with that token: 1006 with error 0
login=$(/usr/bin/python3 - "$node_port" 1 "$token" <<'PY'
import json, socket, struct, sys
port, uid, token = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
body = json.dumps({"uid": uid, "token": token}).encode()
s.sendall(struct.pack(">HH", 1005, len(body)) + body)
head = b""
while len(head) < 4:
    head += s.recv(4 - len(head))
mid, n = struct.unpack(">HH", head)
data = b""
while len(data) < n:
    data += s.recv(n - len(data))
print(mid, json.loads(data).get("error"))
PY
) || true
[[ $login == "1006 0" ]] || fail "login on the chat node with the token kept across the Redis restart: $login"

# ---- 5. status --------------------------------------------------------------------------
status=$("$uschat" status 2>&1) || fail "tools/uschat status failed"
for name in broker uschatd chat-node1 chat-node2 redis mariadb; do
    grep -Eq "^$name +[0-9]+ +running" <<<"$status" || fail "status does not show $name running"
done
grep -q 'MYSQL_PASSWORD' <<<"$status" && fail "status shows the MySQL password"

# ---- 6. down, up: the data stays, and login works at once ---------------------------------
"$uschat" down >"$var/down.out" 2>&1 || fail "tools/uschat down failed: $(cat "$var/down.out")"
"$uschat" up >"$var/up3.out" 2>&1 || { cat "$var/up3.out" >&2; fail "up after down failed"; }
reply=$(post /user_login '{"email":"erin@example.com","passwd":"745230"}')
[[ $(jq -r .error <<<"$reply" 2>/dev/null) == 0 ]] || fail "login right after up again: $reply"
pids=()
for f in "$var"/run/*.pid "$var"/servers/redis.pid "$var"/servers/mariadb.pid; do
    pids+=("$(cat "$f")")
done

# ---- 7. down ----------------------------------------------------------------------------
"$uschat" down >"$var/down.out" 2>&1 || fail "tools/uschat down failed: $(cat "$var/down.out")"
for pid in "${pids[@]}"; do
    alive "$pid" && fail "pid $pid still runs after down"
done
for port in "$p_redis" "$p_mysql" "$p_broker" "$p_tap" "$p_gate" "$p_node1" "$p_node2" "$p_files"; do
    ss -Hltn "sport = :$port" | grep -q . && fail "port $port still listens after down"
done
[[ -e $env_file ]] && fail "stack.env left behind by down"

if ((failures)); then
    echo "stack.up_down: $failures failure(s)" >&2
    exit 1
fi
echo "stack.up_down: up (6 processes), up again (no restart), a stopped node restarted past a" \
    "1 MB log, register + login by curl, a token kept across a Redis kill -9, status," \
    "down + up (account kept, login at once), down (nothing left)"
