//! ARX 3.9.2's published optima on UCI Adult (issue #2's correctness gates),
//! declared in `oracles/arx/cases.toml`, and an independent check of each release.

use std::collections::HashSet;

use serde::Deserialize;

use crate::util::{ADULT_QIS, anonlab_ok, classes_of, crate_dir, read_csv, suppressed_rows, tempdir};

#[derive(Debug, Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    name: String,
    args: Vec<String>,
    transformation: Vec<u8>,
    information_loss: f64,
    equivalence_classes: Option<u64>,
    suppressed_rows: Option<u64>,
}

#[test]
fn reproduces_arx_optima_on_adult() {
    let dir = crate_dir().join("tests/oracles/arx");
    let cases: Cases = toml::from_str(&std::fs::read_to_string(dir.join("cases.toml")).unwrap()).unwrap();
    assert_eq!(cases.case.len(), 5, "all five gates are declared");
    let out = tempdir();
    for case in &cases.case {
        let release = out.path().join(format!("{}.csv", case.name));
        let mut args = vec!["anonymize", "--config", "adult.toml", "--json", "--quiet", "--output"];
        args.push(release.to_str().unwrap());
        args.extend(case.args.iter().map(String::as_str));
        let report: serde_json::Value = serde_json::from_str(&anonlab_ok(&dir, &args)).unwrap();

        let transformation: Vec<u8> = serde_json::from_value(report["transformation"].clone()).unwrap();
        assert_eq!(transformation, case.transformation, "{}: transformation", case.name);
        let loss = report["information_loss"].as_f64().unwrap();
        let relative = (loss - case.information_loss).abs() / case.information_loss.abs();
        assert!(relative <= 1e-9, "{}: information loss {loss} vs ARX {}", case.name, case.information_loss);
        if let Some(classes) = case.equivalence_classes {
            assert_eq!(report["equivalence_classes"], classes, "{}: classes", case.name);
        }
        if let Some(suppressed) = case.suppressed_rows {
            assert_eq!(report["suppressed_rows"], suppressed, "{}: suppressed rows", case.name);
        }
        println!(
            "{:<58} {:?} {} (ARX {}) checked {}",
            case.name, transformation, loss, case.information_loss, report["transformations_checked"]
        );
        check_release(case, &report, &release);
    }
}

/// Re-derives the release's privacy from the written CSV alone.
fn check_release(case: &Case, report: &serde_json::Value, release: &std::path::Path) {
    let (header, rows) = read_csv(release, b';');
    assert_eq!(rows.len(), 30_162, "{}: every input row is in the release", case.name);
    let sensitive = case.args.iter().position(|a| a == "--sensitive").map(|i| case.args[i + 1].as_str());
    let qis: Vec<&str> = ADULT_QIS.iter().copied().filter(|q| Some(*q) != sensitive).collect();
    let classes = classes_of(&header, &rows, &qis, sensitive);
    assert_eq!(classes.len() as u64, report["equivalence_classes"].as_u64().unwrap(), "{}", case.name);
    assert_eq!(suppressed_rows(&header, &rows, &qis) as u64, report["suppressed_rows"].as_u64().unwrap());
    let min = classes.iter().map(|c| c.0).min().unwrap();
    let k = case.args.iter().position(|a| a == "--k").map_or(1, |i| case.args[i + 1].parse().unwrap());
    assert!(min >= k, "{}: a class of {min} < k = {k}", case.name);
    if let Some(spec) = case.args.iter().position(|a| a == "--l-diversity").map(|i| &case.args[i + 1]) {
        let parts: Vec<&str> = spec.split(':').collect();
        let l: f64 = parts[2].parse().unwrap();
        for (count, values) in &classes {
            match parts[1] {
                "distinct" => assert!(values.iter().collect::<HashSet<_>>().len() as f64 >= l),
                "entropy" => {
                    let mut freq = std::collections::HashMap::new();
                    for v in values {
                        *freq.entry(v).or_insert(0usize) += 1;
                    }
                    let entropy: f64 = freq.values().map(|&f| f as f64 / *count as f64).map(|p| -p * p.ln()).sum();
                    assert!(entropy >= l.ln() - 1e-12, "{}: class entropy {entropy} < ln {l}", case.name);
                }
                other => panic!("unexpected variant {other}"),
            }
        }
    }
}
