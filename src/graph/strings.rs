//! Compact string storage: one arena for every id, owner and glob of a graph, `u32` ranges
//! into it, and an interner that maps a string to a dense index without storing it twice.
//!
//! A million-node graph holds a few million short strings; one allocation each would cost
//! more memory than the strings themselves.

use super::slab::{Slab, le32};
use std::hash::BuildHasher;
use std::ops::Range;

/// A string stored in an [`Arena`].
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct StrRef {
    start: u32,
    len: u32,
}

impl StrRef {
    /// A reference to `len` bytes at `start`.
    pub(crate) fn new(start: u32, len: u32) -> StrRef {
        StrRef { start, len }
    }
    /// `(start, len)`.
    pub(crate) fn parts(self) -> (u32, u32) {
        (self.start, self.len)
    }
}

// SAFETY: `repr(C)`, two `u32`s and no padding: any 8 bytes are a value, laid out on a
// little-endian machine as `from_le` reads them.
unsafe impl super::slab::Plain for StrRef {
    fn from_le(b: &[u8]) -> StrRef {
        StrRef::new(le32(b, 0), le32(b, 4))
    }
    fn to_le(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.start.to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
    }
}

/// A range of positions in one of the graph's flat lists.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Range32 {
    start: u32,
    len: u32,
}

impl Range32 {
    pub(crate) fn new(start: usize, len: usize) -> Range32 {
        Range32 {
            start: u32::try_from(start).expect("list fits in u32"),
            len: u32::try_from(len).expect("list fits in u32"),
        }
    }
    /// The range of `len` positions from `start`.
    pub(crate) fn from_parts(start: u32, len: u32) -> Range32 {
        Range32 { start, len }
    }
    pub(crate) fn range(self) -> Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
    /// `(start, len)`.
    pub(crate) fn parts(self) -> (u32, u32) {
        (self.start, self.len)
    }
}

/// The arena is full (more than 4 GiB of strings).
#[derive(Debug)]
pub(crate) struct ArenaFull;

/// Append-only string storage.
///
/// A graph read from a cache file reads its strings in place from the file's bytes
/// ([`Slab`]), checked once to be UTF-8; it is never appended to, and would copy them out
/// first if it were.
#[derive(Default)]
pub(crate) struct Arena {
    buf: String,
    /// The strings of a graph read from a cache file (`buf` is empty then).
    frozen: Option<Slab<u8>>,
}

impl std::fmt::Debug for Arena {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arena")
            .field("buf", &self.as_str())
            .finish()
    }
}

impl Arena {
    pub(crate) fn push(&mut self, s: &str) -> Result<StrRef, ArenaFull> {
        if let Some(f) = self.frozen.take() {
            self.buf = String::from_utf8(f.to_vec()).expect("checked to be UTF-8");
        }
        let start = u32::try_from(self.buf.len()).map_err(|_| ArenaFull)?;
        let len = u32::try_from(s.len()).map_err(|_| ArenaFull)?;
        if start.checked_add(len).is_none() {
            return Err(ArenaFull);
        }
        self.buf.push_str(s);
        Ok(StrRef { start, len })
    }

    /// The whole arena.
    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        match &self.frozen {
            // SAFETY: checked to be UTF-8 when it was read (`from_bytes`), and immutable.
            Some(f) => unsafe { std::str::from_utf8_unchecked(f) },
            None => &self.buf,
        }
    }

    /// An arena of the strings in `bytes`, read in place, if they are UTF-8.
    pub(crate) fn from_bytes(bytes: Slab<u8>) -> Option<Arena> {
        if !is_utf8(&bytes, UTF8_PIECE) {
            return None;
        }
        Some(Arena {
            buf: String::new(),
            frozen: Some(bytes),
        })
    }

    /// Whether the strings are read in place from a cache file's bytes.
    #[cfg(test)]
    pub(crate) fn in_place(&self) -> bool {
        self.frozen.as_ref().is_some_and(|f| f.in_place())
    }

    /// Whether `r` lies inside the arena on character boundaries.
    pub(crate) fn contains(&self, r: StrRef) -> bool {
        let (a, b) = (r.start as usize, r.start as usize + r.len as usize);
        let s = self.as_str();
        b <= s.len() && s.is_char_boundary(a) && s.is_char_boundary(b)
    }

    #[inline]
    pub(crate) fn get(&self, r: StrRef) -> &str {
        &self.as_str()[r.start as usize..(r.start + r.len) as usize]
    }

    /// Makes room for `n` more bytes.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.buf.reserve(n);
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }

    /// The room of the strings appended so far (see [`backing`](super::backing)).
    pub(crate) fn room(&self) -> super::backing::Room {
        super::backing::Room::of(self.buf.as_bytes(), self.buf.capacity())
    }
}

