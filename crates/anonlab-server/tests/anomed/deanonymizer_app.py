"""The anomed-deanonymizer 0.0.11 README example deanonymizer, served by gunicorn.

ART's MembershipInferenceBlackBox(attack_model_type="rf") against the anonymizer's
`/predict` route (anomed_deanonymizer.WebClassifier), wrapped by ARTWrapper and
hosted by `supervised_learning_MIA_server_factory` as `example_deanonymizer`,
attacking `example_anonymizer`. Run it as `gunicorn deanonymizer_app:application`.

Environment:
  CHALLENGE_HOST      host[:port] of the challenge (members, non-members,
                      attack-success-evaluation and utility URLs)
  ATTACK_TARGET_HOST  host[:port] of the anonymizer under attack
                      (http://{ATTACK_TARGET_HOST}/predict)
  ANOMED_MODEL_DIR    directory for deanonymizer.pkl (+ .lock); default: the
                      working directory, as in the README
  ANOMED_N_FEATURES   feature count (WebClassifier input_shape, input validator);
                      default 4 (iris)
  ANOMED_CLASSES      number of classes (WebClassifier nb_classes); default 3 (iris)

Differences from the README example: the host names come from CHALLENGE_HOST /
ATTACK_TARGET_HOST (as in the anomed_templates deanonymizer; the README
hard-codes "example.com" / "example-anonymizer"), the iris shape constants come
from the env vars above (defaults = README), the model file lives in
ANOMED_MODEL_DIR, and the templates' `make_server("", 80, application)
.serve_forever()` tail is left out (it blocks at import under gunicorn).
"""

import os
from pathlib import Path

import anomed_deanonymizer
import numpy as np
from art.attacks.inference.membership_inference import MembershipInferenceBlackBox

n_features = int(os.getenv("ANOMED_N_FEATURES") or "4")
n_classes = int(os.getenv("ANOMED_CLASSES") or "3")
if n_features < 1 or n_classes < 1:
    raise SystemExit("ANOMED_N_FEATURES and ANOMED_CLASSES must be positive integers")


def validate_input_array(feature_array: np.ndarray) -> None:
    if feature_array.shape[1] != n_features or len(feature_array.shape) != 2:
        raise ValueError(f"Feature array needs to have shape (n_samples, {n_features}).")
    if feature_array.dtype != np.float_:
        raise ValueError("Feature array must be an array of floats.")


attack_target_hostname = os.getenv("ATTACK_TARGET_HOST")
attack_target = anomed_deanonymizer.WebClassifier(
    url=f"http://{attack_target_hostname}/predict",
    input_shape=(n_features,),
    nb_classes=n_classes,
)
example_attack_art = MembershipInferenceBlackBox(
    estimator=attack_target,  # type: ignore
    attack_model_type="rf",
)
example_attack = anomed_deanonymizer.ARTWrapper(
    art_mia=example_attack_art, input_validator=validate_input_array
)

challenge_hostname = os.getenv("CHALLENGE_HOST")
model_dir = Path(os.getenv("ANOMED_MODEL_DIR") or ".")

application = anomed_deanonymizer.supervised_learning_MIA_server_factory(
    anonymizer_identifier="example_anonymizer",
    deanonymizer_identifier="example_deanonymizer",
    deanonymizer_obj=example_attack,
    model_filepath=model_dir / "deanonymizer.pkl",
    default_batch_size=64,
    member_url=f"http://{challenge_hostname}/data/deanonymizer/members",
    nonmember_url=f"http://{challenge_hostname}/data/deanonymizer/non-members",
    evaluation_data_url=f"http://{challenge_hostname}/data/attack-success-evaluation",
    model_loader=anomed_deanonymizer.unpickle_deanonymizer,
    utility_evaluation_url=f"http://{challenge_hostname}/utility/deanonymizer",
)
# No `with make_server("", 80, application) as httpd: httpd.serve_forever()` here:
# gunicorn serves `application`.
