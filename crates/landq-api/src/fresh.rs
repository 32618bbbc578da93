//! Answers held while fresh: computed statistics, and what GitHub said
//! about viewers' tokens.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries held at most; when full, stale ones go first, and if it is still
/// full nothing new is held.
pub const MAX_HELD: usize = 10_000;

/// Values held for a time after they were put.
pub struct Fresh<K, V> {
    map: Mutex<HashMap<K, (Instant, V)>>,
    fresh: Duration,
}

impl<K: Hash + Eq, V: Clone> Fresh<K, V> {
    /// Values served for `fresh` after they were put.
    pub fn new(fresh: Duration) -> Fresh<K, V> {
        Fresh {
            map: Mutex::new(HashMap::new()),
            fresh,
        }
    }

    /// The value of `key`, if put within the fresh time.
    pub fn get(&self, key: &K) -> Option<V> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(at, _)| at.elapsed() < self.fresh)
            .map(|(_, v)| v.clone())
    }

    /// Holds `value` for `key` from now.
    pub fn put(&self, key: K, value: V) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_HELD {
            map.retain(|_, (at, _)| at.elapsed() < self.fresh);
        }
        if map.len() < MAX_HELD {
            map.insert(key, (Instant::now(), value));
        }
    }
}
