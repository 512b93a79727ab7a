#!/usr/bin/env bash
# Manual end-to-end check of the AnoMed *tabular* variant on loopback (no Rust involved):
# platform_mock + tabular_challenge_app (flchain as leaky data) + a byte-recording TCP
# proxy in front of it + tabular_anonymizer_app under gunicorn, then the platform's call
# sequence with curl:
#   before fit: POST /evaluate, GET /anon_data, GET /anon_data_scheme (errors)
#   POST /fit, POST /evaluate, GET /anon_data, GET /anon_data_scheme, GET /fit (405)
#   challenge: GET background knowledge, POST /utility/deanonymizer (raw Parquet)
#   a second challenge serving every column as strings + a second anonymizer: POST /fit,
#   /evaluate, and the released age / sample.yr must equal the first release's
#   proxy stopped: POST /fit and POST /evaluate (challenge unreachable)
# and prints the raw requests the anonymizer sent to the challenge (request line,
# headers, multipart part headers; Parquet bytes summarized).
#
#   crates/anonlab-server/tests/anomed/tabular_reference_flow.sh
#
# Environment:
#   ANOMED_BASE_PORT  first of 6 loopback ports (default 18201): platform mock +0,
#                     challenge +1, recording proxy +2, anonymizer +3,
#                     string challenge +4, second anonymizer +5
#   ANOMED_KEEP       1 keeps the work dir (logs, recordings, transcript) also on success
#   VENV_PY           python of the AnoMed venv (default: scripts/python-env.sh anomed's)
# Exit status 0 only if every call answered as expected.
# Every process started here is stopped by PID on exit (trap), also on failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../../../.." && pwd)"
die() { echo "tabular_reference_flow.sh: $*" >&2; exit 1; }
export PYTHONDONTWRITEBYTECODE=1  # gunicorn --chdir imports from this folder: no __pycache__ here
export OMP_NUM_THREADS=1          # pyarrow 19 often aborts at exit ("terminate called ...") otherwise

VENV_PY="${VENV_PY:-$("$repo_root/scripts/python-env.sh" anomed | tail -n1)}"
[[ -x "$VENV_PY" ]] || die "no python at $VENV_PY"
bin="$(dirname "$VENV_PY")"
[[ -x "$bin/gunicorn" ]] || die "no gunicorn beside $VENV_PY"
command -v curl >/dev/null || die "curl not found"
csv="$repo_root/crates/anonlab-arena/demo/flchain.csv"
[[ -f "$csv" ]] || die "no $csv"

base="${ANOMED_BASE_PORT:-18201}"
p_platform=$base p_chal=$((base + 1)) p_proxy=$((base + 2)) p_anon=$((base + 3))
p_chal2=$((base + 4)) p_anon2=$((base + 5))
work="$(mktemp -d "${TMPDIR:-/tmp}/anomed-tabular.XXXXXX")"
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
        echo "tabular_reference_flow.sh: work dir kept: $work" >&2
    else
        rm -rf "$work"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in $p_platform $p_chal $p_proxy $p_anon $p_chal2 $p_anon2; do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/"; then
        die "port $p is already in use (set ANOMED_BASE_PORT)"
    fi
done
mkdir -p "$work/anon" "$work/anon2" "$work/rec"

# A TCP proxy that records, per connection, the exact bytes client->server (NNN.req)
# and server->client (NNN.resp).
cat >"$work/record_proxy.py" <<'EOF'
import itertools, socket, sys, threading
listen, upstream, out = sys.argv[1], sys.argv[2], sys.argv[3]
counter = itertools.count(1)
def pump(src, dst, path):
    with open(path, "wb") as rec:
        while data := src.recv(65536):
            rec.write(data); rec.flush(); dst.sendall(data)
    try: dst.shutdown(socket.SHUT_WR)
    except OSError: pass
def serve(client):
    n = next(counter)
    host, port = upstream.rsplit(":", 1)
    server = socket.create_connection((host, int(port)))
    threads = [threading.Thread(target=pump, args=(client, server, f"{out}/{n:03d}.req")),
               threading.Thread(target=pump, args=(server, client, f"{out}/{n:03d}.resp"))]
    for t in threads: t.start()
    for t in threads: t.join()
    client.close(); server.close()
host, port = listen.rsplit(":", 1)
lsock = socket.create_server((host, int(port)))
while True:
    conn, _ = lsock.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
EOF

# Prints a recorded request: request line, headers, multipart part headers, body summaries.
cat >"$work/show_request.py" <<'EOF'
import re, sys
raw = open(sys.argv[1], "rb").read()
head, _, body = raw.partition(b"\r\n\r\n")
print(head.decode("latin-1"))
m = re.search(rb"boundary=([^\r\n;]+)", head)
def summary(b):
    return f"<{len(b)} bytes, starts {b[:4]!r}, ends {b[-4:]!r}>" if b else "<empty>"
if not m:
    print(f"[body {summary(body)}]")
    sys.exit()
