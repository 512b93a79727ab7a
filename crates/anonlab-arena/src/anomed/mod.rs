//! The AnoMed protocol (`../shared/docs/ANOMED_PROTOCOL.md`, `docs/anomed.md`):
//! unmodified `anomed-anonymizer` / `anomed-deanonymizer` web apps evaluated on
//! arena challenges.
//!
//! - [`ml`]: an arena challenge as an AnoMed machine-learning challenge (float
//!   features, class labels, fixed membership sets).
//! - [`npz`]: NumPy's zipped arrays, the protocol's wire format.
//! - [`links`]: the secret each app is started with, and the results our
//!   routes recorded for it.
//! - [`routes`]: what the challenge routes answer (the HTTP layer only maps
//!   paths and errors onto these).
//! - [`score`]: accuracy and membership decisions, with the right denominators.
//! - [`tabular`]: the tabular variant: Parquet data out, an uploaded release in,
//!   scored and attacked like a built-in anonymizer's.
//! - [`driver`]: the worker's side: calling `fit` and `evaluate` on the apps,
//!   and running anonlab's own model attacks over their `/predict` route.

pub mod driver;
pub mod links;
pub mod ml;
pub mod npz;
pub mod routes;
pub mod score;
pub mod tabular;

use std::sync::Arc;

use crate::accounts::User;
use crate::audit::{Event, Outcome};
use crate::catalog::{Challenge, Submission};
use crate::context::{Arena, cached, insert};
use crate::error::{Error, Result};
use crate::submission::{Implementation, Visibility};
use ml::MlChallenge;

/// A registered AnoMed app and how to start it.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The submission.
    pub submission: Submission,
    /// The secret that identifies the app (shown once, stored hashed).
    pub secret: String,
    /// The path under which the app finds its challenge: start it with
    /// `CHALLENGE_HOST=<server host:port><challenge_path>`.
    pub challenge_path: String,
}

impl Arena {
    /// Registers an unmodified AnoMed app (anonymizer or deanonymizer) for its
    /// challenge and queues its evaluation; the returned secret goes into the
    /// app's `CHALLENGE_HOST`.
    ///
    /// # Errors
    /// Anything but an AnoMed implementation; an unknown challenge or one that
    /// cannot be an AnoMed challenge (no target, too few rows); a deanonymizer
    /// whose target is not an AnoMed anonymizer of the same challenge.
    pub async fn register_anomed(
        &self,
        owner: &User,
        name: &str,
        implementation: Implementation,
        visibility: Visibility,
    ) -> Result<Registration> {
        let service = match &implementation {
            Implementation::AnomedAnonymizer(s) | Implementation::AnomedTabularAnonymizer(s) => {
                s.validate(false)?;
                s
            }
            Implementation::AnomedDeanonymizer(s) => {
                s.validate(true)?;
                s
            }
            _ => {
                return Err(Error::invalid(
                    "register_anomed takes an anomed-anonymizer, anomed-tabular-anonymizer or anomed-deanonymizer",
                ));
            }
        };
        let challenge = self.store.challenge(&service.challenge).await?;
        if challenge.slug != service.challenge {
            return Err(Error::invalid(format!(
                "name the challenge by its slug '{}', as AnoMed apps are wired to it",
                challenge.slug
            )));
        }
        // Apps of the machine-learning challenge need it to be one (a target, enough rows).
        let mut machine_learning = matches!(implementation, Implementation::AnomedAnonymizer(_));
        if let Some(target) = &service.target {
            let target = self.store.submission(target).await.map_err(|_| {
                Error::invalid(format!("the target '{target}' is not a submission (give the anonymizer's id)"))
            })?;
            let aimed = match &target.implementation {
                Implementation::AnomedAnonymizer(t) => {
                    machine_learning = true;
                    t.challenge == challenge.slug
                }
                Implementation::AnomedTabularAnonymizer(t) => t.challenge == challenge.slug,
                _ => false,
            };
            if !aimed || !target.visible_to(Some(owner)) {
                return Err(Error::invalid(format!(
                    "the target '{}' is not an AnoMed anonymizer on challenge '{}'",
                    target.id, challenge.slug
                )));
            }
        }
        if machine_learning {
            self.ml_challenge(&challenge, &format!("user:{}", owner.id)).await?;
        }
        let (submission, secret) =
            self.insert_submission(owner, name, implementation, visibility, Some(&challenge.slug)).await?;
        let secret = secret.ok_or_else(|| Error::internal("an AnoMed registration without a secret"))?;
        Ok(Registration { challenge_path: format!("/anomed/{secret}"), secret, submission })
    }

    /// Records what an AnoMed app did, under `anomed:<submission>` on its challenge.
    pub(crate) async fn audit_app(&self, link: &links::Link, action: &str, detail: serde_json::Value) -> Result<()> {
        self.audit
            .record(Event {
                actor: &link.actor(),
                action,
                target: &link.challenge.id,
                outcome: Outcome::Allowed,
                detail,
            })
            .await?;
        Ok(())
    }

    /// The AnoMed machine-learning form of `challenge`, built on first use.
    pub async fn ml_challenge(&self, challenge: &Challenge, actor: &str) -> Result<Arc<MlChallenge>> {
        let key = (challenge.id.clone(), challenge.version);
        if let Some(ml) = cached(&self.caches.ml, &key) {
            return Ok(ml);
        }
        let split = self.challenge_split(challenge, actor, "anomed challenge").await?;
        let spec = challenge.spec.clone();
        let ml = tokio::task::spawn_blocking(move || MlChallenge::build(&spec, &split))
            .await
            .map_err(|e| Error::internal(format!("encoding task: {e}")))??;
        let ml = Arc::new(ml);
        insert(&self.caches.ml, key, ml.clone());
        Ok(ml)
    }
}
