//! Test support (not part of the platform's API): fresh stores on both
//! backends, so every store, queue and API test runs on SQLite and on
//! PostgreSQL.
//!
//! PostgreSQL comes from `ANONLAB_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test gets a database of
//! its own, dropped by [`TestDb::drop_database`]. When no server answers, the
//! PostgreSQL half is skipped with a message on stderr saying so.

use std::path::PathBuf;

use sqlx::Executor;
use sqlx::any::install_default_drivers;

use crate::challenge::ChallengeSpec;
use crate::context::Arena;
use crate::store::Store;
use crate::vault::VaultKey;

/// The administrative connection for creating test databases.
pub fn postgres_admin_url() -> String {
    std::env::var("ANONLAB_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database made for one test.
pub struct TestDb {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Its URL.
    pub url: String,
    /// The arena over it, with a random vault key.
    pub arena: Arena,
    /// The vault key (to open the same database from a second process).
    pub key: VaultKey,
    /// Keeps the SQLite file's directory alive.
    _dir: Option<tempfile::TempDir>,
    postgres_name: Option<String>,
}

impl TestDb {
    /// A fresh SQLite database in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = Store::sqlite_url(&dir.path().join("test.db"));
        let store = Store::connect(&url).await.expect("SQLite opens");
        let key = VaultKey::random();
        TestDb {
            backend: "sqlite",
            arena: Arena::with_key(store, &key),
            key,
            url,
            _dir: Some(dir),
            postgres_name: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` (with a message) when no server answers.
    pub async fn postgres() -> Option<TestDb> {
        install_default_drivers();
        let admin_url = postgres_admin_url();
        let admin = match sqlx::AnyPool::connect(&admin_url).await {
            Ok(pool) => pool,
            Err(e) => {
                eprintln!("PostgreSQL not reachable at {admin_url} ({e}): skipping the PostgreSQL run of this test");
                return None;
            }
        };
        let name = format!("anonlab_test_{}", data_encoding::HEXLOWER.encode(&crate::store::random_bytes::<6>()));
        admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("CREATE DATABASE");
        admin.close().await;
        let url = match admin_url.rfind('/') {
            Some(slash) if admin_url[..slash].contains("://") && slash > admin_url.find("://").unwrap_or(0) + 2 => {
                format!("{}/{name}", &admin_url[..slash])
            }
            _ => format!("{admin_url}/{name}"),
        };
        let store = Store::connect(&url).await.expect("PostgreSQL opens");
        let key = VaultKey::random();
        Some(TestDb {
            backend: "postgres",
            arena: Arena::with_key(store, &key),
            key,
            url,
            _dir: None,
            postgres_name: Some(name),
        })
    }

    /// Both backends (PostgreSQL only when reachable).
    pub async fn both() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        dbs.extend(TestDb::postgres().await);
        dbs
    }

    /// Uses `key` for the vault and the audit log from now on (to share a
    /// key file with processes the test starts).
    pub fn rekey(&mut self, key: VaultKey) {
        self.arena = Arena::with_key(self.arena.store.clone(), &key);
        self.key = key;
    }

    /// Where the SQLite file lives (its data directory), if SQLite.
    pub fn dir(&self) -> Option<PathBuf> {
        self._dir.as_ref().map(|d| d.path().to_path_buf())
    }

    /// Closes the pool and drops the PostgreSQL database.
    pub async fn drop_database(self) {
        self.arena.store.close().await;
        if let Some(name) = self.postgres_name
            && let Ok(admin) = sqlx::AnyPool::connect(&postgres_admin_url()).await
        {
            let _ = admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
            admin.close().await;
        }
    }
}

/// A small patient table (`age,sex,zip,diagnosis`) of `rows` rows, the same on every call.
pub fn tiny_csv(rows: usize) -> Vec<u8> {
    let mut text = String::from("age,sex,zip,diagnosis\n");
    for i in 0..rows {
        text.push_str(&format!(
            "{},{},{},{}\n",
            20 + i % 50,
            ["f", "m"][i % 2],
            10115 + i % 7,
            ["flu", "cold", "asthma"][i % 3]
        ));
    }
    text.into_bytes()
}

/// A challenge spec for [`tiny_csv`]: age, sex and ZIP as quasi-identifiers, the
/// diagnosis sensitive, predicted and attacked, 20 targets per attack.
pub fn tiny_spec() -> ChallengeSpec {
    serde_json::from_value(serde_json::json!({
        "columns": [
            {"name": "age", "role": "quasi-identifier", "hierarchy": {"kind": "intervals", "widths": [5, 10, 20]}},
            {"name": "sex", "role": "quasi-identifier", "hierarchy": {"kind": "flat"}},
            {"name": "zip", "role": "quasi-identifier", "hierarchy": {"kind": "masking"}},
            {"name": "diagnosis", "role": "sensitive"}
        ],
        "utility": {"target": "diagnosis"},
        "threat_model": {"aux_cols": ["age", "sex", "zip"], "secret": "diagnosis", "n_attacks": 20}
    }))
    .expect("the tiny spec is valid")
}
