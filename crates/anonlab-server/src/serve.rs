//! Start-up and shutdown of the platform.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anonlab_arena::Arena;
use anonlab_arena::accounts::{Role, random_password};
use anonlab_arena::vault::KeySource;
use anonlab_arena::worker::{self, WorkerConfig};
use anyhow::{Context, Result};
use tokio::sync::watch;

use crate::config::ServerConfig;
use crate::http::{AppState, router};

/// What a caller learns once the server listens.
#[derive(Debug, Clone)]
pub struct Started {
    /// The address it listens on (the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// The first admin's password, when this start created the account.
    pub admin_password: Option<String>,
    /// Whether the vault key was created by this start.
    pub key_created: bool,
    /// The database in use, password removed.
    pub database: String,
}

/// Name of the admin account created on an empty database.
pub const ADMIN_USER: &str = "admin";

fn prepare_data_dir(config: &ServerConfig) -> Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config.data_dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {} to its owner", config.data_dir.display()))?;
    }
    Ok(())
}

/// Runs the platform until `shutdown` resolves: opens (and migrates) the
/// database, creates the vault key and the first admin on a fresh start, seeds
/// the demo, starts the workers and serves HTTP. On shutdown it stops taking
/// requests, lets workers finish or hand back their jobs, and closes the pool.
pub async fn serve(
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_start: impl FnOnce(&Started),
) -> Result<()> {
    prepare_data_dir(&config)?;
    let database_url = config.database_url();
    let (arena, key_source) = Arena::open(&database_url, &config.data_dir, true).await?;
    let admin_password = if arena.store.has_users().await? {
        None
    } else {
        let password = random_password();
        arena.store.create_user(ADMIN_USER, &password, Role::Admin).await?;
        Some(password)
    };
    if config.demo {
        crate::demo::seed(&arena).await.context("cannot seed the demo")?;
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {} (is another server running there?)", config.bind))?;
    let started = Started {
        addr: listener.local_addr()?,
        admin_password,
        key_created: matches!(key_source, KeySource::Created(_)),
        database: if config.database_url.is_some() { "PostgreSQL".into() } else { database_url.clone() },
    };
    on_start(&started);

    let (stop_workers, stopping) = watch::channel(false);
    let mut workers = Vec::new();
    for _ in 0..config.workers {
        let mut worker_config = WorkerConfig::new();
        worker_config.lease = Duration::from_secs(config.lease_secs);
        worker_config.grace = Duration::from_secs(config.grace_secs);
        workers.push(tokio::spawn(worker::run(arena.clone(), worker_config, stopping.clone())));
    }
    let state = AppState::new(arena.clone(), config.clone())?;
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    tracing::info!(addr = %started.addr, workers = config.workers, "listening");
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await.context("the HTTP server failed")?;
    tracing::info!("shutting down: waiting for workers");
    stop_workers.send_replace(true);
    for worker in workers {
        match worker.await {
            Ok(Ok(stats)) => tracing::info!(finished = stats.finished, returned = stats.returned, "worker stopped"),
            Ok(Err(e)) => tracing::error!(error = %e, "worker failed"),
            Err(e) => tracing::error!(error = %e, "worker task failed"),
        }
    }
    arena.store.close().await;
    Ok(())
}
