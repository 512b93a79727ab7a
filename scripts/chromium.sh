#!/usr/bin/env bash
# Make headless Chromium available for the HTML report's rendering test
# (crates/anonlab/tests/report.rs) and print its path as the LAST line of stdout.
#
#   ANONLAB_CHROMIUM="$(scripts/chromium.sh | tail -n 1)"
#
# Uses `chromium` (or `chromium-browser`, `google-chrome`) when one is already on
# PATH; otherwise installs Debian's `chromium` package with apt-get, which needs
# root (CI runs as root). `apt-get update` runs once, only when an install is
# needed. Nothing prompts. apt output goes to a log next to the oracle venv; on
# failure its tail is copied to stderr.
#
# Environment:
#   ANONLAB_CHROMIUM  a Chromium binary to use as is (no install)
set -euo pipefail

die() { echo "chromium.sh: $*" >&2; exit 1; }

find_chromium() {
    local name
    for name in chromium chromium-browser google-chrome; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

if [[ -n "${ANONLAB_CHROMIUM:-}" ]]; then
    [[ -x "$ANONLAB_CHROMIUM" ]] || die "ANONLAB_CHROMIUM=$ANONLAB_CHROMIUM is not an executable"
    echo "$ANONLAB_CHROMIUM"
    exit 0
fi

if ! found="$(find_chromium)"; then
    command -v apt-get >/dev/null 2>&1 || die "no chromium on PATH and no apt-get to install it"
    [[ "$(id -u)" == 0 ]] || die "no chromium on PATH; install it (apt-get install chromium) or run as root"
    log="${HOME:-/tmp}/.cache/anonlab/chromium-apt.log"
    mkdir -p "$(dirname "$log")"
    : >"$log"
    started=$SECONDS
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get update >>"$log" 2>&1 \
            || ! apt-get install -y --no-install-recommends chromium fonts-liberation >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "installing chromium failed; log: $log"
    fi
    echo "chromium.sh: installed chromium in $((SECONDS - started)) s" >&2
    found="$(find_chromium)" || die "apt-get installed chromium but it is not on PATH"
fi

# (Debian's wrapper script prints a harmless shell warning on stderr; keep it out of the log.)
version="$("$found" --version 2>/dev/null)" || die "$found does not run"
echo "chromium.sh: $version" >&2
echo "$found"
