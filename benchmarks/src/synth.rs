//! The `synth` suite: issue #5's target. MST (ours) against the
//! independent-marginals baseline at ε ∈ {0.5, 1, 4}, δ = 1e-9, on UCI Adult
//! (30,162 rows, 9 columns) and a medical table (health insurance, 8,802 rows,
//! 11 columns), five runs each; utility is the average total-variation
//! distance over all 2- and 3-way marginals (`anonlab_dp::utility`, numeric
//! columns in 10 quantile bins of the real table). The peer runs in the same
//! session on adult: MST in Python as PyPI ships it (smartnoise-synth 1.0.8's
//! MSTSynthesizer on private-pgm's mbi 1.1.0; `scripts/python-env.sh mst`),
//! one run per ε, its output scored by the same utility code. The issue's
//! private-pgm figures (2-way 0.054, 3-way 0.115 in 81–118 s at ε = 1) are
//! the quality target.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anonlab_dp::synth::{self, Method, Settings};
use anonlab_dp::utility;
use anonlab_table::io::csv::CsvOptions;
use anonlab_table::io::read_table;
use anyhow::{Context, Result, bail};

use crate::table::Row;

const RUNS: u64 = 5;

fn peer_python(root: &Path) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("ANONLAB_MST_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let out = Command::new(root.join("scripts/python-env.sh")).arg("mst").output()?;
    if !out.status.success() {
        bail!("installing the MST peer failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(PathBuf::from(String::from_utf8(out.stdout)?.lines().last().context("the venv's python")?.trim()))
}

/// One run of the Python MST on `path`: (milliseconds, 2-way TVD, 3-way TVD).
fn peer(root: &Path, python: &Path, path: &Path, real: &anonlab_table::Table, epsilon: f64) -> Result<(f64, f64, f64)> {
    let out_path = std::env::temp_dir().join(format!("anonlab-mst-peer-{epsilon}.csv"));
    let out = Command::new(python)
        .arg(root.join("benchmarks/peers/mst_peer.py"))
        .args([path.to_str().context("path")?, ";", &epsilon.to_string(), out_path.to_str().context("path")?])
        .output()?;
    if !out.status.success() {
        bail!("the MST peer failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let synthetic = read_table(&out_path, &CsvOptions { delimiter: Some(b';') })?;
    let u = utility::evaluate(real, &synthetic, None, &utility::Settings::default())?;
    Ok((
        v["seconds"].as_f64().unwrap_or(f64::NAN) * 1e3,
        u.tvd_2way.unwrap_or(f64::NAN),
        u.tvd_3way.unwrap_or(f64::NAN),
    ))
}

/// Runs the suite.
pub fn run(root: &Path) -> Result<Vec<Row>> {
    let python = peer_python(root)?;
    let tables = [
        ("adult", root.join("examples/adult/adult.csv"), Some(b';')),
        ("health insurance", root.join("../shared/data/healthinsurance.csv"), Some(b',')),
    ];
    let mut rows = Vec::new();
    for (name, path, delimiter) in tables {
        if !path.exists() {
            eprintln!("skipping {name}: {} is missing", path.display());
            continue;
        }
        let real = read_table(&path, &CsvOptions { delimiter })?;
        for epsilon in [0.5, 1.0, 4.0] {
            for method in [Method::Mst, Method::Independent] {
                let (mut times, mut two, mut three) = (Vec::new(), 0.0, 0.0);
                for seed in 0..RUNS {
                    let settings = Settings { epsilon, delta: 1e-9, seed, method, ..Settings::default() };
                    let started = Instant::now();
                    let s = synth::synthesize(&real, &settings, &|_, _| {})?;
                    times.push(started.elapsed().as_secs_f64() * 1e3);
                    let u = utility::evaluate(&real, &s.table, None, &utility::Settings::default())?;
                    two += u.tvd_2way.unwrap_or(f64::NAN) / RUNS as f64;
                    three += u.tvd_3way.unwrap_or(f64::NAN) / RUNS as f64;
                }
                let label = if method == Method::Mst { "MST" } else { "independent" };
                // The quality target applies to MST at ε = 1.
                let correct = method != Method::Mst || epsilon != 1.0 || (two <= 0.054 && three <= 0.115);
                let mut note = format!("2-way TVD {two:.4}, 3-way TVD {three:.4} (mean of {RUNS})");
                let mut peer_ms = None;
                if method == Method::Mst && name == "adult" {
                    let (ms, p2, p3) = peer(root, &python, &path, &real, epsilon)?;
                    note.push_str(&format!("; Python MST (smartnoise-synth): 2-way {p2:.4}, 3-way {p3:.4}"));
                    peer_ms = Some(ms);
                }
                let mut row = Row::measured(&format!("{name}, ε = {epsilon}: {label}"), &times, 0, correct, note);
                if method == Method::Mst {
                    row.target_ms = Some(20_000.0);
                    row.peer_ms = peer_ms;
                }
                rows.push(row);
            }
        }
    }
    Ok(rows)
}
