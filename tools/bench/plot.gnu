# tools/bench/plot.gnu: latency against offered load of UsChat chat messages, same-node and
# cross-node, from the sweep tables of tools/bench/summarize.sh (run_all.sh calls it):
#
#   gnuplot -e "same='DIR/chat-sweep-same.dat'; cross='DIR/chat-sweep-cross.dat'; \
#               out='latency_vs_load.png'; subtitle='date, commit'; pairs='1000'" \
#           tools/bench/plot.gnu
#
# Top: p50 and p99 of the delivery latency (scheduled send -> 1019 at the peer, which comes
# after the MySQL commit and, cross-node, the broker hop), log scale. Bottom: messages acked
# per second against offered, with the line where they are equal: where a curve leaves it,
# the system stopped keeping up and the latency above is a growing queue.
# Columns: 1 offered/s, 2 acked/s, 3 ack p50 ms, 4 ack p99 ms, 5 delivery p50 ms,
# 6 delivery p99 ms, 7 CPU us per message.

if (!exists("same")) same = 'chat-sweep-same.dat'
if (!exists("cross")) cross = 'chat-sweep-cross.dat'
if (!exists("out")) out = 'latency_vs_load.png'
if (!exists("subtitle")) subtitle = ''
if (!exists("pairs")) pairs = '1000'

set terminal pngcairo size 1000,900 font 'sans,10'
set output out
set datafile commentschars '#'
set key top left box opaque
set grid xtics ytics mytics
set multiplot layout 2,1 title "UsChat chat messages: latency against offered load\n".subtitle

set ylabel 'delivery latency (ms, log)'
set logscale y
set format y '%g'
set xlabel ''
set format x '%.0f'
set xrange [0:*]
plot same  using 1:5 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'same node p50', \
     same  using 1:6 with linespoints lw 2 pt 5 lc rgb '#1f77b4' dt 2 title 'same node p99', \
     cross using 1:5 with linespoints lw 2 pt 7 lc rgb '#d62728' title 'cross node p50', \
     cross using 1:6 with linespoints lw 2 pt 5 lc rgb '#d62728' dt 2 title 'cross node p99'

unset logscale y
set ylabel 'acked messages/s'
set xlabel 'offered messages/s (open loop, '.pairs.' pairs of friends)'
set yrange [0:*]
plot x with lines lc rgb '#888888' dt 3 title 'acked = offered', \
     same  using 1:2 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'same node', \
     cross using 1:2 with linespoints lw 2 pt 7 lc rgb '#d62728' title 'cross node'
unset multiplot
