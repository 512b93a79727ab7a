//! The CLI test suite: one integration binary (as ripgrep does), one module per concern.

mod arx_oracle;
mod bad_input;
mod cli;
mod identifiers;
mod pycanon_oracle;
mod risk;
mod util;
