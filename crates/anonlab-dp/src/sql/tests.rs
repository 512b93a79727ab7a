//! Tests of the SQL release: coverage of the stated intervals, groups, costs, errors.

use anonlab_table::Table;
use anonlab_table::io::csv::{CsvOptions, read_csv};

use super::*;

fn table(text: &str) -> Table {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::write(&path, text).unwrap();
    read_csv(&path, &CsvOptions { delimiter: Some(b',') }).unwrap()
}

/// 2,000 patients: age 20..=79 (each 1/60), sex alternating, a few outside the keys.
fn patients() -> Table {
    let mut text = String::from("age,sex\n");
    for i in 0..2000 {
        let sex = if i % 100 == 99 {
            "x"
        } else if i % 2 == 0 {
            "f"
        } else {
            "m"
        };
        text.push_str(&format!("{},{sex}\n", 20 + i % 60));
    }
    table(&text)
}

fn metadata() -> Metadata {
    toml::from_str("[columns.age]\nlower = 0\nupper = 100\n[columns.sex]\nkeys = [\"f\", \"m\"]\n").unwrap()
}

fn settings(rho: f64) -> Settings {
    Settings { rho, delta: 1e-6, confidence: 0.9, quantile_bins: 50 }
}

#[test]
fn intervals_cover_the_truth_as_often_as_stated() {
    let t = patients();
    let plan = parse("SELECT COUNT(*), AVG(age), VARIANCE(age), MEDIAN(age) FROM t WHERE sex <> 'x'").unwrap();
    let truth_n = 1980.0;
    let ages: Vec<f64> = (0..2000).filter(|i| i % 100 != 99).map(|i| f64::from(20 + i % 60)).collect();
    let mean = ages.iter().sum::<f64>() / truth_n;
    let var = ages.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / truth_n;
    let truths = [truth_n, mean, var, 49.5];
    let runs = 200;
    let mut covered = [0usize; 4];
    for _ in 0..runs {
        // A small budget, so the noise is visible.
        let a = answer(&t, &plan, &metadata(), &settings(0.02)).unwrap();
        for (k, cell) in a.rows[0].cells.iter().enumerate() {
            covered[k] += usize::from(cell.low <= truths[k] && truths[k] <= cell.high);
        }
    }
    for (k, c) in covered.iter().enumerate() {
        let rate = *c as f64 / runs as f64;
        // Stated 90 %; Bonferroni and interval arithmetic make it conservative.
        assert!(rate >= 0.85, "aggregate {k}: covered {rate}");
    }
}

#[test]
fn groups_are_the_public_keys_and_outsiders_are_reported() {
    let t = patients();
    let plan = parse("SELECT sex, COUNT(*) AS n FROM t GROUP BY sex").unwrap();
    let a = answer(&t, &plan, &metadata(), &settings(1.0)).unwrap();
    assert_eq!(a.columns, vec!["sex", "n"]);
    let keys: Vec<&str> = a.rows.iter().map(|r| r.keys[0].as_str()).collect();
    assert_eq!(keys, vec!["f", "m"]);
    for r in &a.rows {
        assert!((r.cells[0].value - 990.0).abs() < 30.0, "{:?}", r.cells[0]);
    }
    assert!(a.notes.iter().any(|n| n.contains("20 row(s)")), "{:?}", a.notes);
}

#[test]
fn the_cost_is_known_before_any_data_is_read() {
    let plan = parse("SELECT COUNT(*), AVG(age) FROM t").unwrap();
    let c = cost(&plan, &metadata(), &settings(0.3)).unwrap();
    // COUNT, and AVG's count and sum: three equal parts.
    assert_eq!(c.parts.len(), 3);
    assert!((c.parts.iter().map(|p| p.rho).sum::<f64>() - 0.3).abs() < 1e-12);
    assert!((c.epsilon - crate::budget::epsilon(0.3, 1e-6).unwrap()).abs() < 1e-12);
    // The sum's noise scales with the bound: Δ = 100, ρ = 0.1 → σ = 100 / √0.2.
    assert!((c.parts[2].scale - 100.0 / 0.2f64.sqrt()).abs() < 1e-9, "{:?}", c.parts);
}

#[test]
fn contributions_are_bounded_per_person() {
    let t = table("pid,age\n1,30\n1,31\n1,32\n2,40\n");
    let m: Metadata = toml::from_str("max_contributions = 2\nprivacy_unit = \"pid\"\n").unwrap();
    let plan = parse("SELECT COUNT(*) FROM t").unwrap();
    let a = answer(&t, &plan, &m, &settings(100.0)).unwrap();
    assert!(a.notes.iter().any(|n| n.contains("1 row(s) dropped")), "{:?}", a.notes);
    assert!((a.rows[0].cells[0].value - 3.0).abs() <= 2.0);
}

