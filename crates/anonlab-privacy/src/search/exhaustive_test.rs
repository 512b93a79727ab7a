//! Differential test: the optimal search against brute force.
//!
//! Brute force groups the rows afresh for every node of the lattice (no
//! roll-up, no prediction, no pruning, no cache) and keeps the best anonymous
//! node under ARX's order. On random small tables, with every metric and every
//! model, the search must find the same value at the same total level.
//!
//! For the research-subset and sample-based models brute force counts subset
//! and population records per class itself, applies ARX's δ-presence rule for
//! classes without subset records, and enforces average risk by the smallest
//! prefix of classes (in ARX's order) whose suppression meets it, so a wrong
//! prediction of the search, or a wrong verdict of the checker's binary search,
//! shows as a different optimum. Population uniqueness is not monotonic in the
//! classes suppressed, so there brute force uses the checker's own ARX binary
//! search (`Enforcement`) and tests the search's predictions only.

use std::collections::BTreeMap;

use anonlab_table::column::ColumnBuilder;
use anonlab_table::hierarchy::Builder;
use anonlab_table::{DataType, Table};
use proptest::prelude::*;

use crate::classes::Histogram;
use crate::key::KeyLayout;
use crate::metrics::{MetricKind, NodeSummary};
use crate::models::{
    AverageRisk, CellSizeEstimator, Criterion, DeltaPresence, Distribution, Enforcement, KAnonymity, KMap,
    KMapEstimate, LDiversity, LDiversityVariant, PopulationUniqueness, PrivacyModel, SampleCheck, TCloseness,
    TClosenessVariant,
};
use crate::plan::{AnonymizationSpec, Plan, QuasiIdentifierSpec, SensitiveSpec};
use crate::risk::Estimator;

/// Records per sensitive value within one class.
type SensitiveCounts = BTreeMap<u32, u64>;

/// One class of a node, counted by brute force.
struct Class {
    /// Generalized label codes, one per quasi-identifier.
    key: Vec<u32>,
    /// Research-subset records (all records without a subset).
    count: u64,
    /// All records of the table.
    population: u64,
    /// Its first row (ARX's representative).
    first: usize,
    hists: Vec<SensitiveCounts>,
}

/// The classes of the node at `levels`, ordered by first row.
fn classes_at(plan: &Plan<'_>, levels: &[u8]) -> Vec<Class> {
    let table = plan.table;
    let in_subset = |r: usize| plan.checker.subset().is_none_or(|s| s.rows.binary_search(&(r as u32)).is_ok());
    let mut index: BTreeMap<Vec<u32>, usize> = BTreeMap::new();
    let mut classes: Vec<Class> = Vec::new();
    for r in 0..table.rows() {
        let key: Vec<u32> = plan
            .qis
            .iter()
            .zip(levels)
            .map(|(q, &l)| q.generalization.levels()[l as usize].of_value()[table.column(q.column).codes()[r] as usize])
            .collect();
        let i = *index.entry(key.clone()).or_insert_with(|| {
            classes.push(Class {
                key,
                count: 0,
                population: 0,
                first: r,
                hists: vec![BTreeMap::new(); plan.sensitive_columns.len()],
            });
            classes.len() - 1
        });
        let class = &mut classes[i];
        class.population += 1;
        if in_subset(r) {
            class.count += 1;
            for (j, &c) in plan.sensitive_columns.iter().enumerate() {
                *class.hists[j].entry(table.column(c).codes()[r]).or_insert(0) += 1;
            }
        }
    }
    classes
}

/// True when every label of `key` at `levels` is `*` (ARX leaves such classes out of risk distributions).
fn all_stars(plan: &Plan<'_>, levels: &[u8], key: &[u32]) -> bool {
    plan.qis
        .iter()
        .zip(levels)
        .zip(key)
        .all(|((q, &l), &g)| q.generalization.levels()[l as usize].labels()[g as usize] == crate::release::SUPPRESSED)
}

