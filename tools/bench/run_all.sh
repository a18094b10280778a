#!/usr/bin/env bash
# tools/bench/run_all.sh: every UsChat benchmark in one bounded run, on a stack of its own.
#
#   tools/bench/run_all.sh [--commit REV] [--wait-quiet S] [--quick] [--out DIR] [--budget S]
#                          [--soak S] [--no-plot] [--keep]
#   tools/uschat bench all [same options]
#
# Starts a private local stack with `tools/uschat up` (USCHAT_VAR_DIR=var/bench-PID, free
# loopback ports, its own build folder build-bench/ built by gcc as Release), so the stack of
# `tools/uschat up` under var/ and its ports are never touched. Seeds 20,000 load users, then
# runs, each bounded in time, each writing its JSON report (tools/load/README.md):
#   connections        20,000 sessions (fewer if the open-file limit is lower) held on two
#                      chat nodes, heartbeat every 10 s
#   login-direct       node logins flat out with Redis tokens (no gate)
#   login-gate         logins through the gate flat out (an Argon2id verify each, by design)
#   chat-sweep-same    latency versus offered load, 1,000 pairs, both members on one node
#   chat-sweep-cross   the same with the two members of a pair on different nodes
#   chat-max-same / chat-max-cross   flat out, 8 messages in flight per sender
#   chat-batch1-*      chat nodes restarted with chat/message_batch_max = 1 (one transaction
#                      per message), the same flat-out and fixed-rate runs; then the nodes
#                      go back to the default and chat-max-same runs once more, so the ratio
#                      default : batch=1 comes from one run with a check of the drift
#   chat-stages-cross-2000 / -5000   cross node at 2,000 and 5,000 messages/s, 20 s each, the
#                      nodes restarted with chat/stage_report_s = 5: where a message waits,
#                      stage by stage (tools/bench/stages.sh: NAME.stages.md)
#   chat-soak-cross    with --soak S: cross node for S seconds at half of chat-max-cross's
#                      acked/s, the ack and delivery p99 of every 10 s in its timeline (does the
#                      latency drift?) and its stage breakdown
#   broker             uschat-bench-broker (the broker hop against a CZMQ zproxy)
# Results: bench-results/<UTC date and time>/ (or --out): the JSON files, meta.json (date,
# commit, load average at the start, machine, build), summary.md (the figures as tables, also
# printed), the sweeps as .dat tables, and the plot docs/bench/latency_vs_load.png
# (tools/bench/plot.gnu, gnuplot) unless --no-plot.
# --commit REV: measure that commit (exported with git archive and built in the private
# folder) instead of the work tree, so figures published with a commit are that commit's, and
# uncommitted work in the tree does not count in them.
# --wait-quiet S: on a shared machine, first wait up to S seconds for the 1-minute load
# average to fall below 0.5 (the load average at the start is taken after that wait).
# --quick: short steps and fewer users (a check of the driver, not figures to publish).
# --budget S: the benchmarks stop starting new runs after S seconds (default 600); the soak
# is not counted in it.
# --soak S: the long run at half capacity, S seconds (default 0: none; 600 for the published
# figures).
# Everything started is stopped at exit (tools/uschat down on the private var folder); --keep
# leaves that folder (logs, database) for a look.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
cd "$ROOT"

QUICK=0 PLOT=1 KEEP=0 BUDGET=600 OUT="" REV="" WAIT_QUIET=0 SOAK_S=0
while (($#)); do
    case $1 in
        --commit) REV=$2; shift 2 ;;
        --wait-quiet) WAIT_QUIET=$2; shift 2 ;;
        --quick) QUICK=1; shift ;;
        --out) OUT=$2; shift 2 ;;
        --budget) BUDGET=$2; shift 2 ;;
        --soak) SOAK_S=$2; shift 2 ;;
        --no-plot) PLOT=0; shift ;;
        --keep) KEEP=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run_all: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

