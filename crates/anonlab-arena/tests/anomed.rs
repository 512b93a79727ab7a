//! AnoMed apps that misbehave — crash, hang, or never come up — end as a
//! recorded failed evaluation with the reason, never as a stuck job.
//! (The interop with the real reference apps is `anonlab-server`'s
//! `tests/anomed.rs`.)

use std::time::{Duration, Instant};

use anonlab_arena::Arena;
use anonlab_arena::accounts::{Role, User};
use anonlab_arena::anomed::driver::DriverConfig;
use anonlab_arena::evaluate::demo::demo_challenges;
use anonlab_arena::submission::{AnomedService, Implementation, Visibility};
use anonlab_arena::testing::TestDb;
use anonlab_arena::worker::{self, WorkerConfig};
use sqlx::Row;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How the fake app answers `POST /fit`.
#[derive(Clone, Copy)]
enum Fit {
    Crash,
    Hang,
}

/// A minimal HTTP/1.1 app: `GET /` is alive, `POST /fit` crashes or hangs.
async fn fake_app(fit: Fit) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let (status, body) = if request.starts_with(b"GET / ") {
                    ("200 OK", r#"{"message": "Anonymizer server is alive!"}"#)
                } else {
                    match fit {
                        Fit::Crash => ("500 Internal Server Error", r#"{"title": "500 Internal Server Error"}"#),
                        Fit::Hang => {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                            return;
                        }
                    }
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://{address}")
}

async fn flchain(arena: &Arena) -> User {
    let owner = arena.store.create_user("olga", "olga's password is long enough", Role::DataOwner).await.unwrap();
    let demo = demo_challenges().into_iter().find(|d| d.slug == "flchain").unwrap();
    let dataset = arena.create_dataset(&owner, "flchain", demo.csv.to_vec(), usize::MAX).await.unwrap();
    arena.create_challenge(&owner, demo.slug, demo.title, demo.description, &dataset.id, demo.spec).await.unwrap();
    arena.store.create_user("rita", "rita's password is long enough", Role::Researcher).await.unwrap()
}

/// The state, attempts and error of `submission`'s utility run once it ended.
async fn ended(arena: &Arena, submission: &str, within: Duration) -> (String, i64, String) {
    let deadline = Instant::now() + within;
    loop {
        let row =
            sqlx::query("SELECT state, attempts, error FROM evaluations WHERE anonymizer_id = $1 AND attack_id = ''")
                .bind(submission)
                .fetch_one(arena.store.pool())
                .await
                .unwrap();
        let state: String = row.try_get("state").unwrap();
        if state == "done" || state == "failed" {
            return (
                state,
                row.try_get("attempts").unwrap(),
                row.try_get::<Option<String>, _>("error").unwrap().unwrap_or_default(),
            );
        }
        assert!(Instant::now() < deadline, "still {state} after {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_apps_fail_their_evaluation_with_the_reason() {
    let db = TestDb::sqlite().await;
    let arena = db.arena.clone();
    let researcher = flchain(&arena).await;
    let register = |url: String, name: &'static str| {
        let arena = arena.clone();
        let researcher = researcher.clone();
        async move {
            let service = AnomedService { url, challenge: "flchain".into(), target: None };
            let registration = arena
                .register_anomed(&researcher, name, Implementation::AnomedAnonymizer(service), Visibility::Public)
                .await
                .unwrap();
            assert_eq!(registration.challenge_path, format!("/anomed/{}", registration.secret));
            registration.submission.id
        }
    };
    let crash = register(fake_app(Fit::Crash).await, "crashes").await;
    let hang = register(fake_app(Fit::Hang).await, "hangs").await;
    // Nothing listens on port 9 (discard) on loopback.
    let absent = register("http://127.0.0.1:9".into(), "never started").await;

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let config = WorkerConfig {
        poll: Duration::from_millis(50),
        anomed: DriverConfig {
            ready: Duration::from_millis(500),
            fit: Duration::from_millis(500),
            evaluate: Duration::from_millis(500),
            predict: Duration::from_millis(500),
        },
        ..WorkerConfig::new()
    };
    let worker = tokio::spawn(worker::run(arena.clone(), config, stopped));

    // A crash is the app's answer: recorded at once, not retried.
    let (state, attempts, error) = ended(&arena, &crash, Duration::from_secs(30)).await;
    assert_eq!((state.as_str(), attempts), ("failed", 1), "{error}");
    assert!(error.contains("POST /fit") && error.contains("500"), "{error}");
    // A hang and an absent app may pass: retried with backoff, then failed.
    for (id, says) in [(&hang, "timed out"), (&absent, "GET /")] {
        let (state, attempts, error) = ended(&arena, id, Duration::from_secs(60)).await;
        assert_eq!((state.as_str(), attempts), ("failed", 3), "{error}");
        assert!(error.contains(says), "'{error}' does not say '{says}'");
        eprintln!("{state} after {attempts} attempts: {error}");
    }
    let stuck: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")
        .fetch_one(arena.store.pool())
        .await
        .unwrap();
    assert_eq!(stuck, 0, "no job is left behind");
    stop.send(true).unwrap();
    worker.await.unwrap().unwrap();
}

#[tokio::test]
async fn registration_refuses_what_cannot_run() {
    let db = TestDb::sqlite().await;
    let arena = db.arena.clone();
    let researcher = flchain(&arena).await;
    let attempt = |service: AnomedService, deanonymizer: bool| {
        let arena = arena.clone();
        let researcher = researcher.clone();
        async move {
            let implementation = if deanonymizer {
                Implementation::AnomedDeanonymizer(service)
            } else {
                Implementation::AnomedAnonymizer(service)
            };
            arena.register_anomed(&researcher, "x", implementation, Visibility::Public).await.unwrap_err().to_string()
        }
    };
    let service = |url: &str, challenge: &str, target: Option<&str>| AnomedService {
        url: url.into(),
        challenge: challenge.into(),
        target: target.map(str::to_string),
    };
    let e = attempt(service("https://example.org", "flchain", None), false).await;
    assert!(e.contains("must start with http://"), "{e}");
    let e = attempt(service("http://127.0.0.1:1/?x", "flchain", None), false).await;
    assert!(e.contains("not a base URL"), "{e}");
    let e = attempt(service("http://127.0.0.1:1", "no-such-challenge", None), false).await;
    assert!(e.contains("no-such-challenge"), "{e}");
    let e = attempt(service("http://127.0.0.1:1", "flchain", None), true).await;
    assert!(e.contains("needs a target"), "{e}");
    let e = attempt(service("http://127.0.0.1:1", "flchain", Some("sub_nope")), true).await;
    assert!(e.contains("not a submission"), "{e}");
    let e = arena
        .create_submission(
            &researcher,
            "x",
            Implementation::AnomedAnonymizer(service("http://127.0.0.1:1", "flchain", None)),
            Visibility::Public,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("register_anomed"), "{e}");
}
