"""Client-side conformance check: our challenge server vs the anomed-challenge reference.

  python client_compare.py --ours http://HOST:PORT/PREFIX --reference http://HOST:PORT
                           [--anonymizer a] [--deanonymizer d] [--allow-reference-bugs]

Sends both servers the requests a real anomed client sends (python-requests, raw
NPZ bytes, no Content-Type header) and compares what a client can observe:
status codes, NPZ array names / dtypes / ndim / column counts (row counts may
differ: the splits are each server's own), JSON bodies of the utility routes and
the error answers. Our server may serve the routes under a path prefix; every
route path is appended to the given base URL.

Where the reference answers 500 on a bad input (wrong prediction dtype or
length, empty body, bare .npy: uncaught exceptions in anomed-challenge 0.0.21),
the check only demands that ours answers 400 with a JSON `title` and
`description`. --allow-reference-bugs also accepts ours answering exactly like
the reference there (only for running the script against the reference itself).

Prints one line per check (`ok` / `DIFF` + details) and a JSON summary as the
last line. Exit status 1 if any check failed (2 on usage errors).
"""

import argparse
import io
import json
import sys
from typing import Any, Callable

import numpy as np
import requests

TIMEOUT = 10.0  # the anomed clients' download/upload timeout

DATA_ROUTES = [
    "/data/anonymizer/training",
    "/data/anonymizer/tuning",
    "/data/anonymizer/validation",
    "/data/deanonymizer/members",
    "/data/deanonymizer/non-members",
]


def npz_bytes(**arrays: np.ndarray) -> bytes:
    """What anomed_utils.named_ndarrays_to_bytes sends."""
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


class Reply:
    """What a client can observe of one exchange (or the transport error)."""

    def __init__(self, resp: requests.Response | None, error: str | None = None):
        self.status = resp.status_code if resp is not None else None
        self.body = resp.content if resp is not None else b""
        self.error = error

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def npz(self) -> tuple[dict[str, np.ndarray] | None, str | None]:
        """Decode like anomed_utils.bytes_to_named_ndarrays (np.load, allow_pickle=False)."""
        try:
            loaded = np.load(io.BytesIO(self.body), allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):
                return None, f"not an NPZ archive (np.load gave {type(loaded).__name__})"
            return {name: loaded[name] for name in loaded.files}, None
        except Exception as exc:  # noqa: BLE001 - any decode failure is a finding
            return None, f"np.load failed: {type(exc).__name__}: {exc}"

    def short(self) -> str:
        if self.error:
            return f"transport error {self.error}"
        text = self.body[:120]
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            text = repr(text)
        return f"{self.status} {text!s}"


DEANONYMIZER_PATHS = ("/data/deanonymizer", "/data/attack-success-evaluation", "/utility/deanonymizer")


class Server:
    """A challenge; `deanonymizer_base` serves the deanonymizer's routes when
    they live under another URL (anonlab gives each app its own secret link)."""

    def __init__(self, name: str, base: str, deanonymizer_base: str | None = None):
        self.name = name
        self.base = base.rstrip("/")
        self.deanonymizer_base = (deanonymizer_base or base).rstrip("/")
        self.session = requests.Session()

    def _do(self, method: str, path: str, params: dict | None, data: bytes | None) -> Reply:
        base = self.deanonymizer_base if path.startswith(DEANONYMIZER_PATHS) else self.base
        try:
            # data=bytes: requests sets Content-Length only, no Content-Type,
            # exactly like anomed_anonymizer / anomed_deanonymizer.
            resp = self.session.request(
                method, base + path, params=params, data=data, timeout=TIMEOUT
            )
            return Reply(resp)
        except requests.RequestException as exc:
            return Reply(None, f"{type(exc).__name__}: {exc}")

    def get(self, path: str, params: dict | None = None) -> Reply:
        return self._do("GET", path, params, None)

    def post(self, path: str, data: bytes, params: dict | None = None) -> Reply:
        return self._do("POST", path, params, data)


class Checker:
    def __init__(self) -> None:
        self.results: list[tuple[str, bool, str]] = []

    def record(self, name: str, ok: bool, detail: str) -> bool:
        self.results.append((name, ok, detail))
        print(f"{'ok  ' if ok else 'DIFF'} {name}: {detail}", flush=True)
        return ok

    def summary(self, ours: str, reference: str) -> dict:
        failed = [n for n, ok, _ in self.results if not ok]
        return dict(
            checks=len(self.results),
            ok=len(self.results) - len(failed),
            diff=len(failed),
            failed=failed,
            ours=ours,
            reference=reference,
        )