# Taken before anything of ours runs: how busy the machine already was.
read -r LOAD1 LOAD5 LOAD15 _ </proc/loadavg
if ((WAIT_QUIET > 0)); then
    waited=0
    while ((waited < WAIT_QUIET)) && awk -v l="$LOAD1" 'BEGIN { exit !(l >= 0.5) }'; do
        ((waited % 30 == 0)) && printf 'run_all: load average %s; waiting for < 0.5 (%d of %d s)\n' \
            "$LOAD1" "$waited" "$WAIT_QUIET" >&2
        sleep 5
        waited=$((waited + 5))
        read -r LOAD1 LOAD5 LOAD15 _ </proc/loadavg
    done
fi
STAMP=$(date -u +%Y-%m-%d_%H%M%S)
OUT=${OUT:-$ROOT/bench-results/$STAMP}
mkdir -p "$OUT/logs"
OUT=$(cd "$OUT" && pwd)

if ((QUICK)); then
    USERS=2000 HOLD_S=5 LOGIN_S=3 STEP_S=2 MAX_S=3 PAIRS_USERS=2000 BROKER_RUNS=1 STAGES_S=3
    RATES=500,2000,4000,8000
else
    USERS=20000 HOLD_S=25 LOGIN_S=8 STEP_S=8 MAX_S=10 PAIRS_USERS=2000 BROKER_RUNS=3 STAGES_S=20
    RATES=500,1000,2000,3000,4000,4500,5000,5500,6000,7000,8000,10000
fi
FIXED_RATE=1000 # the fixed-rate chat run of both commit settings (messages/s)

# The private stack: own var folder, own build folder, free ports, a Release build.
export USCHAT_VAR_DIR=$ROOT/var/bench-$$
export USCHAT_BUILD_DIR_RELEASE=${USCHAT_BUILD_DIR_RELEASE:-$ROOT/build-bench}
export USCHAT_BUILD_TYPE=${USCHAT_BUILD_TYPE:-Release}
read -r USCHAT_PORT_REDIS USCHAT_PORT_MYSQL USCHAT_PORT_BROKER USCHAT_PORT_TAP USCHAT_PORT_GATE \
    USCHAT_PORT_NODE1 USCHAT_PORT_NODE2 < <(/usr/bin/python3 "$ROOT/tools/lib/free_ports.py" 7)
export USCHAT_PORT_REDIS USCHAT_PORT_MYSQL USCHAT_PORT_BROKER USCHAT_PORT_TAP USCHAT_PORT_GATE \
    USCHAT_PORT_NODE1 USCHAT_PORT_NODE2
# The commit setting under test must come only from where this script sets it.
unset USCHAT_CHAT_MESSAGE_BATCH_MAX
# The load generator logs its users in from 127.0.0.1 only: on a busy machine more than the
# default 64 logins of one address are pending at once and the rest would be refused.
export USCHAT_CHAT_PRELOGIN_PER_ADDRESS=100000

# The source measured: the work tree, or REV exported into the private folder.
SRC=$ROOT
if [[ -n $REV ]]; then
    COMMIT=$(git -C "$ROOT" rev-parse --short "$REV^{commit}") || { echo "run_all: no commit $REV" >&2; exit 2; }
    SRC=$USCHAT_VAR_DIR/src
    export USCHAT_BUILD_DIR_RELEASE=$USCHAT_VAR_DIR/build
else
    COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
fi
USCHAT=$SRC/tools/uschat
LOAD=$USCHAT_BUILD_DIR_RELEASE/tools/load/uschat-load
LOG=$OUT/logs
# shellcheck source=tools/lib/servers.sh
source "$ROOT/tools/lib/servers.sh"

say() { printf 'run_all: %s\n' "$*" >&2; }

