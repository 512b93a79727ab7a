//! `anonlab report`: runs the anonymization of a config and writes one
//! self-contained HTML page on it (rendered by the `anonlab-report` crate).
//!
//! The risk of the input is measured on the table as read (typed, before any
//! date shift), the risk of the release on its quasi-identifier columns as
//! they would be written, so both columns of the page describe real files.

use std::path::Path;

use anonlab_privacy::identifiers::IdentifierAction;
use anonlab_privacy::risk::RiskReport;
use anonlab_privacy::{Release, Report};
use anonlab_report::{IdentifyingSetting, QuasiIdentifierSetting, ReportPage, Settings};
use anonlab_table::column::ColumnBuilder;
use anonlab_table::io::write_bytes;
use anonlab_table::{AttributeRole, Table};
use anyhow::{Context, Result, bail};

use crate::cli::ReportArgs;
use crate::config::{ColumnConfig, Config, Population};

/// Runs `anonlab report`.
pub fn run(args: &ReportArgs) -> Result<()> {
    let config = Config::load(&args.config)?;
    let input = config.input_path()?;
    super::anonymize::check_output(&args.output, &input)?;
    let prior = args.report.as_deref().map(read_prior).transpose()?;

    let mut table = config.read_input()?;
    let population = Population::choose(args.population.as_deref(), config.risk.population.as_ref())?;
    let mut qis = config
        .columns
        .iter()
        .filter(|(_, c)| c.role == AttributeRole::QuasiIdentifier)
        .map(|(name, _)| table.column_index(name))
        .collect::<anonlab_table::Result<Vec<_>>>()?;
    qis.sort_unstable();
    if qis.is_empty() {
        bail!("{}: no quasi-identifier to report on", args.config.display());
    }
    let before = RiskReport::analyze(&table, &qis, &population, args.combinations)
        .context("cannot analyse the risk of the input")?;

    let spec = config.prepare(&mut table)?;
    let plan = spec.plan(&table)?;
    let result = plan.run(&|_| {})?;
    let report = Report::new(&plan, &result);
    if let Some((path, json)) = &prior {
        check_prior(path, json, &report)?;
    }
    let names: Vec<&str> = plan.quasi_identifiers().iter().map(|q| q.name.as_str()).collect();
    let released = quasi_identifier_table(&result.release, &names)?;
    let after = RiskReport::analyze(&released, &(0..names.len()).collect::<Vec<_>>(), &population, 1)
        .context("cannot analyse the risk of the release")?;

    let mut settings = settings(&config, &args.config, &input);
    settings.checked_report = prior.map(|(path, _)| path);
    let html = anonlab_report::render(&ReportPage {
        settings: &settings,
        anonymization: &report,
        before: &before,
        after: &after,
    })?;
    write_bytes(&args.output, html.as_bytes())?;
    if !args.quiet {
        eprintln!(
            "prosecutor risk {:.4} % → {:.4} %, sample uniques {:.4} % → {:.4} %, {} rows suppressed\nwrote report {}",
            before.prosecutor * 100.0,
            after.prosecutor * 100.0,
            before.sample_uniqueness * 100.0,
            after.sample_uniqueness * 100.0,
            report.suppressed_rows,
            args.output.display()
        );
    }
    Ok(())
}

/// The released values of the quasi-identifiers `names`, as a table of their
/// own: the risk analysis groups it exactly as a reader of the release file
/// would (suppressed records show `*` everywhere and are left out).
fn quasi_identifier_table(release: &Release<'_>, names: &[&str]) -> Result<Table> {
    let positions = names
        .iter()
        .map(|n| {
            release.header().iter().position(|h| h == n).with_context(|| format!("the release has no column '{n}'"))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut builders: Vec<ColumnBuilder> = names.iter().map(|n| ColumnBuilder::new(*n)).collect();
    for (r, row) in release.iter_rows().enumerate() {
        for (builder, &p) in builders.iter_mut().zip(&positions) {
            // Line numbers as in a written CSV (the header is line 1).
            builder.push(row[p], r as u64 + 2)?;
        }
    }
    Ok(Table::try_new(builders.into_iter().map(ColumnBuilder::finish).collect(), None, release.delimiter())?)
}

/// Reads the JSON report of an earlier run: (path as shown, parsed JSON).
fn read_prior(path: &Path) -> Result<(String, serde_json::Value)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read report {}", path.display()))?;
    let json = serde_json::from_str(&text).with_context(|| format!("{}: not a JSON report", path.display()))?;
    Ok((path.display().to_string(), json))
}

/// Fails unless the earlier report describes the same result as this run.
fn check_prior(path: &str, prior: &serde_json::Value, report: &Report) -> Result<()> {
    let now = serde_json::to_value(report)?;
    for key in ["rows", "transformation", "suppressed_rows", "equivalence_classes", "metric"] {
        let (Some(then), Some(current)) = (prior.get(key), now.get(key)) else {
            bail!("{path}: not an anonlab anonymize report (no '{key}')");
        };
        if then != current {
            bail!(
                "{path}: the report says {key} = {then}, but the configuration now gives {current}; \
                 rerun `anonlab anonymize` or pass the matching configuration"
            );
        }
    }
    Ok(())
}

/// The settings section's content, from the config as written.
fn settings(config: &Config, config_path: &Path, input: &Path) -> Settings {
    let with_role = |role: AttributeRole| config.columns.iter().filter(move |(_, c)| c.role == role);
    let mut identifying: Vec<IdentifyingSetting> = with_role(AttributeRole::Identifying)
        .map(|(name, c)| IdentifyingSetting { name: name.clone(), treatment: treatment(c) })
        .collect();
    if let Some(shift) = &config.identifiers.date_shift {
        identifying.push(IdentifyingSetting {
            name: shift.columns.join(", "),
            treatment: format!(
                "dates shifted per patient ('{}') by a keyed offset of up to {} days",
                shift.patient, shift.max_days
            ),
        });
    }
    Settings {
        config: Some(config_path.display().to_string()),
        input: input.display().to_string(),
        quasi_identifiers: with_role(AttributeRole::QuasiIdentifier)
            .map(|(name, c)| QuasiIdentifierSetting { name: name.clone(), hierarchy: hierarchy(c) })
            .collect(),
        sensitive: with_role(AttributeRole::Sensitive).map(|(name, _)| name.clone()).collect(),
        identifying,
        checked_report: None,
    }
}

/// Where a quasi-identifier's hierarchy came from.
fn hierarchy(c: &ColumnConfig) -> String {
    match (&c.hierarchy, &c.builder) {
        (Some(path), _) => path.display().to_string(),
        (None, Some(builder)) => format!("built: {builder:?}"),
        (None, None) => String::new(),
    }
}

/// What happens to a direct identifier.
fn treatment(c: &ColumnConfig) -> String {
    match c.identifier.clone().unwrap_or_default() {
        IdentifierAction::Remove => "removed from the release".into(),
        IdentifierAction::Pseudonym(_) => "replaced by keyed pseudonyms (HMAC-SHA-256)".into(),
        IdentifierAction::Mask(m) => format!("masked ({m:?})"),
    }
}
