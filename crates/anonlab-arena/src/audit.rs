//! The audit log: every data access and every decision, append-only and
//! hash-chained.
//!
//! Entry `n` stores `hash_n = HMAC-SHA-256(k, hash_{n−1} ‖ n ‖ time ‖ actor ‖
//! action ‖ target ‖ outcome ‖ detail)` with `k` derived from the vault key,
//! which is not in the database. Editing, deleting or reordering entries — or
//! rewriting the whole chain, which needs `k` — is detected by [`verify`]; so
//! is cutting entries off the end, against the count a verifier recorded
//! before. Appends from several processes are serialized by the primary key on
//! `seq`: a writer that loses the race reads the new head and tries again.

use serde::Serialize;
use sha2::Sha256;
use sqlx::Row;
use utoipa::ToSchema;

use crate::error::{Error, ErrorKind, Result};
use crate::store::{Store, now_ms};
use crate::vault::VaultKey;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The hash before the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Whether an action was allowed, refused, or how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Access granted / action done.
    Allowed,
    /// Access refused.
    Denied,
    /// The action was attempted and failed.
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// One thing to record. `detail` must never hold patient values or secrets.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// User id, `anonymous`, `system` or `worker:<id>`.
    pub actor: &'a str,
    /// What was done, dotted: `dataset.read`, `login`, `challenge.create`.
    pub action: &'a str,
    /// The object acted on (an id), or empty.
    pub target: &'a str,
    /// How it ended.
    pub outcome: Outcome,
    /// Context as JSON (sizes, reasons, route).
    pub detail: serde_json::Value,
}

/// A stored entry, as listed to admins.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Entry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// Unix ms.
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub target: String,
    /// How it ended.
    pub outcome: String,
    /// Context (JSON text).
    pub detail: String,
    /// This entry's chained hash.
    pub hash: String,
}

/// Appends to and verifies the chain.
#[derive(Clone)]
pub struct AuditLog {
    store: Store,
    key: [u8; 32],
    /// Serializes this process's appends, so retries happen only across processes.
    local: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditLog(..)")
    }
}

fn chain_hash(key: &[u8; 32], prev: &str, seq: i64, at: i64, fields: [&str; 5]) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(prev.as_bytes());
    mac.update(&seq.to_be_bytes());
    mac.update(&at.to_be_bytes());
    for field in fields {
        // Length-prefixed, so no two different entries hash the same bytes.
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field.as_bytes());
    }
    data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
}

impl AuditLog {
    /// The log in `store`, keyed from the vault key.
    pub fn new(store: Store, key: &VaultKey) -> AuditLog {
        AuditLog { store, key: key.derive("anonlab audit chain v1"), local: Default::default() }
    }

    /// Appends one entry and returns its sequence number.
    pub async fn record(&self, event: Event<'_>) -> Result<i64> {
        let _guard = self.local.lock().await;
        let detail = event.detail.to_string();
        let fields = [event.actor, event.action, event.target, event.outcome.as_str(), detail.as_str()];
        for _ in 0..50 {
            let head = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(self.store.pool())
                .await?;
            let (prev_seq, prev_hash) = match head {
                Some(row) => (row.try_get::<i64, _>("seq")?, row.try_get::<String, _>("hash")?),
                None => (0, GENESIS.to_string()),
            };
            let seq = prev_seq + 1;
            let at = now_ms();
            let hash = chain_hash(&self.key, &prev_hash, seq, at, fields);
            let inserted = sqlx::query(
                "INSERT INTO audit_log (seq, at, actor, action, target, outcome, detail, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(seq)
            .bind(at)
            .bind(fields[0])
            .bind(fields[1])
            .bind(fields[2])
            .bind(fields[3])
            .bind(fields[4])
            .bind(&prev_hash)
            .bind(&hash)
            .execute(self.store.pool())
            .await;
            match inserted {
                Ok(_) => return Ok(seq),
                Err(e) => {
                    let e = Error::from(e);
                    // Another process appended seq first: chain onto its entry.
                    if e.kind() != ErrorKind::Conflict {
                        return Err(e);
                    }
                }
            }
        }
        Err(Error::new(ErrorKind::Store, "the audit log is too busy to append to; try again"))
    }

    /// The newest entries first, at most `limit`.
    pub async fn recent(&self, limit: i64) -> Result<Vec<Entry>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, target, outcome, detail, hash FROM audit_log ORDER BY seq DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Entry {
                    seq: r.try_get("seq")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    outcome: r.try_get("outcome")?,
                    detail: r.try_get("detail")?,
                    hash: r.try_get("hash")?,
                })
            })
            .collect()
    }

    /// Walks the whole chain and reports the first entry that does not verify.
    pub async fn verify(&self) -> Result<Verification> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, target, outcome, detail, prev_hash, hash FROM audit_log ORDER BY seq",
        )
        .fetch_all(self.store.pool())
        .await?;
        let mut prev = GENESIS.to_string();
        for (index, row) in rows.iter().enumerate() {
            let expected_seq = index as i64 + 1;
            let seq: i64 = row.try_get("seq")?;
            let get = |c: &str| -> Result<String> { Ok(row.try_get::<String, _>(c)?) };
            let problem = if seq != expected_seq {
                Some(format!("entry {expected_seq} is missing (next is {seq})"))
            } else if get("prev_hash")? != prev {
                Some(format!("entry {seq} does not link to the entry before it"))
            } else {
                let fields = [get("actor")?, get("action")?, get("target")?, get("outcome")?, get("detail")?];
                let hash = chain_hash(&self.key, &prev, seq, row.try_get("at")?, fields.each_ref().map(String::as_str));
                (hash != get("hash")?).then(|| format!("entry {seq} was altered (its hash does not match)"))
            };
            if let Some(problem) = problem {
                return Ok(Verification {
                    entries: rows.len() as u64,
                    intact: false,
                    problem: Some(problem),
                    head: prev,
                });
            }
            prev = get("hash")?;
        }
        Ok(Verification { entries: rows.len() as u64, intact: true, problem: None, head: prev })
    }
}

/// The outcome of [`AuditLog::verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Entries read.
    pub entries: u64,
    /// Whether every entry verified.
    pub intact: bool,
    /// The first problem found.
    pub problem: Option<String>,
    /// The hash of the last verified entry: record it to detect a cut-off tail later.
    pub head: String,
}
