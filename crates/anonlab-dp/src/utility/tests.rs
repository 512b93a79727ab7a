use std::path::{Path, PathBuf};

use anonlab_table::column::ColumnBuilder;
use anonlab_table::io::{csv::CsvOptions, read_table};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::ErrorKind;

fn adult() -> Table {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/adult/adult.csv");
    read_table(&path, &CsvOptions { delimiter: None }).expect("examples/adult/adult.csv reads")
}

/// `../shared/data` beside the clone, where CI provides the test data.
fn shared_data() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    assert!(path.is_dir(), "the test data directory {} is missing", path.display());
    path
}

fn table(header: &[&str], rows: &[&[&str]]) -> Table {
    let mut builders: Vec<ColumnBuilder> = header.iter().map(|h| ColumnBuilder::new(*h)).collect();
    for (line, row) in rows.iter().enumerate() {
        for (b, v) in builders.iter_mut().zip(row.iter()) {
            b.push(v, line as u64 + 2).unwrap();
        }
    }
    Table::try_new(builders.into_iter().map(ColumnBuilder::finish).collect(), None, b';').unwrap()
}

/// Every column permuted on its own: the same 1-way marginals, no joint structure.
fn shuffled(t: &Table, seed: u64) -> Table {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let columns = t
        .columns()
        .iter()
        .map(|c| {
            let mut rows: Vec<u32> = (0..t.rows() as u32).collect();
            rows.shuffle(&mut rng);
            c.select(&rows)
        })
        .collect();
    Table::try_new(columns, None, b';').unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn identical_tables_are_perfect() {
    let real = adult();
    let report = evaluate(&real, &real.clone(), None, &Settings::default()).unwrap();
    assert_eq!(report.rows_real, 30_162);
    assert_eq!(report.tvd_1way, 0.0);
    assert_eq!(report.tvd_2way, Some(0.0));
    assert_eq!(report.tvd_3way, Some(0.0));
    assert_eq!(report.k_marginal_score, Some(1000.0));
    assert_eq!(report.correlation.max_abs_diff, Some(0.0));
    let counts: Vec<(usize, u64, bool)> = report.marginals.iter().map(|m| (m.evaluated, m.total, m.sampled)).collect();
    assert_eq!(counts, vec![(9, 9, false), (36, 36, false), (84, 84, false)]);
    assert_eq!(report.correlation.pairs.len(), 36);
    let age = report.columns.iter().find(|c| c.name == "age").unwrap();
    assert_eq!((age.kind, age.cells), (ColumnKind::Numeric, 11)); // 10 bins + NULL
    assert!(report.columns.iter().filter(|c| c.name != "age").all(|c| c.kind == ColumnKind::Categorical));
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    // The report serializes (the CLI writes it as JSON).
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("\"k_marginal_score\":1000.0"));
}

#[test]
fn shuffled_columns_keep_1way_but_lose_joint_structure() {
    let real = adult();
    let fake = shuffled(&real, 3);
    let report = evaluate(&real, &fake, None, &Settings::default()).unwrap();
    println!(
        "shuffled adult: tvd {:.4} / {:.4} / {:.4}, k-marginal {:.1}, corr mean {:.4} max {:.4}, {:.3} s",
        report.tvd_1way,
        report.tvd_2way.unwrap(),
        report.tvd_3way.unwrap(),
        report.k_marginal_score.unwrap(),
        report.correlation.mean_abs_diff.unwrap(),
        report.correlation.max_abs_diff.unwrap(),
        report.seconds
    );
    assert!(report.tvd_1way < 1e-12);
    assert!(report.tvd_2way.unwrap() > 0.05);
    assert!(report.tvd_3way.unwrap() > report.tvd_2way.unwrap());
    assert!(close(report.k_marginal_score.unwrap(), 1000.0 * (1.0 - report.tvd_2way.unwrap())));
    // Shuffling destroys the strongest association: sex and marital status
    // (husbands and wives), or relationship-like pairs; either way some
    // pair's association drops by more than 0.1.
    assert!(report.correlation.max_abs_diff.unwrap() > 0.1);
    let worst = &report.marginals[1].worst[0];
    assert_eq!(worst.tvd, report.marginals[1].max_tvd.unwrap());
    assert!(report.correlation.pairs.windows(2).all(|w| w[0].abs_diff >= w[1].abs_diff));
}

