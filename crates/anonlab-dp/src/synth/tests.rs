use std::path::Path;

use anonlab_table::Table;
use anonlab_table::column::ColumnBuilder;
use anonlab_table::datatype::{self, DataType};
use anonlab_table::io::csv::CsvOptions;
use rustc_hash::FxHashMap;

use super::*;

/// UCI Adult as shipped with the repository (examples/adult).
const ADULT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/adult/adult.csv");

fn adult() -> Table {
    anonlab_table::io::read_table(Path::new(ADULT), &CsvOptions { delimiter: None }).unwrap()
}

fn table(columns: &[(&str, Vec<String>)]) -> Table {
    let built = columns
        .iter()
        .map(|(name, values)| {
            let mut b = ColumnBuilder::new(*name);
            for (i, v) in values.iter().enumerate() {
                b.push(v, i as u64 + 2).unwrap();
            }
            b.finish()
        })
        .collect();
    Table::try_new(built, None, b',').unwrap()
}

/// A correlated toy table: `a` decides `b` most of the time; `n` a number
/// that grows with `a`; `d` dates.
fn toy(rows: usize) -> Table {
    let a: Vec<String> = (0..rows).map(|i| ["x", "y", "z"][(i * 7 + i / 3) % 3].to_string()).collect();
    let b: Vec<String> =
        a.iter().enumerate().map(|(i, a)| if i % 10 == 0 { "other".to_string() } else { format!("{a}{a}") }).collect();
    let n: Vec<String> = a
        .iter()
        .enumerate()
        .map(|(i, a)| format!("{:.1}", (a.as_bytes()[0] - b'x') as f64 * 10.0 + (i % 5) as f64 * 0.5))
        .collect();
    let d: Vec<String> = (0..rows).map(|i| format!("2020-01-{:02}", 1 + i % 28)).collect();
    table(&[("a", a), ("b", b), ("n", n), ("d", d)])
}

fn quiet(_: &str, _: f64) {}

/// The cells of each column as the utility evaluation cuts them: numeric
/// and date columns (inferred from the real table) in 10 quantile bins of
/// the real values, others one cell per value; a synthetic value the real
/// table lacks is a cell of its own.
fn cells(real: &Table, other: &Table) -> (Vec<Vec<u32>>, Vec<Vec<u32>>) {
    let mut out_real = Vec::new();
    let mut out_other = Vec::new();
    for (r, o) in real.columns().iter().zip(other.columns()) {
        let ty = datatype::infer(r.dictionary().iter().map(String::as_str).filter(|v| !v.is_empty()));
        let number = |v: &str| -> Option<f64> {
            match &ty {
                DataType::Integer | DataType::Decimal => v.trim().parse().ok(),
                DataType::Date { format } => columns::parse_date(v, format).map(|d| d as f64),
                _ => None,
            }
        };
        let mut dictionary: FxHashMap<String, u32> = FxHashMap::default();
        let edges: Option<Vec<f64>> = match ty {
            DataType::Integer | DataType::Decimal | DataType::Date { .. } => {
                let mut values: Vec<f64> = (0..real.rows()).filter_map(|i| number(r.value(i))).collect();
                values.sort_by(f64::total_cmp);
                let mut e: Vec<f64> = (1..10).map(|q| values[q * values.len() / 10]).collect();
                e.dedup();
                Some(e)
            }
            _ => None,
        };
        let mut encode = |c: &anonlab_table::Column, rows: usize| -> Vec<u32> {
            (0..rows)
                .map(|i| {
                    let v = c.value(i);
                    let key = match (&edges, number(v)) {
                        (Some(e), Some(x)) => format!("\u{1}{}", e.partition_point(|&edge| edge <= x)),
                        _ => v.to_string(),
                    };
                    let next = dictionary.len() as u32;
                    *dictionary.entry(key).or_insert(next)
                })
                .collect()
        };
        out_real.push(encode(r, real.rows()));
        out_other.push(encode(o, other.rows()));
    }
    (out_real, out_other)
}

