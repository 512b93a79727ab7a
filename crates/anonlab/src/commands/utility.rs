//! `anonlab utility`: how well a synthetic table keeps the real one's statistics.

use anonlab_dp::utility::{self, Settings};
use anyhow::Result;

use crate::cli::UtilityArgs;
use crate::commands::read_input;

/// Runs `anonlab utility`.
pub fn run(args: &UtilityArgs) -> Result<()> {
    let read = |p: &std::path::Path| read_input(p, None);
    let real = read(&args.real)?;
    let synthetic = read(&args.synthetic)?;
    let holdout = args.holdout.as_deref().map(read).transpose()?;
    let settings = Settings { target: args.target.clone(), bins: args.bins, seed: args.seed, ..Settings::default() };
    let report = utility::evaluate(&real, &synthetic, holdout.as_ref(), &settings)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let opt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.4}"));
    println!(
        "average total-variation distance: 1-way {:.4}, 2-way {}, 3-way {}",
        report.tvd_1way,
        opt(report.tvd_2way),
        opt(report.tvd_3way)
    );
    println!(
        "k-marginal score (SDNist, 0-1000): {}",
        report.k_marginal_score.map_or("-".into(), |s| format!("{s:.1}"))
    );
    println!(
        "correlation difference: mean {}, max {}",
        opt(report.correlation.mean_abs_diff),
        opt(report.correlation.max_abs_diff)
    );
    if let Some(c) = &report.classification {
        println!(
            "predicting {}: trained on real {:.4}, on synthetic {:.4}, majority class {:.4} (accuracy on {} real records)",
            c.target, c.accuracy_real_on_real, c.accuracy_synthetic_on_real, c.majority_baseline, c.test_rows
        );
    }
    for n in &report.notes {
        println!("note: {n}");
    }
    Ok(())
}