#[test]
fn tvd_matches_a_hand_computed_example() {
    // a: real x x y y (½ ½), synthetic x y y y (¼ ¾): TVD ¼.
    // b: real p q p p (¾ ¼), synthetic p q q p (½ ½): TVD ¼.
    // (a, b): real xp xq yp yp, synthetic xp yq yq yp:
    //   xp ¼ vs ¼, xq ¼ vs 0, yp ½ vs ¼, yq 0 vs ½ → ½·(0 + ¼ + ¼ + ½) = ½.
    let real = table(&["a", "b"], &[&["x", "p"], &["x", "q"], &["y", "p"], &["y", "p"]]);
    let synthetic = table(&["b", "a"], &[&["p", "x"], &["q", "y"], &["q", "y"], &["p", "y"]]);
    let report = evaluate(&real, &synthetic, None, &Settings::default()).unwrap();
    assert!(close(report.tvd_1way, 0.25));
    assert!(close(report.tvd_2way.unwrap(), 0.5));
    assert_eq!(report.tvd_3way, None);
    assert!(close(report.k_marginal_score.unwrap(), 500.0));
    assert_eq!(report.marginals[1].worst[0].columns, vec!["a", "b"]);

    // An invented category is a cell of its own, not dropped: z is ¼ of the
    // synthetic table and nothing of the real one.
    let invented = table(&["a", "b"], &[&["x", "p"], &["x", "q"], &["y", "p"], &["z", "p"]]);
    let report = evaluate(&real, &invented, None, &Settings::default()).unwrap();
    let a = &report.columns[0];
    assert_eq!((a.cells, a.unseen_synthetic), (2, 1));
    assert!(close(report.marginals[0].worst[0].tvd, 0.25));
    assert!(report.notes.iter().any(|n| n.contains("lacks in: a")));
}

#[test]
fn numbers_use_real_quantile_bins_and_end_bins() {
    let values: Vec<String> = (1..=10).map(|v| v.to_string()).collect();
    let rows: Vec<Vec<&str>> = values.iter().map(|v| vec![v.as_str()]).collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let real = table(&["n"], &rows);
    let settings = Settings { bins: 2, ..Settings::default() };
    // Two bins from the real values, cut at 6: {1..5} and {6..10}. Values
    // beyond the real range land in the end bins, 5.5 (a decimal in an
    // integer column) with the lower half.
    let spread = table(&["n"], &[&["-100"], &["5.5"], &["6"], &["1000"]]);
    let report = evaluate(&real, &spread, None, &settings).unwrap();
    assert_eq!(report.columns[0].kind, ColumnKind::Numeric);
    assert!(close(report.tvd_1way, 0.0));
    let high = table(&["n"], &[&["100"], &["100"], &["7"], &["8"]]);
    assert!(close(evaluate(&real, &high, None, &settings).unwrap().tvd_1way, 0.5));
    // NULL is a cell of its own.
    let nulls = table(&["n"], &[&["1"], &[""], &["7"], &["8"]]);
    assert!(close(evaluate(&real, &nulls, None, &settings).unwrap().tvd_1way, 0.25));
    // Dates are numbers too.
    let days = table(&["d"], &[&["2020-01-01"], &["2020-01-02"], &["2021-06-01"]]);
    let report = evaluate(&days, &days.clone(), None, &settings).unwrap();
    assert_eq!(report.columns[0].kind, ColumnKind::Date);
}

#[test]
fn correlations_show_up_in_the_report() {
    // x and y move together in the real table, against each other in the
    // synthetic one: Pearson 1 vs −1; c follows x exactly in both.
    let real =
        table(&["x", "y", "c"], &[&["1", "10", "lo"], &["2", "20", "lo"], &["3", "30", "hi"], &["4", "40", "hi"]]);
    let synthetic =
        table(&["x", "y", "c"], &[&["1", "40", "lo"], &["2", "30", "lo"], &["3", "20", "hi"], &["4", "10", "hi"]]);
    let report = evaluate(&real, &synthetic, None, &Settings::default()).unwrap();
    let top = &report.correlation.pairs[0];
    assert_eq!(top.columns, ["x".to_string(), "y".to_string()]);
    assert_eq!(top.measure, Measure::Pearson);
    assert!(close(top.real, 1.0) && close(top.synthetic, -1.0) && close(top.abs_diff, 2.0));
    let xc = report.correlation.pairs.iter().find(|p| p.columns == ["x".to_string(), "c".to_string()]).unwrap();
    assert_eq!(xc.measure, Measure::CorrelationRatio);
    assert!(xc.real > 0.8 && close(xc.abs_diff, 0.0));
}