cleanup() {
    local rc=$?
    if [[ -d $USCHAT_VAR_DIR ]]; then
        "$USCHAT" down >>"$LOG/down.log" 2>&1 || say "tools/uschat down failed: see $LOG/down.log"
        cp "$USCHAT_VAR_DIR"/log/*.log "$LOG/" 2>/dev/null || true
        if ((KEEP)); then say "stack folder kept: $USCHAT_VAR_DIR"; else rm -rf "$USCHAT_VAR_DIR"; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

START=$SECONDS
over_budget() { ((SECONDS - START > BUDGET)); }

# bench NAME BOUND_S ARGS...: one uschat-load run into NAME.json / NAME.txt. A run that fails
# or is skipped is recorded and the others go on.
FAILED=()
bench() {
    local name=$1 bound=$2
    shift 2
    if over_budget; then
        say "$name: skipped (the budget of ${BUDGET}s is used up)"
        FAILED+=("$name(skipped)")
        return 0
    fi
    say "$name: uschat-load $*"
    local rc=0
    # uschat-load bounds itself; timeout is the last resort should it not
    timeout -k 10 "$bound" "$LOAD" --json "$OUT/$name.json" "$@" >"$OUT/$name.txt" 2>&1 || rc=$?
    if ((rc != 0)) || [[ ! -s $OUT/$name.json ]]; then
        say "$name: failed (exit $rc); last lines of $OUT/$name.txt:"
        tail -n 5 "$OUT/$name.txt" >&2
        FAILED+=("$name")
        rm -f "$OUT/$name.json"
    fi
}

# Stops the two chat nodes (pids from the private var folder) and starts them again through
# `tools/uschat up` with the settings given as VAR=value (none: the defaults).
restart_chat_nodes() {
    local n pid
    for n in 1 2; do
        if pid=$(servers_pid_of "$USCHAT_VAR_DIR/run/chat-node$n.pid" uschatd); then
            servers_kill_pid "$pid" "chat-node$n" 15 \
                servers_pid_of "$USCHAT_VAR_DIR/run/chat-node$n.pid" uschatd
        fi
        rm -f "$USCHAT_VAR_DIR/run/chat-node$n.pid"
    done
    env "$@" "$USCHAT" up >>"$LOG/up.log" 2>&1 || {
        tail -n 20 "$LOG/up.log" >&2
        exit 1
    }
    sleep 2 # the nodes register with the broker and status before load arrives
}

# ---- the stack ------------------------------------------------------------------------------
say "results in ${OUT#"$ROOT"/}; load average at start $LOAD1 $LOAD5 $LOAD15"
if [[ -n $REV ]]; then
    mkdir -p "$SRC"
    git -C "$ROOT" archive "$COMMIT" | tar -x -C "$SRC"
    # the whole tree, the desktop client too: commits before 2026-12-07 do not build without it
    CC=gcc cmake -S "$SRC" -B "$USCHAT_BUILD_DIR_RELEASE" -DCMAKE_BUILD_TYPE="$USCHAT_BUILD_TYPE" \
        >"$LOG/configure.log" 2>&1 || { tail -n 20 "$LOG/configure.log" >&2; exit 1; }
    say "measuring commit $COMMIT (exported to ${SRC#"$ROOT"/})"
fi
say "building ($USCHAT_BUILD_TYPE, ${USCHAT_BUILD_DIR_RELEASE#"$ROOT"/}) and starting a private stack"
if ! "$USCHAT" up >"$LOG/up.log" 2>&1; then
    tail -n 30 "$LOG/up.log" >&2
    exit 1
fi
[[ -x $LOAD ]] || { say "uschat-load was not built ($LOAD)"; exit 1; }
say "stack up ($((SECONDS - START)) s); seeding $USERS users"
"$LOAD" --seed "$USERS" >"$LOG/seed.txt" 2>&1 || { cat "$LOG/seed.txt" >&2; exit 1; }
START=$SECONDS # the budget counts the benchmarks, not the build

# ---- the benchmarks ---------------------------------------------------------------------------
# One load generator process holds one descriptor per session: stay under the open-file
# limit it may raise itself to (the hard limit, unless the kernel lets it go past).
CONNECTIONS=$USERS
hard=$(ulimit -Hn)
if [[ $hard != unlimited ]] && ((CONNECTIONS > hard - 256)) &&
    ! (ulimit -Hn $((USERS + 256))) 2>/dev/null; then
    CONNECTIONS=$((hard - 256))
    say "connections: $CONNECTIONS sessions (the open-file hard limit is $hard)"
fi
bench connections $((HOLD_S + 90)) connections -n "$CONNECTIONS" -d "$HOLD_S" --connect-rate 2000 \
    --heartbeat 10000
bench login-direct $((LOGIN_S + 60)) login --direct -r 0 -n "$USERS" -d "$LOGIN_S"
bench login-gate $((LOGIN_S + 60)) login -r 0 --threads 4 -n "$USERS" -d "$LOGIN_S"

n_rates=$(tr ',' '\n' <<<"$RATES" | wc -l)
sweep_bound=$((n_rates * (STEP_S + 10) + 90))
bench chat-sweep-same "$sweep_bound" chat -n "$PAIRS_USERS" --rates "$RATES" -d "$STEP_S"
bench chat-sweep-cross "$sweep_bound" chat -n "$PAIRS_USERS" --rates "$RATES" -d "$STEP_S" \
    --cross-node
bench chat-max-same $((MAX_S + 90)) chat -n "$PAIRS_USERS" -r 0 --window 8 -d "$MAX_S"
bench chat-max-cross $((MAX_S + 90)) chat -n "$PAIRS_USERS" -r 0 --window 8 -d "$MAX_S" \
    --cross-node
bench chat-rate-same $((MAX_S + 90)) chat -n "$PAIRS_USERS" -r "$FIXED_RATE" -d "$MAX_S"

say "restarting the chat nodes with chat/message_batch_max = 1"
restart_chat_nodes USCHAT_CHAT_MESSAGE_BATCH_MAX=1
BATCH1_SEEN=no
grep -q 'USCHAT_CHAT_MESSAGE_BATCH_MAX = 1' "$USCHAT_VAR_DIR/log/chat-node1.log" && BATCH1_SEEN=yes
bench chat-batch1-max-same $((MAX_S + 90)) chat -n "$PAIRS_USERS" -r 0 --window 8 -d "$MAX_S"
bench chat-batch1-rate-same $((MAX_S + 90)) chat -n "$PAIRS_USERS" -r "$FIXED_RATE" -d "$MAX_S"

say "restarting the chat nodes with the default commit batching"
restart_chat_nodes
bench chat-max-same-again $((MAX_S + 90)) chat -n "$PAIRS_USERS" -r 0 --window 8 -d "$MAX_S"

# stage_run NAME RATE SECONDS: a cross-node run at RATE whose nodes' stage lines (the lines
# they logged meanwhile) go to NAME.stages.log and, as a table, NAME.stages.md.
stage_run() {
    local name=$1 rate=$2 secs=$3 l1 l2
    l1=$(wc -l <"$USCHAT_VAR_DIR/log/chat-node1.log")
    l2=$(wc -l <"$USCHAT_VAR_DIR/log/chat-node2.log")
    bench "$name" $((secs + 90)) chat -n "$PAIRS_USERS" -r "$rate" -d "$secs" --cross-node
    sleep 6 # the nodes' next report line covers the end of the run
    {
        tail -n +$((l1 + 1)) "$USCHAT_VAR_DIR/log/chat-node1.log"
        tail -n +$((l2 + 1)) "$USCHAT_VAR_DIR/log/chat-node2.log"
    } | grep ' stages, us ' >"$OUT/$name.stages.log" || true
    "$ROOT/tools/bench/stages.sh" "$OUT/$name.stages.log" >"$OUT/$name.stages.md"
}
say "restarting the chat nodes with chat/stage_report_s = 5"
restart_chat_nodes USCHAT_CHAT_STAGE_REPORT_S=5
stage_run chat-stages-cross-2000 2000 "$STAGES_S"
stage_run chat-stages-cross-5000 5000 "$STAGES_S"
if ((SOAK_S > 0)); then
    soak_rate=$(jq -r '.metrics.acked_per_s / 2 / 100 | floor * 100' "$OUT/chat-max-cross.json" 2>/dev/null || echo 0)
    ((soak_rate > 0)) || soak_rate=2000
    say "soak: ${SOAK_S} s cross node at $soak_rate messages/s (half of chat-max-cross)"
    # not counted in the budget: neither skipped for it nor making the broker run skipped
    soak_t0=$SECONDS budget_saved=$BUDGET BUDGET=$((1 << 30))
    stage_run chat-soak-cross "$soak_rate" "$SOAK_S"
    BUDGET=$budget_saved START=$((START + SECONDS - soak_t0))
fi

bench broker 150 broker -d 60 -- --runs "$BROKER_RUNS"
BENCH_S=$((SECONDS - START))

# ---- results ------------------------------------------------------------------------------
# files changed since that commit (the build measured them too): named, not just flagged
DIRTY='[]'
if [[ -z $REV ]]; then
    DIRTY=$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | cut -c4- |
        jq -R . | jq -s -c . || echo '[]')
fi
jq -n --arg date "$(date -u '+%Y-%m-%d %H:%M UTC')" --arg commit "$COMMIT" \
    --argjson dirty "${DIRTY:-[]}" --argjson load "[$LOAD1, $LOAD5, $LOAD15]" \
    --argjson load_end "[$(awk '{ print $1 ", " $2 ", " $3 }' /proc/loadavg)]" \
    --arg build "$USCHAT_BUILD_TYPE, $(gcc --version | sed -n 1p)" \
    --arg kernel "$(uname -sr)" --arg cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
    --argjson cores "$(nproc)" --argjson mem_kb "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" \
    --argjson quick "$QUICK" --argjson seconds "$BENCH_S" --arg batch1 "$BATCH1_SEEN" \
    --arg failed "${FAILED[*]:-}" \
    '{date: $date, commit: $commit, uncommitted_changes: $dirty, loadavg_at_start: $load,
      loadavg_at_end: $load_end,
      build: $build, machine: {cores: $cores, kernel: $kernel, cpu: $cpu, mem_total_kb: $mem_kb},
      quick: ($quick == 1), benchmark_seconds: $seconds, batch1_confirmed_in_node_log: $batch1,
      failed: ($failed | split(" ") | map(select(. != "")))}' >"$OUT/meta.json"

"$ROOT/tools/bench/summarize.sh" "$OUT" | tee "$OUT/summary.md"

if ((PLOT)); then
    if [[ -s $OUT/chat-sweep-same.dat || -s $OUT/chat-sweep-cross.dat ]]; then
        mkdir -p "$ROOT/docs/bench"
        subtitle=$(jq -r '"\(.date), commit \(.commit), \(.machine.cores) cores, load average at start \(.loadavg_at_start[0])"' "$OUT/meta.json")
        pairs=$(jq -rs '.[0].metrics.pairs_ready' "$OUT"/chat-sweep-*.json 2>/dev/null || true)
        gnuplot -e "same='$OUT/chat-sweep-same.dat'; cross='$OUT/chat-sweep-cross.dat'; out='$OUT/latency_vs_load.png'; subtitle='$subtitle'; pairs='${pairs:-?}'" \
            "$ROOT/tools/bench/plot.gnu"
        ((QUICK)) || cp "$OUT/latency_vs_load.png" "$ROOT/docs/bench/latency_vs_load.png"
        say "plot: ${OUT#"$ROOT"/}/latency_vs_load.png$( ((QUICK)) || echo " and docs/bench/latency_vs_load.png")"
    else
        say "no sweep figures: no plot"
    fi
fi
say "done in $((SECONDS - START)) s of benchmarks; results in ${OUT#"$ROOT"/}"
((${#FAILED[@]} == 0)) || { say "failed or skipped: ${FAILED[*]}"; exit 1; }
