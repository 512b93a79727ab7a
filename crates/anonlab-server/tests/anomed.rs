//! AnoMed interoperability, end to end with the real reference packages.
//!
//! `interop_unmodified_apps`: anonlab serves the flchain challenge on a real
//! socket; the README example anonymizer (diffprivlib GaussianNB) and
//! deanonymizer (ART black-box membership inference), built from the pinned
//! PyPI packages and served by gunicorn, are registered through the API and
//! started with the `CHALLENGE_HOST` it hands out; the worker drives them
//! through the protocol and anonlab's own attacks query the anonymizer's
//! `/predict`. The recorded metrics are checked against what the routes saw.
//!
//! `routes_match_the_reference_challenge`: the reference Python challenge
//! (anomed-challenge) serves the same data; `client_compare.py` sends both the
//! requests a real client sends and compares what a client can observe.
//!
//! The Python side comes from `scripts/python-env.sh anomed` (the test script sets
//! `ANONLAB_ANOMED_PYTHON`); without it both tests print why and pass.
//! Every process started is stopped by PID when the test ends, however it ends.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anonlab_arena::Arena;
use anonlab_arena::accounts::{CredentialKind, Role, User};
use anonlab_arena::anomed::driver::DriverConfig;
use anonlab_arena::anomed::links::Round;
use anonlab_arena::anomed::ml::{DataSplit, MlChallenge};
use anonlab_arena::anomed::npz::{Array, Npz};
use anonlab_arena::catalog::Challenge;
use anonlab_arena::evaluate::demo::demo_challenges;
use anonlab_arena::leaderboard::Entry;
use anonlab_arena::submission::{BuiltinAttack, Implementation, Visibility};
use anonlab_arena::testing::TestDb;
use anonlab_arena::worker::{self, WorkerConfig};
use anonlab_server::ServerConfig;
use anonlab_server::http::{AppState, router};
use serde_json::{Value, json};

/// The Python of the AnoMed venv, or why the test is skipped.
fn anomed_python() -> Option<PathBuf> {
    match std::env::var_os("ANONLAB_ANOMED_PYTHON") {
        Some(p) if Path::new(&p).exists() => Some(PathBuf::from(p)),
        _ => {
            eprintln!(
                "skipped: ANONLAB_ANOMED_PYTHON is not set (scripts/test.sh sets it from scripts/python-env.sh anomed)"
            );
            None
        }
    }
}

fn apps_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/anomed")
}

/// Child processes, stopped by PID (SIGTERM, then SIGKILL) when dropped,
/// and the model directories of the apps among them (removed after).
#[derive(Default)]
struct Processes {
    children: Vec<(String, Child)>,
    model_dirs: Vec<tempfile::TempDir>,
}

impl Processes {
    /// Starts an AnoMed app with a model directory of its own and waits until it answers `GET /`.
    async fn app(&mut self, python: &Path, logs: &Path, name: &str, module: &str, port: u16, env: &[(&str, String)]) {
        let dir = tempfile::tempdir().unwrap();
        let mut env = env.to_vec();
        env.push(("ANOMED_MODEL_DIR", dir.path().display().to_string()));
        self.gunicorn(python, name, module, port, &env, logs);
        self.model_dirs.push(dir);
        wait_up(&reqwest::Client::new(), &format!("http://127.0.0.1:{port}/"), logs, name).await;
    }

