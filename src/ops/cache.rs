//! Where compiled graphs are cached, and when a cached graph may be used.
//!
//! Inputs of at least [`CACHE_MIN_BYTES`] in total are cached under
//! `$XDG_CACHE_HOME/blast-radius/` (else `~/.cache/blast-radius/`), one file per input set,
//! named by the key: a hash of the build ([`crate::BUILD`]) and of every input file's path
//! and contents, taken from regular files only (a named pipe is read once, by the parser).
//! A cache file is used only when its key, build and checksum all match
//! ([`DependencyGraph::read_cache`]); a corrupt, truncated or edited file is ignored and
//! rewritten. Files are written to a temporary name and renamed, so concurrent runs never
//! see half a file; only the [`KEEP`] most recently used files are kept.
//!
//! Hashing a 600 MB input takes a few hundred milliseconds, so the key is remembered the way
//! git's index remembers file hashes: a *stamp* in `stamps/`, named by a hash of every
//! input's path, device, inode, size, modification and status-change times, holds the
//! content key, with a check that ties the key to the stamp's name (a key copied from
//! another stamp is not used). Any write to a file changes its status-change time (which no tool can set
//! back), a replaced file has another inode, so a stamp only ever matches unchanged files.
//! A stamp is recorded only for files whose last change is at least [`STAMP_MIN_AGE`] old,
//! so a write in the same clock tick as the hashing cannot go unnoticed (git's "racy"
//! files). A graph is stored only when its input files have the same identities after the
//! parse as before the key was taken ([`identity`]): a file written or replaced during the
//! run (a checkout, an editor's save) never puts another graph under this key.

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::graph::DependencyGraph;
use crate::graph::cache::CacheKey;

/// Inputs smaller than this (in total) are not cached: parsing them is faster.
pub const CACHE_MIN_BYTES: u64 = 1 << 20;

/// Cache files kept.
pub const KEEP: usize = 8;

/// The cache folder, if the environment names one. A relative `XDG_CACHE_HOME` is ignored,
/// as the XDG Base Directory specification says.
pub fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|v| v.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("blast-radius"))
}

/// Input files changed more recently than this are hashed every time (no stamp).
pub const STAMP_MIN_AGE: std::time::Duration = std::time::Duration::from_secs(2);

/// Stamps kept.
const KEEP_STAMPS: usize = 64;

/// The key of a set of input files, or `None` when they are not cached (smaller than
/// [`CACHE_MIN_BYTES`] in total, or one cannot be read): from a stamp in `dir` when one
/// matches, else by hashing the contents (and recording a stamp).
pub fn key_of(dir: &Path, files: &[PathBuf]) -> Option<CacheKey> {
    let metas = metadata(files)?;
    if metas.iter().map(std::fs::Metadata::len).sum::<u64>() < CACHE_MIN_BYTES {
        return None;
    }
    let Some((stamp, newest)) = fingerprint(files, &metas) else {
        return hash_inputs(files);
    };
    let stamps = dir.join("stamps");
    let path = stamps.join(stamp.hex());
    if let Some(key) = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| read_stamp(&stamp.hex(), &t))
    {
        return Some(key);
    }
    let key = hash_inputs(files)?;
    let settled = std::time::SystemTime::now()
        .checked_sub(STAMP_MIN_AGE)
        .is_some_and(|t| newest < t);
    let text = stamp_text(&stamp.hex(), &key);
    if settled && replace(&stamps, &stamp.hex(), |f| f.write_all(text.as_bytes())) {
        evict(&stamps, |p| p.extension().is_none(), KEEP_STAMPS);
    }
    Some(key)
}

/// Every file's metadata, when all are regular files (a named pipe or a device is read
/// once, by the parser: hashing it first would consume it, or never end).
fn metadata(files: &[PathBuf]) -> Option<Vec<std::fs::Metadata>> {
    files
        .iter()
        .map(|f| std::fs::metadata(f).ok().filter(std::fs::Metadata::is_file))
        .collect()
}

