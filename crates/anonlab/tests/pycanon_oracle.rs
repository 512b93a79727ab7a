//! The PyPI package `pycanon` independently confirms k, l and t on our releases
//! (adult with ARX hierarchies; flchain and healthinsurance with built ones).
//!
//! The oracle runs in the virtual environment `scripts/python-env.sh` creates
//! (`scripts/test.sh` sets `ANONLAB_ORACLE_PYTHON`). A missing oracle fails the
//! test; set `ANONLAB_ORACLE=skip` to skip it knowingly.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{anonlab_ok, crate_dir, repo_root, shared_data, tempdir};

fn oracle_python() -> Option<PathBuf> {
    if std::env::var("ANONLAB_ORACLE").as_deref() == Ok("skip") {
        eprintln!("SKIPPED: pycanon oracle (ANONLAB_ORACLE=skip)");
        return None;
    }
    let python = std::env::var_os("ANONLAB_ORACLE_PYTHON").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/anonlab/venv/bin/python")
    });
    assert!(
        python.exists(),
        "the pycanon oracle is not installed at {}: run scripts/test.sh (or scripts/python-env.sh), \
         or set ANONLAB_ORACLE=skip",
        python.display()
    );
    Some(python)
}

#[derive(Clone, Copy)]
struct Check<'a> {
    qis: &'a str,
    sensitive: Option<&'a str>,
    k: Option<u64>,
    l: Option<u64>,
    entropy_l: Option<f64>,
    t: Option<f64>,
}

/// Runs the checker on a release; returns its JSON verdict after asserting it passed.
fn pycanon(python: &Path, release: &Path, delimiter: &str, check: &Check<'_>) -> serde_json::Value {
    let mut cmd = Command::new(python);
    cmd.arg(repo_root().join("tests/oracle/pycanon_check.py")).args([
        "--data",
        release.to_str().unwrap(),
        "--delimiter",
        delimiter,
        "--qi",
        check.qis,
        "--json",
    ]);
    if let Some(sa) = check.sensitive {
        cmd.args(["--sa", sa]);
    }
    for (flag, value) in [
        ("--k", check.k.map(|v| v.to_string())),
        ("--l", check.l.map(|v| v.to_string())),
        ("--entropy-l", check.entropy_l.map(|v| v.to_string())),
        ("--t", check.t.map(|v| v.to_string())),
    ] {
        if let Some(v) = value {
            cmd.args([flag, &v]);
        }
    }
    let out = cmd.output().expect("the oracle runs");
    let verdict: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("oracle output: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(out.status.success(), "pycanon rejects {}: {verdict}", release.display());
    verdict
}

const ADULT_QIS: &str = "sex,age,race,marital-status,education,native-country,workclass,occupation,salary-class";
const ADULT_QIS_NO_OCCUPATION: &str = "sex,age,race,marital-status,education,native-country,workclass,salary-class";

#[test]
fn pycanon_confirms_adult_releases() {
    let Some(python) = oracle_python() else { return };
    let dir = crate_dir().join("tests/oracles/arx");
    let out = tempdir();
    let occupation = ["--sensitive", "occupation"];
    // The global and the iterative release must pass the same checks.
    let k5 = Check { qis: ADULT_QIS, sensitive: None, k: Some(5), l: None, entropy_l: None, t: None };
    let distinct_l3 = Check {
        qis: ADULT_QIS_NO_OCCUPATION,
        sensitive: Some("occupation"),
        k: Some(3),
        l: Some(3),
        entropy_l: None,
        t: None,
    };
    let cases: Vec<(&str, Vec<&str>, Check<'_>)> = vec![
        ("k5", vec!["--k", "5", "--suppression-limit", "0.04"], k5),
        (
            "distinct-l3",
            [&occupation[..], &["--l-diversity", "occupation:distinct:3", "--suppression-limit", "0.04"]].concat(),
            distinct_l3,
        ),
        (
            "entropy-l5",
            [&occupation[..], &["--l-diversity", "occupation:entropy:5", "--suppression-limit", "0.04"]].concat(),
            Check {
                qis: ADULT_QIS_NO_OCCUPATION,
                sensitive: Some("occupation"),
                k: Some(5),
                l: Some(5),
                entropy_l: Some(5.0),
                t: None,
            },
        ),
        (
            // Iterative local recoding: classes of different transformations side by side.
            "iterative-k5",
            vec!["--k", "5", "--suppression-limit", "0.04", "--mode", "iterative"],
            k5,
        ),
        (
            "iterative-distinct-l3",
            [
                &occupation[..],
                &["--l-diversity", "occupation:distinct:3", "--suppression-limit", "0.04", "--mode", "iterative"],
            ]
            .concat(),
            distinct_l3,
        ),
        (
            // No suppression, so pycanon's reference distribution (the rows it is given) is ARX's (all rows).
            "t-equal-0.2",
            [&occupation[..], &["--k", "5", "--t-closeness", "occupation:equal:0.2", "--suppression-limit", "0"]]
                .concat(),
            Check {
                qis: ADULT_QIS_NO_OCCUPATION,
                sensitive: Some("occupation"),
                k: Some(5),
                l: None,
                entropy_l: None,
                t: Some(0.2),
            },
        ),
    ];
    for (name, flags, check) in cases {
        let release = out.path().join(format!("{name}.csv"));
        let mut args = vec!["anonymize", "--config", "adult.toml", "--quiet", "--output", release.to_str().unwrap()];
        args.extend(flags);
        anonlab_ok(&dir, &args);
        let verdict = pycanon(&python, &release, ";", &check);
        println!("adult {name}: pycanon k={} l={} t={}", verdict["k"], verdict["l"], verdict["t"]);
    }
}

#[test]
fn pycanon_confirms_medical_releases_with_built_hierarchies() {
    let Some(python) = oracle_python() else { return };
    shared_data();
    let dir = crate_dir().join("tests/oracles/pycanon");
    let out = tempdir();
    let cases = [
        (
            "flchain",
            Check {
                qis: "age,sex,sample.yr,mgus",
                sensitive: Some("chapter"),
                k: Some(5),
                l: Some(3),
                entropy_l: None,
                t: None,
            },
        ),
        (
            "healthinsurance",
            Check {
                qis: "age,gender,married,family,region,ethnicity",
                sensitive: Some("health"),
                k: Some(10),
                l: None,
                entropy_l: None,
                t: Some(0.05),
            },
        ),
    ];
    for (name, check) in cases {
        let release = out.path().join(format!("{name}.csv"));
        let config = format!("{name}.toml");
        anonlab_ok(&dir, &["anonymize", "--config", &config, "--quiet", "--output", release.to_str().unwrap()]);
        let verdict = pycanon(&python, &release, ",", &check);
        println!("{name}: pycanon k={} l={} t={}", verdict["k"], verdict["l"], verdict["t"]);
    }
}
