//! `anonlab serve`, `anonlab worker` and `anonlab audit verify`: the platform's
//! processes. Settings come from flags, then `ANONLAB_*` environment variables
//! (clap reads both), then the TOML file.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anonlab_arena::worker::{self, WorkerConfig};
use anonlab_arena::{Arena, Store};
use anonlab_server::ServerConfig;
use anyhow::{Context, Result, bail};

use crate::cli::{AuditVerifyArgs, ServeArgs, WorkerArgs};

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

/// Structured logs on stderr: text by default, JSON lines with `--log-json`;
/// `RUST_LOG` filters (default `info`).
fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("stop requested");
}

fn load_config(args: &ServeArgs) -> Result<ServerConfig> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            crate::config::parse_toml::<ServerConfig>(path, &text)?
        }
        None => ServerConfig::default(),
    };
    if let Some(bind) = args.bind {
        config.bind = bind;
    }
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(url) = &args.database_url {
        config.database_url = Some(url.clone());
    }
    if let Some(n) = args.workers {
        config.workers = n;
    }
    if let Some(n) = args.max_upload_bytes {
        config.max_upload_bytes = n;
    }
    if let Some(n) = args.anomed_max_body_bytes {
        config.anomed_max_body_bytes = n;
    }
    config.secure_cookies |= args.secure_cookies;
    if args.no_demo {
        config.demo = false;
    }
    if config.max_upload_bytes == 0 {
        bail!("--max-upload-bytes must be positive");
    }
    if config.anomed_max_body_bytes == 0 {
        bail!("--anomed-max-body-bytes must be positive");
    }
    Ok(config)
}

/// Runs `anonlab serve`.
pub fn run(args: &ServeArgs) -> Result<()> {
    let config = load_config(args)?;
    init_logging(args.log_json);
    runtime()?.block_on(anonlab_server::serve(config.clone(), stop_signal(), |started| {
        // The one place a secret is shown: the terminal of whoever started a
        // fresh platform. It never goes to the log. A closed stdout must not
        // stop the server, so write errors are ignored.
        let mut out = std::io::stdout().lock();
        let mut lines = vec![
            format!("anonlab platform on http://{}", started.addr),
            format!("  database: {}", started.database),
            format!("  data directory: {}", config.data_dir.display()),
        ];
        if started.key_created {
            lines.push(format!(
                "  vault key created: {} (back it up; without it the data cannot be read)",
                config.data_dir.join(anonlab_arena::vault::KEY_FILE).display()
            ));
        }
        if let Some(password) = &started.admin_password {
            lines.push(format!(
                "  admin account created: user '{}', password '{password}' (shown only now)",
                anonlab_server::ADMIN_USER
            ));
        }
        lines.push(format!("  API: http://{}/api/v1 (OpenAPI: /api/v1/openapi.json); stop with Ctrl-C", started.addr));
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }))
}

fn database_url(url: &Option<String>, data_dir: &Path) -> String {
    url.clone().unwrap_or_else(|| Store::sqlite_url(&data_dir.join("anonlab.db")))
}

/// Runs `anonlab worker`.
pub fn worker(args: &WorkerArgs) -> Result<()> {
    init_logging(args.log_json);
    runtime()?.block_on(async {
        let url = database_url(&args.database_url, &args.data_dir);
        let (arena, _) = Arena::open(&url, &args.data_dir, false).await?;
        let mut config = WorkerConfig::new();
        config.lease = Duration::from_secs(args.lease_secs.max(1));
        config.grace = Duration::from_secs(args.grace_secs);
        config.hold = Duration::from_millis(args.hold_ms);
        // The id on stdout, for scripts and tests; a closed stdout is no reason to stop.
        let _ = writeln!(std::io::stdout(), "{}", config.id);
        let (stop, stopping) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            stop_signal().await;
            stop.send_replace(true);
        });
        let stats = worker::run(arena.clone(), config, stopping).await?;
        arena.store.close().await;
        eprintln!(
            "worker stopped: {} finished, {} failed, {} handed back",
            stats.finished, stats.failed, stats.returned
        );
        Ok(())
    })
}

/// Runs `anonlab audit verify`: exit status 0 when intact, 1 when not.
pub fn audit_verify(args: &AuditVerifyArgs) -> Result<()> {
    runtime()?.block_on(async {
        let url = database_url(&args.database_url, &args.data_dir);
        let (arena, _) = Arena::open(&url, &args.data_dir, false).await?;
        let verification = arena.audit.verify().await?;
        arena.store.close().await;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&verification)?);
        } else if verification.intact {
            println!("audit log intact: {} entries, head {}", verification.entries, verification.head);
        }
        if let Some(problem) = verification.problem {
            // Exit 1 (not 2, which means bad input): the log itself failed.
            eprintln!("anonlab: error: audit log NOT intact after {} entries: {problem}", verification.entries);
            std::process::exit(1);
        }
        Ok(())
    })
}
