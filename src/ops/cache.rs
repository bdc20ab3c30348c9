//! Where compiled graphs are cached, and when a cached graph may be used.
//!
//! Inputs of at least [`CACHE_MIN_BYTES`] in total are cached under
//! `$XDG_CACHE_HOME/blast-radius/` (else `~/.cache/blast-radius/`), one file per input set,
//! named by the key: a hash of the tool version and of every input file's path and
//! contents. A cache file is used only when its key, version and checksum all match
//! ([`DependencyGraph::read_cache`]); a corrupt, truncated or edited file is ignored and
//! rewritten. Files are written to a temporary name and renamed, so concurrent runs never
//! see half a file; only the [`KEEP`] most recently used files are kept.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::graph::DependencyGraph;
use crate::graph::cache::CacheKey;

/// Inputs smaller than this (in total) are not cached: parsing them is faster.
pub const CACHE_MIN_BYTES: u64 = 1 << 20;

/// Cache files kept.
pub const KEEP: usize = 8;

/// The cache folder, if the environment names one.
pub fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("blast-radius"))
}

/// The key of a set of input files (`None` when one cannot be read: then no cache).
pub fn key_of(files: &[PathBuf]) -> Option<(CacheKey, u64)> {
    let _t = crate::timing::Phase::start("hash inputs");
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    let mut total = 0u64;
    for f in files {
        let file = std::fs::File::open(f).ok()?;
        let len = file.metadata().ok()?.len();
        total += len;
        // SAFETY: read-only map of a file we only hash.
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }.ok()?;
        let chunks: Vec<u64> = map
            .par_chunks(16 << 20)
            .map(xxhash_rust::xxh3::xxh3_64)
            .collect();
        h.update(f.as_os_str().as_encoded_bytes());
        h.update(&[0]);
        h.update(&len.to_le_bytes());
        for c in chunks {
            h.update(&c.to_le_bytes());
        }
    }
    Some((CacheKey(h.digest128().to_le_bytes()), total))
}

fn file_of(dir: &Path, key: &CacheKey) -> PathBuf {
    dir.join(format!("{}.graph", key.hex()))
}

/// The cached graph for `key`, if a valid one exists.
pub fn read(dir: &Path, key: &CacheKey) -> Option<DependencyGraph> {
    let path = file_of(dir, key);
    let file = std::fs::File::open(&path).ok()?;
    // SAFETY: read-only map; a file replaced under us is renamed over, never rewritten.
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }.ok()?;
    let graph = DependencyGraph::read_cache(&map, key).ok()?;
    // Mark it recently used.
    let _ = file.set_modified(std::time::SystemTime::now());
    Some(graph)
}

/// Stores `graph` for `key` (best effort: a cache that cannot be written is skipped).
pub fn write(dir: &Path, key: &CacheKey, graph: &DependencyGraph) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let path = file_of(dir, key);
    let tmp = dir.join(format!(".{}.{}.tmp", key.hex(), std::process::id()));
    let ok = std::fs::File::create(&tmp)
        .and_then(|mut f| graph.write_cache(&mut f, key))
        .and_then(|()| std::fs::rename(&tmp, &path));
    if ok.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return;
    }
    evict(dir);
}

/// Removes all but the [`KEEP`] most recently used cache files.
fn evict(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "graph"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort_by(|a, b| b.cmp(a));
    for (_, p) in files.into_iter().skip(KEEP) {
        let _ = std::fs::remove_file(p);
    }
}