/// A hash-table slot: a tag from the hash (0 marks an empty slot), the index, and (to spare
/// a memory access on lookup) the string's place.
#[derive(Copy, Clone, Default)]
struct Slot {
    tag: u32,
    ix: u32,
    at: StrRef,
}

/// `n` empty slots. A large table is fresh memory, whose first write costs a page fault
/// (see [`backing`](super::backing)), so it is filled on every core: the 1M graph's 64 MB
/// table took up to 180 ms on one core on a host slow to back fresh pages.
fn empty_slots(n: usize) -> Vec<Slot> {
    use rayon::prelude::*;
    if n < 1 << 16 {
        return vec![Slot::default(); n];
    }
    let mut v = Vec::with_capacity(n);
    v.par_extend(rayon::iter::repeat_n(Slot::default(), n));
    v
}

/// Maps strings to dense indices `0..len`, in order of first insertion.
///
/// An open-addressing table with linear probing, at most half full. Besides one-at-a-time
/// lookups it answers a batch ([`get_batch`](Self::get_batch)) in stages, asking the
/// memory for every slot and then every candidate string of the batch before reading any
/// of them: a million-node graph's table and strings do not fit in cache, so one lookup
/// waits on two memory reads, and a batch overlaps those waits.
#[derive(Default)]
pub(crate) struct Interner {
    slots: Vec<Slot>,
    refs: Vec<StrRef>,
    hasher: foldhash::fast::FixedState,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Interner({} strings)", self.refs.len())
    }
}

/// Lookups answered together by [`Interner::get_batch`].
const BATCH: usize = 16;

/// The tag of a hash: its high half, never 0 (which marks an empty slot). The slot position
/// comes from the low bits, so the two are independent.
#[inline]
fn tag_of(h: u64) -> u32 {
    (h >> 32) as u32 | 1
}

/// Asks the memory for the cache line at `p` without waiting for it.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p.cast::<i8>(), std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

impl Interner {
    pub(crate) fn with_capacity(n: usize) -> Interner {
        Interner {
            slots: empty_slots(Self::slots_for(n)),
            refs: Vec::with_capacity(n),
            hasher: foldhash::fast::FixedState::with_seed(0x5eed_b1a5_7000_0001),
        }
    }

    /// Table size for `n` strings: a power of two, at least twice `n`.
    fn slots_for(n: usize) -> usize {
        (n.max(8) * 2).next_power_of_two()
    }

    #[inline]
    fn hash(&self, s: &str) -> u64 {
        self.hasher.hash_one(s)
    }

    /// Makes room for `n` more strings.
    pub(crate) fn reserve(&mut self, arena: &Arena, n: usize) {
        self.refs.reserve(n);
        let want = Self::slots_for(self.refs.len() + n);
        if want > self.slots.len() {
            let old = std::mem::replace(&mut self.slots, empty_slots(want));
            for slot in old.into_iter().filter(|s| s.tag != 0) {
                let s = arena.get(slot.at);
                let h = self.hash(s);
                let (i, _) = self.probe(arena, s, h, self.home(h));
                self.slots[i] = slot;
            }
        }
    }

    /// Where a string with hash `h` starts its probe.
    #[inline]
    fn home(&self, h: u64) -> usize {
        h as usize & (self.slots.len() - 1)
    }

    /// Asks the memory for the home slot of `s`, without waiting.
    #[inline]
    pub(crate) fn prefetch(&self, s: &str) {
        if !self.slots.is_empty() {
            self.prefetch_home(self.hash(s));
        }
    }

    /// Asks the memory for the home slot of hash `h`, without waiting.
    #[inline]
    fn prefetch_home(&self, h: u64) {
        prefetch(&self.slots[self.home(h)]);
    }