#[test]
fn train_on_synthetic_test_on_real_on_adult() {
    let all = adult();
    let train: Vec<u32> = (0..20_000).collect();
    let test: Vec<u32> = (20_000..all.rows() as u32).collect();
    let (real, holdout) = (all.select_rows(&train), all.select_rows(&test));
    let settings = Settings { target: Some("salary-class".into()), ..Settings::default() };

    // A perfect synthesizer (the training records themselves): the same
    // forest, the same accuracy, clearly above the majority class.
    let report = evaluate(&real, &real.clone(), Some(&holdout), &settings).unwrap();
    let c = report.classification.unwrap();
    println!(
        "adult TSTR (copy): real {:.4}, synthetic {:.4}, majority {:.4}, {:.2} s",
        c.accuracy_real_on_real, c.accuracy_synthetic_on_real, c.majority_baseline, report.seconds
    );
    assert_eq!(c.test_set, TestSet::Holdout);
    assert_eq!((c.train_rows_real, c.test_rows), (20_000, 10_162));
    assert!(c.accuracy_real_on_real > c.majority_baseline + 0.03);
    assert_eq!(c.accuracy_synthetic_on_real, c.accuracy_real_on_real);
    assert!(c.majority_baseline > 0.7 && c.majority_baseline < 0.8);

    // Shuffled columns carry no signal about the target: the synthetic model
    // is no better than always guessing the majority.
    let report = evaluate(&real, &shuffled(&real, 5), Some(&holdout), &settings).unwrap();
    let c = report.classification.unwrap();
    println!(
        "adult TSTR (shuffled): real {:.4}, synthetic {:.4}, majority {:.4}, {:.2} s",
        c.accuracy_real_on_real, c.accuracy_synthetic_on_real, c.majority_baseline, report.seconds
    );
    assert!(c.accuracy_synthetic_on_real < c.majority_baseline + 0.01);
    assert!(c.accuracy_real_on_real > c.accuracy_synthetic_on_real + 0.03);

    // Without a hold-out a split of the real table stands in, and the report says so.
    let report = evaluate(&all, &all.clone(), None, &settings).unwrap();
    let c = report.classification.unwrap();
    assert_eq!(c.test_set, TestSet::RealSplit);
    assert_eq!(c.test_rows + c.train_rows_real, all.rows());
    assert!(c.accuracy_real_on_real > c.majority_baseline);
    assert!(report.notes.iter().any(|n| n.contains("no hold-out")));
}

#[test]
fn wide_tables_sample_marginals_reproducibly() {
    // 12 columns: 66 pairs and 220 triples, capped at 50 each.
    let header: Vec<String> = (0..12).map(|j| format!("c{j}")).collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let values: Vec<Vec<String>> =
        (0..200).map(|i| (0..12).map(|j| ((i * (j + 1)) % (j + 2)).to_string()).collect()).collect();
    let rows: Vec<Vec<&str>> = values.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let real = table(&header, &rows);
    let fake = shuffled(&real, 1);
    let settings = Settings { max_marginals: Some(50), seed: 9, ..Settings::default() };
    let a = evaluate(&real, &fake, None, &settings).unwrap();
    let b = evaluate(&real, &fake, None, &settings).unwrap();
    assert_eq!((a.marginals[1].evaluated, a.marginals[1].total, a.marginals[1].sampled), (50, 66, true));
    assert_eq!((a.marginals[2].evaluated, a.marginals[2].total), (50, 220));
    assert_eq!(a.tvd_3way, b.tvd_3way);
    assert_eq!(a.correlation.pairs.len(), 50);
    assert!(a.notes.iter().any(|n| n.contains("50 of 220 3-way")));
    let all = evaluate(&real, &fake, None, &Settings { max_marginals: None, ..settings }).unwrap();
    assert_eq!(all.marginals[2].evaluated, 220);
}

