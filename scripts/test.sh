#!/usr/bin/env bash
# The project's test command (README, .ci/run): formatting, lints, and the whole
# test suite including the oracle checks against ARX's published optima and the
# pycanon reference package. Works from a fresh clone; installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build cache outside the clone, so repeated runs are incremental.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/tmp}/.cache/anonlab/target}"

# The Python oracles in their own virtual environments outside the clone:
# pycanon (k, l, t of releases).
ANONLAB_ORACLE_PYTHON="$(scripts/python-env.sh | tail -n 1)"
export ANONLAB_ORACLE_PYTHON
# anonymeter 1.1.0, the attack suite's reference, in a venv of its own.
ANONLAB_ANONYMETER_PYTHON="$(scripts/python-env.sh anonymeter | tail -n 1)"
export ANONLAB_ANONYMETER_PYTHON

# The AnoMed reference packages (pinned; scripts/requirements-anomed.txt) for
# the interop tests, which run their unmodified apps against our challenge.
ANONLAB_ANOMED_PYTHON="$(scripts/python-env.sh anomed | tail -n 1)"
export ANONLAB_ANOMED_PYTHON

# Headless Chromium for the HTML report's rendering test (installed from Debian
# when missing; the test takes a screenshot and checks it).
ANONLAB_CHROMIUM="$(scripts/chromium.sh | tail -n 1)"
export ANONLAB_CHROMIUM

cargo fmt --all --check
cargo clippy --workspace --all-targets --release --locked -- -D warnings
cargo test --workspace --release --locked
echo "HTML report screenshot: $CARGO_TARGET_DIR/tmp/anonlab-report/adult-report.png"
