//! Bad input gets one clear line naming what and where, a non-zero exit code,
//! and no output file left behind.

use std::path::Path;

use crate::util::{anonlab_err, tempdir};

/// A small valid setup in `dir`: data, a hierarchy for `age`, and a config.
fn setup(dir: &Path, data: &str, privacy: &str) {
    std::fs::write(dir.join("data.csv"), data).unwrap();
    let ages: String = (0..100).map(|a| format!("{a};{}0-{}9;*\n", a / 10, a / 10)).collect();
    std::fs::write(dir.join("age.csv"), ages).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[input]\npath = \"data.csv\"\n\n[columns.age]\nrole = \"quasi-identifier\"\nhierarchy = \"age.csv\"\n\n\
             [columns.disease]\nrole = \"sensitive\"\n\n[privacy]\n{privacy}\n\n[output]\npath = \"out/release.csv\"\nreport = \"out/report.json\"\n"
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("out")).unwrap();
}

const DATA: &str = "age,disease\n34,flu\n35,flu\n36,cold\n41,flu\n42,cold\n43,cold\n";

/// Runs a failing anonymization and checks that nothing was written.
fn fails(dir: &Path, extra: &[&str], code: i32) -> String {
    let mut args = vec!["anonymize", "--config", "config.toml"];
    args.extend(extra);
    let stderr = anonlab_err(dir, &args, code);
    let left: Vec<_> = std::fs::read_dir(dir.join("out")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "output left behind after a failure: {left:?}");
    stderr
}

#[test]
fn valid_setup_succeeds() {
    let dir = tempdir();
    setup(dir.path(), DATA, "k = 3");
    crate::util::anonlab_ok(dir.path(), &["anonymize", "--config", "config.toml", "--quiet"]);
    assert!(dir.path().join("out/release.csv").exists() && dir.path().join("out/report.json").exists());
}

#[test]
fn rejects_missing_input_file() {
    let dir = tempdir();
    setup(dir.path(), DATA, "k = 2");
    std::fs::remove_file(dir.path().join("data.csv")).unwrap();
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("data.csv") && err.contains("cannot open"), "{err}");
}

#[test]
fn rejects_ragged_row_naming_the_line() {
    let dir = tempdir();
    setup(dir.path(), "age,disease\n34,flu\n35\n36,cold\n", "k = 2");
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("data.csv") && err.contains("line 3") && err.contains("ragged"), "{err}");
}

#[test]
fn rejects_unknown_column_listing_the_real_ones() {
    let dir = tempdir();
    setup(dir.path(), DATA, "k = 2");
    let config =
        std::fs::read_to_string(dir.path().join("config.toml")).unwrap().replace("[columns.age]", "[columns.agee]");
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("unknown column 'agee'") && err.contains("'age', 'disease'"), "{err}");
}

#[test]
fn rejects_unknown_config_key_naming_line_and_column() {
    let dir = tempdir();
    setup(dir.path(), DATA, "k = 2\nsupression_limit = 0.1");
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("config.toml, line 13") && err.contains("supression_limit"), "{err}");
}

#[test]
fn rejects_hierarchy_missing_a_value() {
    let dir = tempdir();
    setup(dir.path(), "age,disease\n34,flu\n35,flu\n200,cold\n", "k = 2");
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("'200'") && err.contains("missing from the hierarchy") && err.contains("line 4"), "{err}");
    assert!(err.contains("column 'age'"), "{err}");
}

#[test]
fn rejects_hierarchy_whose_levels_do_not_coarsen() {
    let dir = tempdir();
    setup(dir.path(), DATA, "k = 2");
    let mut ages = std::fs::read_to_string(dir.path().join("age.csv")).unwrap();
    ages = ages.replace("35;30-39;*", "35;30-39;other");
    std::fs::write(dir.path().join("age.csv"), ages).unwrap();
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("age.csv") && err.contains("line 36") && err.contains("only coarsen"), "{err}");
}

#[test]
fn rejects_k_larger_than_the_table() {
    let dir = tempdir();
    setup(dir.path(), DATA, "k = 7");
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("k = 7 is larger than the table (6 rows)"), "{err}");
}

#[test]
fn rejects_contradictory_settings() {
    let dir = tempdir();
    setup(dir.path(), DATA, "k = 2\nl_diversity = { attribute = \"age\", variant = \"distinct\", l = 2 }");
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("'age', which is not a sensitive attribute"), "{err}");

    setup(dir.path(), DATA, "k = 2\nsuppression_limit = 1.5");
    assert!(fails(dir.path(), &[], 2).contains("suppression_limit must be a fraction"));

    setup(dir.path(), DATA, "l_diversity = { attribute = \"disease\", variant = \"distinct\", l = 3 }");
    assert!(fails(dir.path(), &[], 2).contains("only 2 distinct values"));

    setup(dir.path(), DATA, "t_closeness = { attribute = \"disease\", variant = \"hierarchical\", t = 0.2 }");
    assert!(fails(dir.path(), &[], 2).contains("needs a hierarchy for 'disease'"));

    setup(dir.path(), DATA, "k = 2");
    let err = fails(dir.path(), &["--qi", "age=age.csv", "--sensitive", "age"], 2);
    assert!(err.contains("more than one role"), "{err}");
}

#[test]
fn rejects_empty_tables() {
    let dir = tempdir();
    setup(dir.path(), "age,disease\n", "k = 2");
    assert!(fails(dir.path(), &[], 2).contains("no data rows"));
    setup(dir.path(), "", "k = 2");
    assert!(fails(dir.path(), &[], 2).contains("the file is empty"));
}

