"""Runs anonymeter 1.1.0 (PyPI, the reference of Giomi et al., PoPETs 2023) on
CSV files and prints one JSON object, for the attack-suite oracle test
(crates/anonlab/tests/anonymeter_oracle.rs).

    python anonymeter_check.py singling-out --original O.csv --release R.csv \
        --control C.csv --mode univariate --n-attacks 2000 --seed 1
    python anonymeter_check.py linkability ... --aux-cols-a a,b --aux-cols-b c,d
    python anonymeter_check.py inference ... --aux-cols a,b --secret s
    python anonymeter_check.py flaws        # the documented flaws, shown on small inputs

Every command prints {"risk": {...}, "attack_rate": {...}, "baseline_rate": {...},
"control_rate": {...}, "n_success": ..., "n_control": ..., "seconds": ...} with
intervals as {"value", "low", "high"}, the same shape as `anonlab attack --json`.
"""

import argparse
import json
import logging
import sys
import time
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")
logging.disable(logging.WARNING)

from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator  # noqa: E402
from anonymeter.evaluators.inference_evaluator import evaluate_inference_guesses  # noqa: E402
from anonymeter.neighbors.mixed_types_kneighbors import gower_distance  # noqa: E402


def read(path, sep):
    return pd.read_csv(path, sep=sep) if path else None


def rate(r):
    return {"value": min(max(r.value, 0.0), 1.0), "low": min(max(r.value - r.error, 0.0), 1.0),
            "high": min(max(r.value + r.error, 0.0), 1.0)}


def risk(p):
    return {"value": p.value, "low": p.ci[0], "high": p.ci[1]}


def shape(evaluator, started, extra=None):
    res = evaluator.results(confidence_level=0.95)
    out = {
        "risk": risk(evaluator.risk(confidence_level=0.95)),
        "attack_rate": rate(res.attack_rate),
        "baseline_rate": rate(res.baseline_rate),
        "control_rate": rate(res.control_rate) if res.control_rate is not None else None,
        "n_success": int(res.n_success),
        "n_baseline": int(res.n_baseline),
        "n_control": None if res.n_control is None else float(res.n_control),
        "seconds": time.time() - started,
    }
    out.update(extra or {})
    return out


def singling_out(a):
    ori, syn, ctl = read(a.original, a.sep), read(a.release, a.sep), read(a.control, a.sep)
    started = time.time()
    ev = SinglingOutEvaluator(ori=ori, syn=syn, control=ctl, n_attacks=a.n_attacks, n_cols=a.n_cols, seed=a.seed)
    ev.evaluate(mode=a.mode)
    # The queries that single out in the original, by column (for the exact comparison).
    by_columns = {}
    for q in ev.queries():
        key = "&".join(sorted(q.meta.root_names()))
        by_columns[key] = by_columns.get(key, 0) + 1
    return shape(ev, started, {"successes_by_columns": by_columns})


def warm_up(a, ori, syn):
    """Compiles numba's nearest-neighbour kernel on a few rows, so a benchmark
    can time the evaluation without the one-off JIT (reported separately)."""
    started = time.time()
    if a.warm:
        cols = (a.aux_cols_a.split(",") + a.aux_cols_b.split(",")) if a.aux_cols_a else a.aux_cols.split(",")
        from anonymeter.neighbors.mixed_types_kneighbors import MixedTypeKNeighbors
        MixedTypeKNeighbors(n_neighbors=1).fit(syn[cols].head(50)).kneighbors(ori[cols].head(5))
    return time.time() - started


def linkability(a):
    ori, syn, ctl = read(a.original, a.sep), read(a.release, a.sep), read(a.control, a.sep)
    jit = warm_up(a, ori, syn)
    started = time.time()
    np.random.seed(a.seed)  # anonymeter samples targets with pandas' global generator
    ev = LinkabilityEvaluator(ori=ori, syn=syn, control=ctl, n_attacks=a.n_attacks,
                              aux_cols=(a.aux_cols_a.split(","), a.aux_cols_b.split(",")), n_neighbors=a.n_neighbors)
    ev.evaluate(n_jobs=-1)
    return shape(ev, started, {"warm_up_seconds": jit})


def inference(a):
    ori, syn, ctl = read(a.original, a.sep), read(a.release, a.sep), read(a.control, a.sep)
    jit = warm_up(a, ori, syn)
    started = time.time()
    np.random.seed(a.seed)
    ev = InferenceEvaluator(ori=ori, syn=syn, control=ctl, n_attacks=a.n_attacks, aux_cols=a.aux_cols.split(","),
                            secret=a.secret, regression=a.regression)
    ev.evaluate(n_jobs=-1)
    return shape(ev, started, {"warm_up_seconds": jit})


def flaws(_a):
    """The flaws the attack suite fixes, each shown by anonymeter itself."""
    nan = float("nan")
    # 1. NULL against NULL counts as a full mismatch.
    nan_nan = gower_distance(np.array([nan, 0.5]), np.array([nan, 0.5]), 2)
    # 2. The numeric tolerance is relative to the guess, without an absolute value:
    #    a guess of -100 for a secret of +3 is "right".
    idx = pd.RangeIndex(3)
    right = evaluate_inference_guesses(pd.Series([-100.0, 10.0, 3.1], index=idx), pd.Series([3.0, 3.0, 3.0], index=idx),
                                       regression=True).tolist()
    return {"nan_nan_distance": float(nan_nan), "negative_guess_right": right}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("attack", choices=["singling-out", "linkability", "inference", "flaws"])
    p.add_argument("--original")
    p.add_argument("--release")
    p.add_argument("--control")
    p.add_argument("--sep", default=",")
    p.add_argument("--n-attacks", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mode", default="multivariate")
    p.add_argument("--n-cols", type=int, default=3)
    p.add_argument("--aux-cols-a")
    p.add_argument("--aux-cols-b")
    p.add_argument("--n-neighbors", type=int, default=1)
    p.add_argument("--aux-cols")
    p.add_argument("--secret")
    p.add_argument("--regression", action="store_true")
    p.add_argument("--warm", action="store_true", help="compile numba's kernel before timing")

    a = p.parse_args()
    run = {"singling-out": singling_out, "linkability": linkability, "inference": inference, "flaws": flaws}[a.attack]
    json.dump(run(a), sys.stdout)
    print()


if __name__ == "__main__":
    main()
