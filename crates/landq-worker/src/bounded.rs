//! A small shared map that starts afresh when full: for caches whose miss
//! costs one GitHub request, never correctness.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

/// At most `max` entries; inserting into a full map empties it first.
pub(crate) struct Bounded<K, V> {
    map: Mutex<HashMap<K, V>>,
    max: usize,
}

impl<K: Eq + Hash, V: Clone> Bounded<K, V> {
    pub(crate) fn new(max: usize) -> Self {
        Bounded {
            map: Mutex::default(),
            max,
        }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<K, V>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn get<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.map().get(key).cloned()
    }

    pub(crate) fn insert(&self, key: K, value: V) {
        let mut map = self.map();
        if map.len() >= self.max {
            map.clear();
        }
        map.insert(key, value);
    }
}
