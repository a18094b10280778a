#!/usr/bin/env bash
# tools/win/e2e.sh EXE (run by `tools/uschat win e2e`): the Windows uschat-client.exe under
# wine and the Linux uschat-client side by side on one Xvfb screen, against a local stack
# (tools/uschat up, which honours USCHAT_VAR_DIR and USCHAT_PORT_*). Two seeded friends
# (uschat-load --seed 2 --prefix win) log in through the real login forms, typed with
# xdotool; the Linux one writes, the Windows one reads and answers. Checks in MariaDB that
# each message is stored once and that each side's read mark reached the other's message
# (so each window showed it), and saves the screen as var/win-e2e/*.png.
#
# Exit 0 when both messages went through; the stack is left running (tools/uschat down).
set -euo pipefail

EXE=$(readlink -f "$1")
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
cd "$ROOT"
VAR=${USCHAT_VAR_DIR:-$ROOT/var}
OUT=$ROOT/var/win-e2e
DISPLAY_NUM=${USCHAT_WIN_DISPLAY:-141}
LINUX_CLIENT=${USCHAT_BUILD_DIR_RELEASE:-$ROOT/build}/client_sdl/uschat-client
# one text per run: the stack (and its database) may have seen earlier runs. The Windows side
# types ASCII: xdotool types a CJK character by remapping a spare key, which wine sometimes
# reads too late and drops (the Linux side's CJK text shows it drawn in the Windows client).
RUN_ID=$(date +%H%M%S)
MSG_LINUX="Hello from Linux, 你好 #$RUN_ID"
MSG_WIN="Hello from Windows, got it #$RUN_ID"
WAIT=${USCHAT_WIN_E2E_WAIT:-60}

say() { printf 'win e2e: %s\n' "$*" >&2; }
die() {
    printf 'win e2e: FAIL: %s\n' "$*" >&2
    exit 1
}

pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wineserver -k 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p "$OUT"
# The servers and the Linux client from the release build (tools/uschat build once).
[[ -x $LINUX_CLIENT ]] || tools/uschat build >"$OUT/build.log" 2>&1 ||
    die "tools/uschat build failed: $OUT/build.log"
USCHAT_NO_BUILD=1 tools/uschat up >"$OUT/up.log" 2>&1 || die "tools/uschat up failed: $OUT/up.log"
set -a
# shellcheck disable=SC1091
source "$VAR/run/stack.env"
set +a
"${USCHAT_BUILD_DIR_RELEASE:-$ROOT/build}/tools/load/uschat-load" --seed 2 --prefix win \
    >"$OUT/seed.log" 2>&1 || die "seeding failed: $OUT/seed.log"

sql() { mariadb --defaults-file="$VAR/servers/client.cnf" "$MYSQL_DB" -Nse "$1"; }
# until SQL prints something >= MIN, for WAIT seconds
wait_sql() {
    local query=$1 min=$2 what=$3 v i
    for ((i = 0; i < WAIT * 2; i++)); do
        v=$(sql "$query")
        [[ -n $v && $v != NULL && $v -ge $min ]] && return 0
        sleep 0.5
    done
    die "$what (last: ${v:-none})"
}
shot() { xwd -display ":$DISPLAY_NUM" "$@" | xwdtopnm 2>/dev/null | pnmtopng >"$OUT/$NAME.png"; }

[[ -e /tmp/.X11-unix/X$DISPLAY_NUM ]] && die "display :$DISPLAY_NUM is taken (USCHAT_WIN_DISPLAY)"
Xvfb ":$DISPLAY_NUM" -screen 0 2040x700x24 -nolisten tcp >"$OUT/xvfb.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 50; i++)); do [[ -e /tmp/.X11-unix/X$DISPLAY_NUM ]] && break; sleep 0.1; done
export DISPLAY=:$DISPLAY_NUM

# The Linux client with a settings folder of its own (no remembered email).
rm -rf "$OUT/xdg"
XDG_CONFIG_HOME=$OUT/xdg "$LINUX_CLIENT" --gate "$GATE_URL" --software >"$OUT/linux.log" 2>&1 &
pids+=($!)
# SDL maps a first window and replaces it: the program's window is the one left after a second.
xdotool search --sync --onlyvisible --pid "${pids[-1]}" >/dev/null
sleep 1
wl=$(xdotool search --onlyvisible --pid "${pids[-1]}" | tail -1)
xdotool windowmove "$wl" 0 0

