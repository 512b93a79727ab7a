#!/usr/bin/env bash
# Create (idempotently) the Python virtualenv with the public AnoMed packages
# (anomed-utils/-challenge/-anonymizer/-deanonymizer, diffprivlib, ART, gunicorn)
# used by the AnoMed interop test, and print its python path as the LAST line
# of stdout. gunicorn lives beside it ("$(dirname "$VENV_PY")/gunicorn").
#
#   VENV_PY="$(scripts/anomed-env.sh | tail -n1)"
#   "$(dirname "$VENV_PY")/gunicorn" --bind 127.0.0.1:18101 --timeout 300 \
#       --chdir crates/anonlab-server/tests/anomed challenge_app:application
#
# Environment:
#   ANONLAB_VENV    venv location (default: $HOME/.cache/anonlab/venv-anomed;
#                   must be outside the repo)
#   ANONLAB_PYTHON  interpreter used to create the venv (default: python3, >= 3.10)
#
# The venv is (re)installed only when the stamp file inside it does not match
# the sha256 of scripts/requirements-anomed.txt (+ the interpreter version).
# Dependencies are resolved by pip (no --no-deps) against a fully pinned set,
# wheels only; `pip check` must pass. pip output goes to a log file next to the
# venv; on failure the log tail is copied to stderr. Nothing prompts; safe to
# run concurrently (flock). A fresh install takes ~25-60 s and ~560 MB.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
req="$script_dir/requirements-anomed.txt"
import_check="import anomed_challenge, anomed_anonymizer, anomed_deanonymizer, diffprivlib.models, art.attacks.inference.membership_inference, gunicorn, falcon"
venv="${ANONLAB_VENV:-${HOME:-/tmp}/.cache/anonlab/venv-anomed}"
base_python="${ANONLAB_PYTHON:-python3}"

export PIP_NO_INPUT=1
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONDONTWRITEBYTECODE=1

die() { echo "anomed-env.sh: $*" >&2; exit 1; }

[[ -f "$req" ]] || die "missing $req"
command -v "$base_python" >/dev/null 2>&1 || die "interpreter '$base_python' not found"
"$base_python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
    || die "$base_python is older than 3.10 (the anomed packages need >= 3.10)"

case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
repo_root="$(cd "$script_dir/.." && pwd)"
case "$venv/" in
    "$repo_root"/*) die "venv $venv must be outside the repo ($repo_root)" ;;
esac
parent="$(dirname "$venv")"
mkdir -p "$parent"
log="$parent/$(basename "$venv")-pip.log"
stamp="$venv/.anonlab-requirements.sha256"

py_version="$("$base_python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
want="$( { cat "$req"; echo "python=$py_version"; echo "mode=deps-only-binary"; } \
         | sha256sum | cut -d' ' -f1)"

venv_ok() {
    [[ -x "$venv/bin/python" ]] && [[ -x "$venv/bin/gunicorn" ]] && [[ -f "$stamp" ]] \
        && [[ "$(cat "$stamp")" == "$want" ]] \
        && "$venv/bin/python" -c "$import_check" >/dev/null 2>&1
}

install_venv() {
    : >"$log"
    if [[ -e "$venv" && ! -f "$venv/pyvenv.cfg" ]] \
            && [[ -n "$(ls -A "$venv" 2>/dev/null)" ]]; then
        die "$venv exists and is not a virtualenv; refusing to delete it"
    fi
    rm -rf "$venv"
    if ! "$base_python" -m venv "$venv" >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "'$base_python -m venv' failed (Debian/Ubuntu: apt-get install python3-venv); log: $log"
    fi
    if ! "$venv/bin/python" -m pip install --quiet --no-input \
            --only-binary=:all: -r "$req" >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "pip install failed; log: $log"
    fi
    if ! "$venv/bin/python" -m pip check >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "pip check failed (inconsistent pins in $req); log: $log"
    fi
    if ! "$venv/bin/python" -c "$import_check" >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "import check failed; log: $log"
    fi
    echo "$want" >"$stamp"
    echo "anomed-env.sh: installed AnoMed venv at $venv" >&2
}

if ! venv_ok; then
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$venv.lock"
        flock 9
        # another process may have finished the install while we waited
        venv_ok || install_venv
        flock -u 9
        exec 9>&-
    else
        install_venv
    fi
fi

echo "$venv/bin/python"
