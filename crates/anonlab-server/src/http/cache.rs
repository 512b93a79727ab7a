//! A short-lived cache of leaderboards, so that a popular leaderboard is built
//! from the database about once a second rather than on every request.
//!
//! Leaderboards change only when an evaluation finishes or a submission
//! arrives, and workers in other processes write those, so there is no event
//! to invalidate on: a time to live bounds the staleness instead (one second
//! by default; this process's own writes clear the cache at once). Entries
//! are per viewer, since private submissions are shown to their owners and
//! admins only; anonymous visitors share one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anonlab_arena::Store;
use anonlab_arena::accounts::User;
use anonlab_arena::leaderboard::Leaderboard;
use axum::body::Bytes;

use super::error::{ApiError, ApiResult};

/// A leaderboard with what is derived from it once per build.
#[derive(Debug)]
pub struct CachedBoard {
    /// The leaderboard.
    pub board: Leaderboard,
    /// Its JSON, as the API sends it.
    pub json: Bytes,
    /// The frontier chart, drawn on first use.
    pub frontier_svg: OnceLock<String>,
}

type Key = (String, Option<String>);

/// Leaderboards by challenge and viewer.
#[derive(Debug)]
pub struct LeaderboardCache {
    ttl: Duration,
    entries: Mutex<HashMap<Key, (Instant, Arc<CachedBoard>)>>,
}

impl LeaderboardCache {
    /// Most entries kept; beyond it the cache starts over.
    const CAPACITY: usize = 1024;

    /// A cache whose entries live `ttl`.
    pub fn new(ttl: Duration) -> LeaderboardCache {
        LeaderboardCache { ttl, entries: Mutex::new(HashMap::new()) }
    }

    /// The leaderboard of `challenge` (id or slug) as `viewer` sees it.
    pub async fn get(&self, store: &Store, challenge: &str, viewer: Option<&User>) -> ApiResult<Arc<CachedBoard>> {
        let key = (challenge.to_string(), viewer.map(|u| u.id.clone()));
        if let Some((at, board)) = self.lock().get(&key)
            && at.elapsed() < self.ttl
        {
            return Ok(board.clone());
        }
        let board = store.leaderboard(challenge, viewer).await?;
        let json = Bytes::from(serde_json::to_vec(&board).map_err(ApiError::internal)?);
        let cached = Arc::new(CachedBoard { board, json, frontier_svg: OnceLock::new() });
        let mut entries = self.lock();
        if entries.len() >= Self::CAPACITY {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), cached.clone()));
        Ok(cached)
    }

    /// Forgets everything (after this process changed what leaderboards show).
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, (Instant, Arc<CachedBoard>)>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