/// The files' identities (path, device, inode, size, modification and status-change
/// times; size and modification time where there are no inodes): equal before and after a
/// parse only when no file was written or replaced meanwhile. `None` when one is not a
/// regular file or cannot be read.
pub fn identity(files: &[PathBuf]) -> Option<CacheKey> {
    let metas = metadata(files)?;
    match fingerprint(files, &metas) {
        Some((stamp, _)) => Some(stamp),
        None => {
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            for (f, m) in files.iter().zip(&metas) {
                h.update(f.as_os_str().as_encoded_bytes());
                h.update(&[0]);
                h.update(&m.len().to_le_bytes());
                let modified = m.modified().ok()?.duration_since(std::time::UNIX_EPOCH);
                h.update(&modified.ok()?.as_nanos().to_le_bytes());
            }
            Some(CacheKey(h.digest128().to_le_bytes()))
        }
    }
}

/// A stamp's text: the content key, and a check tying it to the stamp's own name, so a
/// key copied from another stamp (or edited by hand) is not trusted.
fn stamp_text(name: &str, key: &CacheKey) -> String {
    let key = key.hex();
    let check = xxhash_rust::xxh3::xxh3_64(format!("{name}:{key}").as_bytes());
    format!("{key}\n{check:016x}\n")
}

/// The key a stamp named `name` holds, if its text is whole and its check matches.
fn read_stamp(name: &str, text: &str) -> Option<CacheKey> {
    let key = CacheKey::from_hex(text.lines().next()?.trim())?;
    (stamp_text(name, &key) == text).then_some(key)
}

