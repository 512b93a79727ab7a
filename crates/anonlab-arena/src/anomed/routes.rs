//! What the AnoMed challenge routes answer, for the app a secret identifies.
//!
//! The HTTP layer (`anonlab-server`) maps paths, query parameters and errors
//! onto these; everything that decides what data leaves and what is recorded
//! is here, next to the store and the audit log:
//!
//! - an anonymizer may read its training data and the features of the tuning
//!   and validation records, and send predictions for them;
//! - a deanonymizer may read its known members and non-members and the
//!   evaluation set, and send membership guesses for it;
//! - every read and every scored prediction is audited;
//! - validation is scored once per app.

use super::links::{Link, Round};
use super::ml::{DataSplit, MlChallenge};
use super::npz::{Array, Limits, Npz};
use super::score::{MembershipDecisions, ModelAccuracy, score_labels, score_memberships};
use super::tabular::{background_parquet, check_tabular, check_tabular_attack};
use crate::context::{Arena, cached, insert};
use crate::error::{Error, Result};
use crate::evaluate::Split;
use crate::submission::Implementation;
use anonlab_attacks::model_membership::Labelled;

/// The data routes of the supervised-learning + membership-inference challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataRoute {
    /// `GET /data/anonymizer/training`: features and labels.
    Training,
    /// `GET /data/anonymizer/tuning` and `.../validation`: features only.
    Features(DataSplit),
    /// `GET /data/deanonymizer/members`.
    Members,
    /// `GET /data/deanonymizer/non-members`.
    NonMembers,
    /// `GET /data/attack-success-evaluation?data_split=...`.
    AttackEvaluation(DataSplit),
    /// `GET /data/anonymizer/leaky` (tabular): the training part as Parquet.
    Leaky,
    /// `GET /data/deanonymizer/background-knowledge` (tabular): the targets' known columns as Parquet.
    BackgroundKnowledge,
}

impl DataRoute {
    fn name(self) -> String {
        match self {
            DataRoute::Training => "anonymizer/training".into(),
            DataRoute::Features(s) => format!("anonymizer/{}", s.name()),
            DataRoute::Members => "deanonymizer/members".into(),
            DataRoute::NonMembers => "deanonymizer/non-members".into(),
            DataRoute::AttackEvaluation(s) => format!("attack-success-evaluation?data_split={}", s.name()),
            DataRoute::Leaky => "anonymizer/leaky".into(),
            DataRoute::BackgroundKnowledge => "deanonymizer/background-knowledge".into(),
        }
    }

    /// Refuses an app of another kind than the route serves.
    fn check(self, link: &Link) -> Result<()> {
        match self {
            DataRoute::Leaky => check_tabular(link),
            DataRoute::BackgroundKnowledge => check_tabular_attack(link),
            DataRoute::Members | DataRoute::NonMembers | DataRoute::AttackEvaluation(_) => check_role(link, true),
            DataRoute::Training | DataRoute::Features(_) => check_role(link, false),
        }
    }
}

/// Who may call a route: the kind of app behind the secret.
fn check_role(link: &Link, deanonymizer_route: bool) -> Result<()> {
    let kind = match link.submission.implementation {
        Implementation::AnomedAnonymizer(_) => "an anonymizer",
        Implementation::AnomedDeanonymizer(_) => "a deanonymizer",
        Implementation::AnomedTabularAnonymizer(_) => "a tabular anonymizer",
        _ => "no AnoMed app",
    };
    let allowed = if deanonymizer_route { "a deanonymizer" } else { "an anonymizer" };
    if kind == allowed && !link.aims_at_tabular() {
        return Ok(());
    }
    if link.aims_at_tabular() {
        return Err(Error::forbidden(
            "this route is for deanonymizers of the machine-learning challenge; this link's target is a tabular anonymizer",
        ));
    }
    let route = if deanonymizer_route { "deanonymizers" } else { "anonymizers of the machine-learning challenge" };
    Err(Error::forbidden(format!("this route is for {route}; this link belongs to {kind}")))
}

/// `X` (float64, rows × features) and `y` (int64) of a labelled part.
fn labelled_npz(part: &Labelled) -> Npz {
    let rows = part.y.len();
    Npz::new()
        .with("X", Array::f64(vec![rows, part.cols], part.x.clone()))
        .with("y", Array::i64(vec![rows], part.y.clone()))
}

impl Arena {
    async fn anomed_ml(&self, link: &Link) -> Result<std::sync::Arc<MlChallenge>> {
        self.ml_challenge(&link.challenge, &link.actor()).await
    }

    /// The split of the app's challenge, its reads audited under the app.
    pub(super) async fn app_split(&self, link: &Link) -> Result<std::sync::Arc<Split>> {
        self.challenge_split(&link.challenge, &link.actor(), "anomed challenge").await
    }

