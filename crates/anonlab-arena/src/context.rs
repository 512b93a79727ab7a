//! [`Arena`]: the store, the vault and the audit log that every server route
//! and every worker works through.

use std::path::Path;

use crate::audit::AuditLog;
use crate::error::Result;
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
    /// Challenges encoded for the AnoMed routes.
    pub(crate) ml: crate::anomed::MlCache,
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
            ml: Default::default(),
            store,
        }
    }
}
