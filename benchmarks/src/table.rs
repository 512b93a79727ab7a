//! Printing and saving benchmark rows.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

/// One measured case.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// What was run.
    pub case: String,
    /// Median wall time, milliseconds.
    pub ms: f64,
    /// Fastest run, milliseconds.
    pub min_ms: f64,
    /// The target, milliseconds.
    pub target_ms: Option<f64>,
    /// The peer's figure (ARX 3.9.2 on this kind of machine, or anonymeter measured in the same run), milliseconds.
    pub peer_ms: Option<f64>,
    /// Peak resident memory, MiB, where measured.
    pub peak_rss_mib: Option<f64>,
    /// Of the fastest end-to-end run: reading (and writing) outside the analysis, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_ms: Option<f64>,
    /// Of the fastest end-to-end run: the analysis (search, Mondrian, risk models), ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis_ms: Option<f64>,
    /// Transformations checked.
    pub checked: u64,
    /// The answer matched the expected one.
    pub correct: bool,
    /// Result details.
    pub note: String,
}

impl Row {
    /// A row from run times (ms); targets, peer figures and RSS are filled in by the caller.
    pub fn measured(case: &str, times: &[f64], checked: u64, correct: bool, note: String) -> Self {
        let mut sorted = times.to_vec();
        sorted.sort_by(f64::total_cmp);
        Row {
            case: case.into(),
            ms: sorted[sorted.len() / 2],
            min_ms: sorted[0],
            target_ms: None,
            peer_ms: None,
            peak_rss_mib: None,
            read_ms: None,
            analysis_ms: None,
            checked,
            correct,
            note,
        }
    }
}

fn fmt(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| if v >= 100.0 { format!("{v:.0}") } else { format!("{v:.1}") })
}

/// Prints the rows as a Markdown table (pasted into BENCHMARKS.md); the
/// read/analysis columns appear when some row has them.
pub fn print(rows: &[Row], peer: &str) {
    let split = rows.iter().any(|r| r.read_ms.is_some() || r.analysis_ms.is_some());
    let (head, rule) = if split { (" read ms | analysis ms |", "---:|---:|") } else { ("", "") };
    println!(
        "| case | anonlab ms (median) | min | target ms | met | {peer} ms | {peer} / anonlab |{head} peak RSS MiB | checked | result |"
    );
    println!("|---|---:|---:|---:|:-:|---:|---:|{rule}---:|---:|---|");
    for r in rows {
        let met = r.target_ms.map_or("-", |t| if r.ms <= t { "yes" } else { "no" });
        let ratio = r.peer_ms.map_or("-".into(), |p| format!("{:.1}×", p / r.ms));
        let parts = if split { format!(" {} | {} |", fmt(r.read_ms), fmt(r.analysis_ms)) } else { String::new() };
        println!(
            "| {} | {} | {} | {} | {met} | {} | {ratio} |{parts} {} | {} | {}{} |",
            r.case,
            fmt(Some(r.ms)),
            fmt(Some(r.min_ms)),
            fmt(r.target_ms),
            fmt(r.peer_ms),
            fmt(r.peak_rss_mib),
            r.checked,
            if r.correct { "" } else { "WRONG: " },
            r.note
        );
    }
}

/// Machine facts recorded with saved results.
#[derive(Debug, Serialize)]
struct Machine {
    cpu: String,
    cores: usize,
    os: String,
}

fn machine() -> Machine {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    Machine { cpu, cores: std::thread::available_parallelism().map_or(1, |n| n.get()), os: std::env::consts::OS.into() }
}

/// Writes `benchmarks/results/<date>-<cores>core/<suite>.json`.
pub fn save(root: &Path, suite: &str, rows: &[Row]) -> Result<PathBuf> {
    let machine = machine();
    let date = std::process::Command::new("date").arg("+%Y-%m-%d").output()?;
    let date = String::from_utf8_lossy(&date.stdout).trim().to_string();
    let dir = root.join("benchmarks/results").join(format!("{date}-{}core", machine.cores));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{suite}.json"));
    let json = serde_json::json!({ "suite": suite, "machine": machine, "rows": rows });
    std::fs::write(&path, serde_json::to_string_pretty(&json)?)?;
    Ok(path)
}
