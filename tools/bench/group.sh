#!/usr/bin/env bash
# group.sh - the group chat benchmark (BENCHMARKS.md, "Group chat"): uschat-load group on a
# private stack of its own, every member online across the two chat nodes.
#
#   tools/uschat bench group [--out DIR] [--quick] [--keep] [--only NAME,...]
#
# Seeds 10,000 load users, then runs (each one uschat-load process, its report in
# DIR/NAME.json and its output in DIR/NAME.txt):
#   g10000-one    one group of 10,000: one text a second for the duration (each reaches all
#                 10,000 members: its delivery p99)
#   g10000-max    the same group flat out
#   g500-max / g500-half     one group of 500 flat out, then at half the acked rate of that
#   g50x100-max / g50x100-half  100 groups of 50, the same
#   g10000-w16    the big group flat out with 16 requests in flight (8 a node): more texts
#                 waiting than one commit takes, so the node commits them together
#                 (actors/chat/README.md, "Batches")
# --only NAME,...  runs only those (a comparison of one figure; half runs need their max run).
# Every run checks that each member got every acked text once and in seq order (it fails
# otherwise) and counts the broker's group pushes on its tap. A summary table goes to stdout
# and DIR/summary.txt. Ports: USCHAT_PORT_* when set, otherwise free ones; USCHAT_VAR_DIR
# defaults to var/bench-group-PID. Everything started is stopped at exit (--keep leaves the
# stack folder for a look).
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
cd "$ROOT"

QUICK=0 KEEP=0 OUT="" ONLY=""
while (($#)); do
    case $1 in
        --out) OUT=$2; shift 2 ;;
        --quick) QUICK=1; shift ;;
        --keep) KEEP=1; shift ;;
        --only) ONLY=",$2,"; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "group.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

read -r LOAD1 LOAD5 LOAD15 _ </proc/loadavg
OUT=${OUT:-$ROOT/bench-results/group-$(date -u +%Y-%m-%d_%H%M%S)}
mkdir -p "$OUT/logs"
OUT=$(cd "$OUT" && pwd)
LOG=$OUT/logs
if ((QUICK)); then BIG=2000 DUR=4; else BIG=10000 DUR=10; fi

export USCHAT_VAR_DIR=${USCHAT_VAR_DIR:-$ROOT/var/bench-group-$$}
if [[ -z ${USCHAT_PORT_NODE2:-} ]]; then
    read -r USCHAT_PORT_REDIS USCHAT_PORT_MYSQL USCHAT_PORT_BROKER USCHAT_PORT_TAP USCHAT_PORT_GATE \
        USCHAT_PORT_NODE1 USCHAT_PORT_NODE2 < <(/usr/bin/python3 "$ROOT/tools/lib/free_ports.py" 7)
fi
export USCHAT_PORT_REDIS USCHAT_PORT_MYSQL USCHAT_PORT_BROKER USCHAT_PORT_TAP USCHAT_PORT_GATE \
    USCHAT_PORT_NODE1 USCHAT_PORT_NODE2
USCHAT=$ROOT/tools/uschat
LOAD=${USCHAT_BUILD_DIR_RELEASE:-$ROOT/build}/tools/load/uschat-load

say() { printf 'group.sh: %s\n' "$*" >&2; }

