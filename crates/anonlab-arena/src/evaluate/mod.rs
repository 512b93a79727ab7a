//! Evaluation: what the worker computes for one challenge — the seeded split
//! of its dataset, a built-in anonymizer's release and its utility, and what
//! each built-in attack learns from a release.
//!
//! Pure computation on tables in memory (no database, no files, no async), so
//! the worker can run it on a blocking thread and tests can run it directly:
//!
//! 1. [`split()`] divides the dataset into the part anonymizers see (`train`),
//!    the held-out `control` records attacks compare against, and the `test`
//!    part utility tasks are scored on — the same way for every submission.
//! 2. [`run_anonymizer`] anonymizes `train` under the challenge's roles and
//!    hierarchies and scores the release ([`UtilityMetrics`]).
//! 3. [`run_attack`] runs one attack on a stored release ([`PrivacyMetrics`]).
//!
//! Every figure is measured the same way for every anonymizer (one
//! information-loss definition, one classifier, one risk model), so a
//! leaderboard compares like with like. [`demo`] holds the two challenges the
//! platform seeds on first start.

mod anonymizer;
mod attack;
pub mod demo;
pub mod metrics;
mod split;
mod utility;

#[cfg(test)]
mod tests;

pub use anonymizer::{AnonymizerOutcome, read_release, run_anonymizer, score_release};
pub use attack::run_attack;
pub use demo::{DemoChallenge, demo_anonymizers, demo_challenges};
pub use metrics::{Estimate, PrivacyMetrics, RiskBand, UtilityMetrics};
pub(crate) use split::shuffled;
pub use split::{Split, split};