/// Per class: fails (is suppressed); `None` when the node fails outright (ARX's
/// δ-presence rule: a class without subset records cannot be suppressed).
fn class_verdicts(plan: &Plan<'_>, classes: &[Class]) -> Option<Vec<bool>> {
    let criteria = plan.checker.criteria();
    let floor =
        if criteria.iter().any(Criterion::defines_minimal_class_size) { plan.checker.min_class_size() } else { 0 };
    let mut failed = Vec::with_capacity(classes.len());
    for class in classes {
        if class.count < floor {
            failed.push(class.count > 0);
            continue;
        }
        let fails = |criterion: &Criterion| {
            let h = criterion.sensitive().map(|j| {
                let codes: Vec<u32> = class.hists[j].keys().copied().collect();
                let counts: Vec<u64> = class.hists[j].values().copied().collect();
                (codes, counts)
            });
            let h = h.as_ref().map(|(codes, counts)| Histogram { codes, counts });
            !criterion.passes_in_population(class.count, class.population, h)
        };
        if class.count == 0 {
            if criteria.iter().any(|c| matches!(c, Criterion::DeltaPresence(_)) && fails(c)) {
                return None;
            }
            failed.push(false);
        } else {
            failed.push(criteria.iter().any(fails));
        }
    }
    Some(failed)
}

/// Enforces the sample-based models on the classes that passed, in ARX's order;
/// returns ARX's count of suppressed records (classes all `*` left out), or
/// `None` when the node fails.
fn enforce_samples(plan: &Plan<'_>, levels: &[u8], classes: &[Class], failed: &mut [bool]) -> Option<u64> {
    let checks: Vec<&SampleCheck> = plan
        .checker
        .criteria()
        .iter()
        .filter_map(|c| if let Criterion::Sample(check, _) = c { Some(check) } else { None })
        .collect();
    if checks.is_empty() {
        return Some(classes.iter().zip(&*failed).filter(|(_, f)| **f).map(|(c, _)| c.count).sum());
    }
    let mut outliers: u64 = classes
        .iter()
        .zip(&*failed)
        .filter(|(c, f)| **f && !all_stars(plan, levels, &c.key))
        .map(|(c, _)| c.count)
        .sum();
    let mut order: Vec<usize> = (0..classes.len())
        .filter(|&i| !failed[i] && classes[i].count > 0 && !all_stars(plan, levels, &classes[i].key))
        .collect();
    let loss = |i: usize| {
        let c = &classes[i];
        plan.metric.class_value(levels, |d| c.key[d], c.count).unwrap_or(0.0)
    };
    order.sort_by(|&a, &b| {
        classes[a]
            .count
            .cmp(&classes[b].count)
            .then(loss(a).total_cmp(&loss(b)))
            .then(classes[a].first.cmp(&classes[b].first))
    });
    for check in checks {
        let suppressed: Vec<usize> = match check {
            // Monotonic in the classes suppressed: the shortest prefix that meets it.
            SampleCheck::AverageRisk(_) => {
                let prefix = (0..=order.len())
                    .find(|&p| check.fulfilled(&Distribution::from_sizes(order[p..].iter().map(|&i| classes[i].count))))
                    .expect("suppressing every class meets any threshold");
                order[..prefix].to_vec()
            }
            SampleCheck::PopulationUniqueness(_) => {
                let mut e = Enforcement::new(order.iter().map(|&i| (i, classes[i].count)).collect(), outliers);
                if !e.enforce(check, plan.checker.max_outliers()) {
                    return None;
                }
                e.suppressed_classes().collect()
            }
        };
        for &i in &suppressed {
            failed[i] = true;
            outliers += classes[i].count;
        }
        order.retain(|i| !failed[*i]);
        if outliers > plan.checker.max_outliers() {
            return None;
        }
    }
    Some(outliers)
}

