//! The PyPI package `anonymeter` 1.1.0 (the reference implementation of Giomi
//! et al., PoPETs 2023) and `anonlab attack` run on the same inputs: a leaky
//! release (the original with tiny noise) and an independent sample, both
//! from flchain (`../shared/data/flchain.csv`), split into disjoint original,
//! control and independent parts of 2,600 distinct rows each.
//!
//! - Deterministic parts agree exactly: the univariate singling-out queries
//!   (all of them, counted per column), their successes on the original and
//!   the control, and the Wilson intervals and residual risk built on them.
//! - Randomized parts (multivariate singling out, linkability, inference)
//!   agree within their confidence intervals, averaged over seeds.
//! - Where we differ on purpose, the test shows anonymeter's behaviour and
//!   ours side by side (control-size correction, NULL distance, numeric tolerance).
//!
//! The oracle runs in the virtual environment `scripts/python-env.sh anonymeter`
//! creates (`scripts/test.sh` sets `ANONLAB_ANONYMETER_PYTHON`). A missing
//! oracle fails the test; set `ANONLAB_ORACLE=skip` to skip it knowingly.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::{anonlab_ok, repo_root, shared_data};

fn python() -> Option<PathBuf> {
    if std::env::var("ANONLAB_ORACLE").as_deref() == Ok("skip") {
        eprintln!("SKIPPED: anonymeter oracle (ANONLAB_ORACLE=skip)");
        return None;
    }
    let python = std::env::var_os("ANONLAB_ANONYMETER_PYTHON").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/anonlab/venv-anonymeter/bin/python")
    });
    assert!(
        python.exists(),
        "the anonymeter oracle is not installed at {}: run scripts/test.sh (or scripts/python-env.sh anonymeter), \
         or set ANONLAB_ORACLE=skip",
        python.display()
    );
    Some(python)
}

/// A seeded Fisher–Yates shuffle (SplitMix64), so the split never changes.
fn shuffle<T>(items: &mut [T], mut state: u64) {
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..items.len()).rev() {
        items.swap(i, (next() % (i as u64 + 1)) as usize);
    }
}

/// The split files, written once per test run.
fn data() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = crate::util::tempdir();
        let text = std::fs::read_to_string(shared_data().join("flchain.csv")).expect("flchain.csv");
        let mut lines = text.lines();
        let header = lines.next().expect("a header");
        let mut rows: Vec<&str> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for line in lines {
            if seen.insert(line) {
                rows.push(line);
            }
        }
        shuffle(&mut rows, 7);
        let write = |name: &str, rows: &[String]| {
            std::fs::write(dir.path().join(name), format!("{header}\n{}\n", rows.join("\n"))).unwrap();
        };
        let part = |range: std::ops::Range<usize>| rows[range].iter().map(|r| r.to_string()).collect::<Vec<_>>();
        let original = part(0..2600);
        write("original.csv", &original);
        write("control.csv", &part(2600..5200));
        write("control-half.csv", &part(2600..3900));
        write("independent.csv", &part(5200..7800));
        // Leaky: kappa and lambda moved by at most 1 %.
        let columns: Vec<&str> = header.split(',').collect();
        let (kappa, lambda) =
            (columns.iter().position(|&c| c == "kappa").unwrap(), columns.iter().position(|&c| c == "lambda").unwrap());
        let mut noise: Vec<u64> = (0..original.len() as u64 * 2).collect();
        shuffle(&mut noise, 8);
        let leaky: Vec<String> = original
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let mut f: Vec<String> = row.split(',').map(str::to_string).collect();
                for (j, col) in [kappa, lambda].into_iter().enumerate() {
                    let u = noise[2 * i + j] as f64 / noise.len() as f64 * 0.02 - 0.01;
                    let x: f64 = f[col].parse().unwrap();
                    f[col] = format!("{:.4}", x * (1.0 + u));
                }
                f.join(",")
            })
            .collect();
        write("leaky.csv", &leaky);
        dir
    })
    .path()
}

fn file(name: &str) -> String {
    data().join(name).to_str().unwrap().to_string()
}

