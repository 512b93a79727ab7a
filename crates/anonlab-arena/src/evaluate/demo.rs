//! The two challenges and six anonymizers the platform seeds on first start,
//! so a fresh installation has a leaderboard to look at and to compare against.
//!
//! Both datasets are compiled into the binary: nothing needs to be downloaded
//! or found on disk at start-up. `adult` uses the repository's UCI Adult
//! example and its ARX hierarchies (`examples/adult/`); `flchain` is a copy of
//! R's `survival::flchain` in `crates/anonlab-arena/demo/` (see
//! `demo/ATTRIBUTION.md` there for both).

use crate::challenge::{ChallengeSpec, ColumnRole, HierarchySpec};
use crate::submission::BuiltinAnonymizer;

/// A challenge the platform creates on first start.
#[derive(Debug, Clone)]
pub struct DemoChallenge {
    /// URL-safe name, unique among challenges.
    pub slug: &'static str,
    /// Shown as the challenge's heading.
    pub title: &'static str,
    /// What the data is and what is asked, for the challenge page.
    pub description: &'static str,
    /// The dataset as CSV, to be stored in the vault like an upload.
    pub csv: &'static [u8],
    /// Roles, hierarchies, split, utility task and threat model.
    pub spec: ChallengeSpec,
}

const ADULT_CSV: &[u8] = include_bytes!("../../../../examples/adult/adult.csv");
const ADULT_SPEC: &str = include_str!("../../demo/adult.json");
/// ARX hierarchies of adult's quasi-identifiers, by column.
const ADULT_HIERARCHIES: [(&str, &[u8]); 8] = [
    ("age", include_bytes!("../../../../examples/adult/adult_hierarchy_age.csv")),
    ("education", include_bytes!("../../../../examples/adult/adult_hierarchy_education.csv")),
    ("marital-status", include_bytes!("../../../../examples/adult/adult_hierarchy_marital-status.csv")),
    ("native-country", include_bytes!("../../../../examples/adult/adult_hierarchy_native-country.csv")),
    ("occupation", include_bytes!("../../../../examples/adult/adult_hierarchy_occupation.csv")),
    ("race", include_bytes!("../../../../examples/adult/adult_hierarchy_race.csv")),
    ("sex", include_bytes!("../../../../examples/adult/adult_hierarchy_sex.csv")),
    ("workclass", include_bytes!("../../../../examples/adult/adult_hierarchy_workclass.csv")),
];
const FLCHAIN_CSV: &[u8] = include_bytes!("../../demo/flchain.csv");
const FLCHAIN_SPEC: &str = include_str!("../../demo/flchain.json");

/// The demo challenges: `adult` and `flchain`.
///
/// `demo/adult.json` leaves the quasi-identifiers' hierarchies out, because a
/// spec holds hierarchies inline and ARX's files are the maintained source:
/// they are parsed from the bundled files here, so the spec and the files can
/// never disagree.
pub fn demo_challenges() -> Vec<DemoChallenge> {
    let mut adult = parse(ADULT_SPEC);
    for column in &mut adult.columns {
        if column.role == ColumnRole::QuasiIdentifier
            && let Some((_, file)) = ADULT_HIERARCHIES.iter().find(|(name, _)| *name == column.name)
        {
            column.hierarchy = Some(HierarchySpec::Table { rows: arx_rows(file) });
        }
    }
    vec![
        DemoChallenge {
            slug: "adult",
            title: "UCI Adult: census income",
            description: "30,162 adults from the 1994 US census (UCI Adult, as prepared by the ARX project). \
                Anonymize sex, age, race, marital status, education, native country, work class and occupation \
                (ARX's hierarchies); the salary class is sensitive, and a classifier trained on the release \
                predicts it. Attackers know a target's quasi-identifiers (as a prosecutor would) and want the \
                salary class.",
            csv: ADULT_CSV,
            spec: adult,
        },
        DemoChallenge {
            slug: "flchain",
            title: "Serum free light chain study (flchain)",
            description: "7,874 residents of Olmsted County, Minnesota, aged 50 and over, from a study of serum \
                free light chains and mortality (R survival::flchain). Anonymize age (5-, 10-, 20-year bands), \
                sex and sample year; the cause of death (chapter) is sensitive, and a classifier trained on the \
                release predicts death from age, sex and the blood values (the free light chains, creatinine, MGUS). Attackers know a target's age, sex, sample year and FLC group and want \
                the cause of death.",
            csv: FLCHAIN_CSV,
            spec: parse(FLCHAIN_SPEC),
        },
    ]
}

/// The anonymizers the platform seeds, by submission name: the unprotected
/// reference, optimal k-anonymity at three strengths (to show the trade-off
/// on one algorithm), and the two local recodings at k = 10.
pub fn demo_anonymizers() -> Vec<(&'static str, BuiltinAnonymizer)> {
    let optimal = |k| BuiltinAnonymizer::OptimalKAnonymity { k, suppression_limit: 0.05 };
    vec![
        ("identity", BuiltinAnonymizer::Identity),
        ("optimal-k5", optimal(5)),
        ("optimal-k10", optimal(10)),
        ("optimal-k20", optimal(20)),
        ("mondrian-k10", BuiltinAnonymizer::Mondrian { k: 10 }),
        ("microaggregation-k10", BuiltinAnonymizer::Microaggregation { k: 10 }),
    ]
}

fn parse(json: &str) -> ChallengeSpec {
    serde_json::from_str(json).expect("the bundled demo specs are valid (tested by demo_challenges_fit_their_data)")
}

/// Rows of an ARX hierarchy file (no header, `;`, no quotes, as ARX writes them).
fn arx_rows(file: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(file).expect("the bundled hierarchies are ASCII");
    text.trim_start_matches('\u{feff}')
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.split(';').map(str::to_string).collect())
        .collect()
}
