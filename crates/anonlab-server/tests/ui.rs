//! The web UI: fast `oneshot` tests of the pages and forms (status per role,
//! CSRF, escaping, form errors, uploads), and the end-to-end run of the real
//! server in headless Chromium (register, sign in, submit, watch the entry
//! reach the leaderboard, open its detail page; a data owner uploads a table
//! and makes a challenge of it), saving screenshots of the main pages.
//!
//! The Chromium test needs Chromium: `ANONLAB_CHROMIUM` (which
//! `scripts/test.sh` sets after `scripts/chromium.sh` installed it) or a
//! `chromium` on `PATH`. Without either it is skipped with a message.
//! Screenshots go to `$CARGO_TARGET_DIR/tmp/anonlab-ui/`, and also to
//! `docs/screenshots/` when `ANONLAB_SAVE_SCREENSHOTS=1`.

#[path = "e2e/cdp.rs"]
mod cdp;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anonlab_arena::Arena;
use anonlab_arena::accounts::{CredentialKind, Role, User};
use anonlab_arena::challenge::{
    ChallengeSpec, ColumnRole, ColumnSpec, HierarchySpec, SplitSpec, ThreatModel, UtilitySpec,
};
use anonlab_arena::submission::{BuiltinAnonymizer, BuiltinAttack, Implementation, Visibility};
use anonlab_arena::testing::TestDb;
use anonlab_arena::worker::{self, WorkerConfig};
use anonlab_server::ServerConfig;
use anonlab_server::http::{AppState, router};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use tower::ServiceExt as _;

const PASSWORD: &str = "a long enough password";

// ------------------------------------------------------------------ helpers

/// A router over a fresh SQLite arena.
struct App {
    router: Router,
    state: AppState,
    arena: Arena,
    _db: TestDb,
}

async fn app_with(config: ServerConfig) -> App {
    let db = TestDb::sqlite().await;
    let arena = db.arena.clone();
    let state = AppState::new(arena.clone(), config).expect("the templates load");
    App { router: router(state.clone()), state, arena, _db: db }
}

async fn app() -> App {
    app_with(ServerConfig { logins_per_minute: 1000, uploads_per_minute: 1000, ..ServerConfig::default() }).await
}

/// A signed-in browser: its session cookie and CSRF token.
struct Session {
    user: User,
    cookie: String,
    csrf: String,
}

async fn session(app: &App, name: &str, role: Role) -> Session {
    let user = app.arena.store.create_user(name, PASSWORD, role).await.unwrap();
    let issued = app
        .arena
        .store
        .issue_credential(&user, CredentialKind::Session, "test", Duration::from_secs(3600))
        .await
        .unwrap();
    Session { user, cookie: format!("anonlab_session={}", issued.secret), csrf: issued.csrf_token }
}

/// A response's parts.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

