//! The privacy audit of a DP release: our own attacks run against it, and
//! the membership-inference ROC checked against what the claimed (ε, δ)
//! allows. An (ε, δ)-DP release bounds every membership test:
//! `TPR ≤ e^ε·FPR + δ` (and the same with the roles of members and
//! non-members swapped), so an ROC point beyond that line — with its
//! sampling error taken into account — is evidence the claim is false.

use anonlab_attacks::membership::{self, Method, TargetChoice};
use anonlab_attacks::{AttackResult, inference, linkability, singling_out};
use anonlab_table::Table;
use serde::Serialize;

use crate::error::{Error, Result};

/// Settings of an audit.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The ε the release claims.
    pub epsilon: f64,
    /// The δ the release claims.
    pub delta: f64,
    /// Attacks per attack type (targets per side for membership inference).
    pub n_attacks: usize,
    /// The column the inference attack guesses (default: the last column).
    pub secret: Option<String>,
    /// Seed of the attacks.
    pub seed: u64,
}

/// The ROC check of one membership attack.
#[derive(Debug, Clone, Serialize)]
pub struct BoundCheck {
    /// Which attack ("membership distance, random targets", ...).
    pub attack: String,
    /// The ε the release claims.
    pub claimed_epsilon: f64,
    /// The δ the release claims.
    pub delta: f64,
    /// The ε the ROC proves at 95 % confidence (Bonferroni over its points).
    pub epsilon_lower_bound: f64,
    /// True when the ROC proves more than the claim.
    pub violated: bool,
}

/// The audit's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// Every attack's result.
    pub attacks: Vec<AttackResult>,
    /// The ROC checks of the membership attacks.
    pub bound_checks: Vec<BoundCheck>,
    /// True when no check found a violation.
    pub consistent_with_claim: bool,
}

/// Attacks `release` (made from `original`; `control` is held out).
pub fn audit(original: &Table, release: &Table, control: &Table, settings: &Settings) -> Result<Audit> {
    let names: Vec<String> = original.names().map(str::to_string).collect();
    if names.len() < 2 {
        return Err(Error::invalid("an audit needs at least two columns"));
    }
    let secret = settings.secret.clone().unwrap_or_else(|| names[names.len() - 1].clone());
    if !names.contains(&secret) {
        return Err(Error::invalid(format!("unknown secret column '{secret}'")));
    }
    let others: Vec<String> = names.iter().filter(|n| **n != secret).cloned().collect();
    let half = others.len().div_ceil(2);
    let n = settings.n_attacks;
    let attacks_err = |e: anonlab_attacks::Error| Error::invalid(e.to_string());
    let mut attacks = vec![
        singling_out::run(
            original,
            release,
            Some(control),
            &singling_out::Settings {
                n_attacks: n,
                n_cols: 3.min(names.len()),
                seed: settings.seed,
                ..Default::default()
            },
        )
        .map_err(attacks_err)?,
    ];
    if others.len() >= 2 {
        attacks.push(
            linkability::run(
                original,
                release,
                Some(control),
                &linkability::Settings {
                    aux_cols_a: others[..half].to_vec(),
                    aux_cols_b: others[half..].to_vec(),
                    n_attacks: n,
                    n_neighbors: 1,
                    seed: settings.seed,
                    confidence: 0.95,
                },
            )
            .map_err(attacks_err)?,
        );
    }
    attacks.push(
        inference::run(
            original,
            release,
            Some(control),
            &inference::Settings {
                aux_cols: others.clone(),
                secret,
                n_attacks: n,
                tolerance: 0.05,
                seed: settings.seed,
                confidence: 0.95,
            },
        )
        .map_err(attacks_err)?,
    );
    let mut bound_checks = Vec::new();
    for (method, targets) in [
        (Method::Distance, TargetChoice::Random),
        (Method::Distance, TargetChoice::Outliers),
        (Method::Density, TargetChoice::Random),
    ] {
        let s = membership::Settings {
            method,
            targets,
            n_targets: n,
            seed: settings.seed,
            delta: settings.delta,
            bootstrap: 200,
            ..Default::default()
        };
        let r = membership::run(original, release, control, &s).map_err(attacks_err)?;
        let bound = r.roc.as_ref().map_or(0.0, |roc| roc.epsilon_lower_bound_conservative);
        bound_checks.push(BoundCheck {
            attack: format!("membership {}, {} targets", method.name(), targets.name()),
            claimed_epsilon: settings.epsilon,
            delta: settings.delta,
            epsilon_lower_bound: bound,
            violated: bound > settings.epsilon,
        });
        attacks.push(r);
    }
    let consistent_with_claim = bound_checks.iter().all(|c| !c.violated);
    Ok(Audit { attacks, bound_checks, consistent_with_claim })
}
