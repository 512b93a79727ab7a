//! Direct identifiers: removal, keyed pseudonyms, masking, and per-patient date shifting.
//!
//! Columns with the role *identifying* never take part in the search. By
//! default they are removed from the release; a hospital that must still link
//! records replaces them by keyed pseudonyms (HMAC-SHA-256, stable across runs
//! and tables for the same key), or masks them. Date shifting moves every date
//! of a patient by the same secret offset, so intervals within a patient's
//! record survive while calendar dates do not.

mod date_shift;
mod key;
mod mask;
mod pseudonym;

pub use date_shift::{DateShift, shift_dates};
pub use key::{MIN_KEY_BYTES, PseudonymKey};
pub use mask::Mask;
pub use pseudonym::{Encoding, Pseudonym};

use serde::Deserialize;

/// What happens to an identifying column in the release.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum IdentifierAction {
    /// Left out of the release (the default).
    #[default]
    Remove,
    /// Replaced by a keyed pseudonym.
    Pseudonym(Pseudonym),
    /// Partly replaced by a mask character.
    Mask(Mask),
}

/// An identifying column and what to do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierSpec {
    /// Column name.
    pub column: String,
    /// Its treatment.
    pub action: IdentifierAction,
}

impl IdentifierSpec {
    /// A column that is simply removed.
    pub fn remove(column: impl Into<String>) -> Self {
        IdentifierSpec { column: column.into(), action: IdentifierAction::Remove }
    }
}
