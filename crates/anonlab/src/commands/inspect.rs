//! `anonlab inspect`: what is in a table, and which role each column might play.

use anonlab_table::io::csv::{CsvOptions, parse_delimiter};
use anonlab_table::io::read_table;
use anonlab_table::profile::profile;
use anyhow::Result;

use crate::cli::InspectArgs;

/// Runs `anonlab inspect`.
pub fn run(args: &InspectArgs) -> Result<()> {
    let delimiter = args.delimiter.as_deref().map(parse_delimiter).transpose()?;
    let table = read_table(&args.file, &CsvOptions { delimiter })?;
    let profiles = profile(&table);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "file": args.file,
                "rows": table.row_count(),
                "delimiter": (table.delimiter() as char).to_string(),
                "columns": profiles,
            }))?
        );
        return Ok(());
    }
    println!(
        "{}: {} rows, {} columns, delimiter {:?}",
        args.file.display(),
        table.row_count(),
        table.columns().len(),
        table.delimiter() as char
    );
    let width = profiles.iter().map(|p| p.name.len()).max().unwrap_or(6).max(6);
    println!("{:<width$}  {:<14}  {:>9}  {:>7}  {:<16}  why", "column", "type", "distinct", "nulls", "suggested role");
    for p in &profiles {
        println!(
            "{:<width$}  {:<14}  {:>9}  {:>7}  {:<16}  {}",
            p.name,
            p.inferred_type.name(),
            p.distinct,
            p.nulls,
            p.suggested_role.name(),
            p.reason
        );
    }
    Ok(())
}
