#!/usr/bin/env bash
# tools/bench/stages.sh: the stage breakdown of a chat run as a Markdown table, from the chat
# nodes' log lines of that run (chat/stage_report_s; actors/chat/README.md, "Where a message
# waits").
#
#   tools/bench/stages.sh LOG...
#
# Each node writes a line every stage_report_s seconds: `chat: node1 stages, us p50/p99
# (count): lane 812/9120 (4096) pool ...`. Per stage the table gives the median over all the
# lines given (both nodes) of the lines' p50 and of their p99, in ms, and the messages counted.
# Prints "no stage lines" when there are none (a node that does not time its stages, or one
# started without stage_report_s).
set -euo pipefail

awk '
/ stages, us p50\/p99 \(count\):/ {
    sub(/.*\(count\):/, "")
    # " lane 812/9120 (4096) pool 40/2210 (4096) ..." -> name, p50/p99, (count) triples
    for (i = 1; i + 2 <= NF; i += 3) {
        name = $i
        split($(i + 1), v, "/")
        count = $(i + 2)
        gsub(/[()]/, "", count)
        if (!(name in n)) order[++names] = name
        k = ++n[name]
        p50[name, k] = v[1]
        p99[name, k] = v[2]
        total[name] += count
    }
    lines++
}
function median(arr, name, cnt,    i, j, t, a) {
    for (i = 1; i <= cnt; i++) a[i] = arr[name, i] + 0
    for (i = 2; i <= cnt; i++)
        for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return cnt % 2 ? a[(cnt + 1) / 2] : (a[cnt / 2] + a[cnt / 2 + 1]) / 2
}
END {
    if (!lines) { print "no stage lines"; exit 0 }
    printf "| stage | p50 ms | p99 ms | messages |\n|---|---|---|---|\n"
    for (s = 1; s <= names; s++) {
        name = order[s]
        bold = name ~ /^=/ ? "**" : ""
        printf "| %s%s%s | %.2f | %.1f | %d |\n", bold, name, bold,
            median(p50, name, n[name]) / 1000, median(p99, name, n[name]) / 1000, total[name]
    }
    printf "\n(%d report lines of the nodes; medians over the lines)\n", lines
}' "$@"
