#!/usr/bin/env bash
# tools/bench/client.sh - the desktop client's cost in figures (BENCHMARKS.md, "Desktop
# client"): builds uschat-client and uschat-client-bench (release tree), starts a private
# Xvfb and runs the benchmark on it: launch to drawn login window, idle CPU and wake-ups
# without the focus, frame times while scrolling 10,000 messages, memory.
#   tools/uschat bench client [--idle SECONDS] [--launches N] [--step PX] [--messages N] [--fps N]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${USCHAT_BUILD_DIR_RELEASE:-$ROOT/build}
JOBS=${USCHAT_JOBS:-2}

[[ -f $BUILD/CMakeCache.txt ]] ||
    CC=gcc cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE="${USCHAT_BUILD_TYPE:-RelWithDebInfo}"
cmake --build "$BUILD" -j "$JOBS" --target uschat-client uschat-client-bench >/dev/null

# a display number nobody uses
display=
for n in $(seq 90 140); do
    if [[ ! -e /tmp/.X11-unix/X$n && ! -e /tmp/.X$n-lock ]]; then
        display=$n
        break
    fi
done
[[ -n $display ]] || { echo "no free X display number" >&2; exit 1; }
Xvfb ":$display" -screen 0 1280x1024x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    [[ -e /tmp/.X11-unix/X$display ]] && break
    sleep 0.1
done
echo "Xvfb :$display, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
DISPLAY=:$display "$BUILD/tests/client_sdl/uschat-client-bench" \
    --client "$BUILD/client_sdl/uschat-client" "$@"
