//! `anonlab synth` and `anonlab utility`: a DP synthetic copy of a plain CSV
//! with the input's header and delimiter, its cost in the ledger, and its
//! utility against the real table.

use serde_json::Value;

use crate::util::{anonlab_err, anonlab_ok, shared_data, tempdir};

#[test]
fn a_plain_csv_gets_a_synthetic_copy_that_keeps_its_statistics() {
    let dir = tempdir();
    let adult = shared_data().join("adult/adult.csv");
    let adult = adult.to_str().unwrap();
    anonlab_ok(
        dir.path(),
        &[
            "synth",
            "--epsilon",
            "1",
            "--delta",
            "1e-9",
            "--seed",
            "3",
            adult,
            "-o",
            "synth.csv",
            "--report",
            "synth.json",
            "-q",
        ],
    );
    let text = std::fs::read_to_string(dir.path().join("synth.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("sex;age;race;marital-status;education;native-country;workclass;occupation;salary-class")
    );
    let rows = lines.count();
    assert!((rows as f64 - 30_162.0).abs() < 300.0, "{rows} rows: a noisy estimate of the input's count");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("synth.json")).unwrap()).unwrap();
    assert!(report["epsilon"].as_f64().unwrap() <= 1.0 + 1e-9, "{report}");
    let u: Value = serde_json::from_str(&anonlab_ok(
        dir.path(),
        &["utility", "--real", adult, "--synthetic", "synth.csv", "--json"],
    ))
    .unwrap();
    assert!(u["tvd_2way"].as_f64().unwrap() < 0.07, "{}", u["tvd_2way"]);
    assert!(u["tvd_3way"].as_f64().unwrap() < 0.13, "{}", u["tvd_3way"]);
}

#[test]
fn synthesis_is_charged_to_the_ledger_and_refused_when_the_budget_is_spent() {
    let dir = tempdir();
    let data = shared_data().join("healthinsurance.csv");
    let data = data.to_str().unwrap();
    let ledger = ["--ledger", "l.jsonl", "--dataset", "hi", "--analyst", "owner"];
    // One synthesis at ε = 1, δ = 1e-9 costs ρ ≈ 0.015: the budget holds one, not two.
    let mut set = vec!["dp", "budget", "--set", "rho=0.02,delta=1e-8"];
    set.extend(ledger);
    anonlab_ok(dir.path(), &set);
    let mut synth = vec!["synth", "--epsilon", "1", "--delta", "1e-9", data, "-o", "s.csv", "-q"];
    synth.extend(ledger);
    anonlab_ok(dir.path(), &synth);
    std::fs::remove_file(dir.path().join("s.csv")).unwrap();
    let err = anonlab_err(dir.path(), &synth, 2);
    assert!(err.contains("refused"), "{err}");
    assert!(!dir.path().join("s.csv").exists(), "a refused synthesis writes nothing");
}

#[test]
fn bad_settings_are_one_clear_error() {
    let dir = tempdir();
    std::fs::write(dir.path().join("empty.csv"), "a,b\n").unwrap();
    let data = shared_data().join("healthinsurance.csv");
    let data = data.to_str().unwrap();
    for (args, message) in [
        (vec!["synth", "--epsilon", "0", data, "-o", "s.csv"], "epsilon"),
        (vec!["synth", "--delta", "1", data, "-o", "s.csv"], "delta"),
        (vec!["synth", "empty.csv", "-o", "s.csv"], ""),
    ] {
        let err = anonlab_err(dir.path(), &args, 2);
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(!dir.path().join("s.csv").exists());
    }
}

#[test]
fn a_public_domain_file_is_used_for_its_columns() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("domain.toml"),
        "[columns.sex]\ntype = \"categories\"\nvalues = [\"Male\", \"Female\"]\n\n[columns.age]\ntype = \"numeric\"\nlower = 17\nupper = 90\n",
    )
    .unwrap();
    let adult = shared_data().join("adult/adult.csv");
    anonlab_ok(
        dir.path(),
        &["synth", adult.to_str().unwrap(), "-o", "s.csv", "--domain", "domain.toml", "--report", "r.json", "-q"],
    );
    let text = std::fs::read_to_string(dir.path().join("s.csv")).unwrap();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(';').collect();
        assert!(["Male", "Female"].contains(&fields[0]), "{line}");
        let age: f64 = fields[1].parse().unwrap();
        assert!((17.0..=90.0).contains(&age), "{line}");
    }
    std::fs::write(dir.path().join("bad.toml"), "[columns.sex]\ntype = \"colour\"\n").unwrap();
    let err = anonlab_err(dir.path(), &["synth", adult.to_str().unwrap(), "-o", "s2.csv", "--domain", "bad.toml"], 2);
    assert!(err.contains("bad.toml"), "{err}");
}