def is_float_metric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def describe_arrays(arrays: dict[str, np.ndarray]) -> dict[str, tuple[str, int, Any]]:
    """name -> (dtype.str, ndim, columns) where columns = shape[1:] (rows excluded)."""
    return {k: (v.dtype.str, v.ndim, tuple(v.shape[1:])) for k, v in sorted(arrays.items())}


def check_alive(c: Checker, ours: Server, ref: Server) -> None:
    o, r = ours.get("/"), ref.get("/")
    problems = []
    for who, rep in (("ours", o), ("reference", r)):
        body = rep.json()
        if rep.status != 200:
            problems.append(f"{who} status {rep.short()}")
        elif not (isinstance(body, dict) and isinstance(body.get("message"), str)):
            problems.append(f"{who} body has no JSON string 'message': {rep.short()}")
    c.record("GET /", not problems, "; ".join(problems) or f"200 message={o.json().get('message')!r}")


def check_data(c: Checker, ours: Server, ref: Server, path: str, params: dict | None = None
               ) -> tuple[dict | None, dict | None]:
    """Compare one data GET; returns (ours arrays, reference arrays)."""
    label = "GET " + path + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
    o, r = ours.get(path, params), ref.get(path, params)
    problems = []
    if r.status != 200:
        problems.append(f"reference status {r.short()}")
    if o.status != 200:
        problems.append(f"ours status {o.short()}")
    o_arr = r_arr = None
    if o.status == 200:
        o_arr, err = o.npz()
        if err:
            problems.append(f"ours: {err}")
    if r.status == 200:
        r_arr, err = r.npz()
        if err:
            problems.append(f"reference: {err}")
    if o_arr is not None and r_arr is not None:
        od, rd = describe_arrays(o_arr), describe_arrays(r_arr)
        if set(od) != set(rd):
            problems.append(f"array names ours={sorted(od)} reference={sorted(rd)}")
        for name in sorted(set(od) & set(rd)):
            (odt, ond, ocol), (rdt, rnd, rcol) = od[name], rd[name]
            if odt != rdt:
                problems.append(f"{name} dtype ours={odt} reference={rdt}")
            if ond != rnd:
                problems.append(f"{name} ndim ours={ond} reference={rnd}")
            elif ocol != rcol:
                problems.append(f"{name} columns ours={ocol} reference={rcol}")
    if o_arr is not None and r_arr is not None and not problems:
        shapes = ", ".join(
            f"{k} {v.dtype.str} ours{v.shape}/ref{r_arr[k].shape}" for k, v in sorted(o_arr.items())
        )
        detail = f"200 npz {shapes}"
    else:
        detail = "; ".join(problems)
    c.record(label, not problems, detail)
    return o_arr, r_arr


def check_status(c: Checker, label: str, o: Reply, r: Reply, want: int,
                 want_title: bool = False) -> None:
    problems = []
    for who, rep in (("ours", o), ("reference", r)):
        if rep.status != want:
            problems.append(f"{who} answered {rep.short()} (want {want})")
        elif want_title:
            body = rep.json()
            if not (isinstance(body, dict) and isinstance(body.get("title"), str)):
                problems.append(f"{who} body has no JSON 'title': {rep.short()}")
    c.record(label, not problems, "; ".join(problems) or f"both {want}"
             + (f" title={o.json().get('title')!r}" if want_title and o.json() else ""))


def check_reference_bug(c: Checker, label: str, o: Reply, r: Reply, allow_ref_bugs: bool) -> None:
    """Reference answers 500 (uncaught exception); ours must answer 400 + JSON title/description."""
    body = o.json()
    ours_good = (
        o.status == 400
        and isinstance(body, dict)
        and isinstance(body.get("title"), str)
        and isinstance(body.get("description"), str)
    )
    if r.status != 500:
        # The reference got fixed (or behaves differently than known): compare plainly.
        c.record(label, o.status == r.status or ours_good,
                 f"reference no longer 500: reference {r.short()}; ours {o.short()}")
        return
    if ours_good:
        c.record(label, True, f"ours 400 title={body['title']!r} (reference 500, known bug)")
    elif allow_ref_bugs and o.status == r.status:
        c.record(label, True, f"ours {o.status} like the reference (known bug tolerated)")
    else:
        c.record(label, False, f"want 400 with JSON title+description, ours {o.short()} "
                               f"(reference {r.status}, known bug)")


def check_utility_ok(c: Checker, label: str, o: Reply, r: Reply,
                     keys_check: Callable[[set, set], str | None]) -> None:
    problems = []
    bodies = {}
    for who, rep in (("ours", o), ("reference", r)):
        body = rep.json()
        bodies[who] = body
        if rep.status != 201:
            problems.append(f"{who} answered {rep.short()} (want 201)")
        elif not (isinstance(body, dict) and body and all(is_float_metric(v) for v in body.values())):
            problems.append(f"{who} body is not a JSON object of floats: {rep.short()}")
    if not problems:
        err = keys_check(set(bodies["ours"]), set(bodies["reference"]))
        if err:
            problems.append(err)
    c.record(label, not problems, "; ".join(problems)
             or f"201 ours={json.dumps(bodies['ours'])} reference={json.dumps(bodies['reference'])}")


