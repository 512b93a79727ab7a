//! The secret key behind pseudonyms and date shifts.

use std::fmt;
use std::path::Path;

use crate::error::{Error, Result};

/// Keys shorter than this are refused: HMAC-SHA-256 wants at least 256 bits.
pub const MIN_KEY_BYTES: usize = 32;

/// A pseudonymization key, read from a file or an environment variable —
/// never from the command line (it would land in shell histories and process
/// lists) and never a built-in default. `Debug` does not show it.
#[derive(Clone)]
pub struct PseudonymKey(Vec<u8>);

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PseudonymKey({} bytes, redacted)", self.0.len())
    }
}

impl PseudonymKey {
    /// Wraps key bytes, refusing short keys.
    pub fn try_new(bytes: Vec<u8>, origin: &str) -> Result<Self> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(Error::spec(format!(
                "the pseudonym key from {origin} has {} bytes; at least {MIN_KEY_BYTES} are required \
                 (e.g. `head -c 32 /dev/urandom > key.bin`)",
                bytes.len()
            )));
        }
        Ok(PseudonymKey(bytes))
    }

    /// Reads the key file's bytes (one trailing newline is ignored).
    pub fn from_file(path: &Path) -> Result<Self> {
        let mut bytes = std::fs::read(path)
            .map_err(|e| Error::spec(format!("cannot read the pseudonym key file {}: {e}", path.display())))?;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        Self::try_new(bytes, &format!("file {}", path.display()))
    }

    /// Reads the key from environment variable `name`.
    pub fn from_env(name: &str) -> Result<Self> {
        let value = std::env::var_os(name)
            .ok_or_else(|| Error::spec(format!("environment variable {name} (the pseudonym key) is not set")))?;
        Self::try_new(value.into_encoded_bytes(), &format!("environment variable {name}"))
    }

    /// HMAC-SHA-256 of `message` under this key, with a purpose label so the
    /// same key never yields the same bytes for two different uses.
    pub fn mac(&self, purpose: &str, message: &[u8]) -> [u8; 32] {
        use hmac::{KeyInit, Mac};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(message);
        mac.finalize().into_bytes().into()
    }
}

/// The key every known-answer test uses (its MACs were computed with Python's hmac).
#[cfg(test)]
pub(crate) fn test_key() -> PseudonymKey {
    PseudonymKey::try_new(b"0123456789abcdef0123456789abcdef".to_vec(), "test").expect("32 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_short_keys_and_hides_the_key() {
        assert!(PseudonymKey::try_new(vec![1; 31], "test").unwrap_err().to_string().contains("at least 32"));
        let key = PseudonymKey::try_new(vec![7; 32], "test").unwrap();
        assert_eq!(format!("{key:?}"), "PseudonymKey(32 bytes, redacted)");
    }

    /// Known answer from an independent implementation (Python's `hmac`):
    /// HMAC-SHA-256(key, "anonlab-pseudonym-v1" 0x00 "4711").
    #[test]
    fn mac_matches_python_hmac() {
        let key = test_key();
        let mac = key.mac("anonlab-pseudonym-v1", b"4711");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5604510b2eddb0b5a26a85dbf1707edd95e4fb13a4e136e6d014ac41ba2f59b4");
        assert_ne!(key.mac("another-purpose", b"4711"), mac);
    }
}
