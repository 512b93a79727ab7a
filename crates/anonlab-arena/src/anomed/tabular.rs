//! The tabular variant of the protocol (anomed-challenge's
//! `tabular_data_reconstruction_challenge_server_factory`, anomed-anonymizer's
//! `tabular_data_anonymizer_server_factory`): DataFrames travel as Parquet.
//!
//! - `GET /data/anonymizer/leaky` serves the challenge's training part (what
//!   built-in anonymizers see), numeric columns typed as numbers.
//! - `POST /utility/anonymizer` takes the app's release as a multipart upload
//!   (`anon_data`: Parquet, `anon_scheme`: text), scores it exactly as a
//!   built-in anonymizer's release is scored, seals it in the vault where the
//!   built-in attacks read releases, and records it once.
//!
//! AnoMed ships no server for tabular deanonymizers (only an abstract class),
//! so instead of submitted attacks, anonlab's own table attacks — singling
//! out, linkability, inference, linkage, membership — run on every release an
//! AnoMed tabular anonymizer uploads.

use sha2::{Digest, Sha256};

use super::links::{Link, Round};
use crate::audit::{Event, Outcome};
use crate::context::Arena;
use crate::error::{Error, Result};
use crate::evaluate::{UtilityMetrics, score_release};
use crate::submission::Implementation;
use crate::worker::release_object;

/// The anonymization schemes AnoMed names.
pub const SCHEMES: [&str; 3] = ["same", "generalization", "microaggregation"];

/// What is recorded for an uploaded release.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RecordedRelease {
    /// Its utility, scored like a built-in anonymizer's.
    pub utility: UtilityMetrics,
    /// The scheme the app declared.
    pub scheme: String,
    /// SHA-256 of the release as sealed in the vault.
    pub release_sha256: String,
}

fn check_tabular(link: &Link) -> Result<()> {
    if matches!(link.submission.implementation, Implementation::AnomedTabularAnonymizer(_)) {
        Ok(())
    } else {
        Err(Error::forbidden("this route is for tabular anonymizers; this link belongs to another kind of app"))
    }
}

impl Arena {
    async fn tabular_audit(&self, link: &Link, action: &str, detail: serde_json::Value) -> Result<()> {
        self.audit
            .record(Event {
                actor: &format!("anomed:{}", link.submission.id),
                action,
                target: &link.challenge.id,
                outcome: Outcome::Allowed,
                detail,
            })
            .await?;
        Ok(())
    }

    /// `GET /data/anonymizer/leaky`: the training part as Parquet.
    pub async fn anomed_leaky(&self, link: &Link) -> Result<Vec<u8>> {
        check_tabular(link)?;
        let split = self.challenge_split(&link.challenge, &format!("anomed:{}", link.submission.id)).await?;
        let body =
            tokio::task::spawn_blocking(move || anonlab_table::io::parquet::table_to_parquet_bytes(&split.train))
                .await
                .map_err(|e| Error::internal(format!("parquet task: {e}")))??;
        let detail = serde_json::json!({ "route": "anonymizer/leaky", "bytes": body.len() });
        self.tabular_audit(link, "anomed.data.read", detail).await?;
        Ok(body)
    }

    /// `POST /utility/anonymizer` of a tabular app: scores and keeps its release (once).
    ///
    /// # Errors
    /// Not Parquet, an unknown scheme, rows dropped or reordered, a column the
    /// challenge needs missing (all invalid); a second upload (conflict).
    pub async fn anomed_score_release(&self, link: &Link, anon_data: &[u8], scheme: &str) -> Result<RecordedRelease> {
        check_tabular(link)?;
        let scheme = scheme.trim().trim_matches('"').to_string();
        if !SCHEMES.contains(&scheme.as_str()) {
            return Err(Error::invalid(format!(
                "anon_scheme must be one of {} (got '{scheme}')",
                SCHEMES.map(|s| format!("'{s}'")).join(", ")
            )));
        }
        if self.store.anomed_result(&link.submission.id, Round::Release).await?.is_some() {
            return Err(Error::conflict("this submission's release was recorded already; a release is scored once"));
        }
        let split = self.challenge_split(&link.challenge, &format!("anomed:{}", link.submission.id)).await?;
        let spec = link.challenge.spec.clone();
        let bytes = anon_data.to_vec();
        let outcome = tokio::task::spawn_blocking(move || {
            let release = anonlab_table::io::parquet::read_parquet_bytes(&bytes, "anon_data")
                .map_err(|e| Error::invalid(format!("{e}")))?;
            score_release(&spec, &split, &release)
        })
        .await
        .map_err(|e| Error::internal(format!("scoring task: {e}")))??;
        let release_sha256 = data_encoding::HEXLOWER.encode(&Sha256::digest(&outcome.release_csv));
        let recorded = RecordedRelease { utility: outcome.utility, scheme, release_sha256 };
        // Recorded first: of two concurrent uploads only the one recorded gets sealed.
        self.store.record_anomed_result(&link.submission.id, Round::Release, &serde_json::to_value(&recorded)?).await?;
        self.vault.put(&release_object(&link.challenge.id, &link.submission.id), &outcome.release_csv).await?;
        let detail = serde_json::json!({
            "scheme": recorded.scheme,
            "rows": outcome.release.rows(),
            "information_loss": recorded.utility.information_loss,
        });
        self.tabular_audit(link, "anomed.utility.release", detail).await?;
        Ok(recorded)
    }
}