    /// Hashes a batch of strings and asks the memory for each one's home slot.
    #[inline]
    fn hash_batch<'s>(&self, strs: impl Iterator<Item = &'s str>) -> [u64; BATCH] {
        let mut hashes = [0u64; BATCH];
        for (h, s) in hashes.iter_mut().zip(strs) {
            *h = self.hash(s);
            self.prefetch_home(*h);
        }
        hashes
    }

    /// The slot holding `s` (hash `h`), or the empty slot where it would go, probing from
    /// slot `from`.
    #[inline]
    fn probe(&self, arena: &Arena, s: &str, h: u64, from: usize) -> (usize, Option<u32>) {
        let mask = self.slots.len() - 1;
        let tag = tag_of(h);
        let mut i = from;
        loop {
            let slot = &self.slots[i];
            if slot.tag == 0 {
                return (i, None);
            }
            if slot.tag == tag && arena.get(slot.at) == s {
                return (i, Some(slot.ix));
            }
            i = (i + 1) & mask;
        }
    }

    /// The index of `s`, if it was interned.
    #[inline]
    pub(crate) fn get(&self, arena: &Arena, s: &str) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let h = self.hash(s);
        self.probe(arena, s, h, self.home(h)).1
    }

    /// The index of every string of `keys`, in order (`u32::MAX` for those not interned),
    /// appended to `out`. Same answers as [`get`](Self::get) one by one; faster on tables
    /// larger than the cache (see the type's docs).
    pub(crate) fn get_batch(&self, arena: &Arena, keys: &[&str], out: &mut Vec<u32>) {
        if self.slots.is_empty() {
            out.extend(std::iter::repeat_n(u32::MAX, keys.len()));
            return;
        }
        let mask = self.slots.len() - 1;
        let base = arena.as_str().as_ptr();
        for chunk in keys.chunks(BATCH) {
            let hashes = self.hash_batch(chunk.iter().copied());
            // The first slot whose tag matches (its string asked for), or an empty one.
            let mut first = [0usize; BATCH];
            for (j, h) in hashes.iter().enumerate().take(chunk.len()) {
                let tag = tag_of(*h);
                let mut i = self.home(*h);
                loop {
                    let slot = &self.slots[i];
                    if slot.tag == 0 || slot.tag == tag {
                        break;
                    }
                    i = (i + 1) & mask;
                }
                let slot = &self.slots[i];
                if slot.tag != 0 {
                    // SAFETY: `at` lies inside the arena (it was pushed there).
                    prefetch(unsafe { base.add(slot.at.start as usize) });
                }
                first[j] = i;
            }
            for (j, k) in chunk.iter().enumerate() {
                let slot = &self.slots[first[j]];
                out.push(if slot.tag == 0 {
                    u32::MAX
                } else if arena.get(slot.at) == *k {
                    slot.ix
                } else {
                    // A tag collision: go on probing one at a time.
                    self.probe(arena, k, hashes[j], (first[j] + 1) & mask)
                        .1
                        .unwrap_or(u32::MAX)
                });
            }
        }
    }

    fn insert_at(&mut self, i: usize, h: u64, r: StrRef) -> u32 {
        let ix = self.refs.len() as u32;
        self.refs.push(r);
        self.slots[i] = Slot {
            tag: tag_of(h),
            ix,
            at: r,
        };
        ix
    }

    /// The index of `s`, interning it (in `arena`) when it is new. Returns `(index, is_new)`.
    pub(crate) fn intern(&mut self, arena: &mut Arena, s: &str) -> Result<(u32, bool), ArenaFull> {
        if Self::slots_for(self.refs.len() + 1) > self.slots.len() {
            self.reserve(arena, self.refs.len().max(8));
        }
        let h = self.hash(s);
        let (i, found) = self.probe(arena, s, h, self.home(h));
        if let Some(ix) = found {
            return Ok((ix, false));
        }
        u32::try_from(self.refs.len()).map_err(|_| ArenaFull)?;
        let r = arena.push(s)?;
        Ok((self.insert_at(i, h, r), true))
    }

    /// Registers each of `refs` (already in `arena`) as the next index, in order (the
    /// compiled-graph cache rebuilds an interner this way), asking the memory for a batch's
    /// slots before probing them. `false` (and a partly filled interner) when a string
    /// repeats.
    pub(crate) fn insert_existing_all(&mut self, arena: &Arena, refs: &[StrRef]) -> bool {
        self.reserve(arena, refs.len());
        for chunk in refs.chunks(BATCH) {
            let hashes = self.hash_batch(chunk.iter().map(|&r| arena.get(r)));
            for (h, &r) in hashes.iter().zip(chunk) {
                let (i, found) = self.probe(arena, arena.get(r), *h, self.home(*h));
                if found.is_some() {
                    return false;
                }
                self.insert_at(i, *h, r);
            }
        }
        true
    }

    /// The room of the list of interned strings (see [`backing`](super::backing)).
    pub(crate) fn room(&self) -> super::backing::Room {
        super::backing::Room::of_vec(&self.refs)
    }

    pub(crate) fn str_ref(&self, i: u32) -> StrRef {
        self.refs[i as usize]
    }

    /// Keeps only the entries for which `keep` is true, renumbering them densely in order.
    /// Returns the old → new map (`u32::MAX` for dropped entries).
    pub(crate) fn retain(&mut self, arena: &Arena, keep: impl Fn(u32) -> bool) -> Vec<u32> {
        let mut map = vec![u32::MAX; self.refs.len()];
        let mut kept = Vec::with_capacity(self.refs.len());
        for (old, r) in self.refs.iter().enumerate() {
            if keep(old as u32) {
                map[old] = kept.len() as u32;
                kept.push(*r);
            }
        }
        // The strings were distinct before, so they still are.
        *self = Interner::with_capacity(kept.len());
        self.insert_existing_all(arena, &kept);
        map
    }
}

