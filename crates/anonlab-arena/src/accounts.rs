//! Accounts, roles and credentials.
//!
//! Passwords are hashed with Argon2id (the `argon2` crate's defaults, OWASP's
//! minimum: 19 MiB, 2 passes); sessions and API tokens are 256-bit random
//! secrets of which only a SHA-256 is stored, so a copy of the database grants
//! no access. Hashing takes tens of milliseconds on purpose: callers on an async
//! runtime get it on a blocking thread.

use std::fmt;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::store::{Store, new_id, now_ms, random_bytes};

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Everything, including other users' objects.
    Admin,
    /// Uploads datasets and creates challenges from them.
    DataOwner,
    /// Submits anonymizers and attacks.
    Researcher,
}

impl Role {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DataOwner => "data-owner",
            Role::Researcher => "researcher",
        }
    }

    /// Parses a stored or requested role name.
    pub fn parse(name: &str) -> Result<Role> {
        match name {
            "admin" => Ok(Role::Admin),
            "data-owner" => Ok(Role::DataOwner),
            "researcher" => Ok(Role::Researcher),
            other => Err(Error::invalid(format!("unknown role '{other}' (admin, data-owner, researcher)"))),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user as the rest of the platform sees it (never with the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct User {
    /// Stable id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// What the user may do.
    pub role: Role,
}

/// Whether a credential is a browser session (cookie + CSRF token) or an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A browser session: sent as a cookie, forms must carry its CSRF token.
    Session,
    /// A bearer token for scripts: not sent automatically by browsers, so no CSRF.
    ApiToken,
}

impl CredentialKind {
    fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Session => "session",
            CredentialKind::ApiToken => "api-token",
        }
    }
}

/// A freshly issued credential: the secret is shown once and never stored.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The secret to send back (cookie value or bearer token).
    pub secret: String,
    /// The token forms of this session must carry.
    pub csrf_token: String,
    /// When it stops working (Unix ms).
    pub expires_at: i64,
}

/// Who is calling, resolved from a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user: User,
    /// How they authenticated.
    pub kind: CredentialKind,
    /// The session's CSRF token (empty for API tokens).
    pub csrf_token: String,
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

pub(crate) fn hash_secret(secret: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(secret.as_bytes()))
}

pub(crate) fn random_secret() -> String {
    data_encoding::BASE64URL_NOPAD.encode(&random_bytes::<32>())
}

/// A random password for the first admin account.
pub fn random_password() -> String {
    data_encoding::BASE64URL_NOPAD.encode(&random_bytes::<15>())
}

fn check_username(username: &str) -> Result<()> {
    let ok = (3..=40).contains(&username.chars().count())
        && username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok { Ok(()) } else { Err(Error::invalid("a username has 3 to 40 characters: letters, digits, '-', '_' or '.'")) }
}

fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(format!("a password needs at least {MIN_PASSWORD_CHARS} characters")));
    }
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(|e| Error::internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(format!("password hashing failed: {e}")))
}

fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash to verify against when the user does not exist, so that a login for
/// an unknown name takes as long as one with a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password never issued").expect("hashing a fixed password works"))
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User> {
    Ok(User { id: row.try_get("id")?, username: row.try_get("username")?, role: Role::parse(row.try_get("role")?)? })
}

impl Store {
    /// Creates a user. Hashing runs on a blocking thread.
    pub async fn create_user(&self, username: &str, password: &str, role: Role) -> Result<User> {
        check_username(username)?;
        let password = password.to_string();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| Error::internal(format!("hashing task: {e}")))??;
        let user = User { id: new_id("usr"), username: username.to_string(), role };
        sqlx::query("INSERT INTO users (id, username, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&user.id)
            .bind(&user.username)
            .bind(hash)
            .bind(role.as_str())
            .bind(now_ms())
            .execute(self.pool())
            .await
            .map_err(|e| match Error::from(e) {
                e if e.kind() == crate::ErrorKind::Conflict => {
                    Error::conflict(format!("the username '{username}' is taken"))
                }
                e => e,
            })?;
        Ok(user)
    }

    /// Checks a username and password; the same error for an unknown user and a
    /// wrong password, so names cannot be probed.
    pub async fn login(&self, username: &str, password: &str) -> Result<User> {
        let row = sqlx::query("SELECT id, username, role, password_hash FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(self.pool())
            .await?;
        let (user, stored) = match &row {
            Some(row) => (Some(user_from_row(row)?), row.try_get::<String, _>("password_hash")?),
            None => (None, decoy_hash().to_string()),
        };
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
            .await
            .map_err(|e| Error::internal(format!("hashing task: {e}")))?;
        match user {
            Some(user) if ok => Ok(user),
            _ => Err(Error::unauthenticated("wrong username or password")),
        }
    }

    /// The user with this id.
    pub async fn user(&self, id: &str) -> Result<User> {
        let row = sqlx::query("SELECT id, username, role FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("user", id))?;
        user_from_row(&row)
    }

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT id, username, role FROM users ORDER BY username").fetch_all(self.pool()).await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Whether any user exists (false on a fresh platform).
    pub async fn has_users(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(self.pool()).await?;
        Ok(n > 0)
    }

    /// Issues a session or API token for `user`, valid for `ttl`.
    pub async fn issue_credential(
        &self,
        user: &User,
        kind: CredentialKind,
        name: &str,
        ttl: Duration,
    ) -> Result<Issued> {
        let issued = Issued {
            secret: random_secret(),
            csrf_token: if kind == CredentialKind::Session { random_secret() } else { String::new() },
            expires_at: now_ms() + ttl.as_millis() as i64,
        };
        sqlx::query(
            "INSERT INTO credentials (token_hash, user_id, kind, name, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(hash_secret(&issued.secret))
        .bind(&user.id)
        .bind(kind.as_str())
        .bind(name)
        .bind(&issued.csrf_token)
        .bind(now_ms())
        .bind(issued.expires_at)
        .execute(self.pool())
        .await?;
        Ok(issued)
    }

    /// Resolves a presented secret to its user, if it is known and unexpired.
    pub async fn authenticate(&self, secret: &str) -> Result<Principal> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.role, c.kind, c.csrf_token, c.expires_at \
             FROM credentials c JOIN users u ON u.id = c.user_id WHERE c.token_hash = $1",
        )
        .bind(hash_secret(secret))
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| Error::unauthenticated("unknown or revoked credential"))?;
        let expires_at: i64 = row.try_get("expires_at")?;
        if expires_at <= now_ms() {
            return Err(Error::unauthenticated("the credential has expired; sign in again"));
        }
        let kind = if row.try_get::<String, _>("kind")? == "session" {
            CredentialKind::Session
        } else {
            CredentialKind::ApiToken
        };
        Ok(Principal { user: user_from_row(&row)?, kind, csrf_token: row.try_get("csrf_token")? })
    }

    /// Revokes a credential (sign-out); unknown secrets are ignored.
    pub async fn revoke_credential(&self, secret: &str) -> Result<()> {
        sqlx::query("DELETE FROM credentials WHERE token_hash = $1")
            .bind(hash_secret(secret))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Removes expired credentials.
    pub async fn purge_expired_credentials(&self) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM credentials WHERE expires_at <= $1").bind(now_ms()).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }
}
