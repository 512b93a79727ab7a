//! Differential test: the optimal search against brute force.
//!
//! Brute force groups the rows afresh for every node of the lattice (no
//! roll-up, no prediction, no pruning, no cache) and keeps the best anonymous
//! node under ARX's order. On random small tables, with every metric and every
//! model, the search must find the same value at the same total level.

use std::collections::BTreeMap;

use anonlab_table::column::ColumnBuilder;
use anonlab_table::hierarchy::Builder;
use anonlab_table::{DataType, Table};
use proptest::prelude::*;

use crate::classes::Histogram;
use crate::metrics::{MetricKind, NodeSummary};
use crate::models::{KAnonymity, LDiversity, LDiversityVariant, PrivacyModel, TCloseness, TClosenessVariant};
use crate::plan::{AnonymizationSpec, Plan, QuasiIdentifierSpec, SensitiveSpec};

/// Records per sensitive value within one class.
type SensitiveCounts = BTreeMap<u32, u64>;

/// (value, level sum, node) of the best anonymous node, by brute force.
fn brute_force(plan: &Plan<'_>) -> Option<(f64, u32, Vec<u8>)> {
    let table = plan.table;
    let lattice = &plan.lattice;
    let mut best: Option<(f64, u32, Vec<u8>)> = None;
    for node in 0..lattice.size() {
        let levels = lattice.levels(node);
        let mut classes: BTreeMap<Vec<u32>, (u64, Vec<SensitiveCounts>)> = BTreeMap::new();
        for r in 0..table.rows() {
            let key: Vec<u32> = plan
                .qis
                .iter()
                .zip(&levels)
                .map(|(q, &l)| {
                    q.generalization.levels()[l as usize].of_value()[table.column(q.column).codes()[r] as usize]
                })
                .collect();
            let entry = classes.entry(key).or_insert_with(|| (0, vec![BTreeMap::new(); plan.sensitive_columns.len()]));
            entry.0 += 1;
            for (j, &c) in plan.sensitive_columns.iter().enumerate() {
                *entry.1[j].entry(table.column(c).codes()[r]).or_insert(0) += 1;
            }
        }
        let mut summary = NodeSummary { rows: table.row_count(), ..Default::default() };
        let mut suppressed_values: Vec<BTreeMap<u32, u64>> = vec![BTreeMap::new(); levels.len()];
        for (key, (count, hists)) in &classes {
            let passes = *count >= plan.checker.min_class_size()
                && plan.checker.criteria().iter().all(|criterion| {
                    let h = criterion.sensitive().map(|j| {
                        let codes: Vec<u32> = hists[j].keys().copied().collect();
                        let counts: Vec<u64> = hists[j].values().copied().collect();
                        (codes, counts)
                    });
                    criterion.passes(*count, h.as_ref().map(|(codes, counts)| Histogram { codes, counts }))
                });
            summary.classes += 1;
            summary.squares_all += (*count as u128).pow(2);
            if passes {
                summary.kept_classes += 1;
                summary.squares_kept += (*count as u128).pow(2);
                summary.min_class_size = Some(summary.min_class_size.map_or(*count, |m| m.min(*count)));
            } else {
                summary.outliers += count;
                for (d, &code) in key.iter().enumerate() {
                    *suppressed_values[d].entry(code).or_insert(0) += count;
                }
            }
        }
        if summary.outliers > plan.checker.max_outliers() {
            continue;
        }
        if plan.metric.needs_outliers_by_value() {
            summary.outliers_by_value = suppressed_values.into_iter().map(|m| m.into_iter().collect()).collect();
        }
        let value = plan.metric.value(&levels, &summary).value;
        let level = lattice.level_sum(node);
        if super::improves(value, level, best.as_ref().map(|b| (b.0, b.1))) {
            best = Some((value, level, levels));
        }
    }
    best
}

