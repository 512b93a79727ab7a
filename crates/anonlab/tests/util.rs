//! Helpers: running the built `anonlab` binary, temporary directories, paths.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// UCI Adult's columns, all quasi-identifiers in the ARX gates.
pub const ADULT_QIS: [&str; 9] =
    ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation", "salary-class"];

/// The crate's directory (where `tests/` lives).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    crate_dir().join("../..").canonicalize().expect("the repository root exists")
}

/// `../shared/data` beside the clone; the suite needs it (CI provides it).
pub fn shared_data() -> PathBuf {
    let path = repo_root().join("../shared/data");
    assert!(path.is_dir(), "the test data directory {} is missing (clone with ../shared beside it)", path.display());
    path
}

/// Runs `anonlab` with `args` in `dir`.
pub fn anonlab(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anonlab")).args(args).current_dir(dir).output().expect("anonlab runs")
}

/// Runs `anonlab` and insists on success, returning stdout.
pub fn anonlab_ok(dir: &Path, args: &[&str]) -> String {
    let out = anonlab(dir, args);
    assert!(out.status.success(), "anonlab {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Runs `anonlab`, insists on failure with `code`, and returns stderr.
pub fn anonlab_err(dir: &Path, args: &[&str], code: i32) -> String {
    let out = anonlab(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(code), "anonlab {args:?}: expected exit {code}, stderr: {stderr}");
    assert!(stderr.starts_with("anonlab: error: "), "error is not one clear line: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "error spans several lines: {stderr}");
    stderr
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// Reads a CSV written by anonlab: header and rows of cells.
pub fn read_csv(path: &Path, delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).from_path(path).expect("the output is readable");
    let header = reader.headers().expect("a header").iter().map(str::to_string).collect();
    let rows = reader.records().map(|r| r.expect("a record").iter().map(str::to_string).collect()).collect();
    (header, rows)
}

/// Independently of the engine: the equivalence classes of a released CSV over
/// `qis` (suppressed rows, `*` in every QI, excluded), with the values of `sensitive` per class.
pub fn classes_of(
    header: &[String],
    rows: &[Vec<String>],
    qis: &[&str],
    sensitive: Option<&str>,
) -> Vec<(usize, Vec<String>)> {
    let index = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name} in output"));
    let qi: Vec<usize> = qis.iter().map(|q| index(q)).collect();
    let sa = sensitive.map(index);
    let mut classes: HashMap<Vec<&str>, (usize, Vec<String>)> = HashMap::new();
    for row in rows {
        let key: Vec<&str> = qi.iter().map(|&i| row[i].as_str()).collect();
        if key.iter().all(|v| *v == "*") {
            continue;
        }
        let entry = classes.entry(key).or_default();
        entry.0 += 1;
        if let Some(s) = sa {
            entry.1.push(row[s].clone());
        }
    }
    classes.into_values().collect()
}

/// The number of rows suppressed in a released CSV.
pub fn suppressed_rows(header: &[String], rows: &[Vec<String>], qis: &[&str]) -> usize {
    let qi: Vec<usize> = qis.iter().map(|q| header.iter().position(|h| h == q).expect("qi column")).collect();
    rows.iter().filter(|row| qi.iter().all(|&i| row[i] == "*")).count()
}
