"""A reference tabular data reconstruction challenge (anomed-challenge 0.0.21), served by gunicorn.

`tabular_data_reconstruction_challenge_server_factory(TabularDataReconstructionChallenge(...))`
with a CSV as leaky data, its first 100 rows' `age, sex, sample.yr` as background
knowledge, and two small row-aligned evaluators (the package ships none for this
variant). Only to check tabular anonymizers (tabular_anonymizer_app.py) against
the reference; see tabular_reference_flow.sh.
Run it as `gunicorn tabular_challenge_app:application`.

Routes (the factory's): GET /, GET /data/anonymizer/leaky (Parquet),
GET /data/deanonymizer/background-knowledge (Parquet), POST /utility/anonymizer
(multipart: anon_data = Parquet, anon_scheme = text), POST /utility/deanonymizer
(raw Parquet body). Both POSTs answer 201 with the evaluator's dict as JSON.

Environment:
  ANOMED_LEAKY_CSV       (required) CSV of the leaky data, e.g.
                         crates/anonlab-arena/demo/flchain.csv (pandas.read_csv:
                         integer / float columns stay numbers, the rest strings)
  ANOMED_LEAKY_AS_STRINGS  1 = serve every column as strings (nulls stay null), to
                         check that anonymizers cope with an all-text Parquet
  ANOMED_HOST            (required) host[:port] of platform_mock.py; the package
                         POSTs demo results there after every utility POST and
                         answers 500 if it is unreachable
  ANOMED_UTILITY_LOG     file that gets one JSON line per evaluation: scheme, row
                         count, dtypes of the received DataFrame and the result
"""

import json
import math
import os
import re

import anomed_challenge as anochal
import pandas as pd

csv_path = os.getenv("ANOMED_LEAKY_CSV")
if not csv_path:
    raise SystemExit("tabular_challenge_app: set ANOMED_LEAKY_CSV to the leaky data CSV")
if not os.getenv("ANOMED_HOST"):
    raise SystemExit(
        "tabular_challenge_app: set ANOMED_HOST (host:port of platform_mock.py); without it "
        "every utility POST fails with 500 (the package posts to http://None/...)"
    )
UTILITY_LOG = os.getenv("ANOMED_UTILITY_LOG")

leaky = pd.read_csv(csv_path)
if os.getenv("ANOMED_LEAKY_AS_STRINGS") == "1":
    leaky = leaky.apply(lambda col: col.map(lambda v: None if pd.isna(v) else str(v)).astype("object"))
background = leaky.head(100)[["age", "sex", "sample.yr"]].reset_index(drop=True)

_INTERVAL = re.compile(r"^\[\s*(-?[0-9.eE+-]+)\s*,\s*(-?[0-9.eE+-]+)\s*\[$")


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _num(v) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _exact(released, truth) -> bool:
    if _missing(released) or _missing(truth):
        return _missing(released) and _missing(truth)
    a, b = _num(released), _num(truth)
    return a == b if a is not None and b is not None else str(released) == str(truth)


def _covers(released, truth) -> bool:
    """The released cell is the true value or an interval `[lo, hi[` holding it."""
    if _exact(released, truth):
        return True
    m = _INTERVAL.match(str(released)) if not _missing(released) else None
    t = _num(truth)
    return bool(m) and t is not None and float(m[1]) <= t < float(m[2])


def _log(kind: str, df, extra: dict) -> None:
    if UTILITY_LOG:
        entry = {"kind": kind, "rows": None if df is None else len(df),
                 "dtypes": None if df is None else {c: str(t) for c, t in df.dtypes.items()}}
        with open(UTILITY_LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({**entry, **extra}, sort_keys=True) + "\n")


def utility(anon: pd.DataFrame, scheme: str, leaky_df: pd.DataFrame) -> dict[str, float]:
    """Row-aligned: share of rows released, of cells equal / consistent with the truth."""
    n = min(len(anon), len(leaky_df))
    cols = [c for c in leaky_df.columns if c in anon.columns]
    cells = max(1, n * len(leaky_df.columns))
    exact = covered = 0
    for c in cols:
        for r, t in zip(anon[c].tolist()[:n], leaky_df[c].tolist()[:n]):
            exact += _exact(r, t)
            covered += _covers(r, t)
    result = {
        "row_ratio": len(anon) / max(1, len(leaky_df)),
        "column_ratio": len(cols) / max(1, len(leaky_df.columns)),
        "exact_cells": exact / cells,
        "consistent_cells": covered / cells,
    }
    _log("utility", anon, {"scheme": scheme, "result": result})
    return result


def privacy(reconstructed: pd.DataFrame, leaky_df: pd.DataFrame) -> dict[str, float]:
    """Row-aligned share of exactly reconstructed cells and rows."""
    n = min(len(reconstructed), len(leaky_df))
    cols = list(leaky_df.columns)
    columns = [(reconstructed[c].tolist()[:n] if c in reconstructed.columns else [None] * n,
                leaky_df[c].tolist()[:n]) for c in cols]
    hits = [[_exact(r[i], t[i]) and c in reconstructed.columns for c, (r, t) in zip(cols, columns)]
            for i in range(n)]
    result = {
        "cell_accuracy": sum(map(sum, hits)) / max(1, len(leaky_df) * len(cols)),
        "row_accuracy": sum(all(h) for h in hits) / max(1, len(leaky_df)),
    }
    _log("privacy", reconstructed, {"result": result})
    return result


example_challenge = anochal.TabularDataReconstructionChallenge(
    leaky_data=leaky,
    background_knowledge=background,
    utility_evaluator=utility,
    privacy_evaluator=privacy,
)

# This is what GUnicorn expects
application = anochal.tabular_data_reconstruction_challenge_server_factory(example_challenge)
