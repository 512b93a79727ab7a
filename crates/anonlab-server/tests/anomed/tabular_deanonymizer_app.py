"""A tabular re-identification (attribute inference) deanonymizer, served by gunicorn.

anomed-deanonymizer 0.0.11 ships only the abstract `TabularDataReidentificationAttack`
(`reidentify(anonymized_data, anonymization_scheme, background_knowledge) -> DataFrame`)
and no server factory for it. This module hosts `CompatibleRowsMajorityAttack`, a
concrete subclass, in a small Falcon app written in the style of the package's
`supervised_learning_MIA_server_factory` and of anomed-anonymizer's tabular
resources (JSON messages, 201 on POSTs, 503 when a remote is unavailable, 400 when
not fitted, 500 "Utility evaluation failed.", requests with 10 s timeouts, raw
bodies without Content-Type). Identifiers: attacker `example_tabular_deanonymizer`,
target `example_tabular_anonymizer`. Run it as
`gunicorn tabular_deanonymizer_app:application`.

Routes:
  GET  /          200 {"message": "Deanonymizer server is alive!"}
  POST /fit       GET http://{CHALLENGE_HOST}/data/deanonymizer/background-knowledge
                  (Parquet), http://{ATTACK_TARGET_HOST}/anon_data (Parquet, labelled
                  application/json by the anonymizer; the label is ignored) and
                  http://{ATTACK_TARGET_HOST}/anon_data_scheme (JSON {"scheme": ...});
                  stores background_knowledge.parquet, anon_data.parquet (the bytes
                  as received) and anon_scheme.json in ANOMED_MODEL_DIR.
                  201 {"message": "Fitting has been completed successfully."}.
                  Unreachable / timeout / status != 200 -> 503 "Unable to obtain data
                  from remote location (timeout or error)."; undecodable Parquet or
                  scheme -> 500; a /fit while another runs -> 503; ANOMED_MODEL_DIR
                  unset -> 500. Query parameters are ignored.
  POST /evaluate  Not fitted -> 400 "This deanonymizer is not fitted yet." Otherwise
                  runs `reidentify` and POSTs the result as a raw Parquet body (no
                  Content-Type) to http://{CHALLENGE_HOST}/utility/deanonymizer with
                  ?anonymizer=example_tabular_anonymizer&deanonymizer=
                  example_tabular_deanonymizer; wants exactly 201 with JSON ->
                  201 {"message": "The deanonymizer has been evaluated.",
                  "evaluation": <challenge JSON verbatim>}. Any other status, a non-JSON
                  201 or a connection error -> 500 "Utility evaluation failed.";
                  requests.Timeout -> 503 "Challenge currently not available for
                  evaluation.". Query parameters (e.g. data_split) are ignored.

The attack: for every background-knowledge row (a target), the anonymized rows whose
known columns (= all background-knowledge columns except the secret) are compatible
with it are its candidates; the prediction is the most common secret among them
(ties: the lexicographically smallest str(); a null secret is a value of its own and
loses ties), or the most common secret overall if there is no candidate. A released
cell is compatible with a known value if it is
  "[lo, hi["  (also "[lo, hi]", "]lo, hi[")   lo <= x < hi (resp. <=, <)
  "<x" / ">=x"                                 anonlab's bottom/top coding
  "[a..b]"                                     a <= x <= b (numbers only)
  "*", "", null                                anything (suppressed / unknown)
  anything else                                equal: numerically if both sides
                                               parse as numbers, else str() equality
and a null background value is compatible with everything. Columns of the background
knowledge missing from the release do not restrict. The result is the background
knowledge (same rows, order and index) with the secret column added (where the
background already holds a non-null secret, that value is kept). The compatibility
test runs once per pair of distinct values and is expanded to a boolean
targets x rows matrix (in chunks); the vote is one matrix product.

Environment:
  CHALLENGE_HOST      host[:port] of the challenge
  ATTACK_TARGET_HOST  host[:port] of the tabular anonymizer under attack
  ANOMED_MODEL_DIR    directory for the fitted state (required for /fit; nothing is
                      ever written to the working directory)
  ANOMED_SECRET       the column to infer; default "chapter"
"""

