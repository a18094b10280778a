#!/usr/bin/env bash
# tools/bench/files.sh: upload and download throughput of the files service,
# against curl doing the same transfer as the ceiling, and the chat node's text ack latency
# with and without a transfer beside it. `tools/uschat bench files [--runs R] [--big-mb N]
# [--small N] [--text-rate R] [--text-pairs N] [--text-s S]`.
#
# Needs the local stack (`tools/uschat up`; the files service's limits raised for the big file:
# USCHAT_FILES_MAX_SIZE=300000000 USCHAT_FILES_QUOTA=100000000000 in up's environment). It
# registers a user through the gate (the code read from the stack's mail folder), logs in, and
# measures, R times each (default 3), printing every run and the median:
#   1. one file of N MB (default 200): tus creation + one streamed PATCH (curl -T), then a GET
#      to /dev/null;
#   2. N files of 1 MB (default 100), all in parallel: creation + PATCH each, then N GETs;
# and the ceiling: curl copying the same bytes to and from the same disk (file://, into the
# files service's folder) with no service between, in the same arrangement. Random content,
# new each run, so nothing is deduplicated. The bytes are checked: every download's SHA-256.
#   3. text ack latency: uschat-load's chat scenario (release build, load users seeded) at a
#      moderate open-loop rate (default 500 texts/s over 200 pairs across both nodes, 10 s),
#      once alone and once while one N MB file is uploaded and downloaded again and again
#      beside it; ack p50/p99 of both, and the MB moved meanwhile.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
RUNS=3
BIG_MB=200
SMALL=100
TEXT_RATE=500
TEXT_PAIRS=200
TEXT_S=10
while (($#)); do
    case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --big-mb) BIG_MB=$2; shift 2 ;;
        --small) SMALL=$2; shift 2 ;;
        --text-rate) TEXT_RATE=$2; shift 2 ;;
        --text-pairs) TEXT_PAIRS=$2; shift 2 ;;
        --text-s) TEXT_S=$2; shift 2 ;;
        *) echo "usage: $0 [--runs R] [--big-mb N] [--small N] [--text-rate R] [--text-pairs N] [--text-s S]" >&2; exit 2 ;;
    esac
