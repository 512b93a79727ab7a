#!/usr/bin/env bash
# Manual end-to-end check of the AnoMed reference stack on loopback (no Rust involved):
# platform_mock + reference challenge + README example anonymizer + deanonymizer under
# gunicorn, then the platform's call sequence with curl:
#   anonymizer   POST /fit, POST /evaluate?data_split=tuning, POST /evaluate?data_split=validation
#   deanonymizer POST /fit, POST /evaluate?data_split=tuning, POST /evaluate?data_split=validation
# and finally client_compare.py against a second reference challenge behind
# prefix_proxy.py (the reference posing as "ours"; proves the comparison script runs).
#
#   crates/anonlab-server/tests/anomed/reference_flow.sh
#
# Environment:
#   ANOMED_BASE_PORT  first of 6 loopback ports (default 18101): platform mock +0,
#                     challenge +1, anonymizer +2, deanonymizer +3, second challenge +4,
#                     prefix proxy +5
#   ANOMED_DATASET    iris | synthetic (default synthetic: 2000 rows, 4 features, 3 classes)
#   ANOMED_COMPARE    1 (default) runs client_compare.py at the end; 0 skips it
#   ANOMED_KEEP       1 keeps the work dir (logs, models, transcript) also on success
#   VENV_PY           python of the AnoMed venv (default: scripts/python-env.sh anomed's)
# Exit status 0 only if every call answered 201 and client_compare.py passed.
# Every process started here is stopped by PID on exit (trap), also on failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../../../.." && pwd)"
die() { echo "reference_flow.sh: $*" >&2; exit 1; }
export PYTHONDONTWRITEBYTECODE=1  # gunicorn --chdir imports from this folder: no __pycache__ here

VENV_PY="${VENV_PY:-$("$repo_root/scripts/python-env.sh" anomed | tail -n1)}"
[[ -x "$VENV_PY" ]] || die "no python at $VENV_PY"
bin="$(dirname "$VENV_PY")"
[[ -x "$bin/gunicorn" ]] || die "no gunicorn beside $VENV_PY"
command -v curl >/dev/null || die "curl not found"

base="${ANOMED_BASE_PORT:-18101}"
p_platform=$base p_chal=$((base + 1)) p_anon=$((base + 2)) p_deanon=$((base + 3))
p_chal2=$((base + 4)) p_proxy=$((base + 5))
dataset="${ANOMED_DATASET:-synthetic}"
work="$(mktemp -d "${TMPDIR:-/tmp}/anomed-flow.XXXXXX")"
transcript="$work/transcript.txt"
pids=()
failed=0

cleanup() {
    local rc=$?
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ $rc -ne 0 || "${ANOMED_KEEP:-0}" == 1 ]]; then
        echo "reference_flow.sh: work dir kept: $work" >&2
    else
        rm -rf "$work"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in $p_platform $p_chal $p_anon $p_deanon $p_chal2 $p_proxy; do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/"; then
        die "port $p is already in use (set ANOMED_BASE_PORT)"
    fi
done

# --- data -----------------------------------------------------------------------------
meta="$("$VENV_PY" "$here/make_challenge_npz.py" --out "$work/challenge.npz" --dataset "$dataset" | tail -n1)"
bounds="$("$VENV_PY" -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])["bounds"]))' "$meta")"
n_features="$("$VENV_PY" -c 'import json,sys; print(json.loads(sys.argv[1])["n_features"])' "$meta")"
n_classes="$("$VENV_PY" -c 'import json,sys; print(json.loads(sys.argv[1])["n_classes"])' "$meta")"
echo "dataset $dataset: $meta" | tee -a "$transcript"
mkdir -p "$work/anon" "$work/deanon"

# --- servers (exec: $! is the gunicorn master) ----------------------------------------
start() {  # name port module [VAR=value ...]
    local name=$1 port=$2 module=$3; shift 3
    ( exec env "$@" "$bin/gunicorn" --bind "127.0.0.1:$port" --timeout 300 --chdir "$here" \
          "$module:application" ) >"$work/$name.log" 2>&1 &
    pids+=($!)
    eval "pid_$name=$!"
}
wait_up() {  # name port pid [path]
    local name=$1 port=$2 pid=$3 path=${4:-/}
    for _ in $(seq 300); do
        curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port$path" && return 0
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$work/$name.log" >&2; die "$name (pid $pid) died"; }
        sleep 0.2
    done
    tail -n 30 "$work/$name.log" >&2
    die "$name did not answer GET / on port $port within 60 s"
}

