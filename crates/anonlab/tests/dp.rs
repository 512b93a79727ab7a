//! `anonlab dp query` and `anonlab dp budget`: answers with intervals, costs
//! shown before spending, a ledger that refuses overspending, clear errors.

use serde_json::Value;

use crate::util::{anonlab_err, anonlab_ok, shared_data, tempdir};

const METADATA: &str = "[columns.age]\nlower = 17\nupper = 90\n[columns.sex]\nkeys = [\"Male\", \"Female\"]\n";

fn adult() -> String {
    shared_data().join("adult/adult.csv").to_str().unwrap().to_string()
}

#[test]
fn a_grouped_query_gives_noisy_answers_with_intervals_and_its_cost() {
    let dir = tempdir();
    std::fs::write(dir.path().join("meta.toml"), METADATA).unwrap();
    let data = adult();
    let out = anonlab_ok(
        dir.path(),
        &[
            "dp",
            "query",
            "--data",
            &data,
            "--metadata",
            "meta.toml",
            "--budget",
            "epsilon=2,delta=1e-6",
            "--json",
            "SELECT sex, COUNT(*) AS n, AVG(age) FROM adult GROUP BY sex",
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["columns"], serde_json::json!(["sex", "n", "avg(age)"]));
    // adult: 20,380 men, 9,782 women, mean ages 39.4 and 36.9.
    let truth = [("Male", 20380.0, 39.43), ("Female", 9782.0, 36.88)];
    for (row, (sex, n, age)) in v["rows"].as_array().unwrap().iter().zip(truth) {
        assert_eq!(row["keys"][0], sex);
        let count = &row["cells"][0];
        assert!(count["low"].as_f64().unwrap() <= count["value"].as_f64().unwrap());
        assert!((count["value"].as_f64().unwrap() - n).abs() < 100.0, "{row}");
        assert!((row["cells"][1]["value"].as_f64().unwrap() - age).abs() < 1.0, "{row}");
    }
    assert!((v["cost"]["epsilon"].as_f64().unwrap() - 2.0).abs() < 1e-6);
}

#[test]
fn groups_without_public_keys_are_released_by_threshold() {
    let dir = tempdir();
    let data = adult();
    let out = anonlab_ok(
        dir.path(),
        &[
            "dp",
            "query",
            "--data",
            &data,
            "--budget",
            "epsilon=1,delta=1e-6",
            "--json",
            "SELECT race, COUNT(*) FROM t GROUP BY race",
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&str> = v["rows"].as_array().unwrap().iter().map(|r| r["keys"][0].as_str().unwrap()).collect();
    // adult's five races all have hundreds of rows: all clear the threshold.
    assert_eq!(keys, vec!["Amer-Indian-Eskimo", "Asian-Pac-Islander", "Black", "Other", "White"], "{v}");
    assert!((v["cost"]["delta_keys"].as_f64().unwrap() - 5e-7).abs() < 1e-15);
}

#[test]
fn a_dry_run_reads_no_data_and_spends_nothing() {
    let dir = tempdir();
    std::fs::write(dir.path().join("meta.toml"), METADATA).unwrap();
    let out = anonlab_ok(
        dir.path(),
        &[
            "dp",
            "query",
            "--data",
            "does-not-exist.csv",
            "--metadata",
            "meta.toml",
            "--budget",
            "rho=0.3",
            "--dry-run",
            "--ledger",
            "l.jsonl",
            "--analyst",
            "ann",
            "SELECT COUNT(*), SUM(age) FROM t",
        ],
    );
    assert!(out.contains("nothing read, nothing spent"), "{out}");
    assert!(out.contains("sum(age): sum"), "{out}");
    assert!(!dir.path().join("l.jsonl").exists());
}

#[test]
fn the_ledger_refuses_a_query_that_would_exceed_the_budget() {
    let dir = tempdir();
    let data = adult();
    let ledger = ["--ledger", "l.jsonl", "--dataset", "adult", "--analyst", "ann"];
    let mut set = vec!["dp", "budget", "--set", "epsilon=1.5,delta=1e-6"];
    set.extend(ledger);
    anonlab_ok(dir.path(), &set);
    let mut q = vec!["dp", "query", "--data", &data, "--budget", "epsilon=1,delta=1e-6", "SELECT COUNT(*) FROM t"];
    q.extend(ledger);
    anonlab_ok(dir.path(), &q);
    anonlab_ok(dir.path(), &q); // zCDP: two ε = 1 queries compose to ε ≈ 1.45
    let err = anonlab_err(dir.path(), &q, 2);
    assert!(err.contains("refused"), "{err}");
    let mut show = vec!["dp", "budget", "--json"];
    show.extend(ledger);
    let s: Value = serde_json::from_str(&anonlab_ok(dir.path(), &show)).unwrap();
    assert!(s["spent_epsilon"].as_f64().unwrap() <= 1.5, "{s}");
    assert_eq!(std::fs::read_to_string(dir.path().join("l.jsonl")).unwrap().lines().count(), 3);
}

/// Six processes race for a budget that holds three queries: exactly three answer.
#[test]
fn concurrent_processes_never_overspend_the_ledger() {
    let dir = tempdir();
    let data = adult();
    let ledger = ["--ledger", "l.jsonl", "--dataset", "adult", "--analyst", "ann"];
    let mut set = vec!["dp", "budget", "--set", "rho=0.3,delta=1e-6"];
    set.extend(ledger);
    anonlab_ok(dir.path(), &set);
    let children: Vec<_> = (0..6)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_anonlab"))
                .args(["dp", "query", "--data", &data, "--budget", "rho=0.1,delta=1e-6", "SELECT COUNT(*) FROM t"])
                .args(ledger)
                .current_dir(dir.path())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let answered = children.into_iter().map(|mut c| c.wait().unwrap()).filter(|s| s.success()).count();
    assert_eq!(answered, 3);
    let spends =
        std::fs::read_to_string(dir.path().join("l.jsonl")).unwrap().lines().filter(|l| l.contains("spend")).count();
    assert_eq!(spends, 3);
}

#[test]
fn bad_queries_and_settings_get_one_clear_error() {
    let dir = tempdir();
    std::fs::write(dir.path().join("meta.toml"), METADATA).unwrap();
    std::fs::write(dir.path().join("bad.toml"), "[columns.age]\nlower = 90\nupper = 17\n").unwrap();
    std::fs::write(dir.path().join("broken.toml"), "max_contributions = 1\n[columns.age\n").unwrap();
    let data = adult();
    let cases: [(&[&str], &str); 6] = [
        (&["--budget", "epsilon=1", "--metadata", "broken.toml", "SELECT COUNT(*) FROM t"], "broken.toml, line 2"),
        (&["--budget", "epsilon=1", "SELECT MAX(age) FROM t"], "function max"),
        (&["--budget", "epsilon=1", "SELECT SUM(age) FROM t"], "needs public bounds"),
        (&["--budget", "epsilon=-1", "SELECT COUNT(*) FROM t"], "epsilon must be a positive number"),
        (&["--budget", "epsilon=1", "--metadata", "bad.toml", "SELECT COUNT(*) FROM t"], "lower < upper"),
        (&["--budget", "epsilon=1", "SELECT COUNT(weight) FROM t"], "unknown column 'weight'"),
    ];
    for (args, message) in cases {
        let mut all = vec!["dp", "query", "--data", &data];
        all.extend_from_slice(args);
        let err = anonlab_err(dir.path(), &all, 2);
        assert!(err.contains(message), "{args:?}: {err}");
    }
}