fn ours(attack: &str, release: &str, control: &str, extra: &[&str]) -> Value {
    let (o, r, c) = (file("original.csv"), file(release), file(control));
    let mut args = vec!["attack", attack, "--original", &o, "--release", &r, "--control", &c, "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&anonlab_ok(data(), &args)).expect("JSON result")
}

fn theirs(python: &Path, attack: &str, release: &str, control: &str, extra: &[&str]) -> Value {
    let out = Command::new(python)
        .arg(repo_root().join("tests/oracle/anonymeter_check.py"))
        .args([attack, "--original", &file("original.csv"), "--release", &file(release), "--control", &file(control)])
        .args(extra)
        .output()
        .expect("the oracle runs");
    assert!(out.status.success(), "anonymeter failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("oracle JSON")
}

fn num(v: &Value, path: &[&str]) -> f64 {
    path.iter().fold(v, |v, k| &v[*k]).as_f64().unwrap_or_else(|| panic!("{path:?} in {v}"))
}

#[test]
fn univariate_singling_out_matches_anonymeter_exactly() {
    let Some(python) = python() else { return };
    for release in ["leaky.csv", "independent.csv"] {
        // More attacks than candidates: both sides keep every query that singles out in the release.
        let args = ["--mode", "univariate", "--n-attacks", "30000", "--seed", "1"];
        let (a, b) = (
            ours("singling-out", release, "control.csv", &args),
            theirs(&python, "singling-out", release, "control.csv", &args),
        );
        assert_eq!(num(&a, &["successes", "attack"]), num(&b, &["n_success"]), "{release}");
        assert_eq!(num(&a, &["successes", "control"]), num(&b, &["n_control"]), "{release}");
        assert_eq!(a["details"]["successes_by_columns"], b["successes_by_columns"], "{release}");
        for key in ["attack_rate", "control_rate", "risk"] {
            for end in ["value", "low", "high"] {
                let (x, y) = (num(&a, &[key, end]), num(&b, &[key, end]));
                assert!((x - y).abs() < 1e-12, "{release} {key}.{end}: ours {x}, anonymeter {y}");
            }
        }
        assert!(num(&a, &["successes", "attack"]) > 300.0, "a comparison on too few queries proves little: {a}");
    }
}

/// Mean value and mean interval half-width of `key` over runs.
fn mean(runs: &[Value], key: &str) -> (f64, f64) {
    let n = runs.len() as f64;
    let value = runs.iter().map(|r| num(r, &[key, "value"])).sum::<f64>() / n;
    let half = runs.iter().map(|r| (num(r, &[key, "high"]) - num(r, &[key, "low"])) / 2.0).sum::<f64>() / n;
    (value, half)
}

/// Runs both tools over `seeds`, asserts that their mean attack and control
/// rates agree within the intervals, and returns our mean risk.
fn agree(python: &Path, attack: &str, release: &str, extra: &[&str], seeds: &[u64]) -> f64 {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for seed in seeds {
        let seed = seed.to_string();
        let mut args = extra.to_vec();
        args.extend(["--seed", &seed]);
        a.push(ours(attack, release, "control.csv", &args));
        b.push(theirs(python, attack, release, "control.csv", &args));
    }
    for key in ["attack_rate", "control_rate"] {
        let ((x, hx), (y, hy)) = (mean(&a, key), mean(&b, key));
        assert!(
            (x - y).abs() <= hx.max(hy),
            "{attack} on {release}, {key}: ours {x:.4} ± {hx:.4}, anonymeter {y:.4} ± {hy:.4}"
        );
    }
    mean(&a, "risk").0
}

#[test]
fn multivariate_singling_out_agrees_within_intervals() {
    let Some(python) = python() else { return };
    let args = ["--mode", "multivariate", "--n-attacks", "300", "--n-cols", "3"];
    let leaky = agree(&python, "singling-out", "leaky.csv", &args, &[1, 2, 3]);
    let independent = agree(&python, "singling-out", "independent.csv", &args, &[1, 2, 3]);
    assert!(leaky > 0.4, "the leaky release must show a singling-out risk: {leaky}");
    assert!(independent <= 0.05, "an independent sample must show none: {independent}");
}

#[test]
fn linkability_agrees_within_intervals() {
    let Some(python) = python() else { return };
    let args = ["--aux-cols-a", "age,sex,kappa", "--aux-cols-b", "lambda,sample.yr,futime", "--n-attacks", "500"];
    let leaky = agree(&python, "linkability", "leaky.csv", &args, &[1, 2]);
    let independent = agree(&python, "linkability", "independent.csv", &args, &[1, 2]);
    assert!(leaky > 0.5, "the leaky release links records: {leaky}");
    assert!(independent <= 0.05, "an independent sample links none: {independent}");
}

#[test]
fn inference_agrees_within_intervals() {
    let Some(python) = python() else { return };
    // flc.grp is a small integer: exact guesses on both sides (anonymeter's default).
    let args = ["--aux-cols", "age,sex,kappa,lambda,sample.yr", "--secret", "flc.grp", "--n-attacks", "1000"];
    let ours_args: Vec<&str> = args.iter().copied().chain(["--tolerance", "0"]).collect();
    let with = |seed: &str| -> (Value, Value) {
        let mut a = ours_args.clone();
        a.extend(["--seed", seed]);
        let mut b = args.to_vec();
        b.extend(["--seed", seed]);
        (
            ours("inference", "leaky.csv", "control.csv", &a),
            theirs(&python, "inference", "leaky.csv", "control.csv", &b),
        )
    };
    for seed in ["1", "2"] {
        let (a, b) = with(seed);
        for key in ["attack_rate", "control_rate"] {
            let (x, y) = (num(&a, &[key, "value"]), num(&b, &[key, "value"]));
            let h = num(&a, &[key, "high"]) - num(&a, &[key, "value"]);
            assert!((x - y).abs() <= 2.0 * h, "inference {key}: ours {x:.4}, anonymeter {y:.4} (±{h:.4})");
        }
        assert!(num(&a, &["risk", "value"]) > 0.5, "{a}");
    }
    // The whole original as targets: the independent sample leaks nothing.
    let all = [
        "--aux-cols",
        "age,sex,kappa,lambda,sample.yr",
        "--secret",
        "flc.grp",
        "--tolerance",
        "0",
        "--n-attacks",
        "2600",
    ];
    let independent = ours("inference", "independent.csv", "control.csv", &all);
    assert!(num(&independent, &["risk", "value"]) <= 0.05, "{independent}");
}

#[test]
fn unequal_control_size_gives_anonymeter_a_spurious_risk_and_us_none() {
    let Some(python) = python() else { return };
    let seeds = ["1", "2", "3", "4"];
    let risk = |v: Vec<Value>| v.iter().map(|r| num(r, &["risk", "value"])).sum::<f64>() / v.len() as f64;
    let args = |s: &'static str| ["--n-attacks", "300", "--seed", s];
    let theirs_risk = risk(
        seeds
            .iter()
            .map(|s| theirs(&python, "singling-out", "independent.csv", "control-half.csv", &args(s)))
            .collect(),
    );
    let ours_risk =
        risk(seeds.iter().map(|s| ours("singling-out", "independent.csv", "control-half.csv", &args(s))).collect());
    eprintln!(
        "independent release, control half the original's size: anonymeter risk {theirs_risk:.3}, ours {ours_risk:.3}"
    );
    assert!(
        theirs_risk >= 0.10,
        "anonymeter's fitted correction was expected to report a spurious risk: {theirs_risk}"
    );
    assert!(ours_risk <= 0.08, "evaluating both at the same size must show (almost) none: {ours_risk}");
}

#[test]
fn documented_flaws_show_in_anonymeter_and_not_in_ours() {
    let Some(python) = python() else { return };
    let out =
        Command::new(&python).arg(repo_root().join("tests/oracle/anonymeter_check.py")).arg("flaws").output().unwrap();
    let flaws: Value = serde_json::from_slice(&out.stdout).expect("oracle JSON");
    // anonymeter: NULL vs NULL is a full mismatch; a guess of -100 for a secret of 3 is "right".
    assert_eq!(flaws["nan_nan_distance"], 1.0);
    assert_eq!(flaws["negative_guess_right"][0], true);
    // Ours: the same release, the same guess, judged against the truth.
    let dir = crate::util::tempdir();
    std::fs::write(dir.path().join("o.csv"), "x,s\n1,3\n2,3\n3,3\n4,3\n").unwrap();
    std::fs::write(dir.path().join("r.csv"), "x,s\n1,-100\n2,-100\n3,-100\n4,-100\n").unwrap();
    let v: Value = serde_json::from_str(&anonlab_ok(
        dir.path(),
        &[
            "attack",
            "inference",
            "--original",
            "o.csv",
            "--release",
            "r.csv",
            "--aux-cols",
            "x",
            "--secret",
            "s",
            "--n-attacks",
            "4",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(num(&v, &["successes", "attack"]), 0.0, "{v}");
}
