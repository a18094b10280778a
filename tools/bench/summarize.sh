#!/usr/bin/env bash
# tools/bench/summarize.sh: the figures of one tools/bench/run_all.sh run as Markdown tables.
#
#   tools/bench/summarize.sh DIR      (DIR = bench-results/<date>/)
#
# Reads DIR/meta.json and the uschat-load JSON reports in DIR (a missing report leaves its
# rows out), prints the tables on stdout, and writes DIR/chat-sweep-same.dat and
# DIR/chat-sweep-cross.dat (offered/s, acked/s, ack and delivery p50/p99 in ms, CPU us per
# message) for tools/bench/plot.gnu. Called by run_all.sh; can be run again on old results.
# shellcheck disable=SC2016 # the single-quoted $... are jq's, not the shell's
set -euo pipefail

DIR=${1:?usage: summarize.sh DIR}
[[ -f $DIR/meta.json ]] || { echo "summarize: no $DIR/meta.json" >&2; exit 1; }

have() { [[ -s $DIR/$1.json ]]; }
# q NAME JQ-EXPRESSION: a value from DIR/NAME.json
q() { jq -r "$2" "$DIR/$1.json"; }

# jq helpers shared by every table: latencies in ms, numbers rounded.
JQ_DEFS='
def other: if .metrics.other_cpu_s == null then "-" else (.metrics.other_cpu_s / .duration_s * 100 | round | tostring) end;
def ms: if . == null then "-" else (. / 1000 | if . < 10 then (. * 100 | round / 100)
         elif . < 100 then (. * 10 | round / 10) else round end | tostring) end;
