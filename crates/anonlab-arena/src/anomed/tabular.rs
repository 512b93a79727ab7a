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
//! - `GET /data/deanonymizer/background-knowledge` serves a deanonymizer aimed
//!   at a tabular anonymizer what it knows: the threat model's known columns of
//!   `n_attacks` people of the training part (fixed by the split seed).
//! - `POST /utility/deanonymizer` takes its reconstruction as a raw Parquet
//!   body (the same rows, in order, with the secret column filled in) and
//!   scores the secret guessed right against always guessing the most common
//!   value, once.
//!
//! anonlab's own table attacks — singling out, linkability, inference,
//! linkage, membership — run on every release an AnoMed tabular anonymizer
//! uploads besides, so privacy is not measured only by submitted attacks
//! (AnoMed ships no server for tabular deanonymizers, only an abstract class;
//! anonlab drives one like every other app: `POST /fit`, `POST /evaluate`).

use sha2::{Digest, Sha256};

use super::links::{Link, Round};
use crate::anomed::score::{proportion, residual};
use crate::challenge::ChallengeSpec;
use crate::context::Arena;
use crate::error::{Error, Result};
use crate::evaluate::{Estimate, Split, UtilityMetrics, score_release, shuffled};
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

/// What is recorded for a scored reconstruction.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Reconstruction {
    /// Share of targets whose secret was guessed right (Wilson interval).
    pub accuracy: Estimate,
    /// Share of targets holding the training part's most common secret value:
    /// what guessing that value for everyone achieves.
    pub baseline: Estimate,
    /// `(accuracy − baseline) / (1 − baseline)`, at least 0.
    pub risk: Estimate,
    /// Targets scored.
    pub targets: u64,
}

/// Domain tag of the background-knowledge draw (see [`crate::evaluate::split`]).
const BACKGROUND: &[u8; 16] = b"anomed tab known";

/// The training rows whose known columns a tabular deanonymizer gets, in order.
fn background_rows(spec: &ChallengeSpec, train_rows: usize) -> Vec<u32> {
    let mut rows = shuffled(train_rows, spec.split.seed, BACKGROUND);
    rows.truncate(spec.threat_model.n_attacks.min(train_rows));
    rows
}

/// The deanonymizer behind `link`, which must be aimed at a tabular anonymizer.
pub(super) fn check_tabular_attack(link: &Link) -> Result<()> {
    if matches!(link.submission.implementation, Implementation::AnomedDeanonymizer(_)) && link.aims_at_tabular() {
        Ok(())
    } else {
        Err(Error::forbidden(
            "this route is for deanonymizers of a tabular anonymizer; this link belongs to another app",
        ))
    }
}

/// `GET /data/deanonymizer/background-knowledge`: the threat model's known
/// columns (not the secret) of the targets, as Parquet.
pub(super) fn background_parquet(spec: &ChallengeSpec, split: &Split) -> Result<Vec<u8>> {
    let rows = background_rows(spec, split.train.rows());
    let known = split.train.select_rows(&rows);
    let columns: Vec<anonlab_table::Column> = spec
        .threat_model
        .aux_cols
        .iter()
        .filter(|c| **c != spec.threat_model.secret)
        .map(|c| Ok(known.column(known.column_index(c)?).clone()))
        .collect::<Result<_>>()?;
    let table = anonlab_table::Table::try_new(columns, None, b',')?;
    Ok(anonlab_table::io::parquet::table_to_parquet_bytes(&table)?)
}

fn same_value(guess: &str, truth: &str) -> bool {
    let (guess, truth) = (guess.trim(), truth.trim());
    guess == truth || matches!((guess.parse::<f64>(), truth.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
}

pub(super) fn check_tabular(link: &Link) -> Result<()> {
    if matches!(link.submission.implementation, Implementation::AnomedTabularAnonymizer(_)) {
        Ok(())
    } else {
        Err(Error::forbidden("this route is for tabular anonymizers; this link belongs to another kind of app"))
    }
}

impl Arena {
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
        let split = self.app_split(link).await?;
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
        self.audit_app(link, "anomed.utility.release", detail).await?;
        Ok(recorded)
    }

    /// `POST /utility/deanonymizer` of a tabular deanonymizer: scores its reconstruction (once).
    ///
    /// # Errors
    /// Not Parquet, other rows than the background knowledge's, no secret
    /// column (all invalid); a second reconstruction (conflict).
    pub async fn anomed_score_reconstruction(&self, link: &Link, body: &[u8]) -> Result<Reconstruction> {
        check_tabular_attack(link)?;
        if self.store.anomed_result(&link.submission.id, Round::Reconstruction).await?.is_some() {
            return Err(Error::conflict("this submission's reconstruction was scored already; it is scored once"));
        }
        let split = self.app_split(link).await?;
        let spec = link.challenge.spec.clone();
        let bytes = body.to_vec();
        let scored = tokio::task::spawn_blocking(move || -> Result<Reconstruction> {
            let guess = anonlab_table::io::parquet::read_parquet_bytes(&bytes, "reconstruction")
                .map_err(|e| Error::invalid(format!("{e}")))?;
            let rows = background_rows(&spec, split.train.rows());
            if guess.rows() != rows.len() {
                return Err(Error::invalid(format!(
                    "the reconstruction has {} rows; the background knowledge has {} (keep its rows, in order)",
                    guess.rows(),
                    rows.len()
                )));
            }
            let secret = &spec.threat_model.secret;
            let guessed = guess.column_index(secret).map_err(|_| {
                Error::invalid(format!("the reconstruction has no column '{secret}', the secret to reconstruct"))
            })?;
            let guessed = guess.column(guessed);
            let truth = split.train.column(split.train.column_index(secret)?);
            let correct = rows
                .iter()
                .enumerate()
                .filter(|&(i, &row)| same_value(guessed.value(i), truth.value(row as usize)))
                .count() as u64;
            let frequencies = truth.frequencies();
            let most_common = (0..frequencies.len()).max_by_key(|&c| frequencies[c]).unwrap_or(0);
            let most_common = truth.dictionary().get(most_common).cloned().unwrap_or_default();
            let baseline = rows.iter().filter(|&&row| truth.value(row as usize) == most_common).count() as u64;
            let n = rows.len() as u64;
            let (accuracy, baseline) = (proportion(correct, n)?, proportion(baseline, n)?);
            Ok(Reconstruction { accuracy, baseline, risk: residual(accuracy, baseline), targets: n })
        })
        .await
        .map_err(|e| Error::internal(format!("scoring task: {e}")))??;
        self.store
            .record_anomed_result(&link.submission.id, Round::Reconstruction, &serde_json::to_value(&scored)?)
            .await?;
        let detail = serde_json::json!({ "targets": scored.targets, "accuracy": scored.accuracy.value });
        self.audit_app(link, "anomed.utility.reconstruction", detail).await?;
        Ok(scored)
    }
}
