"""The synth benchmark's peer: MST in Python (smartnoise-synth's MSTSynthesizer,
private-pgm's mbi 1.1.0). Fits on one CSV and writes a synthetic CSV of the same
size; prints {"seconds": fit + sample time} as JSON.

    python mst_peer.py IN.csv DELIMITER EPSILON OUT.csv
"""

import json
import sys
import time
import warnings

warnings.simplefilter("ignore")

import pandas as pd  # noqa: E402
from snsynth.mst.mst import MSTSynthesizer  # noqa: E402


def main():
    path, sep, epsilon, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    df = pd.read_csv(path, sep=sep)
    started = time.time()
    synth = MSTSynthesizer(epsilon=epsilon, delta=1e-9)
    synth.fit(df, categorical_columns=list(df.columns))
    synth.sample(len(df)).to_csv(out, sep=sep, index=False)
    print(json.dumps({"seconds": time.time() - started}))


if __name__ == "__main__":
    main()
