//! Differential privacy for anonlab: budgeted releases whose noise and
//! privacy accounting come from the `opendp` crate, a persistent budget
//! ledger, and DP synthetic data.
//!
//! - [`mechanisms`]: Gaussian, Laplace and report-noisy-max releases — thin
//!   wrappers over OpenDP measurements, each returning what it charged.
//! - [`budget`]: costs in ρ-zCDP (composition adds), reported as (ε, δ)
//!   through OpenDP's conversion.
//! - [`ledger`]: per dataset and analyst, in a file, refusing any release
//!   that would exceed the allowance, safe under concurrent use.
//! - [`sql`]: SQL aggregate queries answered with noise and intervals.
//! - [`audit`]: the attack suite run against a release, and its
//!   membership-inference ROC checked against the claimed (ε, δ).
//!
//! # Where the noise comes from
//! OpenDP samples all noise. It is built without its `use-openssl` feature
//! (which compiles OpenSSL from source), so its random bytes come from
//! `rand::thread_rng`: ChaCha12, a cryptographically secure generator,
//! seeded from the operating system (getrandom) and reseeded periodically —
//! the same guarantee OpenSSL's `RAND_priv_bytes` gives. Seeds given to
//! anonlab never reach the noise: they only make non-private steps (sampling
//! records from an already-noisy model) reproducible.
#![deny(missing_docs)]

pub mod audit;
pub mod budget;
pub mod error;
pub mod ledger;
pub mod mechanisms;
pub mod sql;
pub mod synth;
pub mod utility;

pub use budget::Budget;
pub use error::{Error, ErrorKind, Result};