/// Mean TVD = ½·Σ|p − q| over all k-way marginals (k = 2 or 3).
fn mean_tvd(real: &Table, synthetic: &Table, k: usize) -> f64 {
    let (a, b) = cells(real, synthetic);
    let d = a.len();
    let mut combos: Vec<Vec<usize>> = Vec::new();
    for i in 0..d {
        for j in i + 1..d {
            if k == 2 {
                combos.push(vec![i, j]);
            } else {
                combos.extend((j + 1..d).map(|l| vec![i, j, l]));
            }
        }
    }
    let frequencies = |t: &[Vec<u32>], combo: &[usize]| -> FxHashMap<Vec<u32>, f64> {
        let rows = t[0].len();
        let mut f: FxHashMap<Vec<u32>, f64> = FxHashMap::default();
        (0..rows).for_each(|r| *f.entry(combo.iter().map(|&c| t[c][r]).collect()).or_default() += 1.0 / rows as f64);
        f
    };
    let total: f64 = combos
        .iter()
        .map(|combo| {
            let (p, q) = (frequencies(&a, combo), frequencies(&b, combo));
            let mut s: f64 = p.iter().map(|(key, x)| (x - q.get(key).copied().unwrap_or(0.0)).abs()).sum();
            s += q.iter().filter(|(key, _)| !p.contains_key(*key)).map(|(_, y)| y).sum::<f64>();
            s / 2.0
        })
        .sum();
    total / combos.len() as f64
}

#[test]
fn accounting_stays_within_the_requested_budget() {
    let t = toy(3000);
    for (epsilon, delta, method) in [(1.0, 1e-9, Method::Mst), (0.3, 1e-6, Method::Independent)] {
        let s = Settings { epsilon, delta, method, rows: Some(100), ..Settings::default() };
        let r = synthesize(&t, &s, &quiet).unwrap().report;
        let spent_rho: f64 = r.steps.iter().map(|s| s.rho).sum();
        assert!((spent_rho - r.rho).abs() < 1e-15);
        assert!(r.delta <= delta, "{} > {delta}", r.delta);
        let eps = budget::epsilon(r.rho, delta - r.delta_thresholds).unwrap();
        assert!(eps <= epsilon, "{eps} > {epsilon}");
        assert!(r.epsilon <= epsilon && r.epsilon >= eps, "{} {eps}", r.epsilon);
        // Nothing wasted either: the whole ρ is used.
        assert!(r.epsilon > 0.999 * epsilon, "{}", r.epsilon);
        assert!(r.delta_thresholds > 0.0 && r.delta_thresholds <= delta / 2.0);
    }
}

#[test]
fn output_keeps_header_delimiter_and_row_count() {
    let t = toy(2000);
    let s = Settings { rows: Some(1234), seed: 7, ..Settings::default() };
    let out = synthesize(&t, &s, &quiet).unwrap();
    assert_eq!(out.table.rows(), 1234);
    assert_eq!(out.table.names().collect::<Vec<_>>(), t.names().collect::<Vec<_>>());
    // Values are of the input's kinds: categories from the input, one-decimal numbers, dates.
    let a = out.table.column(0);
    assert!(a.dictionary().iter().all(|v| ["x", "y", "z"].contains(&v.as_str())), "{:?}", a.dictionary());
    let n = out.table.column(2);
    assert!(
        n.dictionary().iter().all(|v| v.split_once('.').is_some_and(|(_, f)| f.len() == 1)),
        "{:?}",
        n.dictionary()
    );
    let d = out.table.column(3);
    assert!(d.dictionary().iter().all(|v| v.starts_with("20") && v.len() == 10), "{:?}", d.dictionary());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    write_csv(&out, &path, b';').unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().next().unwrap(), "a;b;n;d");
    assert_eq!(text.lines().count(), 1235);
    // Without a fixed count, the output has a noisy estimate of the input's.
    let r = synthesize(&t, &Settings::default(), &quiet).unwrap();
    assert!((r.table.rows() as f64 - 2000.0).abs() < 400.0, "{}", r.table.rows());
}

