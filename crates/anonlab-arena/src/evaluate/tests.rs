//! Tests of the evaluation on the demo challenges and on small tables.

use std::sync::OnceLock;

use anonlab_table::Table;
use anonlab_table::io::csv::{CsvOptions, read_csv_bytes};

use super::anonymizer::csv_for_test;
use super::*;
use crate::challenge::{ChallengeSpec, SplitSpec};
use crate::submission::{BuiltinAnonymizer, BuiltinAttack};

/// A demo challenge's spec and split, built once for all tests.
struct Fixture {
    slug: &'static str,
    spec: ChallengeSpec,
    split: Split,
}

fn fixtures() -> &'static [Fixture] {
    static FIXTURES: OnceLock<Vec<Fixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        demo_challenges()
            .into_iter()
            .map(|d| {
                let table = read_csv_bytes(d.csv, d.slug, &CsvOptions::default()).unwrap();
                let split = split(&table, &d.spec.split).unwrap();
                Fixture { slug: d.slug, spec: d.spec, split }
            })
            .collect()
    })
}

fn fixture(slug: &str) -> &'static Fixture {
    fixtures().iter().find(|f| f.slug == slug).unwrap()
}

fn anonymize(f: &Fixture, anonymizer: &BuiltinAnonymizer) -> AnonymizerOutcome {
    run_anonymizer(&f.spec, &f.split, anonymizer, 1).unwrap()
}

fn optimal(k: u32) -> BuiltinAnonymizer {
    BuiltinAnonymizer::OptimalKAnonymity { k, suppression_limit: 0.05 }
}

/// Adult's identity release, anonymized once for all tests.
fn adult_identity() -> &'static AnonymizerOutcome {
    static OUTCOME: OnceLock<AnonymizerOutcome> = OnceLock::new();
    OUTCOME.get_or_init(|| anonymize(fixture("adult"), &BuiltinAnonymizer::Identity))
}

/// Adult's optimal 20-anonymous release.
fn adult_k20() -> &'static AnonymizerOutcome {
    static OUTCOME: OnceLock<AnonymizerOutcome> = OnceLock::new();
    OUTCOME.get_or_init(|| anonymize(fixture("adult"), &optimal(20)))
}

/// A table whose `id` column is the row number.
fn numbered(rows: usize) -> Table {
    let text: String =
        std::iter::once("id,x\n".to_string()).chain((0..rows).map(|i| format!("{i},{}\n", i % 7))).collect();
    read_csv_bytes(text.as_bytes(), "numbered", &CsvOptions::default()).unwrap()
}

fn ids(t: &Table) -> Vec<usize> {
    (0..t.rows()).map(|r| t.column(0).value(r).parse().unwrap()).collect()
}

#[test]
fn split_is_deterministic_disjoint_and_sized_by_the_shares() {
    let table = numbered(1001);
    let spec = SplitSpec { seed: 7, train: 0.5, control: 0.25 };
    let a = split(&table, &spec).unwrap();
    let b = split(&table, &spec).unwrap();
    for (x, y) in [(&a.train, &b.train), (&a.control, &b.control), (&a.test, &b.test)] {
        assert_eq!(ids(x), ids(y));
    }
    assert_eq!((a.train.rows(), a.control.rows(), a.test.rows()), (501, 250, 250));
    let mut all: Vec<usize> = [&a.train, &a.control, &a.test].into_iter().flat_map(ids).collect();
    // Each part keeps the dataset's order.
    for part in [&a.train, &a.control, &a.test] {
        assert!(ids(part).windows(2).all(|w| w[0] < w[1]));
    }
    all.sort_unstable();
    assert_eq!(all, (0..1001).collect::<Vec<_>>(), "disjoint parts covering every row");
    let other = split(&table, &SplitSpec { seed: 8, ..spec }).unwrap();
    assert_ne!(ids(&other.train), ids(&a.train), "another seed, another split");
}