/// Writes `dir/name` through a hidden temporary file renamed over it, so concurrent runs
/// never see half a file (best effort: `false` when it could not be written).
fn replace(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> bool {
    if std::fs::create_dir_all(dir).is_err() {
        return false;
    }
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let ok = std::fs::File::create(&tmp)
        .and_then(|mut f| write(&mut f))
        .and_then(|()| std::fs::rename(&tmp, dir.join(name)));
    if ok.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    ok.is_ok()
}

/// A hash of the files' identities and times, and the latest time any of them changed
/// (`None` where the platform has no status-change time).
#[cfg(unix)]
fn fingerprint(
    files: &[PathBuf],
    metas: &[std::fs::Metadata],
) -> Option<(CacheKey, std::time::SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(crate::BUILD.as_bytes());
    let mut newest = std::time::UNIX_EPOCH;
    for (f, m) in files.iter().zip(metas) {
        h.update(f.as_os_str().as_encoded_bytes());
        h.update(&[0]);
        for x in [m.dev(), m.ino(), m.size()] {
            h.update(&x.to_le_bytes());
        }
        for x in [m.mtime(), m.mtime_nsec(), m.ctime(), m.ctime_nsec()] {
            h.update(&x.to_le_bytes());
        }
        let changed = |s: i64, ns: i64| {
            std::time::UNIX_EPOCH
                + std::time::Duration::new(s.max(0) as u64, ns.clamp(0, 999_999_999) as u32)
        };
        newest = newest
            .max(changed(m.mtime(), m.mtime_nsec()))
            .max(changed(m.ctime(), m.ctime_nsec()));
    }
    Some((CacheKey(h.digest128().to_le_bytes()), newest))
}

#[cfg(not(unix))]
fn fingerprint(
    _: &[PathBuf],
    _: &[std::fs::Metadata],
) -> Option<(CacheKey, std::time::SystemTime)> {
    None
}

/// The key of a set of input files from their contents.
fn hash_inputs(files: &[PathBuf]) -> Option<CacheKey> {
    let _t = crate::timing::Phase::start("hash inputs");
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(crate::BUILD.as_bytes());
    for f in files {
        let file = std::fs::File::open(f).ok()?;
        let len = file.metadata().ok()?.len();
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
    Some(CacheKey(h.digest128().to_le_bytes()))
}

/// The name of the cache file for `key`.
fn name_of(key: &CacheKey) -> String {
    format!("{}.graph", key.hex())
}

/// A mapped cache file, shared with the graph read from it.
struct Mapped(std::sync::Arc<memmap2::Mmap>);

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// The cached graph for `key`, if a valid one exists.
pub fn read(dir: &Path, key: &CacheKey) -> Option<DependencyGraph> {
    let path = dir.join(name_of(key));
    // Only a regular file: opening a named pipe put in its place would wait for a writer.
    if !std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let file = std::fs::File::open(&path).ok()?;
    // SAFETY: read-only map; a file replaced under us is renamed over, never rewritten.
    // Not populated up front: the checksum and the parallel decoding fault its pages in.
    let map = std::sync::Arc::new(unsafe { memmap2::MmapOptions::new().map(&file) }.ok()?);
    // The graph keeps the map: it walks its adjacency arrays in place, and decodes its
    // edges from it if they are ever read.
    let graph = DependencyGraph::read_cache(Mapped(map.clone()), key).ok()?;
    // Checked, the edge records (a third of the file) need not stay in this process's
    // memory: only commands that read the edges read them, once, to decode them, and their
    // pages come back from the page cache then. The arrays that walks and reports read
    // stay mapped: dropped, they came back a few pages per fault (on the 1M graph, a cached
    // 20-query batch took 7.1k page faults instead of 4.5k and 0.51 s instead of 0.47 s,
    // for 13 MB less peak memory).
    #[cfg(unix)]
    if let Some(edges) = graph.undecoded_edge_bytes() {
        // The map starts on a page.
        if let Some(pages) = whole_pages(edges, crate::graph::backing::system_page_size()) {
            // SAFETY: a read-only shared map of a file that is never rewritten: a page
            // dropped here is read back from the file, unchanged, on the next access.
            let _ = unsafe {
                map.unchecked_advise_range(
                    memmap2::UncheckedAdvice::DontNeed,
                    pages.start,
                    pages.len(),
                )
            };
        }
    }
    // Mark it recently used.
    let _ = file.set_modified(std::time::SystemTime::now());
    Some(graph)
}

/// The whole pages of `page` bytes that lie inside `bytes` (offsets from a page start), if
/// any.
#[cfg_attr(not(unix), allow(dead_code))]
fn whole_pages(bytes: std::ops::Range<usize>, page: usize) -> Option<std::ops::Range<usize>> {
    let from = bytes.start.checked_next_multiple_of(page)?;
    let to = bytes.end / page * page;
    (from < to).then_some(from..to)
}

/// Stores `graph` for `key` (best effort: a cache that cannot be written is skipped).
pub fn write(dir: &Path, key: &CacheKey, graph: &DependencyGraph) {
    if replace(dir, &name_of(key), |f| graph.write_cache(f, key)) {
        evict(dir, |p| p.extension().is_some_and(|x| x == "graph"), KEEP);
    }
}

/// Removes all but the `keep` most recently used files of `dir` that `pick` selects.
fn evict(dir: &Path, pick: impl Fn(&Path) -> bool, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| pick(&e.path()))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort_by(|a, b| b.cmp(a));
    for (_, p) in files.into_iter().skip(keep) {
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
mod tests {
    use super::{identity, whole_pages};

    /// A file's identity changes with any write, even one that keeps its size and restores
    /// its modification time, and when another file is renamed over it; it stays while the
    /// file is only read. A named pipe has none.
    #[cfg(unix)]
    #[test]
    fn any_write_or_replacement_changes_an_identity() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("g.json");
        std::fs::write(&f, "{\"nodes\": []}").unwrap();
        let files = [f.clone()];
        let first = identity(&files).unwrap();
        let _ = std::fs::read(&f).unwrap();
        assert_eq!(identity(&files), Some(first));
        let modified = std::fs::metadata(&f).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&f, "{\"nodes\": [1]}").unwrap();
        let file = std::fs::File::options().write(true).open(&f).unwrap();
        file.set_len(13).unwrap();
        file.set_modified(modified).unwrap();
        drop(file);
        let second = identity(&files).unwrap();
        assert_ne!(second, first, "rewritten in place, time restored");
        let other = d.path().join("other.json");
        std::fs::write(&other, "{\"nodes\": []}").unwrap();
        std::fs::rename(&other, &f).unwrap();
        assert_ne!(identity(&files).unwrap(), second, "replaced");
        let pipe = d.path().join("pipe.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap();
        assert!(made.success());
        assert_eq!(identity(&[pipe]), None);
    }

    #[test]
    fn only_whole_pages_inside_the_range_are_released() {
        assert_eq!(whole_pages(0..8192, 4096), Some(0..8192));
        assert_eq!(whole_pages(1..12288, 4096), Some(4096..12288));
        assert_eq!(whole_pages(4095..12289, 4096), Some(4096..12288));
        assert_eq!(whole_pages(4096..8191, 4096), None);
        assert_eq!(whole_pages(100..5000, 4096), None);
        assert_eq!(whole_pages(7..7, 4096), None);
        assert_eq!(whole_pages(70_000..200_000, 65_536), Some(131_072..196_608));
        assert_eq!(whole_pages(usize::MAX - 5..usize::MAX, 4096), None);
    }
}
