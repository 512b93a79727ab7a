//! `anonlab risk`: how many patients could be re-identified, and by which attributes.

use std::time::Instant;

use anonlab_privacy::risk::RiskReport;
use anonlab_table::AttributeRole;
use anonlab_table::io::csv::{Columns, CsvOptions, parse_delimiter};
use anonlab_table::io::read_table_columns;
use anyhow::{Result, bail};

use crate::cli::RiskArgs;
use crate::config::{Config, Population};

/// Runs `anonlab risk`.
pub fn run(args: &RiskArgs) -> Result<()> {
    let config = match &args.config {
        Some(path) => Some(Config::load(path)?),
        None => None,
    };
    let (path, delimiter) = match (&args.file, &config) {
        (Some(file), _) => (file.clone(), args.delimiter.as_deref().map(parse_delimiter).transpose()?),
        (None, Some(c)) => (c.input_path()?, c.input_delimiter()?),
        (None, None) => bail!("give a table to analyse, or --config"),
    };
    let names: Vec<String> = if !args.qi.is_empty() {
        args.qi.clone()
    } else if let Some(c) = &config {
        c.columns.iter().filter(|(_, col)| col.role == AttributeRole::QuasiIdentifier).map(|(n, _)| n.clone()).collect()
    } else {
        bail!("name the quasi-identifiers with --qi a,b,c (or give --config)");
    };
    if names.is_empty() {
        bail!("no quasi-identifier to analyse");
    }
    // Only the quasi-identifiers (and the columns the config types) are encoded:
    // a wide table's other columns, often near-unique identifiers, would cost
    // time and memory for nothing.
    let mut wanted = names.clone();
    wanted.extend(config.iter().flat_map(|c| c.columns.keys().cloned()));
    let started = Instant::now();
    let mut table = read_table_columns(&path, &CsvOptions { delimiter }, Columns::Only(&wanted))?;
    if let Some(c) = &config {
        c.apply_types(&mut table)?;
    }
    let mut qis = names.iter().map(|n| table.column_index(n)).collect::<anonlab_table::Result<Vec<_>>>()?;
    qis.sort_unstable();
    let population =
        Population::choose(args.population.as_deref(), config.as_ref().and_then(|c| c.risk.population.as_ref()))?;
    let read = started.elapsed();
    let report = RiskReport::analyze(&table, &qis, &population, args.combinations)?;
    if args.json {
        // Where the time and memory went, next to the figures (scale benchmarks read these).
        let mut json = serde_json::to_value(&report)?;
        json["read_ms"] = (read.as_secs_f64() * 1e3).into();
        json["analysis_ms"] = ((started.elapsed() - read).as_secs_f64() * 1e3).into();
        json["peak_rss_bytes"] = super::anonymize::peak_rss_bytes().into();
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    print!("{}", summary(&report));
    Ok(())
}

fn percent(v: f64) -> String {
    format!("{:.4} %", v * 100.0)
}

fn summary(r: &RiskReport) -> String {
    let p = &r.population_uniqueness;
    let mut s = format!(
        "{} records in {} equivalence classes over {}\n\
         prosecutor risk (highest)   {}\n\
         journalist risk             {}\n\
         marketer risk (expected)    {}\n\
         records at risk > {:.0} %     {}\n\
         sample uniques              {}\n\
         population uniques (N = {}, sampling fraction {:.3e}):\n  \
         Pitman {}   Zayatz {}   SNB {}   Dankar {} ({:?})\n",
        r.records,
        r.classes,
        r.quasi_identifiers.join(", "),
        percent(r.prosecutor),
        percent(r.journalist),
        percent(r.marketer),
        r.sample.threshold * 100.0,
        percent(r.sample.records_at_risk),
        percent(r.sample_uniqueness),
        p.population,
        p.sampling_fraction,
        percent(p.pitman),
        percent(p.zayatz),
        percent(p.snb),
        percent(p.dankar),
        p.dankar_model,
    );
    s.push_str("records per risk band:\n");
    for band in r.distribution.iter().filter(|b| b.records > 0.0) {
        s.push_str(&format!("  ({:>6.3} – {:>5.3}]  {:>9}\n", band.low, band.high, percent(band.records)));
    }
    s.push_str("most identifying attributes and combinations (distinction, separation):\n");
    let mut ranked = r.attributes.clone();
    ranked.sort_by(|a, b| b.distinction.total_cmp(&a.distinction));
    for a in ranked.iter().take(8) {
        s.push_str(&format!(
            "  {:<40} {:>9}  {:>9}\n",
            a.attributes.join(" + "),
            percent(a.distinction),
            percent(a.separation)
        ));
    }
    s
}
