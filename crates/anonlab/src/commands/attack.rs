//! `anonlab attack`: reads the original, the release and the control, runs one
//! attack of `anonlab-attacks`, and prints a summary or the JSON result.

use std::collections::HashMap;
use std::path::Path;

use anonlab_attacks::{AttackResult, inference, linkability, linkage, membership, singling_out};
use anonlab_table::Table;
use anonlab_table::hierarchy::Hierarchy;
use anonlab_table::io::write_bytes;
use anyhow::{Result, anyhow, bail};

use crate::cli::{AttackArgs, AttackCommon, AttackKind, MembershipMethod, MembershipTargets, SinglingOutMode};
use crate::commands::read_input;
use crate::config::Config;

/// The three tables of an attack.
struct Tables {
    original: Table,
    release: Table,
    control: Option<Table>,
}

fn read(common: &AttackCommon) -> Result<Tables> {
    let load = |path: &Path| read_input(path, common.delimiter.as_deref());
    Ok(Tables {
        original: load(&common.original)?,
        release: load(&common.release)?,
        control: common.control.as_deref().map(load).transpose()?,
    })
}

/// Runs `anonlab attack ...`.
pub fn run(args: &AttackArgs) -> Result<()> {
    let (common, result) = match &args.kind {
        AttackKind::SinglingOut { common, mode, n_cols, columns, max_attempts } => {
            let t = read(common)?;
            let settings = singling_out::Settings {
                mode: match mode {
                    SinglingOutMode::Univariate => singling_out::Mode::Univariate,
                    SinglingOutMode::Multivariate => singling_out::Mode::Multivariate,
                },
                n_attacks: common.n_attacks,
                n_cols: *n_cols,
                columns: columns.clone(),
                max_attempts: *max_attempts,
                seed: common.seed,
                confidence: common.confidence,
            };
            (common, singling_out::run(&t.original, &t.release, t.control.as_ref(), &settings)?)
        }
        AttackKind::Linkability { common, aux_cols_a, aux_cols_b, n_neighbors } => {
            let t = read(common)?;
            let settings = linkability::Settings {
                aux_cols_a: aux_cols_a.clone(),
                aux_cols_b: aux_cols_b.clone(),
                n_attacks: common.n_attacks,
                n_neighbors: *n_neighbors,
                seed: common.seed,
                confidence: common.confidence,
            };
            (common, linkability::run(&t.original, &t.release, t.control.as_ref(), &settings)?)
        }
        AttackKind::Inference { common, aux_cols, secret, tolerance } => {
            let t = read(common)?;
            let settings = inference::Settings {
                aux_cols: aux_cols.clone(),
                secret: secret.clone(),
                n_attacks: common.n_attacks,
                tolerance: *tolerance,
                seed: common.seed,
                confidence: common.confidence,
            };
            (common, inference::run(&t.original, &t.release, t.control.as_ref(), &settings)?)
        }
        AttackKind::Linkage { common, qi, config, hierarchy } => {
            let mut t = read(common)?;
            let mut hierarchies: HashMap<String, Hierarchy> = HashMap::new();
            let mut names = qi.clone();
            if let Some(path) = config {
                let config = Config::load(path)?;
                // Built hierarchies follow the configured types (an ordered column's order).
                config.apply_types(&mut t.original)?;
                for (name, h) in config.quasi_identifier_hierarchies(&t.original)? {
                    if qi.is_empty() {
                        names.push(name.clone());
                    }
                    hierarchies.insert(name, h);
                }
            }
            for spec in hierarchy {
                let (column, file) =
                    spec.split_once('=').ok_or_else(|| anyhow!("--hierarchy '{spec}' must be COLUMN=FILE"))?;
                let h = Hierarchy::from_arx_csv(Path::new(file), b';').map_err(|e| e.in_column(column))?;
                hierarchies.insert(column.to_string(), h);
            }
            if names.is_empty() {
                bail!("name the quasi-identifiers the attacker knows with --qi a,b,c (or give --config)");
            }
            let settings = linkage::Settings {
                qi: names,
                hierarchies,
                n_attacks: common.n_attacks,
                seed: common.seed,
                confidence: common.confidence,
            };
            (common, linkage::run(&t.original, &t.release, t.control.as_ref(), &settings)?)
        }
        AttackKind::Membership { common, method, targets, columns, bootstrap, delta } => {
            let t = read(common)?;
            let Some(control) = &t.control else {
                bail!("membership inference needs --control: the non-members it must tell apart from the members");
            };
            let settings = membership::Settings {
                columns: columns.clone(),
                method: match method {
                    MembershipMethod::Distance => membership::Method::Distance,
                    MembershipMethod::Density => membership::Method::Density,
                },
                targets: match targets {
                    MembershipTargets::Random => membership::TargetChoice::Random,
                    MembershipTargets::Outliers => membership::TargetChoice::Outliers,
                },
                n_targets: common.n_attacks,
                seed: common.seed,
                confidence: common.confidence,
                bootstrap: *bootstrap,
                delta: *delta,
            };
            (common, membership::run(&t.original, &t.release, control, &settings)?)
        }
    };
    let json = serde_json::to_string_pretty(&result)?;
    if let Some(path) = &common.output {
        write_bytes(path, format!("{json}\n").as_bytes())?;
    }
    if common.json {
        println!("{json}");
    } else {
        print!("{}", summary(&result));
    }
    Ok(())
}

/// The result for a person: what was tried, the three rates, the risk.
fn summary(r: &AttackResult) -> String {
    let pct = |x: f64| format!("{:.2} %", 100.0 * x);
    let est = |e: &anonlab_attacks::stats::Estimate| format!("{} [{} – {}]", pct(e.value), pct(e.low), pct(e.high));
    let mut out = String::new();
    let title = match &r.mode {
        Some(m) => format!("{} ({m})", r.attack),
        None => r.attack.clone(),
    };
    out.push_str(&format!("{title}: {} attacks, seed {}, {:.2} s\n", r.n_attacks, r.seed, r.seconds));
    out.push_str(&format!("  attacker knows : {}\n", r.threat_model.knows.join("; ")));
    out.push_str(&format!("  success means  : {}\n", r.threat_model.goal));
    out.push_str(&format!("  attack rate    : {}\n", est(&r.rates.attack)));
    out.push_str(&format!("  baseline rate  : {}\n", est(&r.rates.baseline)));
    if let Some(c) = &r.rates.control {
        out.push_str(&format!("  control rate   : {}\n", est(c)));
    }
    out.push_str(&format!(
        "  risk           : {}   ({:.0} % confidence)\n",
        est(&r.rates.risk),
        100.0 * r.confidence_level
    ));
    if let Some(roc) = &r.roc {
        out.push_str(&format!(
            "  ROC            : AUC {:.3} [{:.3} – {:.3}], TPR {} at 0.1 % FPR, {} at 1 % FPR\n",
            roc.auc.value,
            roc.auc.low,
            roc.auc.high,
            pct(roc.tpr_at_0_1pct_fpr.value),
            pct(roc.tpr_at_1pct_fpr.value)
        ));
        out.push_str(&format!(
            "  implied ε      : ≥ {:.3} at δ = {:e} (a lower bound the ROC supports at {:.0} % confidence)\n",
            roc.epsilon_lower_bound_conservative,
            roc.delta,
            100.0 * r.confidence_level
        ));
    }
    for w in &r.warnings {
        out.push_str(&format!("  warning: {w}\n"));
    }
    out
}
