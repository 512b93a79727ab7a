//! The server's settings. The CLI fills them from flags, environment variables
//! and an optional TOML file (`anonlab serve --config FILE`), in that order of
//! precedence.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Everything `anonlab serve` can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Where the SQLite database and the vault key live.
    pub data_dir: PathBuf,
    /// `postgres://...` to use PostgreSQL; the SQLite file in `data_dir` when absent.
    pub database_url: Option<String>,
    /// In-process evaluation workers (0 leaves evaluation to `anonlab worker`).
    pub workers: usize,
    /// Largest dataset upload, in bytes.
    pub max_upload_bytes: usize,
    /// Largest body an AnoMed app may send to the challenge routes (AnoMed's nginx allows 16 MB).
    pub anomed_max_body_bytes: usize,
    /// Sign-in attempts per client and minute.
    pub logins_per_minute: u32,
    /// Uploads per client and minute.
    pub uploads_per_minute: u32,
    /// Mark cookies `Secure` (set when served over HTTPS, e.g. behind a TLS proxy).
    pub secure_cookies: bool,
    /// How long a browser session lasts, in hours.
    pub session_hours: u64,
    /// How long an API token lasts, in days.
    pub token_days: u64,
    /// Seed the demo challenges and built-in submissions on an empty database.
    pub demo: bool,
    /// Lease of a claimed job, in seconds.
    pub lease_secs: u64,
    /// On shutdown, seconds a running job may take to finish before it is handed back.
    pub grace_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("anonlab-data"),
            database_url: None,
            workers: 1,
            max_upload_bytes: 64 * 1024 * 1024,
            anomed_max_body_bytes: 16 * 1024 * 1024,
            logins_per_minute: 10,
            uploads_per_minute: 10,
            secure_cookies: false,
            session_hours: 12,
            token_days: 30,
            demo: true,
            lease_secs: 60,
            grace_secs: 20,
        }
    }
}

impl ServerConfig {
    /// The database to use: the configured URL or the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| anonlab_arena::Store::sqlite_url(&self.data_dir.join("anonlab.db")))
    }

    /// Session lifetime.
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_hours * 3600)
    }

    /// API token lifetime.
    pub fn token_ttl(&self) -> Duration {
        Duration::from_secs(self.token_days * 86_400)
    }
}