/// Groups the release's own cells (not the engine's classes) and checks every
/// model on every class, and the suppression limit.
fn release_satisfies_models(plan: &Plan<'_>, release: &crate::Release<'_>) -> Result<(), TestCaseError> {
    let qi_cells: Vec<usize> = plan.qis.iter().map(|q| q.column).collect();
    let sensitive = plan.sensitive_columns[0];
    let mut classes: BTreeMap<Vec<String>, SensitiveCounts> = BTreeMap::new();
    let mut suppressed = 0u64;
    for r in 0..release.rows() {
        let row = release.row(r);
        let key: Vec<String> = qi_cells.iter().map(|&c| row[c].to_string()).collect();
        // Not "all cells are *": at the top node every kept record shows * too.
        if release.is_suppressed(r) {
            prop_assert!(key.iter().all(|v| v == crate::release::SUPPRESSED));
            suppressed += 1;
            continue;
        }
        let code = plan.table.column(sensitive).codes()[r];
        *classes.entry(key).or_default().entry(code).or_insert(0) += 1;
    }
    prop_assert!(suppressed <= plan.checker.max_outliers());
    for (key, histogram) in &classes {
        let count: u64 = histogram.values().sum();
        let codes: Vec<u32> = histogram.keys().copied().collect();
        let counts: Vec<u64> = histogram.values().copied().collect();
        prop_assert!(count >= plan.checker.min_class_size(), "class {key:?} has {count} records");
        for criterion in plan.checker.criteria() {
            let h = criterion.sensitive().map(|_| Histogram { codes: &codes, counts: &counts });
            prop_assert!(criterion.passes(count, h), "class {key:?} fails {criterion:?}");
        }
    }
    Ok(())
}

/// Without a budget the heuristic runs until its queue is empty; then it
/// claims optimality, and must match brute force. Its release is always valid.
fn heuristic_agrees_when_exhausted(
    spec: &AnonymizationSpec,
    table: &Table,
    expected: Option<&(f64, u32, Vec<u8>)>,
) -> Result<(), TestCaseError> {
    let mut spec = spec.clone();
    spec.search = crate::search::SearchOptions {
        mode: crate::search::SearchMode::Heuristic,
        step_limit: None,
        time_limit_ms: None,
        ..Default::default()
    };
    let plan = spec.plan(table).expect("the spec planned before");
    match (plan.run(&|_| {}), expected) {
        (Ok(found), Some((value, level, _))) => {
            release_satisfies_models(&plan, &found.release)?;
            prop_assert!(found.found.loss.value >= value - 1e-12 * value.abs().max(1.0));
            if found.found.optimal {
                prop_assert!((found.found.loss.value - value).abs() <= 1e-12 * value.abs().max(1.0));
                prop_assert_eq!(plan.lattice.level_sum(found.found.node), *level);
            }
        }
        (Err(e), None) => prop_assert_eq!(e.kind(), crate::ErrorKind::NoSolution),
        (got, want) => prop_assert!(false, "heuristic {:?} vs brute force {:?}", got.map(|a| a.found.levels), want),
    }
    Ok(())
}

/// Mondrian (no suppression) either finds classes that all satisfy the
/// models, or reports that even the whole table fails them.
fn mondrian_releases_satisfy_the_models(spec: &AnonymizationSpec, table: &Table) -> Result<(), TestCaseError> {
    let mut spec = spec.clone();
    spec.search.mode = crate::search::SearchMode::Mondrian;
    let plan = spec.plan(table).expect("the spec planned before");
    match plan.run(&|_| {}) {
        Ok(found) => {
            prop_assert_eq!(found.release.suppressed_rows(), 0);
            release_satisfies_models(&plan, &found.release)?;
            prop_assert!((0.0..=1.0).contains(&found.found.loss.value));
        }
        Err(e) => prop_assert_eq!(e.kind(), crate::ErrorKind::NoSolution),
    }
    Ok(())
}

