//! Datasets, challenges and submissions: creating, reading and changing them,
//! with the evaluations each change calls for put on the queue in the same
//! transaction (so an accepted object is never left unevaluated).

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use utoipa::ToSchema;

use crate::accounts::User;
use crate::challenge::ChallengeSpec;
use crate::context::Arena;
use crate::error::{Error, ErrorKind, Result};
use crate::store::{Store, new_id, now_ms};
use crate::submission::{Implementation, SubmissionRole, Visibility};

/// An uploaded table; its contents are in the vault under its id.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Dataset {
    /// Id (also the vault object's name).
    pub id: String,
    /// Who uploaded it.
    pub owner_id: String,
    /// A name for people.
    pub name: String,
    /// Data rows.
    pub row_count: i64,
    /// Column names.
    pub header: Vec<String>,
    /// SHA-256 of the uploaded bytes.
    pub sha256: String,
    /// Size of the upload.
    pub size_bytes: i64,
    /// Unix ms.
    pub created_at: i64,
}

/// A challenge as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Challenge {
    /// Id.
    pub id: String,
    /// Short unique name used in URLs.
    pub slug: String,
    /// Title.
    pub title: String,
    /// What it is about.
    pub description: String,
    /// The data owner who created it.
    pub owner_id: String,
    /// Its dataset.
    pub dataset_id: String,
    /// Roles, split, tasks, threat model, attacks.
    pub spec: ChallengeSpec,
    /// Incremented on every change; an edit must name the version it started from.
    pub version: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

/// A submission as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Submission {
    /// Id.
    pub id: String,
    /// Who submitted it.
    pub owner_id: String,
    /// A name for the leaderboard.
    pub name: String,
    /// Anonymizer or attack.
    pub role: SubmissionRole,
    /// How it runs and its settings.
    pub implementation: Implementation,
    /// Who else may see it.
    pub visibility: Visibility,
    /// Unix ms.
    pub created_at: i64,
}

impl Submission {
    /// Whether `user` may see this submission.
    pub fn visible_to(&self, user: Option<&User>) -> bool {
        self.visibility == Visibility::Public
            || user.is_some_and(|u| u.id == self.owner_id || u.role == crate::accounts::Role::Admin)
    }
}

/// The changes a challenge edit may make.
#[derive(Debug, Clone, Default)]
pub struct ChallengeEdit {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
}

pub(crate) fn json_text<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::internal(format!("serializing: {e}")))
}

pub(crate) fn stored_json<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| Error::internal(format!("stored {column} does not parse: {e}")))
}

