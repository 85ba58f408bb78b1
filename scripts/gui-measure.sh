#!/usr/bin/env bash
# Measures the desktop lab on Mesa's software renderer under Xvfb (the figures in
# gui/benches/RESULTS.md):
#   1. idle CPU: the window with a finished demo on screen, left alone for 10 s; the process's
#      user + system CPU ticks from /proc/PID/stat before and after (100 ticks = 1 s);
#   2. frame time while 200 messages animate: the lab plays (Space) a world with 200 messages
#      at the fastest speed, and MQLAB_GUI_STATS=1 makes it print the intervals between animated
#      frames when it comes to rest (Space again pauses it).
#
#   scripts/gui-measure.sh   (MQLAB_ANIMATE='send 20' compares a smaller world; MQLAB_FASTER=N
#                             presses "faster" N times instead of 6, the fastest)
#
# Needs: xvfb xauth xdotool (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in Xvfb xdotool; do
    if ! command -v "$tool" >/dev/null; then
        echo "gui-measure: $tool not found; apt-get install xvfb xauth xdotool" >&2
        exit 2
    fi
done
if [ -z "${MQLAB_BIN:-}" ]; then cargo build --release --quiet; fi
bin="${MQLAB_BIN:-${CARGO_TARGET_DIR:-target}/release/mqlab}"
export XDG_DATA_HOME="$(mktemp -d)"
display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 1600x1000x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; rm -rf "$XDG_DATA_HOME"' EXIT
export DISPLAY="$display"
sleep 1

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

wait_for_window() {
    for _ in $(seq 100); do
        if win=$(xdotool search --name '^mqlab' 2>/dev/null | head -1) && [ -n "$win" ]; then
            echo "$win"
            return
        fi
        sleep 0.1
    done
    echo "gui-measure: no window appeared" >&2
    exit 1
}

# 1. Idle.
"$bin" --storage mem gui --script 'partition consumer; send 3; run 20; crash broker power' &
pid=$!
wait_for_window >/dev/null
sleep 3 # let the start-up frames and the crash flash finish
before=$(ticks $pid)
sleep 10
after=$(ticks $pid)
kill $pid
wait $pid 2>/dev/null || true
echo "idle: $((after - before)) CPU ticks in 10 s (100 ticks = 1 s of one core)"

# 2. 200 messages animating, played at the fastest speed for 10 s.
animate="${MQLAB_ANIMATE:-send 200; step 300}"
MQLAB_GUI_STATS=1 "$bin" --storage mem gui --script "$animate" 2>/tmp/gui-measure.$$ &
pid=$!
win=$(wait_for_window)
sleep 2
xdotool windowfocus --sync "$win" 2>/dev/null || true
for _ in $(seq "${MQLAB_FASTER:-6}"); do xdotool key --window "$win" bracketright; done
xdotool key --window "$win" space
before=$(ticks $pid)
sleep 10
after=$(ticks $pid)
xdotool key --window "$win" space
sleep 2
kill $pid
wait $pid 2>/dev/null || true
echo "playing \`$animate\`: $((after - before)) CPU ticks in 10 s (the software renderer's threads included)"
grep "frame stats" /tmp/gui-measure.$$ || { echo "gui-measure: no frame stats"; cat /tmp/gui-measure.$$; }
rm -f /tmp/gui-measure.$$