async fn send(app: &App, request: Request<Body>) -> Page {
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

async fn get(app: &App, path: &str, who: Option<&Session>) -> Page {
    let mut request = Request::get(path);
    if let Some(s) = who {
        request = request.header(header::COOKIE, &s.cookie);
    }
    send(app, request.body(Body::empty()).unwrap()).await
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn post(app: &App, path: &str, who: Option<&Session>, fields: &[(&str, &str)]) -> Page {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect();
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(s) = who {
        request = request.header(header::COOKIE, &s.cookie);
    }
    send(app, request.body(Body::from(body.join("&"))).unwrap()).await
}

/// A `multipart/form-data` upload of `csv` with the session's token.
async fn upload(app: &App, who: Option<&Session>, csrf: &str, name: &str, csv: &[u8]) -> Page {
    let boundary = "anonlab-test-boundary";
    let mut body = Vec::new();
    for (field, value) in [("csrf", csrf), ("name", name)] {
        write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n").unwrap();
    }
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"table.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .unwrap();
    body.extend_from_slice(csv);
    write!(body, "\r\n--{boundary}--\r\n").unwrap();
    let mut request =
        Request::post("/datasets").header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"));
    if let Some(s) = who {
        request = request.header(header::COOKIE, &s.cookie);
    }
    send(app, request.body(Body::from(body)).unwrap()).await
}

/// A small synthetic patient table: age, sex, zip, diagnosis, outcome.
fn patients(rows: usize) -> Vec<u8> {
    let diagnoses = ["flu", "asthma", "diabetes", "migraine", "fracture"];
    let mut csv = String::from("age,sex,zip,diagnosis,outcome\n");
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    for _ in 0..rows {
        let age = 20 + next(60);
        let sex = if next(2) == 0 { "F" } else { "M" };
        let zip = 10_000 + 100 * next(8) + next(20);
        let diagnosis = diagnoses[next(5) as usize];
        let outcome = u64::from(age > 50 && next(3) > 0);
        csv.push_str(&format!("{age},{sex},{zip},{diagnosis},{outcome}\n"));
    }
    csv.into_bytes()
}

fn patients_spec() -> ChallengeSpec {
    let qi = |name: &str, hierarchy| ColumnSpec {
        name: name.into(),
        role: ColumnRole::QuasiIdentifier,
        hierarchy: Some(hierarchy),
    };
    ChallengeSpec {
        columns: vec![
            qi("age", HierarchySpec::Intervals { widths: vec![5.0, 10.0, 20.0] }),
            qi("sex", HierarchySpec::Flat),
            qi("zip", HierarchySpec::Masking),
            ColumnSpec { name: "diagnosis".into(), role: ColumnRole::Sensitive, hierarchy: None },
        ],
        split: SplitSpec::default(),
        utility: UtilitySpec { target: Some("outcome".into()), features: vec![] },
        threat_model: ThreatModel {
            aux_cols: vec!["age".into(), "sex".into(), "zip".into()],
            secret: "diagnosis".into(),
            n_attacks: 40,
        },
        attacks: vec![],
    }
}

/// A challenge `clinic` owned by a data owner, with every built-in attack.
async fn clinic(app: &App, owner: &User) -> String {
    for attack in BuiltinAttack::ALL {
        app.arena
            .create_submission(owner, attack.name(), Implementation::BuiltinAttack(attack), Visibility::Public)
            .await
            .unwrap();
    }
    let dataset = app.arena.create_dataset(owner, "clinic", patients(400), usize::MAX).await.unwrap();
    app.arena
        .create_challenge(owner, "clinic", "Clinic visits", "A small test table.", &dataset.id, patients_spec())
        .await
        .unwrap();
    dataset.id
}

fn optimal(k: u32) -> Implementation {
    Implementation::BuiltinAnonymizer(BuiltinAnonymizer::OptimalKAnonymity { k, suppression_limit: 0.05 })
}

/// Runs a worker until the queue is empty.
async fn evaluate_all(arena: &Arena) {
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let handle = tokio::spawn(worker::run(arena.clone(), WorkerConfig::new(), stopping));
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let counts = arena.store.queue_counts().await.unwrap();
        if counts.queued + counts.running == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the queue did not drain: {counts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.send_replace(true);
    handle.await.unwrap().unwrap();
    let counts = arena.store.queue_counts().await.unwrap();
    assert_eq!(counts.failed, 0, "no evaluation fails: {counts:?}");
}

async fn audit_has(arena: &Arena, action: &str, outcome: &str) -> bool {
    arena.audit.recent(1000).await.unwrap().iter().any(|e| e.action == action && e.outcome == outcome)
}

// ------------------------------------------------------------ oneshot tests

#[tokio::test]
async fn pages_answer_each_role_as_the_api_does() {
    let app = app().await;
    let owner = session(&app, "olga", Role::DataOwner).await;
    let researcher = session(&app, "rita", Role::Researcher).await;
    let admin = session(&app, "adam", Role::Admin).await;
    let dataset = clinic(&app, &owner.user).await;
    let entry = app.arena.create_submission(&researcher.user, "rita-k5", optimal(5), Visibility::Public).await.unwrap();
    let entry_page = format!("/challenges/clinic/entries/{}", entry.id);
    let challenge_form = format!("/datasets/{dataset}/challenge");

    use StatusCode as S;
    // (path, anonymous, researcher, data owner, admin); 303 is the way to the sign-in form.
    let matrix: Vec<(&str, [StatusCode; 4])> = vec![
        ("/", [S::OK; 4]),
        ("/login", [S::OK; 4]),
        ("/register", [S::OK; 4]),
        ("/static/style.css", [S::OK; 4]),
        ("/challenges/clinic", [S::OK; 4]),
        (&entry_page, [S::OK; 4]),
        ("/challenges/nope", [S::NOT_FOUND; 4]),
        ("/submit", [S::SEE_OTHER, S::OK, S::FORBIDDEN, S::OK]),
        ("/submit/anomed", [S::SEE_OTHER, S::OK, S::FORBIDDEN, S::OK]),
        ("/submissions", [S::SEE_OTHER, S::OK, S::OK, S::OK]),
        ("/datasets", [S::SEE_OTHER, S::FORBIDDEN, S::OK, S::OK]),
        (&challenge_form, [S::SEE_OTHER, S::FORBIDDEN, S::OK, S::OK]),
        ("/admin", [S::SEE_OTHER, S::FORBIDDEN, S::FORBIDDEN, S::OK]),
        ("/no/such/page", [S::NOT_FOUND; 4]),
    ];
    let who = [None, Some(&researcher), Some(&owner), Some(&admin)];
    for (path, expected) in &matrix {
        for (caller, status) in who.iter().zip(expected) {
            let page = get(&app, path, *caller).await;
            let name = caller.map_or("anonymous", |s| s.user.username.as_str());
            assert_eq!(page.status, *status, "GET {path} as {name}: {}", page.body);
            if *status == S::SEE_OTHER {
                assert_eq!(page.location(), format!("/login?next={path}"), "GET {path} as {name}");
            }
            if *status == S::FORBIDDEN {
                assert!(page.body.contains("Not allowed") && page.body.contains("role"), "a 403 page: {}", page.body);
            }
            if *status == S::SEE_OTHER {
                continue;
            }
            if path.ends_with(".css") {
                assert!(page.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
            } else {
                assert!(page.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "GET {path}");
                assert_eq!(page.headers[header::CACHE_CONTROL], "no-store", "GET {path}");
            }
        }
    }
    // Unknown API addresses keep the API's JSON errors.
    let page = get(&app, "/api/v1/no-such-route", None).await;
    assert_eq!(page.status, S::NOT_FOUND);
    assert!(page.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"), "{}", page.body);
    assert!(page.body.contains("\"not_found\""));

    // Refusals are audited.
    let denied = app.arena.audit.recent(1000).await.unwrap();
    assert!(denied.iter().any(|e| e.action == "admin.view" && e.outcome == "denied" && e.actor == researcher.user.id));
    assert!(denied.iter().any(|e| e.action == "dataset.list" && e.outcome == "denied" && e.actor == "anonymous"));

    // Navigation shows each role what it may use.
    let home = get(&app, "/", Some(&researcher)).await.body;
    assert!(home.contains("href=\"/submit\"") && !home.contains("href=\"/admin\"") && home.contains("rita"));
    let home = get(&app, "/", None).await.body;
    assert!(home.contains("href=\"/login\"") && home.contains("Clinic visits") && !home.contains("href=\"/submit\""));
    // A stale cookie counts as signed out on pages.
    let stale = Session { user: researcher.user.clone(), cookie: "anonlab_session=forged".into(), csrf: String::new() };
    assert_eq!(get(&app, "/", Some(&stale)).await.status, S::OK);
    assert_eq!(get(&app, "/submit", Some(&stale)).await.status, S::SEE_OTHER);
}

#[tokio::test]
async fn forms_refuse_a_missing_or_wrong_csrf_token() {
    let app = app().await;
    let researcher = session(&app, "rita", Role::Researcher).await;
    let owner = session(&app, "olga", Role::DataOwner).await;
    let admin = session(&app, "adam", Role::Admin).await;
    let dataset = clinic(&app, &owner.user).await;
    let submit = [("name", "mine"), ("algorithm", "mondrian"), ("k", "5"), ("visibility", "public")];
    for token in [None, Some("wrong"), Some("")] {
        let mut fields = submit.to_vec();
        if let Some(t) = token {
            fields.push(("csrf", t));
        }
        let page = post(&app, "/submit", Some(&researcher), &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "token {token:?}");
        assert!(page.body.contains("CSRF"), "{}", page.body);
    }
    let admin_form = [("username", "newbie"), ("password", PASSWORD), ("role", "data-owner"), ("csrf", "x")];
    assert_eq!(post(&app, "/admin/users", Some(&admin), &admin_form).await.status, StatusCode::FORBIDDEN);
    let path = format!("/datasets/{dataset}/challenge");
    assert_eq!(post(&app, &path, Some(&owner), &[("slug", "x"), ("csrf", "x")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(post(&app, "/logout", Some(&researcher), &[("csrf", "x")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(upload(&app, Some(&owner), "x", "t", &patients(20)).await.status, StatusCode::FORBIDDEN);
    // Nothing was done.
    let mine = app.arena.store.submissions(Some(&researcher.user)).await.unwrap();
    assert!(mine.iter().all(|s| s.owner_id != researcher.user.id));
    assert!(app.arena.store.users().await.unwrap().iter().all(|u| u.username != "newbie"));
    assert_eq!(app.arena.store.datasets(Some(&owner.user.id)).await.unwrap().len(), 1);
    assert!(audit_has(&app.arena, "submission.create", "denied").await);
    // The session is still valid after the refused sign-out.
    assert!(get(&app, "/", Some(&researcher)).await.body.contains("rita"));

    // With the token, it works and redirects (post/redirect/get).
    let mut fields = submit.to_vec();
    fields.push(("csrf", &researcher.csrf));
    let page = post(&app, "/submit", Some(&researcher), &fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(page.location().starts_with("/submissions?created=sub"), "{}", page.location());
    assert!(audit_has(&app.arena, "submission.create", "allowed").await);
    let list = get(&app, page.location(), Some(&researcher)).await;
    assert!(list.body.contains("mine") && list.body.contains("Mondrian, k = 5") && list.body.contains("Clinic visits"));
}

#[tokio::test]
async fn anomed_apps_are_registered_through_their_form() {
    let app = app().await;
    let researcher = session(&app, "rita", Role::Researcher).await;
    let owner = session(&app, "olga", Role::DataOwner).await;
    clinic(&app, &owner.user).await;
    fn form<'a>(kind: &'a str, csrf: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("name", "my AnoMed app"),
            ("kind", kind),
            ("url", "http://127.0.0.1:8102"),
            ("challenge", "clinic"),
            ("csrf", csrf),
        ]
    }
    let csrf = researcher.csrf.as_str();
    // Without the token: refused, nothing registered.
    let page = post(&app, "/submit/anomed", Some(&researcher), &form("anomed-tabular-anonymizer", "wrong")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // The clinic table is too small for the machine-learning challenge: the form says so and keeps the entries.
    let page = post(&app, "/submit/anomed", Some(&researcher), &form("anomed-anonymizer", csrf)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    let page = Page { body: page.body.replace("&#x2f;", "/"), ..page };
    assert!(
        page.body.contains("at least 200") && page.body.contains("value=\"http://127.0.0.1:8102\""),
        "{}",
        page.body
    );
    // A tabular anonymizer needs no more: registered, and the CHALLENGE_HOST is shown once, not cached.
    let page = post(&app, "/submit/anomed", Some(&researcher), &form("anomed-tabular-anonymizer", csrf)).await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    let page = Page { body: page.body.replace("&#x2f;", "/"), ..page };
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    let mine = app.arena.store.submissions(Some(&researcher.user)).await.unwrap();
    let registered = mine.iter().find(|s| s.owner_id == researcher.user.id).expect("registered");
    assert!(
        page.body.contains(&registered.id) && page.body.contains("CHALLENGE_HOST=localhost/anomed/"),
        "{}",
        page.body
    );
    let secret = page.body.split("/anomed/").nth(1).and_then(|rest| rest.split(['<', '\n']).next()).unwrap();
    let link = app.arena.store.anomed_link(secret).await.unwrap().expect("the secret shown is the app's");
    assert_eq!(link.submission.id, registered.id);
    assert!(audit_has(&app.arena, "submission.create", "allowed").await);
    assert!(
        !format!("{:?}", app.arena.audit.recent(1000).await.unwrap()).contains(secret),
        "no secret in the audit log"
    );
}

#[tokio::test]
async fn refused_forms_show_the_message_and_keep_what_was_entered() {
    let app = app().await;
    let researcher = session(&app, "rita", Role::Researcher).await;
    let csrf = researcher.csrf.clone();
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("name", "too small"), ("algorithm", "optimal-k-anonymity"), ("k", "1"), ("suppression_percent", "5")],
            "k must be between 2 and 10000",
        ),
        (
            &[
                ("name", "bad suppression"),
                ("algorithm", "optimal-k-anonymity"),
                ("k", "5"),
                ("suppression_percent", "150"),
            ],
            "suppression_limit must be at least 0 and below 1",
        ),
        (&[("name", "no k"), ("algorithm", "mondrian"), ("k", "five")], "k must be a whole number"),
        (&[("name", " "), ("algorithm", "mondrian"), ("k", "5")], "a submission name must have 1 to 120 characters"),
    ];
    for (fields, message) in cases {
        let mut fields = fields.to_vec();
        fields.push(("csrf", &csrf));
        let page = post(&app, "/submit", Some(&researcher), &fields).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(page.body.contains(message), "{message}: {}", page.body);
        assert!(page.body.contains("id=\"form-error\"") && page.body.contains("id=\"submit-form\""));
        let name = fields[0].1.trim();
        assert!(name.is_empty() || page.body.contains(&format!("value=\"{name}\"")), "the name is kept");
    }
    // Registration: passwords differ, too short, name taken.
    let register = |name: &'static str, a: &'static str, b: &'static str| {
        vec![("username", name), ("password", a), ("password_repeat", b)]
    };
    let page = post(&app, "/register", None, &register("newbie", PASSWORD, "something else entirely")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("the two passwords differ") && page.body.contains("value=\"newbie\""));
    assert!(!page.body.contains(PASSWORD), "passwords are never echoed");
    let page = post(&app, "/register", None, &register("newbie", "short", "short")).await;
    assert!(page.body.contains("at least 12 characters"), "{}", page.body);
    let page = post(&app, "/register", None, &register("rita", PASSWORD, PASSWORD)).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains("is taken"));
    assert!(audit_has(&app.arena, "user.create", "failed").await, "refusals are audited");
    assert!(audit_has(&app.arena, "submission.create", "failed").await);
    // A body that is not a form.
    let request = Request::post("/submit")
        .header(header::COOKIE, &researcher.cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let page = send(&app, request).await;
    assert_eq!(page.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(page.body.contains("x-www-form-urlencoded"));
}

#[tokio::test]
async fn register_sign_in_and_out_with_a_strict_session_cookie() {
    let app = app().await;
    let page = post(
        &app,
        "/register",
        None,
        &[("username", "newbie"), ("password", PASSWORD), ("password_repeat", PASSWORD), ("csrf", "")],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/login?registered=newbie");
    let users = app.arena.store.users().await.unwrap();
    assert!(users.iter().any(|u| u.username == "newbie" && u.role == Role::Researcher), "a researcher account");
    assert!(get(&app, page.location(), None).await.body.contains("The account &#x27;newbie&#x27; was created"));

    let wrong = post(&app, "/login", None, &[("username", "newbie"), ("password", "not the password!")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("wrong username or password") && wrong.body.contains("value=\"newbie\""));
    assert!(wrong.headers.get(header::SET_COOKIE).is_none());
    assert!(audit_has(&app.arena, "login", "denied").await);

    let page = post(&app, "/login", None, &[("username", "newbie"), ("password", PASSWORD), ("next", "/submit")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/submit");
    let cookie = page.headers[header::SET_COOKIE].to_str().unwrap().to_string();
    for part in ["anonlab_session=", "HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "not Secure unless configured");
    assert!(audit_has(&app.arena, "login", "allowed").await);
    let secret = cookie.split(';').next().unwrap().to_string();
    let principal =
        app.arena.store.authenticate(secret.trim_start_matches("anonlab_session=")).await.expect("a session");
    let me = Session { user: principal.user.clone(), cookie: secret.clone(), csrf: principal.csrf_token.clone() };
    let home = get(&app, "/", Some(&me)).await.body;
    assert!(home.contains("newbie") && home.contains(&format!("value=\"{}\"", me.csrf)), "signed in, with the token");

    // Off-site `next` values go home instead.
    let page =
        post(&app, "/login", None, &[("username", "newbie"), ("password", PASSWORD), ("next", "//evil.example")]).await;
    assert_eq!(page.location(), "/");

    let page = post(&app, "/logout", Some(&me), &[("csrf", &me.csrf)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let cleared = page.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.starts_with("anonlab_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    assert!(app.arena.store.authenticate(secret.trim_start_matches("anonlab_session=")).await.is_err(), "revoked");
    assert_eq!(get(&app, "/submit", Some(&me)).await.status, StatusCode::SEE_OTHER);
    assert!(audit_has(&app.arena, "logout", "allowed").await);

    // Secure cookies when configured.
    let secure = app_with(ServerConfig { secure_cookies: true, ..ServerConfig::default() }).await;
    secure.arena.store.create_user("sam", PASSWORD, Role::Researcher).await.unwrap();
    let page = post(&secure, "/login", None, &[("username", "sam"), ("password", PASSWORD)]).await;
    assert!(page.headers[header::SET_COOKIE].to_str().unwrap().contains("; Secure"));
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_client() {
    let app = app_with(ServerConfig { logins_per_minute: 2, ..ServerConfig::default() }).await;
    app.arena.store.create_user("rita", PASSWORD, Role::Researcher).await.unwrap();
    for _ in 0..2 {
        let page = post(&app, "/login", None, &[("username", "rita"), ("password", "wrong password!!")]).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let page = post(&app, "/login", None, &[("username", "rita"), ("password", PASSWORD)]).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert!(page.body.contains("too many sign-in attempts"), "{}", page.body);
}

#[tokio::test]
async fn data_owner_uploads_a_table_and_makes_a_challenge_of_it() {
    let app = app_with(ServerConfig { max_upload_bytes: 64 * 1024, ..ServerConfig::default() }).await;
    let owner = session(&app, "olga", Role::DataOwner).await;
    let researcher = session(&app, "rita", Role::Researcher).await;

    let page = upload(&app, Some(&researcher), &researcher.csrf, "t", &patients(20)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "researchers do not upload");
    let page = upload(&app, Some(&owner), &owner.csrf, "too big", &patients(5000)).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", page.body);
    assert!(page.body.contains("limit") && page.body.contains("id=\"upload-form\""));
    let page = upload(&app, Some(&owner), &owner.csrf, "broken", b"a,b\n1,2,3\n").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    assert!(page.body.contains("id=\"form-error\""));
    let request = Request::post("/datasets")
        .header(header::COOKIE, &owner.cookie)
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(patients(10)))
        .unwrap();
    assert_eq!(send(&app, request).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(audit_has(&app.arena, "dataset.create", "failed").await);

    let page = upload(&app, Some(&owner), &owner.csrf, "Clinic <2025>", &patients(300)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let form_path = page.location().to_string();
    assert!(form_path.starts_with("/datasets/ds") && form_path.ends_with("/challenge"), "{form_path}");
    assert!(audit_has(&app.arena, "dataset.create", "allowed").await);
    let form = get(&app, &form_path, Some(&owner)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Clinic &lt;2025&gt;") && form.body.contains("<code>diagnosis</code>"));
    let list = get(&app, "/datasets", Some(&owner)).await;
    assert!(list.body.contains("Clinic &lt;2025&gt;") && list.body.contains(">300<"));
    // Another data owner may not use it.
    let other = session(&app, "otto", Role::DataOwner).await;
    assert_eq!(get(&app, &form_path, Some(&other)).await.status, StatusCode::FORBIDDEN);
    assert!(!get(&app, "/datasets", Some(&other)).await.body.contains("Clinic &lt;2025&gt;"));

    // Columns by index: age 0, sex 1, zip 2, diagnosis 3, outcome 4.
    let mut fields = vec![
        ("csrf", owner.csrf.as_str()),
        ("slug", "clinic-2025"),
        ("title", "Clinic 2025"),
        ("description", "Visits."),
        ("role_0", "quasi-identifier"),
        ("hierarchy_0", "intervals"),
        ("widths_0", "5, 10, 20"),
        ("role_1", "quasi-identifier"),
        ("hierarchy_1", "flat"),
        ("role_2", "quasi-identifier"),
        ("hierarchy_2", "masking"),
        ("role_3", "sensitive"),
        ("role_4", "insensitive"),
        ("aux", "0"),
        ("aux", "1"),
        ("secret", "3"),
        ("target", "4"),
        ("feature", "0"),
        ("feature", "1"),
        ("n_attacks", "100"),
        ("train_percent", "50"),
        ("control_percent", "25"),
    ];
    let no_attack = post(&app, &form_path, Some(&owner), &fields).await;
    assert_eq!(no_attack.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_attack.body.contains("choose at least one attack"));
    assert!(
        no_attack.body.contains("value=\"clinic-2025\"") && no_attack.body.contains("id=\"aux_1\" checked"),
        "kept"
    );
    fields.extend([("attack", "membership"), ("attack", "inference")]);
    let mut bad_widths = fields.clone();
    bad_widths[6] = ("widths_0", "five");
    let page = post(&app, &form_path, Some(&owner), &bad_widths).await;
    assert!(page.body.contains("interval widths are positive numbers"), "{}", page.body);
    let page = post(&app, &form_path, Some(&owner), &fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/challenges/clinic-2025");
    let challenge = app.arena.store.challenge("clinic-2025").await.unwrap();
    assert_eq!(challenge.spec.threat_model.aux_cols, ["age", "sex"]);
    assert_eq!(challenge.spec.utility.target.as_deref(), Some("outcome"));
    assert_eq!(challenge.spec.utility.features, ["age", "sex"]);
    assert_eq!(challenge.spec.attacks, ["membership", "inference"]);
    assert_eq!(challenge.spec.columns[0].hierarchy, Some(HierarchySpec::Intervals { widths: vec![5.0, 10.0, 20.0] }));
    assert!(audit_has(&app.arena, "challenge.create", "allowed").await);
    let board = get(&app, "/challenges/clinic-2025", None).await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.body.contains("Clinic 2025") && board.body.contains("<code>diagnosis</code>"));
    // The slug is taken now.
    let page = post(&app, &form_path, Some(&owner), &fields).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains("is taken"));
}

#[tokio::test]
async fn admin_sees_users_queue_and_a_verified_audit_log_and_creates_accounts() {
    let app = app().await;
    let admin = session(&app, "adam", Role::Admin).await;
    let page = get(&app, "/admin", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("hash chain intact") && page.body.contains("adam") && page.body.contains("id=\"audit\"")
    );
    let form = [("username", "olga"), ("password", PASSWORD), ("role", "data-owner"), ("csrf", &admin.csrf)];
    let page = post(&app, "/admin/users", Some(&admin), &form).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(app.arena.store.users().await.unwrap().iter().any(|u| u.username == "olga" && u.role == Role::DataOwner));
    let page = post(&app, "/admin/users", Some(&admin), &form).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains("is taken") && page.body.contains("value=\"olga\""));
    let page = get(&app, "/admin", Some(&admin)).await;
    assert!(page.body.contains("user.create") && page.body.contains("audit.read"), "the log lists the actions");
}

#[tokio::test]
async fn evaluated_entries_show_figures_and_charts_and_escape_hostile_names() {
    let app = app().await;
    let owner = session(&app, "olga", Role::DataOwner).await;
    let researcher = session(&app, "rita", Role::Researcher).await;
    let other = session(&app, "otto", Role::Researcher).await;
    clinic(&app, &owner.user).await;
    let hostile = "<script>alert('x')</script>";
    let evil = app.arena.create_submission(&researcher.user, hostile, optimal(2), Visibility::Public).await.unwrap();
    let private =
        app.arena.create_submission(&researcher.user, "rita's secret", optimal(5), Visibility::Private).await.unwrap();
    app.arena.create_submission(&owner.user, "k10", optimal(10), Visibility::Public).await.unwrap();

    // While queued: listed, and the page refreshes itself.
    let board = get(&app, "/challenges/clinic", None).await.body;
    assert!(board.contains("http-equiv=\"refresh\""), "pending evaluations refresh the page");
    assert!(board.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2f;script&gt;"), "escaped name");
    assert!(!board.contains("<script>"), "no script element on the page");

    evaluate_all(&app.arena).await;
    // The worker wrote behind the leaderboard cache's back (as one in another process would).
    app.state.leaderboards.clear();

    let board = get(&app, "/challenges/clinic", None).await.body;
    assert!(!board.contains("http-equiv=\"refresh\""), "nothing pending, no refresh");
    assert!(board.contains("id=\"frontier-chart\"") && board.contains("<svg class=\"chart\""), "the frontier chart");
    assert!(board.contains("★"), "frontier marks");
    assert!(!board.contains("<script>") && board.contains("&lt;script&gt;"), "escaped in the table and the chart");
    assert!(!board.contains("rita&#x27;s secret"), "private entries are not shown to others");
    for column in ["singling-out", "linkability", "inference", "linkage", "membership"] {
        assert!(board.contains(&format!("<th class=\"num\">{column}</th>")), "{column} column");
    }
    assert_eq!(board.matches("class=\"ci\"").count(), 2 * 5, "risks with intervals, two public entries");
    let mine = get(&app, "/challenges/clinic", Some(&researcher)).await.body;
    assert!(mine.contains("rita&#x27;s secret"), "the owner sees the private entry");

    let detail = get(&app, &format!("/challenges/clinic/entries/{}", evil.id), None).await;
    assert_eq!(detail.status, StatusCode::OK);
    for part in ["id=\"risk-chart\"", "id=\"roc-chart\"", "id=\"utility\"", "Information loss", "optimal 2-anonymity"] {
        assert!(detail.body.contains(part), "{part} on the entry page");
    }
    assert_eq!(detail.body.matches("<svg class=\"chart\"").count(), 2);
    assert!(!detail.body.contains("<script>"));
    let hidden = get(&app, &format!("/challenges/clinic/entries/{}", private.id), Some(&other)).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "another researcher's private entry");
    let shown = get(&app, &format!("/challenges/clinic/entries/{}", private.id), Some(&researcher)).await;
    assert_eq!(shown.status, StatusCode::OK);

    let home = get(&app, "/", None).await.body;
    assert!(home.contains("<strong>2</strong> entries"), "public entries only: {home}");
    let list = get(&app, "/submissions", Some(&researcher)).await.body;
    assert!(list.contains("5 / 5") && list.contains("rita&#x27;s secret"), "{list}");
}

// ---------------------------------------------------------- headless Chromium

/// The Chromium to use: `ANONLAB_CHROMIUM`, else one on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ANONLAB_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser", "google-chrome"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Checks a screenshot is a real page: a PNG of the expected width, tall
/// enough, with many colours and a good share of non-white pixels.
fn check_screenshot(name: &str, png_bytes: &[u8]) {
    assert!(png_bytes.len() > 20_000, "{name}: only {} bytes", png_bytes.len());
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).expect("PNG pixels");
    assert_eq!(frame.width, 1280, "{name}: the window width");
    assert!(frame.height >= 600, "{name}: {} pixels tall", frame.height);
    let channels = frame.color_type.samples();
    assert!(channels >= 3, "{name}: a colour screenshot");
    let mut colours = std::collections::HashSet::new();
    let mut non_white = 0u64;
    let mut brand = 0u64;
    let total = u64::from(frame.width) * u64::from(frame.height);
    for p in pixels[..frame.buffer_size()].chunks_exact(channels) {
        colours.insert([p[0], p[1], p[2]]);
        if p[0] < 240 || p[1] < 240 || p[2] < 240 {
            non_white += 1;
        }
        if [p[0], p[1], p[2]] == [0x0f, 0x5f, 0x6e] {
            brand += 1;
        }
    }
    assert!(colours.len() > 30, "{name} looks blank: {} colours", colours.len());
    assert!(non_white * 20 > total, "{name} is mostly white: {non_white} of {total} pixels");
    assert!(brand > 20_000, "{name}: the header bar is painted ({brand} pixels), so the stylesheet loaded");
}

struct Shots {
    dir: PathBuf,
    docs: Option<PathBuf>,
    taken: Vec<PathBuf>,
}

impl Shots {
    fn take(&mut self, browser: &mut cdp::Browser, name: &str) {
        let png_bytes = browser.screenshot(5000);
        check_screenshot(name, &png_bytes);
        let path = self.dir.join(format!("{name}.png"));
        std::fs::write(&path, &png_bytes).unwrap();
        if let Some(docs) = &self.docs {
            std::fs::write(docs.join(format!("{name}.png")), &png_bytes).unwrap();
        }
        self.taken.push(path);
    }
}

/// The JavaScript that tells whether the leaderboard row of `id` is fully evaluated.
fn row_done(id: &str) -> String {
    format!(
        "(() => {{ const row = document.getElementById('entry-{id}'); if (!row) return 'absent'; \
         if (row.querySelector('.state-failed')) return 'failed'; \
         if (row.querySelector('.state-queued, .state-running, .state-waiting')) return 'pending'; \
         return row.querySelector('.worst').textContent.trim() === '–' ? 'pending' : 'done'; }})()"
    )
}

#[test]
fn researcher_and_data_owner_flows_work_in_headless_chromium() {
    let Some(binary) = chromium() else {
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED: researcher_and_data_owner_flows_work_in_headless_chromium: no Chromium \
             (ANONLAB_CHROMIUM is unset and none is on PATH). scripts/test.sh installs it; \
             or set ANONLAB_CHROMIUM=$(scripts/chromium.sh | tail -n 1) ***\n"
        );
        return;
    };
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("anonlab-ui");
    std::fs::create_dir_all(&out).unwrap();
    for entry in std::fs::read_dir(&out).unwrap().flatten() {
        if entry.path().extension().is_some_and(|e| e == "png") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let docs = (std::env::var("ANONLAB_SAVE_SCREENSHOTS").as_deref() == Ok("1")).then(|| {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&docs).unwrap();
        docs
    });
    let mut shots = Shots { dir: out.clone(), docs, taken: vec![] };

    // The real server, in-process: fresh data directory, port 0, the demo, one worker.
    let data = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().join("data"),
        workers: 1,
        demo: true,
        grace_secs: 2,
        ..ServerConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let server = runtime.spawn(anonlab_server::serve(
        config,
        async move {
            let _ = stopped.await;
        },
        move |started| {
            let _ = started_tx.send(started.clone());
        },
    ));
    let started = started_rx.recv_timeout(Duration::from_secs(120)).expect("the server starts");
    let base = format!("http://{}", started.addr);
    let admin_password = started.admin_password.clone().expect("a fresh start creates the admin");
    eprintln!("e2e: server at {base}; screenshots in {}", out.display());

    let profile = tempfile::tempdir().unwrap();
    let mut browser = cdp::Browser::launch(&binary, profile.path(), &out.join("chromium.log"), 1280, 900);

    // Home, anonymous: the demo challenges and the way in.
    browser.goto(&format!("{base}/"));
    let text = browser.text();
    assert!(text.contains("UCI Adult") && text.contains("Evaluation queue") && text.contains("Register"), "{text}");
    shots.take(&mut browser, "home");

    // Register a researcher through the form.
    browser.click_and_wait("#register");
    browser.type_into("#username", "ada-lovelace");
    browser.type_into("#password", PASSWORD);
    browser.type_into("#password_repeat", PASSWORD);
    browser.click_and_wait("#register-submit");
    assert!(browser.url().contains("/login?registered=ada-lovelace"), "{}", browser.url());

    // A wrong password first: the message is on the page.
    browser.type_into("#password", "not my password at all");
    browser.click_and_wait("#login-submit");
    assert!(browser.text().contains("wrong username or password"), "{}", browser.text());
    assert!(browser.exists("#form-error"));
    browser.type_into("#password", PASSWORD);
    shots.take(&mut browser, "login");
    browser.click_and_wait("#login-submit");
    assert_eq!(browser.url(), format!("{base}/"));
    assert!(browser.text().contains("ada-lovelace"), "signed in");
    let cookie_visible = browser.eval("document.cookie.includes('anonlab_session')");
    assert_eq!(cookie_visible.as_bool(), Some(false), "the session cookie is HttpOnly");

    // Submit an anonymizer: first with a bad k (the error shows), then right.
    browser.goto(&format!("{base}/submit"));
    browser.type_into("#name", "ada: optimal 7-anonymity");
    browser.click("#algorithm-optimal");
    browser.type_into("#k", "1");
    browser.eval("document.getElementById('k').removeAttribute('min')");
    browser.click_and_wait("#submit-button");
    assert!(browser.text().contains("k must be between 2 and 10000"), "{}", browser.text());
    assert_eq!(browser.eval("document.getElementById('name').value").as_str(), Some("ada: optimal 7-anonymity"));
    browser.type_into("#k", "7");
    browser.type_into("#suppression_percent", "4");
    shots.take(&mut browser, "submit");
    browser.click_and_wait("#submit-button");
    let url = browser.url();
    let id = url.split("created=").nth(1).unwrap_or_else(|| panic!("redirected to the submissions: {url}")).to_string();
    assert!(browser.text().contains("ada: optimal 7-anonymity"), "{}", browser.text());
    assert!(browser.exists("#created-note"));

    // Wait until the worker has evaluated it on adult (after the demo's own jobs).
    let limit = Duration::from_secs(
        std::env::var("ANONLAB_E2E_TIMEOUT_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(1200),
    );
    let waiting_since = Instant::now();
    let board = format!("{base}/challenges/adult");
    loop {
        browser.goto(&board);
        match browser.eval(&row_done(&id)).as_str() {
            Some("done") => break,
            Some("failed") => panic!("an evaluation of the submission failed: {}", browser.text()),
            state => {
                assert!(
                    waiting_since.elapsed() < limit,
                    "the entry is still {state:?} after {limit:?} (set ANONLAB_E2E_TIMEOUT_SECS to wait longer)"
                );
                std::thread::sleep(Duration::from_secs(3));
            }
        }
    }
    eprintln!("e2e: evaluated on adult after {:.0} s", waiting_since.elapsed().as_secs_f64());
    // Let the demo's entries finish too, so the leaderboard screenshot is complete.
    let settle = Instant::now();
    while browser.exists("#pending-note") && settle.elapsed() < Duration::from_secs(180) {
        std::thread::sleep(Duration::from_secs(3));
        browser.goto(&board);
    }
    assert!(browser.exists("#frontier-chart svg.chart"), "the frontier chart is drawn");
    assert!(browser.text().contains("ada: optimal 7-anonymity"));
    shots.take(&mut browser, "leaderboard");

    // Its detail page: settings, utility, risk distribution, ROC.
    browser.click_and_wait(&format!("#entry-{id} a.entry-name"));
    assert!(browser.url().ends_with(&format!("/challenges/adult/entries/{id}")), "{}", browser.url());
    let text = browser.text();
    assert!(text.contains("optimal 7-anonymity") && text.contains("Information loss"), "{text}");
    assert!(browser.exists("#risk-chart svg.chart") && browser.exists("#roc-chart svg.chart"), "both charts");
    shots.take(&mut browser, "entry");

    browser.goto(&format!("{base}/submissions"));
    shots.take(&mut browser, "submissions");
    // A researcher may not open the admin page.
    browser.goto(&format!("{base}/admin"));
    assert!(browser.text().contains("Not allowed"), "{}", browser.text());
    browser.click_and_wait("#sign-out");
    assert!(browser.exists("#sign-in"), "signed out");

    // The admin makes a data owner account, who uploads a table and makes a challenge of it.
    browser.goto(&format!("{base}/login"));
    browser.type_into("#username", "admin");
    browser.type_into("#password", &admin_password);
    browser.click_and_wait("#login-submit");
    browser.goto(&format!("{base}/admin"));
    assert!(browser.text().contains("hash chain intact"), "{}", browser.text());
    browser.type_into("#new-username", "grace-owner");
    browser.type_into("#new-password", PASSWORD);
    browser.select("#new-role", "data-owner");
    browser.click_and_wait("#create-user");
    assert!(browser.text().contains("grace-owner"));
    shots.take(&mut browser, "admin");
    browser.click_and_wait("#sign-out");

    browser.goto(&format!("{base}/login"));
    browser.type_into("#username", "grace-owner");
    browser.type_into("#password", PASSWORD);
    browser.click_and_wait("#login-submit");
    browser.goto(&format!("{base}/datasets"));
    let csv = data.path().join("clinic-visits.csv");
    std::fs::write(&csv, patients(600)).unwrap();
    browser.type_into("#dataset-name", "Clinic visits");
    browser.set_file("#dataset-file", &csv);
    browser.click_and_wait("#upload-button");
    assert!(browser.url().ends_with("/challenge"), "{}", browser.url());
    browser.type_into("#slug", "clinic-visits");
    browser.type_into("#description", "600 synthetic clinic visits: who can be found, and what they had.");
    for (i, role, hierarchy) in [
        (0, "quasi-identifier", "intervals"),
        (1, "quasi-identifier", "flat"),
        (2, "quasi-identifier", "masking"),
        (3, "sensitive", ""),
    ] {
        browser.select(&format!("#role_{i}"), role);
        if !hierarchy.is_empty() {
            browser.select(&format!("#hierarchy_{i}"), hierarchy);
        }
    }
    browser.type_into("#widths_0", "5, 10, 20");
    for selector in ["#aux_0", "#aux_1", "#aux_2", "#secret_3", "#target_4"] {
        browser.click(selector);
    }
    shots.take(&mut browser, "new-challenge");
    browser.click_and_wait("#create-challenge");
    assert_eq!(browser.url(), format!("{base}/challenges/clinic-visits"), "{}", browser.text());
    assert!(browser.text().contains("Clinic visits"));
    browser.goto(&format!("{base}/datasets"));
    assert!(browser.text().contains("Clinic visits"));
    shots.take(&mut browser, "datasets");
    drop(browser);

    stop.send(()).unwrap();
    runtime.block_on(server).unwrap().expect("the server shuts down cleanly");
    eprintln!("e2e: screenshots:");
    for path in &shots.taken {
        eprintln!("  {}", path.display());
    }
    for name in ["home", "login", "leaderboard", "entry", "submit"] {
        assert!(out.join(format!("{name}.png")).is_file(), "{name}.png saved");
    }
}