fn dataset_from_row(row: &AnyRow) -> Result<Dataset> {
    Ok(Dataset {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        name: row.try_get("name")?,
        row_count: row.try_get("row_count")?,
        header: stored_json(row, "header_json")?,
        sha256: row.try_get("sha256")?,
        size_bytes: row.try_get("size_bytes")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) fn challenge_from_row(row: &AnyRow) -> Result<Challenge> {
    Ok(Challenge {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        owner_id: row.try_get("owner_id")?,
        dataset_id: row.try_get("dataset_id")?,
        spec: stored_json(row, "spec_json")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(crate) fn submission_from_row(row: &AnyRow) -> Result<Submission> {
    let role: String = row.try_get("role")?;
    let visibility: String = row.try_get("visibility")?;
    Ok(Submission {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        name: row.try_get("name")?,
        role: serde_json::from_value(serde_json::Value::String(role))?,
        implementation: stored_json(row, "implementation_json")?,
        visibility: serde_json::from_value(serde_json::Value::String(visibility))?,
        created_at: row.try_get("created_at")?,
    })
}

fn enum_text<T: Serialize>(value: &T) -> Result<String> {
    match serde_json::to_value(value)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(Error::internal(format!("expected a name, got {other}"))),
    }
}

fn check_slug(slug: &str) -> Result<()> {
    let ok = (2..=40).contains(&slug.len())
        && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid("a challenge slug has 2 to 40 characters: lowercase letters, digits and '-'"))
    }
}

fn check_name(what: &str, name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().count() > 120 {
        return Err(Error::invalid(format!("{what} must have 1 to 120 characters")));
    }
    Ok(())
}

impl Arena {
    /// Validates an uploaded CSV (it must parse, have a header and at least one
    /// row, and fit `limit` bytes), seals it in the vault and records it.
    pub async fn create_dataset(&self, owner: &User, name: &str, csv: Vec<u8>, limit: usize) -> Result<Dataset> {
        check_name("a dataset name", name)?;
        if csv.len() > limit {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!("the upload has {} bytes; the limit is {limit} bytes", csv.len()),
            ));
        }
        let display = name.to_string();
        let (csv, table_rows, header) = tokio::task::spawn_blocking(move || {
            let options = anonlab_table::io::csv::CsvOptions::default();
            let table = anonlab_table::io::csv::read_csv_bytes(&csv, &display, &options)?;
            if table.rows() == 0 {
                return Err(Error::invalid(format!("{display}: the table has a header but no data rows")));
            }
            let header: Vec<String> = table.names().map(str::to_string).collect();
            Ok::<_, Error>((csv, table.rows(), header))
        })
        .await
        .map_err(|e| Error::internal(format!("parsing task: {e}")))??;
        let id = new_id("ds");
        let info = self.vault.put(&id, &csv).await?;
        let dataset = Dataset {
            id,
            owner_id: owner.id.clone(),
            name: name.to_string(),
            row_count: table_rows as i64,
            header,
            sha256: info.sha256,
            size_bytes: info.size_bytes as i64,
            created_at: now_ms(),
        };
        sqlx::query(
            "INSERT INTO datasets (id, owner_id, name, row_count, header_json, sha256, size_bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&dataset.id)
        .bind(&dataset.owner_id)
        .bind(&dataset.name)
        .bind(dataset.row_count)
        .bind(json_text(&dataset.header)?)
        .bind(&dataset.sha256)
        .bind(dataset.size_bytes)
        .bind(dataset.created_at)
        .execute(self.store.pool())
        .await?;
        Ok(dataset)
    }

    /// Creates a challenge on a dataset and queues every anonymizer's utility run on it.
    pub async fn create_challenge(
        &self,
        owner: &User,
        slug: &str,
        title: &str,
        description: &str,
        dataset_id: &str,
        spec: ChallengeSpec,
    ) -> Result<Challenge> {
        check_slug(slug)?;
        check_name("a challenge title", title)?;
        let dataset = self.store.dataset(dataset_id).await?;
        spec.validate(&dataset.header)?;
        let now = now_ms();
        let challenge = Challenge {
            id: new_id("ch"),
            slug: slug.to_string(),
            title: title.to_string(),
            description: description.to_string(),
            owner_id: owner.id.clone(),
            dataset_id: dataset.id,
            spec,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.pool().begin().await?;
        sqlx::query(
            "INSERT INTO challenges (id, slug, title, description, owner_id, dataset_id, spec_json, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&challenge.id)
        .bind(&challenge.slug)
        .bind(&challenge.title)
        .bind(&challenge.description)
        .bind(&challenge.owner_id)
        .bind(&challenge.dataset_id)
        .bind(json_text(&challenge.spec)?)
        .bind(challenge.version)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| match Error::from(e) {
            e if e.kind() == ErrorKind::Conflict => Error::conflict(format!("the challenge slug '{slug}' is taken")),
            e => e,
        })?;
        let anonymizers: Vec<String> =
            sqlx::query_scalar("SELECT id FROM submissions WHERE role = 'anonymizer'").fetch_all(&mut *tx).await?;
        for anonymizer in anonymizers {
            crate::queue::schedule(&mut tx, &challenge, &anonymizer, None).await?;
        }
        tx.commit().await?;
        Ok(challenge)
    }

    /// Changes a challenge's title or description, if nobody changed it since
    /// `version` (else a conflict, so concurrent edits are never lost silently).
    pub async fn edit_challenge(&self, id: &str, version: i64, edit: ChallengeEdit) -> Result<Challenge> {
        let current = self.store.challenge(id).await?;
        let title = edit.title.unwrap_or(current.title);
        check_name("a challenge title", &title)?;
        let description = edit.description.unwrap_or(current.description);
        let done = sqlx::query(
            "UPDATE challenges SET title = $1, description = $2, version = version + 1, updated_at = $3 \
             WHERE id = $4 AND version = $5",
        )
        .bind(&title)
        .bind(&description)
        .bind(now_ms())
        .bind(&current.id)
        .bind(version)
        .execute(self.store.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(Error::conflict(format!(
                "the challenge changed since version {version} (now {}); reload and edit again",
                current.version
            )));
        }
        self.store.challenge(id).await
    }

    /// Records a submission and queues what it must be evaluated on.
    ///
    /// AnoMed apps are registered with [`Arena::register_anomed`], which also
    /// issues the secret they are started with.
    pub async fn create_submission(
        &self,
        owner: &User,
        name: &str,
        implementation: Implementation,
        visibility: Visibility,
    ) -> Result<Submission> {
        if implementation.anomed_service().is_some() {
            return Err(Error::invalid("AnoMed apps are registered with their challenge link; use register_anomed"));
        }
        Ok(self.insert_submission(owner, name, implementation, visibility, None).await?.0)
    }

    /// Inserts a submission, with an AnoMed link to `anomed_challenge` when
    /// given (whose secret is returned), and queues its evaluations.
    pub(crate) async fn insert_submission(
        &self,
        owner: &User,
        name: &str,
        implementation: Implementation,
        visibility: Visibility,
        anomed_challenge: Option<&str>,
    ) -> Result<(Submission, Option<String>)> {
        check_name("a submission name", name)?;
        let role = match &implementation {
            Implementation::BuiltinAnonymizer(a) => {
                a.validate()?;
                SubmissionRole::Anonymizer
            }
            Implementation::BuiltinAttack(_) => SubmissionRole::Attack,
            Implementation::AnomedAnonymizer(service) | Implementation::AnomedTabularAnonymizer(service) => {
                service.validate(false)?;
                SubmissionRole::Anonymizer
            }
            Implementation::AnomedDeanonymizer(service) => {
                service.validate(true)?;
                SubmissionRole::Attack
            }
            Implementation::Wasm { .. } => {
                return Err(Error::invalid(
                    "WebAssembly submissions are not supported yet; submit a built-in configuration",
                ));
            }
        };
        let submission = Submission {
            id: new_id("sub"),
            owner_id: owner.id.clone(),
            name: name.trim().to_string(),
            role,
            implementation,
            visibility,
            created_at: now_ms(),
        };
        let mut tx = self.store.pool().begin().await?;
        sqlx::query(
            "INSERT INTO submissions (id, owner_id, name, role, implementation_json, visibility, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&submission.id)
        .bind(&submission.owner_id)
        .bind(&submission.name)
        .bind(enum_text(&submission.role)?)
        .bind(json_text(&submission.implementation)?)
        .bind(enum_text(&submission.visibility)?)
        .bind(submission.created_at)
        .execute(&mut *tx)
        .await?;
        let secret = match anomed_challenge {
            Some(challenge) => Some(crate::anomed::links::insert(&mut tx, &submission.id, challenge).await?),
            None => None,
        };
        let challenges = sqlx::query("SELECT * FROM challenges").fetch_all(&mut *tx).await?;
        for row in &challenges {
            let challenge = challenge_from_row(row)?;
            match role {
                SubmissionRole::Anonymizer => {
                    crate::queue::schedule(&mut tx, &challenge, &submission.id, None).await?;
                }
                SubmissionRole::Attack => {
                    // Every release already made on this challenge meets the new attack.
                    let anonymizers: Vec<String> = sqlx::query_scalar(
                        "SELECT anonymizer_id FROM evaluations WHERE challenge_id = $1 AND attack_id = '' AND state = 'done'",
                    )
                    .bind(&challenge.id)
                    .fetch_all(&mut *tx)
                    .await?;
                    for anonymizer in anonymizers {
                        crate::queue::schedule(&mut tx, &challenge, &anonymizer, Some(&submission)).await?;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok((submission, secret))
    }
}

impl Store {
    /// The dataset with this id.
    pub async fn dataset(&self, id: &str) -> Result<Dataset> {
        let row = sqlx::query("SELECT * FROM datasets WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("dataset", id))?;
        dataset_from_row(&row)
    }

    /// Datasets, newest first; only `owner`'s unless `None` (admins).
    pub async fn datasets(&self, owner: Option<&str>) -> Result<Vec<Dataset>> {
        let rows = match owner {
            Some(owner) => {
                sqlx::query("SELECT * FROM datasets WHERE owner_id = $1 ORDER BY created_at DESC")
                    .bind(owner)
                    .fetch_all(self.pool())
                    .await?
            }
            None => sqlx::query("SELECT * FROM datasets ORDER BY created_at DESC").fetch_all(self.pool()).await?,
        };
        rows.iter().map(dataset_from_row).collect()
    }

    /// The challenge with this id or slug.
    pub async fn challenge(&self, id_or_slug: &str) -> Result<Challenge> {
        let row = sqlx::query("SELECT * FROM challenges WHERE id = $1 OR slug = $1")
            .bind(id_or_slug)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("challenge", id_or_slug))?;
        challenge_from_row(&row)
    }

    /// Every challenge, oldest first.
    pub async fn challenges(&self) -> Result<Vec<Challenge>> {
        let rows = sqlx::query("SELECT * FROM challenges ORDER BY created_at, slug").fetch_all(self.pool()).await?;
        rows.iter().map(challenge_from_row).collect()
    }

    /// The submission with this id.
    pub async fn submission(&self, id: &str) -> Result<Submission> {
        let row = sqlx::query("SELECT * FROM submissions WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("submission", id))?;
        submission_from_row(&row)
    }

    /// Every submission `viewer` may see, oldest first.
    pub async fn submissions(&self, viewer: Option<&User>) -> Result<Vec<Submission>> {
        let rows =
            sqlx::query("SELECT * FROM submissions ORDER BY created_at, name, id").fetch_all(self.pool()).await?;
        let all: Result<Vec<Submission>> = rows.iter().map(submission_from_row).collect();
        Ok(all?.into_iter().filter(|s| s.visible_to(viewer)).collect())
    }
}