/// Bytes per piece of [`is_utf8`] (a cache's strings are 51 MB at 1M nodes).
const UTF8_PIECE: usize = 1 << 20;

/// Whether `b` is UTF-8 (exactly `std::str::from_utf8(b).is_ok()`), checked on every core in
/// pieces of about `piece` bytes that start where a character starts.
///
/// Piece `i` (after the first) starts at byte `i · piece`, moved past at most three
/// continuation bytes (`10xxxxxx`): in UTF-8 a character starts within every four bytes, so
/// if `b` is UTF-8 every piece is whole characters, and UTF-8 pieces put together are
/// UTF-8. If more than three continuation bytes follow each other, `b` is not UTF-8, and
/// the piece that starts on the fourth is not either. The bytes passed over belong to the
/// piece before, so the pieces cover `b` exactly.
fn is_utf8(b: &[u8], piece: usize) -> bool {
    use rayon::prelude::*;
    // Pieces of at least four bytes start in order.
    let piece = piece.max(4);
    if b.len() <= piece {
        return std::str::from_utf8(b).is_ok();
    }
    let continues = |i: usize| b.get(i).is_some_and(|&c| c & 0xc0 == 0x80);
    let starts: Vec<usize> = (0..b.len())
        .step_by(piece)
        .map(|s| match s {
            0 => 0,
            _ => (s..s + 3).find(|&i| !continues(i)).unwrap_or(s + 3),
        })
        .collect();
    starts.par_iter().enumerate().all(|(i, &s)| {
        let end = starts.get(i + 1).copied().unwrap_or(b.len());
        std::str::from_utf8(&b[s..end]).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arena_read_from_bytes_is_checked_and_can_still_grow() {
        let bytes: std::sync::Arc<dyn AsRef<[u8]> + Send + Sync> =
            std::sync::Arc::new("héllo→".as_bytes().to_vec());
        let mut a = Arena::from_bytes(Slab::from_bytes(&bytes, 0, "héllo→".len())).unwrap();
        assert_eq!(a.as_str(), "héllo→");
        assert!(
            a.contains(StrRef { start: 0, len: 3 }) && !a.contains(StrRef { start: 0, len: 2 })
        );
        // Appending copies the strings out first.
        let r = a.push("!").unwrap();
        assert_eq!((a.get(r), a.as_str()), ("!", "héllo→!"));
        // Bytes that are not UTF-8 are refused.
        let bad: std::sync::Arc<dyn AsRef<[u8]> + Send + Sync> =
            std::sync::Arc::new(vec![b'a', 0xff, b'b']);
        assert!(Arena::from_bytes(Slab::from_bytes(&bad, 0, 3)).is_none());
    }

    #[test]
    fn interns_once_and_keeps_order() {
        let mut a = Arena::default();
        let mut i = Interner::with_capacity(4);
        assert_eq!(i.intern(&mut a, "b").unwrap(), (0, true));
        assert_eq!(i.intern(&mut a, "a").unwrap(), (1, true));
        assert_eq!(i.intern(&mut a, "b").unwrap(), (0, false));
        assert_eq!(i.get(&a, "a"), Some(1));
        assert_eq!(i.get(&a, "c"), None);
        assert_eq!(a.get(i.str_ref(1)), "a");
        let map = i.retain(&a, |x| x == 1);
        assert_eq!(map, vec![u32::MAX, 0]);
        assert_eq!(i.get(&a, "a"), Some(0));
        assert_eq!(i.get(&a, "b"), None);
    }

    #[test]
    fn a_tag_collision_probes_on() {
        let mut a = Arena::default();
        let mut i = Interner::with_capacity(4);
        i.intern(&mut a, "x").unwrap();
        // A slot with "y"'s tag at "y"'s home position, holding another string.
        let h = i.hash("y");
        let home = h as usize & (i.slots.len() - 1);
        assert_eq!(
            i.slots[home].tag, 0,
            "\"x\" sits at \"y\"'s home; pick other strings"
        );
        i.slots[home] = Slot {
            tag: tag_of(h),
            ix: 0,
            at: i.refs[0],
        };
        assert_eq!(i.intern(&mut a, "y").unwrap(), (1, true));
        let mut out = Vec::new();
        i.get_batch(&a, &["y", "x", "z"], &mut out);
        assert_eq!(out, vec![1, 0, u32::MAX]);
        assert_eq!(i.get(&a, "y"), Some(1));
    }

    proptest::proptest! {
        /// The parallel UTF-8 check answers as `std::str::from_utf8` does: on text with
        /// characters of every length, on that text with bytes changed, cut or inserted
        /// (stray continuation bytes, truncated characters), for any piece size.
        #[test]
        fn utf8_in_pieces_is_utf8_whole(
            text in "[a\u{e9}\u{20ac}\u{1f600}\u{7f}\u{80}-\u{10ffff}]{0,40}",
            edits in proptest::collection::vec((0usize..200, 0u8..=255, 0u8..3), 0..4),
            piece in 0usize..12,
        ) {
            let mut b = text.into_bytes();
            for (at, byte, how) in edits {
                let at = at % (b.len() + 1);
                match how {
                    0 if at < b.len() => b[at] = byte,
                    1 => b.insert(at, byte),
                    _ => b.truncate(at),
                }
            }
            proptest::prop_assert_eq!(is_utf8(&b, piece), std::str::from_utf8(&b).is_ok());
        }

        /// Interning, one-by-one and batched lookups, growth and `retain` agree with a
        /// `HashMap` oracle.
        #[test]
        fn agrees_with_a_map(
            words in proptest::collection::vec("[a-d]{0,4}", 0..300),
            queries in proptest::collection::vec("[a-e]{0,4}", 0..100),
            capacity in 0usize..40,
            keep_mod in 1u32..4,
        ) {
            let mut a = Arena::default();
            let mut i = Interner::with_capacity(capacity);
            let mut oracle: std::collections::HashMap<String, u32> = Default::default();
            for w in &words {
                let next = oracle.len() as u32;
                let (ix, new) = i.intern(&mut a, w).unwrap();
                let want = *oracle.entry(w.clone()).or_insert(next);
                proptest::prop_assert_eq!((ix, new), (want, want == next));
            }
            let keys: Vec<&str> = queries.iter().chain(&words).map(String::as_str).collect();
            let mut batch = Vec::new();
            i.get_batch(&a, &keys, &mut batch);
            for (k, b) in keys.iter().zip(&batch) {
                let want = oracle.get(*k).copied();
                proptest::prop_assert_eq!(i.get(&a, k), want);
                proptest::prop_assert_eq!(*b, want.unwrap_or(u32::MAX));
            }
            let map = i.retain(&a, |x| x % keep_mod == 0);
            let mut kept = 0;
            for (w, &old) in &oracle {
                let now = i.get(&a, w);
                if old % keep_mod == 0 {
                    proptest::prop_assert_eq!(now, Some(map[old as usize]));
                    proptest::prop_assert_eq!(a.get(i.str_ref(map[old as usize])), w.as_str());
                    kept += 1;
                } else {
                    proptest::prop_assert_eq!(now, None);
                    proptest::prop_assert_eq!(map[old as usize], u32::MAX);
                }
            }
            proptest::prop_assert_eq!(i.refs.len(), kept);
            // Rebuilding from the kept strings gives the same answers; a repeat is refused.
            let refs = i.refs.clone();
            let mut again = Interner::with_capacity(0);
            proptest::prop_assert!(again.insert_existing_all(&a, &refs));
            for w in oracle.keys() {
                proptest::prop_assert_eq!(again.get(&a, w), i.get(&a, w));
            }
            if let Some(&r) = refs.first() {
                let mut twice = refs.clone();
                twice.push(r);
                proptest::prop_assert!(!Interner::with_capacity(0).insert_existing_all(&a, &twice));
            }
        }
    }
}