/// (value, level sum, node) of the best anonymous node, by brute force.
fn brute_force(plan: &Plan<'_>) -> Option<(f64, u32, Vec<u8>)> {
    let lattice = &plan.lattice;
    let rows = plan.checker.subset().map_or(plan.table.row_count(), |s| s.rows.len() as u64);
    let mut best: Option<(f64, u32, Vec<u8>)> = None;
    for node in 0..lattice.size() {
        let levels = lattice.levels(node);
        let classes = classes_at(plan, &levels);
        let Some(mut failed) = class_verdicts(plan, &classes) else { continue };
        let Some(outliers) = enforce_samples(plan, &levels, &classes, &mut failed) else { continue };
        if outliers > plan.checker.max_outliers() {
            continue;
        }
        let mut summary = NodeSummary { rows, ..Default::default() };
        let mut suppressed_values: Vec<BTreeMap<u32, u64>> = vec![BTreeMap::new(); levels.len()];
        for (class, &fails) in classes.iter().zip(&failed) {
            let count = class.count;
            if count == 0 {
                continue;
            }
            summary.classes += 1;
            summary.squares_all += (count as u128).pow(2);
            if !fails {
                summary.kept_classes += 1;
                summary.squares_kept += (count as u128).pow(2);
                summary.min_class_size = Some(summary.min_class_size.map_or(count, |m| m.min(count)));
            } else {
                summary.outliers += count;
                for (d, &code) in class.key.iter().enumerate() {
                    *suppressed_values[d].entry(code).or_insert(0) += count;
                }
            }
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
/// model on every class, and the suppression limit. With a research subset the
/// release holds the subset's records only, and the population records of each
/// class are counted from the input at `levels`.
fn release_satisfies_models(
    plan: &Plan<'_>,
    release: &crate::Release<'_>,
    levels: Option<&[u8]>,
) -> Result<(), TestCaseError> {
    let qi_cells: Vec<usize> = plan.qis.iter().map(|q| q.column).collect();
    let sensitive = plan.sensitive_columns[0];
    let mut classes: BTreeMap<Vec<String>, SensitiveCounts> = BTreeMap::new();
    let mut suppressed = 0u64;
    if let Some(subset) = plan.checker.subset() {
        prop_assert_eq!(release.rows(), subset.rows.len(), "the release holds the research subset only");
    }
    for r in 0..release.rows() {
        let row = release.row(r);
        let key: Vec<String> = qi_cells.iter().map(|&c| row[c].to_string()).collect();
        // Not "all cells are *": at the top node every kept record shows * too.
        if release.is_suppressed(r) {
            prop_assert!(key.iter().all(|v| v == crate::release::SUPPRESSED));
            suppressed += 1;
            continue;
        }
        let code = plan.table.column(sensitive).codes()[release.source_row(r)];
        *classes.entry(key).or_default().entry(code).or_insert(0) += 1;
    }
    prop_assert!(suppressed <= plan.checker.max_outliers());
    let population: BTreeMap<Vec<String>, u64> = match levels {
        Some(levels) => classes_at(plan, levels)
            .iter()
            .map(|c| {
                let labels = plan
                    .qis
                    .iter()
                    .zip(levels)
                    .zip(&c.key)
                    .map(|((q, &l), &g)| q.generalization.levels()[l as usize].labels()[g as usize].clone());
                (labels.collect(), c.population)
            })
            .collect(),
        None => BTreeMap::new(),
    };
    let floor = if plan.checker.criteria().iter().any(Criterion::defines_minimal_class_size) {
        plan.checker.min_class_size()
    } else {
        0
    };
    let mut sizes = Vec::new();
    for (key, histogram) in &classes {
        let count: u64 = histogram.values().sum();
        let total = population.get(key).copied().unwrap_or(count);
        let codes: Vec<u32> = histogram.keys().copied().collect();
        let counts: Vec<u64> = histogram.values().copied().collect();
        prop_assert!(count >= floor, "class {key:?} has {count} records");
        for criterion in plan.checker.criteria() {
            let h = criterion.sensitive().map(|_| Histogram { codes: &codes, counts: &counts });
            prop_assert!(criterion.passes_in_population(count, total, h), "class {key:?} fails {criterion:?}");
        }
        if !key.iter().all(|v| v == crate::release::SUPPRESSED) {
            sizes.push(count);
        }
    }
    // Sample-based models hold on the release's own classes.
    let distribution = Distribution::from_sizes(sizes);
    for criterion in plan.checker.criteria() {
        if let Criterion::Sample(check, _) = criterion {
            prop_assert!(check.fulfilled(&distribution), "the release fails {criterion:?}");
        }
    }
    Ok(())
}

/// Without a budget the heuristic runs until its queue is empty; then it
/// claims optimality, and must match brute force. Its release is always valid.
/// The optimal search without a border phase (as iterative local recoding runs
/// it) finds the same optimum as brute force.
fn lazy_evaluation_agrees(
    spec: &AnonymizationSpec,
    table: &Table,
    expected: Option<&(f64, u32, Vec<u8>)>,
) -> Result<(), TestCaseError> {
    let mut spec = spec.clone();
    spec.search.mode = crate::search::SearchMode::Optimal;
    let mut plan = spec.plan(table).expect("the spec planned before");
    plan.check_lazily = true;
    match (plan.run(&|_| {}), expected) {
        (Ok(found), Some((value, level, _))) => {
            prop_assert!((found.found.loss.value - value).abs() <= 1e-12 * value.abs().max(1.0));
            prop_assert_eq!(plan.lattice.level_sum(found.found.node), *level);
            release_satisfies_models(&plan, &found.release, Some(&found.found.levels))?;
        }
        (Err(e), None) => prop_assert_eq!(e.kind(), crate::ErrorKind::NoSolution),
        (got, want) => prop_assert!(false, "lazy {:?} vs brute force {:?}", got.map(|a| a.found.levels), want),
    }
    Ok(())
}

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
            release_satisfies_models(&plan, &found.release, Some(&found.found.levels))?;
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
    let per_class = spec
        .models
        .iter()
        .all(|m| matches!(m, PrivacyModel::KAnonymity(_) | PrivacyModel::LDiversity(_) | PrivacyModel::TCloseness(_)));
    let plan = match spec.plan(table) {
        Ok(plan) => plan,
        Err(e) => {
            prop_assert!(!per_class, "refused: {}", e);
            prop_assert_eq!(e.kind(), crate::ErrorKind::Spec);
            return Ok(());
        }
    };
    match plan.run(&|_| {}) {
        Ok(found) => {
            prop_assert_eq!(found.release.suppressed_rows(), 0);
            release_satisfies_models(&plan, &found.release, None)?;
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
            release_satisfies_models(&plan, &found.release, None)?;
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

/// Model choices; those from `FIRST_SUBSET_MODEL` on need a research subset.
const MODEL_CHOICES: u8 = 16;
const FIRST_SUBSET_MODEL: u8 = 13;

fn models(choice: u8, k: u64) -> Vec<PrivacyModel> {
    let l = |variant, l: f64, c| PrivacyModel::LDiversity(LDiversity { attribute: "s".into(), variant, l, c });
    let t = |variant, t| PrivacyModel::TCloseness(TCloseness { attribute: "s".into(), variant, t });
    let average = |threshold, at_risk: Option<(f64, f64)>| {
        PrivacyModel::AverageRisk(AverageRisk {
            threshold,
            highest_risk: at_risk.map(|a| a.0),
            records_at_risk: at_risk.map(|a| a.1),
        })
    };
    let unique = |estimator, threshold| {
        PrivacyModel::PopulationUniqueness(PopulationUniqueness { estimator, threshold, population: 1_000 })
    };
    let estimated = |estimator| {
        let estimate = Some(KMapEstimate { estimator, significance: 0.05, population: 400 });
        PrivacyModel::KMap(KMap { k: k + 2, estimate })
    };
    let delta = |min, max| PrivacyModel::DeltaPresence(DeltaPresence { min, max });
    let mut models = vec![PrivacyModel::KAnonymity(KAnonymity { k })];
    match choice % MODEL_CHOICES {
        0 => {}
        1 => models.push(l(LDiversityVariant::Distinct, 2.0, None)),
        2 => models.push(l(LDiversityVariant::Entropy, 1.5, None)),
        3 => models.push(l(LDiversityVariant::Recursive, 2.0, Some(3.0))),
        4 => models.push(t(TClosenessVariant::Equal, 0.4)),
        5 => models.push(t(TClosenessVariant::Ordered, 0.3)),
        6 => models.push(t(TClosenessVariant::Hierarchical, 0.3)),
        7 => models.push(average(0.3, None)),
        8 => models = vec![average(1.0, Some((0.4, 0.2)))],
        9 => models.push(unique(Estimator::Zayatz, 0.2)),
        10 => models.push(unique(Estimator::Dankar, 0.1)),
        11 => models.push(estimated(CellSizeEstimator::Poisson)),
        12 => models = vec![estimated(CellSizeEstimator::ZeroTruncatedPoisson), average(0.25, None)],
        13 => models.push(PrivacyModel::KMap(KMap { k: k + 1, estimate: None })),
        // Without a minimal class size, a class without subset records that fails δmin fails the node.
        14 => models = vec![delta(0.2, 0.8)],
        _ => models.push(delta(0.0, 0.5)),
    }
    models
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn optimal_search_equals_brute_force(
        rows in proptest::collection::vec((0u32..12, 0u32..6, 0u32..4, 0u32..4), 8..120),
        k in 1u64..5,
        model in 0u8..MODEL_CHOICES,
        subset_mask in proptest::collection::vec(any::<bool>(), 120),
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
            research_subset: (model >= FIRST_SUBSET_MODEL).then(|| {
                let rows: Vec<u32> = (0..rows.len() as u32).filter(|&r| subset_mask[r as usize]).collect();
                if rows.is_empty() { vec![0] } else { rows }
            }),
            ..Default::default()
        };
        let plan = match spec.plan(&t) {
            Ok(plan) => plan,
            // Impossible settings (l above the distinct values, k above the rows) are rejected up front.
            Err(e) => { prop_assert_eq!(e.kind(), crate::ErrorKind::Spec); return Ok(()); }
        };
        let expected = brute_force(&plan);
        heuristic_agrees_when_exhausted(&spec, &t, expected.as_ref())?;
        lazy_evaluation_agrees(&spec, &t, expected.as_ref())?;
        mondrian_releases_satisfy_the_models(&spec, &t)?;
        microaggregation_is_k_anonymous(&spec, &t)?;
        match (plan.run(&|_| {}), expected) {
            (Ok(found), Some((value, level, levels))) => {
                let tolerance = 1e-12 * value.abs().max(1.0);
                prop_assert!((found.found.loss.value - value).abs() <= tolerance,
                    "search {:?} = {} vs brute force {:?} = {}", found.found.levels, found.found.loss.value, levels, value);
                prop_assert_eq!(plan.lattice.level_sum(found.found.node), level);
                release_satisfies_models(&plan, &found.release, Some(&found.found.levels))?;
            }
            (Err(e), None) => prop_assert_eq!(e.kind(), crate::ErrorKind::NoSolution),
            (got, want) => prop_assert!(false, "search {:?} vs brute force {:?}", got.map(|a| a.found.levels), want),
        }
    }
}

/// Every model choice of the property test plans (none is rejected up front), so each is exercised.
#[test]
fn every_model_choice_is_searched() {
    let rows: Vec<(u32, u32, u32, u32)> = (0..60u32).map(|i| (i * 7 % 12, i * 5 % 6, i % 4, i * 3 % 4)).collect();
    let t = table(&rows);
    let hierarchy = |c: usize, builder: Builder| builder.build(t.column(c)).unwrap();
    for choice in 0..MODEL_CHOICES {
        let spec = AnonymizationSpec {
            quasi_identifiers: vec![
                QuasiIdentifierSpec {
                    column: "a".into(),
                    hierarchy: hierarchy(
                        0,
                        Builder::Intervals { widths: vec![2.0, 4.0, 8.0], bottom: None, top: None },
                    ),
                },
                QuasiIdentifierSpec {
                    column: "b".into(),
                    hierarchy: hierarchy(1, Builder::Ordered { sizes: vec![2, 4] }),
                },
            ],
            sensitive: vec![SensitiveSpec {
                column: "s".into(),
                hierarchy: Some(hierarchy(3, Builder::Ordered { sizes: vec![2] })),
            }],
            models: models(choice, 2),
            suppression_limit: 0.1,
            research_subset: (choice >= FIRST_SUBSET_MODEL).then(|| (0..60).step_by(3).collect()),
            ..Default::default()
        };
        let plan = spec.plan(&t).unwrap_or_else(|e| panic!("choice {choice}: {e}"));
        let expected = brute_force(&plan);
        match (plan.run(&|_| {}), expected) {
            (Ok(found), Some((value, level, _))) => {
                assert!((found.found.loss.value - value).abs() <= 1e-12 * value.abs().max(1.0), "choice {choice}");
                assert_eq!(plan.lattice.level_sum(found.found.node), level, "choice {choice}");
            }
            (Err(e), None) => assert_eq!(e.kind(), crate::ErrorKind::NoSolution),
            (got, want) => panic!("choice {choice}: {:?} vs {want:?}", got.map(|a| a.found.levels)),
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
        release_satisfies_models(&plan, &found.release, Some(&found.found.levels)).unwrap();
        // Local recoding on the same wide keys never packs them (it labels classes directly).
        mondrian_releases_satisfy_the_models(&spec, &t).unwrap();
    }
}

/// Tables of hundreds of thousands of mostly unique rows take the paths of
/// large tables: rows grouped through hash partitions, hubs estimated and
/// skipped, roll-ups into dense slots or through partitions, checks stopped
/// early on the minimal class size, classes kept in order of first row for
/// average risk. Every choice must still match brute force.
#[test]
fn large_tables_match_brute_force() {
    // Two columns of 4 values, two of about 5,000: 280,000 rows (just over the
    // 2^18 of partitioned grouping) are nearly all unique.
    let t = wide_table(280_000, 4, 5_000);
    let bottom = crate::classes::ClassTable::<u64>::from_rows(
        &KeyLayout::new(&(0..4).map(|c| t.column(c).distinct()).collect::<Vec<_>>()),
        &(0..4).map(|c| t.column(c).codes()).collect::<Vec<_>>(),
        &[],
        true,
    );
    assert!(bottom.len() >= crate::classes::PARTITIONED_GROUPING, "{} classes", bottom.len());
    let average = PrivacyModel::AverageRisk(AverageRisk { threshold: 0.3, highest_risk: None, records_at_risk: None });
    for (models, suppression_limit) in [
        (vec![PrivacyModel::KAnonymity(KAnonymity { k: 2 })], 0.0),
        (vec![PrivacyModel::KAnonymity(KAnonymity { k: 3 })], 0.05),
        (vec![PrivacyModel::KAnonymity(KAnonymity { k: 2 }), average], 0.02),
    ] {
        let spec = AnonymizationSpec {
            quasi_identifiers: (0..4)
                .map(|c| QuasiIdentifierSpec {
                    column: format!("q{c}"),
                    hierarchy: Builder::Suppression.build(t.column(c)).unwrap(),
                })
                .collect(),
            // A sensitive column no model reads: class tables stay without histograms.
            sensitive: vec![SensitiveSpec { column: "q4".into(), hierarchy: None }],
            models: models.clone(),
            suppression_limit,
            metric: MetricKind::Loss,
            ..Default::default()
        };
        let plan = spec.plan(&t).unwrap();
        assert!(!plan.checker.needs_histograms());
        let (value, level, levels) = brute_force(&plan).expect("a solution exists");
        let found = plan.run(&|_| {}).unwrap();
        assert!((found.found.loss.value - value).abs() <= 1e-12, "{models:?}: {:?} vs {levels:?}", found.found.levels);
        assert_eq!(plan.lattice.level_sum(found.found.node), level, "{models:?}");
        release_satisfies_models(&plan, &found.release, Some(&found.found.levels)).unwrap();
    }
}