    /// The NPZ (or, for the tabular routes, Parquet) body of a data route,
    /// encoded once per challenge version; every read is audited.
    pub async fn anomed_data(&self, link: &Link, route: DataRoute) -> Result<bytes::Bytes> {
        route.check(link)?;
        let key = ((link.challenge.id.clone(), link.challenge.version), route.name());
        let body = match cached(&self.caches.bodies, &key) {
            Some(body) => body,
            None => {
                let body = self.encode_route(link, route).await?;
                insert(&self.caches.bodies, key, body.clone());
                body
            }
        };
        self.audit_app(link, "anomed.data.read", serde_json::json!({ "route": route.name(), "bytes": body.len() }))
            .await?;
        Ok(body)
    }

    async fn encode_route(&self, link: &Link, route: DataRoute) -> Result<bytes::Bytes> {
        if matches!(route, DataRoute::Leaky | DataRoute::BackgroundKnowledge) {
            let split = self.app_split(link).await?;
            let spec = link.challenge.spec.clone();
            let body = tokio::task::spawn_blocking(move || match route {
                DataRoute::Leaky => Ok(anonlab_table::io::parquet::table_to_parquet_bytes(&split.train)?),
                _ => background_parquet(&spec, &split),
            })
            .await
            .map_err(|e| Error::internal(format!("parquet task: {e}")))??;
            return Ok(body.into());
        }
        let ml = self.anomed_ml(link).await?;
        let npz = match route {
            DataRoute::Training => labelled_npz(&ml.training),
            // The targets are withheld, as AnoMed sends them: an empty float array.
            DataRoute::Features(split) => {
                let part = ml.part(split);
                Npz::new()
                    .with("X", Array::f64(vec![part.y.len(), part.cols], part.x.clone()))
                    .with("y", Array::f64(vec![0], Vec::new()))
            }
            DataRoute::Members => labelled_npz(&ml.members),
            DataRoute::NonMembers => labelled_npz(&ml.non_members),
            DataRoute::AttackEvaluation(split) => labelled_npz(&ml.evaluation(split).data),
            DataRoute::Leaky | DataRoute::BackgroundKnowledge => {
                return Err(Error::internal("the tabular routes are encoded as Parquet"));
            }
        };
        let body = tokio::task::spawn_blocking(move || npz.to_bytes())
            .await
            .map_err(|e| Error::internal(format!("npz task: {e}")))?;
        Ok(body.into())
    }

    /// Scores an anonymizer's predictions for one round and records them.
    pub async fn anomed_score_anonymizer(&self, link: &Link, split: DataSplit, body: &[u8]) -> Result<ModelAccuracy> {
        check_role(link, false)?;
        let ml = self.anomed_ml(link).await?;
        let prediction = read_prediction(body)?;
        let accuracy = score_labels(&prediction, &ml.part(split).y, ml.majority_accuracy(split))?;
        self.store
            .record_anomed_result(&link.submission.id, Round::Ml(split), &serde_json::to_value(accuracy)?)
            .await?;
        self.audit_app(
            link,
            "anomed.utility.anonymizer",
            serde_json::json!({ "data_split": split.name(), "accuracy": accuracy.accuracy.value }),
        )
        .await?;
        Ok(accuracy)
    }

    /// Scores a deanonymizer's membership guesses for one round and records them.
    pub async fn anomed_score_deanonymizer(
        &self,
        link: &Link,
        split: DataSplit,
        body: &[u8],
    ) -> Result<MembershipDecisions> {
        check_role(link, true)?;
        let ml = self.anomed_ml(link).await?;
        let prediction = read_prediction(body)?;
        let decisions = score_memberships(&prediction, &ml.evaluation(split).membership)?;
        self.store
            .record_anomed_result(&link.submission.id, Round::Ml(split), &serde_json::to_value(decisions)?)
            .await?;
        self.audit_app(
            link,
            "anomed.utility.deanonymizer",
            serde_json::json!({ "data_split": split.name(), "tpr": decisions.tpr.value, "fpr": decisions.fpr.value }),
        )
        .await?;
        Ok(decisions)
    }
}

/// The `prediction` array of an uploaded NPZ.
fn read_prediction(body: &[u8]) -> Result<Array> {
    let mut npz = Npz::from_bytes(body, &Limits::default()).map_err(|e| Error::invalid(format!("{e}")))?;
    npz.take("prediction").ok_or_else(|| {
        let names: Vec<&str> = npz.arrays.iter().map(|(n, _)| n.as_str()).collect();
        Error::invalid(format!("expected a NumPy array named 'prediction'; the NPZ holds [{}]", names.join(", ")))
    })
}