t0=$(date +%s%N)
start platform "$p_platform" platform_mock ANOMED_PUSH_LOG="$work/pushes.jsonl"
start challenge "$p_chal" challenge_app ANOMED_HOST="127.0.0.1:$p_platform" \
    ANOMED_CHALLENGE_NPZ="$work/challenge.npz"
start anonymizer "$p_anon" anonymizer_app CHALLENGE_HOST="127.0.0.1:$p_chal" \
    ANOMED_MODEL_DIR="$work/anon" ANOMED_FEATURE_BOUNDS="$bounds" ANOMED_CLASSES="$n_classes"
start deanonymizer "$p_deanon" deanonymizer_app CHALLENGE_HOST="127.0.0.1:$p_chal" \
    ATTACK_TARGET_HOST="127.0.0.1:$p_anon" ANOMED_MODEL_DIR="$work/deanon" \
    ANOMED_N_FEATURES="$n_features" ANOMED_CLASSES="$n_classes"
wait_up platform "$p_platform" "$pid_platform"
wait_up challenge "$p_chal" "$pid_challenge"
wait_up anonymizer "$p_anon" "$pid_anonymizer"
wait_up deanonymizer "$p_deanon" "$pid_deanonymizer"
echo "4 servers up in $((($(date +%s%N) - t0) / 1000000)) ms" | tee -a "$transcript"

# --- the platform's call sequence ------------------------------------------------------
call() {  # label want url
    local label=$1 want=$2 url=$3 code t1 t2
    t1=$(date +%s%N)
    code="$(curl -s -o "$work/body" -w '%{http_code}' --max-time 600 -X POST "$url")" || code=000
    t2=$(date +%s%N)
    printf '%-34s -> %s (%d ms) %s\n' "$label" "$code" $(((t2 - t1) / 1000000)) "$(cat "$work/body")" \
        | tee -a "$transcript"
    [[ "$code" == "$want" ]] || { echo "  ^ expected $want" | tee -a "$transcript"; failed=1; }
}
A="http://127.0.0.1:$p_anon" D="http://127.0.0.1:$p_deanon"
call "anonymizer POST /fit" 201 "$A/fit"
call "anonymizer POST /evaluate tuning" 201 "$A/evaluate?data_split=tuning"
call "anonymizer POST /evaluate validation" 201 "$A/evaluate?data_split=validation"
call "deanonymizer POST /fit" 201 "$D/fit"
call "deanonymizer POST /evaluate tuning" 201 "$D/evaluate?data_split=tuning"
call "deanonymizer POST /evaluate validation" 201 "$D/evaluate?data_split=validation"
pushes=0
[[ -f "$work/pushes.jsonl" ]] && pushes=$(wc -l <"$work/pushes.jsonl")
echo "platform mock received $pushes pushes (want 4)" | tee -a "$transcript"
[[ -f "$work/pushes.jsonl" ]] && sed 's/^/  push: /' "$work/pushes.jsonl" | tee -a "$transcript"
[[ "$pushes" == 4 ]] || failed=1

# --- client_compare.py: a second reference instance behind a prefix proxy as "ours" ----
if [[ "${ANOMED_COMPARE:-1}" == 1 ]]; then
    start challenge2 "$p_chal2" challenge_app ANOMED_HOST="127.0.0.1:$p_platform" \
        ANOMED_CHALLENGE_NPZ="$work/challenge.npz" ANOMED_SEED=7
    ( exec "$VENV_PY" "$here/prefix_proxy.py" --listen "127.0.0.1:$p_proxy" --prefix /anomed/c1 \
          --upstream "127.0.0.1:$p_chal2" ) >"$work/proxy.log" 2>&1 &
    pids+=($!)
    pid_proxy=$!
    wait_up challenge2 "$p_chal2" "$pid_challenge2"
    wait_up proxy "$p_proxy" "$pid_proxy" /anomed/c1/
    echo "client_compare.py --ours http://127.0.0.1:$p_proxy/anomed/c1 --reference http://127.0.0.1:$p_chal --allow-reference-bugs" \
        | tee -a "$transcript"
    if ! "$VENV_PY" "$here/client_compare.py" --ours "http://127.0.0.1:$p_proxy/anomed/c1" \
            --reference "http://127.0.0.1:$p_chal" --allow-reference-bugs >"$work/compare.txt" 2>&1; then
        failed=1
    fi
    sed 's/^/  /' "$work/compare.txt" | tee -a "$transcript"
fi

if [[ $failed -ne 0 ]]; then
    echo "reference_flow.sh: FAILED (transcript: $transcript)" >&2
    exit 1
fi
echo "reference_flow.sh: all calls answered as expected"
