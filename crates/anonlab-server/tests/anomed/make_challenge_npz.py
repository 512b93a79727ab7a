"""Write the challenge NPZ read by challenge_app.py (ANOMED_CHALLENGE_NPZ).

  python make_challenge_npz.py --out data.npz [--dataset iris|synthetic] [--rows 2000] [--seed 7]

Arrays: X_train, y_train, X_tune, y_tune, X_val, y_val (features float64, targets
int64). Splits as in the anomed-challenge README: 70 % training, the rest halved
into tuning and validation (train_test_split random_state 42, then 21).
  iris       sklearn's bundled iris (150 x 4, 3 classes): exactly the README data.
  synthetic  make_classification, 4 informative features, 3 classes, --rows rows,
             shifted to be >= 0 and rounded to 0.1 like iris measurements.
The last stdout line is JSON {"n_features", "n_classes", "bounds", "sizes"}; pass
"bounds" as ANOMED_FEATURE_BOUNDS and n_classes as ANOMED_CLASSES to the apps.
"""

import argparse
import json
import math

import numpy as np
from sklearn import datasets, model_selection


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--dataset", choices=("iris", "synthetic"), default="iris")
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    if args.dataset == "iris":
        iris = datasets.load_iris()
        X, y = iris.data, iris.target  # type: ignore
        bounds = [[0.0, 0.0, 0.0, 0.0], [10.0, 5.0, 10.0, 5.0]]  # the README constants
    else:
        X, y = datasets.make_classification(
            n_samples=args.rows, n_features=4, n_informative=4, n_redundant=0,
            n_classes=3, n_clusters_per_class=1, class_sep=1.5, random_state=args.seed,
        )
        X = np.round(X - X.min(axis=0) + 0.1, 1)
        bounds = [[0.0] * X.shape[1], [float(math.ceil(v + 1.0)) for v in X.max(axis=0)]]
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.int64)

    X_train, X_other, y_train, y_other = model_selection.train_test_split(
        X, y, test_size=0.3, random_state=42
    )
    X_tune, X_val, y_tune, y_val = model_selection.train_test_split(
        X_other, y_other, test_size=0.5, random_state=21
    )
    arrays = dict(X_train=X_train, y_train=y_train, X_tune=X_tune, y_tune=y_tune,
                  X_val=X_val, y_val=y_val)
    np.savez_compressed(args.out, **arrays)
    print(json.dumps(dict(
        n_features=int(X.shape[1]), n_classes=int(len(np.unique(y))), bounds=bounds,
        sizes={k: int(v.shape[0]) for k, v in arrays.items() if k.startswith("y_")},
    )))


if __name__ == "__main__":
    main()
