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

use rayon::prelude::*;

/// The bytes a cache was read from (a mapped file, or bytes in memory), shared by
/// everything read in place from them.
pub(crate) type Shared = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// Numbers, or records of numbers, for which any bytes are a valid value, stored
/// little-endian in cache files.
///
/// # Safety
/// Any `size_of::<Self>()` bytes must be a valid value (no padding, no enum, no
/// reference), and on a little-endian machine the value's bytes must be the ones `from_le`
/// reads (and `to_le` writes): a [`Slab`] reads such bytes in place as values.
pub(crate) unsafe trait Plain:
    Copy + Send + Sync + std::fmt::Debug + 'static
{
    /// The value of `bytes` (exactly `size_of::<Self>()` of them), little-endian.
    fn from_le(bytes: &[u8]) -> Self;
    /// Appends the value's `size_of::<Self>()` bytes, little-endian.
    fn to_le(&self, out: &mut Vec<u8>);
}

/// The little-endian `u32` at byte `at` of `b`.
#[inline]
pub(crate) fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

// SAFETY: any byte is a `u8`.
unsafe impl Plain for u8 {
    fn from_le(bytes: &[u8]) -> u8 {
        bytes[0]
    }
    fn to_le(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

// SAFETY: any 4 bytes are a `u32`, little-endian on a little-endian machine.
unsafe impl Plain for u32 {
    fn from_le(bytes: &[u8]) -> u32 {
        le32(bytes, 0)
    }
    fn to_le(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
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

/// An array read in place ([`Slab`]) until something changes it; then a `Vec` of its own,
/// copied out once (like [`std::borrow::Cow`]).
#[derive(Clone, Debug)]
pub(crate) enum Editable<T: Plain> {
    Vec(Vec<T>),
    Slab(Slab<T>),
}

impl<T: Plain> Editable<T> {
    /// The elements, to change: copied out of shared bytes first if they are there.
    pub(crate) fn to_mut(&mut self) -> &mut Vec<T> {
        if let Editable::Slab(s) = self {
            *self = Editable::Vec(s.to_vec());
        }
        match self {
            Editable::Vec(v) => v,
            Editable::Slab(_) => unreachable!("copied out just above"),
        }
    }

    /// The room of its buffer (a read-in-place slab has no spare room).
    pub(crate) fn room(&self) -> super::backing::Room {
        match self {
            Editable::Vec(v) => super::backing::Room::of_vec(v),
            Editable::Slab(s) => super::backing::Room::of(s, s.len()),
        }
    }

    /// The elements as a `Vec` of their own.
    pub(crate) fn into_vec(self) -> Vec<T> {
        match self {
            Editable::Vec(v) => v,
            Editable::Slab(s) => s.to_vec(),
        }
    }
}

impl<T: Plain> Default for Editable<T> {
    fn default() -> Editable<T> {
        Editable::Vec(Vec::new())
    }
}

impl<T: Plain> std::ops::Deref for Editable<T> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        match self {
            Editable::Vec(v) => v,
            Editable::Slab(s) => s,
        }
    }
}

/// Items per block of the checks below.
const CHECK_BLOCK: usize = 1 << 14;

/// Whether `ok` holds for every item of `items`, checked in parallel a block at a time.
/// Inside a block every item is checked, with no early exit, so the loop has no branch per
/// item and vectorises; the blocks stop at the first that fails. Reading a cache checks
/// millions of numbers this way.
pub(crate) fn all_ok<T: Sync>(items: &[T], ok: impl Fn(&T) -> bool + Sync) -> bool {
    items
        .par_chunks(CHECK_BLOCK)
        .all(|b| b.iter().fold(true, |all, x| all & ok(x)))
}

/// Whether `ok` holds for every record of `N` bytes in `bytes` (whose length is a multiple
/// of `N`; bytes past the last whole record are not checked), checked like [`all_ok`].
/// Records are arrays of a size known when compiling, so reading their fields needs no
/// bounds check and the loop vectorises.
pub(crate) fn all_records_ok<const N: usize>(
    bytes: &[u8],
    ok: impl Fn(&[u8; N]) -> bool + Sync,
) -> bool {
    bytes
        .par_chunks(N * CHECK_BLOCK)
        .all(|b| b.as_chunks::<N>().0.iter().fold(true, |all, r| all & ok(r)))
}

/// Whether `v` never decreases, checked like [`all_ok`].
pub(crate) fn non_decreasing(v: &[u32]) -> bool {
    v.par_chunks(CHECK_BLOCK).enumerate().all(|(i, b)| {
        (i == 0 || v[i * CHECK_BLOCK - 1] <= b[0])
            && b.windows(2).fold(true, |all, w| all & (w[0] <= w[1]))
    })
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

    #[test]
    fn block_checks_agree_with_checking_one_by_one() {
        // Sorted numbers across several blocks, then one drop placed at the start, at a
        // block boundary, inside a block and at the end.
        let n = 3 * CHECK_BLOCK + 5;
        let sorted: Vec<u32> = (0..n as u32).map(|i| i / 3 + 1).collect();
        assert!(non_decreasing(&sorted) && non_decreasing(&[]) && non_decreasing(&[7]));
        for at in [1, CHECK_BLOCK, CHECK_BLOCK + 1, 2 * CHECK_BLOCK + 17, n - 1] {
            let mut v = sorted.clone();
            v[at] = v[at - 1] - 1;
            assert!(!non_decreasing(&v), "drop at {at}");
            assert_eq!(v.windows(2).all(|w| w[0] <= w[1]), non_decreasing(&v));
            let limit = n as u32 / 3 + 2;
            assert!(all_ok(&sorted, |&x| x < limit));
            let mut big = sorted.clone();
            big[at] = limit;
            assert!(!all_ok(&big, |&x| x < limit), "big at {at}");
            let bytes: Vec<u8> = big.iter().flat_map(|x| x.to_le_bytes()).collect();
            let ok = |r: &[u8; 4]| u32::from_le_bytes(*r) < limit;
            assert!(!all_records_ok(&bytes, ok), "record at {at}");
            let bytes: Vec<u8> = sorted.iter().flat_map(|x| x.to_le_bytes()).collect();
            assert!(all_records_ok(&bytes, ok));
        }
    }

    #[test]
    fn an_editable_array_copies_its_bytes_out_before_a_change() {
        let le: Vec<u8> = [5u32, 6].iter().flat_map(|x| x.to_le_bytes()).collect();
        let bytes: Shared = Arc::new(Placed::new(&le, 0));
        let mut e = Editable::Slab(Slab::<u32>::from_bytes(&bytes, 0, 2));
        assert_eq!(&*e, &[5, 6]);
        e.to_mut().push(7);
        e.to_mut()[0] = 1;
        assert_eq!(&*e, &[1, 6, 7]);
        // The shared bytes are untouched.
        assert_eq!(&*Slab::<u32>::from_bytes(&bytes, 0, 2), &[5, 6]);
        assert_eq!(e.into_vec(), vec![1, 6, 7]);
        assert!(Editable::<u32>::default().is_empty());
    }
}
