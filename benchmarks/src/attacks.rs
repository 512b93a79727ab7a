//! The `attacks` suite: issue #4's targets. `anonlab attack` and anonymeter
//! 1.1.0 (the reference, installed by `scripts/python-env.sh anonymeter`) run
//! side by side on the same generated stays, and a row is correct only when
//! their results agree within the attack's confidence interval.
//!
//! Data: 10,000 seeded stays as the original, 10,000 others as the control,
//! and two releases: a leaky one (the original with lab values moved by at
//! most 1 %) and an independent sample of 10,000 more stays; all without the
//! id and date columns (anonymeter would compare dates as text).
//! anonlab's time is the whole process (reading the CSVs included);
//! anonymeter's is its evaluation alone, after numba's JIT compilation
//! (timed separately and shown in the note). The 1 M-row cases run anonlab
//! alone against a 1 M-row release (anonymeter's brute force would take hours).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::scale::run_json;
use crate::table::Row;

/// The columns the attacks see.
const COLUMNS: [&str; 9] =
    ["age", "sex", "zip", "length_of_stay", "diagnosis", "creatinine", "hemoglobin", "glucose", "crp"];

/// Writes `rows` generated stays (seed `seed`) over [`COLUMNS`]; `noise` moves
/// the lab values by up to ±1 % (deterministically per row).
fn stays(dir: &Path, name: &str, rows: u64, seed: u64, noise: bool) -> Result<PathBuf> {
    let raw = dir.join(format!("raw-{rows}-{seed}.csv"));
    if !raw.exists() {
        anonlab_table::generate::write_csv(&raw, rows, seed, b',')?;
    }
    let text = std::fs::read_to_string(&raw)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().context("a header")?.split(',').collect();
    let keep: Vec<usize> =
        COLUMNS.iter().map(|c| header.iter().position(|h| h == c).context("column")).collect::<Result<_>>()?;
    let labs: Vec<usize> = ["creatinine", "hemoglobin", "glucose", "crp"]
        .iter()
        .map(|c| COLUMNS.iter().position(|x| x == c).unwrap())
        .collect();
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for (i, line) in lines.enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        let mut row: Vec<String> = keep.iter().map(|&k| fields[k].to_string()).collect();
        if noise {
            for (j, &l) in labs.iter().enumerate() {
                // A fixed pseudo-random factor in [0.99, 1.01] per cell.
                let h = (i as u64 * 4 + j as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 44;
                let factor = 0.99 + 0.02 * (h as f64 / (1u64 << 20) as f64);
                let x: f64 = row[l].parse().context("a lab value")?;
                row[l] = format!("{:.3}", x * factor);
            }
        }
        out.push_str(&row.join(","));
        out.push('\n');
    }
    let path = dir.join(name);
    std::fs::write(&path, out)?;
    Ok(path)
}