#[test]
fn reports_settings_without_solution() {
    let dir = tempdir();
    // Three diseases (so l = 2.5 is not impossible up front), but even one class of
    // all rows has entropy 0.87 < ln 2.5 = 0.92, and nothing may be suppressed.
    let skewed = "age,disease\n34,flu\n35,flu\n36,flu\n41,flu\n42,cold\n43,cough\n";
    setup(dir.path(), skewed, "l_diversity = { attribute = \"disease\", variant = \"entropy\", l = 2.5 }");
    let err = fails(dir.path(), &[], 3);
    assert!(err.contains("no transformation satisfies entropy-2.5-diversity(disease)"), "{err}");
}

#[test]
fn rejects_missing_output_directory_and_bad_flags() {
    let dir = tempdir();
    setup(dir.path(), DATA, "k = 2");
    let err = fails(dir.path(), &["--output", "nowhere/release.csv"], 2);
    assert!(err.contains("does not exist"), "{err}");
    assert!(fails(dir.path(), &["--metric", "lose"], 2).contains("unknown metric 'lose'"));
    assert!(fails(dir.path(), &["--delimiter", ";;"], 2).contains("single ASCII character"));
    assert!(fails(dir.path(), &["--l-diversity", "disease:distinct"], 2).contains("COLUMN:VARIANT:L"));
}

#[test]
fn refuses_to_overwrite_the_input() {
    let dir = tempdir();
    setup(dir.path(), DATA, "k = 2");
    let err = fails(dir.path(), &["--output", "data.csv"], 2);
    assert!(err.contains("refusing to overwrite the input"), "{err}");
}

#[test]
fn rejects_risk_thresholds_outside_the_unit_interval() {
    let dir = tempdir();
    setup(dir.path(), DATA, "average_risk = 1.5");
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("average_risk") && err.contains("(0, 1]") && err.contains("1.5"), "{err}");
    setup(dir.path(), DATA, "population_uniqueness = { model = \"pitman\", threshold = 0.0, population = 1000 }");
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("population_uniqueness") && err.contains("(0, 1]"), "{err}");
}

#[test]
fn rejects_delta_min_above_max() {
    let dir = tempdir();
    setup(dir.path(), DATA, "delta_presence = { subset = \"subset.csv\", min = 0.6, max = 0.5 }");
    std::fs::write(dir.path().join("subset.csv"), "age,disease\n34,flu\n").unwrap();
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("delta_presence") && err.contains("min (0.6) is larger than max (0.5)"), "{err}");
}

#[test]
fn rejects_subset_rows_missing_from_the_input_naming_file_and_row() {
    let dir = tempdir();
    setup(dir.path(), DATA, "delta_presence = { subset = \"subset.csv\", min = 0.0, max = 0.5 }");
    // The second 34,flu has no second match in the input.
    std::fs::write(dir.path().join("subset.csv"), "age,disease\n36,cold\n34,flu\n34,flu\n").unwrap();
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("subset.csv: data row 3 (34;flu) matches no remaining row of the input"), "{err}");
}

#[test]
fn rejects_a_population_smaller_than_the_sample() {
    let dir = tempdir();
    setup(dir.path(), DATA, "k_map = { k = 2, estimator = \"poisson\", population = 5 }");
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("k_map") && err.contains("population (5) is smaller than the sample (6 records)"), "{err}");
}

#[test]
fn population_models_name_the_missing_setting() {
    let dir = tempdir();
    setup(dir.path(), DATA, "population_uniqueness = { model = \"dankar\", threshold = 0.1 }");
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("population_uniqueness needs a population") && err.contains("[risk] population"), "{err}");
    setup(dir.path(), DATA, "k_map = { k = 2 }");
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("k_map needs an estimator"), "{err}");
}

#[test]
fn rejects_two_different_research_subsets() {
    let dir = tempdir();
    let privacy = "delta_presence = { subset = \"a.csv\", max = 0.5 }\nk_map = { k = 2, subset = \"b.csv\" }";
    setup(dir.path(), DATA, privacy);
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("different subsets") && err.contains("a.csv") && err.contains("b.csv"), "{err}");
}

/// Removed direct identifiers are not even read (a malformed cell there is no
/// error, and the release has no such column), but a misspelt one is still an
/// unknown column: it must never be released by mistake.
#[test]
fn removed_identifiers_are_not_read_but_must_exist() {
    let dir = tempdir();
    let mut data = b"patient,age,disease\n".to_vec();
    for (i, row) in DATA.lines().skip(1).enumerate() {
        data.extend_from_slice(format!("P{i},{row}\n").as_bytes());
    }
    data.extend_from_slice(b"\xff\xfe,44,flu\n"); // not UTF-8, in the identifier only
    std::fs::write(dir.path().join("data.csv"), &data).unwrap();
    setup(dir.path(), "", "k = 2");
    std::fs::write(dir.path().join("data.csv"), &data).unwrap();
    let config = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    let with_id = config.replace("[privacy]", "[columns.patient]\nrole = \"identifying\"\n\n[privacy]");
    std::fs::write(dir.path().join("config.toml"), &with_id).unwrap();
    crate::util::anonlab_ok(dir.path(), &["anonymize", "--config", "config.toml", "-q"]);
    let (header, rows) = crate::util::read_csv(&dir.path().join("out/release.csv"), b',');
    assert_eq!(header, ["age", "disease"]);
    assert_eq!(rows.len(), 7);

    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    // Misspelt, the identifier is read like any other column (so the bad cell must go first).
    std::fs::write(dir.path().join("data.csv"), &data[..data.len() - b"\xff\xfe,44,flu\n".len()]).unwrap();
    std::fs::write(dir.path().join("config.toml"), with_id.replace("[columns.patient]", "[columns.patinet]")).unwrap();
    let err = fails(dir.path(), &[], 2);
    assert!(err.contains("unknown column 'patinet'") && err.contains("'patient'"), "{err}");
}