/// The algorithm is part of every challenge's definition: a change would
/// silently move rows between parts of existing challenges.
#[test]
fn split_algorithm_never_changes() {
    let table = numbered(20);
    let s = split(&table, &SplitSpec { seed: 20261202, train: 0.5, control: 0.25 }).unwrap();
    assert_eq!(ids(&s.train), PINNED_TRAIN);
    assert_eq!(ids(&s.control), PINNED_CONTROL);
}

const PINNED_TRAIN: [usize; 10] = [1, 2, 3, 11, 12, 14, 16, 17, 18, 19];
const PINNED_CONTROL: [usize; 5] = [6, 7, 8, 9, 13];

#[test]
fn split_rejects_shares_without_a_test_part_and_tiny_tables() {
    let table = numbered(10);
    assert!(split(&table, &SplitSpec { seed: 1, train: 0.8, control: 0.2 }).is_err());
    assert!(split(&table, &SplitSpec { seed: 1, train: 0.0, control: 0.2 }).is_err());
    assert!(split(&numbered(2), &SplitSpec::default()).is_err());
}

#[test]
fn identity_release_keeps_all_utility() {
    let u = &adult_identity().utility;
    assert_eq!(u.marginal_tvd_1way, 0.0, "{u:?}");
    assert_eq!(u.marginal_tvd_2way, 0.0, "{u:?}");
    assert_eq!(u.information_loss, 0.0);
    assert_eq!(u.suppressed_share, 0.0);
    assert!(u.baseline_accuracy.is_some());
    assert_eq!(u.classification_accuracy, u.baseline_accuracy);
}

#[test]
fn naive_bayes_baseline_on_adult_is_plausible() {
    let accuracy = adult_identity().utility.baseline_accuracy.unwrap();
    assert!((0.75..0.9).contains(&accuracy), "{accuracy}");
}

#[test]
fn stronger_k_loses_no_less_information() {
    let f = fixture("adult");
    let losses: Vec<f64> = [5, 10, 20]
        .into_iter()
        .map(|k| {
            if k == 20 {
                adult_k20().utility.information_loss
            } else {
                anonymize(f, &optimal(k)).utility.information_loss
            }
        })
        .collect();
    assert!(losses[0] > 0.0, "{losses:?}");
    assert!(losses.windows(2).all(|w| w[0] <= w[1]), "{losses:?}");
}

#[test]
fn identity_has_uniques_while_k_anonymity_bounds_the_risk() {
    let f = fixture("adult");
    assert_eq!(adult_identity().utility.prosecutor_risk, 1.0);
    let k5 = anonymize(f, &optimal(5)).utility;
    assert!(k5.prosecutor_risk <= 0.2, "{k5:?}");
    assert!(k5.average_risk < adult_identity().utility.average_risk);
    let shares: f64 = k5.risk_bands.iter().map(|b| b.share).sum();
    assert!((shares - 1.0).abs() < 1e-9, "{:?}", k5.risk_bands);
    // Microaggregation and Mondrian are k-anonymous too, on both demos.
    for f in fixtures() {
        for anonymizer in [BuiltinAnonymizer::Mondrian { k: 10 }, BuiltinAnonymizer::Microaggregation { k: 10 }] {
            let u = anonymize(f, &anonymizer).utility;
            assert!(u.prosecutor_risk <= 0.1, "{} {anonymizer:?}: {u:?}", f.slug);
            assert!(u.information_loss > 0.0 && u.marginal_tvd_1way > 0.0, "{} {anonymizer:?}: {u:?}", f.slug);
        }
    }
}

#[test]
fn full_generalization_loses_everything() {
    let f = fixture("flchain");
    let all = u32::try_from(f.split.train.rows()).unwrap();
    let u = anonymize(f, &BuiltinAnonymizer::OptimalKAnonymity { k: all, suppression_limit: 0.0 }).utility;
    assert_eq!(u.information_loss, 1.0, "{u:?}");
    assert_eq!(u.suppressed_share, 1.0, "every quasi-identifier is *");
    assert_eq!(u.classes, 0, "suppressed records form no class");
    let k10 = anonymize(f, &optimal(10)).utility;
    assert!(u.marginal_tvd_1way > k10.marginal_tvd_1way, "{u:?} {k10:?}");
    assert!(u.marginal_tvd_2way > k10.marginal_tvd_2way, "{u:?} {k10:?}");
}

