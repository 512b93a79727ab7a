"""A small tabular anonymizer for the flchain table, served by gunicorn.

An unmodified `anomed_anonymizer.tabular_data_anonymizer_server_factory`
(anomed-anonymizer 0.0.22) hosting `FlchainGeneralizer`, a
`TabularDataAnonymizer`, under the identifier `example_tabular_anonymizer`.
Neither package README has a tabular example; the URLs are the challenge
factory's routes (`tabular_data_reconstruction_challenge_server_factory`).
Run it as `gunicorn tabular_anonymizer_app:application`.

What it releases (scheme "generalization"): every row, in the order served,
every column, with the quasi-identifiers generalized to the interval labels of
anonlab's hierarchies (origin 0, `[lo, hi[`):
  age        5-year intervals, e.g. 52 -> "[50, 55["
  sample.yr  2-year intervals, e.g. 1997 -> "[1996, 1998["
  sex and all other columns unchanged (values and dtypes as read).
`age` / `sample.yr` may arrive as numbers or as strings ("52", "52.0"); a
missing or non-numeric value is released as null (suppressed).

Environment:
  CHALLENGE_HOST    host[:port] of the challenge (URLs are
                    http://{CHALLENGE_HOST}/data/anonymizer/leaky and
                    http://{CHALLENGE_HOST}/utility/anonymizer)
  ANOMED_MODEL_DIR  output_dir: anon_data.parquet, anon_scheme.json and the
                    FileLock anon_data.lock are written there; default: the
                    working directory (set it, see README.md)
"""

import math
import os
from pathlib import Path

import anomed_anonymizer as anon
import pandas as pd

# column -> interval width; origin 0 like anonlab's `intervals` hierarchy
WIDTHS = {"age": 5, "sample.yr": 2}


def _number(x: float) -> str:
    """Like anonlab's label formatting: whole numbers without a fraction."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _interval(value, width: int) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    lo = math.floor(value / width) * width
    return f"[{_number(lo)}, {_number(lo + width)}["


class FlchainGeneralizer(anon.TabularDataAnonymizer):
    def anonymize(self, leaky_data: pd.DataFrame) -> tuple[pd.DataFrame, str]:
        anon_data = leaky_data.copy()  # same rows, same order, same index
        for column, width in WIDTHS.items():
            if column not in anon_data.columns:
                raise ValueError(f"leaky data lacks column {column!r}")
            numbers = pd.to_numeric(anon_data[column], errors="coerce")  # str or number
            labels = [_interval(v, width) for v in numbers.astype("float64")]
            anon_data[column] = pd.Series(labels, index=anon_data.index, dtype="object")
        return anon_data, "generalization"


hostname = os.getenv("CHALLENGE_HOST")
output_dir = Path(os.getenv("ANOMED_MODEL_DIR") or ".")

# This is what GUnicorn expects
application = anon.tabular_data_anonymizer_server_factory(
    anonymizer_identifier="example_tabular_anonymizer",
    anonymizer_obj=FlchainGeneralizer(),
    output_dir=output_dir,
    leaky_data_url=f"http://{hostname}/data/anonymizer/leaky",
    utility_evaluation_url=f"http://{hostname}/utility/anonymizer",
)
