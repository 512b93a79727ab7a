//! Store, vault, audit and queue behaviour, each test run on SQLite and on
//! PostgreSQL (skipped with a message when no PostgreSQL server answers).

use std::time::Duration;

use anonlab_arena::accounts::{CredentialKind, Role, User};
use anonlab_arena::audit::{Event, Outcome};
use anonlab_arena::catalog::Challenge;
use anonlab_arena::submission::{BuiltinAnonymizer, BuiltinAttack, Implementation, Visibility};
use anonlab_arena::testing::{TestDb, tiny_csv, tiny_spec};
use anonlab_arena::vault::{Vault, VaultKey};
use anonlab_arena::{Arena, ErrorKind, Store};
use sqlx::Row;

const PASSWORD: &str = "a long enough password";

async fn owner(arena: &Arena, name: &str) -> User {
    arena.store.create_user(name, PASSWORD, Role::DataOwner).await.expect("user")
}

async fn challenge(arena: &Arena) -> (User, Challenge) {
    let owner = owner(arena, "owner").await;
    let dataset = arena.create_dataset(&owner, "tiny", tiny_csv(120), 1 << 20).await.expect("dataset");
    let challenge =
        arena.create_challenge(&owner, "tiny", "Tiny", "", &dataset.id, tiny_spec()).await.expect("challenge");
    (owner, challenge)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_hash_passwords_and_resolve_credentials() {
    for db in TestDb::both().await {
        let store = &db.arena.store;
        let ada = store.create_user("ada", PASSWORD, Role::Researcher).await.unwrap();
        let taken = store.create_user("ada", PASSWORD, Role::Researcher).await.unwrap_err();
        assert_eq!(taken.kind(), ErrorKind::Conflict, "{}", db.backend);
        assert_eq!(store.create_user("bob", "short", Role::Researcher).await.unwrap_err().kind(), ErrorKind::Invalid);
        assert_eq!(store.login("ada", PASSWORD).await.unwrap(), ada);
        let wrong = store.login("ada", "not the password!").await.unwrap_err();
        let unknown = store.login("nobody", PASSWORD).await.unwrap_err();
        assert_eq!((wrong.kind(), wrong.message()), (unknown.kind(), unknown.message()));
        let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'ada'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert!(stored.starts_with("$argon2id$") && !stored.contains(PASSWORD), "{stored}");

        let issued =
            store.issue_credential(&ada, CredentialKind::Session, "browser", Duration::from_secs(60)).await.unwrap();
        let principal = store.authenticate(&issued.secret).await.unwrap();
        assert_eq!((principal.user, principal.kind), (ada.clone(), CredentialKind::Session));
        assert_eq!(principal.csrf_token, issued.csrf_token);
        let secrets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM credentials WHERE token_hash = $1")
            .bind(&issued.secret)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(secrets, 0, "the secret itself is never stored");
        let expired = store.issue_credential(&ada, CredentialKind::ApiToken, "ci", Duration::ZERO).await.unwrap();
        assert_eq!(store.authenticate(&expired.secret).await.unwrap_err().kind(), ErrorKind::Unauthenticated);
        assert_eq!(store.authenticate("forged").await.unwrap_err().kind(), ErrorKind::Unauthenticated);
        store.revoke_credential(&issued.secret).await.unwrap();
        assert_eq!(store.authenticate(&issued.secret).await.unwrap_err().kind(), ErrorKind::Unauthenticated);
        db.drop_database().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vault_encrypts_checks_and_binds_objects_to_names() {
    for db in TestDb::both().await {
        let vault = &db.arena.vault;
        let secret = b"name,diagnosis\nAnna Schmidt,C50.9\n";
        let info = vault.put("ds_a", secret).await.unwrap();
        assert_eq!(info.size_bytes, secret.len() as u64);
        assert_eq!(vault.get("ds_a").await.unwrap(), secret);
        let sealed: Vec<u8> = sqlx::query_scalar("SELECT ciphertext FROM vault_objects WHERE name = 'ds_a'")
            .fetch_one(db.arena.store.pool())
            .await
            .unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"Schmi"), "plaintext must not be stored");
        // Another key cannot open it.
        let other = Vault::new(db.arena.store.clone(), &VaultKey::random());
        assert_eq!(other.get("ds_a").await.unwrap_err().kind(), ErrorKind::Vault);
        // A ciphertext moved under another name fails authentication.
        vault.put("ds_b", b"other").await.unwrap();
        sqlx::query("UPDATE vault_objects SET ciphertext = $1, nonce = (SELECT nonce FROM vault_objects WHERE name = 'ds_a') WHERE name = 'ds_b'")
            .bind(sealed.clone())
            .execute(db.arena.store.pool())
            .await
            .unwrap();
        assert_eq!(vault.get("ds_b").await.unwrap_err().kind(), ErrorKind::Vault);
        // A flipped bit is detected.
        let mut flipped = sealed;
        flipped[3] ^= 1;
        sqlx::query("UPDATE vault_objects SET ciphertext = $1 WHERE name = 'ds_a'")
            .bind(flipped)
            .execute(db.arena.store.pool())
            .await
            .unwrap();
        assert_eq!(vault.get("ds_a").await.unwrap_err().kind(), ErrorKind::Vault);
        assert_eq!(vault.get("missing").await.unwrap_err().kind(), ErrorKind::NotFound);
        db.drop_database().await;
    }
}

fn event(action: &str) -> Event<'_> {
    Event { actor: "usr_1", action, target: "ds_1", outcome: Outcome::Allowed, detail: serde_json::json!({"n": 1}) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_chain_detects_edits_deletions_and_survives_concurrent_writers() {
    for db in TestDb::both().await {
        let audit = &db.arena.audit;
        // Two handles with pools of their own append concurrently, as two processes would.
        let second = Arena::with_key(Store::connect(&db.url).await.unwrap(), &db.key);
        let a = async {
            for _ in 0..15 {
                audit.record(event("dataset.read")).await.unwrap();
            }
        };
        let b = async {
            for _ in 0..15 {
                second.audit.record(event("login")).await.unwrap();
            }
        };
        tokio::join!(a, b);
        let verification = audit.verify().await.unwrap();
        assert!(verification.intact, "{}: {:?}", db.backend, verification.problem);
        assert_eq!(verification.entries, 30);
        // Another key cannot produce a chain that verifies.
        let forged = Arena::with_key(db.arena.store.clone(), &VaultKey::random());
        assert!(!forged.audit.verify().await.unwrap().intact);

        sqlx::query("UPDATE audit_log SET outcome = 'denied' WHERE seq = 7")
            .execute(db.arena.store.pool())
            .await
            .unwrap();
        let broken = audit.verify().await.unwrap();
        assert!(!broken.intact);
        assert!(broken.problem.as_deref().unwrap().contains("entry 7 was altered"), "{:?}", broken.problem);
        sqlx::query("UPDATE audit_log SET outcome = 'allowed' WHERE seq = 7")
            .execute(db.arena.store.pool())
            .await
            .unwrap();
        assert!(audit.verify().await.unwrap().intact);
        sqlx::query("DELETE FROM audit_log WHERE seq = 12").execute(db.arena.store.pool()).await.unwrap();
        let gap = audit.verify().await.unwrap();
        assert!(gap.problem.as_deref().unwrap().contains("entry 12 is missing"), "{:?}", gap.problem);
        second.store.close().await;
        db.drop_database().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_claims_once_expires_leases_and_records_exactly_once() {
    for db in TestDb::both().await {
        let arena = &db.arena;
        let (owner, challenge) = challenge(arena).await;
        for k in [2, 3, 4] {
            let a = Implementation::BuiltinAnonymizer(BuiltinAnonymizer::Mondrian { k });
            arena.create_submission(&owner, &format!("mondrian {k}"), a, Visibility::Public).await.unwrap();
        }
        assert_eq!(arena.store.queue_counts().await.unwrap().queued, 3, "{}", db.backend);
        let _ = challenge;

        // Two workers claiming at once never get the same job.
        let lease = Duration::from_millis(400);
        let (a, b) = tokio::join!(arena.store.claim_job("w1", lease), arena.store.claim_job("w2", lease));
        let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
        assert_ne!(a.id, b.id);

        // w1 goes silent; after its lease w3 takes the job over.
        let c = arena.store.claim_job("w3", lease).await.unwrap().unwrap();
        assert_ne!(c.id, a.id, "a live lease is not taken over");
        assert!(arena.store.claim_job("w3", lease).await.unwrap().is_none());
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(arena.store.renew_lease(&b, "w2", Duration::from_secs(30)).await.unwrap());
        assert!(arena.store.renew_lease(&c, "w3", Duration::from_secs(30)).await.unwrap());
        let taken = arena.store.claim_job("w3", Duration::from_secs(30)).await.unwrap().unwrap();
        assert_eq!((taken.id.as_str(), taken.attempt), (a.id.as_str(), 2));
        let finished = |n: i64| anonlab_arena::queue::Finished {
            metrics: serde_json::json!({ "by": n }),
            release_sha256: None,
            started_at: 0,
        };
        assert!(arena.store.finish_job(&taken, "w3", finished(3)).await.unwrap());
        // The presumed-dead worker comes back: its result is dropped.
        assert!(!arena.store.finish_job(&a, "w1", finished(1)).await.unwrap());
        assert!(!arena.store.renew_lease(&a, "w1", lease).await.unwrap());
        let metrics: String = sqlx::query_scalar("SELECT metrics_json FROM evaluations WHERE id = $1")
            .bind(&a.evaluation_id)
            .fetch_one(arena.store.pool())
            .await
            .unwrap();
        assert_eq!(metrics, r#"{"by":3}"#);

        // A failure that may pass is retried after the backoff; one that cannot is final.
        assert!(arena.store.fail_job(&b, "w2", "database hiccup", true, Duration::from_millis(300)).await.unwrap());
        assert!(arena.store.claim_job("w2", lease).await.unwrap().is_none(), "backoff not over");
        tokio::time::sleep(Duration::from_millis(350)).await;
        let retried = arena.store.claim_job("w2", lease).await.unwrap().unwrap();
        assert_eq!((retried.id.as_str(), retried.attempt), (b.id.as_str(), 2));
        assert!(arena.store.fail_job(&retried, "w2", "k too large", false, Duration::ZERO).await.unwrap());
        // Handing a job back at shutdown does not use up an attempt.
        assert!(arena.store.return_job(&c, "w3").await.unwrap());
        let again = arena.store.claim_job("w4", lease).await.unwrap().unwrap();
        assert_eq!((again.id.as_str(), again.attempt), (c.id.as_str(), 1));

        let counts = arena.store.queue_counts().await.unwrap();
        assert_eq!((counts.done, counts.failed, counts.running), (1, 1, 1), "{counts:?}");
        let states: Vec<String> = sqlx::query("SELECT state FROM evaluations ORDER BY state")
            .fetch_all(arena.store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("state"))
            .collect();
        assert_eq!(states, ["done", "failed", "running"]);
        db.drop_database().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_with_every_claim_used_up_are_marked_failed() {
    for db in TestDb::both().await {
        let arena = &db.arena;
        let (owner, _) = challenge(arena).await;
        let a = Implementation::BuiltinAnonymizer(BuiltinAnonymizer::Mondrian { k: 2 });
        arena.create_submission(&owner, "m", a, Visibility::Public).await.unwrap();
        let lease = Duration::from_millis(50);
        for attempt in 1..=anonlab_arena::queue::MAX_ATTEMPTS {
            let job = arena.store.claim_job("crashing", lease).await.unwrap().unwrap();
            assert_eq!(job.attempt, attempt);
            tokio::time::sleep(Duration::from_millis(80)).await;
        }
        assert!(arena.store.claim_job("w", lease).await.unwrap().is_none());
        let row = sqlx::query("SELECT state, error FROM evaluations").fetch_one(arena.store.pool()).await.unwrap();
        assert_eq!(row.get::<String, _>("state"), "failed");
        assert!(row.get::<String, _>("error").contains("lease expired"));
        db.drop_database().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_evaluate_every_anonymizer_against_every_attack() {
    for db in TestDb::both().await {
        let arena = &db.arena;
        let (owner, challenge) = challenge(arena).await;
        for attack in [BuiltinAttack::Inference, BuiltinAttack::Linkability] {
            arena
                .create_submission(&owner, attack.name(), Implementation::BuiltinAttack(attack), Visibility::Public)
                .await
                .unwrap();
        }
        for (name, a) in [("identity", BuiltinAnonymizer::Identity), ("mondrian", BuiltinAnonymizer::Mondrian { k: 5 })]
        {
            arena
                .create_submission(&owner, name, Implementation::BuiltinAnonymizer(a), Visibility::Public)
                .await
                .unwrap();
        }
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let workers: Vec<_> = (0..2)
            .map(|_| tokio::spawn(anonlab_arena::worker::run(arena.clone(), Default::default(), stopping.clone())))
            .collect();
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            let counts = arena.store.queue_counts().await.unwrap();
            if counts.queued == 0 && counts.running == 0 && counts.done + counts.failed == 6 {
                assert_eq!(counts.failed, 0, "{}: {counts:?}", db.backend);
                break;
            }
            assert!(std::time::Instant::now() < deadline, "evaluation did not finish: {counts:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stop.send_replace(true);
        let finished: u64 = futures_finished(workers).await;
        assert_eq!(finished, 6, "each job recorded exactly once");
        let board = arena.store.leaderboard(&challenge.slug, None).await.unwrap();
        assert_eq!(board.attacks.len(), 2);
        assert_eq!(board.entries.len(), 2);
        for entry in &board.entries {
            assert!(entry.utility.is_some() && entry.privacy.iter().all(|c| c.metrics.is_some()), "{entry:?}");
        }
        let identity = board.entries.iter().find(|e| e.submission.name == "identity").unwrap();
        let mondrian = board.entries.iter().find(|e| e.submission.name == "mondrian").unwrap();
        assert!(identity.utility_score.unwrap() > mondrian.utility_score.unwrap());
        assert!(board.entries.iter().any(|e| e.on_frontier));
        let reads: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'dataset.read'")
            .fetch_one(arena.store.pool())
            .await
            .unwrap();
        assert!(reads >= 1, "the workers' reads of the dataset are audited");
        db.drop_database().await;
    }
}

async fn futures_finished(
    workers: Vec<tokio::task::JoinHandle<anonlab_arena::Result<anonlab_arena::worker::WorkerStats>>>,
) -> u64 {
    let mut total = 0;
    for w in workers {
        total += w.await.unwrap().unwrap().finished;
    }
    total
}