#[test]
fn identity_leaks_more_than_k20_to_inference_and_linkability() {
    let f = fixture("adult");
    for attack in [BuiltinAttack::Inference, BuiltinAttack::Linkability] {
        let open = run_attack(&f.spec, &f.split, &adult_identity().release, attack, 3).unwrap();
        let k20 = run_attack(&f.spec, &f.split, &adult_k20().release, attack, 3).unwrap();
        assert!(open.risk.value > k20.risk.value, "{attack:?}: identity {:?}, k=20 {:?}", open.risk, k20.risk);
    }
}

#[test]
fn releases_round_trip_through_csv_with_quotes() {
    let bytes = csv_for_test(&[&["a", "b"], &["[50, 55[", "say \"hi\""], &["", "two\nlines"]]);
    let t = read_release(&bytes).unwrap();
    assert_eq!(t.column(0).value(0), "[50, 55[");
    assert_eq!(t.column(1).value(0), "say \"hi\"");
    assert_eq!(t.column(0).null_count(), 1);
    assert_eq!(t.column(1).value(1), "two\nlines");
}

#[test]
fn demo_challenges_fit_their_data() {
    for f in fixtures() {
        let header: Vec<String> = f.split.train.names().map(str::to_string).collect();
        f.spec.validate(&header).unwrap();
        assert!(f.spec.quasi_identifiers().all(|c| c.hierarchy.is_some()), "{}", f.slug);
    }
    assert_eq!(demo_anonymizers().len(), 6);
}

/// Every built-in attack against every demo anonymizer on both demo
/// challenges; prints the figures and times (`--nocapture`).
#[test]
fn every_attack_runs_on_every_demo_release() {
    for f in fixtures() {
        for (name, anonymizer) in demo_anonymizers() {
            let outcome = anonymize(f, &anonymizer);
            let u = &outcome.utility;
            eprintln!(
                "{} {name}: {:.3} s, loss {:.4}, suppressed {:.4}, classes {}, tvd1 {:.4}, tvd2 {:.4}, accuracy {:?} (baseline {:?}), prosecutor {:.4}, average {:.4}",
                f.slug,
                u.seconds,
                u.information_loss,
                u.suppressed_share,
                u.classes,
                u.marginal_tvd_1way,
                u.marginal_tvd_2way,
                u.classification_accuracy,
                u.baseline_accuracy,
                u.prosecutor_risk,
                u.average_risk
            );
            assert_eq!(outcome.release.rows(), f.split.train.rows());
            for attack in BuiltinAttack::ALL {
                let p = run_attack(&f.spec, &f.split, &outcome.release, attack, 5)
                    .unwrap_or_else(|e| panic!("{} {name} {}: {e}", f.slug, attack.name()));
                eprintln!(
                    "  {:<13} {:.3} s, risk {:.4} [{:.4}, {:.4}], attack {:.4}, control {:.4}, baseline {:.4}, trials {}, auc {:?}; {}",
                    p.attack,
                    p.seconds,
                    p.risk.value,
                    p.risk.low,
                    p.risk.high,
                    p.attack_rate.value,
                    p.control_rate.value,
                    p.baseline_rate.value,
                    p.trials,
                    p.auc,
                    p.warnings.join(" | ")
                );
                assert!((0.0..=1.0).contains(&p.risk.value), "{p:?}");
                assert_eq!(p.attack, attack.name());
                if attack == BuiltinAttack::Membership {
                    assert!(p.auc.is_some() && !p.roc.is_empty() && p.roc.len() <= 200, "{p:?}");
                }
            }
        }
    }
}