/// Microaggregation of the (integer) quasi-identifiers: groups of at least k
/// identical records, nothing suppressed; refused up front when other models are set.
fn microaggregation_is_k_anonymous(spec: &AnonymizationSpec, table: &Table) -> Result<(), TestCaseError> {
    let mut spec = spec.clone();
    spec.search.mode = crate::search::SearchMode::Microaggregation;
    let only_k = spec.models.iter().all(|m| matches!(m, PrivacyModel::KAnonymity(_)));
    match spec.plan(table) {
        Ok(plan) => {
            prop_assert!(only_k);
            let found = plan.run(&|_| {}).expect("MDAV always succeeds once planned");
            prop_assert_eq!(found.release.suppressed_rows(), 0);
            release_satisfies_models(&plan, &found.release)?;
        }
        Err(e) => prop_assert!(!only_k, "refused a k-only spec: {}", e),
    }
    Ok(())
}

fn table(rows: &[(u32, u32, u32, u32)]) -> Table {
    let mut columns: Vec<ColumnBuilder> = ["a", "b", "c", "s"].iter().map(|n| ColumnBuilder::new(*n)).collect();
    for (i, row) in rows.iter().enumerate() {
        for (c, v) in [row.0, row.1, row.2, row.3].into_iter().enumerate() {
            columns[c].push(&v.to_string(), i as u64 + 2).unwrap();
        }
    }
    let mut t = Table::try_new(columns.into_iter().map(ColumnBuilder::finish).collect(), None, b',').unwrap();
    for c in 0..4 {
        t.column_mut(c).set_data_type(DataType::Integer).unwrap();
    }
    t
}

const METRICS: [MetricKind; 8] = [
    MetricKind::Loss,
    MetricKind::Entropy,
    MetricKind::EntropyNonmonotonic,
    MetricKind::Discernibility,
    MetricKind::DiscernibilityNonmonotonic,
    MetricKind::Aecs,
    MetricKind::Height,
    MetricKind::Precision,
];

fn models(choice: u8, k: u64) -> Vec<PrivacyModel> {
    let l = |variant, l: f64, c| PrivacyModel::LDiversity(LDiversity { attribute: "s".into(), variant, l, c });
    let t = |variant, t| PrivacyModel::TCloseness(TCloseness { attribute: "s".into(), variant, t });
    let mut models = vec![PrivacyModel::KAnonymity(KAnonymity { k })];
    match choice % 7 {
        0 => {}
        1 => models.push(l(LDiversityVariant::Distinct, 2.0, None)),
        2 => models.push(l(LDiversityVariant::Entropy, 1.5, None)),
        3 => models.push(l(LDiversityVariant::Recursive, 2.0, Some(3.0))),
        4 => models.push(t(TClosenessVariant::Equal, 0.4)),
        5 => models.push(t(TClosenessVariant::Ordered, 0.3)),
        _ => models.push(t(TClosenessVariant::Hierarchical, 0.3)),
    }
    models
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn optimal_search_equals_brute_force(
        rows in proptest::collection::vec((0u32..12, 0u32..6, 0u32..4, 0u32..4), 8..120),
        k in 1u64..5,
        model in 0u8..7,
        metric in 0usize..8,
        suppression in prop_oneof![Just(0.0), Just(0.05), Just(0.2), Just(0.5)],
    ) {
        let t = table(&rows);
        let hierarchy = |c: usize, builder: Builder| builder.build(t.column(c)).unwrap();
        let spec = AnonymizationSpec {
            quasi_identifiers: vec![
                QuasiIdentifierSpec { column: "a".into(), hierarchy: hierarchy(0, Builder::Intervals { widths: vec![2.0, 4.0, 8.0], bottom: None, top: None }) },
                QuasiIdentifierSpec { column: "b".into(), hierarchy: hierarchy(1, Builder::Ordered { sizes: vec![2, 4] }) },
                QuasiIdentifierSpec { column: "c".into(), hierarchy: hierarchy(2, Builder::Masking { levels: Some(1), mask: '*' }) },
            ],
            // The sensitive values 0..3 in two groups, for hierarchical t-closeness.
            sensitive: vec![SensitiveSpec { column: "s".into(), hierarchy: Some(hierarchy(3, Builder::Ordered { sizes: vec![2] })) }],
            models: models(model, k),
            suppression_limit: suppression,
            metric: METRICS[metric],
            ..Default::default()
        };
        let plan = match spec.plan(&t) {
            Ok(plan) => plan,
            // Impossible settings (l above the distinct values, k above the rows) are rejected up front.
            Err(e) => { prop_assert_eq!(e.kind(), crate::ErrorKind::Spec); return Ok(()); }
        };
        let expected = brute_force(&plan);
        heuristic_agrees_when_exhausted(&spec, &t, expected.as_ref())?;
        mondrian_releases_satisfy_the_models(&spec, &t)?;
        microaggregation_is_k_anonymous(&spec, &t)?;
        match (plan.run(&|_| {}), expected) {
            (Ok(found), Some((value, level, levels))) => {
                let tolerance = 1e-12 * value.abs().max(1.0);
                prop_assert!((found.found.loss.value - value).abs() <= tolerance,
                    "search {:?} = {} vs brute force {:?} = {}", found.found.levels, found.found.loss.value, levels, value);
                prop_assert_eq!(plan.lattice.level_sum(found.found.node), level);
                release_satisfies_models(&plan, &found.release)?;
            }
            (Err(e), None) => prop_assert_eq!(e.kind(), crate::ErrorKind::NoSolution),
            (got, want) => prop_assert!(false, "search {:?} vs brute force {:?}", got.map(|a| a.found.levels), want),
        }
    }
}

