//! The JSON API under `/api/v1`, through the whole router with `oneshot` (no
//! socket), on SQLite and on the PostgreSQL server at 127.0.0.1:5432 (skipped,
//! with a message, when none answers); plus one smoke test over a real socket.
//!
//! The authorization matrix sends every route as every kind of caller and
//! checks the status, that every refusal was audited, and that every read of
//! a dataset was audited; the audit chain is then verified and searched for
//! any password or token.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anonlab_arena::accounts::{CredentialKind, Issued, Role, User};
use anonlab_arena::audit::Entry;
use anonlab_arena::catalog::{Challenge, Dataset, Submission};
use anonlab_arena::challenge::ChallengeSpec;
use anonlab_arena::submission::{BuiltinAnonymizer, Implementation, Visibility};
use anonlab_arena::testing::TestDb;
use anonlab_server::ServerConfig;
use anonlab_server::http::{AppState, router};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

// ---------------------------------------------------------------------------
// The platform under test
// ---------------------------------------------------------------------------

/// A small patient table: quasi-identifiers age, sex, zip; diagnosis sensitive.
const CSV: &str = "age,sex,zip,diagnosis\n\
    34,F,13053,flu\n35,M,13068,asthma\n36,F,13053,flu\n47,M,14850,diabetes\n48,F,14853,asthma\n\
    49,M,14850,flu\n52,F,13053,diabetes\n53,M,13068,flu\n54,F,14853,asthma\n61,M,14850,flu\n\
    62,F,13068,diabetes\n63,M,13053,asthma\n29,F,14853,flu\n28,M,13068,flu\n27,F,14850,asthma\n\
    41,M,13053,diabetes\n42,F,13068,flu\n43,M,14853,asthma\n57,F,14850,flu\n58,M,13053,diabetes\n";

fn spec() -> Value {
    json!({
        "columns": [
            { "name": "age", "role": "quasi-identifier", "hierarchy": { "kind": "intervals", "widths": [10, 20] } },
            { "name": "sex", "role": "quasi-identifier", "hierarchy": { "kind": "flat" } },
            { "name": "zip", "role": "quasi-identifier", "hierarchy": { "kind": "masking" } },
            { "name": "diagnosis", "role": "sensitive" }
        ],
        "threat_model": { "aux_cols": ["age", "sex", "zip"], "secret": "diagnosis", "n_attacks": 10 }
    })
}

/// Who calls: the columns of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Researcher,
    OtherResearcher,
    Owner,
    OtherOwner,
    Admin,
}

const CALLERS: [Who; 6] =
    [Who::Anonymous, Who::Researcher, Who::OtherResearcher, Who::Owner, Who::OtherOwner, Who::Admin];

/// A signed-up user with a bearer token and a browser session.
struct Account {
    user: User,
    password: String,
    token: String,
    session: Issued,
}

/// A platform with one account per role (two researchers, two data owners),
/// the owner's dataset and challenge, and the researcher's public and private
/// anonymizers.
struct Platform {
    db: TestDb,
    app: Router,
    accounts: Vec<(Who, Account)>,
    dataset: Dataset,
    challenge: Challenge,
    public: Submission,
    private: Submission,
    /// Every password and token used, none of which may reach the audit log.
    secrets: std::sync::Mutex<Vec<String>>,
    counter: AtomicUsize,
}

fn config() -> ServerConfig {
    ServerConfig { demo: false, logins_per_minute: 100_000, uploads_per_minute: 100_000, ..ServerConfig::default() }
}

impl Platform {
    async fn new(db: TestDb, config: ServerConfig) -> Platform {
        let arena = db.arena.clone();
        let mut accounts = Vec::new();
        let mut secrets = Vec::new();
        for (who, name, role) in [
            (Who::Researcher, "rita", Role::Researcher),
            (Who::OtherResearcher, "oscar", Role::Researcher),
            (Who::Owner, "olga", Role::DataOwner),
            (Who::OtherOwner, "otto", Role::DataOwner),
            (Who::Admin, "ada", Role::Admin),
        ] {
            let password = format!("{name}'s password is long enough");
            let user = arena.store.create_user(name, &password, role).await.unwrap();
            let token = arena
                .store
                .issue_credential(&user, CredentialKind::ApiToken, "tests", Duration::from_secs(3600))
                .await
                .unwrap()
                .secret;
            let session = arena
                .store
                .issue_credential(&user, CredentialKind::Session, "browser", Duration::from_secs(3600))
                .await
                .unwrap();
            secrets.extend([password.clone(), token.clone(), session.secret.clone()]);
            accounts.push((who, Account { user, password, token, session }));
        }
        let account = |who| &accounts.iter().find(|(w, _)| *w == who).unwrap().1;
        let owner = account(Who::Owner).user.clone();
        let researcher = account(Who::Researcher).user.clone();
        let dataset = arena.create_dataset(&owner, "patients", CSV.as_bytes().to_vec(), usize::MAX).await.unwrap();
        let spec: ChallengeSpec = serde_json::from_value(spec()).unwrap();
        let challenge =
            arena.create_challenge(&owner, "clinic", "Clinic", "A small clinic.", &dataset.id, spec).await.unwrap();
        let mondrian = |k| Implementation::BuiltinAnonymizer(BuiltinAnonymizer::Mondrian { k });
        let public =
            arena.create_submission(&researcher, "rita-public", mondrian(2), Visibility::Public).await.unwrap();
        let private =
            arena.create_submission(&researcher, "rita-private", mondrian(3), Visibility::Private).await.unwrap();
        let app = router(AppState::new(arena, config).unwrap());
        Platform {
            db,
            app,
            accounts,
            dataset,
            challenge,
            public,
            private,
            secrets: std::sync::Mutex::new(secrets),
            counter: AtomicUsize::new(0),
        }
    }

    fn account(&self, who: Who) -> &Account {
        &self.accounts.iter().find(|(w, _)| *w == who).expect("an account per signed-in caller").1
    }

    fn token(&self, who: Who) -> Option<&str> {
        (who != Who::Anonymous).then(|| self.account(who).token.as_str())
    }