import json
import logging
import math
import os
import re
import tempfile
from io import BytesIO
from pathlib import Path

import anomed_deanonymizer
import anomed_utils as utils
import falcon
import numpy as np
import pandas as pd
import requests
from filelock import FileLock, Timeout

ANONYMIZER_ID = "example_tabular_anonymizer"
DEANONYMIZER_ID = "example_tabular_deanonymizer"
TIMEOUT = 10.0

_logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- attack

_NUM = r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*"
_INTERVAL = re.compile(rf"^([\[\]]){_NUM},{_NUM}([\[\]])$")
_ORDERED = re.compile(rf"^\[{_NUM}\.\.{_NUM}\]$")
_BELOW = re.compile(rf"^<{_NUM}$")
_AT_LEAST = re.compile(rf"^>={_NUM}$")


def _is_null(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _number(v) -> float | None:
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    try:
        x = float(str(v).strip())
    except ValueError:
        return None
    return None if math.isnan(x) else x


def _compatible(released, known) -> bool:
    """Is the released (anonymized) cell consistent with the known true value?"""
    if _is_null(known) or _is_null(released):
        return True
    text = str(released).strip()
    if text in ("", "*"):
        return True
    x = _number(known)
    if m := _INTERVAL.match(text):
        if x is None:
            return False
        lo, hi = float(m[2]), float(m[3])
        above = lo <= x if m[1] == "[" else lo < x
        below = x <= hi if m[4] == "]" else x < hi
        return above and below
    if m := _ORDERED.match(text):
        return x is not None and float(m[1]) <= x <= float(m[2])
    if m := _BELOW.match(text):
        return x is not None and x < float(m[1])
    if m := _AT_LEAST.match(text):
        return x is not None and x >= float(m[1])
    r = _number(released)
    if r is not None and x is not None:
        return r == x
    return str(released) == str(known)


def _compatibility(released: pd.Series, known: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(table, known_codes, released_codes): table[k, r] tells whether distinct
    released value r is compatible with distinct known value k."""
    k_codes, k_uniques = pd.factorize(known, use_na_sentinel=False)
    r_codes, r_uniques = pd.factorize(released, use_na_sentinel=False)
    table = np.array(
        [[_compatible(r, k) for r in r_uniques] for k in k_uniques], dtype=bool
    ).reshape(len(k_uniques), len(r_uniques))
    return table, k_codes, r_codes


class CompatibleRowsMajorityAttack(anomed_deanonymizer.TabularDataReidentificationAttack):
    """Attribute inference: the majority secret of the released rows that are
    compatible with what is known about a target."""

    def __init__(self, secret: str, max_cells_per_chunk: int = 4_000_000) -> None:
        self.secret = secret
        self.max_cells_per_chunk = max_cells_per_chunk

    def reidentify(self, anonymized_data, anonymization_scheme, background_knowledge):
        result = background_knowledge.copy()
        n_targets = len(background_knowledge)
        if self.secret not in anonymized_data.columns:
            _logger.warning("The release lacks the secret column %r.", self.secret)
            if self.secret not in result.columns:
                result[self.secret] = pd.Series([None] * n_targets, index=result.index, dtype="object")
            return result
        n_rows = len(anonymized_data)

        # Secret categories, ranked so that argmax picks the tie winner (smallest str, null last).
        s_codes, s_uniques = pd.factorize(anonymized_data[self.secret], use_na_sentinel=False)
        order = sorted(range(len(s_uniques)), key=lambda i: (_is_null(s_uniques[i]), str(s_uniques[i])))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        ranked_uniques = s_uniques.take(order)
        onehot = np.zeros((n_rows, len(order)), dtype=np.float64)
        onehot[np.arange(n_rows), rank[s_codes]] = 1.0
        overall = int(np.argmax(onehot.sum(axis=0))) if n_rows else -1

        known = [c for c in background_knowledge.columns if c != self.secret and c in anonymized_data.columns]
        tables = [
            _compatibility(anonymized_data[c].reset_index(drop=True), background_knowledge[c].reset_index(drop=True))
            for c in known
        ]

        prediction = np.full(n_targets, overall, dtype=np.int64)
        chunk = max(1, self.max_cells_per_chunk // max(1, n_rows))
        for start in range(0, n_targets if n_rows else 0, chunk):
            stop = min(n_targets, start + chunk)
            mask = np.ones((stop - start, n_rows), dtype=bool)
            for table, k_codes, r_codes in tables:
                mask &= table[k_codes[start:stop]][:, r_codes]
            counts = mask.astype(np.float64) @ onehot
            best = np.argmax(counts, axis=1)
            prediction[start:stop] = np.where(mask.any(axis=1), best, overall)

        if n_rows:
            predicted = pd.Series(ranked_uniques.take(prediction), index=result.index)
        else:
            predicted = pd.Series([None] * n_targets, index=result.index, dtype="object")
        if self.secret in result.columns:
            predicted = result[self.secret].where(result[self.secret].notna(), predicted)
        result[self.secret] = predicted
        return result


# --------------------------------------------------------------------------- web app

BACKGROUND_FILE = "background_knowledge.parquet"
ANON_DATA_FILE = "anon_data.parquet"
SCHEME_FILE = "anon_scheme.json"


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _get_bytes_or_raise(url: str, timeout: float) -> bytes:
    """Like anomed_utils.get_dataframe_or_raise: status != 200 or any
    RequestException -> 503."""
    try:
        resp = requests.get(url=url, timeout=timeout)
        if resp.status_code != 200:
            raise ValueError()
    except (requests.RequestException, ValueError):
        message = "Unable to obtain data from remote location (timeout or error)."
        _logger.exception(message)
        raise falcon.HTTPServiceUnavailable(description=message)
    return resp.content


def _parquet_or_raise(data: bytes) -> None:
    try:
        utils.bytes_to_dataframe(data)
    except ValueError:
        message = "Failed to parse the DataFrame from remote location."
        _logger.exception(message)
        raise falcon.HTTPInternalServerError(description=message)


class TabularDeanonymizerFitResource:
    def __init__(self, model_dir: Path | None, background_url: str, anon_data_url: str,
                 anon_scheme_url: str, timeout: float) -> None:
        self._model_dir = model_dir
        self._background_url = background_url
        self._anon_data_url = anon_data_url
        self._anon_scheme_url = anon_scheme_url
        self._timeout = timeout

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        if self._model_dir is None:
            raise falcon.HTTPInternalServerError(description="ANOMED_MODEL_DIR is not set.")
        background = _get_bytes_or_raise(self._background_url, self._timeout)
        _parquet_or_raise(background)
        anon_data = _get_bytes_or_raise(self._anon_data_url, self._timeout)
        _parquet_or_raise(anon_data)
        try:
            scheme = json.loads(_get_bytes_or_raise(self._anon_scheme_url, self._timeout))["scheme"]
        except (ValueError, TypeError, KeyError):
            message = "Failed to parse the anonymization scheme from remote location."
            _logger.exception(message)
            raise falcon.HTTPInternalServerError(description=message)

        self._model_dir.mkdir(parents=True, exist_ok=True)
        try:
            with FileLock(self._model_dir / "deanonymizer.lock", blocking=False):
                _write_atomically(self._model_dir / BACKGROUND_FILE, background)
                _write_atomically(self._model_dir / ANON_DATA_FILE, anon_data)
                _write_atomically(self._model_dir / SCHEME_FILE, json.dumps(dict(scheme=scheme)).encode())
        except Timeout:
            raise falcon.HTTPServiceUnavailable(
                description="Fitting is already in progress. Aborting current attempt.",
            )
        success_message = "Fitting has been completed successfully."
        _logger.debug(success_message)
        resp.status = falcon.HTTP_CREATED
        resp.text = json.dumps(dict(message=success_message))


class TabularDeanonymizerEvaluationResource:
    def __init__(self, attack: anomed_deanonymizer.TabularDataReidentificationAttack,
                 model_dir: Path | None, utility_evaluation_url: str, timeout: float) -> None:
        self._attack = attack
        self._model_dir = model_dir
        self._utility_evaluation_url = utility_evaluation_url
        self._timeout = timeout

    def _load_or_raise(self) -> tuple[pd.DataFrame, str, pd.DataFrame]:
        files = [BACKGROUND_FILE, ANON_DATA_FILE, SCHEME_FILE]
        if self._model_dir is None or not all((self._model_dir / f).exists() for f in files):
            raise falcon.HTTPBadRequest(description="This deanonymizer is not fitted yet.")
        background = pd.read_parquet(self._model_dir / BACKGROUND_FILE, engine="pyarrow")
        anon_data = pd.read_parquet(self._model_dir / ANON_DATA_FILE, engine="pyarrow")
        with open(self._model_dir / SCHEME_FILE, encoding="utf-8") as f:
            scheme = json.load(f)["scheme"]
        return anon_data, scheme, background

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        anon_data, scheme, background = self._load_or_raise()
        reidentified = self._attack.reidentify(anon_data, scheme, background)
        body = utils.dataframe_to_bytes(reidentified)
        _logger.debug(f"Submitting {len(reidentified)} re-identified rows for evaluation.")
        try:
            evaluation_response = requests.post(
                url=self._utility_evaluation_url,
                params=dict(anonymizer=ANONYMIZER_ID, deanonymizer=DEANONYMIZER_ID),
                data=body,
                timeout=self._timeout,
            )
            if evaluation_response.status_code != 201:
                raise ValueError
            resp.text = json.dumps(
                dict(
                    message="The deanonymizer has been evaluated.",
                    evaluation=evaluation_response.json(),
                )
            )
            resp.status = falcon.HTTP_CREATED
        except requests.Timeout:
            raise falcon.HTTPServiceUnavailable(
                description="Challenge currently not available for evaluation."
            )
        except (ValueError, requests.RequestException):
            raise falcon.HTTPInternalServerError(description="Utility evaluation failed.")


def tabular_deanonymizer_server_factory(
    attack: anomed_deanonymizer.TabularDataReidentificationAttack,
    model_dir: str | Path | None,
    background_knowledge_url: str,
    anon_data_url: str,
    anon_scheme_url: str,
    utility_evaluation_url: str,
    timeout: float = TIMEOUT,
) -> falcon.App:
    app = falcon.App()
    app.add_route("/", utils.StaticJSONResource(dict(message="Deanonymizer server is alive!")))
    model_dir = Path(model_dir) if model_dir else None
    app.add_route("/fit", TabularDeanonymizerFitResource(
        model_dir, background_knowledge_url, anon_data_url, anon_scheme_url, timeout))
    app.add_route("/evaluate", TabularDeanonymizerEvaluationResource(
        attack, model_dir, utility_evaluation_url, timeout))
    return app


challenge_hostname = os.getenv("CHALLENGE_HOST")
attack_target_hostname = os.getenv("ATTACK_TARGET_HOST")

# This is what GUnicorn expects
application = tabular_deanonymizer_server_factory(
    attack=CompatibleRowsMajorityAttack(secret=os.getenv("ANOMED_SECRET") or "chapter"),
    model_dir=os.getenv("ANOMED_MODEL_DIR") or None,
    background_knowledge_url=f"http://{challenge_hostname}/data/deanonymizer/background-knowledge",
    anon_data_url=f"http://{attack_target_hostname}/anon_data",
    anon_scheme_url=f"http://{attack_target_hostname}/anon_data_scheme",
    utility_evaluation_url=f"http://{challenge_hostname}/utility/deanonymizer",
)
