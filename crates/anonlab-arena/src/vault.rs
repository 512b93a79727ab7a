//! The encrypted vault: uploaded datasets and releases at rest.
//!
//! Each object is sealed with XChaCha20-Poly1305 (RustCrypto) under a 256-bit
//! key that lives outside the database — a key file created on first start
//! with owner-only permissions, or `ANONLAB_VAULT_KEY` — with the object's name
//! as associated data, so ciphertexts cannot be swapped between names. A
//! SHA-256 of the plaintext is stored beside it and checked on every read. The
//! sealed bytes live in the database so that workers on other machines reach
//! them through the same connection as everything else.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::error::{Error, ErrorKind, Result};
use crate::store::{Store, now_ms, random_bytes};

/// The environment variable that may hold the key (64 hex digits).
pub const KEY_ENV: &str = "ANONLAB_VAULT_KEY";
/// The key file's name in the data directory.
pub const KEY_FILE: &str = "vault.key";

/// The vault key. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct VaultKey([u8; 32]);

impl fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VaultKey(..)")
    }
}

/// Where the key came from, for the start-up message (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The environment variable.
    Environment,
    /// An existing key file.
    File(PathBuf),
    /// A key file created just now.
    Created(PathBuf),
}

impl VaultKey {
    /// The key from `ANONLAB_VAULT_KEY` when set, else from `data_dir/vault.key`,
    /// creating that file (mode 0600) with a fresh random key when missing.
    pub fn load_or_create(data_dir: &Path) -> Result<(VaultKey, KeySource)> {
        if let Ok(hex) = std::env::var(KEY_ENV) {
            return Ok((Self::parse(hex.trim(), KEY_ENV)?, KeySource::Environment));
        }
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                check_permissions(&path)?;
                Ok((Self::parse(text.trim(), &path.display().to_string())?, KeySource::File(path)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = VaultKey(random_bytes::<32>());
                write_key_file(&path, &key)?;
                Ok((key, KeySource::Created(path)))
            }
            Err(e) => Err(vault_error(format!("cannot read the vault key {}: {e}", path.display()))),
        }
    }

    /// The key from an existing file or the environment; never creates one
    /// (for `anonlab audit verify` and extra workers).
    pub fn load(data_dir: &Path) -> Result<VaultKey> {
        if let Ok(hex) = std::env::var(KEY_ENV) {
            return Self::parse(hex.trim(), KEY_ENV);
        }
        let path = data_dir.join(KEY_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            vault_error(format!(
                "cannot read the vault key {} ({e}); set {KEY_ENV} or point --data-dir at the server's data directory",
                path.display()
            ))
        })?;
        Self::parse(text.trim(), &path.display().to_string())
    }

    /// A fresh random key (tests, and extra workers given one explicitly).
    pub fn random() -> VaultKey {
        VaultKey(random_bytes::<32>())
    }

    fn parse(hex: &str, origin: &str) -> Result<VaultKey> {
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(hex.as_bytes())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| vault_error(format!("{origin}: the vault key must be 64 hexadecimal digits (256 bits)")))?;
        Ok(VaultKey(bytes))
    }

    /// A key for another purpose, derived so that it reveals nothing of this one.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

fn vault_error(message: String) -> Error {
    Error::new(ErrorKind::Vault, message)
}

#[cfg(unix)]
fn check_permissions(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode =
        std::fs::metadata(path).map_err(|e| vault_error(format!("{}: {e}", path.display())))?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(vault_error(format!(
            "{}: the vault key is readable by others (mode {:o}); run `chmod 600` on it",
            path.display(),
            mode & 0o777
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_: &Path) -> Result<()> {
    Ok(())
}

fn write_key_file(path: &Path, key: &VaultKey) -> Result<()> {
    let fail = |e: std::io::Error| vault_error(format!("cannot create the vault key {}: {e}", path.display()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(fail)?;
    file.write_all(data_encoding::HEXLOWER.encode(&key.0).as_bytes()).map_err(fail)?;
    file.sync_all().map_err(fail)
}

/// What the vault knows about an object without opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// SHA-256 of the plaintext, hex.
    pub sha256: String,
    /// Plaintext size in bytes.
    pub size_bytes: u64,
}

/// Sealed storage over the store.
#[derive(Clone)]
pub struct Vault {
    store: Store,
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Vault(..)")
    }
}

impl Vault {
    /// A vault over `store` sealing with `key`.
    pub fn new(store: Store, key: &VaultKey) -> Vault {
        let cipher = XChaCha20Poly1305::new_from_slice(&key.derive("anonlab vault objects v1")).expect("32-byte key");
        Vault { store, cipher }
    }

    /// Seals `plaintext` under `name`, replacing an object of that name
    /// (a retried job writes the same release again).
    pub async fn put(&self, name: &str, plaintext: &[u8]) -> Result<ObjectInfo> {
        let nonce = random_bytes::<24>();
        let ciphertext = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: name.as_bytes() })
            .map_err(|_| vault_error("encryption failed".into()))?;
        let info = ObjectInfo {
            sha256: data_encoding::HEXLOWER.encode(&Sha256::digest(plaintext)),
            size_bytes: plaintext.len() as u64,
        };
        sqlx::query(
            "INSERT INTO vault_objects (name, nonce, ciphertext, sha256, size_bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET \
             nonce = excluded.nonce, ciphertext = excluded.ciphertext, sha256 = excluded.sha256, \
             size_bytes = excluded.size_bytes, created_at = excluded.created_at",
        )
        .bind(name)
        .bind(nonce.to_vec())
        .bind(ciphertext)
        .bind(&info.sha256)
        .bind(info.size_bytes as i64)
        .bind(now_ms())
        .execute(self.store.pool())
        .await?;
        Ok(info)
    }

    /// Opens the object `name`, checking its authenticity and checksum.
    pub async fn get(&self, name: &str) -> Result<Vec<u8>> {
        let row = sqlx::query("SELECT nonce, ciphertext, sha256 FROM vault_objects WHERE name = $1")
            .bind(name)
            .fetch_optional(self.store.pool())
            .await?
            .ok_or_else(|| Error::not_found("stored object", name))?;
        let nonce: Vec<u8> = row.try_get("nonce")?;
        let ciphertext: Vec<u8> = row.try_get("ciphertext")?;
        let expected: String = row.try_get("sha256")?;
        if nonce.len() != 24 {
            return Err(vault_error(format!("stored object '{name}' is damaged (nonce)")));
        }
        let plaintext = self
            .cipher
            .decrypt(XNonce::from_slice(&nonce), Payload { msg: &ciphertext, aad: name.as_bytes() })
            .map_err(|_| {
                vault_error(format!(
                    "stored object '{name}' failed authentication: wrong vault key, or the data was altered"
                ))
            })?;
        if data_encoding::HEXLOWER.encode(&Sha256::digest(&plaintext)) != expected {
            return Err(vault_error(format!("stored object '{name}' does not match its checksum")));
        }
        Ok(plaintext)
    }

    /// Size and checksum of `name`, without decrypting.
    pub async fn info(&self, name: &str) -> Result<ObjectInfo> {
        let row = sqlx::query("SELECT sha256, size_bytes FROM vault_objects WHERE name = $1")
            .bind(name)
            .fetch_optional(self.store.pool())
            .await?
            .ok_or_else(|| Error::not_found("stored object", name))?;
        Ok(ObjectInfo { sha256: row.try_get("sha256")?, size_bytes: row.try_get::<i64, _>("size_bytes")? as u64 })
    }
}