    fn next(&self) -> usize {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    fn secret(&self, secret: impl Into<String>) {
        self.secrets.lock().unwrap().push(secret.into());
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        send(&self.app, request).await
    }

    /// `method uri` as `who` (bearer token), with an optional body.
    async fn call(&self, method: Method, uri: &str, who: Who, body: Payload) -> Reply {
        self.send(build(method, uri, self.token(who).map(Auth::Bearer).unwrap_or(Auth::None), body)).await
    }

    async fn get(&self, uri: &str, who: Who) -> Reply {
        self.call(Method::GET, uri, who, Payload::None).await
    }

    async fn post(&self, uri: &str, who: Who, body: Value) -> Reply {
        self.call(Method::POST, uri, who, Payload::Json(body)).await
    }

    async fn upload(&self, uri: &str, who: Who, content_type: &'static str, bytes: Vec<u8>) -> Reply {
        self.call(Method::POST, uri, who, Payload::Raw(content_type, bytes)).await
    }

    async fn audit_head(&self) -> i64 {
        self.db.arena.audit.recent(1).await.unwrap().first().map_or(0, |e| e.seq)
    }

    async fn audit_since(&self, seq: i64) -> Vec<Entry> {
        let mut entries = self.db.arena.audit.recent(1000).await.unwrap();
        entries.retain(|e| e.seq > seq);
        entries
    }
}

/// How a request authenticates.
enum Auth<'a> {
    None,
    Bearer(&'a str),
    Cookie { secret: &'a str, csrf: Option<&'a str> },
}

/// A request body.
enum Payload {
    None,
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

fn build(method: Method, uri: &str, auth: Auth<'_>, body: Payload) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(uri).header(header::HOST, "localhost:8080");
    match auth {
        Auth::None => {}
        Auth::Bearer(token) => request = request.header(header::AUTHORIZATION, format!("Bearer {token}")),
        Auth::Cookie { secret, csrf } => {
            request = request.header(header::COOKIE, format!("theme=dark; anonlab_session={secret}"));
            if let Some(csrf) = csrf {
                request = request.header("x-csrf-token", csrf);
            }
        }
    }
    let body = match body {
        Payload::None => Body::empty(),
        Payload::Json(value) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(value.to_string())
        }
        Payload::Raw(content_type, bytes) => {
            request = request.header(header::CONTENT_TYPE, content_type).header(header::CONTENT_LENGTH, bytes.len());
            Body::from(bytes)
        }
    };
    request.body(body).unwrap()
}

/// A response, read in full.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {}", self.status, String::from_utf8_lossy(&self.body)))
    }

    /// The error code of an error response (and checks the shape).
    fn code(&self) -> String {
        let body = self.json();
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
        body["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code: {body}")).to_string()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec();
    Reply { status, headers, body }
}

/// Runs `test` on a fresh platform over each backend.
macro_rules! on_both_backends {
    ($config:expr, |$platform:ident, $backend:ident| $body:block) => {
        for db in TestDb::both().await {
            let $backend = db.backend;
            eprintln!("-- {}", $backend);
            let $platform = Platform::new(db, $config).await;
            $body
            $platform.db.drop_database().await;
        }
    };
}

// ---------------------------------------------------------------------------
// The authorization matrix
// ---------------------------------------------------------------------------

/// What replaces a `{param}` of a route.
#[derive(Debug, Clone, Copy)]
enum Fill {
    Dataset,
    Challenge,
    Slug,
    Public,
    Private,
}

/// The body a matrix row sends.
#[derive(Debug, Clone, Copy)]
enum Send {
    Nothing,
    /// The researcher's username and password.
    Login,
    Token,
    Register,
    RegisterOwner,
    Csv,
    NewChallenge,
    /// The challenge's current version and a new title.
    Edit,
    NewSubmission,
}

struct Row {
    method: Method,
    route: &'static str,
    fill: &'static [Fill],
    send: Send,
    /// Anonymous, researcher, other researcher, owner, other owner, admin.
    expect: [u16; 6],
    /// Whether the route resolves the caller (a forged token is then a 401).
    caller: bool,
    /// The audit action a successful call must record (data access).
    records: Option<&'static str>,
}

fn row(method: Method, route: &'static str, fill: &'static [Fill], send: Send, expect: [u16; 6]) -> Row {
    Row { method, route, fill, send, expect, caller: true, records: None }
}

/// Every route of the API, with who may do what.
fn matrix() -> Vec<Row> {
    use Fill::*;
    let get = || Method::GET;
    let post = || Method::POST;
    vec![
        Row { caller: false, ..row(get(), "/api/v1/openapi.json", &[], Send::Nothing, [200; 6]) },
        Row { caller: false, ..row(post(), "/api/v1/auth/login", &[], Send::Login, [200; 6]) },
        row(post(), "/api/v1/auth/logout", &[], Send::Nothing, [401, 204, 204, 204, 204, 204]),
        Row { caller: false, ..row(post(), "/api/v1/tokens", &[], Send::Token, [201; 6]) },
        row(get(), "/api/v1/me", &[], Send::Nothing, [401, 200, 200, 200, 200, 200]),
        row(post(), "/api/v1/users", &[], Send::Register, [201; 6]),
        row(post(), "/api/v1/users", &[], Send::RegisterOwner, [401, 403, 403, 403, 403, 201]),
        Row {
            records: Some("user.list"),
            ..row(get(), "/api/v1/users", &[], Send::Nothing, [401, 403, 403, 403, 403, 200])
        },
        row(post(), "/api/v1/datasets", &[], Send::Csv, [401, 403, 403, 201, 201, 201]),
        Row {
            records: Some("dataset.list"),
            ..row(get(), "/api/v1/datasets", &[], Send::Nothing, [401, 403, 403, 200, 200, 200])
        },
        Row {
            records: Some("dataset.metadata"),
            ..row(get(), "/api/v1/datasets/{id}", &[Dataset], Send::Nothing, [401, 403, 403, 200, 403, 200])
        },
        Row {
            records: Some("dataset.read"),
            ..row(get(), "/api/v1/datasets/{id}/download", &[Dataset], Send::Nothing, [401, 403, 403, 200, 403, 200])
        },
        row(get(), "/api/v1/challenges", &[], Send::Nothing, [200; 6]),
        row(post(), "/api/v1/challenges", &[], Send::NewChallenge, [401, 403, 403, 201, 403, 201]),
        row(get(), "/api/v1/challenges/{id}", &[Challenge], Send::Nothing, [200; 6]),
        row(get(), "/api/v1/challenges/{id}", &[Slug], Send::Nothing, [200; 6]),
        row(Method::PATCH, "/api/v1/challenges/{id}", &[Challenge], Send::Edit, [401, 403, 403, 200, 403, 200]),
        row(get(), "/api/v1/challenges/{id}/leaderboard", &[Slug], Send::Nothing, [200; 6]),
        row(get(), "/api/v1/challenges/{id}/entries/{submission_id}", &[Challenge, Public], Send::Nothing, [200; 6]),
        row(
            get(),
            "/api/v1/challenges/{id}/entries/{submission_id}",
            &[Challenge, Private],
            Send::Nothing,
            [404, 200, 404, 404, 404, 200],
        ),
        row(post(), "/api/v1/submissions", &[], Send::NewSubmission, [401, 201, 201, 403, 403, 201]),
        row(get(), "/api/v1/submissions", &[], Send::Nothing, [200; 6]),
        row(get(), "/api/v1/submissions/{id}", &[Public], Send::Nothing, [200; 6]),
        row(get(), "/api/v1/submissions/{id}", &[Private], Send::Nothing, [404, 200, 404, 404, 404, 200]),
        Row {
            records: Some("audit.read"),
            ..row(get(), "/api/v1/audit", &[], Send::Nothing, [401, 403, 403, 403, 403, 200])
        },
        row(get(), "/api/v1/audit/verify", &[], Send::Nothing, [401, 403, 403, 403, 403, 200]),
        row(get(), "/api/v1/queue", &[], Send::Nothing, [401, 200, 200, 200, 200, 200]),
        row(get(), "/api/v1/catalog", &[], Send::Nothing, [200; 6]),
    ]
}