    fn gunicorn(&mut self, python: &Path, name: &str, module: &str, port: u16, env: &[(&str, String)], logs: &Path) {
        let gunicorn = python.with_file_name("gunicorn");
        let log = std::fs::File::create(logs.join(format!("{name}.log"))).expect("log file");
        let mut command = Command::new(gunicorn);
        command
            .args(["--bind", &format!("127.0.0.1:{port}"), "--timeout", "300", "--chdir"])
            .arg(apps_dir())
            .arg(format!("{module}:application"))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            // pyarrow 19 may abort at interpreter exit without it (tests/anomed/README.md).
            .env("OMP_NUM_THREADS", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().unwrap_or_else(|e| panic!("cannot start gunicorn for {name}: {e}"));
        eprintln!("started {name} (pid {}) on 127.0.0.1:{port}", child.id());
        self.children.push((name.to_string(), child));
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child) in &self.children {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        }
        for (name, child) in &mut self.children {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match child.try_wait() {
                    Ok(Some(status)) => {
                        eprintln!("stopped {name} (pid {}): {status}", child.id());
                        break;
                    }
                    Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
                    _ => {
                        let _ = child.kill();
                        let _ = child.wait();
                        eprintln!("killed {name} (pid {})", child.id());
                        break;
                    }
                }
            }
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Waits until `GET url` answers 200.
async fn wait_up(client: &reqwest::Client, url: &str, logs: &Path, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(url).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let log = std::fs::read_to_string(logs.join(format!("{name}.log"))).unwrap_or_default();
    panic!("{name} did not come up at {url}; its log:\n{log}");
}

/// A platform on a real socket with one in-process worker.
struct Platform {
    _db: TestDb,
    arena: Arena,
    base: String,
    address: SocketAddr,
    token: String,
    researcher: User,
    challenge: Challenge,
    stop: tokio::sync::watch::Sender<bool>,
}

async fn platform(with_worker: bool) -> Platform {
    let db = TestDb::sqlite().await;
    let arena = db.arena.clone();
    let owner = arena.store.create_user("olga", "olga's password is long enough", Role::DataOwner).await.unwrap();
    let researcher = arena.store.create_user("rita", "rita's password is long enough", Role::Researcher).await.unwrap();
    let token = arena
        .store
        .issue_credential(&researcher, CredentialKind::ApiToken, "tests", Duration::from_secs(3600))
        .await
        .unwrap()
        .secret;
    for attack in BuiltinAttack::every() {
        arena
            .create_submission(&owner, attack.name(), Implementation::BuiltinAttack(attack), Visibility::Public)
            .await
            .unwrap();
    }
    let demo = demo_challenges().into_iter().find(|d| d.slug == "flchain").expect("flchain demo");
    let dataset = arena.create_dataset(&owner, "flchain", demo.csv.to_vec(), usize::MAX).await.unwrap();
    let challenge =
        arena.create_challenge(&owner, demo.slug, demo.title, demo.description, &dataset.id, demo.spec).await.unwrap();

    let config = ServerConfig { demo: false, anomed_max_body_bytes: 1 << 20, ..ServerConfig::default() };
    let app = router(AppState::new(arena.clone(), config).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    if with_worker {
        let config = WorkerConfig {
            poll: Duration::from_millis(100),
            anomed: DriverConfig {
                ready: Duration::from_secs(60),
                fit: Duration::from_secs(120),
                evaluate: Duration::from_secs(120),
                predict: Duration::from_secs(120),
            },
            ..WorkerConfig::new()
        };
        tokio::spawn(worker::run(arena.clone(), config, stopped));
    }
    Platform { _db: db, arena, base: format!("http://{address}"), address, token, researcher, challenge, stop }
}

impl Platform {
    /// Registers an AnoMed app through the API; returns its id and CHALLENGE_HOST.
    async fn register(&self, client: &reqwest::Client, name: &str, implementation: Value) -> (String, String) {
        let response = client
            .post(format!("{}/api/v1/submissions", self.base))
            .bearer_auth(&self.token)
            .json(&json!({ "name": name, "implementation": implementation }))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        let host = body["anomed"]["challenge_host"].as_str().expect("challenge_host").to_string();
        assert!(host.starts_with(&format!("{}/anomed/", self.address)), "{host}");
        (body["id"].as_str().unwrap().to_string(), host)
    }

    async fn ml(&self) -> std::sync::Arc<MlChallenge> {
        self.arena.ml_challenge(&self.challenge, "test").await.unwrap()
    }

    /// The models board's entry of `anonymizer` once its utility run and every
    /// attack on it have ended.
    async fn finished_entry(&self, anonymizer: &str, attacks: usize, within: Duration) -> (Entry, Vec<String>) {
        self.finished(anonymizer, attacks, within, true).await
    }

    /// The same on the board of `models` or of table releases.
    async fn finished(&self, anonymizer: &str, attacks: usize, within: Duration, models: bool) -> (Entry, Vec<String>) {
        let deadline = Instant::now() + within;
        loop {
            let board = self.arena.store.leaderboard(&self.challenge.slug, Some(&self.researcher)).await.unwrap();
            let (columns, entries) =
                if models { (board.model_attacks, board.models) } else { (board.attacks, board.entries) };
            let columns: Vec<String> = columns.iter().map(|a| a.name.clone()).collect();
            if let Some(entry) = entries.into_iter().find(|e| e.submission.id == anonymizer) {
                let ended = |state: &str| state == "done" || state == "failed";
                if ended(&entry.state)
                    && (entry.state == "failed"
                        || (entry.privacy.len() >= attacks && entry.privacy.iter().all(|c| ended(&c.state))))
                {
                    return (entry, columns);
                }
                if Instant::now() > deadline {
                    panic!("not finished after {within:?}: {}", serde_json::to_string_pretty(&entry).unwrap());
                }
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

/// Per-feature bounds of the training data for the DP model, widened a little
/// (a data owner would publish such bounds with the challenge).
fn feature_bounds(ml: &MlChallenge) -> String {
    let cols = ml.training.cols;
    let mut low = vec![f64::INFINITY; cols];
    let mut high = vec![f64::NEG_INFINITY; cols];
    for row in ml.training.x.chunks(cols) {
        for (j, v) in row.iter().enumerate() {
            low[j] = low[j].min(*v);
            high[j] = high[j].max(*v);
        }
    }
    let low: Vec<f64> = low.iter().map(|v| v.floor()).collect();
    let high: Vec<f64> = high.iter().map(|v| v.ceil()).collect();
    json!([low, high]).to_string()
}

async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>) -> (u16, Value) {
    let r = client.post(url).body(body).send().await.unwrap();
    assert!(r.headers().get("content-type").is_some_and(|v| v == "application/json"), "{url}: {:?}", r.headers());
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interop_unmodified_apps() {
    let Some(python) = anomed_python() else { return };
    let logs = tempfile::tempdir().unwrap();
    let mut processes = Processes::default();
    let p = platform(true).await;
    let client = reqwest::Client::new();
    let ml = p.ml().await;
    let side = ml.evaluation_validation.membership.iter().filter(|m| **m).count();

    // 1. The anonymizer: registered, then started with the CHALLENGE_HOST handed out.
    let anon_port = free_port();
    let (anonymizer, anon_host) = p
        .register(
            &client,
            "diffprivlib GaussianNB (AnoMed example)",
            json!({ "kind": "anomed-anonymizer", "url": format!("http://127.0.0.1:{anon_port}"), "challenge": "flchain" }),
        )
        .await;
    processes
        .app(
            &python,
            logs.path(),
            "anonymizer",
            "anonymizer_app",
            anon_port,
            &[
                ("CHALLENGE_HOST", anon_host.clone()),
                ("ANOMED_FEATURE_BOUNDS", feature_bounds(&ml)),
                ("ANOMED_CLASSES", ml.classes.len().to_string()),
            ],
        )
        .await;

    let (entry, columns) = p.finished_entry(&anonymizer, 3, Duration::from_secs(300)).await;
    eprintln!("anonymizer entry: {}", serde_json::to_string_pretty(&entry).unwrap());
    assert_eq!(entry.state, "done", "{:?}", entry.error);
    let utility = entry.model_utility.as_ref().expect("model utility");
    assert_eq!(utility.validation.records as usize, ml.validation.y.len());
    let accuracy = utility.validation.accuracy;
    assert!(accuracy.value > 0.3 && accuracy.value < 1.0, "{accuracy:?}");
    assert!(accuracy.low < accuracy.value && accuracy.value < accuracy.high, "{accuracy:?}");
    assert_eq!(entry.utility_score, Some(accuracy.value));
    assert!(utility.tuning.is_some());
    for call in [
        "GET / 200",
        "POST /fit 201",
        "POST /evaluate?data_split=tuning 201",
        "POST /evaluate?data_split=validation 201",
    ] {
        assert!(utility.calls.iter().any(|c| c.starts_with(call)), "{call} missing from {:?}", utility.calls);
    }
    // anonlab's own attacks on the model, through /predict.
    let ours = ["label-only-gap", "label-only-noise", "shadow-model"];
    assert!(ours.iter().all(|a| columns.iter().any(|c| c == a)), "{columns:?}");
    for cell in &entry.privacy {
        assert_eq!(cell.state, "done", "{cell:?}");
        let m = cell.metrics.as_ref().unwrap();
        let d = m.decisions.expect("decisions");
        assert_eq!((d.true_positives + d.false_negatives) as usize, side, "{}", m.attack);
        assert_eq!((d.false_positives + d.true_negatives) as usize, side, "{}", m.attack);
        assert!((d.fpr.value - d.false_positives as f64 / side as f64).abs() < 1e-12);
        let auc = m.auc.expect("auc");
        assert!((0.0..=1.0).contains(&auc) && m.roc.len() >= 3, "{m:?}");
        assert!(m.tpr_at_1_fpr.is_some() && m.tpr_at_0_1_fpr.is_some());
        eprintln!(
            "  our attack {:<17} AUC {auc:.3}  TPR {:.3} [{:.3}, {:.3}]  FPR {:.3}  TPR@1%FPR {:.3}  risk {:.3}",
            m.attack,
            d.tpr.value,
            d.tpr.low,
            d.tpr.high,
            d.fpr.value,
            m.tpr_at_1_fpr.unwrap(),
            m.risk.value
        );
    }

    // 2. The deanonymizer, aimed at the anonymizer.
    let deanon_port = free_port();
    let (deanonymizer, deanon_host) = p
        .register(
            &client,
            "ART black-box MIA (AnoMed example)",
            json!({
                "kind": "anomed-deanonymizer",
                "url": format!("http://127.0.0.1:{deanon_port}"),
                "challenge": "flchain",
                "target": anonymizer,
            }),
        )
        .await;
    assert_ne!(deanon_host, anon_host);
    processes
        .app(
            &python,
            logs.path(),
            "deanonymizer",
            "deanonymizer_app",
            deanon_port,
            &[
                ("CHALLENGE_HOST", deanon_host.clone()),
                ("ATTACK_TARGET_HOST", format!("127.0.0.1:{anon_port}")),
                ("ANOMED_N_FEATURES", ml.training.cols.to_string()),
                ("ANOMED_CLASSES", ml.classes.len().to_string()),
            ],
        )
        .await;
    let (entry, columns) = p.finished_entry(&anonymizer, 4, Duration::from_secs(300)).await;
    let column = columns.iter().position(|c| c.starts_with("ART")).expect("the deanonymizer's column");
    let cell = &entry.privacy[column];
    assert_eq!(cell.state, "done", "{cell:?}");
    assert_eq!(cell.attack_id, deanonymizer);
    let m = cell.metrics.as_ref().unwrap();
    let d = m.decisions.expect("decisions");
    let n = (2 * side) as f64;
    assert_eq!((d.true_positives + d.false_negatives) as usize, side);
    assert!((d.fpr.value - d.false_positives as f64 / side as f64).abs() < 1e-12, "FPR over the non-members");
    assert!((d.fpr_anomed - d.false_positives as f64 / n).abs() < 1e-12, "AnoMed's FPR over all records");
    assert!((d.accuracy.value - (d.true_positives + d.true_negatives) as f64 / n).abs() < 1e-12);
    assert!(m.warnings.iter().any(|w| w.contains("POST /evaluate?data_split=validation 201")), "{:?}", m.warnings);
    eprintln!(
        "ART example attack, validation ({side} members + {side} non-members): \
         AnoMed would report acc {:.3}, tpr {:.3}, fpr {:.3}; anonlab records acc {:.3} [{:.3}, {:.3}], \
         TPR {:.3} [{:.3}, {:.3}], FPR {:.3} [{:.3}, {:.3}], advantage {:.3}, risk {:.3}",
        d.accuracy.value,
        d.tpr.value,
        d.fpr_anomed,
        d.accuracy.value,
        d.accuracy.low,
        d.accuracy.high,
        d.tpr.value,
        d.tpr.low,
        d.tpr.high,
        d.fpr.value,
        d.fpr.low,
        d.fpr.high,
        d.advantage,
        m.risk.value
    );

    // The web UI shows the models board and the entry's page.
    let page = client.get(format!("{}/challenges/flchain", p.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Models (AnoMed protocol)"), "no models board");
    assert!(page.contains("diffprivlib GaussianNB (AnoMed example)") && page.contains("label-only-noise"));
    assert!(page.contains("ART black-box MIA (AnoMed example)"), "the deanonymizer's column");
    let entry_page = client.get(format!("{}/challenges/flchain/entries/{anonymizer}", p.base)).send().await.unwrap();
    assert_eq!(entry_page.status(), 200);
    let entry_page = entry_page.text().await.unwrap();
    assert!(entry_page.contains("Validation accuracy") && entry_page.contains("POST &#x2f;fit 201"), "{entry_page}");

    // 3. Validation happens once: the app's second try is refused.
    let prediction = Npz::new().with("prediction", Array::i64(vec![ml.validation.y.len()], ml.validation.y.clone()));
    let (status, body) = post(
        &client,
        &format!("http://{anon_host}/utility/anonymizer?anonymizer=x&data_split=validation"),
        prediction.to_bytes(),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["description"].as_str().unwrap().contains("validated already"), "{body}");
    assert_eq!(
        p.arena.store.anomed_result(&anonymizer, Round::Ml(DataSplit::Validation)).await.unwrap().unwrap()["accuracy"]
            ["value"],
        json!(accuracy.value),
        "the recorded validation is the app's, not the perfect one sent after it"
    );

    // 4. Every data read is audited under the app's submission; no secret is in the log.
    let entries = p.arena.audit.recent(100_000).await.unwrap();
    let text = format!("{entries:?}");
    for (id, host) in [(&anonymizer, &anon_host), (&deanonymizer, &deanon_host)] {
        assert!(
            entries.iter().any(|e| e.action == "anomed.data.read" && e.actor == format!("anomed:{id}")),
            "no audited read by {id}"
        );
        let secret = host.rsplit('/').next().unwrap();
        assert!(!text.contains(secret), "a secret reached the audit log");
    }
    p.stop.send(true).unwrap();
    drop(processes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interop_tabular_anonymizer() {
    let Some(python) = anomed_python() else { return };
    let logs = tempfile::tempdir().unwrap();
    let mut processes = Processes::default();
    let p = platform(true).await;
    let client = reqwest::Client::new();
    let port = free_port();
    let (anonymizer, host) = p
        .register(
            &client,
            "pandas generalization (AnoMed tabular)",
            json!({ "kind": "anomed-tabular-anonymizer", "url": format!("http://127.0.0.1:{port}"), "challenge": "flchain" }),
        )
        .await;
    processes
        .app(
            &python,
            logs.path(),
            "tabular-anonymizer",
            "tabular_anonymizer_app",
            port,
            &[("CHALLENGE_HOST", host.clone())],
        )
        .await;
    let (entry, columns) = p.finished(&anonymizer, BuiltinAttack::ALL.len(), Duration::from_secs(300), false).await;
    eprintln!("tabular entry: {}", serde_json::to_string_pretty(&entry).unwrap());
    assert_eq!(entry.state, "done", "{:?}", entry.error);
    let utility = entry.utility.as_ref().expect("table utility");
    for call in ["GET / 200", "POST /fit 201", "POST /evaluate 201"] {
        assert!(utility.protocol_calls.iter().any(|c| c.starts_with(call)), "{call}: {:?}", utility.protocol_calls);
    }
    // Ages in 5-year and sample years in 2-year bands, nothing suppressed.
    assert!(utility.information_loss > 0.01 && utility.information_loss < 0.5, "{utility:?}");
    assert_eq!(utility.suppressed_share, 0.0);
    assert!(utility.classification_accuracy.is_some());
    // anonlab's table attacks ran on the uploaded release.
    let mut columns = columns;
    columns.sort();
    let mut expected = BuiltinAttack::ALL.map(|a| a.name().to_string());
    expected.sort();
    assert_eq!(columns, expected);
    for cell in &entry.privacy {
        assert_eq!(cell.state, "done", "{cell:?}");
        let m = cell.metrics.as_ref().unwrap();
        eprintln!("  {:<13} risk {:.3} [{:.3}, {:.3}]", m.attack, m.risk.value, m.risk.low, m.risk.high);
    }
    // A deanonymizer aimed at it reconstructs the secret from its background knowledge and the release.
    let deanon_port = free_port();
    let (deanonymizer, deanon_host) = p
        .register(
            &client,
            "compatible-rows vote (AnoMed tabular attack)",
            json!({
                "kind": "anomed-deanonymizer",
                "url": format!("http://127.0.0.1:{deanon_port}"),
                "challenge": "flchain",
                "target": anonymizer,
            }),
        )
        .await;
    processes
        .app(
            &python,
            logs.path(),
            "tabular-deanonymizer",
            "tabular_deanonymizer_app",
            deanon_port,
            &[
                ("CHALLENGE_HOST", deanon_host.clone()),
                ("ATTACK_TARGET_HOST", format!("127.0.0.1:{port}")),
                ("ANOMED_SECRET", p.challenge.spec.threat_model.secret.clone()),
            ],
        )
        .await;
    let (entry, columns) = p.finished(&anonymizer, BuiltinAttack::ALL.len() + 1, Duration::from_secs(300), false).await;
    let column = columns.iter().position(|c| c.starts_with("compatible-rows")).expect("the deanonymizer's column");
    let cell = &entry.privacy[column];
    assert_eq!((cell.state.as_str(), cell.attack_id.as_str()), ("done", deanonymizer.as_str()), "{cell:?}");
    let m = cell.metrics.as_ref().unwrap();
    assert_eq!(m.trials as usize, p.challenge.spec.threat_model.n_attacks);
    assert!(m.attack_rate.value > 0.3 && m.baseline_rate.value > 0.3, "{m:?}");
    assert!(m.warnings.iter().any(|w| w.contains("POST /evaluate 201")), "{:?}", m.warnings);
    eprintln!(
        "tabular deanonymizer: secret right for {:.3} [{:.3}, {:.3}] of {} targets, most common value {:.3}, risk {:.3}",
        m.attack_rate.value, m.attack_rate.low, m.attack_rate.high, m.trials, m.baseline_rate.value, m.risk.value
    );
    let again = client
        .post(format!("http://{deanon_host}/utility/deanonymizer?anonymizer=a&deanonymizer=d"))
        .body(b"PAR1".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409, "a reconstruction is scored once");

    // A second upload is refused; the sealed release is the recorded one.
    let form = reqwest::multipart::Form::new()
        .part("anon_data", reqwest::multipart::Part::bytes(b"PAR1".to_vec()).file_name("anon_data.parquet"))
        .text("anon_scheme", "same");
    let r = client.post(format!("http://{host}/utility/anonymizer?anonymizer=x")).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let recorded = p.arena.store.anomed_result(&anonymizer, Round::Release).await.unwrap().unwrap();
    let sealed = p.arena.vault.get(&anonlab_arena::worker::release_object(&p.challenge.id, &anonymizer)).await.unwrap();
    use sha2::Digest;
    assert_eq!(recorded["release_sha256"], json!(data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(&sealed))));
    p.stop.send(true).unwrap();
    drop(processes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tabular_uploads_get_clear_json_errors() {
    let p = platform(false).await;
    let client = reqwest::Client::new();
    let kind = json!({ "kind": "anomed-tabular-anonymizer", "url": "http://127.0.0.1:9", "challenge": "flchain" });
    let (_, host) = p.register(&client, "unstarted tabular", kind).await;
    let leaky = client.get(format!("http://{host}/data/anonymizer/leaky")).send().await.unwrap();
    assert_eq!(leaky.status(), 200);
    let leaky = leaky.bytes().await.unwrap().to_vec();
    let table = anonlab_table::io::parquet::read_parquet_bytes(&leaky, "leaky").unwrap();
    let split = p.arena.challenge_split(&p.challenge, "test", "test").await.unwrap();
    assert_eq!(table.rows(), split.train.rows());
    // Dropping rows: the release must keep every row in order.
    let short = anonlab_table::io::parquet::table_to_parquet_bytes(&table.select_rows(&[0, 1, 2])).unwrap();
    let upload = |data: Vec<u8>, scheme: &str| {
        reqwest::multipart::Form::new()
            .part("anon_data", reqwest::multipart::Part::bytes(data).file_name("anon_data.parquet"))
            .text("anon_scheme", scheme.to_string())
    };
    let url = format!("http://{host}/utility/anonymizer?anonymizer=x");
    let cases = vec![
        ("not multipart", client.post(&url).body("hello"), 400, "multipart/form-data"),
        ("no scheme", client.post(&url).multipart(reqwest::multipart::Form::new().text("x", "y")), 400, "missing"),
        ("not Parquet", client.post(&url).multipart(upload(b"hello".to_vec(), "same")), 400, "not a readable Parquet"),
        ("unknown scheme", client.post(&url).multipart(upload(leaky.clone(), "magic")), 400, "anon_scheme must be"),
        ("rows dropped", client.post(&url).multipart(upload(short, "same")), 400, "keep every row"),
        ("ML route", client.get(format!("http://{host}/data/anonymizer/training")), 403, "for anonymizers"),
        (
            "an anonymizer reading background knowledge",
            client.get(format!("http://{host}/data/deanonymizer/background-knowledge")),
            403,
            "for deanonymizers of a tabular anonymizer",
        ),
    ];
    for (what, request, status, says) in cases {
        let r = request.send().await.unwrap();
        let got = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(got, status, "{what}: {body}");
        assert!(body["description"].as_str().unwrap_or_default().contains(says), "{what}: {body}");
    }
    // The leaky data itself, unchanged, is a valid release ("same").
    let r = client.post(&url).multipart(upload(leaky, "same")).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let figures: Value = r.json().await.unwrap();
    assert_eq!(figures["information_loss"], json!(0.0), "{figures}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_json_errors() {
    // No Python needed: the routes alone.
    let p = platform(false).await;
    let client = reqwest::Client::new();
    let ml = p.ml().await;
    let anon = json!({ "kind": "anomed-anonymizer", "url": "http://127.0.0.1:9", "challenge": "flchain" });
    let (anonymizer, anon_host) = p.register(&client, "unstarted anonymizer", anon).await;
    let (_, deanon_host) = p
        .register(
            &client,
            "unstarted deanonymizer",
            json!({ "kind": "anomed-deanonymizer", "url": "http://127.0.0.1:9", "challenge": "flchain", "target": anonymizer }),
        )
        .await;
    let utility = format!("http://{anon_host}/utility/anonymizer");
    let tuning_rows = ml.tuning.y.len();
    let npz = |name: &str, array: Array| Npz::new().with(name, array).to_bytes();
    let labels = |n: usize| Array::i64(vec![n], vec![0; n]);
    let side = ml.evaluation_tuning.membership.len();
    let cases: Vec<(&str, u16, String, reqwest::RequestBuilder)> = vec![
        (
            "not an NPZ",
            400,
            "not an NPZ".to_string(),
            client.post(format!("{utility}?data_split=tuning")).body("hello"),
        ),
        ("empty body", 400, "NPZ".to_string(), client.post(format!("{utility}?data_split=tuning")).body(Vec::new())),
        (
            "no prediction array",
            400,
            "named 'prediction'".to_string(),
            client.post(format!("{utility}?data_split=tuning")).body(npz("y", labels(tuning_rows))),
        ),
        (
            "float predictions",
            400,
            "integer class labels".to_string(),
            client
                .post(format!("{utility}?data_split=tuning"))
                .body(npz("prediction", Array::f64(vec![tuning_rows], vec![0.0; tuning_rows]))),
        ),
        (
            "one row short",
            400,
            format!("shape ({tuning_rows},)"),
            client.post(format!("{utility}?data_split=tuning")).body(npz("prediction", labels(tuning_rows - 1))),
        ),
        (
            "unknown data_split",
            400,
            "'tuning' or 'validation'".to_string(),
            client.post(format!("{utility}?data_split=utility")).body(npz("prediction", labels(tuning_rows))),
        ),
        (
            "missing data_split",
            400,
            "Missing parameter".to_string(),
            client.post(utility.clone()).body(npz("prediction", labels(3))),
        ),
        (
            "oversized body",
            413,
            "limit of 1048576 bytes".to_string(),
            // Its own client: the server answers before reading the body and closes the connection.
            reqwest::Client::new().post(format!("{utility}?data_split=tuning")).body(vec![0u8; (1 << 20) + 1]),
        ),
        (
            "missing attack parameters",
            400,
            "Missing parameter".to_string(),
            client.get(format!("http://{deanon_host}/data/attack-success-evaluation?data_split=tuning")),
        ),
        (
            "anonymizer on a deanonymizer route",
            403,
            "for deanonymizers".to_string(),
            client.get(format!("http://{anon_host}/data/deanonymizer/members")),
        ),
        (
            "deanonymizer reading the training data",
            403,
            "for anonymizers".to_string(),
            client.get(format!("http://{deanon_host}/data/anonymizer/training")),
        ),
        (
            "bool guesses of the wrong type",
            400,
            "booleans (|b1)".to_string(),
            client
                .post(format!(
                    "http://{deanon_host}/utility/deanonymizer?anonymizer=a&deanonymizer=d&data_split=tuning"
                ))
                .body(npz("prediction", labels(side))),
        ),
        (
            "unknown secret",
            404,
            "no challenge behind this link".to_string(),
            client.get(format!("http://{}/anomed/forged-secret/data/anonymizer/training", p.address)),
        ),
        ("unknown route", 404, "no route".to_string(), client.get(format!("http://{anon_host}/data/everything"))),
        ("wrong method", 405, "GET is not allowed".to_string(), client.get(utility.clone())),
    ];
    for (what, status, says, request) in cases {
        let response = request.send().await.unwrap();
        let got = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(got, status, "{what}: {body}");
        let description = body["description"].as_str().unwrap_or_default();
        assert!(body["title"].as_str().is_some_and(|t| t.starts_with(&status.to_string())), "{what}: {body}");
        assert!(description.contains(says.as_str()), "{what}: '{description}' does not say '{says}'");
        eprintln!("{what}: {got} {description}");
    }
    // The good requests: data as NPZ, utility 201.
    let training = client.get(format!("http://{anon_host}/data/anonymizer/training")).send().await.unwrap();
    assert_eq!(training.status(), 200);
    assert_eq!(training.headers()["content-type"], "application/octet-stream");
    let npz = Npz::from_bytes(&training.bytes().await.unwrap(), &Default::default()).unwrap();
    assert_eq!(npz.get("X").unwrap().shape, [ml.training.y.len(), ml.training.cols]);
    assert_eq!(npz.get("y").unwrap().dtype(), "<i8");
    let (status, body) = post(&client, &format!("{utility}?data_split=tuning"), {
        Npz::new().with("prediction", Array::i64(vec![tuning_rows], ml.tuning.y.clone())).to_bytes()
    })
    .await;
    assert_eq!((status, body["accuracy"].as_f64()), (201, Some(1.0)), "{body}");
    let refused = p.arena.audit.recent(100_000).await.unwrap();
    assert!(refused.iter().any(|e| e.action == "anomed.access" && e.outcome == "denied"), "refusals are audited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_match_the_reference_challenge() {
    let Some(python) = anomed_python() else { return };
    let logs = tempfile::tempdir().unwrap();
    let mut processes = Processes::default();
    let p = platform(false).await;
    let client = reqwest::Client::new();
    let ml = p.ml().await;
    let unstarted = "http://127.0.0.1:9";
    let (anonymizer, anon_host) = p
        .register(&client, "compare", json!({ "kind": "anomed-anonymizer", "url": unstarted, "challenge": "flchain" }))
        .await;
    let (_, deanon_host) = p
        .register(
            &client,
            "compare attack",
            json!({ "kind": "anomed-deanonymizer", "url": unstarted, "challenge": "flchain", "target": anonymizer }),
        )
        .await;
    // The reference challenge on the same data.
    let data = logs.path().join("challenge.npz");
    std::fs::write(&data, ml.reference_npz().to_bytes()).unwrap();
    let (mock_port, ref_port) = (free_port(), free_port());
    processes.gunicorn(
        &python,
        "platform-mock",
        "platform_mock",
        mock_port,
        &[("ANOMED_PUSH_LOG", logs.path().join("pushes.jsonl").display().to_string())],
        logs.path(),
    );
    processes.gunicorn(
        &python,
        "reference-challenge",
        "challenge_app",
        ref_port,
        &[
            ("ANOMED_HOST", format!("127.0.0.1:{mock_port}")),
            ("ANOMED_CHALLENGE_NPZ", data.display().to_string()),
            ("ANOMED_MIA_LENGTH", "200".into()),
        ],
        logs.path(),
    );
    wait_up(&client, &format!("http://127.0.0.1:{ref_port}/"), logs.path(), "reference-challenge").await;
    let python2 = python.clone();
    let script = apps_dir().join("client_compare.py");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python2)
            .arg(script)
            .args(["--ours", &format!("http://{anon_host}"), "--ours-deanonymizer", &format!("http://{deanon_host}")])
            .args(["--reference", &format!("http://127.0.0.1:{ref_port}")])
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .expect("client_compare.py runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap_or(Value::Null);
    assert!(summary["checks"].as_u64().unwrap_or(0) >= 30, "{summary}");
    assert_eq!(summary["diff"], json!(0), "ours and the reference differ for a client: {stdout}");
    assert!(output.status.success());
    drop(processes);
}
