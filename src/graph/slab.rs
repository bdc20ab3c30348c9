//! Read-only arrays of plain numbers, either owned or read in place from the bytes of a
//! compiled-graph cache file.
//!
//! The strings, the adjacency arrays and the id order make up most of a cache file. Copying them out of
//! the mapped file costs a pass over them and as much fresh memory, whose first touch is
//! the dearest part of loading on a virtual machine. A [`Slab`] read from a cache file
//! points into the file's bytes instead, and keeps them alive; it copies only when the
//! bytes cannot be used as they are (a big-endian machine, or bytes not aligned for the
//! element type, which happens only to cache bytes held in an unaligned buffer).

use std::sync::Arc;

/// The bytes a cache was read from (a mapped file, or bytes in memory), shared by
/// everything read in place from them.
pub(crate) type Shared = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// Numbers for which any bytes are a valid value, stored little-endian in cache files.
pub(crate) trait Plain: Copy + Send + Sync + std::fmt::Debug + 'static {
    /// The value of `bytes` (exactly `size_of::<Self>()` of them), little-endian.
    fn from_le(bytes: &[u8]) -> Self;
}

impl Plain for u8 {
    fn from_le(bytes: &[u8]) -> u8 {
        bytes[0]
    }
}

impl Plain for u32 {
    fn from_le(bytes: &[u8]) -> u32 {
        u32::from_le_bytes(bytes.try_into().expect("4 bytes"))
    }
}

/// What keeps a [`Slab`]'s elements alive.
enum Owner<T> {
    Vec(#[allow(dead_code)] Vec<T>),
    Bytes(#[allow(dead_code)] Shared),
}

/// A read-only array: a `Vec` of its own, or elements read in place from shared bytes.
pub(crate) struct Slab<T: Plain> {
    /// The first element: into the owner's buffer, which never moves nor changes while
    /// the owner lives (a `Vec` is never written after it is wrapped; shared bytes are
    /// immutable).
    ptr: *const T,
    len: usize,
    owner: Owner<T>,
}

// SAFETY: a slab is an immutable array (`&[T]` with `T: Sync`) plus the owner that keeps it
// alive, which is `Send + Sync` itself (`Vec<T>` with `T: Send + Sync`, or `Shared`).
unsafe impl<T: Plain> Send for Slab<T> {}
// SAFETY: as above; nothing is ever written through `ptr`.
unsafe impl<T: Plain> Sync for Slab<T> {}

impl<T: Plain> Slab<T> {
    /// The `len` elements stored little-endian at byte `at` of `bytes`, read in place when
    /// the machine is little-endian and the bytes are aligned for `T`, copied otherwise.
    ///
    /// # Panics
    /// If the elements do not lie inside the bytes (callers take them from a bounds-checked
    /// reader first).
    pub(crate) fn from_bytes(bytes: &Shared, at: usize, len: usize) -> Slab<T> {
        let size = std::mem::size_of::<T>();
        let raw = &(**bytes).as_ref()[at..at + len * size];
        let ptr = raw.as_ptr();
        if cfg!(target_endian = "little") && ptr.align_offset(std::mem::align_of::<T>()) == 0 {
            Slab {
                ptr: ptr.cast(),
                len,
                owner: Owner::Bytes(bytes.clone()),
            }
        } else {
            raw.chunks_exact(size)
                .map(T::from_le)
                .collect::<Vec<T>>()
                .into()
        }
    }

    /// Whether the elements are read in place from shared bytes.
    #[cfg(test)]
    pub(crate) fn in_place(&self) -> bool {
        matches!(self.owner, Owner::Bytes(_))
    }
}

impl<T: Plain> From<Vec<T>> for Slab<T> {
    fn from(v: Vec<T>) -> Slab<T> {
        Slab {
            ptr: v.as_ptr(),
            len: v.len(),
            owner: Owner::Vec(v),
        }
    }
}

impl<T: Plain> std::ops::Deref for Slab<T> {
    type Target = [T];

    #[inline(always)]
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` and `len` describe initialised, aligned elements inside the owner's
        // buffer (see the fields), which lives as long as `self` and is never written.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl<T: Plain> Clone for Slab<T> {
    fn clone(&self) -> Slab<T> {
        match &self.owner {
            Owner::Vec(_) => self.to_vec().into(),
            Owner::Bytes(b) => Slab {
                ptr: self.ptr,
                len: self.len,
                owner: Owner::Bytes(b.clone()),
            },
        }
    }
}

impl<T: Plain> std::fmt::Debug for Slab<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Test bytes placed `shift` bytes past an 8-aligned address (where a mapped file's
/// bytes start), to read cache bytes aligned or not.
#[cfg(test)]
pub(crate) struct Placed {
    buf: Vec<u8>,
    at: usize,
    len: usize,
}

#[cfg(test)]
impl Placed {
    pub(crate) fn new(bytes: &[u8], shift: usize) -> Placed {
        let mut buf = vec![0u8; bytes.len() + shift + 8];
        let at = (8 - buf.as_ptr() as usize % 8) % 8 + shift;
        buf[at..at + bytes.len()].copy_from_slice(bytes);
        Placed {
            buf,
            at,
            len: bytes.len(),
        }
    }
}

#[cfg(test)]
impl AsRef<[u8]> for Placed {
    fn as_ref(&self) -> &[u8] {
        &self.buf[self.at..self.at + self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_numbers_in_place_when_aligned_else_copied() {
        let le: Vec<u8> = [1u32, 2, 0x0102_0304]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let little = cfg!(target_endian = "little");
        for shift in [0, 1, 2, 4] {
            let bytes: Shared = Arc::new(Placed::new(&le, shift));
            let s: Slab<u32> = Slab::from_bytes(&bytes, 0, 3);
            assert_eq!(&*s, &[1, 2, 0x0102_0304]);
            assert_eq!(s.in_place(), little && shift % 4 == 0, "shift {shift}");
            // Bytes are in place at any alignment.
            let b: Slab<u8> = Slab::from_bytes(&bytes, 0, 4);
            assert_eq!(&*b, &[1, 0, 0, 0]);
            assert_eq!(b.in_place(), little);
            // A clone reads the same, and keeps the bytes alive on its own.
            let c = s.clone();
            drop((s, b, bytes));
            assert_eq!(&*c, &[1, 2, 0x0102_0304]);
        }
        let owned: Slab<u32> = vec![1, 2].into();
        assert!(!owned.in_place());
        assert_eq!(&*owned.clone(), &[1, 2]);
        assert_eq!(format!("{owned:?}"), "[1, 2]");
    }
}
