//! `anonlab attack`: every attack from the command line, its result shape,
//! reproducibility, the linkage attack against the risk a release predicts,
//! and clear errors for bad input.

use std::path::Path;

use serde_json::Value;

use crate::util::{anonlab_err, anonlab_ok, repo_root, shared_data, tempdir};

/// Writes original (rows 0..3000 of adult), control (3000..6000) and a copy
/// of the original as the release into `dir`.
fn adult_parts(dir: &Path) {
    let text = std::fs::read_to_string(shared_data().join("adult/adult.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let write =
        |name: &str, part: &[&str]| std::fs::write(dir.join(name), format!("{header}\n{}\n", part.join("\n"))).unwrap();
    write("original.csv", &rows[..3000]);
    write("control.csv", &rows[3000..6000]);
    write("copy.csv", &rows[..3000]);
    write("independent.csv", &rows[6000..9000]);
}

const ATTACKS: [&[&str]; 6] = [
    &["singling-out", "--mode", "univariate"],
    &["singling-out", "--mode", "multivariate", "--n-cols", "4"],
    &[
        "linkability",
        "--aux-cols-a",
        "age,sex,race,education",
        "--aux-cols-b",
        "occupation,workclass,marital-status,native-country",
    ],
    &["inference", "--aux-cols", "age,sex,race,education,marital-status,workclass", "--secret", "occupation"],
    &["membership", "--method", "distance"],
    &["membership", "--method", "density", "--targets", "outliers"],
];

fn run(dir: &Path, release: &str, attack: &[&str], extra: &[&str]) -> Value {
    let mut args = vec!["attack"];
    args.extend_from_slice(&attack[..1]);
    args.extend([
        "--original",
        "original.csv",
        "--release",
        release,
        "--control",
        "control.csv",
        "--json",
        "--n-attacks",
        "300",
    ]);
    args.extend_from_slice(&attack[1..]);
    args.extend_from_slice(extra);
    serde_json::from_str(&anonlab_ok(dir, &args)).expect("one JSON object")
}

#[test]
fn every_attack_gives_the_fixed_result_shape_and_a_copy_is_caught() {
    let dir = tempdir();
    adult_parts(dir.path());
    for attack in ATTACKS {
        let copy = run(dir.path(), "copy.csv", attack, &[]);
        for key in ["risk", "attack_rate", "baseline_rate", "control_rate"] {
            for end in ["value", "low", "high"] {
                let x = copy[key][end].as_f64().unwrap_or_else(|| panic!("{attack:?}: {key}.{end} missing in {copy}"));
                assert!((0.0..=1.0).contains(&x), "{attack:?}: {key}.{end} = {x}");
            }
            assert!(copy[key]["low"].as_f64() <= copy[key]["value"].as_f64());
            assert!(copy[key]["value"].as_f64() <= copy[key]["high"].as_f64());
        }
        assert!(copy["threat_model"]["knows"].as_array().is_some_and(|k| !k.is_empty()), "{copy}");
        assert_eq!(copy["seed"], 0);
        // A release that is the original leaks (univariate singling out on
        // adult has few rare values to work with, so it is judged on its attack rate).
        let risk = copy["risk"]["value"].as_f64().unwrap();
        if attack[0] == "linkability" {
            // Adult's columns are categories with many exact ties: a 1-nearest-neighbour
            // link picks one of several identical records, so even a copy links few
            // targets — but far more than chance.
            let (hit, guess) =
                (copy["successes"]["attack"].as_f64().unwrap(), copy["successes"]["baseline"].as_f64().unwrap());
            assert!(risk > 0.05 && hit > 10.0 * guess.max(1.0), "{copy}");
        } else if attack[1..].contains(&"univariate") {
            assert!(
                copy["successes"]["attack"].as_f64().unwrap() > copy["successes"]["control"].as_f64().unwrap(),
                "{copy}"
            );
        } else {
            assert!(risk > 0.3, "{attack:?} on a copy of the original: risk {risk}");
        }
        if attack[0] == "membership" {
            let auc = copy["roc"]["auc"]["value"].as_f64().unwrap();
            assert!(auc > 0.8, "membership AUC on a copy: {auc}");
            assert!(copy["roc"]["points"].as_array().unwrap().len() > 2);
        }
    }
}

#[test]
fn an_independent_sample_shows_little_risk() {
    let dir = tempdir();
    adult_parts(dir.path());
    for attack in ATTACKS {
        let v = run(dir.path(), "independent.csv", attack, &[]);
        let (risk, high) = (v["risk"]["value"].as_f64().unwrap(), v["risk"]["high"].as_f64().unwrap());
        assert!(risk <= 0.1, "{attack:?} on an independent sample: risk {risk}");
        assert!(high < 0.5, "{attack:?}: interval {high}");
    }
}

#[test]
fn the_same_seed_gives_the_same_result_and_another_seed_another() {
    let dir = tempdir();
    adult_parts(dir.path());
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("seconds");
        v
    };
    let attack = ATTACKS[3];
    let a = strip(run(dir.path(), "copy.csv", attack, &["--seed", "7"]));
    let b = strip(run(dir.path(), "copy.csv", attack, &["--seed", "7"]));
    let c = strip(run(dir.path(), "copy.csv", attack, &["--seed", "8"]));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn the_summary_names_the_rates_and_the_risk() {
    let dir = tempdir();
    adult_parts(dir.path());
    let out = anonlab_ok(
        dir.path(),
        &[
            "attack",
            "linkability",
            "--original",
            "original.csv",
            "--release",
            "copy.csv",
            "--control",
            "control.csv",
            "--aux-cols-a",
            "age,sex",
            "--aux-cols-b",
            "race,education",
            "--n-attacks",
            "100",
            "--output",
            "result.json",
        ],
    );
    for line in ["attack rate", "baseline rate", "control rate", "risk", "attacker knows"] {
        assert!(out.contains(line), "summary lacks '{line}':\n{out}");
    }
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("result.json")).unwrap()).unwrap();
    assert_eq!(saved["attack"], "linkability");
}

