//! A short-lived cache of leaderboards, so that a popular leaderboard is built
//! from the database about once a second rather than on every request.
//!
//! Leaderboards change only when an evaluation finishes or a submission
//! arrives, and workers in other processes write those, so there is no event
//! to invalidate on: a time to live bounds the staleness instead (one second
//! by default, plus the rebuild; this process's own writes clear the cache
//! at once). Entries
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

/// A cached board and whether a rebuild of it is under way.
struct Slot {
    built: Instant,
    board: Arc<CachedBoard>,
    refreshing: bool,
}

/// Leaderboards by challenge and viewer.
pub struct LeaderboardCache {
    ttl: Duration,
    entries: Arc<Mutex<HashMap<Key, Slot>>>,
}

impl std::fmt::Debug for LeaderboardCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaderboardCache").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

async fn build(store: &Store, challenge: &str, viewer: Option<&User>) -> ApiResult<Arc<CachedBoard>> {
    let board = store.leaderboard(challenge, viewer).await?;
    let json = Bytes::from(serde_json::to_vec(&board).map_err(ApiError::internal)?);
    Ok(Arc::new(CachedBoard { board, json, frontier_svg: OnceLock::new() }))
}

impl LeaderboardCache {
    /// Most entries kept; beyond it the cache starts over.
    const CAPACITY: usize = 1024;

    /// A cache whose entries are rebuilt after `ttl`.
    pub fn new(ttl: Duration) -> LeaderboardCache {
        LeaderboardCache { ttl, entries: Arc::new(Mutex::new(HashMap::new())) }
    }

    /// The leaderboard of `challenge` (id or slug) as `viewer` sees it.
    ///
    /// A stale board is still answered at once while one background task
    /// rebuilds it, so an expiry never makes a crowd of requests rebuild the
    /// same board together (stale-while-revalidate).
    pub async fn get(&self, store: &Store, challenge: &str, viewer: Option<&User>) -> ApiResult<Arc<CachedBoard>> {
        let key = (challenge.to_string(), viewer.map(|u| u.id.clone()));
        {
            let mut entries = lock(&self.entries);
            if let Some(slot) = entries.get_mut(&key) {
                if slot.built.elapsed() >= self.ttl && !slot.refreshing {
                    slot.refreshing = true;
                    self.refresh(store.clone(), key.clone(), viewer.cloned());
                }
                return Ok(slot.board.clone());
            }
        }
        let board = build(store, challenge, viewer).await?;
        self.insert(key, board.clone());
        Ok(board)
    }

    fn refresh(&self, store: Store, key: Key, viewer: Option<User>) {
        let entries = self.entries.clone();
        tokio::spawn(async move {
            match build(&store, &key.0, viewer.as_ref()).await {
                Ok(board) => insert(&entries, key, board),
                // Keep answering the old board; the next request tries again.
                Err(_) => {
                    if let Some(slot) = lock(&entries).get_mut(&key) {
                        slot.refreshing = false;
                    }
                }
            }
        });
    }

    fn insert(&self, key: Key, board: Arc<CachedBoard>) {
        insert(&self.entries, key, board);
    }

    /// Forgets everything (after this process changed what leaderboards show).
    pub fn clear(&self) {
        lock(&self.entries).clear();
    }
}

fn insert(entries: &Mutex<HashMap<Key, Slot>>, key: Key, board: Arc<CachedBoard>) {
    let mut entries = lock(entries);
    if entries.len() >= LeaderboardCache::CAPACITY {
        entries.clear();
    }
    entries.insert(key, Slot { built: Instant::now(), board, refreshing: false });
}

fn lock(entries: &Mutex<HashMap<Key, Slot>>) -> std::sync::MutexGuard<'_, HashMap<Key, Slot>> {
    entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
