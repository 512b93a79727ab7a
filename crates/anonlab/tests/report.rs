//! `anonlab report`: the HTML page on the adult demo, the check against an
//! earlier JSON report, and rendering in headless Chromium.
//!
//! The Chromium test needs `ANONLAB_CHROMIUM` (a Chromium binary), which
//! `scripts/test.sh` sets after `scripts/chromium.sh` installed it; without it
//! the test prints a loud SKIPPED line and passes. The screenshot stays in
//! `$CARGO_TARGET_DIR/tmp/anonlab-report/` for people to look at.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{anonlab_err, anonlab_ok, repo_root, tempdir};

/// The demo config, as the README runs it.
fn adult_config() -> PathBuf {
    repo_root().join("examples/adult/adult.toml")
}

/// Writes the adult demo's report into `dir`; returns its path and text.
fn adult_report(dir: &Path) -> (PathBuf, String) {
    let html = dir.join("adult-report.html");
    anonlab_ok(dir, &["report", "--config", adult_config().to_str().unwrap(), "-o", html.to_str().unwrap(), "-q"]);
    let text = std::fs::read_to_string(&html).expect("the report was written");
    (html, text)
}

#[test]
fn report_describes_the_adult_demo_in_one_self_contained_file() {
    let dir = tempdir();
    let (_, html) = adult_report(dir.path());
    // ARX's optimum for k = 5 with 4 % suppression, and the risk it leaves.
    assert!(html.contains("[0, 3, 0, 1, 1, 1, 1, 2, 0]"), "the transformation found is shown");
    assert!(html.contains("5-anonymity") && html.contains("adult_hierarchy_age.csv"), "settings with hierarchies");
    let prosecutor = html.lines().find(|l| l.contains("prosecutor risk (highest)")).expect("a prosecutor row");
    assert!(prosecutor.contains("100.00 %") && prosecutor.contains("20.00 %"), "{prosecutor}");
    assert!(html.contains("1\u{2009}178 of 30\u{2009}162 records"), "suppressed records");
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 4, "risk bands, class sizes, loss, distinction");
    for asset in ["http://", "https://", "src=", "<script", "<link", "url("] {
        assert!(!html.contains(asset), "the page refers to '{asset}'");
    }
    // Written atomically: nothing but the page is left in the directory.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["adult-report.html"]);
}

#[test]
fn report_checks_an_earlier_json_report_and_refuses_a_different_one() {
    let dir = tempdir();
    let json = dir.path().join("adult.json");
    let config = adult_config();
    let config = config.to_str().unwrap();
    anonlab_ok(dir.path(), &["anonymize", "--config", config, "-o", "release.csv", "--report", "adult.json", "-q"]);
    anonlab_ok(dir.path(), &["report", "--config", config, "--report", "adult.json", "-o", "ok.html", "-q"]);
    let html = std::fs::read_to_string(dir.path().join("ok.html")).unwrap();
    assert!(html.contains("matches the JSON report"), "the page says it was checked");

    let mut report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    report["suppressed_rows"] = serde_json::json!(0);
    std::fs::write(&json, report.to_string()).unwrap();
    let err = anonlab_err(dir.path(), &["report", "--config", config, "--report", "adult.json", "-o", "bad.html"], 2);
    assert!(err.contains("suppressed_rows = 0") && err.contains("1178"), "{err}");
    assert!(!dir.path().join("bad.html").exists(), "no page for a mismatched report");
}

#[test]
fn report_fails_in_one_line_without_a_partial_file() {
    let dir = tempdir();
    let config = adult_config();
    let err =
        anonlab_err(dir.path(), &["report", "--config", config.to_str().unwrap(), "-o", "missing/dir/report.html"], 2);
    assert!(err.contains("missing/dir"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn report_help_documents_the_interface() {
    let help = anonlab_ok(&repo_root(), &["report", "--help"]);
    for text in ["--config", "--output", "--report", "--population", "--combinations", "self-contained", "offline"] {
        assert!(help.contains(text), "`anonlab report --help` does not mention {text}");
    }
}

/// Runs `cmd` to completion within `limit`, returning its stdout; kills it past the limit.
fn run_with_limit(mut cmd: Command, limit: Duration) -> String {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("chromium starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).expect("chromium's output is UTF-8"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("chromium can be waited for") {
            break status;
        }
        if started.elapsed() > limit {
            child.kill().expect("a hung chromium can be killed");
            panic!("chromium did not finish within {limit:?}: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = std::io::read_to_string(child.stderr.take().expect("piped stderr")).unwrap_or_default();
    assert!(status.success(), "{cmd:?} failed: {stderr}");
    reader.join().expect("the reader thread ends")
}

/// Headless Chromium with the flags CI needs (root: no sandbox; no GPU) and a private profile.
fn chromium(binary: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(binary);
    cmd.args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
        .arg("--hide-scrollbars")
        .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(binary) = std::env::var_os("ANONLAB_CHROMIUM").map(PathBuf::from) else {
        // Straight to the process's stderr: the test harness hides eprintln! of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED: report_renders_in_headless_chromium: ANONLAB_CHROMIUM is not set. \
             scripts/test.sh installs Chromium and runs this test; \
             or set ANONLAB_CHROMIUM=$(scripts/chromium.sh | tail -n 1) ***\n"
        );
        return;
    };
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("anonlab-report");
    std::fs::create_dir_all(&out).unwrap();
    let (html, _) = adult_report(&out);
    let url = format!("file://{}", html.display());
    let profile = tempdir();
    let shot = out.join("adult-report.png");
    let _ = std::fs::remove_file(&shot);
    let limit = Duration::from_secs(120);

    let mut cmd = chromium(&binary, profile.path());
    cmd.arg(format!("--screenshot={}", shot.display())).arg("--window-size=1280,2400").arg(&url);
    run_with_limit(cmd, limit);
    eprintln!("report screenshot: {}", shot.display());

    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).expect("a screenshot")));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).expect("PNG pixels");
    assert_eq!((frame.width, frame.height), (1280, 2400), "the window size");
    assert_eq!(frame.bit_depth, png::BitDepth::Eight);
    let channels = frame.color_type.samples();
    assert!(channels >= 3, "a colour screenshot, not {:?}", frame.color_type);
    let mut colours = std::collections::HashMap::<[u8; 3], u64>::new();
    for p in pixels[..frame.buffer_size()].chunks_exact(channels) {
        *colours.entry([p[0], p[1], p[2]]).or_default() += 1;
    }
    assert!(colours.len() > 50, "the page looks blank: {} colours", colours.len());
    // The risk chart's input (orange) and release (green) bars are painted, not just present in the DOM.
    for (name, rgb) in [("input orange", [0xd9, 0x5f, 0x02]), ("release green", [0x1b, 0x9e, 0x77])] {
        let painted = colours.get(&rgb).copied().unwrap_or(0);
        assert!(painted > 2_000, "only {painted} pixels of the {name} bars in the screenshot");
    }

    let mut cmd = chromium(&binary, profile.path());
    cmd.arg("--dump-dom").arg(&url);
    let dom = run_with_limit(cmd, limit);
    assert_eq!(dom.matches("<svg class=\"chart\"").count(), 4, "Chromium parsed four inline SVG charts");
    assert!(dom.matches("<rect").count() > 50 && dom.matches("<text").count() > 50, "charts with bars and labels");
    assert!(dom.contains("id=\"class-size-histogram\"") && dom.contains("Re-identification risk"));
}
