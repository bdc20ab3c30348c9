//! Reading source files: small files into memory, large ones memory-mapped.

use std::fs::File;
use std::ops::Deref;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// Files at least this large are memory-mapped instead of read.
const MMAP_THRESHOLD: u64 = 1 << 20;

/// The bytes of a file.
pub(crate) enum FileBytes {
    Owned(Vec<u8>),
    /// A mapped file and how many of its leading bytes were already given back.
    Mapped(memmap2::Mmap, AtomicUsize),
}

impl Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Owned(v) => v,
            FileBytes::Mapped(m, _) => m,
        }
    }
}

impl FileBytes {
    /// Tells the kernel the bytes before `offset` will not be read again, so their pages
    /// stop counting against this process's memory (a no-op for small files).
    pub(crate) fn release_before(&self, offset: usize) {
        #[cfg(unix)]
        if let FileBytes::Mapped(m, released) = self {
            let page = 1 << 16;
            let end = offset / page * page;
            // Only the part not given back yet: the kernel walks the whole range it is told.
            let start = released.fetch_max(end, Ordering::Relaxed);
            if end > start {
                // SAFETY: the mapping is private and read-only; dropped pages are read back
                // from the file if touched again, so no reference into the map dangles.
                unsafe {
                    let _ = m.unchecked_advise_range(
                        memmap2::UncheckedAdvice::DontNeed,
                        start,
                        end - start,
                    );
                }
            }
        }
        let _ = offset;
    }
}

/// Reads `path`.
pub(crate) fn read(path: &Path) -> Result<FileBytes> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory"),
        ));
    }
    if meta.len() >= MMAP_THRESHOLD {
        // SAFETY: the map is read-only; a file truncated under us would fault, which is the
        // same risk every mmap-reading tool (ripgrep) accepts for speed.
        if let Ok(m) = unsafe { memmap2::Mmap::map(&file) } {
            #[cfg(unix)]
            let _ = m.advise(memmap2::Advice::Sequential);
            return Ok(FileBytes::Mapped(m, AtomicUsize::new(0)));
        }
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    use std::io::Read;
    let mut file = file;
    file.read_to_end(&mut buf).map_err(|e| Error::io(path, e))?;
    Ok(FileBytes::Owned(buf))
}

/// The bytes after a leading UTF-8 byte-order mark, which Windows editors write and YAML and
/// TOML readers skip; JSON readers are given the rest, so every format accepts it alike.
pub(crate) fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// [`without_bom`] of text already decoded.
pub(crate) fn without_bom_str(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The bytes as UTF-8, or a parse error at the first invalid byte.
pub(crate) fn utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        super::parse_error_at(
            path,
            bytes,
            e.valid_up_to(),
            "the file is not valid UTF-8".to_string(),
        )
    })
}
