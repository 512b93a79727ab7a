//! The platform's processes: a worker killed in the middle of a job, a worker
//! stopped gracefully, and `anonlab audit verify` — on SQLite and PostgreSQL.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anonlab_arena::accounts::Role;
use anonlab_arena::submission::{BuiltinAnonymizer, BuiltinAttack, Implementation, Visibility};
use anonlab_arena::testing::{TestDb, tiny_csv, tiny_spec};
use anonlab_arena::vault::VaultKey;
use sqlx::Row;

use crate::util::{anonlab, tempdir};

/// Kills the process when dropped, whatever the test's outcome.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill").args([format!("-{name}"), child.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
}

/// Starts `anonlab worker` on `db` and returns it with the id it printed.
fn start_worker(db: &TestDb, data_dir: &Path, extra: &[&str]) -> (Process, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_anonlab"))
        .args(["worker", "--database-url", &db.url, "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("anonlab worker starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("the worker prints its id");
    (Process(child), line.trim().to_string())
}

async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A challenge with three anonymizers and one attack: three utility jobs, then three privacy jobs.
async fn seed(db: &TestDb) {
    let arena = &db.arena;
    let owner = arena.store.create_user("owner", "a long enough password", Role::DataOwner).await.unwrap();
    let dataset = arena.create_dataset(&owner, "tiny", tiny_csv(200), 1 << 20).await.unwrap();
    arena.create_challenge(&owner, "tiny", "Tiny", "", &dataset.id, tiny_spec()).await.unwrap();
    let attack = Implementation::BuiltinAttack(BuiltinAttack::Inference);
    arena.create_submission(&owner, "inference", attack, Visibility::Public).await.unwrap();
    for k in [2, 3, 4] {
        let anonymizer = Implementation::BuiltinAnonymizer(BuiltinAnonymizer::Mondrian { k });
        arena.create_submission(&owner, &format!("mondrian-{k}"), anonymizer, Visibility::Public).await.unwrap();
    }
}

async fn databases() -> Vec<(TestDb, tempfile::TempDir)> {
    let mut out = Vec::new();
    for mut db in TestDb::both().await {
        let data_dir = tempdir();
        let (key, _) = VaultKey::load_or_create(data_dir.path()).unwrap();
        db.rekey(key);
        seed(&db).await;
        out.push((db, data_dir));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_workers_job_completes_exactly_once_after_restart() {
    for (db, data_dir) in databases().await {
        let store = db.arena.store.clone();
        let (mut doomed, doomed_id) = start_worker(&db, data_dir.path(), &["--lease-secs", "2", "--hold-ms", "600000"]);
        let held = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        wait_for("the first worker to hold a job", Duration::from_secs(60), || {
            let (store, id, held) = (store.clone(), doomed_id.clone(), held.clone());
            async move {
                let row = sqlx::query("SELECT evaluation_id FROM jobs WHERE state = 'running' AND lease_owner = $1")
                    .bind(&id)
                    .fetch_optional(store.pool())
                    .await
                    .unwrap();
                row.map(|r| *held.lock().unwrap() = r.get("evaluation_id")).is_some()
            }
        })
        .await;
        signal(&doomed.0, "KILL");
        doomed.0.wait().unwrap();
        let held = held.lock().unwrap().clone();

        let (_rescuer, _) = start_worker(&db, data_dir.path(), &["--lease-secs", "2"]);
        wait_for("every job to finish", Duration::from_secs(120), || {
            let store = store.clone();
            async move {
                let c = store.queue_counts().await.unwrap();
                c.queued == 0 && c.running == 0 && c.done + c.failed == 6
            }
        })
        .await;
        let counts = store.queue_counts().await.unwrap();
        assert_eq!((counts.done, counts.failed), (6, 0), "{}: {counts:?}", db.backend);
        let row = sqlx::query("SELECT state, attempts, metrics_json FROM evaluations WHERE id = $1")
            .bind(&held)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(row.get::<String, _>("state"), "done", "{}", db.backend);
        assert_eq!(row.get::<i64, _>("attempts"), 2, "the killed claim and the one that finished");
        assert!(row.get::<Option<String>, _>("metrics_json").is_some());
        let evaluations: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM evaluations").fetch_one(store.pool()).await.unwrap();
        assert_eq!(evaluations, 6, "three utility and three privacy runs, none twice");
        println!(
            "crash test on {}: killed worker {doomed_id} holding {held}; rescued on attempt 2; 6/6 jobs done",
            db.backend
        );

        let dir = data_dir.path().to_str().unwrap();
        let out = anonlab(data_dir.path(), &["audit", "verify", "--database-url", &db.url, "--data-dir", dir]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("audit log intact"));
        sqlx::query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 1").execute(store.pool()).await.unwrap();
        let out = anonlab(data_dir.path(), &["audit", "verify", "--database-url", &db.url, "--data-dir", dir]);
        assert_eq!(out.status.code(), Some(1), "a tampered log fails verification");
        assert!(String::from_utf8_lossy(&out.stderr).contains("entry 1 was altered"));
        db.drop_database().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_worker_hands_its_job_back() {
    for (db, data_dir) in databases().await {
        let store = db.arena.store.clone();
        let (mut worker, id) = start_worker(&db, data_dir.path(), &["--hold-ms", "600000", "--grace-secs", "1"]);
        wait_for("the worker to hold a job", Duration::from_secs(60), || {
            let (store, id) = (store.clone(), id.clone());
            async move {
                sqlx::query("SELECT id FROM jobs WHERE state = 'running' AND lease_owner = $1")
                    .bind(&id)
                    .fetch_optional(store.pool())
                    .await
                    .unwrap()
                    .is_some()
            }
        })
        .await;
        signal(&worker.0, "TERM");
        let status = worker.0.wait().unwrap();
        assert!(status.success(), "a stopped worker exits cleanly: {status}");
        let counts = store.queue_counts().await.unwrap();
        assert_eq!((counts.queued, counts.running), (3, 0), "{}: {counts:?}", db.backend);
        let attempts: i64 = sqlx::query_scalar("SELECT MAX(attempts) FROM jobs").fetch_one(store.pool()).await.unwrap();
        assert_eq!(attempts, 0, "a handed-back job keeps its attempts");
        db.drop_database().await;
    }
}
