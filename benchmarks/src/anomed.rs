//! The AnoMed suite (issue #7): anonlab's AnoMed challenge routes against the
//! reference challenge (anomed-challenge 0.0.21 under gunicorn) on the same
//! data, side by side in one run: the data GETs under load (wrk, 64
//! connections) and the utility POST one request at a time, as apps send it.
//!
//! Both run as real processes on loopback: `anonlab serve` on a prepared
//! database, and the reference challenge with its platform mock from
//! `crates/anonlab-server/tests/anomed/` in the venv of `scripts/python-env.sh anomed`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anonlab_arena::Arena;
use anonlab_arena::Store;
use anonlab_arena::accounts::Role;
use anonlab_arena::anomed::npz::{Array, Npz};
use anonlab_arena::evaluate::demo::demo_challenges;
use anonlab_arena::submission::{AnomedService, Implementation, Visibility};
use anyhow::{Context, Result, bail};

use crate::platform::{Load, Process, serve, wrk};

/// What the suite measures on one side.
struct Side {
    /// Base URL path of the challenge (`/anomed/<secret>` or ``).
    prefix: String,
    addr: String,
}

/// The venv's Python: `ANONLAB_ANOMED_PYTHON` or `scripts/python-env.sh anomed`'s.
fn python(repo: &Path) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("ANONLAB_ANOMED_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let out = Command::new(repo.join("scripts/python-env.sh")).arg("anomed").stderr(Stdio::inherit()).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(PathBuf::from(text.lines().last().context("python-env.sh anomed printed the venv's python")?.trim()))
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn gunicorn(
    python: &Path,
    apps: &Path,
    module: &str,
    port: u16,
    workers: usize,
    env: &[(&str, String)],
) -> Result<Process> {
    let mut command = Command::new(python.with_file_name("gunicorn"));
    command
        .args(["--bind", &format!("127.0.0.1:{port}"), "--workers", &workers.to_string(), "--log-level", "warning"])
        .args(["--timeout", "300", "--chdir"])
        .arg(apps)
        .arg(format!("{module}:application"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("OMP_NUM_THREADS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    Ok(Process(command.spawn().context("gunicorn starts")?))
}

/// One HTTP/1.1 request on a fresh connection: status and body length.
fn request(addr: &str, method: &str, path: &str, body: &[u8]) -> Result<(u16, usize)> {
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, response.len()))
}

fn wait_up(addr: &str, path: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if matches!(request(addr, "GET", path, b""), Ok((200, _))) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("{addr}{path} did not answer 200 within a minute")
}

/// Median and 99th percentile of `n` sequential POSTs, in ms.
fn sequential_posts(side: &Side, path: &str, body: &[u8], n: usize) -> Result<(f64, f64)> {
    let mut ms = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let (status, _) = request(&side.addr, "POST", &format!("{}{path}", side.prefix), body)?;
        if status != 201 {
            bail!("POST {path} answered {status} on {}", side.addr);
        }
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    Ok((ms[n / 2], ms[(n * 99 / 100).min(n - 1)]))
}

/// Runs the suite and prints its table.
pub fn run(repo: &Path, binary: &Path, seconds: u64) -> Result<()> {
    let python = python(repo)?;
    let apps = repo.join("crates/anonlab-server/tests/anomed");
    let dir = tempfile::tempdir()?;
    let url = Store::sqlite_url(&dir.path().join("anonlab.db"));

    // The flchain challenge and one registered AnoMed anonymizer link.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let (secrets, ml) = runtime.block_on(async {
        let (arena, _) = Arena::open(&url, dir.path(), true).await?;
        let owner = arena.store.create_user("olga", "olga's password is long enough", Role::DataOwner).await?;
        let rita = arena.store.create_user("rita", "rita's password is long enough", Role::Researcher).await?;
        let demo = demo_challenges().into_iter().find(|d| d.slug == "flchain").context("flchain demo")?;
        let dataset = arena.create_dataset(&owner, "flchain", demo.csv.to_vec(), usize::MAX).await?;
        let challenge =
            arena.create_challenge(&owner, demo.slug, demo.title, demo.description, &dataset.id, demo.spec).await?;
        let service = AnomedService { url: "http://127.0.0.1:9".into(), challenge: "flchain".into(), target: None };
        let anonymizer = arena
            .register_anomed(&rita, "bench", Implementation::AnomedAnonymizer(service.clone()), Visibility::Public)
            .await?;
        let service = AnomedService { target: Some(anonymizer.submission.id.clone()), ..service };
        let deanonymizer = arena
            .register_anomed(&rita, "bench attack", Implementation::AnomedDeanonymizer(service), Visibility::Public)
            .await?;
        let ml = arena.ml_challenge(&challenge, "bench").await?;
        arena.store.close().await;
        anyhow::Ok(([anonymizer.secret, deanonymizer.secret], ml))
    })?;
    let side = ml.evaluation_validation.membership.iter().filter(|m| **m).count();
    // The reference draws its evaluation non-members from a quarter of the
    // validation split (and its known non-members from the same split), so it
    // cannot serve sets as large as ours: it gets the most it can.
    let reference_side = ml.validation.y.len() / 4;
    let data = dir.path().join("challenge.npz");
    std::fs::write(&data, ml.reference_npz().to_bytes())?;

    let (_ours, addr) = serve(binary, dir.path(), Some(&url), 0)?;
    let ours = Side { prefix: format!("/anomed/{}", secrets[0]), addr };
    let ours_attack = Side { prefix: format!("/anomed/{}", secrets[1]), addr: ours.addr.clone() };
    let (mock_port, ref_port) = (free_port()?, free_port()?);
    let _mock = gunicorn(&python, &apps, "platform_mock", mock_port, 1, &[])?;
    // Two gunicorn workers, one per core (AnoMed's template runs one).
    let _reference = gunicorn(
        &python,
        &apps,
        "challenge_app",
        ref_port,
        2,
        &[
            ("ANOMED_HOST", format!("127.0.0.1:{mock_port}")),
            ("ANOMED_CHALLENGE_NPZ", data.display().to_string()),
            ("ANOMED_MIA_LENGTH", reference_side.to_string()),
        ],
    )?;
    let reference = Side { prefix: String::new(), addr: format!("127.0.0.1:{ref_port}") };
    wait_up(&ours.addr, &format!("{}/", ours.prefix))?;
    wait_up(&reference.addr, "/")?;
    wait_up(&format!("127.0.0.1:{mock_port}"), "/").ok();

    println!(
        "flchain as an AnoMed challenge: training {} x {}, tuning {}; evaluation sets of {} + {} (the reference: {} + {})",
        ml.training.y.len(),
        ml.training.cols,
        ml.tuning.y.len(),
        side,
        side,
        reference_side,
        reference_side
    );
    println!(
        "\n| case (wrk -t2 -c64, {seconds} s) | anonlab req/s | reference req/s | ratio | anonlab p99 ms | reference p99 ms | errors |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let evaluation = "/data/attack-success-evaluation?anonymizer=a&deanonymizer=d&data_split=tuning";
    for (side, path, case) in [
        (&ours, "/data/anonymizer/training", "GET training data (NPZ)"),
        (&ours_attack, evaluation, "GET attack evaluation data"),
    ] {
        let a: Load = wrk(&side.addr, &format!("{}{path}", side.prefix), case, seconds)?;
        let b: Load = wrk(&reference.addr, path, case, seconds)?;
        println!(
            "| {case} | {:.0} | {:.0} | {:.1}x | {:.2} | {:.2} | {} / {} |",
            a.requests_per_sec,
            b.requests_per_sec,
            a.requests_per_sec / b.requests_per_sec,
            a.p99_ms,
            b.p99_ms,
            a.errors,
            b.errors
        );
    }

    println!(
        "\n| case (one at a time, 300 requests) | anonlab p50 ms | reference p50 ms | ratio | anonlab p99 ms | reference p99 ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let labels = Npz::new().with("prediction", Array::i64(vec![ml.tuning.y.len()], ml.tuning.y.clone())).to_bytes();
    let path = "/utility/anonymizer?anonymizer=a&data_split=tuning";
    let (a50, a99) = sequential_posts(&ours, path, &labels, 300)?;
    let (b50, b99) = sequential_posts(&reference, path, &labels, 300)?;
    println!(
        "| POST utility/anonymizer (984 labels) | {a50:.2} | {b50:.2} | {:.1}x | {a99:.2} | {b99:.2} |",
        b50 / a50
    );
    println!(
        "\nanonlab scores and records every tuning POST (database write, audit entry); the reference also pushes demo \
         numbers to its platform mock on each."
    );
    Ok(())
}
