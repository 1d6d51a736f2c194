//! The approximate index a large embedded collection searches through (usearch HNSW, cosine),
//! kept in step with the collection's slots; the exact vectors stay the source of truth and
//! rescore every candidate.

use std::collections::HashMap;

use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

/// Candidates fetched per wanted hit, so the exact rescoring still finds the true top k.
const OVERFETCH: usize = 4;

pub(super) struct Ann {
    index: Index,
    /// The index key of each collection slot.
    keys: Vec<u64>,
    slots: HashMap<u64, usize>,
    next: u64,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Ann {
    /// An index over `vectors` (slot order), `dimension` values each.
    pub(super) fn build(dimension: usize, vectors: &[f32]) -> Result<Self, String> {
        let options = IndexOptions {
            dimensions: dimension,
            metric: MetricKind::Cos,
            quantization: ScalarKind::F32,
            ..Default::default()
        };
        let index = Index::new(&options).map_err(err)?;
        let n = vectors.len() / dimension.max(1);
        index.reserve(n.max(16)).map_err(err)?;
        let mut ann = Self { index, keys: Vec::with_capacity(n), slots: HashMap::with_capacity(n), next: 0 };
        for v in vectors.chunks_exact(dimension) {
            ann.push(v)?;
        }
        Ok(ann)
    }

    /// Indexes a vector appended as the collection's last slot.
    pub(super) fn push(&mut self, vector: &[f32]) -> Result<(), String> {
        if self.index.size() + 1 > self.index.capacity() {
            self.index.reserve((self.index.capacity() * 2).max(16)).map_err(err)?;
        }
        let key = self.next;
        self.next += 1;
        self.index.add(key, vector).map_err(err)?;
        self.slots.insert(key, self.keys.len());
        self.keys.push(key);
        Ok(())
    }

    /// Re-indexes slot `slot` with a new vector.
    pub(super) fn replace(&mut self, slot: usize, vector: &[f32]) -> Result<(), String> {
        let old = self.keys[slot];
        self.index.remove(old).map_err(err)?;
        self.slots.remove(&old);
        if self.index.size() + 1 > self.index.capacity() {
            self.index.reserve((self.index.capacity() * 2).max(16)).map_err(err)?;
        }
        let key = self.next;
        self.next += 1;
        self.index.add(key, vector).map_err(err)?;
        self.slots.insert(key, slot);
        self.keys[slot] = key;
        Ok(())
    }

    /// Follows the collection's swap-remove of `slot`.
    pub(super) fn swap_remove(&mut self, slot: usize) -> Result<(), String> {
        let key = self.keys.swap_remove(slot);
        self.slots.remove(&key);
        if let Some(&moved) = self.keys.get(slot) {
            self.slots.insert(moved, slot);
        }
        self.index.remove(key).map(|_| ()).map_err(err)
    }

    /// Slots whose vectors are probably among the `k` nearest to `query`.
    pub(super) fn candidates(&self, query: &[f32], k: usize) -> Result<Vec<usize>, String> {
        let wanted = (k * OVERFETCH).max(k + 16).min(self.keys.len());
        let found = self.index.search(query, wanted).map_err(err)?;
        Ok(found.keys.iter().filter_map(|key| self.slots.get(key).copied()).collect())
    }
}