impl Platform {
    fn fill(&self, row: &Row) -> String {
        let mut fills = row.fill.iter();
        row.route
            .split('/')
            .map(|segment| {
                if !segment.starts_with('{') {
                    return segment.to_string();
                }
                match fills.next().expect("a fill per parameter") {
                    Fill::Dataset => self.dataset.id.clone(),
                    Fill::Challenge => self.challenge.id.clone(),
                    Fill::Slug => self.challenge.slug.clone(),
                    Fill::Public => self.public.id.clone(),
                    Fill::Private => self.private.id.clone(),
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    async fn payload(&self, send: Send) -> Payload {
        let n = self.next();
        let researcher = self.account(Who::Researcher);
        match send {
            Send::Nothing => Payload::None,
            Send::Login => {
                Payload::Json(json!({ "username": researcher.user.username, "password": researcher.password }))
            }
            Send::Token => Payload::Json(
                json!({ "username": researcher.user.username, "password": researcher.password, "name": format!("script {n}") }),
            ),
            Send::Register | Send::RegisterOwner => {
                let password = format!("registration password number {n}");
                self.secret(password.clone());
                let role = if matches!(send, Send::Register) { "researcher" } else { "data-owner" };
                Payload::Json(json!({ "username": format!("new-user-{n}"), "password": password, "role": role }))
            }
            Send::Csv => Payload::Raw("text/csv", CSV.as_bytes().to_vec()),
            Send::NewChallenge => Payload::Json(json!({
                "slug": format!("clinic-{n}"),
                "title": "Another clinic",
                "dataset_id": self.dataset.id,
                "spec": spec(),
            })),
            Send::Edit => {
                let version = self.db.arena.store.challenge(&self.challenge.id).await.unwrap().version;
                Payload::Json(json!({ "version": version, "title": format!("Clinic, edit {n}") }))
            }
            Send::NewSubmission => Payload::Json(json!({
                "name": format!("mondrian {n}"),
                "implementation": { "kind": "builtin-anonymizer", "algorithm": "mondrian", "k": 4 },
                "visibility": "private",
            })),
        }
    }

    /// The URI of a row (the upload names its dataset in the query).
    fn uri(&self, row: &Row) -> String {
        let path = self.fill(row);
        if matches!(row.send, Send::Csv) { format!("{path}?name=upload%20{}", self.next()) } else { path }
    }

    /// The credential a row is sent with: sign-out gets a token of its own,
    /// so the caller's usual token keeps working.
    async fn credential(&self, row: &Row, who: Who) -> Option<String> {
        if who == Who::Anonymous {
            return None;
        }
        if row.route == "/api/v1/auth/logout" {
            let user = &self.account(who).user;
            let issued = self
                .db
                .arena
                .store
                .issue_credential(user, CredentialKind::ApiToken, "to revoke", Duration::from_secs(60))
                .await
                .unwrap();
            self.secret(issued.secret.clone());
            return Some(issued.secret);
        }
        self.token(who).map(str::to_string)
    }
}

/// Every route × every caller: the status, the audit of refusals and data
/// reads, forged tokens; then the audit chain is intact and holds no secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_matrix_on_every_route_and_caller() {
    on_both_backends!(config(), |p, backend| {
        let mut checked = 0;
        for row in matrix() {
            for (column, who) in CALLERS.into_iter().enumerate() {
                let uri = p.uri(&row);
                let payload = p.payload(row.send).await;
                let credential = p.credential(&row, who).await;
                let auth = credential.as_deref().map_or(Auth::None, Auth::Bearer);
                let before = p.audit_head().await;
                let reply = p.send(build(row.method.clone(), &uri, auth, payload)).await;
                let what = format!("{backend}: {} {} as {who:?}", row.method, row.route);
                assert_eq!(reply.status.as_u16(), row.expect[column], "{what}: {}", reply.text());
                let entries = p.audit_since(before).await;
                let hidden = reply.status == StatusCode::NOT_FOUND;
                if reply.status.is_client_error() {
                    reply.code();
                }
                if matches!(reply.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) || hidden {
                    assert!(entries.iter().any(|e| e.outcome == "denied"), "{what}: refusal not audited: {entries:?}");
                }
                if let Some(action) = row.records.filter(|_| reply.status.is_success()) {
                    assert!(
                        entries
                            .iter()
                            .any(|e| e.action == action && e.outcome == "allowed" && e.actor == p.account(who).user.id),
                        "{what}: {action} not audited: {entries:?}"
                    );
                }
                checked += 1;
            }
            // A forged token is refused (and audited) wherever a caller is resolved.
            let uri = p.uri(&row);
            let payload = p.payload(row.send).await;
            let before = p.audit_head().await;
            let reply = p.send(build(row.method.clone(), &uri, Auth::Bearer("forged-token-0123456789"), payload)).await;
            let what = format!("{backend}: {} {} with a forged token", row.method, row.route);
            if row.caller {
                assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{what}: {}", reply.text());
                assert_eq!(reply.code(), "unauthenticated");
                assert_eq!(reply.headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
                let entries = p.audit_since(before).await;
                assert!(entries.iter().any(|e| e.outcome == "denied" && e.action == "auth"), "{what}: {entries:?}");
            } else {
                assert_eq!(reply.status.as_u16(), row.expect[0], "{what}: {}", reply.text());
            }
        }
        assert_eq!(checked, matrix().len() * CALLERS.len());

        // Researchers were refused raw data, and the chain holds.
        let entries = p.db.arena.audit.recent(100_000).await.unwrap();
        let researcher = &p.account(Who::Researcher).user.id;
        assert!(
            entries.iter().any(|e| e.actor == *researcher && e.action == "dataset.read" && e.outcome == "denied"),
            "{backend}"
        );
        let verification = p.db.arena.audit.verify().await.unwrap();
        assert!(verification.intact, "{backend}: {verification:?}");
        assert_eq!(verification.entries as usize, entries.len());
        let reply = p.get("/api/v1/audit/verify", Who::Admin).await;
        assert_eq!(reply.json()["intact"], true, "{backend}");
        assert_no_secrets_in_audit(&p, &entries);
    });
}

fn assert_no_secrets_in_audit(p: &Platform, entries: &[Entry]) {
    let secrets = p.secrets.lock().unwrap();
    assert!(secrets.len() >= 15);
    for entry in entries {
        let text = format!("{} {} {} {} {}", entry.actor, entry.action, entry.target, entry.outcome, entry.detail);
        for secret in secrets.iter() {
            assert!(!text.contains(secret.as_str()), "a secret is in audit entry {}: {entry:?}", entry.seq);
        }
    }
}

/// An expired token and a revoked session are refused, never taken for anonymous.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_revoked_credentials_are_refused() {
    on_both_backends!(config(), |p, backend| {
        let user = &p.account(Who::Researcher).user;
        let expired =
            p.db.arena.store.issue_credential(user, CredentialKind::ApiToken, "expired", Duration::ZERO).await.unwrap();
        for uri in ["/api/v1/me", "/api/v1/challenges", "/api/v1/catalog"] {
            let reply = p.send(build(Method::GET, uri, Auth::Bearer(&expired.secret), Payload::None)).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{backend} {uri}: {}", reply.text());
            assert!(reply.json()["error"]["message"].as_str().unwrap().contains("expired"), "{}", reply.text());
        }
        // A malformed Authorization header is a 401 too.
        let request =
            Request::get("/api/v1/me").header(header::AUTHORIZATION, "Basic YWRhOmFkYQ==").body(Body::empty());
        assert_eq!(p.send(request.unwrap()).await.status, StatusCode::UNAUTHORIZED);

        // A session cookie that was revoked is a 401 on the API.
        let session = &p.account(Who::Researcher).session;
        let cookie = Auth::Cookie { secret: &session.secret, csrf: Some(&session.csrf_token) };
        let reply = p.send(build(Method::POST, "/api/v1/auth/logout", cookie, Payload::None)).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
        let cookie = Auth::Cookie { secret: &session.secret, csrf: None };
        let reply = p.send(build(Method::GET, "/api/v1/me", cookie, Payload::None)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{backend}");
        // The revoked bearer token of a logout too.
        let token = p.account(Who::Admin).token.clone();
        let reply = p.send(build(Method::POST, "/api/v1/auth/logout", Auth::Bearer(&token), Payload::None)).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT);
        let reply = p.send(build(Method::GET, "/api/v1/me", Auth::Bearer(&token), Payload::None)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        p.secret(expired.secret);
        let entries = p.db.arena.audit.recent(1000).await.unwrap();
        assert_no_secrets_in_audit(&p, &entries);
    });
}

/// Bearer tokens need no CSRF token; the session cookie does, on every
/// change, and a cross-site Origin is refused even with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_sessions_need_the_csrf_token_and_the_same_origin() {
    on_both_backends!(config(), |p, backend| {
        let session = &p.account(Who::Researcher).session;
        let submission = || {
            Payload::Json(json!({
                "name": "by cookie",
                "implementation": { "kind": "builtin-anonymizer", "algorithm": "identity" },
            }))
        };
        // Reads with the cookie need no CSRF token; `me` hands it out.
        let cookie = Auth::Cookie { secret: &session.secret, csrf: None };
        let reply = p.send(build(Method::GET, "/api/v1/me", cookie, Payload::None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}: {}", reply.text());
        assert_eq!(reply.json()["credential"], "session");
        assert_eq!(reply.json()["csrf_token"], session.csrf_token.as_str());
        assert_eq!(reply.json()["user"]["username"], "rita");

        for (csrf, expected) in [(None, 403), (Some("wrong-token"), 403), (Some(""), 403)] {
            let before = p.audit_head().await;
            let cookie = Auth::Cookie { secret: &session.secret, csrf };
            let reply = p.send(build(Method::POST, "/api/v1/submissions", cookie, submission())).await;
            assert_eq!(reply.status.as_u16(), expected, "{backend} {csrf:?}: {}", reply.text());
            assert_eq!(reply.code(), "csrf");
            assert!(p.audit_since(before).await.iter().any(|e| e.outcome == "denied"));
        }
        let cookie = Auth::Cookie { secret: &session.secret, csrf: Some(&session.csrf_token) };
        let reply = p.send(build(Method::POST, "/api/v1/submissions", cookie, submission())).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{backend}: {}", reply.text());

        // The owner's PATCH by cookie needs it too.
        let owner = &p.account(Who::Owner).session;
        let edit = || Payload::Json(json!({ "version": 1, "title": "By cookie" }));
        let uri = format!("/api/v1/challenges/{}", p.challenge.id);
        let reply =
            p.send(build(Method::PATCH, &uri, Auth::Cookie { secret: &owner.secret, csrf: None }, edit())).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.code(), "csrf");
        // Another session's CSRF token does not fit this session.
        let other = Auth::Cookie { secret: &owner.secret, csrf: Some(&session.csrf_token) };
        assert_eq!(p.send(build(Method::PATCH, &uri, other, edit())).await.status, StatusCode::FORBIDDEN);
        let right = Auth::Cookie { secret: &owner.secret, csrf: Some(&owner.csrf_token) };
        assert_eq!(p.send(build(Method::PATCH, &uri, right, edit())).await.status, StatusCode::OK);

        // Bearer tokens are not sent by browsers on their own: no CSRF token needed.
        let bearer = Auth::Bearer(&p.account(Who::Researcher).token);
        assert_eq!(
            p.send(build(Method::POST, "/api/v1/submissions", bearer, submission())).await.status,
            StatusCode::CREATED
        );

        // A cross-site Origin is refused, even with the right token; the same site is not.
        for (origin, expected) in [("https://evil.example", 403), ("http://localhost:8080", 201)] {
            let cookie = Auth::Cookie { secret: &session.secret, csrf: Some(&session.csrf_token) };
            let mut request = build(Method::POST, "/api/v1/submissions", cookie, submission());
            request.headers_mut().insert(header::ORIGIN, origin.parse().unwrap());
            let reply = p.send(request).await;
            assert_eq!(reply.status.as_u16(), expected, "{backend} {origin}: {}", reply.text());
        }
        let mut request = build(
            Method::POST,
            "/api/v1/auth/login",
            Auth::None,
            Payload::Json(json!({ "username": "rita", "password": p.account(Who::Researcher).password })),
        );
        request.headers_mut().insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert_eq!(p.send(request).await.status, StatusCode::FORBIDDEN, "cross-site sign-in");
        let refusals = p.db.arena.audit.recent(1000).await.unwrap();
        let cross_site = refusals.iter().filter(|e| e.action == "request.cross-site" && e.outcome == "denied").count();
        assert_eq!(cross_site, 2, "{backend}: every cross-site refusal is audited");
    });
}

/// Sign-in sets a strict, HTTP-only cookie and is rate-limited per client;
/// tokens work as bearer credentials; attempts are audited without passwords.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_sets_a_strict_cookie_issues_tokens_and_is_rate_limited() {
    let limited = ServerConfig { logins_per_minute: 4, ..config() };
    on_both_backends!(limited.clone(), |p, backend| {
        let rita = p.account(Who::Researcher);
        let login = |password: &str| json!({ "username": "rita", "password": password });
        let reply = p.post("/api/v1/auth/login", Who::Anonymous, login(&rita.password)).await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}: {}", reply.text());
        let cookie = reply.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
        assert!(cookie.starts_with("anonlab_session="), "{cookie}");
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
            assert!(cookie.split("; ").any(|a| a == attribute), "{attribute} missing: {cookie}");
        }
        assert!(!cookie.contains("Secure"), "{cookie}");
        let body = reply.json();
        assert_eq!(body["user"]["role"], "researcher");
        let secret = cookie.trim_start_matches("anonlab_session=").split(';').next().unwrap().to_string();
        p.secret(secret.clone());
        // The cookie signs the next request in.
        let csrf = body["csrf_token"].as_str().unwrap();
        let reply =
            p.send(build(Method::GET, "/api/v1/me", Auth::Cookie { secret: &secret, csrf: None }, Payload::None)).await;
        assert_eq!(reply.json()["csrf_token"], csrf);

        let wrong = "not rita's password at all";
        p.secret(wrong);
        let reply = p.post("/api/v1/auth/login", Who::Anonymous, login(wrong)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.code(), "unauthenticated");
        // An unknown name gets the same answer; a password typed as the name is not recorded.
        let typed_as_name = "rita-password-in-the-name-field";
        p.secret(typed_as_name);
        let reply =
            p.post("/api/v1/auth/login", Who::Anonymous, json!({ "username": typed_as_name, "password": wrong })).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);

        // A token: 201, shown once, works as a bearer credential.
        let reply = p
            .post(
                "/api/v1/tokens",
                Who::Anonymous,
                json!({ "username": "rita", "password": rita.password, "name": "ci" }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        let token = reply.json()["token"].as_str().unwrap().to_string();
        p.secret(token.clone());
        let days = (reply.json()["expires_at"].as_i64().unwrap() - anonlab_arena::now_ms()) as f64 / 86_400_000.0;
        assert!((days - 30.0).abs() < 0.01, "{days}");
        let reply = p.send(build(Method::GET, "/api/v1/me", Auth::Bearer(&token), Payload::None)).await;
        assert_eq!(reply.json()["credential"], "api-token");
        assert!(reply.json().get("csrf_token").is_none());

        // The fifth attempt in a minute from this client is refused, right password or not.
        let reply = p.post("/api/v1/auth/login", Who::Anonymous, login(&rita.password)).await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{backend}");
        assert_eq!(reply.code(), "rate_limited");
        let reply = p
            .post(
                "/api/v1/tokens",
                Who::Anonymous,
                json!({ "username": "rita", "password": rita.password, "name": "x" }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);

        let entries = p.db.arena.audit.recent(1000).await.unwrap();
        let logins: Vec<(&str, &str, &str)> = entries
            .iter()
            .filter(|e| e.action == "login")
            .map(|e| (e.outcome.as_str(), e.actor.as_str(), e.target.as_str()))
            .rev()
            .collect();
        let id = rita.user.id.as_str();
        assert_eq!(
            logins,
            [
                ("allowed", id, id),
                ("denied", "anonymous", id),
                ("denied", "anonymous", ""),
                ("denied", "anonymous", "")
            ]
        );
        assert_no_secrets_in_audit(&p, &entries);
    });
    let secure = ServerConfig { secure_cookies: true, ..limited };
    let cookie = anonlab_server::http::extractor::session_cookie(&secure, "abc", 60);
    assert_eq!(cookie, "anonlab_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=60; Secure");
}

/// Self-registration makes researchers only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_makes_researchers_and_admins_make_the_rest() {
    on_both_backends!(config(), |p, backend| {
        let reply = p
            .post("/api/v1/users", Who::Anonymous, json!({ "username": "newbie", "password": "a long password 1" }))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{backend}: {}", reply.text());
        assert_eq!(reply.json()["role"], "researcher");
        assert!(reply.json().get("password_hash").is_none());
        let reply = p
            .post("/api/v1/users", Who::Anonymous, json!({ "username": "newbie", "password": "a long password 2" }))
            .await;
        assert_eq!((reply.status, reply.code().as_str()), (StatusCode::CONFLICT, "conflict"));
        for role in ["admin", "data-owner"] {
            let body = json!({ "username": format!("sneaky-{role}"), "password": "a long password 3", "role": role });
            assert_eq!(p.post("/api/v1/users", Who::Anonymous, body.clone()).await.status, StatusCode::UNAUTHORIZED);
            assert_eq!(p.post("/api/v1/users", Who::Owner, body.clone()).await.status, StatusCode::FORBIDDEN);
            let reply = p.post("/api/v1/users", Who::Admin, body).await;
            assert_eq!(reply.status, StatusCode::CREATED);
            assert_eq!(reply.json()["role"], role);
        }
        for (body, code) in [
            (json!({ "username": "x", "password": "a long password 4" }), "invalid"),
            (json!({ "username": "shorty", "password": "short" }), "invalid"),
            (json!({ "username": "king", "password": "a long password 5", "role": "king" }), "invalid"),
            (json!({ "username": "extra", "password": "a long password 6", "admin": true }), "invalid"),
        ] {
            let reply = p.post("/api/v1/users", Who::Anonymous, body.clone()).await;
            assert_eq!((reply.status, reply.code().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, code), "{body}");
        }
        let users = p.get("/api/v1/users", Who::Admin).await.json();
        let names: Vec<&str> = users.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
        for name in ["newbie", "sneaky-admin", "sneaky-data-owner"] {
            assert!(names.contains(&name), "{name} not in {names:?}");
        }
    });
}

// ---------------------------------------------------------------------------
// What researchers may not do
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn researcher_cannot_download_or_inspect_datasets() {
    on_both_backends!(config(), |p, backend| {
        for who in [Who::Researcher, Who::OtherResearcher] {
            for uri in [
                format!("/api/v1/datasets/{}/download", p.dataset.id),
                format!("/api/v1/datasets/{}", p.dataset.id),
                "/api/v1/datasets".to_string(),
            ] {
                let reply = p.get(&uri, who).await;
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{backend} {uri}");
                assert_eq!(reply.code(), "forbidden");
                assert!(!reply.text().contains("13053"), "raw data leaked: {}", reply.text());
            }
        }
        // Not even a dataset id that does not exist is answered differently.
        assert_eq!(
            p.get("/api/v1/datasets/ds_00000000000000000000/download", Who::Researcher).await.status,
            StatusCode::FORBIDDEN
        );
        // The owner gets the bytes as uploaded.
        let reply = p.get(&format!("/api/v1/datasets/{}/download", p.dataset.id), Who::Owner).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.text(), CSV);
        assert!(reply.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
        assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
        let entries = p.db.arena.audit.recent(1000).await.unwrap();
        let reads: Vec<(&str, &str)> = entries
            .iter()
            .filter(|e| e.action == "dataset.read")
            .map(|e| (e.actor.as_str(), e.outcome.as_str()))
            .collect();
        let owner = p.account(Who::Owner).user.id.as_str();
        assert_eq!(reads.iter().filter(|(_, outcome)| *outcome == "denied").count(), 3, "{reads:?}");
        assert_eq!(reads.first(), Some(&(owner, "allowed")));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn researcher_cannot_see_another_researchers_private_submission() {
    on_both_backends!(config(), |p, backend| {
        let private = &p.private.id;
        for (who, visible) in [
            (Who::Researcher, true),
            (Who::OtherResearcher, false),
            (Who::Anonymous, false),
            (Who::Owner, false),
            (Who::Admin, true),
        ] {
            let reply = p.get(&format!("/api/v1/submissions/{private}"), who).await;
            let missing = p.get("/api/v1/submissions/sub_00000000000000000000", who).await;
            if visible {
                assert_eq!(reply.status, StatusCode::OK, "{backend} {who:?}");
                assert_eq!(reply.json()["implementation"]["k"], 3);
            } else {
                // Exactly the answer for an id that does not exist, but for the id.
                assert_eq!(reply.status, StatusCode::NOT_FOUND, "{backend} {who:?}");
                assert_eq!(missing.status, StatusCode::NOT_FOUND);
                assert_eq!(
                    reply.text().replace(private.as_str(), "ID"),
                    missing.text().replace("sub_00000000000000000000", "ID")
                );
            }
            let listed = p.get("/api/v1/submissions", who).await.json();
            let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
            assert_eq!(ids.contains(&private.as_str()), visible, "{who:?}: {ids:?}");
            assert!(ids.contains(&p.public.id.as_str()));
            let board = p.get(&format!("/api/v1/challenges/{}/leaderboard", p.challenge.slug), who).await.json();
            let entries: Vec<&str> =
                board["entries"].as_array().unwrap().iter().map(|e| e["submission"]["id"].as_str().unwrap()).collect();
            assert_eq!(entries.contains(&private.as_str()), visible, "{who:?}: {entries:?}");
            assert!(!board.to_string().contains("rita-private") || visible);
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn researcher_cannot_change_a_challenge() {
    on_both_backends!(config(), |p, backend| {
        let uri = format!("/api/v1/challenges/{}", p.challenge.id);
        for who in [Who::Researcher, Who::OtherOwner] {
            let before = p.audit_head().await;
            let reply =
                p.call(Method::PATCH, &uri, who, Payload::Json(json!({ "version": 1, "title": "Mine now" }))).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{backend} {who:?}: {}", reply.text());
            let entries = p.audit_since(before).await;
            assert!(entries.iter().any(|e| e.action == "challenge.edit" && e.outcome == "denied"), "{entries:?}");
        }
        let challenge = p.get(&uri, Who::Anonymous).await.json();
        assert_eq!((challenge["title"].as_str(), challenge["version"].as_i64()), (Some("Clinic"), Some(1)));
        // Nor create one, even on a dataset id they learned.
        let body = json!({ "slug": "stolen", "title": "Stolen", "dataset_id": p.dataset.id, "spec": spec() });
        assert_eq!(p.post("/api/v1/challenges", Who::Researcher, body.clone()).await.status, StatusCode::FORBIDDEN);
        assert_eq!(p.post("/api/v1/challenges", Who::OtherOwner, body).await.status, StatusCode::FORBIDDEN);
    });
}

// ---------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_json_gets_400_415_and_422() {
    on_both_backends!(config(), |p, backend| {
        let raw = |ct, body: &str| Payload::Raw(ct, body.as_bytes().to_vec());
        let reply =
            p.call(Method::POST, "/api/v1/submissions", Who::Researcher, raw("application/json", "{\"name\": ")).await;
        assert_eq!((reply.status, reply.code().as_str()), (StatusCode::BAD_REQUEST, "malformed"), "{backend}");
        let reply = p.call(Method::POST, "/api/v1/submissions", Who::Researcher, raw("text/plain", "{}")).await;
        assert_eq!(
            (reply.status, reply.code().as_str()),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        );
        let reply = p.call(Method::POST, "/api/v1/auth/login", Who::Anonymous, Payload::None).await;
        assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let anonymizer = json!({ "kind": "builtin-anonymizer", "algorithm": "mondrian", "k": 5 });
        for (body, why) in [
            (json!({ "name": 5, "implementation": anonymizer }), "a number for a name"),
            (json!({ "implementation": anonymizer }), "no name"),
            (json!({ "name": "x", "implementation": anonymizer, "colour": "red" }), "an unknown field"),
            (
                json!({ "name": "x", "implementation": { "kind": "builtin-anonymizer", "algorithm": "mondrian", "k": 5, "l": 2 } }),
                "an unknown setting",
            ),
            (
                json!({ "name": "x", "implementation": { "kind": "builtin-anonymizer", "algorithm": "magic" } }),
                "an unknown algorithm",
            ),
            (
                json!({ "name": "x", "implementation": { "kind": "builtin-anonymizer", "algorithm": "mondrian", "k": 1 } }),
                "k = 1",
            ),
            (
                json!({ "name": "x", "implementation": { "kind": "remote", "url": "http://example.invalid" } }),
                "a remote service",
            ),
            (json!({ "name": " ", "implementation": anonymizer }), "a blank name"),
            (json!({ "name": "x", "implementation": anonymizer, "visibility": "secret" }), "an unknown visibility"),
        ] {
            let reply = p.post("/api/v1/submissions", Who::Researcher, body).await;
            assert_eq!(
                (reply.status, reply.code().as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
                "{backend}: {why}"
            );
        }
        // Challenges: unknown spec fields, columns that do not exist, bad slugs, taken slugs.
        let challenge =
            |slug: &str, spec: Value| json!({ "slug": slug, "title": "T", "dataset_id": p.dataset.id, "spec": spec });
        let mut unknown_field = spec();
        unknown_field["threat_model"]["budget"] = json!(3);
        let mut unknown_top = spec();
        unknown_top["k"] = json!(5);
        let mut no_column = spec();
        no_column["threat_model"]["secret"] = json!("income");
        for (body, status, why) in [
            (challenge("c-1", unknown_field), 422, "an unknown threat model field"),
            (challenge("c-2", unknown_top), 422, "an unknown spec field"),
            (challenge("c-3", no_column), 422, "a secret that is not a column"),
            (challenge("Bad Slug", spec()), 422, "a bad slug"),
            (challenge("clinic", spec()), 409, "a taken slug"),
        ] {
            let reply = p.post("/api/v1/challenges", Who::Owner, body).await;
            assert_eq!(reply.status.as_u16(), status, "{backend}: {why}: {}", reply.text());
        }
        let reply = p.post("/api/v1/challenges", Who::Owner, challenge("c-4", json!({ "columns": [] }))).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "a spec without a threat model");
        // Queries.
        for uri in ["/api/v1/audit?limit=0", "/api/v1/audit?limit=abc", "/api/v1/audit?limit=100000"] {
            let reply = p.get(uri, Who::Admin).await;
            assert_eq!((reply.status, reply.code().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid"), "{uri}");
        }
        let reply = p.get("/api/v1/audit?limit=3", Who::Admin).await;
        assert_eq!(reply.json().as_array().unwrap().len(), 3);
        assert_eq!(reply.json()[0]["action"], "audit.read");
        // An edit that blanks the title.
        let uri = format!("/api/v1/challenges/{}", p.challenge.id);
        let reply = p.call(Method::PATCH, &uri, Who::Owner, Payload::Json(json!({ "version": 1, "title": "" }))).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        let reply = p.call(Method::PATCH, &uri, Who::Owner, Payload::Json(json!({ "title": "No version" }))).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_get_413_415_and_422() {
    let small = ServerConfig { max_upload_bytes: 4096, ..config() };
    on_both_backends!(small.clone(), |p, backend| {
        let uri = "/api/v1/datasets?name=bad";
        let reply = p.upload(uri, Who::Owner, "application/json", CSV.as_bytes().to_vec()).await;
        assert_eq!(
            (reply.status, reply.code().as_str()),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        );
        let reply = p.call(Method::POST, uri, Who::Owner, Payload::None).await;
        assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "no content type");
        let reply = p.upload(uri, Who::Owner, "text/csv", Vec::new()).await;
        assert_eq!((reply.status, reply.code().as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid"), "{backend}");
        let reply = p.upload("/api/v1/datasets", Who::Owner, "text/csv", CSV.as_bytes().to_vec()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "no name");
        // A row short of a column: 422 naming the line.
        let broken = "age,sex,zip,diagnosis\n34,F,13053,flu\n35,M\n36,F,13053,flu\n";
        let reply = p.upload(uri, Who::Owner, "text/csv; charset=utf-8", broken.as_bytes().to_vec()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}: {}", reply.text());
        assert!(reply.json()["error"]["message"].as_str().unwrap().contains("line 3"), "{}", reply.text());
        let reply = p.upload(uri, Who::Owner, "text/csv", b"age,sex\n".to_vec()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "a header without rows: {}", reply.text());
        // Over the limit: our 413 just above it, the router's far above it.
        let mut big = CSV.as_bytes().to_vec();
        while big.len() <= small.max_upload_bytes {
            big.extend_from_slice(b"34,F,13053,flu\n");
        }
        let reply = p.upload(uri, Who::Owner, "text/csv", big.clone()).await;
        assert_eq!((reply.status, reply.code().as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "too_large"), "{backend}");
        // Without a Content-Length, the body is cut off at the limit all the same.
        let request = Request::post(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", p.account(Who::Owner).token))
            .header(header::CONTENT_TYPE, "text/csv")
            .body(Body::from(big.clone()))
            .unwrap();
        assert!(request.headers().get(header::CONTENT_LENGTH).is_none());
        let reply = p.send(request).await;
        assert_eq!((reply.status, reply.code().as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "too_large"));
        big.resize(small.max_upload_bytes + 70 * 1024, b'1');
        assert_eq!(p.upload(uri, Who::Owner, "text/csv", big).await.status, StatusCode::PAYLOAD_TOO_LARGE);
        // Exactly at the limit is fine.
        let mut fits = CSV.as_bytes().to_vec();
        while fits.len() + 15 <= small.max_upload_bytes {
            fits.extend_from_slice(b"34,F,13053,flu\n");
        }
        let reply = p.upload("/api/v1/datasets?name=fits", Who::Owner, "application/octet-stream", fits.clone()).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        assert_eq!(reply.json()["size_bytes"].as_u64(), Some(fits.len() as u64));
        assert_eq!(reply.json()["header"], json!(["age", "sex", "zip", "diagnosis"]));
        // Nothing failed was stored.
        let datasets = p.get("/api/v1/datasets", Who::Owner).await.json();
        assert_eq!(datasets.as_array().unwrap().len(), 2, "{datasets}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_and_routes_get_404() {
    on_both_backends!(config(), |p, backend| {
        let ch = &p.challenge.id;
        for (who, uri) in [
            (Who::Owner, "/api/v1/datasets/ds_00000000000000000000".to_string()),
            (Who::Admin, "/api/v1/datasets/ds_00000000000000000000/download".to_string()),
            (Who::Anonymous, "/api/v1/challenges/no-such-challenge".to_string()),
            (Who::Anonymous, "/api/v1/challenges/no-such-challenge/leaderboard".to_string()),
            (Who::Anonymous, format!("/api/v1/challenges/{ch}/entries/sub_00000000000000000000")),
            (Who::Anonymous, "/api/v1/submissions/sub_00000000000000000000".to_string()),
            (Who::Admin, "/api/v1/no-such-route".to_string()),
            (Who::Anonymous, "/api/v1".to_string()),
        ] {
            let reply = p.get(&uri, who).await;
            assert_eq!((reply.status, reply.code().as_str()), (StatusCode::NOT_FOUND, "not_found"), "{backend} {uri}");
        }
        let edit = Payload::Json(json!({ "version": 1, "title": "x" }));
        let reply = p.call(Method::PATCH, "/api/v1/challenges/no-such-challenge", Who::Admin, edit).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        let body = json!({ "slug": "orphan", "title": "T", "dataset_id": "ds_00000000000000000000", "spec": spec() });
        assert_eq!(p.post("/api/v1/challenges", Who::Admin, body).await.status, StatusCode::NOT_FOUND);
        // An attack is not a leaderboard entry.
        let attack = p
            .post(
                "/api/v1/submissions",
                Who::Researcher,
                json!({ "name": "a", "implementation": { "kind": "builtin-attack", "attack": "linkage" } }),
            )
            .await;
        assert_eq!(attack.status, StatusCode::CREATED, "{}", attack.text());
        let uri = format!("/api/v1/challenges/{ch}/entries/{}", attack.json()["id"].as_str().unwrap());
        assert_eq!(p.get(&uri, Who::Anonymous).await.status, StatusCode::NOT_FOUND);
        // A known route with a method it does not have.
        assert_eq!(
            p.call(Method::DELETE, &format!("/api/v1/challenges/{ch}"), Who::Admin, Payload::None).await.status,
            StatusCode::METHOD_NOT_ALLOWED
        );
    });
}

/// Two edits from the same version: one wins, the other gets 409 and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_edits_conflict() {
    on_both_backends!(config(), |p, backend| {
        let uri = format!("/api/v1/challenges/{}", p.challenge.id);
        for round in 0..3 {
            let version = p.get(&uri, Who::Anonymous).await.json()["version"].as_i64().unwrap();
            let edit = |title: String| Payload::Json(json!({ "version": version, "title": title }));
            let (a, b) = tokio::join!(
                p.call(Method::PATCH, &uri, Who::Owner, edit(format!("Owner's title {round}"))),
                p.call(Method::PATCH, &uri, Who::Admin, edit(format!("Admin's title {round}"))),
            );
            let mut statuses = [a.status.as_u16(), b.status.as_u16()];
            statuses.sort();
            assert_eq!(statuses, [200, 409], "{backend} round {round}: {} / {}", a.text(), b.text());
            let (winner, loser) = if a.status == StatusCode::OK { (a, b) } else { (b, a) };
            assert_eq!(loser.code(), "conflict");
            let now = p.get(&uri, Who::Anonymous).await.json();
            assert_eq!(now["version"].as_i64(), Some(version + 1));
            assert_eq!(now["title"], winner.json()["title"]);
        }
        // A stale version alone is a conflict too.
        let reply =
            p.call(Method::PATCH, &uri, Who::Owner, Payload::Json(json!({ "version": 1, "title": "Stale" }))).await;
        assert_eq!(reply.status, StatusCode::CONFLICT);
        // Only the description changes when only it is sent; the slug works as the id.
        let version = p.get(&uri, Who::Anonymous).await.json()["version"].as_i64().unwrap();
        let by_slug = format!("/api/v1/challenges/{}", p.challenge.slug);
        let reply = p
            .call(
                Method::PATCH,
                &by_slug,
                Who::Owner,
                Payload::Json(json!({ "version": version, "description": "New." })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_eq!(reply.json()["description"], "New.");
        assert!(reply.json()["title"].as_str().unwrap().ends_with("title 2"));
    });
}

// ---------------------------------------------------------------------------
// The OpenAPI document, the catalog
// ---------------------------------------------------------------------------

/// The document lists exactly the routes the matrix exercises.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_lists_every_route() {
    let db = TestDb::sqlite().await;
    let app = router(AppState::new(db.arena.clone(), config()).unwrap());
    let reply = send(&app, Request::get("/api/v1/openapi.json").body(Body::empty()).unwrap()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    let doc = reply.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    assert!(!doc["info"]["title"].as_str().unwrap().is_empty());
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            documented.insert((method.to_uppercase(), path.clone()));
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path}: no success response");
            for (status, response) in responses {
                if status.starts_with('4') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {path} {status}");
                }
            }
            assert!(operation["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path}: no summary");
        }
    }
    let routes: BTreeSet<(String, String)> =
        matrix().iter().map(|r| (r.method.to_string(), r.route.to_string())).collect();
    assert_eq!(documented, routes);
    for schema in
        ["ErrorBody", "Challenge", "ChallengeSpec", "Submission", "Implementation", "Dataset", "Leaderboard", "User"]
    {
        assert!(doc["components"]["schemas"].get(schema).is_some(), "schema {schema} missing");
    }
    for scheme in ["bearer", "session"] {
        assert!(doc["components"]["securitySchemes"].get(scheme).is_some(), "{scheme}");
    }
    // The upload's body is CSV, not JSON.
    let upload = &doc["paths"]["/api/v1/datasets"]["post"]["requestBody"]["content"];
    assert!(upload.get("text/csv").is_some(), "{upload}");
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_lists_builtins_that_can_be_submitted() {
    on_both_backends!(config(), |p, backend| {
        let catalog = p.get("/api/v1/catalog", Who::Anonymous).await.json();
        let names = |kind: &str| -> Vec<String> {
            catalog[kind].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_string()).collect()
        };
        assert!(names("anonymizers").contains(&"mondrian".to_string()), "{catalog}");
        assert_eq!(
            names("attacks"),
            [
                "singling-out",
                "linkability",
                "inference",
                "linkage",
                "membership",
                "label-only-gap",
                "label-only-noise",
                "shadow-model"
            ]
        );
        // Each listed configuration is accepted as it stands.
        let items = catalog["anonymizers"].as_array().unwrap().iter().chain(catalog["attacks"].as_array().unwrap());
        for (i, item) in items.enumerate() {
            let body = json!({ "name": format!("catalog {i}"), "implementation": item["implementation"] });
            let reply = p.post("/api/v1/submissions", Who::Researcher, body).await;
            assert_eq!(reply.status, StatusCode::CREATED, "{backend}: {item}: {}", reply.text());
        }
    });
}

// ---------------------------------------------------------------------------
// Over a real socket
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_test_over_a_real_socket() {
    let db = TestDb::sqlite().await;
    let password = "smoke test password";
    db.arena.store.create_user("smoke", password, Role::Researcher).await.unwrap();
    let app = router(AppState::new(db.arena.clone(), config()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    assert_eq!(client.get(format!("{base}/readyz")).send().await.unwrap().status(), 200);
    let me = client.get(format!("{base}/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), 401);
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": "smoke", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["x-content-type-options"], "nosniff");
    let csrf = login.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    let me = client.get(format!("{base}/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<Value>().await.unwrap()["user"]["username"], "smoke");
    let logout = client.post(format!("{base}/api/v1/auth/logout")).header("x-csrf-token", csrf).send().await.unwrap();
    assert_eq!(logout.status(), 204);
    // The cleared cookie is gone from the client; the session is gone from the server.
    assert_eq!(client.get(format!("{base}/api/v1/me")).send().await.unwrap().status(), 401);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    db.drop_database().await;
}