fn python(root: &Path) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("ANONLAB_ANONYMETER_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let out = Command::new(root.join("scripts/python-env.sh")).arg("anonymeter").output()?;
    if !out.status.success() {
        bail!("installing anonymeter failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8(out.stdout)?;
    Ok(PathBuf::from(text.lines().last().context("the venv's python")?.trim()))
}

fn num(v: &Value, key: &str, end: &str) -> f64 {
    v[key][end].as_f64().unwrap_or(f64::NAN)
}

/// One attack on both tools: `runs` timed runs of ours, one of anonymeter.
#[allow(clippy::too_many_arguments)]
fn side_by_side(
    case: &str,
    anonlab: &Path,
    python: &Path,
    root: &Path,
    files: (&Path, &Path, &Path),
    attack: &str,
    args: &[&str],
    runs: usize,
) -> Result<Row> {
    let (o, r, c) = (files.0.to_str().unwrap(), files.1.to_str().unwrap(), files.2.to_str().unwrap());
    let mut ours_args = vec!["attack", attack, "--original", o, "--release", r, "--control", c, "--json"];
    ours_args.extend_from_slice(args);
    let mut times = Vec::new();
    let mut ours = Value::Null;
    for _ in 0..runs {
        let (ms, v) = run_json(anonlab, &ours_args)?.context("finished")?;
        times.push(ms);
        ours = v;
    }
    let started = Instant::now();
    let out = Command::new(python)
        .arg(root.join("tests/oracle/anonymeter_check.py"))
        .args([attack, "--original", o, "--release", r, "--control", c, "--warm"])
        .args(args)
        .output()?;
    if !out.status.success() {
        bail!("anonymeter failed on {case}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let process_s = started.elapsed().as_secs_f64();
    let theirs: Value = serde_json::from_slice(&out.stdout)?;
    let their_ms = theirs["seconds"].as_f64().context("seconds")? * 1e3;
    let (x, y) = (num(&ours, "risk", "value"), num(&theirs, "risk", "value"));
    let half = |v: &Value| (num(v, "attack_rate", "high") - num(v, "attack_rate", "low")) / 2.0;
    let (ax, ay) = (num(&ours, "attack_rate", "value"), num(&theirs, "attack_rate", "value"));
    let agree = (ax - ay).abs() <= half(&ours) + half(&theirs);
    let jit = theirs["warm_up_seconds"].as_f64().map_or(String::new(), |s| format!(", JIT {s:.1} s"));
    let note = format!(
        "risk ours {x:.3} [{:.3}, {:.3}], anonymeter {y:.3} [{:.3}, {:.3}]; attack rate {ax:.3} vs {ay:.3}; anonymeter process {process_s:.1} s{jit}",
        num(&ours, "risk", "low"),
        num(&ours, "risk", "high"),
        num(&theirs, "risk", "low"),
        num(&theirs, "risk", "high"),
    );
    let mut row = Row::measured(case, &times, 0, agree, note);
    row.peer_ms = Some(their_ms);
    row.target_ms = Some(their_ms / 10.0);
    Ok(row)
}

/// One attack of ours alone on the 1 M-row release.
fn alone(case: &str, anonlab: &Path, files: (&Path, &Path, &Path), attack: &str, args: &[&str]) -> Result<Row> {
    let (o, r, c) = (files.0.to_str().unwrap(), files.1.to_str().unwrap(), files.2.to_str().unwrap());
    let mut all = vec!["attack", attack, "--original", o, "--release", r, "--control", c, "--json"];
    all.extend_from_slice(args);
    let (ms, v) = run_json(anonlab, &all)?.context("finished")?;
    let note =
        format!("risk {:.3} [{:.3}, {:.3}]", num(&v, "risk", "value"), num(&v, "risk", "low"), num(&v, "risk", "high"));
    let mut row = Row::measured(case, &[ms], 0, v["risk"]["value"].is_number(), note);
    row.target_ms = Some(60_000.0);
    Ok(row)
}

/// Runs the suite.
pub fn run(root: &Path, anonlab: &Path, runs: usize) -> Result<Vec<Row>> {
    let dir = std::env::temp_dir().join("anonlab-attacks-bench");
    std::fs::create_dir_all(&dir)?;
    let original = stays(&dir, "original.csv", 10_000, 1, false)?;
    let control = stays(&dir, "control.csv", 10_000, 2, false)?;
    let leaky = stays(&dir, "leaky.csv", 10_000, 1, true)?;
    let independent = stays(&dir, "independent.csv", 10_000, 4, false)?;
    let python = python(root)?;
    let cases: [(&str, &str, &[&str]); 3] = [
        (
            "linkability: 2,000 targets x 10,000 rows, 3+3 columns",
            "linkability",
            &["--aux-cols-a", "age,sex,creatinine", "--aux-cols-b", "hemoglobin,glucose,crp", "--n-attacks", "2000"],
        ),
        (
            "singling out, multivariate: 200 queries x 10,000 rows",
            "singling-out",
            &["--mode", "multivariate", "--n-attacks", "200"],
        ),
        (
            "inference: 500 targets x 10,000 rows (secret diagnosis)",
            "inference",
            &["--aux-cols", "age,sex,zip,creatinine,hemoglobin", "--secret", "diagnosis", "--n-attacks", "500"],
        ),
    ];
    let mut rows = Vec::new();
    for (release, label) in [(&leaky, "leaky"), (&independent, "independent")] {
        for (case, attack, args) in cases {
            let mut args = args.to_vec();
            args.extend(["--seed", "1"]);
            let files = (original.as_path(), release.as_path(), control.as_path());
            rows.push(side_by_side(&format!("{label}: {case}"), anonlab, &python, root, files, attack, &args, runs)?);
        }
    }
    // A 1 M-row release: ours alone.
    let big = stays(&dir, "release-1m.csv", 1_000_000, 3, false)?;
    let files = (original.as_path(), big.as_path(), control.as_path());
    rows.push(alone(
        "1 M-row release: linkability, 2,000 targets",
        anonlab,
        files,
        "linkability",
        &["--aux-cols-a", "age,sex,creatinine", "--aux-cols-b", "hemoglobin,glucose,crp", "--n-attacks", "2000"],
    )?);
    rows.push(alone(
        "1 M-row release: singling out, multivariate, 500 queries",
        anonlab,
        files,
        "singling-out",
        &["--n-attacks", "500"],
    )?);
    rows.push(alone(
        "1 M-row release: inference, 500 targets",
        anonlab,
        files,
        "inference",
        &["--aux-cols", "age,sex,zip,creatinine,hemoglobin", "--secret", "diagnosis"],
    )?);
    rows.push(alone(
        "1 M-row release: membership (distance), 1,000 + 1,000 targets",
        anonlab,
        files,
        "membership",
        &["--n-attacks", "1000"],
    )?);
    rows.push(alone(
        "1 M-row release: membership (density), 1,000 + 1,000 targets",
        anonlab,
        files,
        "membership",
        &["--method", "density", "--n-attacks", "1000"],
    )?);
    Ok(rows)
}