# The Windows client: wine's %APPDATA% must not remember an email from an earlier run.
rm -f "${WINEPREFIX:-$HOME/.wine}"/drive_c/users/*/AppData/Roaming/uschat/last_email
start=$SECONDS
wine "$EXE" --gate "$GATE_URL" --software >"$OUT/wine.log" 2>&1 &
pids+=($!)
ww=""
for ((i = 0; i < WAIT * 4; i++)); do
    [[ -z $ww ]] || break
    ww=$(xdotool search --onlyvisible --name '^UsChat' 2>/dev/null | grep -vx "$wl" | head -1) || true
    [[ -n $ww ]] || sleep 0.25
done
[[ -n $ww ]] || die "no window from uschat-client.exe: $OUT/wine.log"
sleep 1
ww=$(xdotool search --onlyvisible --name '^UsChat' | grep -vx "$wl" | tail -1)
say "uschat-client.exe window after $((SECONDS - start)) s"
xdotool windowmove "$ww" 1020 0
sleep 2

login() { # WINDOW EMAIL
    xdotool windowfocus --sync "$1"
    xdotool mousemove --window "$1" 500 300
    xdotool type --delay 20 "$2"
    xdotool key Tab
    xdotool type --delay 20 load-password
    xdotool key Return
}
login "$wl" win_000000@load.invalid
login "$ww" win_000001@load.invalid
uid_l=$(sql "SELECT uid FROM user WHERE name='win_000000'")
uid_w=$(sql "SELECT uid FROM user WHERE name='win_000001'")
thread=$(sql "SELECT thread_id FROM private_chat WHERE (user1_id=$uid_l AND user2_id=$uid_w) OR (user1_id=$uid_w AND user2_id=$uid_l)")
sleep 3
NAME=logged_in shot -root

# Open the conversation (first row of the chat list, below the filter box) and write.
CHAT_ROW_X=${USCHAT_WIN_ROW_X:-150} CHAT_ROW_Y=${USCHAT_WIN_ROW_Y:-192}
send() { # WINDOW TEXT
    xdotool windowfocus --sync "$1"
    xdotool mousemove --window "$1" "$CHAT_ROW_X" "$CHAT_ROW_Y" click 1
    sleep 1
    xdotool type --delay 30 "$2"
    xdotool key Return
}
count() { echo "SELECT COUNT(*) FROM chat_message WHERE thread_id=$thread AND sender_id=$1 AND content='$2'"; }
send "$wl" "$MSG_LINUX"
wait_sql "$(count "$uid_l" "$MSG_LINUX")" 1 "the Linux client's message was not stored"
seq_l=$(sql "SELECT seq FROM chat_message WHERE thread_id=$thread AND sender_id=$uid_l AND content='$MSG_LINUX'")
send "$ww" "$MSG_WIN"
wait_sql "$(count "$uid_w" "$MSG_WIN")" 1 "the Windows client's message was not stored"
wait_sql "SELECT read_seq FROM thread_read WHERE thread_id=$thread AND uid=$uid_w" "$seq_l" \
    "the Windows client never marked the Linux client's message read"
seq_w=$(sql "SELECT seq FROM chat_message WHERE thread_id=$thread AND sender_id=$uid_w AND content='$MSG_WIN'")
xdotool windowfocus --sync "$wl"
wait_sql "SELECT read_seq FROM thread_read WHERE thread_id=$thread AND uid=$uid_l" "$seq_w" \
    "the Linux client never marked the Windows client's message read"
[[ $(sql "$(count "$uid_l" "$MSG_LINUX")") == 1 && $(sql "$(count "$uid_w" "$MSG_WIN")") == 1 ]] ||
    die "a message was stored twice"
xdotool windowfocus --sync "$ww"
sleep 2
NAME=both shot -root
NAME=windows shot -id "$ww"
say "PASS: Linux -> Windows (seq $seq_l) and Windows -> Linux (seq $seq_w), each stored once and read; $OUT/both.png, $OUT/windows.png"
