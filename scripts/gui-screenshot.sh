#!/usr/bin/env bash
# Runs the release binary's desktop lab under Xvfb, drives a short demo (the consumer cut off,
# three messages sent and acknowledged SEND_OK while they sit only in the broker's page cache,
# then a power loss of the broker under ASYNC_FLUSH: all three lost) and saves a PNG of the
# window: the README's screenshot. MQLAB_DEMO replaces the demo's commands.
#
#   scripts/gui-screenshot.sh [OUT.png] [extra `mqlab gui` options, e.g. --lang zh --presenter]
#
# Needs: xvfb xauth (Debian packages); Mesa's software renderer is enough.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-assets/screenshot-gui.png}"
shift || true
script="${MQLAB_DEMO:-partition consumer; send 3; run 20; crash broker power}"

if ! command -v xvfb-run >/dev/null; then
    echo "gui-screenshot: xvfb-run not found; apt-get install xvfb xauth" >&2
    exit 2
fi
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/mqlab"
# A fresh config directory: no remembered window size or preferences leak into the picture.
export XDG_DATA_HOME="$(mktemp -d)"
trap 'rm -rf "$XDG_DATA_HOME"' EXIT
xvfb-run -a -s "-screen 0 1600x1000x24" \
    "$bin" --storage mem gui --screenshot "$out" --script "$script" "$@"
echo "gui-screenshot: wrote $out"
