#!/usr/bin/env bash
# tools/bench/read_counts.sh: what the query behind a group's read counts (1100,
# actors/chat/chat_group_reads.c) costs MariaDB in a group of MEMBERS (default 10,000), read
# marks spread evenly over 1,000 messages.
#
#   tools/bench/read_counts.sh [MEMBERS]
#
# Needs a stack of `tools/uschat up` (USCHAT_VAR_DIR and the ports as for `up`) with at least
# MEMBERS load users seeded (build/tools/load/uschat-load --seed MEMBERS). Adds one group
# "readbench" with those users as members (read_seq random in 0..1000, last_seq 1000), then
# runs the query 21 times each (MariaDB's own profiling, so no client round trip is counted) and
# prints the medians:
#   recent   the range of the newest 100 seqs (what a client asks): about a tenth of the members
#            have a mark in it
#   all      a range from seq 1: every member's index entry is read (the worst case)
#   noindex  the recent range through the primary key instead of idx_group_member_read
#            (sql/migrations/007), for comparison
# The group stays in the database (a second run adds another).
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
VAR=${USCHAT_VAR_DIR:-$ROOT/var}
MEMBERS=${1:-10000}
[[ $MEMBERS =~ ^[0-9]+$ ]] || {
    echo "usage: $0 [MEMBERS]" >&2
    exit 2
}
M=(mariadb "--defaults-file=$VAR/servers/client.cnf" uschat)

gid=$("${M[@]}" -N -e "
INSERT INTO group_chat (name, owner_id, members, last_seq)
    SELECT 'readbench', MIN(uid), $MEMBERS, 1000 FROM user WHERE name LIKE 'load\\_%';
SET @g = LAST_INSERT_ID();
INSERT INTO group_member (group_id, uid, role, join_seq, read_seq)
    SELECT @g, uid, 0, 0, FLOOR(RAND(7) * 1001) FROM user WHERE name LIKE 'load\\_%'
    ORDER BY uid LIMIT $MEMBERS;
SELECT @g;")
have=$("${M[@]}" -N -e "SELECT COUNT(*) FROM group_member WHERE group_id = $gid")
((have == MEMBERS)) || {
    echo "read_counts: group $gid has $have members, not $MEMBERS: seed more load users" >&2
    exit 1
}

# median (ms) of 21 runs of the query with FROM and INDEX
median() {
    local q="SELECT read_seq, join_seq, COUNT(*) FROM group_member FORCE INDEX ($2)
        WHERE group_id = $gid AND read_seq >= $1 AND uid <> 0 GROUP BY read_seq, join_seq;"
    local sql="SET profiling = 1; SET profiling_history_size = 100;"
    for _ in $(seq 21); do sql+=" $q"; done
    "${M[@]}" -N -e "$sql SHOW PROFILES;" |
        awk -F'\t' 'NF == 3 && $3 ~ /^SELECT read_seq/ {print $2}' | sort -n |
        awk '{a[NR] = $1} END {printf "%.3f", a[int((NR + 1) / 2)] * 1000}'
}
echo "read counts, group of $MEMBERS members (group $gid), medians of 21 runs:"
echo "  recent  (newest 100 seqs)        $(median 901 idx_group_member_read) ms"
echo "  all     (from seq 1)             $(median 1 idx_group_member_read) ms"
echo "  noindex (newest 100, primary)    $(median 901 PRIMARY) ms"
