//! Differentially private answers to SQL aggregate queries:
//! `SELECT sex, COUNT(*), AVG(age) FROM t WHERE ... GROUP BY sex`.
//!
//! [`parse`] turns the text into a [`Plan`] (refusing what it cannot answer
//! privately), [`cost`] says what a plan will spend without reading data
//! (`--dry-run`), and [`answer`] releases it: each aggregate's statistics
//! per group go through an OpenDP Gaussian mechanism with a sensitivity
//! derived from the [`Metadata`] (public bounds, public keys, rows per
//! person), and come back with intervals.

mod answer;
pub mod metadata;
pub mod parse;

pub use answer::{Answer, Cell, Cost, Part, Row, Settings, answer, cost};
pub use metadata::Metadata;
pub use parse::{Aggregate, Plan, parse};

#[cfg(test)]
mod tests;