def n0: if . == null then "-" else (round | tostring) end;
def n1: if . == null then "-" else (. * 10 | round / 10 | tostring) end;
def errs: ((.errors // {}) | to_entries | map("\(.key) \(.value)") | join(", ")) as $e
          | if $e == "" then "0" else $e end;'

jq -r '"# UsChat benchmark run, \(.date)\n",
  "Commit `\(.commit)`\(if (.uncommitted_changes | type) == "array" and (.uncommitted_changes | length) > 0 then " (with uncommitted changes to \(.uncommitted_changes | join(", ")))" elif .uncommitted_changes == true then " (plus uncommitted changes in the tree)" else "" end); \(.machine.cores) cores (\(.machine.cpu)), \(.machine.mem_total_kb / 1048576 * 10 | round / 10) GiB, \(.machine.kernel); build: \(.build).",
  "Load average when the run started: \(.loadavg_at_start | map(tostring) | join(" / ")) (1/5/15 min)\(if .loadavg_at_end then ", at its end \(.loadavg_at_end | map(tostring) | join(" / "))" else "" end). The load generator, the servers, Redis and MariaDB share these cores; \"other work\" below is the CPU the rest of the machine used during a run (other processes, kernel threads), the noise in its figures.",
  (if .quick then "\n**Quick run (--quick): short steps, few users; a check of the driver, not figures to publish.**" else empty end),
  (if (.failed | length) > 0 then "\nFailed or skipped: \(.failed | join(", "))." else empty end)' \
    "$DIR/meta.json"

if have connections; then
    echo
    echo "## Connections held"
    echo
    echo "| sessions live at end | target | login p50 / p99 (ms) | heartbeat p99 (ms) | chat node RSS per connection | load generator RSS per connection | closed by server | errors |"
    echo "|---|---|---|---|---|---|---|---|"
    q connections "$JQ_DEFS"'
      ([.servers[] | select(.name | startswith("chat")) | (.rss_peak_kb - .rss_start_kb)] | add) as $grow
      | "| \(.metrics.live_at_end | n0) | \(.metrics.connections_target | n0) | \(.latency_us.login.p50 | ms) / \(.latency_us.login.p99 | ms) | \(.latency_us.heartbeat.p99 | ms) | \(if .metrics.live_peak > 0 then ($grow * 1024 / .metrics.live_peak | n0) + " B" else "-" end) | \(.client.hwm_bytes_per_connection | n0) B | \(.metrics.closed_by_server | n0) | \(errs) |"'
fi

if have login-direct || have login-gate; then
    echo
    echo "## Logins (flat out)"
    echo
    echo "| path | logins/s | p50 (ms) | p99 (ms) | p99.9 (ms) | failed | CPU per login: servers / with load generator (us) | other work (% of a core) |"
    echo "|---|---|---|---|---|---|---|---|"
    have login-direct && q login-direct "$JQ_DEFS"'
      "| chat node, Redis token (1005) | \(.metrics.logins_per_s | n0) | \(.latency_us.login.p50 | ms) | \(.latency_us.login.p99 | ms) | \(.latency_us.login.p999 | ms) | \(.metrics.logins_failed | n0) | \(.cpu_per_op.server_us | n0) / \(.cpu_per_op.total_us | n0) | \(other) |"'
    have login-gate && q login-gate "$JQ_DEFS"'
      "| gate HTTP (Argon2id) + chat node | \(.metrics.logins_per_s | n1) | \(.latency_us.gate_plus_node.p50 | ms) | \(.latency_us.gate_plus_node.p99 | ms) | \(.latency_us.gate_plus_node.p999 | ms) | \(.metrics.logins_failed | n0) | \(.cpu_per_op.server_us | n0) / \(.cpu_per_op.total_us | n0) | \(other) |"'
fi

chat_row() { # NAME LABEL BATCHING
    have "$1" || return 0
    q "$1" "$JQ_DEFS"'
      "| '"$2"' | '"$3"' | \(.metrics.rate_target | if . == 0 then "flat out" else n0 end) | \(.metrics.acked_per_s | n0) | \(.metrics.delivered_per_s | n0) | \(.latency_us.ack.p50 | ms) | \(.latency_us.ack.p99 | ms) | \(.latency_us.ack.p999 | ms) | \(.latency_us.delivery.p99 | ms) | \(.cpu_per_op.server_us | n0) / \(.cpu_per_op.total_us | n0) | \(other) | \(.metrics.seq_gaps | n0) | \(errs) |"'
}
echo
pairs=$(for f in chat-max-same chat-sweep-same; do have $f && q $f '.metrics.pairs_ready' && break; done || true)
echo "## Chat messages (${pairs:-?} pairs of friends; ack = 1018 after the MySQL commit, delivery = 1019 at the peer; 8 in flight per sender when flat out)"
echo
echo "| run | commit batching | offered/s | acked/s | delivered/s | ack p50 (ms) | ack p99 (ms) | ack p99.9 (ms) | delivery p99 (ms) | CPU per message: servers / with load generator (us) | other work (% of a core) | seq gaps | errors |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
chat_row chat-max-same "same node" default
chat_row chat-max-cross "cross node" default
chat_row chat-batch1-max-same "same node" "batch = 1"
chat_row chat-max-same-again "same node, again" default
chat_row chat-rate-same "same node" default
chat_row chat-batch1-rate-same "same node" "batch = 1"

if have chat-batch1-max-same && have chat-max-same; then
    echo
    echo "## Commit batching: default against batch = 1 (one transaction per message), same run"
    echo
    defaults=("$DIR/chat-max-same.json")
    have chat-max-same-again && defaults+=("$DIR/chat-max-same-again.json")
    jq -rn --slurpfile d <(jq -s . "${defaults[@]}") --slurpfile b "$DIR/chat-batch1-max-same.json" \
        "$JQ_DEFS"' $d[0] as $defaults | $b[0] as $b
      | ($defaults | map(.metrics.acked_per_s) | add / length) as $def_rate
      | ($defaults | map(.cpu_per_op.total_us) | add / length) as $defcpu
      | ($defaults | map(.cpu_per_op.by_server | (.mysqld // .mariadb // 0)) | add / length) as $defdb
      | "- messages acked per second, flat out: default \($def_rate | n0)/s (\(if ($defaults | length) > 1 then "mean of " + ($defaults | map(.metrics.acked_per_s | n0) | join(" and ")) + ", before and after the batch = 1 run" else "one run" end)), batch = 1 \($b.metrics.acked_per_s | n0)/s: **\($def_rate / $b.metrics.acked_per_s * 100 | round / 100)x** with commit batching",
        "- CPU per message (servers and load generator): default \($defcpu | n0) us, batch = 1 \($b.cpu_per_op.total_us | n0) us (\($b.cpu_per_op.total_us / $defcpu * 100 | round / 100)x); MariaDB alone: \($defdb | n0) us against \($b.cpu_per_op.by_server | (.mysqld // .mariadb // 0) | n0) us",
        "- ack latency flat out (8 in flight per sender): p50 / p99 default \($defaults[0].latency_us.ack.p50 | ms) / \($defaults[0].latency_us.ack.p99 | ms) ms, batch = 1 \($b.latency_us.ack.p50 | ms) / \($b.latency_us.ack.p99 | ms) ms"'
    if have chat-rate-same && have chat-batch1-rate-same; then
        jq -rn "$JQ_DEFS"' input as $a | input as $b
          | "- at a fixed \($a.metrics.rate_target | n0) messages/s: ack p50 / p99 default \($a.latency_us.ack.p50 | ms) / \($a.latency_us.ack.p99 | ms) ms, batch = 1 \($b.latency_us.ack.p50 | ms) / \($b.latency_us.ack.p99 | ms) ms; CPU per message \($a.cpu_per_op.total_us | n0) us against \($b.cpu_per_op.total_us | n0) us"' \
            "$DIR/chat-rate-same.json" "$DIR/chat-batch1-rate-same.json"
    fi
fi

for kind in same cross; do
    have "chat-sweep-$kind" || continue
    echo
    echo "## Latency against offered load, $kind node ($(q "chat-sweep-$kind" '.metrics.pairs_ready') pairs, open loop, $(q "chat-sweep-$kind" '.config.duration_s') s per rate)"
    echo
    echo "| offered/s | acked/s | ack p50 (ms) | ack p90 (ms) | ack p99 (ms) | ack p99.9 (ms) | delivery p50 (ms) | delivery p99 (ms) | CPU per message: servers / with load generator (us) | other work (% of a core) | errors |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    q "chat-sweep-$kind" "$JQ_DEFS"'.sweep[] |
      "| \(.metrics.rate_target | n0) | \(.metrics.acked_per_s | n0) | \(.latency_us.ack.p50 | ms) | \(.latency_us.ack.p90 | ms) | \(.latency_us.ack.p99 | ms) | \(.latency_us.ack.p999 | ms) | \(.latency_us.delivery.p50 | ms) | \(.latency_us.delivery.p99 | ms) | \(.cpu_per_op.server_us | n0) / \(.cpu_per_op.total_us | n0) | \(other) | \(.metrics.ack_errors + .metrics.acks_missing | n0) |"'
    q "chat-sweep-$kind" '[.sweep[] | select(.metrics.acked_per_s >= 0.99 * .metrics.rate_target
        and .latency_us.ack.p99 <= 100000 and .metrics.acks_missing == 0) | .metrics.rate_target]
      | "\nHighest offered rate kept up with an ack p99 under 100 ms: \(if length > 0 then (max | round | tostring) + " messages/s" else "none" end)."'
    q "chat-sweep-$kind" '(.notes // [])[] | "\n" + .'
    q "chat-sweep-$kind" '"# offered_per_s acked_per_s ack_p50_ms ack_p99_ms delivery_p50_ms delivery_p99_ms cpu_us_per_msg",
      (.sweep[] | [.metrics.rate_target, .metrics.acked_per_s, .latency_us.ack.p50 / 1000,
        .latency_us.ack.p99 / 1000, .latency_us.delivery.p50 / 1000, .latency_us.delivery.p99 / 1000,
        (.cpu_per_op.total_us // 0)] | map(tostring) | join(" "))' >"$DIR/chat-sweep-$kind.dat"
done

for name in chat-stages-cross-2000 chat-stages-cross-5000 chat-soak-cross; do
    if [[ ! -s $DIR/$name.stages.md ]] || ! have "$name"; then continue; fi
    echo
    q "$name" "$JQ_DEFS"'"## Where a message waits: cross node at \(.metrics.rate_target | n0) messages/s for \(.config.duration_s) s (stage by stage, both nodes)"'
    echo
    q "$name" "$JQ_DEFS"'"Acked \(.metrics.acked_per_s | n0)/s; ack p50 / p99 \(.latency_us.ack.p50 | ms) / \(.latency_us.ack.p99 | ms) ms, delivery p99 \(.latency_us.delivery.p99 | ms) ms; CPU per message \(.cpu_per_op.server_us | n0) / \(.cpu_per_op.total_us | n0) us; other work \(other) % of a core; seq gaps \(.metrics.seq_gaps | n0), acks missing \(.metrics.acks_missing | n0), deliveries missing \(.metrics.deliveries_missing | n0).\n"'
    cat "$DIR/$name.stages.md"
done

if have chat-soak-cross; then
    echo
    echo "## Does the latency drift? chat-soak-cross minute by minute (10-second windows)"
    echo
    echo "| minute | acked/s | ack p50 (ms, median of its windows) | ack p99 (ms, highest window) | delivery p99 (ms, highest window) |"
    echo "|---|---|---|---|---|"
    q chat-soak-cross '.timeline as $t
      | def med: sort | if length == 0 then null else .[(length / 2 | floor)] end;
        def r1: if . == null then "-" else (. * 10 | round / 10 | tostring) end;
      [range(0; ($t.window_end_s // []) | length)] | group_by(($t.window_end_s[.] - 1) / 60 | floor)[]
      | . as $w | (($t.window_end_s[$w[0]] - 1) / 60 | floor) as $m
      | "| \($m + 1) | \([$t.acked_per_s[$m * 60:($m + 1) * 60][]] | add / length | round) | \([$w[] | $t.window_ack_p50_ms[.]] | med | r1) | \([$w[] | $t.window_ack_p99_ms[.]] | max | r1) | \([$w[] | $t.window_delivery_p99_ms[.]] | max | r1) |"'
fi

if have broker; then
    echo
    echo "## Broker hop (uschat-bench-broker: the broker against a CZMQ zproxy, medians of the rounds)"
    echo
    echo "| hop | one-way msgs/s | round trip p50 (ms) | round trip p99 (ms) |"
    echo "|---|---|---|---|"
    q broker '.broker as $b | if $b == null then "| (no figures: see broker.txt) | | | |" else
      ("broker", "zproxy") as $k | $b[$k] | "| \($k) | \(.oneway_msgs_per_s) | \(.rtt_p50_ms) | \(.rtt_p99_ms) |" end'
    q broker '.broker | select(. != null) | "\nBroker one-way throughput / zproxy: \(.ratio.oneway | . * 100 | round / 100); with a tap subscriber: \(.broker_tap_subscribed_msgs_per_s) msgs/s."'
fi
