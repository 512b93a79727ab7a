//! `anonlab anonymize`: config + flags → spec → plan → search → release and report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anonlab_privacy::search::Progress;
use anonlab_privacy::{Report, Strategy};
use anonlab_table::AttributeRole;
use anonlab_table::io::csv::parse_delimiter;
use anonlab_table::io::{AtomicFile, write_table};
use anyhow::{Context, Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::AnonymizeArgs;
use anonlab_privacy::models::{LDiversity, TCloseness};

use crate::config::{ColumnConfig, Config, OneOrMany};

/// Paths from flags are relative to the working directory, so make them absolute.
fn from_cwd(path: &Path) -> Result<PathBuf> {
    Ok(if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir()?.join(path) })
}

/// Applies command-line flags on top of the config file's values.
fn merge_flags(args: &AnonymizeArgs) -> Result<Config> {
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if let Some(p) = &args.input {
        config.input.path = Some(from_cwd(p)?);
    }
    if let Some(d) = &args.delimiter {
        config.input.delimiter = Some(d.clone());
    }
    if let Some(p) = &args.output {
        config.output.path = Some(from_cwd(p)?);
    }
    if let Some(p) = &args.report {
        config.output.report = Some(from_cwd(p)?);
    }
    // Role flags override the config file's role for a column, but two flags
    // must not disagree about the same column.
    let mut flagged = std::collections::HashSet::new();
    let mut set_role = |config: &mut Config, column: &str, c: ColumnConfig| -> Result<()> {
        if !flagged.insert(column.to_string()) {
            bail!("column '{column}' is given more than one role on the command line");
        }
        config.columns.insert(column.to_string(), c);
        Ok(())
    };
    for qi in &args.quasi_identifiers {
        let (column, file) = qi.split_once('=').ok_or_else(|| anyhow!("--qi '{qi}' must be COLUMN=HIERARCHY.csv"))?;
        let mut c = ColumnConfig::with_role(AttributeRole::QuasiIdentifier);
        c.hierarchy = Some(from_cwd(Path::new(file))?);
        set_role(&mut config, column, c)?;
    }
    for (columns, role) in
        [(&args.sensitive, AttributeRole::Sensitive), (&args.identifying, AttributeRole::Identifying)]
    {
        for column in columns {
            set_role(&mut config, column, ColumnConfig::with_role(role))?;
        }
    }
    if let Some(k) = args.k {
        config.privacy.k = Some(k);
    }
    if let Some(s) = args.suppression_limit {
        config.privacy.suppression_limit = Some(s);
    }
    let mut l_models = config.privacy.l_diversity.take().map(|m| m.into_vec()).unwrap_or_default();
    for text in &args.l_diversity {
        l_models.push(parse_l_diversity(text)?);
    }
    if !l_models.is_empty() {
        config.privacy.l_diversity = Some(OneOrMany::Many(l_models));
    }
    let mut t_models = config.privacy.t_closeness.take().map(|m| m.into_vec()).unwrap_or_default();
    for text in &args.t_closeness {
        t_models.push(parse_t_closeness(text)?);
    }
    if !t_models.is_empty() {
        config.privacy.t_closeness = Some(OneOrMany::Many(t_models));
    }
    if let Some(m) = &args.metric {
        config.quality.metric =
            Some(variant(m, "metric").map_err(|_| anyhow!("unknown metric '{m}'; see `anonlab models`"))?);
    }
    if let Some(mode) = &args.mode {
        config.search.mode = variant(mode, "mode").map_err(|_| {
            anyhow!(
                "unknown search mode '{mode}'; use auto, optimal, heuristic, mondrian, microaggregation or iterative"
            )
        })?;
    }
    Ok(config)
}

/// Parses a kebab-case variant name with serde, so flags accept exactly the config's names.
fn variant<T: serde::de::DeserializeOwned>(name: &str, what: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(name.to_string()))
        .map_err(|_| anyhow!("unknown {what} variant '{name}'"))
}

fn number(text: &str, flag: &str) -> Result<f64> {
    text.parse().map_err(|_| anyhow!("{flag}: '{text}' is not a number"))
}

/// `COLUMN:VARIANT:L[:C]`
fn parse_l_diversity(text: &str) -> Result<LDiversity> {
    let parts: Vec<&str> = text.split(':').collect();
    let [attribute, kind, l, rest @ ..] = parts.as_slice() else {
        bail!("--l-diversity '{text}' must be COLUMN:VARIANT:L[:C]");
    };
    Ok(LDiversity {
        attribute: attribute.to_string(),
        variant: variant(kind, "l-diversity")?,
        l: number(l, "--l-diversity")?,
        c: rest.first().map(|c| number(c, "--l-diversity")).transpose()?,
    })
}

/// `COLUMN:VARIANT:T`
fn parse_t_closeness(text: &str) -> Result<TCloseness> {
    let parts: Vec<&str> = text.split(':').collect();
    let [attribute, kind, t] = parts.as_slice() else {
        bail!("--t-closeness '{text}' must be COLUMN:VARIANT:T");
    };
    Ok(TCloseness {
        attribute: attribute.to_string(),
        variant: variant(kind, "t-closeness")?,
        t: number(t, "--t-closeness")?,
    })
}