cleanup() {
    local rc=$?
    if [[ -d $USCHAT_VAR_DIR ]]; then
        "$USCHAT" down >>"$LOG/down.log" 2>&1 || say "tools/uschat down failed: see $LOG/down.log"
        cp "$USCHAT_VAR_DIR"/log/*.log "$LOG/" 2>/dev/null || true
        # the nodes' group counters, logged every minute and at their stop
        grep -H "groups: texts" "$LOG"/chat-node*.log >"$OUT/node-stats.txt" 2>/dev/null || true
        if ((KEEP)); then say "stack folder kept: $USCHAT_VAR_DIR"; else rm -rf "$USCHAT_VAR_DIR"; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "results in ${OUT#"$ROOT"/}; load average at start $LOAD1 $LOAD5 $LOAD15"
"$USCHAT" up >"$LOG/up.log" 2>&1 || { tail -n 30 "$LOG/up.log" >&2; exit 1; }
sleep 2 # the nodes register with the broker and status before load arrives
[[ -x $LOAD ]] || { say "uschat-load was not built ($LOAD)"; exit 1; }
# the biggest run needs BIG users, 100 groups of 50 need 5,000
"$LOAD" --seed "$((BIG > 5000 ? BIG : 5000))" >"$LOG/seed.txt" 2>&1 || { cat "$LOG/seed.txt" >&2; exit 1; }

# bench NAME ARGS...: one run into NAME.json / NAME.txt; a failure is recorded, the rest go on.
FAILED=()
bench() {
    local name=$1 rc=0
    shift
    [[ -z $ONLY || $ONLY == *",$name,"* ]] || return 0
    say "$name: uschat-load group $*"
    timeout -k 10 $((DUR + 200)) "$LOAD" --json "$OUT/$name.json" "$@" group \
        >"$OUT/$name.txt" 2>&1 || rc=$?
    if ((rc != 0)); then
        say "$name: failed (exit $rc); last lines of $OUT/$name.txt:"
        tail -n 5 "$OUT/$name.txt" >&2
        FAILED+=("$name")
    fi
}
# Half the acked rate of a flat-out run (at least 1 text/s).
half_of() {
    jq -r '[(.metrics.acked_per_s / 2 | floor), 1] | max' "$OUT/$1.json" 2>/dev/null || echo 1
}

bench g10000-one --groups 1 --members "$BIG" -r 1 -d "$DUR"
bench g10000-max --groups 1 --members "$BIG" -r 0 --window 4 -d "$DUR"
bench g500-max --groups 1 --members 500 -r 0 --window 4 -d "$DUR"
bench g500-half --groups 1 --members 500 -r "$(half_of g500-max)" -d "$DUR"
bench g50x100-max --groups 100 --members 50 -r 0 --window 2 -d "$DUR"
bench g50x100-half --groups 100 --members 50 -r "$(half_of g50x100-max)" -d "$DUR"
bench g10000-w16 --groups 1 --members "$BIG" -r 0 --window 16 -d "$DUR"

# One line per run: the figures BENCHMARKS.md quotes.
{
    printf '%-14s %7s %9s %11s %9s %9s %9s %9s %9s %9s %7s %10s %s\n' run groups rate_tgt acked/s \
        deliv/s ack_p99 del_p50 del_p90 del_p99 del_max srv_us/d broker/msg lost/dup/reord
    for f in "$OUT"/g*.json; do
        jq -r --arg n "$(basename "$f" .json)" '
          def ms(x): (x // 0) / 1000 | . * 10 | round / 10;
          [$n, "\(.metrics.groups)x\(.metrics.members_per_group)", .metrics.rate_target,
           (.metrics.acked_per_s | round), (.metrics.delivered_per_s | round),
           ms(.latency_us.ack.p99), ms(.latency_us.delivery.p50), ms(.latency_us.delivery.p90),
           ms(.latency_us.delivery.p99), ms(.latency_us.delivery.max),
           (.cpu_per_op.server_us * 100 | round / 100),
           (.metrics.broker_msgs_per_group_msg * 100 | round / 100),
           "\(.metrics.lost)/\(.metrics.duplicated)/\(.metrics.reordered)"] | @tsv' "$f" |
            awk -F'\t' '{ printf "%-14s %7s %9s %11s %9s %9s %9s %9s %9s %9s %7s %10s %s\n",
                          $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 }'
    done
    echo "(latencies in ms; srv_us/d: the servers' CPU microseconds per delivery)"
    echo "load average at start: $LOAD1 $LOAD5 $LOAD15; cores: $(nproc)"
} | tee "$OUT/summary.txt"
if ((${#FAILED[@]})); then
    say "failed: ${FAILED[*]}"
    exit 1
fi
