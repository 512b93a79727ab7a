//! `anonlab generate`: a synthetic patient table, so large runs need no real data.

use std::time::Instant;

use anonlab_table::generate::write_csv;
use anonlab_table::io::Format;
use anonlab_table::io::csv::parse_delimiter;
use anyhow::{Result, bail};

use crate::cli::GenerateArgs;

/// Runs `anonlab generate`.
pub fn run(args: &GenerateArgs) -> Result<()> {
    if Format::from_path(&args.output) != Format::Csv {
        bail!("{}: generate writes CSV; convert afterwards if you need Parquet", args.output.display());
    }
    let started = Instant::now();
    write_csv(&args.output, args.rows, args.seed, parse_delimiter(&args.delimiter)?)?;
    eprintln!(
        "wrote {} stays (seed {}) to {} in {:.1} s",
        args.rows,
        args.seed,
        args.output.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
