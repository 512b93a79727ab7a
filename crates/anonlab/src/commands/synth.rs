//! `anonlab synth`: a differentially private synthetic copy of a table.

use anonlab_dp::synth::{self, Domain, Method, Settings};
use anonlab_table::io::write_bytes;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{SynthArgs, SynthMethod};
use crate::commands::dp::{ledger, standing_line};
use crate::commands::read_input;

/// Runs `anonlab synth`.
pub fn run(args: &SynthArgs) -> Result<()> {
    let input = read_input(&args.input, args.delimiter.as_deref())?;
    let settings = Settings {
        epsilon: args.epsilon,
        delta: args.delta,
        seed: args.seed,
        rows: args.rows,
        bins: args.bins,
        method: match args.method {
            SynthMethod::Mst => Method::Mst,
            SynthMethod::Independent => Method::Independent,
        },
        domain: args.domain.as_deref().map(read_domain).transpose()?,
    };
    let bar = ProgressBar::with_draw_target(
        Some(1000),
        if args.quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() },
    );
    bar.set_style(ProgressStyle::with_template("{spinner} {bar:30} {msg} ({elapsed})").expect("valid template"));
    let progress = |step: &str, fraction: f64| {
        bar.set_message(step.to_string());
        bar.set_position((fraction.clamp(0.0, 1.0) * 1000.0) as u64);
    };
    let synthesis = synth::synthesize(&input, &settings, &progress)?;
    bar.finish_and_clear();
    // The synthetic table exists only in memory until the ledger accepts its cost.
    let standing = match ledger(&args.ledger, Some(&args.input))? {
        Some((l, dataset, analyst)) => {
            let r = &synthesis.report;
            Some(l.spend(
                &dataset,
                &analyst,
                &format!("synthetic data ({:?})", settings.method),
                r.rho,
                r.delta_thresholds,
            )?)
        }
        None => None,
    };
    // The input's delimiter, as given or detected.
    synth::write_csv(&synthesis, &args.output, input.delimiter())?;
    if let Some(path) = &args.report {
        write_bytes(path, format!("{}\n", serde_json::to_string_pretty(&synthesis.report)?).as_bytes())?;
    }
    if !args.quiet {
        let r = &synthesis.report;
        eprintln!(
            "wrote {} synthetic rows to {} (ε = {:.4} at δ = {:e}, {:.1} s)",
            synthesis.table.rows(),
            args.output.display(),
            r.epsilon,
            args.delta,
            r.seconds
        );
        if let Some(s) = &standing {
            eprintln!("ledger: {}", standing_line(s));
        }
    }
    Ok(())
}

/// Reads a public domain file: TOML, or JSON when the name ends in `.json`.
fn read_domain(path: &std::path::Path) -> Result<Domain> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
        serde_json::from_str(&text).with_context(|| format!("{} is not a domain", path.display()))
    } else {
        crate::config::parse_toml(path, &text)
    }
}