#[test]
fn missing_facts_are_named() {
    let t = patients();
    for (sql, message) in
        [("SELECT SUM(age) FROM t", "needs public bounds"), ("SELECT COUNT(weight) FROM t", "unknown column 'weight'")]
    {
        let err = answer(&t, &parse(sql).unwrap(), &Metadata::default(), &settings(1.0)).unwrap_err().to_string();
        assert!(err.contains(message), "{sql}: {err}");
    }
}

/// Casacuberta et al.'s attack on floating-point sums: neighbouring datasets
/// whose naive sums differ by far more than the added record's clamped value.
/// The exact sum moves by the record alone.
#[test]
fn a_floating_point_sum_attack_does_not_move_the_exact_sum() {
    use super::answer::ExactSum;
    // 2^53 absorbs later additions of 1.0 in naive floating point.
    let big = 9_007_199_254_740_992.0f64;
    let base: Vec<f64> = std::iter::once(big).chain(std::iter::repeat_n(1.0, 1000)).collect();
    let naive = |v: &[f64]| v.iter().fold(0.0, |a, x| a + x);
    let exact = |v: &[f64]| {
        let mut s = ExactSum::default();
        v.iter().for_each(|x| s.add(*x));
        s.value()
    };
    // Removing the big value first, then re-adding it in front: the naive sum of
    // the neighbour without it is 1000, with it 2^53 (the 1000 ones vanished).
    let without: Vec<f64> = base[1..].to_vec();
    assert_eq!(naive(&base) - naive(&without), big - 1000.0, "the naive sum loses the 1000 ones");
    assert_eq!(exact(&base) - exact(&without), big, "the exact sum moves by the record only");
    // Order does not matter to the exact sum.
    let mut reversed = base.clone();
    reversed.reverse();
    assert_eq!(exact(&base), exact(&reversed));
    assert_ne!(naive(&base), naive(&reversed));
}

/// Mironov's attack on floating-point noise: a naive `x + noise` computed in
/// floating point leaves outputs whose low-order bits depend on x, so an
/// attacker tells neighbouring inputs apart from a single output. OpenDP
/// samples exactly and rounds once, so the low bits carry no trace of the
/// input: the last-mantissa-bit distinguisher finds the same ~50/50 split
/// for the inputs 0 and 1.
#[test]
fn mironovs_low_bit_distinguisher_fails() {
    use crate::mechanisms::gaussian_values;
    let parity = |x: f64| {
        let out = gaussian_values(&vec![x; 40_000], 1.0, 2.0).unwrap().values;
        let bits: Vec<u64> = out.iter().filter(|y| y.abs() >= 1.0).map(|y| y.to_bits() & 1).collect();
        bits.iter().sum::<u64>() as f64 / bits.len() as f64
    };
    let (a, b) = (parity(0.0), parity(1.0));
    assert!((a - 0.5).abs() < 0.02 && (b - 0.5).abs() < 0.02, "last-bit frequencies {a} and {b}");
}

/// Without public keys, the groups come from the data through thresholded
/// partition selection: large groups are released, a group of one is not.
#[test]
fn keys_found_in_the_data_are_released_only_when_large() {
    let mut text = String::from("dx,age\n");
    for i in 0..3000 {
        text.push_str(&format!("{},{}\n", if i % 2 == 0 { "I10" } else { "E11" }, 30 + i % 40));
    }
    text.push_str("C91.0,50\n"); // one patient with a rare diagnosis
    let t = table(&text);
    let plan = parse("SELECT dx, COUNT(*) FROM t GROUP BY dx").unwrap();
    let s = Settings { rho: 0.5, delta: 1e-6, confidence: 0.95, quantile_bins: 16 };
    let c = cost(&plan, &Metadata::default(), &s).unwrap();
    assert!((c.delta_keys - 5e-7).abs() < 1e-18);
    assert!(c.parts[0].what.contains("thresholded"));
    for _ in 0..20 {
        let a = answer(&t, &plan, &Metadata::default(), &s).unwrap();
        let keys: Vec<&str> = a.rows.iter().map(|r| r.keys[0].as_str()).collect();
        assert_eq!(keys, vec!["E11", "I10"], "the rare key must never show");
        assert!(a.notes.iter().any(|n| n.contains("thresholded")));
    }
}
