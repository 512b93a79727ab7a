//! `anonlab models`: the catalogue of privacy models and metrics.

use anyhow::Result;

/// Prints every privacy model and quality metric with a one-line summary.
pub fn run() -> Result<()> {
    println!("privacy models ([privacy] in the config):");
    for m in anonlab_privacy::models::CATALOGUE {
        println!("  {:<26} {}", m.name, m.summary);
    }
    println!("quality metrics ([quality] metric = ...):");
    for (_, name, summary) in anonlab_privacy::metrics::CATALOGUE {
        println!("  {name:<28} {summary}");
    }
    Ok(())
}