#[test]
fn rows_are_iid_whatever_their_position() {
    let t = toy(5000);
    let rows = 40_000;
    let s = Settings { rows: Some(rows), epsilon: 4.0, ..Settings::default() };
    let out = synthesize(&t, &s, &quiet).unwrap().table;
    let a = out.column(0);
    let codes = a.codes();
    // The same distribution in both halves (4σ of a binomial share).
    let k = a.dictionary().len();
    let share = |range: std::ops::Range<usize>| {
        let mut f = vec![0.0; k];
        let len = range.len() as f64;
        for r in range {
            f[codes[r] as usize] += 1.0 / len;
        }
        f
    };
    let (first, second) = (share(0..rows / 2), share(rows / 2..rows));
    for (p, q) in first.iter().zip(&second) {
        assert!((p - q).abs() < 4.0 * (0.25f64 / (rows / 2) as f64).sqrt() * 2.0, "{first:?} {second:?}");
    }
    // Neighbouring rows agree as often as independent draws would: Σp².
    let p = share(0..rows);
    let expected: f64 = p.iter().map(|x| x * x).sum();
    let agree = codes.windows(2).filter(|w| w[0] == w[1]).count() as f64 / (rows - 1) as f64;
    assert!(
        (agree - expected).abs() < 4.0 * (expected * (1.0 - expected) / rows as f64).sqrt() + 1e-3,
        "{agree} {expected}"
    );
}

#[test]
fn bad_settings_are_clear_errors() {
    let t = toy(100);
    for (s, words) in [
        (Settings { epsilon: 0.0, ..Settings::default() }, "epsilon"),
        (Settings { epsilon: f64::NAN, ..Settings::default() }, "epsilon"),
        (Settings { delta: 0.0, ..Settings::default() }, "delta"),
        (Settings { delta: 1.0, ..Settings::default() }, "delta"),
        (Settings { bins: 1, ..Settings::default() }, "bins"),
        (Settings { rows: Some(0), ..Settings::default() }, "rows"),
    ] {
        let e = synthesize(&t, &s, &quiet).unwrap_err();
        assert!(e.to_string().contains(words), "{e}");
    }
    let empty = table(&[("a", Vec::new())]);
    assert!(synthesize(&empty, &Settings::default(), &quiet).unwrap_err().to_string().contains("empty"));
    let mut domain = Domain::default();
    domain.columns.insert("nope".into(), ColumnSpec::Categories { values: vec!["1".into()] });
    let e = synthesize(&t, &Settings { domain: Some(domain), ..Settings::default() }, &quiet).unwrap_err();
    assert!(e.to_string().contains("'nope'"), "{e}");
}

#[test]
fn identifier_columns_are_refused_by_name() {
    let ids: Vec<String> = (0..3000).map(|i| format!("patient-{i}")).collect();
    let t = table(&[("id", ids), ("sex", (0..3000).map(|i| ["f", "m"][i % 2].to_string()).collect())]);
    let e = synthesize(&t, &Settings::default(), &quiet).unwrap_err();
    assert!(e.to_string().contains("'id'") && e.to_string().contains("identifier"), "{e}");
}

#[test]
fn public_domain_keeps_declared_values_and_spends_no_threshold_delta() {
    let t = toy(3000);
    let s = Settings { domain: Some(Domain::observed(&t)), rows: Some(500), ..Settings::default() };
    let out = synthesize(&t, &s, &quiet).unwrap();
    assert_eq!(out.report.delta_thresholds, 0.0);
    assert_eq!(out.report.delta_conversion, s.delta);
    assert!(out.report.columns.iter().all(|c| c.domain == "public"));
    assert!(out.report.epsilon <= 1.0);
}

#[test]
fn mst_beats_the_independent_baseline_on_adult() {
    let real = adult();
    let run = |method, seed| {
        let s = Settings { method, seed, rows: Some(real.rows()), ..Settings::default() };
        let out = synthesize(&real, &s, &quiet).unwrap();
        assert!(out.report.seconds < 20.0, "{}", out.report.seconds);
        let edges = if method == Method::Mst { real.columns().len() - 1 } else { 0 };
        assert_eq!(out.report.edges.len(), edges);
        mean_tvd(&real, &out.table, 2)
    };
    let mst = run(Method::Mst, 1);
    let independent = run(Method::Independent, 1);
    assert!(mst < independent, "MST {mst} vs independent {independent}");
    assert!(mst <= 0.06, "MST 2-way TVD {mst}");
}
