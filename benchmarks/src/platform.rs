//! The platform suite (issue #6): HTTP load on the leaderboard (JSON and page)
//! with wrk at 64 connections, and evaluation throughput of the demo on
//! PostgreSQL with one and with two `anonlab worker` processes.
//!
//! Everything runs as real processes on loopback: `anonlab serve`, the
//! workers, and wrk (Debian's package; the suite says so when it is missing).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anonlab_arena::testing::TestDb;
use anyhow::{Context, Result, bail};

/// Kills the process when dropped.
pub(crate) struct Process(pub(crate) Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One load measurement.
pub(crate) struct Load {
    pub(crate) case: String,
    pub(crate) requests_per_sec: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) errors: u64,
}

/// `anonlab serve` on a free loopback port; the process and its address.
pub(crate) fn serve(
    binary: &Path,
    data_dir: &Path,
    database_url: Option<&str>,
    workers: usize,
) -> Result<(Process, String)> {
    let mut command = Command::new(binary);
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--workers", &workers.to_string(), "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(url) = database_url {
        command.args(["--database-url", url]);
    }
    let mut child = command.spawn().context("anonlab serve starts")?;
    let mut stdout = BufReader::new(child.stdout.take().context("stdout")?);
    let mut first = String::new();
    stdout.read_line(&mut first)?;
    // Keep reading, so the server never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let addr = first.trim().rsplit("http://").next().context("the address line")?.to_string();
    Ok((Process(child), addr))
}

/// A GET over a fresh connection; the body.
fn get(addr: &str, path: &str) -> Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default())
}

/// Evaluations of a leaderboard not yet done (0 when complete).
fn pending(addr: &str, challenge: &str) -> Result<usize> {
    let body = get(addr, &format!("/api/v1/challenges/{challenge}/leaderboard"))?;
    // Chunked or not, the JSON is the part between the first '{' and the last '}'.
    let json = &body[body.find('{').unwrap_or(0)..=body.rfind('}').unwrap_or(0)];
    let board: serde_json::Value = serde_json::from_str(json).context("leaderboard JSON")?;
    let entries = board["entries"].as_array().context("entries")?;
    let attacks = board["attacks"].as_array().map_or(0, Vec::len);
    let mut waiting = 0;
    for e in entries {
        waiting += usize::from(e["state"] != "done" && e["state"] != "failed");
        let done = e["privacy"]
            .as_array()
            .map_or(0, |cells| cells.iter().filter(|c| c["state"] == "done" || c["state"] == "failed").count());
        waiting += attacks - done;
    }
    if entries.is_empty() {
        waiting += 1;
    }
    Ok(waiting)
}

fn wait_for_demo(addr: &str, timeout: Duration) -> Result<Duration> {
    let start = Instant::now();
    loop {
        if pending(addr, "adult")? == 0 && pending(addr, "flchain")? == 0 {
            return Ok(start.elapsed());
        }
        if start.elapsed() > timeout {
            bail!("the demo was not evaluated within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn parse_ms(text: &str) -> Option<f64> {
    let (number, unit) = text.trim().split_at(text.trim().find(|c: char| c.is_alphabetic())?);
    let value: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => value / 1000.0,
        "ms" => value,
        "s" => value * 1000.0,
        _ => return None,
    })
}

/// wrk at 64 connections on two threads against `http://{addr}{path}`.
pub(crate) fn wrk(addr: &str, path: &str, case: &str, seconds: u64) -> Result<Load> {
    let out = Command::new("wrk")
        .args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency", &format!("http://{addr}{path}")])
        .output()
        .context("wrk runs (install Debian's wrk: apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let find = |prefix: &str| text.lines().map(str::trim).find_map(|l| l.strip_prefix(prefix)).map(str::trim);
    let errors = find("Non-2xx or 3xx responses:").and_then(|v| v.parse().ok()).unwrap_or(0)
        + find("Socket errors:").map_or(0, |_| 1);
    Ok(Load {
        case: case.into(),
        requests_per_sec: find("Requests/sec:").and_then(|v| v.parse().ok()).context("wrk's Requests/sec")?,
        p50_ms: find("50%").and_then(parse_ms).context("wrk's p50")?,
        p99_ms: find("99%").and_then(parse_ms).context("wrk's p99")?,
        errors,
    })
}

/// Runs the suite and prints its tables.
pub fn run(binary: &Path, seconds: u64) -> Result<()> {
    // Load: SQLite (the default), demo evaluated first so the leaderboard is full.
    let dir = tempfile::tempdir()?;
    let (_server, addr) = serve(binary, dir.path(), None, 1)?;
    let seeded = wait_for_demo(&addr, Duration::from_secs(300))?;
    println!(
        "demo (2 challenges x 6 anonymizers x 5 attacks = 72 evaluations) done {seeded:.1?} after start, 1 in-process worker, SQLite"
    );
    let mut loads = Vec::new();
    for (path, case) in
        [("/api/v1/challenges/adult/leaderboard", "leaderboard JSON"), ("/challenges/adult", "leaderboard page")]
    {
        loads.push(wrk(&addr, path, case, seconds)?);
    }
    println!(
        "\n| case (64 connections, wrk -t2, {seconds} s, SQLite) | requests/s | target | p50 ms | p99 ms | p99 target | errors | met |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|:-:|");
    for l in &loads {
        let met = l.requests_per_sec >= 2000.0 && l.p99_ms < 50.0 && l.errors == 0;
        println!(
            "| {} | {:.0} | 2000 | {:.2} | {:.2} | 50 | {} | {} |",
            l.case,
            l.requests_per_sec,
            l.p50_ms,
            l.p99_ms,
            l.errors,
            if met { "yes" } else { "no" }
        );
    }

    // Throughput: PostgreSQL, the demo evaluated by 1 and by 2 worker processes.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    println!("\n| evaluation of the demo on PostgreSQL | workers | evaluations | seconds | jobs/minute |");
    println!("|---|---:|---:|---:|---:|");
    for workers in [1, 2] {
        let Some(db) = runtime.block_on(TestDb::postgres()) else {
            println!("| PostgreSQL not reachable: skipped | {workers} | - | - | - |");
            continue;
        };
        runtime.block_on(db.arena.store.close());
        let dir = tempfile::tempdir()?;
        let (_server, addr) = serve(binary, dir.path(), Some(&db.url), 0)?;
        let mut processes = Vec::new();
        for _ in 0..workers {
            let child = Command::new(binary)
                .args(["worker", "--database-url", &db.url, "--data-dir"])
                .arg(dir.path())
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            processes.push(Process(child));
        }
        let took = wait_for_demo(&addr, Duration::from_secs(600))?;
        println!(
            "| demo: 12 releases + 60 attacks | {workers} | 72 | {:.1} | {:.0} |",
            took.as_secs_f64(),
            72.0 / took.as_secs_f64() * 60.0
        );
        drop(processes);
        runtime.block_on(db.drop_database());
    }
    Ok(())
}
