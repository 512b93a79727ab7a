//! One module per subcommand.

pub mod anonymize;
pub mod attack;
pub mod dp;
pub mod generate;
pub mod inspect;
pub mod models;
pub mod report;
pub mod risk;
pub mod synth;
pub mod utility;
