//! `anonlab risk`: ARX's figures through the CLI, before/after comparisons, bad populations.

use crate::util::{ADULT_QIS, anonlab_err, anonlab_ok, crate_dir, repo_root, tempdir};

fn json(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&anonlab_ok(dir, args)).unwrap()
}

#[test]
fn reports_arx_figures_as_json() {
    let adult = repo_root().join("examples/adult/adult.csv");
    let r = json(
        &repo_root(),
        &["risk", adult.to_str().unwrap(), "--qi", &ADULT_QIS.join(","), "--population", "usa", "--json"],
    );
    let p = &r["population_uniqueness"];
    for (value, arx) in [
        (&r["prosecutor"], 1.0),
        (&r["journalist"], 1.0),
        (&r["marketer"], 0.646575),
        (&r["sample_uniqueness"], 0.514290),
        (&p["pitman"], 0.038896),
        (&p["zayatz"], 0.264565),
        (&p["snb"], 0.0),
        (&p["dankar"], 0.038896),
    ] {
        assert!((value.as_f64().unwrap() - arx).abs() < 1e-6, "{value} vs ARX {arx}");
    }
}

#[test]
fn config_population_and_release_comparison() {
    let dir = crate_dir().join("tests/oracles/arx");
    let out = tempdir();
    let config = out.path().join("risk.toml");
    let base = std::fs::read_to_string(dir.join("adult.toml"))
        .unwrap()
        .replace("../../../../../", &format!("{}/", repo_root().display()));
    std::fs::write(&config, format!("{base}\n[risk]\npopulation = \"germany\"\n")).unwrap();
    let before = json(out.path(), &["risk", "--config", config.to_str().unwrap(), "--json"]);
    assert_eq!(before["population_uniqueness"]["population"], 80_767_000);
    assert!((before["population_uniqueness"]["pitman"].as_f64().unwrap() - 0.05721215066108805).abs() < 1e-6);

    // After 5-anonymization with 4 % suppression the release's risks drop as k promises.
    let release = out.path().join("release.csv");
    anonlab_ok(
        &dir,
        &[
            "anonymize",
            "--config",
            "adult.toml",
            "--k",
            "5",
            "--suppression-limit",
            "0.04",
            "-q",
            "-o",
            release.to_str().unwrap(),
        ],
    );
    let after = json(out.path(), &["risk", release.to_str().unwrap(), "--qi", &ADULT_QIS.join(","), "--json"]);
    assert_eq!(after["records"], 30_162 - 1_178, "suppressed records are left out");
    assert_eq!(after["classes"], 370);
    assert!((after["prosecutor"].as_f64().unwrap() - 0.2).abs() < 1e-12);
    assert_eq!(after["sample_uniqueness"], 0.0);
}

#[test]
fn rejects_bad_populations() {
    let adult = repo_root().join("examples/adult/adult.csv");
    let path = adult.to_str().unwrap();
    let err = anonlab_err(&repo_root(), &["risk", path, "--qi", "age", "--population", "1000"], 2);
    assert!(err.contains("population (1000) is smaller than the sample (30162 records)"), "{err}");
    let err = anonlab_err(&repo_root(), &["risk", path, "--qi", "age", "--population", "atlantis"], 2);
    assert!(err.contains("neither a number nor a region"), "{err}");
    let err = anonlab_err(&repo_root(), &["risk", path, "--qi", "agee"], 2);
    assert!(err.contains("unknown column 'agee'"), "{err}");
}
