//! The CLI test suite: one integration binary (as ripgrep does), one module per concern.

mod anonymeter_oracle;
mod arx_oracle;
mod arx_risk_oracle;
mod attack;
mod bad_input;
mod cli;
mod dp;
mod identifiers;
mod platform;
mod pycanon_oracle;
mod report;
mod risk;
mod synth;
mod util;
