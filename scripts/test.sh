#!/usr/bin/env bash
# The project's test command (README, .ci/run): formatting, lints, and the whole
# test suite including the oracle checks against ARX's published optima and the
# pycanon reference package. Works from a fresh clone; installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build cache outside the clone, so repeated runs are incremental.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME:-/tmp}/.cache/anonlab/target}"

# The Python oracle (pycanon) in its own virtual environment outside the clone.
ANONLAB_ORACLE_PYTHON="$(scripts/python-env.sh | tail -n 1)"
export ANONLAB_ORACLE_PYTHON

cargo fmt --all --check
cargo clippy --workspace --all-targets --release --locked -- -D warnings
cargo test --workspace --release --locked
