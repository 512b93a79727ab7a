"""The anomed-anonymizer 0.0.22 README example anonymizer, served by gunicorn.

diffprivlib's GaussianNB (default epsilon 1.0), wrapped by
`anomed_anonymizer.WrappedAnonymizer` and hosted by
`supervised_learning_anonymizer_server_factory` under the identifier
`example_anonymizer`. Run it as `gunicorn anonymizer_app:application`.

Environment:
  CHALLENGE_HOST         host[:port] of the challenge (URLs are
                         http://{CHALLENGE_HOST}/data/anonymizer/... as in the README)
  ANOMED_MODEL_DIR       directory for anonymizer.pkl (+ anonymizer.pkl.lock);
                         default: the working directory, as in the README
  ANOMED_FEATURE_BOUNDS  JSON [[low, ...], [high, ...]], one entry per feature;
                         default: iris, [[0,0,0,0],[10,5,10,5]] (the README constants)
  ANOMED_CLASSES         number of classes (uniform priors); default 3 (iris)

Deliberate differences from the README example (both documented in README.md):
  (a) validation_data_url is /data/anonymizer/validation; the README passes the
      training URL, so `POST /evaluate?data_split=validation` predicts the whole
      training split and the challenge fails with a length mismatch (500).
  (b) bounds and priors come from the two env vars above instead of being iris
      constants; with both unset they are exactly the README values.
"""

import json
import os
from pathlib import Path

import anomed_anonymizer as anon
import numpy as np
from diffprivlib.models import GaussianNB

_bounds = json.loads(
    os.getenv("ANOMED_FEATURE_BOUNDS") or "[[0.0, 0.0, 0.0, 0.0], [10.0, 5.0, 10.0, 5.0]]"
)
if (
    not isinstance(_bounds, list)
    or len(_bounds) != 2
    or len(_bounds[0]) != len(_bounds[1])
    or len(_bounds[0]) == 0
):
    raise SystemExit(
        "ANOMED_FEATURE_BOUNDS must be JSON [[low, ...], [high, ...]] of equal, non-zero length"
    )
n_classes = int(os.getenv("ANOMED_CLASSES") or "3")
if n_classes < 1:
    raise SystemExit("ANOMED_CLASSES must be a positive integer")

lower_bounds = [float(v) for v in _bounds[0]]  # README: 4 * [0.0]
upper_bounds = [float(v) for v in _bounds[1]]  # README: [10.0, 5.0, 10.0, 5.0]
n_features = len(lower_bounds)  # README: 4
estimator = GaussianNB(
    bounds=(lower_bounds, upper_bounds),
    priors=n_classes * [1.0 / n_classes],  # README: 3 * [1.0 / 3.0]
)


def validate_feature_array(feature_array: np.ndarray) -> None:
    if feature_array.shape[1] != n_features or len(feature_array.shape) != 2:
        raise ValueError(f"Feature array needs to have shape (n_samples, {n_features}).")
    if feature_array.dtype != np.float_:
        raise ValueError("Feature array must be an array of floats.")


example_anon = anon.WrappedAnonymizer(
    anonymizer=estimator,
    serializer=anon.pickle_anonymizer,
    feature_array_validator=validate_feature_array,
)

hostname = os.getenv("CHALLENGE_HOST")
model_dir = Path(os.getenv("ANOMED_MODEL_DIR") or ".")

# This is what GUnicorn expects
application = anon.supervised_learning_anonymizer_server_factory(
    anonymizer_identifier="example_anonymizer",
    anonymizer_obj=example_anon,
    model_filepath=model_dir / "anonymizer.pkl",
    default_batch_size=64,
    training_data_url=f"http://{hostname}/data/anonymizer/training",
    tuning_data_url=f"http://{hostname}/data/anonymizer/tuning",
    # README: f"http://{hostname}/data/anonymizer/training" (bug, see (a) above)
    validation_data_url=f"http://{hostname}/data/anonymizer/validation",
    utility_evaluation_url=f"http://{hostname}/utility/anonymizer",
    model_loader=anon.unpickle_anonymizer,
)