/// Fails before any work when `path` would overwrite `input` or lies in a
/// directory that does not exist.
pub(crate) fn check_output(path: &Path, input: &Path) -> Result<()> {
    if path.canonicalize().ok().is_some_and(|p| input.canonicalize().ok() == Some(p)) {
        bail!("{}: refusing to overwrite the input table", path.display());
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        bail!("{}: the output directory '{}' does not exist", path.display(), dir.display());
    }
    Ok(())
}

fn progress_bar(quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(0),
        if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() },
    );
    bar.set_style(
        ProgressStyle::with_template("{spinner} searching {bar:30} {pos}/{len} transformations ({elapsed})")
            .expect("the progress template is valid"),
    );
    bar
}

/// Runs `anonlab anonymize`.
pub fn run(args: &AnonymizeArgs) -> Result<()> {
    let started = Instant::now();
    let config = merge_flags(args)?;
    let input = config.input_path()?;
    let output = config.output.path.as_ref().map(|p| config.resolve(p));
    let report_path = config.output.report.as_ref().map(|p| config.resolve(p));
    if output.is_none() && report_path.is_none() && !args.json {
        bail!("nowhere to write the result: set [output] path (or --output), a report, or --json");
    }
    for path in output.iter().chain(&report_path) {
        check_output(path, &input)?;
    }

    let mut table = config.read_input()?;
    let spec = config.prepare(&mut table)?;
    let plan = spec.plan(&table)?;
    if args.explain {
        eprint!("{}", plan.explain());
    }

    let bar = progress_bar(args.quiet);
    let update = |p: Progress| {
        bar.set_length(p.total);
        bar.set_position(p.done);
    };
    let result = plan.run(&update)?;
    bar.finish_and_clear();
    let mut report = Report::new(&plan, &result);
    report.peak_rss_bytes = peak_rss_bytes();
    let json = serde_json::to_string_pretty(&report)?;

    // Stage the report, write the table (atomically), then publish the report.
    let staged_report = match &report_path {
        Some(path) => {
            let mut file = AtomicFile::create(path)?;
            file.writer().write_all(json.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
            Some(file)
        }
        None => None,
    };
    if let Some(path) = &output {
        let delimiter = match &config.output.delimiter {
            Some(d) => parse_delimiter(d)?,
            None => result.release.delimiter(),
        };
        write_table(path, result.release.header(), delimiter, result.release.iter_rows())?;
    }
    if let Some(file) = staged_report {
        file.commit()?;
    }
    if args.json {
        println!("{json}");
    }
    if !args.quiet {
        eprintln!("{}", summary(&report, output.as_deref(), report_path.as_deref(), started.elapsed()));
    }
    Ok(())
}

/// The process's peak resident memory so far (Linux: VmHWM), for the report.
pub(crate) fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn summary(r: &Report, output: Option<&Path>, report: Option<&Path>, total: Duration) -> String {
    let mut s = format!(
        "anonymized {} with {}: {} ({}), {} = {}\n\
         {} equivalence classes (smallest {}), {} rows suppressed (limit {}); \
         checked {} of {} transformations in {:.0} ms ({:.0} ms in all)",
        match r.research_subset_rows {
            Some(n) => format!("the {n} research-subset rows of a {}-row population", r.rows),
            None => format!("{} rows", r.rows),
        },
        r.models.join(" + "),
        if matches!(r.strategy, Strategy::Mondrian | Strategy::Microaggregation | Strategy::Iterative) {
            "local recoding".to_string()
        } else {
            format!("transformation {:?}", r.transformation)
        },
        r.attributes
            .iter()
            .map(|a| match a.level {
                Some(level) => format!("{}={level}", a.name),
                None => format!("{}: local", a.name),
            })
            .collect::<Vec<_>>()
            .join(", "),
        r.metric,
        r.information_loss,
        r.equivalence_classes,
        r.min_class_size.map_or("-".to_string(), |m| m.to_string()),
        r.suppressed_rows,
        r.max_suppressed_rows,
        r.transformations_checked,
        r.lattice_size,
        r.elapsed_ms,
        total.as_secs_f64() * 1e3,
    );
    match r.strategy {
        Strategy::Mondrian => s.push_str("\nnote: Mondrian local recoding: each class is generalized on its own"),
        Strategy::Microaggregation => {
            s.push_str("\nnote: MDAV microaggregation: each group's quasi-identifiers replaced by the group mean")
        }
        Strategy::Iterative => s.push_str(&format!(
            "\nnote: iterative local recoding in {} steps: {}",
            r.recoding_steps.len(),
            r.recoding_steps
                .iter()
                .map(|step| format!("{:?} placed {}", step.transformation, step.records))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ if !r.optimal => {
            s.push_str("\nnote: heuristic search; the result is the best found within the budget, not proven optimal")
        }
        _ => {}
    }
    for (what, path) in [("release", output), ("report", report)] {
        if let Some(p) = path {
            s.push_str(&format!("\nwrote {what} {}", p.display()));
        }
    }
    s
}
