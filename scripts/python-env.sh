#!/usr/bin/env bash
# Create (idempotently) a Python virtualenv used by a test oracle and print its
# python path as the LAST line of stdout. One argument names the oracle:
#   pycanon     (default) tests/oracle/pycanon_check.py, requirements-oracle.txt
#   anonymeter  tests/oracle/anonymeter_check.py, requirements-anonymeter.txt
#   mst         benchmarks/peers/mst_peer.py (anonlab-bench synth), requirements-mst.txt
#   anomed      the public AnoMed packages for the interop tests and `anonlab-bench
#               anomed` (gunicorn beside the python), requirements-anomed.txt
#
#   VENV_PY="$(scripts/python-env.sh | tail -n1)"
#   "$VENV_PY" tests/oracle/pycanon_check.py --data out.csv --qi a,b --k 5
#
# Environment:
#   ANONLAB_VENV    venv location (default: $HOME/.cache/anonlab/venv for
#                   pycanon, .../venv-<oracle> for the others; must be
#                   outside the repo)
#   ANONLAB_PYTHON  interpreter used to create the venv (default: python3, >= 3.10)
#
# The venv is (re)installed only when the stamp file inside it does not match
# the sha256 of the oracle's requirements (+ the interpreter version). The
# oracles' requirements list every package, installed with --no-deps; the
# AnoMed set is resolved by pip against its full pins and must pass `pip check`.
# pip output goes to a log file next to the venv; on failure the log tail is
# copied to stderr. Nothing prompts; safe to run concurrently (flock).
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
oracle="${1:-pycanon}"
case "$oracle" in
    pycanon)
        req="$script_dir/requirements-oracle.txt"
        default_venv="venv"
        import_check="import pycanon.anonymity, numpy, pandas"
        only_binary="--only-binary=:all:" ;;
    anonymeter)
        req="$script_dir/requirements-anonymeter.txt"
        default_venv="venv-anonymeter"
        import_check="import anonymeter.evaluators, numba, polars"
        only_binary="--only-binary=:all:" ;;
    mst)
        req="$script_dir/requirements-mst.txt"
        default_venv="venv-mst"
        import_check="from snsynth.mst.mst import MSTSynthesizer"
        # antlr4-python3-runtime 4.9.3 (pinned by smartnoise-sql) ships as a source archive only.
        only_binary="" ;;
    anomed)
        req="$script_dir/requirements-anomed.txt"
        default_venv="venv-anomed"
        import_check="import anomed_challenge, anomed_anonymizer, anomed_deanonymizer, diffprivlib.models, art.attacks.inference.membership_inference, gunicorn, falcon"
        only_binary="--only-binary=:all:"
        resolve="deps" ;;
    *) echo "python-env.sh: unknown oracle '$oracle' (pycanon, anonymeter, mst or anomed)" >&2; exit 2 ;;
esac
# "no-deps": the requirements name every package; "deps": pip resolves them.
resolve="${resolve:-no-deps}"
venv="${ANONLAB_VENV:-${HOME:-/tmp}/.cache/anonlab/$default_venv}"
base_python="${ANONLAB_PYTHON:-python3}"

export PIP_NO_INPUT=1
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONDONTWRITEBYTECODE=1

die() { echo "python-env.sh: $*" >&2; exit 1; }

[[ -f "$req" ]] || die "missing $req"
command -v "$base_python" >/dev/null 2>&1 || die "interpreter '$base_python' not found"
"$base_python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
    || die "$base_python is older than 3.10 (pycanon 1.3.6 needs >= 3.10)"

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
want="$( { cat "$req"; echo "python=$py_version"; echo "mode=$resolve-only-binary"; } \
         | sha256sum | cut -d' ' -f1)"

venv_ok() {
    [[ -x "$venv/bin/python" ]] && [[ -f "$stamp" ]] \
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
    no_deps="--no-deps"
    [[ "$resolve" == "deps" ]] && no_deps=""
    if ! "$venv/bin/python" -m pip install --quiet --no-input $no_deps \
            $only_binary -r "$req" >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "pip install failed; log: $log"
    fi
    if [[ "$resolve" == "deps" ]] && ! "$venv/bin/python" -m pip check >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "pip check failed (inconsistent pins in $req); log: $log"
    fi
    if ! "$venv/bin/python" -c "$import_check" >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "import check failed; log: $log"
    fi
    echo "$want" >"$stamp"
    echo "python-env.sh: installed oracle venv at $venv" >&2
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
