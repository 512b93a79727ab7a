use std::path::Path;
use std::sync::OnceLock;

use anonlab_table::io::csv::{CsvOptions, read_csv};
use rand::Rng;

use super::*;
use crate::frame::encode;
use crate::neighbors::Points;

/// UCI Adult as shipped with the repository (examples/adult).
const ADULT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/adult/adult.csv");

fn adult() -> &'static Table {
    static ADULT_TABLE: OnceLock<Table> = OnceLock::new();
    ADULT_TABLE.get_or_init(|| read_csv(Path::new(ADULT), &CsvOptions { delimiter: Some(b';') }).unwrap())
}

/// Disjoint random parts of `table` of the given sizes.
fn split(table: &Table, sizes: &[usize], seed: u64) -> Vec<Table> {
    let total: usize = sizes.iter().sum();
    let order = sample::choose(&mut sample::stream(seed, "test split"), table.rows(), total);
    let mut start = 0;
    sizes
        .iter()
        .map(|&n| {
            let rows: Vec<u32> = order[start..start + n].iter().map(|&r| r as u32).collect();
            start += n;
            table.select_rows(&rows)
        })
        .collect()
}

/// `n` rows of two continuous columns and a category, all from one
/// distribution: no two rows are equal.
fn continuous(n: usize, seed: u64) -> Table {
    let mut rng = sample::stream(seed, "test continuous");
    let mut text = String::from("x,y,group\n");
    for _ in 0..n {
        let x: f64 = (0..4).map(|_| rng.random::<f64>()).sum();
        let y = x + rng.random::<f64>();
        let group = ["a", "b", "c"][rng.random_range(0..3)];
        text.push_str(&format!("{x:.9},{y:.9},{group}\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::write(&path, text).unwrap();
    read_csv(&path, &CsvOptions::default()).unwrap()
}

fn settings(method: Method, targets: TargetChoice, n_targets: usize) -> Settings {
    Settings { method, targets, n_targets, seed: 11, bootstrap: 200, ..Settings::default() }
}

fn auc(result: &AttackResult) -> f64 {
    result.roc.as_ref().unwrap().auc.value
}

#[test]
fn a_copying_release_is_caught_by_distance() {
    let (original, control) = (continuous(1000, 1), continuous(1000, 2));
    let r = run(&original, &original, &control, &settings(Method::Distance, TargetChoice::Random, 300)).unwrap();
    assert!(auc(&r) > 0.99, "{}", auc(&r));
    assert!(r.rates.attack.value > 0.95 && r.rates.control.unwrap().value < 0.05, "{:?}", r);
    assert!(r.rates.risk.value > 0.9, "{:?}", r.rates.risk);
    let roc = r.roc.as_ref().unwrap();
    assert_eq!(roc.tpr_at_0_1pct_fpr.value, 1.0);
    assert!(roc.epsilon_lower_bound_conservative > 3.0, "{}", roc.epsilon_lower_bound_conservative);
    assert_eq!((r.n_attacks, roc.n_members, roc.n_non_members), (300, 300, 300));
    assert_eq!(r.attack, "membership");
    assert_eq!(r.mode.as_deref(), Some("distance"));
}

#[test]
fn an_independent_release_shows_no_membership() {
    // 2,000 targets per side: the risk's standard error is then about 0.03,
    // so the bound 0.1 is three of them.
    let parts = split(adult(), &[10_000, 10_000, 10_000], 3);
    let (original, control, independent) = (&parts[0], &parts[1], &parts[2]);
    for method in [Method::Distance, Method::Density] {
        for targets in [TargetChoice::Random, TargetChoice::Outliers] {
            let r = run(original, independent, control, &settings(method, targets, 2000)).unwrap();
            assert!((auc(&r) - 0.5).abs() < 0.08, "{method} {targets}: AUC {}", auc(&r));
            assert!(r.rates.risk.value <= 0.1, "{method} {targets}: risk {:?}", r.rates.risk);
        }
    }
    // And on continuous data, where there are no ties at all.
    let (original, control, independent) = (continuous(4000, 4), continuous(4000, 5), continuous(4000, 6));
    for method in [Method::Distance, Method::Density] {
        let r = run(&original, &independent, &control, &settings(method, TargetChoice::Random, 2000)).unwrap();
        assert!((auc(&r) - 0.5).abs() < 0.08, "{method}: AUC {}", auc(&r));
        assert!(r.rates.risk.value <= 0.1, "{method}: risk {:?}", r.rates.risk);
    }
}

#[test]
fn outlier_targets_are_at_least_as_exposed_as_random_ones() {
    let parts = split(adult(), &[4000, 4000], 5);
    let (original, control) = (&parts[0], &parts[1]);
    for method in [Method::Distance, Method::Density] {
        let random = run(original, original, control, &settings(method, TargetChoice::Random, 200)).unwrap();
        let outliers = run(original, original, control, &settings(method, TargetChoice::Outliers, 200)).unwrap();
        assert!(auc(&outliers) >= auc(&random), "{method}: outliers {} < random {}", auc(&outliers), auc(&random));
        assert_eq!(outliers.details["targets"], "outliers");
        assert_eq!(
            outliers.details["target_choice"]["candidates_per_side"],
            2000 + 2000 * (method == Method::Distance) as u64
        );
    }
}

#[test]
fn density_detects_a_release_that_copies_members() {
    let parts = split(adult(), &[3000, 6000], 6);
    let (original, control) = (&parts[0], &parts[1]);
    let r = run(original, original, control, &settings(Method::Density, TargetChoice::Random, 300)).unwrap();
    assert!(auc(&r) > 0.8, "AUC {}", auc(&r));
    assert!(r.rates.risk.value > 0.3, "{:?}", r.rates.risk);
    assert_eq!(r.mode.as_deref(), Some("density"));
    assert!(r.threat_model.knows.iter().any(|k| k.contains("reference sample")));
    assert_eq!(r.details["rows"]["reference"], 6000 - 300);
}

#[test]
fn the_same_seed_gives_the_same_result() {
    let parts = split(adult(), &[2000, 2000, 2000], 7);
    let json = |s: &Settings| {
        let mut r = run(&parts[0], &parts[2], &parts[1], s).unwrap();
        r.seconds = 0.0;
        serde_json::to_string(&r).unwrap()
    };
    for method in [Method::Distance, Method::Density] {
        for targets in [TargetChoice::Random, TargetChoice::Outliers] {
            let s = settings(method, targets, 300);
            assert_eq!(json(&s), json(&s), "{method} {targets}");
            assert_ne!(json(&s), json(&Settings { seed: 12, ..s.clone() }), "{method} {targets}");
        }
    }
}

#[test]
fn reference_rows_are_never_non_member_targets() {
    let parts = split(adult(), &[500, 700], 8);
    let e = encode(&[("original", &parts[0]), ("control", &parts[1])], &[]).unwrap();
    let columns: Vec<usize> = (0..e.fields.len()).collect();
    for targets in [TargetChoice::Random, TargetChoice::Outliers] {
        for n in [10, 100, 1000] {
            let s = settings(Method::Density, targets, n);
            let chosen = targets::choose(&e.frames[0], &e.frames[1], &e.fields, &columns, &s).unwrap();
            let mut all: Vec<usize> = chosen.non_members.iter().chain(&chosen.reference).copied().collect();
            all.sort_unstable();
            let before = all.len();
            all.dedup();
            assert_eq!(all.len(), before, "{targets} {n}: a reference row is also a target (or repeated)");
            assert!(all.iter().all(|&r| r < 700));
            assert!(chosen.reference.len() >= MIN_REFERENCE);
            assert_eq!(chosen.members.len(), chosen.non_members.len());
            assert!(chosen.members.iter().all(|&r| r < 500));
            let mut members = chosen.members.clone();
            members.sort_unstable();
            members.dedup();
            assert_eq!(members.len(), chosen.members.len());
        }
    }
    // The distance attack needs no reference and may take targets from all of the control.
    let s = settings(Method::Distance, TargetChoice::Random, 600);
    let chosen = targets::choose(&e.frames[0], &e.frames[1], &e.fields, &columns, &s).unwrap();
    assert!(chosen.reference.is_empty());
    assert_eq!(chosen.non_members.len(), 500);
}

#[test]
fn outliers_are_more_isolated_than_random_records() {
    let (original, control) = (continuous(400, 9), continuous(400, 10));
    let e = encode(&[("original", &original), ("control", &control)], &[]).unwrap();
    let columns: Vec<usize> = (0..e.fields.len()).collect();
    let s = settings(Method::Distance, TargetChoice::Outliers, 20);
    let chosen = targets::choose(&e.frames[0], &e.frames[1], &e.fields, &columns, &s).unwrap();
    // Brute force: isolation of every member over original ∪ control.
    let p = Points::new(&e.frames[0], &e.fields, &columns);
    let q = Points::new(&e.frames[1], &e.fields, &columns);
    let isolation = |i: usize| {
        let mut d: Vec<f64> = (0..400).filter(|&j| j != i).map(|j| p.distance(p.point(i), p.point(j))).collect();
        d.extend((0..400).map(|j| p.distance(p.point(i), q.point(j))));
        d.sort_by(f64::total_cmp);
        d[targets::NEIGHBOUR_RANK - 1]
    };
    let mut all: Vec<f64> = (0..400).map(isolation).collect();
    all.sort_by(|a, b| b.total_cmp(a));
    let mut got: Vec<f64> = chosen.members.iter().map(|&i| isolation(i)).collect();
    got.sort_by(|a, b| b.total_cmp(a));
    assert_eq!(got, all[..20].to_vec());
}

#[test]
fn too_small_inputs_are_clear_errors() {
    let parts = split(adult(), &[5, 30, 200, 200], 9);
    let message = |o: &Table, c: &Table, s: &Settings| run(o, o, c, s).unwrap_err().to_string();
    let distance = settings(Method::Distance, TargetChoice::Random, 100);
    let density = settings(Method::Density, TargetChoice::Random, 100);
    let m = message(&parts[0], &parts[2], &distance);
    assert!(m.contains("original table has 5 rows") && m.contains("at least 10"), "{m}");
    let m = message(&parts[2], &parts[0], &distance);
    assert!(m.contains("control table has 5 rows"), "{m}");
    let m = message(&parts[2], &parts[1], &density);
    assert!(m.contains("control table has 30 rows") && m.contains("reference sample of at least 20"), "{m}");
    // 40 rows are enough: 20 targets, 20 reference rows.
    let forty = split(adult(), &[40], 10).remove(0);
    let r = run(&parts[2], &parts[2], &forty, &density).unwrap();
    assert_eq!((r.n_attacks, r.details["rows"]["reference"].as_u64()), (20, Some(20)));
    assert!(r.warnings.iter().any(|w| w.contains("reference sample has only 20 rows")), "{:?}", r.warnings);
    let m = message(&parts[2], &parts[3], &Settings { n_targets: 5, ..distance.clone() });
    assert!(m.contains("at least 10 targets"), "{m}");
    let m = message(&parts[2], &parts[3], &Settings { columns: vec!["height".into()], ..distance.clone() });
    assert!(m.contains("no column 'height'"), "{m}");
    let m = message(&parts[2], &parts[3], &Settings { delta: 1.0, ..distance.clone() });
    assert!(m.contains("δ"), "{m}");
    let m = message(&parts[2], &parts[3], &Settings { bootstrap: 0, ..distance });
    assert!(m.contains("bootstrap"), "{m}");
}

#[test]
fn the_median_rule_splits_ties_in_expectation() {
    let d = Decision::median(&[3.0, 2.0, 1.0], &[0.0, -1.0, -2.0]);
    assert_eq!((d.members_flagged, d.non_members_flagged, d.median), (3.0, 0.0, 0.5));
    // Everyone at 0: half of each side, in expectation.
    let d = Decision::median(&[0.0; 4], &[0.0; 4]);
    assert_eq!((d.members_flagged, d.non_members_flagged), (2.0, 2.0));
    // Members all at 0 with two of four non-members: four slots over six tied targets.
    let d = Decision::median(&[0.0; 4], &[0.0, 0.0, -1.0, -2.0]);
    assert!(
        (d.members_flagged - 4.0 * 4.0 / 6.0).abs() < 1e-12 && (d.non_members_flagged - 2.0 * 4.0 / 6.0).abs() < 1e-12
    );
}

#[test]
fn names_parse_back() {
    for m in [Method::Distance, Method::Density] {
        assert_eq!(m.name().parse::<Method>().unwrap(), m);
    }
    for t in [TargetChoice::Random, TargetChoice::Outliers] {
        assert_eq!(t.name().parse::<TargetChoice>().unwrap(), t);
    }
    assert!("knn".parse::<Method>().is_err());
}
