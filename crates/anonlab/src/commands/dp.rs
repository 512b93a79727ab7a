//! `anonlab dp query` and `anonlab dp budget`: DP answers to SQL aggregate
//! queries, spent from a budget ledger.

use std::path::Path;

use anonlab_dp::Budget;
use anonlab_dp::ledger::{Ledger, Standing};
use anonlab_dp::sql::{self, Metadata};
use anyhow::{Result, bail};

use crate::cli::{DpAuditArgs, DpBudgetArgs, DpCommand, DpQueryArgs, LedgerArgs};
use crate::commands::read_input;

/// Runs `anonlab dp ...`.
pub fn run(command: &DpCommand) -> Result<()> {
    match command {
        DpCommand::Query(args) => query(args),
        DpCommand::Budget(args) => show_or_set(args),
        DpCommand::Audit(args) => audit(args),
    }
}

/// The ledger and the (dataset, analyst) it is kept for.
pub(crate) fn ledger(args: &LedgerArgs, data: Option<&Path>) -> Result<Option<(Ledger, String, String)>> {
    let Some(path) = &args.ledger else { return Ok(None) };
    let dataset = match (&args.dataset, data) {
        (Some(d), _) => d.clone(),
        (None, Some(p)) => p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        (None, None) => bail!("name the dataset with --dataset"),
    };
    let Some(analyst) = args.analyst.clone() else {
        bail!("name the analyst with --analyst (or ANONLAB_ANALYST) to spend from a ledger");
    };
    Ok(Some((Ledger::new(path), dataset, analyst)))
}

pub(crate) fn standing_line(s: &Standing) -> String {
    format!(
        "spent ε = {:.4} of {:.4} (ρ = {:.6} of {:.6}) at δ = {:e}",
        s.spent_epsilon, s.budget_epsilon, s.spent_rho, s.budget.rho, s.budget.delta
    )
}

fn query(args: &DpQueryArgs) -> Result<()> {
    let plan = sql::parse(&args.sql)?;
    let metadata = match &args.metadata {
        Some(p) => Metadata::load(p)?,
        None => Metadata::default(),
    };
    let spend = Budget::parse(&args.budget)?;
    let settings = sql::Settings {
        rho: spend.rho,
        delta: spend.delta,
        confidence: args.confidence,
        quantile_bins: args.quantile_bins,
    };
    let cost = sql::cost(&plan, &metadata, &settings)?;
    if args.dry_run {
        if args.json {
            println!("{}", serde_json::to_string_pretty(&cost)?);
        } else {
            println!(
                "cost: ε = {:.4} at δ = {:e} (ρ = {:.6}); nothing read, nothing spent",
                cost.epsilon, cost.delta, cost.rho
            );
            for p in &cost.parts {
                println!("  {:<40} ρ = {:.6}  noise σ = {:.4}", p.what, p.rho, p.scale);
            }
        }
        return Ok(());
    }
    let table = read_input(&args.data, args.delimiter.as_deref())?;
    // The noise is drawn in memory; nothing leaves until the ledger accepts
    // the cost (a refused answer is dropped unseen).
    let answer = sql::answer(&table, &plan, &metadata, &settings)?;
    let standing = match ledger(&args.ledger, Some(&args.data))? {
        Some((l, dataset, analyst)) => Some(l.spend(&dataset, &analyst, &args.sql, cost.rho, cost.delta_keys)?),
        None => None,
    };
    if args.json {
        let mut v = serde_json::to_value(&answer)?;
        if let Some(s) = &standing {
            v["ledger"] = serde_json::to_value(s)?;
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let pct = 100.0 * answer.confidence;
    println!("{}", answer.columns.join(" | "));
    for row in &answer.rows {
        let mut cells: Vec<String> = row.keys.clone();
        cells.extend(row.cells.iter().map(|c| format!("{:.3} [{:.3}, {:.3}]", c.value, c.low, c.high)));
        println!("{}", cells.join(" | "));
    }
    println!(
        "intervals: {pct:.0} % confidence; cost: ε = {:.4} at δ = {:e} (ρ = {:.6})",
        answer.cost.epsilon, answer.cost.delta, answer.cost.rho
    );
    if let Some(s) = &standing {
        println!("ledger: {}", standing_line(s));
    }
    for n in &answer.notes {
        println!("note: {n}");
    }
    Ok(())
}

fn show_or_set(args: &DpBudgetArgs) -> Result<()> {
    let Some((ledger, dataset, analyst)) = ledger(&args.ledger, None)? else {
        bail!("give the ledger file with --ledger");
    };
    if let Some(spec) = &args.set {
        let b = Budget::parse(spec)?;
        ledger.set_budget(&dataset, &analyst, b)?;
    }
    let standing = ledger.standing(&dataset, &analyst)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&standing)?);
        return Ok(());
    }
    match standing {
        Some(s) => println!("{analyst} on {dataset}: {}", standing_line(&s)),
        None => println!("no budget set for {analyst} on {dataset} (use --set epsilon=...,delta=...)"),
    }
    Ok(())
}

fn audit(args: &DpAuditArgs) -> Result<()> {
    let read = |p: &Path| read_input(p, None);
    let (original, release, control) = (read(&args.original)?, read(&args.release)?, read(&args.control)?);
    let settings = anonlab_dp::audit::Settings {
        epsilon: args.epsilon,
        delta: args.delta,
        n_attacks: args.n_attacks,
        secret: args.secret.clone(),
        seed: args.seed,
    };
    let a = anonlab_dp::audit::audit(&original, &release, &control, &settings)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&a)?);
        return Ok(());
    }
    for r in &a.attacks {
        let mode = r.mode.as_deref().map(|m| format!(" ({m})")).unwrap_or_default();
        println!(
            "{}{mode}: risk {:.2} % [{:.2} %, {:.2} %]",
            r.attack,
            100.0 * r.rates.risk.value,
            100.0 * r.rates.risk.low,
            100.0 * r.rates.risk.high
        );
    }
    for c in &a.bound_checks {
        println!(
            "{}: the ROC proves ε ≥ {:.3} (claimed {:.3} at δ = {:e}){}",
            c.attack,
            c.epsilon_lower_bound,
            c.claimed_epsilon,
            c.delta,
            if c.violated { " — VIOLATED" } else { "" }
        );
    }
    println!(
        "{}",
        if a.consistent_with_claim { "consistent with the claimed ε" } else { "the claimed ε is contradicted" }
    );
    Ok(())
}