done
VAR=${USCHAT_VAR_DIR:-$ROOT/var}
[[ -f $VAR/run/stack.env ]] || { echo "bench files: the stack is not up (tools/uschat up)" >&2; exit 1; }
set -a
# shellcheck disable=SC1091
source "$VAR/run/stack.env"
set +a
FILES=$FILES_URL
STORE=$USCHAT_FILES_DIR
curl -sf "$FILES/healthz" >/dev/null || { echo "bench files: $FILES does not answer" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/uschat-bench-files-XXXXXX")
trap 'rm -rf "$WORK" "$STORE/ceiling"' EXIT
mkdir -p "$STORE/ceiling"

# ---- a user -------------------------------------------------------------------------------
EMAIL="bench$$.$RANDOM@example.com"
PASS=745230 # the wire form of 123456
curl -s -d "{\"email\":\"$EMAIL\"}" "$GATE_URL/get_varifycode" >/dev/null
CODE=""
for _ in $(seq 100); do
    CODE=$(grep -rlaF "$EMAIL" "$MAIL_DIR" 2>/dev/null | head -1 | xargs -r grep -hao "code is: [0-9]\{6\}" | grep -o "[0-9]\{6\}$" || true)
    [[ -n $CODE ]] && break
    sleep 0.1
done
[[ -n $CODE ]] || { echo "bench files: no code mailed to $EMAIL" >&2; exit 1; }
curl -s -d "{\"email\":\"$EMAIL\",\"user\":\"bf$$$RANDOM\",\"passwd\":\"$PASS\",\"confirm\":\"$PASS\",\"varifycode\":\"$CODE\"}" "$GATE_URL/user_register" >/dev/null
LOGIN=$(curl -s -d "{\"email\":\"$EMAIL\",\"passwd\":\"$PASS\"}" "$GATE_URL/user_login")
UID_=$(jq -r .uid <<<"$LOGIN")
TOKEN=$(jq -r .token <<<"$LOGIN")
[[ $TOKEN =~ ^[0-9a-f]{64}$ ]] || { echo "bench files: login failed: $LOGIN" >&2; exit 1; }
AUTH=(-H "Tus-Resumable: 1.0.0" -H "X-Uschat-Uid: $UID_" -H "X-Uschat-Token: $TOKEN")

# ---- transfers ----------------------------------------------------------------------------
now() { date +%s.%N; }

# prepare FILE: FILE.meta with its length and tus metadata (before the clock starts)
prepare() {
    local f=$1 sha
    sha=$(sha256sum "$f" | cut -c1-64)
    printf '%s\nname %s,type %s,sha256 %s\n' "$(stat -c%s "$f")" \
        "$(printf '%s' "${f##*/}" | base64 -w0)" "$(printf application/octet-stream | base64 -w0)" \
        "$(printf '%s' "$sha" | base64 -w0)" >"$f.meta"
}
# upload FILE (prepared): prints the file id
upload() {
    local f=$1 size meta id
    { read -r size; read -r meta; } <"$f.meta"
    id=$(curl -s -D - -o /dev/null "${AUTH[@]}" -X POST -H "Upload-Length: $size" \
        -H "Upload-Metadata: $meta" "$FILES/uploads" | tr -d '\r' | sed -n 's/^X-Uschat-File-Id: //Ip')
    [[ -n $id ]] || { echo "bench files: creation refused" >&2; return 1; }
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -X PATCH -H "Upload-Offset: 0" \
        -H "Content-Type: application/offset+octet-stream" -H "Expect:" -T "$f" "$FILES/uploads/$id")
    [[ $code == 204 ]] || { echo "bench files: PATCH answered $code" >&2; return 1; }
    echo "$id"
}
# download ID SHA: checks the bytes
download() {
    local got
    got=$(curl -s "${AUTH[@]}" "$FILES/files/$1" | sha256sum | cut -c1-64)
    [[ $got == "$2" ]] || { echo "bench files: download of $1 differs" >&2; return 1; }
}
export -f upload download prepare
export FILES
mbps() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.1f", b / 1e6 / t }'; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

declare -A R
record() { R[$1]+="$2 "; }

for run in $(seq "$RUNS"); do
    # 1. one big file
    big=$WORK/big.bin
    head -c $((BIG_MB * 1000000)) /dev/urandom >"$big"
    sha=$(sha256sum "$big" | cut -c1-64)
    prepare "$big"
    bytes=$((BIG_MB * 1000000))
    sync
    t0=$(now); id=$(upload "$big"); t1=$(now)
    download "$id" "$sha"; t2=$(now)
    up=$(mbps $bytes "$(echo "$t1 - $t0" | bc)"); down=$(mbps $bytes "$(echo "$t2 - $t1" | bc)")
    t0=$(now); curl -s -T "$big" "file://$STORE/ceiling/big.bin"; t1=$(now)
    curl -s "file://$STORE/ceiling/big.bin" | sha256sum >/dev/null; t2=$(now)
    cup=$(mbps $bytes "$(echo "$t1 - $t0" | bc)"); cdown=$(mbps $bytes "$(echo "$t2 - $t1" | bc)")
    echo "run $run: one ${BIG_MB} MB file: upload $up MB/s (curl file:// $cup), download $down MB/s (curl file:// $cdown)"
    record big_up "$up"; record big_down "$down"; record big_cup "$cup"; record big_cdown "$cdown"
    rm -f "$big" "$STORE/ceiling/big.bin"

    # 2. many small files in parallel
    mkdir -p "$WORK/small"
    for i in $(seq "$SMALL"); do
        head -c 1000000 /dev/urandom >"$WORK/small/f$i.bin"
        prepare "$WORK/small/f$i.bin"
    done
    (cd "$WORK/small" && sha256sum f*.bin >../small.sha)
    fails=0
    bytes=$((SMALL * 1000000))
    sync
    t0=$(now)
    for i in $(seq "$SMALL"); do
        (upload "$WORK/small/f$i.bin" >"$WORK/small/f$i.id") &
    done
    wait
    t1=$(now)
    for i in $(seq "$SMALL"); do [[ -s $WORK/small/f$i.id ]] || fails=$((fails + 1)); done
    ((fails == 0)) || { echo "bench files: $fails of $SMALL uploads failed" >&2; exit 1; }
    while read -r s f; do
        download "$(cat "$WORK/small/${f%.bin}.id")" "$s" &
    done <"$WORK/small.sha"
    wait
    t2=$(now)
    up=$(mbps $bytes "$(echo "$t1 - $t0" | bc)"); down=$(mbps $bytes "$(echo "$t2 - $t1" | bc)")
    t0=$(now)
    for i in $(seq "$SMALL"); do curl -s -T "$WORK/small/f$i.bin" "file://$STORE/ceiling/f$i.bin" & done
    wait
    t1=$(now)
    for i in $(seq "$SMALL"); do (curl -s "file://$STORE/ceiling/f$i.bin" | sha256sum >/dev/null) & done
    wait
    t2=$(now)
    cup=$(mbps $bytes "$(echo "$t1 - $t0" | bc)"); cdown=$(mbps $bytes "$(echo "$t2 - $t1" | bc)")
    echo "run $run: $SMALL files of 1 MB in parallel: upload $up MB/s (curl file:// $cup), download $down MB/s (curl file:// $cdown)"
    record small_up "$up"; record small_down "$down"; record small_cup "$cup"; record small_cdown "$cdown"
    rm -rf "$WORK/small" "$STORE/ceiling"/*
done

# 3. text ack latency alone and beside a transfer
LOAD=${USCHAT_BUILD_DIR_RELEASE:-$ROOT/build}/tools/load/uschat-load
[[ -x $LOAD ]] || { echo "bench files: uschat-load is not built ($LOAD; tools/uschat build)" >&2; exit 1; }
"$LOAD" --seed $((2 * TEXT_PAIRS)) >"$WORK/seed.txt" 2>&1 || { cat "$WORK/seed.txt" >&2; exit 1; }
# chat NAME: one uschat-load chat run into $WORK/NAME.json; prints "p50 p99" of the ack in ms
chat() {
    timeout -k 10 $((TEXT_S + 120)) "$LOAD" --json "$WORK/$1.json" chat -n "$TEXT_PAIRS" \
        -r "$TEXT_RATE" -d "$TEXT_S" --cross-node >"$WORK/$1.txt" 2>&1 ||
        { cat "$WORK/$1.txt" >&2; echo "bench files: uschat-load chat failed" >&2; exit 1; }
    jq -r '[.latency_us.ack.p50, .latency_us.ack.p99] | map(. / 1000 * 100 | round / 100) | "\(.[0]) \(.[1])"' \
        "$WORK/$1.json"
}
big=$WORK/text-big.bin
head -c $((BIG_MB * 1000000)) /dev/urandom >"$big"
bigsha=$(sha256sum "$big" | cut -c1-64)
prepare "$big"
for run in $(seq "$RUNS"); do
    read -r q50 q99 < <(chat "quiet$run")
    # the same chat run while the big file goes up and down in a loop until it ends
    rm -f "$WORK/moving.stop" "$WORK/moved"
    (
        while [[ ! -e $WORK/moving.stop ]]; do
            id=$(upload "$big") && download "$id" "$bigsha" || break
            echo $((2 * BIG_MB)) >>"$WORK/moved"
        done
    ) &
    mover=$!
    sleep 1 # the transfer is under way before the first text
    read -r b50 b99 < <(chat "busy$run")
    touch "$WORK/moving.stop"
    wait "$mover" || true
    moved=0
    [[ -f $WORK/moved ]] && moved=$(awk '{ s += $1 } END { print s }' "$WORK/moved")
    [[ -n $q99 && -n $b99 ]] || { echo "bench files: no text latency measured" >&2; exit 1; }
    echo "run $run: text ack at $TEXT_RATE/s: alone p50 $q50 ms, p99 $q99 ms; beside a ${BIG_MB} MB upload+download loop p50 $b50 ms, p99 $b99 ms (${moved} MB moved, the last transfer finishing after the run)"
    record q50 "$q50"; record q99 "$q99"; record b50 "$b50"; record b99 "$b99"
done

med() { tr ' ' '\n' <<<"${R[$1]}" | grep . | median; }
echo
echo "medians of $RUNS runs (MB/s, 1 MB = 10^6 bytes):"
echo "| transfer | upload | curl file:// (ceiling) | download | curl file:// (ceiling) |"
echo "|---|---|---|---|---|"
echo "| one ${BIG_MB} MB file | $(med big_up) | $(med big_cup) | $(med big_down) | $(med big_cdown) |"
echo "| $SMALL x 1 MB in parallel | $(med small_up) | $(med small_cup) | $(med small_down) | $(med small_cdown) |"
echo
echo "text ack latency (ms), medians of $RUNS runs at $TEXT_RATE texts/s over $TEXT_PAIRS pairs:"
echo "| | ack p50 | ack p99 |"
echo "|---|---|---|"
echo "| texts alone | $(med q50) | $(med q99) |"
echo "| beside a ${BIG_MB} MB upload + download | $(med b50) | $(med b99) |"
