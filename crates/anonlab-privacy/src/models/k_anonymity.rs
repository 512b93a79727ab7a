//! k-anonymity.

use serde::{Deserialize, Serialize};

/// k-anonymity: every equivalence class holds at least `k` records.
///
/// # Definition
/// A release is k-anonymous when every combination of quasi-identifier values
/// that occurs in it occurs in at least k records.
///
/// # Citations
/// L. Sweeney, "k-anonymity: a model for protecting privacy", 2002.
///
/// # ARX semantics
/// Enforced as ARX's minimal class size; classes below it are suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KAnonymity {
    /// The minimal class size.
    pub k: u64,
}
