//! The statistics every attack reports: success rates with Wilson intervals,
//! residual risk over a control, and ROC analysis of scored attacks.

pub mod rate;
pub mod roc;

pub use rate::{Estimate, SuccessRate};
