"""The anomed-challenge 0.0.21 reference challenge (README example), served by gunicorn.

`supervised_learning_MIA_challenge_server_factory(SupervisedLearningMIAChallenge(...))`
with the package's own evaluators (strict_binary_accuracy, evaluate_MIA), built
from an NPZ file instead of the README's in-code iris split, so that a test can
feed the reference the same data as the Rust challenge.
Run it as `gunicorn challenge_app:application`.

Environment:
  ANOMED_CHALLENGE_NPZ  (required) NPZ with arrays X_train, y_train, X_tune,
                        y_tune, X_val, y_val (loaded with allow_pickle=False;
                        dtypes are served as stored, e.g. <f8 features, <i8 targets)
  ANOMED_HOST           (required) host[:port] of the platform (platform_mock.py);
                        the challenge POSTs its (demo) evaluation results there after
                        every utility evaluation, and answers 500 if unreachable
  ANOMED_MIA_LENGTH     MIA_evaluation_dataset_length (default 5, as in the README)
  ANOMED_SEED           seed of the member/non-member split (default 42; the README
                        passes none, i.e. a random split per process start)
"""

import os

import anomed_challenge as anochal
import numpy as np

_REQUIRED = ("X_train", "y_train", "X_tune", "y_tune", "X_val", "y_val")

npz_path = os.getenv("ANOMED_CHALLENGE_NPZ")
if not npz_path:
    raise SystemExit("challenge_app: set ANOMED_CHALLENGE_NPZ to an NPZ with " + ", ".join(_REQUIRED))
if not os.getenv("ANOMED_HOST"):
    raise SystemExit(
        "challenge_app: set ANOMED_HOST (host:port of platform_mock.py); without it every "
        "utility POST fails with 500 (the package posts to http://None/...)"
    )
with np.load(npz_path, allow_pickle=False) as npz:
    missing = [name for name in _REQUIRED if name not in npz.files]
    if missing:
        raise SystemExit(f"challenge_app: {npz_path} lacks arrays {missing}")
    arrays = {name: npz[name] for name in _REQUIRED}

example_challenge = anochal.SupervisedLearningMIAChallenge(
    training_data=anochal.InMemoryNumpyArrays(X=arrays["X_train"], y=arrays["y_train"]),
    tuning_data=anochal.InMemoryNumpyArrays(X=arrays["X_tune"], y=arrays["y_tune"]),
    validation_data=anochal.InMemoryNumpyArrays(X=arrays["X_val"], y=arrays["y_val"]),
    anonymizer_evaluator=anochal.strict_binary_accuracy,
    MIA_evaluator=anochal.evaluate_MIA,
    MIA_evaluation_dataset_length=int(os.getenv("ANOMED_MIA_LENGTH") or "5"),
    seed=int(os.getenv("ANOMED_SEED") or "42"),
)

# This is what GUnicorn expects
application = anochal.supervised_learning_MIA_challenge_server_factory(example_challenge)