/// A table of `columns` quasi-identifiers with about `distinct` values each,
/// plus a sensitive column, from a fixed pseudo-random sequence.
fn wide_table(rows: usize, columns: usize, distinct: u64) -> Table {
    let mut builders: Vec<ColumnBuilder> = (0..=columns).map(|c| ColumnBuilder::new(format!("q{c}"))).collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for r in 0..rows {
        for (c, b) in builders.iter_mut().enumerate() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Few values in the first columns, so small classes exist but k is reachable.
            let modulus = if c == columns {
                3
            } else if c < 2 {
                4
            } else {
                distinct
            };
            b.push(&(state % modulus).to_string(), r as u64 + 2).unwrap();
        }
    }
    Table::try_new(builders.into_iter().map(ColumnBuilder::finish).collect(), None, b',').unwrap()
}

/// Keys wider than 32 and than 64 bits take the u64 and u128 paths; both must match brute force.
#[test]
fn wide_keys_match_brute_force() {
    for (columns, distinct, bits) in [(6, 200, 33..=64), (11, 120, 65..=128)] {
        let t = wide_table(300, columns, distinct);
        let spec = AnonymizationSpec {
            quasi_identifiers: (0..columns)
                .map(|c| QuasiIdentifierSpec {
                    column: format!("q{c}"),
                    hierarchy: Builder::Suppression.build(t.column(c)).unwrap(),
                })
                .collect(),
            sensitive: vec![SensitiveSpec { column: format!("q{columns}"), hierarchy: None }],
            models: vec![
                PrivacyModel::KAnonymity(KAnonymity { k: 2 }),
                PrivacyModel::LDiversity(LDiversity {
                    attribute: format!("q{columns}"),
                    variant: LDiversityVariant::Distinct,
                    l: 2.0,
                    c: None,
                }),
            ],
            suppression_limit: 0.1,
            metric: MetricKind::Loss,
            ..Default::default()
        };
        let plan = spec.plan(&t).unwrap();
        assert!(bits.contains(&plan.layout.bits()), "{} bits", plan.layout.bits());
        let (value, level, levels) = brute_force(&plan).expect("a solution exists");
        let found = plan.run(&|_| {}).unwrap();
        assert!((found.found.loss.value - value).abs() <= 1e-12, "{:?} vs {levels:?}", found.found.levels);
        assert_eq!(plan.lattice.level_sum(found.found.node), level);
        release_satisfies_models(&plan, &found.release).unwrap();
        // Local recoding on the same wide keys never packs them (it labels classes directly).
        mondrian_releases_satisfy_the_models(&spec, &t).unwrap();
    }
}