boundary = b"--" + m[1]
print(f"[body: {len(body)} bytes, boundary {m[1].decode()}]")
for part in body.split(boundary)[1:]:
    if part.startswith(b"--"):
        print(f"{boundary.decode()}--" + ("" if part == b"--\r\n" else f" + {part[2:]!r}"))
        break
    phead, _, pbody = part[2:].partition(b"\r\n\r\n")
    pbody = pbody[:-2]  # CRLF before the next boundary
    print(boundary.decode())
    print(phead.decode("latin-1"))
    print("   " + (repr(pbody.decode()) if len(pbody) < 100 else summary(pbody)))
EOF

# --- servers (exec: $! is the gunicorn master) ----------------------------------------
start() {  # name port module [VAR=value ...]
    local name=$1 port=$2 module=$3; shift 3
    ( exec env "$@" "$bin/gunicorn" --bind "127.0.0.1:$port" --timeout 300 --chdir "$here" \
          "$module:application" ) >"$work/$name.log" 2>&1 &
    pids+=($!)
    eval "pid_$name=$!"
}
wait_up() {  # name port pid
    local name=$1 port=$2 pid=$3
    for _ in $(seq 300); do
        curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/" && return 0
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$work/$name.log" >&2; die "$name (pid $pid) died"; }
        sleep 0.2
    done
    tail -n 30 "$work/$name.log" >&2
    die "$name did not answer GET / on port $port within 60 s"
}

t0=$(date +%s%N)
start platform "$p_platform" platform_mock ANOMED_PUSH_LOG="$work/pushes.jsonl"
start challenge "$p_chal" tabular_challenge_app ANOMED_HOST="127.0.0.1:$p_platform" \
    ANOMED_LEAKY_CSV="$csv" ANOMED_UTILITY_LOG="$work/evaluations.jsonl"
( exec "$VENV_PY" "$work/record_proxy.py" "127.0.0.1:$p_proxy" "127.0.0.1:$p_chal" "$work/rec" ) \
    >"$work/proxy.log" 2>&1 &
pids+=($!)
pid_proxy=$!
start anonymizer "$p_anon" tabular_anonymizer_app CHALLENGE_HOST="127.0.0.1:$p_proxy" \
    ANOMED_MODEL_DIR="$work/anon"
start challenge2 "$p_chal2" tabular_challenge_app ANOMED_HOST="127.0.0.1:$p_platform" \
    ANOMED_LEAKY_CSV="$csv" ANOMED_LEAKY_AS_STRINGS=1 ANOMED_UTILITY_LOG="$work/evaluations.jsonl"
start anonymizer2 "$p_anon2" tabular_anonymizer_app CHALLENGE_HOST="127.0.0.1:$p_chal2" \
    ANOMED_MODEL_DIR="$work/anon2"
