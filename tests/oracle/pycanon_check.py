#!/usr/bin/env python3
"""Independent privacy oracle for anonlab output tables, built on pycanon 1.3.6.

Usage
-----
    pycanon_check.py --data OUT.csv [--delimiter ';'] --qi a,b,c
                     [--sa s1,s2] [--sa-kind categorical|numerical]
                     [--k K] [--l L] [--entropy-l L] [--t T]
                     [--t-reference retained|all]
                     [--suppressed-marker '*'] [--keep-suppressed]
                     [--recursive-c] [--json]

Run it with the venv made by scripts/python-env.sh (last stdout line = python).

Stdout: exactly one JSON object (indented; one line with --json), e.g.
    {"rows": 9, "suppressed": 1, "retained": 8, "equivalence_classes": 3,
     "k": 2, "l": 2, "t": 0.375, "entropy_l": 2.0, ..., "violations": [], "ok": true}
Exit status: 0 all requested bounds hold; 1 a bound is violated
(k < K, l < L, entropy_l < L' - 1e-9, t > T + 1e-9); 2 usage/input error
(bad flags, missing file/column, ragged CSV, non-numeric value with
--sa-kind numerical, --l/--t without --sa); 3 internal cross-check failure
(pycanon and this script's own vectorised recomputation disagree).
Metrics whose inputs are absent are null (no --sa -> l, t, entropy_l null;
no rows left after dropping suppressed rows -> everything null, vacuously ok).

Input handling
--------------
* The CSV is read with Python's csv module (header row, RFC 4180 quoting,
  every record must have as many fields as the header, blank lines skipped);
  every field is a string. An empty field is kept as the string "" (a value
  of its own) -- never NaN, because pandas.groupby silently drops NaN keys and
  pycanon groups with groupby.
* Suppressed rows: a row whose EVERY quasi-identifier equals the marker ("*")
  is a suppressed record (ARX convention) and is dropped before all checks.
  "suppressed" in the JSON counts them. Rows with only some QIs = "*" are
  ordinary (generalised) rows. --keep-suppressed disables dropping. Caveat: a
  table generalised to the top level ("*") in every QI is indistinguishable
  from "all rows suppressed".
* After dropping rows the frame is re-indexed 0..n-1. This is REQUIRED:
  pycanon gets equivalence classes from groupby(...).groups (index *labels*)
  and then selects them with data.iloc[...] (*positions*).
* --sa-kind categorical (default): sensitive columns stay strings, so pycanon
  takes its categorical path (pd.api.types.is_string_dtype). --sa-kind
  numerical: sensitive columns are converted with pd.to_numeric (failure or
  empty value -> exit 2), so pycanon takes its numerical path.

pycanon functions used (all from pycanon.anonymity, gen=True)
-------------------------------------------------------------
k_anonymity(df, qi), l_diversity(df, qi, sa), t_closeness(df, qi, [s]) once
per sensitive attribute s (max taken here -- identical to one gen=True call),
entropy_l_diversity(df, qi, sa), and (only with --recursive-c)
recursive_c_l_diversity(df, qi, sa). gen=True means equivalence classes are
defined by the QIs only and the result is the worst case over all sensitive
attributes (min for k/l/entropy-l, max for t) -- the same as ARX, which
checks each sensitive attribute separately over QI-defined classes.

Exact definitions in pycanon 1.3.6 (read from its source)
---------------------------------------------------------
Let P = distribution of the sensitive attribute over the WHOLE frame passed
in, values = np.unique(column) (sorted), m = len(values), Q_E = distribution
inside equivalence class E (same value order), r = Q_E - P.

* k  = min_E |E|.
* l  = min_E min_SA (number of distinct SA values in E)        [distinct-l].
* t, categorical (string dtype): max_E 0.5 * sum_i |r_i|
      == ARX EqualDistanceTCloseness ("equal distance" EMD).
* t, numerical (numeric dtype): max_E (1/(m-1)) * sum_{i=1..m} |r_1+...+r_i|
      over values sorted numerically
      == ARX OrderedDistanceTCloseness ("ordered distance" EMD).
  pycanon divides by (m-1): m == 1 raises ZeroDivisionError; this script then
  reports t = 0 (every class has the global distribution).
* Hierarchical-distance EMD (ARX HierarchicalDistanceTCloseness) is NOT
  implemented by pycanon: no valid comparison for that ARX variant.
* entropy l: int( min_E min_SA e ** H(E) ), H(E) = -sum_v p_v ln p_v
  (natural log; base is irrelevant for "H(E) >= log l", ARX's test). BEWARE:
  the int() truncation plus float error makes uniform classes come out ONE
  TOO LOW (e**ln 2 = 1.9999999999999998 -> 1; also n = 3,4,6,7,8,10). So this
  script reports pycanon's value as "entropy_l_pycanon" but reports and gates
  on "entropy_l" = min_E min_SA exp(H(E)) computed here exactly (float), with
  tolerance 1e-9. The two are cross-checked: entropy_l_pycanon must be
  int(entropy_l) or one less.
* recursive (c,l): pycanon sorts the class' value counts ASCENDING and uses
  c = floor(r[0] / sum(r[l-1:]) + 1), i.e. the LEAST frequent value as r_1 --
  not Machanavajjhala's definition (r_1 = most frequent). Reported only as
  "recursive_c_pycanon" (informational, never gated).

Which ARX t-closeness comparisons are valid
-------------------------------------------
ARX's reference distribution P (DataManager.getDistribution) is taken over
the whole INPUT, including records that end up suppressed, and its ordered
domain (m) is the input's distinct values. pycanon's P and m are over the
frame it is given = the retained rows only. Therefore:
* no rows suppressed: pycanon t == ARX t (equal-distance for categorical,
  ordered-distance for numerical SAs) -- directly comparable;
* rows suppressed: they differ. Use --t-reference all to gate on "t"
  computed by this script with P (and m) over ALL rows of the output file
  (sensitive values of suppressed rows are kept by the engine, as in ARX),
  classes over retained rows -- the ARX semantics. pycanon's own value is
  always reported as "t_pycanon".
With --t-reference retained (default) "t" is pycanon's value.
The own vectorised recomputation with retained reference is cross-checked
against pycanon (|diff| <= 1e-9, else exit 3).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time

TOL = 1e-9


class UsageError(Exception):
    pass


class CrossCheckError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit 2 like argparse, but also emit JSON
        raise UsageError(message)


def _split(s: str | None) -> list[str]:
    if s is None:
        return []
    out = [c.strip() for c in s.split(",")]
    if any(c == "" for c in out):
        raise UsageError(f"empty column name in list {s!r}")
    return out


def _parse_args(argv):
    p = _Parser(description=__doc__,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--delimiter", default=",",
                   help="single character; '\\t' or 'tab' for TAB (default ',')")
    p.add_argument("--qi", required=True, help="comma-separated QI columns")
    p.add_argument("--sa", default=None, help="comma-separated sensitive columns")
    p.add_argument("--sa-kind", choices=["categorical", "numerical"],
                   default="categorical")
    p.add_argument("--k", type=int, default=None)
    p.add_argument("--l", type=int, default=None, help="distinct-l bound")
    p.add_argument("--entropy-l", type=float, default=None, dest="entropy_l",
                   help="entropy-l bound (float)")
    p.add_argument("--t", type=float, default=None)
    p.add_argument("--t-reference", choices=["retained", "all"],
                   default="retained", dest="t_reference")
    p.add_argument("--suppressed-marker", default="*", dest="marker")
    p.add_argument("--keep-suppressed", action="store_true")
    p.add_argument("--recursive-c", action="store_true", dest="recursive_c")
    p.add_argument("--json", action="store_true", help="compact one-line JSON")
    a = p.parse_args(argv)
    if a.delimiter in ("\\t", "tab", "TAB"):
        a.delimiter = "\t"
    if len(a.delimiter) != 1:
        raise UsageError("--delimiter must be a single character")
    a.qi = _split(a.qi)
    a.sa = _split(a.sa)
    if not a.qi:
        raise UsageError("--qi must name at least one column")
    if (a.l is not None or a.t is not None or a.entropy_l is not None
            or a.recursive_c) and not a.sa:
        raise UsageError("--l/--entropy-l/--t/--recursive-c need --sa")
    if set(a.qi) & set(a.sa):
        raise UsageError("a column cannot be both QI and SA")
    if len(set(a.qi)) != len(a.qi) or len(set(a.sa)) != len(a.sa):
        raise UsageError("duplicate column in --qi/--sa")
    if a.k is not None and a.k < 1:
        raise UsageError("--k must be >= 1")
    if a.l is not None and a.l < 1:
        raise UsageError("--l must be >= 1")
    if a.t is not None and not (0.0 <= a.t <= 1.0):
        raise UsageError("--t must be in [0, 1]")
    return a


def _read(path, delim, needed):
    """Read with the csv module (strict field counts), all values str."""
    import pandas as pd

    try:
        with open(path, newline="", encoding="utf-8") as fh:
            records = [r for r in csv.reader(fh, delimiter=delim, strict=True)
                       if r]  # skip blank lines (csv yields [] for them)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise UsageError(f"cannot read {path}: {e}") from None
    if not records:
        raise UsageError(f"{path}: empty file / no header row")
    header, body = records[0], records[1:]
    if len(set(header)) != len(header):
        raise UsageError(f"{path}: duplicate column names in header {header}")
    missing = [c for c in needed if c not in header]
    if missing:
        raise UsageError(f"{path}: columns not in header {header}: {missing}")
    for i, r in enumerate(body, start=2):
        if len(r) != len(header):
            raise UsageError(f"{path}: record {i} has {len(r)} fields, "
                             f"header has {len(header)}")
    cols = {c: [r[j] for r in body] for j, c in enumerate(header) if c in needed}
    return pd.DataFrame(cols, columns=needed, dtype=object)


def _own_metrics(ret, full, qi, sa, kind):
    """Vectorised recomputation (independent of pycanon's loops).

    Returns dict per SA: t with reference=retained, t with reference=all,
    and min_E exp(H(E)).
    """
    import numpy as np
    import pandas as pd

    keys = ret.groupby(qi, sort=False).ngroup()  # class id per row
    out = {}
    for s in sa:
        ct = pd.crosstab(keys, ret[s])             # classes x values present
        q = ct.to_numpy(dtype=float)
        q = q / q.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.where(q > 0, q * np.log(q), 0.0).sum(axis=1)
        ent = float(np.exp(h.min()))

        res = {"entropy_l": ent}
        for ref_name, ref in (("retained", ret), ("all", full)):
            pdist = ref[s].value_counts(normalize=True)
            domain = pdist.index.union(ct.columns)
            if kind == "numerical":
                domain = domain.sort_values()
            pv = pdist.reindex(domain, fill_value=0.0).to_numpy(dtype=float)
            qv = (pd.DataFrame(q, columns=ct.columns)
                  .reindex(columns=domain, fill_value=0.0).to_numpy(dtype=float))
            r = qv - pv[None, :]
            if kind == "numerical":
                m = len(domain)
                emd = (np.abs(np.cumsum(r, axis=1)).sum(axis=1) / (m - 1)
                       if m > 1 else np.zeros(len(qv)))
            else:
                emd = 0.5 * np.abs(r).sum(axis=1)
            res["t_" + ref_name] = float(emd.max())
        out[s] = res
    return out


def run(a):
    import pandas as pd
    import pycanon
    from pycanon import anonymity as pa

    timings = {}
    t0 = time.perf_counter()
    df = _read(a.data, a.delimiter, a.qi + a.sa)
    rows = len(df)
    if a.keep_suppressed:
        mask = pd.Series(False, index=df.index)
    else:
        mask = (df[a.qi] == a.marker).all(axis=1)
    suppressed = int(mask.sum())
    full = df.reset_index(drop=True)
    ret = df[~mask].reset_index(drop=True)  # reset REQUIRED (groups vs iloc)

    if a.sa_kind == "numerical":
        for s in a.sa:
            try:
                full[s] = pd.to_numeric(full[s], errors="raise")
            except (ValueError, TypeError) as e:
                raise UsageError(f"--sa-kind numerical: column {s!r}: {e}") from None
            ret[s] = full.loc[~mask.to_numpy(), s].to_numpy()
    timings["read"] = time.perf_counter() - t0

    res = {
        "rows": rows, "suppressed": suppressed, "retained": len(ret),
        "equivalence_classes": None,
        "k": None, "l": None, "t": None, "entropy_l": None,
        "t_pycanon": None, "t_all_reference": None, "entropy_l_pycanon": None,
        "qi": a.qi, "sa": a.sa, "sa_kind": a.sa_kind,
        "t_reference": a.t_reference,
        "t_variant": ("ordered-distance EMD" if a.sa_kind == "numerical"
                      else "equal-distance EMD"),
        "bounds": {"k": a.k, "l": a.l, "entropy_l": a.entropy_l, "t": a.t},
        "pycanon_version": getattr(pycanon, "__version__", None),
    }
    if a.recursive_c:
        res["recursive_c_pycanon"] = None

    if len(ret) > 0:
        t1 = time.perf_counter()
        res["k"] = int(pa.k_anonymity(ret, a.qi))
        res["equivalence_classes"] = int(ret.groupby(a.qi, sort=False).ngroups)
        timings["k_anonymity"] = time.perf_counter() - t1
        if a.sa:
            t1 = time.perf_counter()
            res["l"] = int(pa.l_diversity(ret, a.qi, a.sa))
            timings["l_diversity"] = time.perf_counter() - t1

            # one call per SA (== gen=True over all SAs: max over SAs), so a
            # ZeroDivisionError (numerical SA with a single distinct value,
            # m - 1 == 0) is confined to that SA.
            t1 = time.perf_counter()
            t_pc_sa = {}
            for s in a.sa:
                try:
                    t_pc_sa[s] = float(pa.t_closeness(ret, a.qi, [s]))
                except ZeroDivisionError:
                    t_pc_sa[s] = None
            timings["t_closeness"] = time.perf_counter() - t1

            t1 = time.perf_counter()
            ent_pc = int(pa.entropy_l_diversity(ret, a.qi, a.sa))
            timings["entropy_l_diversity"] = time.perf_counter() - t1

            if a.recursive_c:
                t1 = time.perf_counter()
                c, _ = pa.recursive_c_l_diversity(ret, a.qi, a.sa)
                res["recursive_c_pycanon"] = (None if c is None or
                                              (isinstance(c, float) and math.isnan(c))
                                              else int(c))
                timings["recursive_c_l_diversity"] = time.perf_counter() - t1

            t1 = time.perf_counter()
            own = _own_metrics(ret, full, a.qi, a.sa, a.sa_kind)
            timings["own_recompute"] = time.perf_counter() - t1
            t_ret = max(v["t_retained"] for v in own.values())
            t_all = max(v["t_all"] for v in own.values())
            ent = min(v["entropy_l"] for v in own.values())

            # cross-checks against pycanon
            problems = []
            for s in a.sa:
                own_t = own[s]["t_retained"]
                if t_pc_sa[s] is None:
                    if a.sa_kind == "numerical" and own_t <= TOL:
                        t_pc_sa[s] = 0.0  # m == 1: t is 0 by definition
                    else:
                        problems.append(f"t[{s}]: pycanon raised ZeroDivisionError")
                        continue
                own[s]["t_pycanon"] = t_pc_sa[s]
                if abs(t_pc_sa[s] - own_t) > TOL:
                    problems.append(f"t[{s}]: pycanon {t_pc_sa[s]!r} vs own {own_t!r}")
            t_pc = None if problems else max(t_pc_sa.values())
            if ent_pc not in (int(ent + TOL), int(ent + TOL) - 1):
                problems.append(f"entropy-l: pycanon {ent_pc} vs own {ent!r}")
            if problems:
                res["crosscheck_errors"] = problems
                raise CrossCheckError(res)

            res["t_pycanon"] = t_pc
            res["t_all_reference"] = t_all
            res["t"] = t_all if a.t_reference == "all" else t_pc
            res["entropy_l"] = round(ent, 12)  # display only; gate uses TOL
            res["entropy_l_pycanon"] = ent_pc
            res["per_sa"] = own

    v = []
    if res["k"] is not None:
        if a.k is not None and res["k"] < a.k:
            v.append(f"k={res['k']} < {a.k}")
        if a.l is not None and res["l"] < a.l:
            v.append(f"l={res['l']} < {a.l}")
        if a.entropy_l is not None and ent < a.entropy_l - TOL:
            v.append(f"entropy_l={res['entropy_l']} < {a.entropy_l}")
        if a.t is not None and res["t"] > a.t + TOL:
            v.append(f"t={res['t']} > {a.t}")
    res["violations"] = v
    res["ok"] = not v
    res["timing_s"] = {k: round(x, 4) for k, x in timings.items()}
    res["timing_s"]["total"] = round(time.perf_counter() - t0, 4)
    return res


def _emit(obj, compact):
    if compact:
        print(json.dumps(obj, sort_keys=False, separators=(",", ":")))
    else:
        print(json.dumps(obj, indent=2))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    compact = "--json" in argv
    try:
        a = _parse_args(argv)
        res = run(a)
    except UsageError as e:
        print(f"pycanon_check.py: usage error: {e}", file=sys.stderr)
        _emit({"error": str(e), "ok": False}, compact)
        return 2
    except CrossCheckError as e:
        res = e.args[0]
        print("pycanon_check.py: internal cross-check failed: "
              + "; ".join(res.get("crosscheck_errors", [])), file=sys.stderr)
        res["ok"] = False
        _emit(res, compact)
        return 3
    _emit(res, compact)
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
