//! [`Arena`]: the store, the vault and the audit log that every server route
//! and every worker works through.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::anomed::ml::MlChallenge;
use crate::audit::{AuditLog, Event, Outcome};
use crate::catalog::Challenge;
use crate::error::{Error, Result};
use crate::evaluate::Split;
use crate::store::Store;
use crate::vault::{KeySource, Vault, VaultKey};

/// Everything the platform's logic needs; cheap to clone.
#[derive(Debug, Clone)]
pub struct Arena {
    /// The database.
    pub store: Store,
    /// Encrypted datasets and releases.
    pub vault: Vault,
    /// The hash-chained audit log.
    pub audit: AuditLog,
    /// Datasets read and encoded once per challenge version.
    pub(crate) caches: Caches,
}

impl Arena {
    /// Connects to `database_url`, migrating it, with the vault key from
    /// `data_dir` or the environment (created when `create_key`).
    pub async fn open(database_url: &str, data_dir: &Path, create_key: bool) -> Result<(Arena, KeySource)> {
        let (key, source) = if create_key {
            VaultKey::load_or_create(data_dir)?
        } else {
            let key = VaultKey::load(data_dir)?;
            (key, KeySource::File(data_dir.join(crate::vault::KEY_FILE)))
        };
        let store = Store::connect(database_url).await?;
        Ok((Arena::with_key(store, &key), source))
    }

    /// An arena over an open store with a given key.
    pub fn with_key(store: Store, key: &VaultKey) -> Arena {
        Arena {
            vault: Vault::new(store.clone(), key),
            audit: AuditLog::new(store.clone(), key),
            caches: Caches::default(),
            store,
        }
    }
}

/// A challenge's id and version: what a challenge's data depends on.
pub(crate) type ChallengeVersion = (String, i64);

/// What workers and routes derive from a challenge's dataset, by challenge
/// version, so that a challenge's many jobs and requests read, split and
/// encode it once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Caches {
    /// The seeded splits.
    pub(crate) splits: Arc<Mutex<HashMap<ChallengeVersion, Arc<Split>>>>,
    /// The AnoMed machine-learning challenges.
    pub(crate) ml: Arc<Mutex<HashMap<ChallengeVersion, Arc<MlChallenge>>>>,
    /// Encoded bodies of the AnoMed data routes: the data never changes for a
    /// challenge version, and encoding it is most of a data request's cost.
    pub(crate) bodies: Arc<Mutex<HashMap<(ChallengeVersion, String), bytes::Bytes>>>,
}

/// Entries per cache: a few challenges' worth (six data routes each).
const CACHE_CAPACITY: usize = 48;

/// What `cache` holds under `key`.
pub(crate) fn cached<K: std::hash::Hash + Eq, V: Clone>(cache: &Mutex<HashMap<K, V>>, key: &K) -> Option<V> {
    cache.lock().expect("cache lock").get(key).cloned()
}

/// Keeps `value` under `key`, emptying the cache first when it is full.
pub(crate) fn insert<K: std::hash::Hash + Eq, V>(cache: &Mutex<HashMap<K, V>>, key: K, value: V) {
    let mut entries = cache.lock().expect("cache lock");
    if entries.len() >= CACHE_CAPACITY {
        entries.clear();
    }
    entries.insert(key, value);
}

impl Arena {
    /// The seeded split of `challenge`'s dataset, read on first use (a read
    /// audited for `actor` with its `purpose`).
    pub async fn challenge_split(&self, challenge: &Challenge, actor: &str, purpose: &str) -> Result<Arc<Split>> {
        let key = (challenge.id.clone(), challenge.version);
        if let Some(split) = cached(&self.caches.splits, &key) {
            return Ok(split);
        }
        let csv = self.vault.get(&challenge.dataset_id).await?;
        self.audit
            .record(Event {
                actor,
                action: "dataset.read",
                target: &challenge.dataset_id,
                outcome: Outcome::Allowed,
                detail: serde_json::json!({ "purpose": purpose, "challenge": challenge.id }),
            })
            .await?;
        let spec = challenge.spec.split.clone();
        let name = challenge.slug.clone();
        let split = tokio::task::spawn_blocking(move || {
            let table = anonlab_table::io::csv::read_csv_bytes(&csv, &name, &Default::default())?;
            crate::evaluate::split(&table, &spec)
        })
        .await
        .map_err(|e| Error::internal(format!("split task: {e}")))??;
        let split = Arc::new(split);
        insert(&self.caches.splits, key, split.clone());
        Ok(split)
    }
}