wait_up platform "$p_platform" "$pid_platform"
wait_up challenge "$p_chal" "$pid_challenge"
wait_up proxy "$p_proxy" "$pid_proxy"
wait_up anonymizer "$p_anon" "$pid_anonymizer"
wait_up challenge2 "$p_chal2" "$pid_challenge2"
wait_up anonymizer2 "$p_anon2" "$pid_anonymizer2"
rm -f "$work"/rec/*  # drop the wait_up probes that went through the proxy
echo "6 servers up in $((($(date +%s%N) - t0) / 1000000)) ms" | tee -a "$transcript"

# --- calls ---------------------------------------------------------------------------
call() {  # label want method url [curl args...]; body in $work/body, headers in $work/headers
    local label=$1 want=$2 method=$3 url=$4 code t1 t2 shown; shift 4
    t1=$(date +%s%N)
    code="$(curl -s -D "$work/headers" -o "$work/body" -w '%{http_code}' --max-time 600 \
        -X "$method" "$@" "$url")" || code=000
    t2=$(date +%s%N)
    if LC_ALL=C grep -q '[^[:print:][:space:]]' "$work/body"; then
        shown="<$(wc -c <"$work/body") bytes binary, $(grep -i '^content-type' "$work/headers" | tr -d '\r')>"
    else
        shown="$(cat "$work/body")"
    fi
    printf '%-44s -> %s (%d ms) %s\n' "$label" "$code" $(((t2 - t1) / 1000000)) "$shown" \
        | tee -a "$transcript"
    [[ "$code" == "$want" ]] || { echo "  ^ expected $want" | tee -a "$transcript"; failed=1; }
}
A="http://127.0.0.1:$p_anon" A2="http://127.0.0.1:$p_anon2" C="http://127.0.0.1:$p_chal"
call "anonymizer GET /" 200 GET "$A/"
call "anonymizer POST /evaluate (not fitted)" 503 POST "$A/evaluate"
call "anonymizer GET /anon_data (not fitted)" 500 GET "$A/anon_data"
call "anonymizer GET /anon_data_scheme (not fitted)" 500 GET "$A/anon_data_scheme"
call "anonymizer POST /fit" 201 POST "$A/fit"
call "anonymizer POST /evaluate" 201 POST "$A/evaluate"
call "anonymizer POST /evaluate?anonymizer=x" 201 POST "$A/evaluate?anonymizer=x&data_split=tuning"
call "anonymizer GET /anon_data" 200 GET "$A/anon_data"
cp "$work/body" "$work/anon_data.parquet"
call "anonymizer GET /anon_data_scheme" 200 GET "$A/anon_data_scheme"
call "anonymizer GET /fit (wrong method)" 405 GET "$A/fit"
call "anonymizer GET /nope" 404 GET "$A/nope"
call "challenge GET /data/deanonymizer/background-knowledge" 200 GET "$C/data/deanonymizer/background-knowledge"
call "challenge POST /utility/deanonymizer (release)" 201 POST "$C/utility/deanonymizer" \
    --data-binary "@$work/anon_data.parquet"
call "challenge POST /utility/anonymizer (raw, form CT)" 400 POST "$C/utility/anonymizer" \
    --data-binary "@$work/anon_data.parquet"
call "challenge POST /utility/anonymizer (raw, octet CT)" 415 POST "$C/utility/anonymizer" \
    -H 'Content-Type: application/octet-stream' --data-binary "@$work/anon_data.parquet"
call "challenge POST /utility/anonymizer (curl -F file)" 201 POST "$C/utility/anonymizer" \
    -F "anon_data=@$work/anon_data.parquet" -F anon_scheme=generalization
call "challenge POST /utility/anonymizer (scheme json)" 201 POST "$C/utility/anonymizer" \
    -F "anon_data=@$work/anon_data.parquet" -F 'anon_scheme=generalization;type=application/json'
call "strings: anonymizer2 POST /fit" 201 POST "$A2/fit"
call "strings: anonymizer2 POST /evaluate" 201 POST "$A2/evaluate"
call "strings: anonymizer2 GET /anon_data" 200 GET "$A2/anon_data"
cp "$work/body" "$work/anon_data2.parquet"

echo "--- release (anonymizer GET /anon_data, pyarrow schema and first rows)" | tee -a "$transcript"
if ! "$VENV_PY" - "$work/anon_data.parquet" "$work/anon_data2.parquet" "$csv" <<'EOF' 2>&1 | tee -a "$transcript"; then failed=1; fi
import sys
import pandas as pd, pyarrow.parquet as pq
one, two, csv = sys.argv[1:4]
t = pq.read_table(one)
print(t.schema.to_string(show_schema_metadata=False))
print("pandas metadata index:", t.schema.pandas_metadata["index_columns"], "| compression:",
      pq.ParquetFile(one).metadata.row_group(0).column(0).compression)
a, b, leaky = pd.read_parquet(one), pd.read_parquet(two), pd.read_csv(csv)
print(a.head(3).to_string())
assert len(a) == len(leaky), "row count"
assert list(a.columns) == list(leaky.columns), "columns"
assert a["sex"].tolist() == leaky["sex"].tolist(), "row order / sex"
assert a["futime"].tolist() == leaky["futime"].tolist(), "row order / futime"
for c in ("age", "sample.yr"):
    assert a[c].tolist() == b[c].tolist(), f"{c}: number and string input give different releases"
print(f"ok: {len(a)} rows in order, age / sample.yr equal for numeric and string input;",
      "string-input release dtypes:", dict(b.dtypes.astype(str)))
EOF

kill -TERM "$pid_proxy"; wait "$pid_proxy" 2>/dev/null || true
call "challenge down: anonymizer POST /fit" 503 POST "$A/fit"
call "challenge down: anonymizer POST /evaluate" 500 POST "$A/evaluate"

echo "--- challenge-side evaluations (ANOMED_UTILITY_LOG)" | tee -a "$transcript"
sed 's/^/  /' "$work/evaluations.jsonl" | tee -a "$transcript"
pushes=0
[[ -f "$work/pushes.jsonl" ]] && pushes=$(wc -l <"$work/pushes.jsonl")
echo "platform mock received $pushes pushes (want 6: 5 anonymizer + 1 deanonymizer)" | tee -a "$transcript"
[[ "$pushes" == 6 ]] || failed=1

echo "--- raw requests anonymizer -> challenge (recorded by the proxy)" | tee -a "$transcript"
for f in "$work"/rec/*.req; do
    [[ -s "$f" ]] || continue
    echo "== $(basename "$f")" | tee -a "$transcript"
    "$VENV_PY" "$work/show_request.py" "$f" | tee -a "$transcript"
    LC_ALL=C awk '/^\r?$/ {exit} {sub(/\r$/, ""); print "   < " $0}' "${f%.req}.resp" | tee -a "$transcript"
done

if [[ $failed -ne 0 ]]; then
    echo "tabular_reference_flow.sh: FAILED (transcript: $transcript)" >&2
    exit 1
fi
echo "tabular_reference_flow.sh: all calls answered as expected"
