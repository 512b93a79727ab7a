//! The benchmark platform's domain and storage, the `arena` layer of
//! ARCHITECTURE.md: challenges, submissions, evaluations and leaderboards over a
//! [`Store`] (SQLite by default, PostgreSQL for several workers), the durable
//! [`queue`], the encrypted [`vault`], [`accounts`] and the hash-chained [`audit`]
//! log. The HTTP layer (`anonlab-server`) and the CLI (`anonlab serve`, `anonlab
//! worker`, `anonlab audit verify`) sit on top.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use anonlab_arena::{Store, accounts::Role};
//! let dir = tempfile::tempdir()?;
//! let store = Store::connect(&Store::sqlite_url(&dir.path().join("arena.db"))).await?;
//! let user = store.create_user("ada", "correct horse battery staple", Role::Researcher).await?;
//! assert_eq!(store.login("ada", "correct horse battery staple").await?.id, user.id);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod accounts;
pub mod anomed;
pub mod audit;
pub mod catalog;
pub mod challenge;
mod context;
pub mod error;
pub mod evaluate;
pub mod leaderboard;
pub mod queue;
mod store;
pub mod submission;
#[doc(hidden)]
pub mod testing;
pub mod vault;
pub mod worker;

pub use context::Arena;
pub use error::{Error, ErrorKind, Result};
pub use store::{Backend, Store, new_id, now_ms};
