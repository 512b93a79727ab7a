#!/usr/bin/env bash
# The web UI's tests: the fast page and form tests, and the end-to-end run of the
# real server in headless Chromium (register, sign in, submit an anonymizer, watch
# it reach the adult leaderboard, open its detail page; a data owner uploads a
# table and makes a challenge of it). Installs Chromium when missing (see
# scripts/chromium.sh).
#
#   scripts/e2e.sh            # screenshots in $CARGO_TARGET_DIR/tmp/anonlab-ui/
#   scripts/e2e.sh --save     # ... and copied into docs/screenshots/
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/tmp}/.cache/anonlab/target}"
if [[ "${1:-}" == "--save" ]]; then
    export ANONLAB_SAVE_SCREENSHOTS=1
fi
ANONLAB_CHROMIUM="$(scripts/chromium.sh | tail -n 1)"
export ANONLAB_CHROMIUM

cargo test --release -p anonlab-server --test ui -- --nocapture
echo "UI screenshots: $CARGO_TARGET_DIR/tmp/anonlab-ui/"
if [[ "${ANONLAB_SAVE_SCREENSHOTS:-}" == 1 ]]; then
    echo "copied to docs/screenshots/"
fi
