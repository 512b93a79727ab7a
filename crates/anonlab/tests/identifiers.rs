//! Direct identifiers: keyed pseudonyms, masking, per-patient date shifting,
//! and the key rules (file or environment only, never short, never shown).

use std::path::Path;

use crate::util::{anonlab, anonlab_err, anonlab_ok, read_csv, tempdir};

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

fn setup(dir: &Path, identifiers: &str, id_action: &str) {
    std::fs::write(
        dir.join("stays.csv"),
        "patient,phone,sex,admission,discharge\n4711,0301234567,f,2020-01-31,2020-02-10\n\
         42,0309876543,m,2021-06-01,2021-06-03\n4711,0301234567,f,2020-03-01,2020-03-05\n\
         7,0305555555,m,2020-05-05,2020-05-06\n",
    )
    .unwrap();
    std::fs::write(dir.join("sex.csv"), "f;*\nm;*\n").unwrap();
    std::fs::write(dir.join("key.bin"), KEY).unwrap();
    std::fs::write(
        dir.join("c.toml"),
        format!(
            "[input]\npath = \"stays.csv\"\n\n[columns.patient]\nrole = \"identifying\"\n{id_action}\n\n\
             [columns.phone]\nrole = \"identifying\"\nidentifier = {{ action = \"mask\", keep_start = 3, keep_end = 2 }}\n\n\
             [columns.sex]\nrole = \"quasi-identifier\"\nhierarchy = \"sex.csv\"\n\n\
             [columns.admission]\nrole = \"insensitive\"\ntype = \"date\"\n\n\
             [columns.discharge]\nrole = \"insensitive\"\ntype = \"date\"\n\n\
             [identifiers]\n{identifiers}\n\n[privacy]\nk = 2\n\n[output]\npath = \"out.csv\"\n"
        ),
    )
    .unwrap();
}

const PSEUDONYM: &str = "identifier = { action = \"pseudonym\" }";

#[test]
fn pseudonyms_are_keyed_hmacs_stable_across_runs() {
    let dir = tempdir();
    setup(dir.path(), "key_file = \"key.bin\"", PSEUDONYM);
    anonlab_ok(dir.path(), &["anonymize", "-c", "c.toml", "-q"]);
    let (header, rows) = read_csv(&dir.path().join("out.csv"), b',');
    assert_eq!(header, ["patient", "phone", "sex", "admission", "discharge"]);
    // HMAC-SHA-256(key, "anonlab-pseudonym-v1" 0x00 "4711"), computed with Python's hmac.
    assert_eq!(rows[0][0], "5604510b2eddb0b5a26a85dbf1707edd95e4fb13a4e136e6d014ac41ba2f59b4");
    assert_eq!(rows[0][0], rows[2][0], "one patient, one pseudonym");
    assert_ne!(rows[0][0], rows[1][0]);
    assert_eq!(rows[0][1], "030*****67");
    let first = std::fs::read(dir.path().join("out.csv")).unwrap();
    anonlab_ok(dir.path(), &["anonymize", "-c", "c.toml", "-q"]);
    assert_eq!(std::fs::read(dir.path().join("out.csv")).unwrap(), first, "stable across runs");

    // The same key from the environment gives the same pseudonyms; another key, others.
    setup(dir.path(), "key_env = \"ANONLAB_TEST_KEY\"", PSEUDONYM);
    let run_with = |key: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_anonlab"))
            .args(["anonymize", "-c", "c.toml", "-q"])
            .env("ANONLAB_TEST_KEY", key)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        read_csv(&dir.path().join("out.csv"), b',').1[0][0].clone()
    };
    assert_eq!(run_with(std::str::from_utf8(KEY).unwrap()), rows[0][0]);
    assert_ne!(run_with("another key of at least thirty-two bytes"), rows[0][0]);
}

#[test]
fn keys_must_be_configured_long_and_unambiguous() {
    let dir = tempdir();
    setup(dir.path(), "", PSEUDONYM);
    let err = anonlab_err(dir.path(), &["anonymize", "-c", "c.toml"], 2);
    assert!(err.contains("a pseudonym key is required") && err.contains("never taken from the command line"), "{err}");

    std::fs::write(dir.path().join("short.bin"), b"too short\n").unwrap();
    setup(dir.path(), "key_file = \"short.bin\"", PSEUDONYM);
    std::fs::write(dir.path().join("short.bin"), b"too short\n").unwrap();
    let err = anonlab_err(dir.path(), &["anonymize", "-c", "c.toml"], 2);
    assert!(err.contains("has 9 bytes; at least 32"), "{err}");
    assert!(!err.contains("too short"), "the key leaked into the message: {err}");

    setup(dir.path(), "key_file = \"key.bin\"\nkey_env = \"X\"", PSEUDONYM);
    assert!(anonlab_err(dir.path(), &["anonymize", "-c", "c.toml"], 2).contains("both key_file and key_env"));
    assert!(!dir.path().join("out.csv").exists());
}

#[test]
fn date_shifting_moves_each_patients_dates_together() {
    let dir = tempdir();
    let shift = "key_file = \"key.bin\"\ndate_shift = { patient = \"patient\", max_days = 30, columns = [\"admission\", \"discharge\"] }";
    setup(dir.path(), shift, "");
    anonlab_ok(dir.path(), &["anonymize", "-c", "c.toml", "-q"]);
    let (header, rows) = read_csv(&dir.path().join("out.csv"), b',');
    assert_eq!(header, ["phone", "sex", "admission", "discharge"], "the patient column is removed by default");
    // Patient 4711's offset is -20 days (computed with Python's hmac); stays keep their length.
    assert_eq!((rows[0][2].as_str(), rows[0][3].as_str()), ("2020-01-11", "2020-01-21"));
    assert_eq!((rows[2][2].as_str(), rows[2][3].as_str()), ("2020-02-10", "2020-02-14"));
    let date = |s: &str| chrono_days(s);
    for (row, (a, d)) in rows.iter().zip([(31, 41), (0, 2), (0, 4), (0, 1)]) {
        assert_eq!(date(&row[3]) - date(&row[2]), d - a);
    }
}

/// Days since 2000-01-01 for a YYYY-MM-DD date, without a date library.
fn chrono_days(s: &str) -> i64 {
    let parts: Vec<i64> = s.split('-').map(|p| p.parse().unwrap()).collect();
    let (y, m, d) = (parts[0], parts[1], parts[2]);
    let (y, m) = if m <= 2 { (y - 1, m + 12) } else { (y, m) };
    365 * y + y / 4 - y / 100 + y / 400 + (153 * (m - 3) + 2) / 5 + d
}

#[test]
fn identifier_actions_need_the_identifying_role() {
    let dir = tempdir();
    setup(dir.path(), "", "");
    let config = std::fs::read_to_string(dir.path().join("c.toml")).unwrap().replace(
        "role = \"quasi-identifier\"\nhierarchy",
        "role = \"quasi-identifier\"\nidentifier = { action = \"mask\" }\nhierarchy",
    );
    std::fs::write(dir.path().join("c.toml"), config).unwrap();
    let out = anonlab(dir.path(), &["anonymize", "-c", "c.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("identifier action but its role is quasi-identifier"));
}