def run(ours: Server, ref: Server, anon_id: str, deanon_id: str, allow_ref_bugs: bool) -> Checker:
    c = Checker()
    check_alive(c, ours, ref)

    # --- data routes -------------------------------------------------------------
    arrays: dict[str, tuple[dict | None, dict | None]] = {}
    for path in DATA_ROUTES:
        arrays[path] = check_data(c, ours, ref, path)
    attack_params = {
        split: dict(anonymizer=anon_id, deanonymizer=deanon_id, data_split=split)
        for split in ("tuning", "validation")
    }
    for split, params in attack_params.items():
        arrays["attack:" + split] = check_data(
            c, ours, ref, "/data/attack-success-evaluation", params
        )

    # --- utility: anonymizer -----------------------------------------------------
    def target_dtype(which: int) -> np.dtype:
        train = arrays["/data/anonymizer/training"][which]
        return train["y"].dtype if train and "y" in train else np.dtype(np.int64)

    def rows(key: str, which: int) -> int | None:
        arr = arrays[key][which]
        return int(arr["X"].shape[0]) if arr and "X" in arr else None

    def anon_prediction(which: int, split: str, extra: int = 0, dtype: Any = None) -> bytes | None:
        n = rows(f"/data/anonymizer/{split}", which)
        if n is None:
            return None
        dt = target_dtype(which) if dtype is None else dtype
        train = arrays["/data/anonymizer/training"][which]
        fill = train["y"][0] if train and train["y"].size else 0  # a plausible label
        return npz_bytes(prediction=np.full(n + extra, fill, dtype=dt))

    def both_post(path: str, o_body: bytes | None, r_body: bytes | None, params: dict | None
                  ) -> tuple[Reply, Reply] | None:
        if o_body is None or r_body is None:
            return None
        return ours.post(path, o_body, params), ref.post(path, r_body, params)

    def need(label: str, pair: tuple[Reply, Reply] | None) -> tuple[Reply, Reply] | None:
        if pair is None:
            c.record(label, False, "skipped: the data GET it depends on failed")
        return pair

    same_keys = lambda o, r: None if o == r else f"metric keys ours={sorted(o)} reference={sorted(r)}"
    for split in ("tuning", "validation"):
        label = f"POST /utility/anonymizer?data_split={split} (correct prediction)"
        pair = need(label, both_post("/utility/anonymizer", anon_prediction(0, split),
                                     anon_prediction(1, split),
                                     dict(anonymizer=anon_id, data_split=split)))
        if pair:
            check_utility_ok(c, label, *pair, same_keys)

    # --- utility: deanonymizer ---------------------------------------------------
    def mia_prediction(which: int, split: str, extra: int = 0, dtype: Any = bool) -> bytes | None:
        n = rows("attack:" + split, which)
        if n is None:
            return None
        return npz_bytes(prediction=np.ones(n + extra, dtype=dtype))

    def mia_keys(o: set, r: set) -> str | None:
        need_keys = {"acc", "tpr", "fpr"}
        missing = [f"{who} lacks {sorted(need_keys - ks)}" for who, ks in (("ours", o), ("reference", r))
                   if not need_keys <= ks]
        return "; ".join(missing) or None

    for split in ("tuning", "validation"):
        label = f"POST /utility/deanonymizer?data_split={split} (all-member bool prediction)"
        pair = need(label, both_post("/utility/deanonymizer", mia_prediction(0, split),
                                     mia_prediction(1, split), attack_params[split]))
        if pair:
            check_utility_ok(c, label, *pair, mia_keys)

    # --- bad inputs: same answer expected from both ---------------------------------
    for label, params in [
        ("no query params", None),
        ("missing data_split", dict(anonymizer=anon_id, deanonymizer=deanon_id)),
        ("missing anonymizer", dict(deanonymizer=deanon_id, data_split="tuning")),
        ("missing deanonymizer", dict(anonymizer=anon_id, data_split="tuning")),
    ]:
        check_status(c, f"GET /data/attack-success-evaluation ({label})",
                     ours.get("/data/attack-success-evaluation", params),
                     ref.get("/data/attack-success-evaluation", params), 400)

    tune_anon = (anon_prediction(0, "tuning"), anon_prediction(1, "tuning"))
    tune_mia = (mia_prediction(0, "tuning"), mia_prediction(1, "tuning"))
    pair = need("POST /utility/anonymizer (missing data_split)",
                both_post("/utility/anonymizer", *tune_anon, dict(anonymizer=anon_id)))
    if pair:
        check_status(c, "POST /utility/anonymizer (missing data_split)", *pair, 400, want_title=True)
    pair = need("POST /utility/deanonymizer (missing query params)",
                both_post("/utility/deanonymizer", *tune_mia, None))
    if pair:
        check_status(c, "POST /utility/deanonymizer (missing query params)", *pair, 400, want_title=True)

    not_npz = b"this is not an npz archive"
    npz_without_prediction = npz_bytes(X=np.zeros((3, 4)))
    npz_object_array = npz_bytes(prediction=np.array([{"a": 1}, None], dtype=object))
    anon_q = dict(anonymizer=anon_id, data_split="tuning")
    deanon_q = attack_params["tuning"]
    for route, params in (("/utility/anonymizer", anon_q), ("/utility/deanonymizer", deanon_q)):
        for label, body in (("body not NPZ", not_npz),
                            ("NPZ without 'prediction'", npz_without_prediction),
                            ("NPZ with a pickled object array", npz_object_array)):
            check_status(c, f"POST {route} ({label})", ours.post(route, body, params),
                         ref.post(route, body, params), 400, want_title=True)

    for path in ("/no/such/route", "/data/anonymizer/nonexistent", "/utility"):
        check_status(c, f"GET {path} (unknown path)", ours.get(path), ref.get(path), 404)
    check_status(c, "GET /utility/anonymizer (wrong method)",
                 ours.get("/utility/anonymizer", anon_q), ref.get("/utility/anonymizer", anon_q), 405)
    check_status(c, "GET /utility/deanonymizer (wrong method)",
                 ours.get("/utility/deanonymizer", deanon_q),
                 ref.get("/utility/deanonymizer", deanon_q), 405)
    check_status(c, "POST /data/anonymizer/training (wrong method)",
                 ours.post("/data/anonymizer/training", b""),
                 ref.post("/data/anonymizer/training", b""), 405)

    # --- bad inputs where the reference answers 500 (known bugs) ---------------------
    def bug(label: str, route: str, o_body: bytes | None, r_body: bytes | None, params: dict) -> None:
        pair = need(f"POST {route} ({label})", both_post(route, o_body, r_body, params))
        if pair:
            check_reference_bug(c, f"POST {route} ({label})", *pair, allow_ref_bugs)

    bug("prediction float64 instead of the target dtype", "/utility/anonymizer",
        anon_prediction(0, "tuning", dtype=np.float64), anon_prediction(1, "tuning", dtype=np.float64),
        anon_q)
    bug("prediction one row too long", "/utility/anonymizer",
        anon_prediction(0, "tuning", extra=1), anon_prediction(1, "tuning", extra=1), anon_q)
    bug("prediction one row too short", "/utility/anonymizer",
        anon_prediction(0, "tuning", extra=-1), anon_prediction(1, "tuning", extra=-1), anon_q)
    bug("membership prediction int64 instead of bool", "/utility/deanonymizer",
        mia_prediction(0, "tuning", dtype=np.int64), mia_prediction(1, "tuning", dtype=np.int64),
        deanon_q)
    bug("membership prediction one row too long", "/utility/deanonymizer",
        mia_prediction(0, "tuning", extra=1), mia_prediction(1, "tuning", extra=1), deanon_q)
    bug("empty body", "/utility/anonymizer", b"", b"", anon_q)
    bug("bare .npy instead of NPZ", "/utility/anonymizer",
        npy_bytes(np.zeros(3, dtype=np.int64)), npy_bytes(np.zeros(3, dtype=np.int64)), anon_q)
    return c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", required=True, help="base URL of our challenge, e.g. http://127.0.0.1:8080/anomed/c1")
    ap.add_argument("--ours-deanonymizer", help="base URL of our challenge for the deanonymizer's routes "
                    "(anonlab gives each app its own link); default: --ours")
    ap.add_argument("--reference", required=True, help="base URL of the reference challenge")
    ap.add_argument("--anonymizer", default="example_anonymizer")
    ap.add_argument("--deanonymizer", default="example_deanonymizer")
    ap.add_argument("--allow-reference-bugs", action="store_true",
                    help="accept ours answering like the reference where the reference answers 500")
    args = ap.parse_args()
    c = run(Server("ours", args.ours, args.ours_deanonymizer), Server("reference", args.reference),
            args.anonymizer, args.deanonymizer, args.allow_reference_bugs)
    summary = c.summary(args.ours, args.reference)
    print(json.dumps(summary))
    return 1 if summary["diff"] else 0


if __name__ == "__main__":
    sys.exit(main())
