//! Page-level tests on a small anonymization whose quasi-identifier has a
//! hostile name: the page must be self-contained, complete, and escaped.

use anonlab_privacy::models::{KAnonymity, PrivacyModel};
use anonlab_privacy::risk::{PopulationModel, RiskReport};
use anonlab_privacy::{AnonymizationSpec, QuasiIdentifierSpec, Report};
use anonlab_table::Table;
use anonlab_table::column::ColumnBuilder;
use anonlab_table::hierarchy::Builder;

use crate::{IdentifyingSetting, QuasiIdentifierSetting, ReportPage, Settings, render};

/// A column name that breaks out of every context it could land in unescaped.
const HOSTILE: &str = "zip<script>alert('x')</script>\"&<img src=http://evil.example/x>";

fn column(name: &str, values: &[&str]) -> anonlab_table::Column {
    let mut b = ColumnBuilder::new(name);
    for (i, v) in values.iter().enumerate() {
        b.push(v, i as u64 + 2).unwrap();
    }
    b.finish()
}

/// Renders the report of 2-anonymizing twelve ZIP codes, in a column called `name`, by masking.
fn page(name: &str) -> String {
    let zips =
        ["13053", "13068", "13068", "14850", "14853", "14853", "13053", "14850", "13121", "13122", "14001", "14002"];
    let diseases = ["flu", "flu", "cold", "cold", "flu", "hiv", "cold", "flu", "flu", "cold", "hiv", "flu"];
    let table = Table::try_new(vec![column(name, &zips), column("disease", &diseases)], None, b',').unwrap();
    let spec = AnonymizationSpec {
        quasi_identifiers: vec![QuasiIdentifierSpec {
            column: name.into(),
            hierarchy: Builder::Masking { levels: None, mask: '*' }.build(table.column(0)).unwrap(),
        }],
        models: vec![PrivacyModel::KAnonymity(KAnonymity { k: 2 })],
        suppression_limit: 0.2,
        ..Default::default()
    };
    let plan = spec.plan(&table).unwrap();
    let result = plan.run(&|_| {}).unwrap();
    let population = PopulationModel::of_size(10_000);
    let before = RiskReport::analyze(&table, &[0], &population, 2).unwrap();
    let released: Vec<&str> = result.release.iter_rows().map(|r| r[0]).collect();
    let release = Table::try_new(vec![column(name, &released)], None, b',').unwrap();
    let after = RiskReport::analyze(&release, &[0], &population, 1).unwrap();
    let settings = Settings {
        config: Some("<config>.toml".into()),
        input: "patients&<b>.csv".into(),
        quasi_identifiers: vec![QuasiIdentifierSetting { name: name.into(), hierarchy: "built: <Masking>".into() }],
        sensitive: vec!["disease".into()],
        identifying: vec![IdentifyingSetting { name: "<name>".into(), treatment: "removed".into() }],
        checked_report: None,
    };
    render(&ReportPage {
        settings: &settings,
        anonymization: &Report::new(&plan, &result),
        before: &before,
        after: &after,
    })
    .unwrap()
}

#[test]
fn page_loads_nothing_from_outside() {
    // A benign name: the hostile one carries a URL as (escaped) text.
    let html = page("zip");
    let lower = html.to_ascii_lowercase();
    for needle in ["http://", "https://", "src=", "<script", "<link", "@import", "url(", "xmlns"] {
        assert!(!lower.contains(needle), "the page contains '{needle}'");
    }
}

#[test]
fn page_has_every_section_and_chart() {
    let html = page("zip");
    for id in [
        "settings",
        "risk",
        "risk-distribution",
        "class-sizes",
        "class-size-histogram",
        "information-loss",
        "attribute-loss",
        "suppression",
        "quasi-identifiers",
        "distinction",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "section or figure '{id}' is missing");
    }
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 4, "four charts");
    assert_eq!(html.matches("</svg>").count(), 4, "every chart is closed");
    // Each chart has bars and text: plotters drew something, not an empty frame.
    for figure in html.split("<figure").skip(1) {
        let svg = &figure[..figure.find("</svg>").expect("a chart in each figure")];
        assert!(svg.contains("<rect") && svg.contains("<text"), "a chart without bars or labels");
    }
    for measure in [
        "prosecutor risk",
        "journalist risk",
        "marketer risk",
        "sample uniqueness",
        "Pitman",
        "Zayatz",
        "SNB",
        "Dankar",
    ] {
        assert!(html.contains(measure), "the risk table lacks {measure}");
    }
    assert!(html.contains("2-anonymity") && html.contains("disease"), "the settings are shown");
}

#[test]
fn escapes_hostile_names_everywhere() {
    let html = page(HOSTILE);
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>") && !html.contains("<name>"));
    assert!(!html.contains("<config>") && !html.contains("<Masking>"));
    // The name shows, escaped, in the tables and in the charts' SVG text.
    assert!(
        html.contains("zip&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;&lt;img"),
        "table cells escape"
    );
    let in_charts = html.split("<svg").skip(1).filter(|svg| svg.contains("zip&lt;script&gt;")).count();
    assert!(in_charts >= 2, "the attribute charts show the escaped name");
    assert!(html.contains("patients&amp;&lt;b&gt;.csv"));
}