#[test]
fn the_shared_data_sets_evaluate() {
    for (file, target) in [("healthinsurance.csv", "health"), ("flchain.csv", "death"), ("medexp.csv", "health")] {
        let real = read_table(&shared_data().join(file), &CsvOptions { delimiter: None }).unwrap();
        let settings = Settings { target: Some(target.into()), ..Settings::default() };
        let report = evaluate(&real, &real.clone(), None, &settings).unwrap();
        assert_eq!((report.tvd_1way, report.tvd_3way), (0.0, Some(0.0)), "{file}");
        assert_eq!(report.correlation.max_abs_diff, Some(0.0), "{file}");
        let c = report.classification.unwrap();
        assert!(c.accuracy_real_on_real >= c.majority_baseline - 0.01, "{file}: {c:?}");
        let fake = evaluate(&real, &shuffled(&real, 2), None, &settings).unwrap();
        assert!(fake.tvd_1way < 1e-12 && fake.tvd_2way.unwrap() > 0.01, "{file}: {:?}", fake.tvd_2way);
    }
}

#[test]
fn bad_inputs_are_clear_errors() {
    let real = table(&["a", "b", "c"], &[&["1", "x", "u"], &["2", "y", "v"]]);
    let err = |r: Result<UtilityReport>| {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        e.to_string()
    };
    let settings = Settings::default();

    let fewer = table(&["a", "d"], &[&["1", "x"]]);
    let message = err(evaluate(&real, &fewer, None, &settings));
    assert!(message.contains("synthetic") && message.contains("b, c") && message.contains(": d"), "{message}");
    let message = err(evaluate(&real, &real, Some(&fewer), &settings));
    assert!(message.contains("hold-out") && message.contains("b, c"), "{message}");

    let empty = table(&["a", "b", "c"], &[]);
    assert!(err(evaluate(&real, &empty, None, &settings)).contains("synthetic table has no rows"));
    assert!(err(evaluate(&empty, &real, None, &settings)).contains("real table has no rows"));
    assert!(err(evaluate(&real, &real, Some(&empty), &settings)).contains("hold-out table has no rows"));
    let nothing = Table::try_new(Vec::new(), None, b';').unwrap();
    assert!(err(evaluate(&nothing, &nothing, None, &settings)).contains("no columns"));

    let unknown = Settings { target: Some("salary".into()), ..Settings::default() };
    let message = err(evaluate(&real, &real, None, &unknown));
    assert!(message.contains("unknown target column 'salary'") && message.contains("a, b, c"), "{message}");

    assert!(err(evaluate(&real, &real, None, &Settings { bins: 1, ..Settings::default() })).contains("bins"));
    let zero = Settings { max_marginals: Some(0), ..Settings::default() };
    assert!(err(evaluate(&real, &real, None, &zero)).contains("max_marginals"));
    let alone = table(&["a"], &[&["1"], &["2"]]);
    let only_target = Settings { target: Some("a".into()), ..Settings::default() };
    assert!(err(evaluate(&alone, &alone, None, &only_target)).contains("besides the target"));
}

#[test]
fn high_cardinality_marginals_count_by_sorting() {
    // Two unique-per-row columns: their joint cells (10⁶) are too many to
    // count in arrays, so keys are sorted instead.
    let rows_of = |offset: usize| -> Vec<Vec<String>> {
        (0..1000)
            .map(|i| vec![format!("r{}", i + offset), format!("k{}", i * 7 % 1000), format!("g{}", i % 3)])
            .collect()
    };
    let build = |values: &[Vec<String>]| {
        let rows: Vec<Vec<&str>> = values.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
        let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
        table(&["id", "key", "g"], &rows)
    };
    let real = build(&rows_of(0));
    let mut reversed = rows_of(0);
    reversed.reverse();
    let report = evaluate(&real, &build(&reversed), None, &Settings::default()).unwrap();
    assert_eq!((report.tvd_1way, report.tvd_2way, report.tvd_3way), (0.0, Some(0.0), Some(0.0)));
    // Every id replaced by one the real table lacks: disjoint in id, equal
    // in key and g.
    let report = evaluate(&real, &build(&rows_of(5000)), None, &Settings::default()).unwrap();
    assert!(close(report.tvd_1way, 1.0 / 3.0));
    assert!(close(report.tvd_2way.unwrap(), 2.0 / 3.0));
    assert!(close(report.tvd_3way.unwrap(), 1.0));
    assert_eq!(report.columns[0].unseen_synthetic, 1000);
}