/// Anonymizes adult with `config` and attacks the release by linkage; returns the result.
fn linkage_on(config: &str, n_attacks: &str) -> Value {
    let dir = tempdir();
    let examples = repo_root().join("examples/adult");
    let config = examples.join(config);
    let release = dir.path().join("release.csv");
    let original = examples.join("adult.csv");
    anonlab_ok(dir.path(), &["anonymize", "-c", config.to_str().unwrap(), "-o", release.to_str().unwrap(), "-q"]);
    let args = [
        "attack",
        "linkage",
        "--original",
        original.to_str().unwrap(),
        "--release",
        release.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--n-attacks",
        n_attacks,
        "--seed",
        "3",
        "--json",
    ];
    serde_json::from_str(&anonlab_ok(dir.path(), &args)).unwrap()
}

/// On a global recoding, and on a strict Mondrian partition, every target's
/// candidates are exactly its own equivalence class, so the measured
/// re-identification rate must match the average prosecutor risk the
/// release's class sizes predict.
#[test]
fn linkage_matches_the_prosecutor_risk_the_release_predicts() {
    for (config, cap) in [("adult.toml", 0.2), ("adult-mondrian.toml", 0.1)] {
        // Every row a target: the expected success is then exactly the average risk.
        let v = linkage_on(config, "30162");
        let d = &v["details"];
        let predicted = d["predicted_prosecutor_risk"]["average"].as_f64().unwrap();
        let expected = d["expected_success"].as_f64().unwrap();
        assert_eq!(d["targets_not_covered_by_own_record"], 0, "{config}: {d}");
        assert!((expected - predicted).abs() < 1e-9, "{config}: expected {expected}, predicted {predicted}");
        let (low, high) = (v["attack_rate"]["low"].as_f64().unwrap(), v["attack_rate"]["high"].as_f64().unwrap());
        assert!(low <= predicted && predicted <= high, "{config}: measured [{low}, {high}] vs predicted {predicted}");
        assert!(d["predicted_prosecutor_risk"]["highest"].as_f64().unwrap() <= cap, "{config}: k caps the risk");
    }
}

#[test]
fn bad_input_gets_one_clear_error() {
    let dir = tempdir();
    adult_parts(dir.path());
    std::fs::write(dir.path().join("empty.csv"), "sex;age\n").unwrap();
    std::fs::write(dir.path().join("short.csv"), "sex;age\nMale;20-39\n").unwrap();
    std::fs::write(dir.path().join("ragged.csv"), "sex,age\nMale,39\nFemale\n").unwrap();
    let base = ["--original", "original.csv", "--control", "control.csv"];
    let cases: [(&[&str], &str); 9] = [
        (&["inference", "--release", "copy.csv", "--aux-cols", "age,weight", "--secret", "sex"], "no column 'weight'"),
        (&["inference", "--release", "missing.csv", "--aux-cols", "age", "--secret", "sex"], "missing.csv"),
        (&["inference", "--release", "empty.csv", "--aux-cols", "age", "--secret", "sex"], "has no rows"),
        (&["inference", "--release", "ragged.csv", "--aux-cols", "age", "--secret", "sex"], "line 3"),
        (&["inference", "--release", "copy.csv", "--aux-cols", "age,sex", "--secret", "sex"], "cannot also be"),
        (&["singling-out", "--release", "copy.csv", "--n-cols", "12"], "--n-cols is 12"),
        (
            &["linkability", "--release", "copy.csv", "--aux-cols-a", "age,sex", "--aux-cols-b", "sex"],
            "both --aux-cols-a and --aux-cols-b",
        ),
        (&["linkage", "--release", "short.csv", "--qi", "age,sex"], "row-aligned"),
        (&["singling-out", "--release", "copy.csv", "--n-attacks", "0"], "at least 1"),
    ];
    for (args, message) in cases {
        let mut all = vec!["attack", args[0]];
        all.extend(base);
        all.extend_from_slice(&args[1..]);
        let err = anonlab_err(dir.path(), &all, 2);
        assert!(err.contains(message), "{all:?}: expected '{message}' in: {err}");
    }
    let err =
        anonlab_err(dir.path(), &["attack", "membership", "--original", "original.csv", "--release", "copy.csv"], 2);
    assert!(err.contains("needs --control"), "{err}");
}
