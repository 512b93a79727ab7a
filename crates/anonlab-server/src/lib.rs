//! The benchmark platform over HTTP, the `server` layer of ARCHITECTURE.md:
//! the JSON API under `/api/v1` (with an OpenAPI document generated from the
//! handlers), the server-rendered web UI, and [`serve`], which opens the
//! [`anonlab_arena::Arena`], seeds the demo, runs in-process workers and shuts
//! down gracefully. `anonlab serve` is a thin wrapper around [`serve`].
#![deny(missing_docs)]

pub mod config;
mod demo;
pub mod http;
mod serve;

pub use config::ServerConfig;
pub use serve::{ADMIN_USER, Started, serve};
