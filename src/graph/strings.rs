//! Compact string storage: one arena for every id, owner and glob of a graph, `u32` ranges
//! into it, and an interner that maps a string to a dense index without storing it twice.
//!
//! A million-node graph holds a few million short strings; one allocation each would cost
//! more memory than the strings themselves.

use std::hash::BuildHasher;
use std::ops::Range;

use hashbrown::HashTable;

/// A string stored in an [`Arena`].
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

/// A range of positions in one of the graph's flat lists.
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
#[derive(Default, Debug)]
pub(crate) struct Arena {
    buf: String,
}

impl Arena {
    pub(crate) fn push(&mut self, s: &str) -> Result<StrRef, ArenaFull> {
        let start = u32::try_from(self.buf.len()).map_err(|_| ArenaFull)?;
        let len = u32::try_from(s.len()).map_err(|_| ArenaFull)?;
        if start.checked_add(len).is_none() {
            return Err(ArenaFull);
        }
        self.buf.push_str(s);
        Ok(StrRef { start, len })
    }

    /// The whole arena.
    pub(crate) fn as_str(&self) -> &str {
        &self.buf
    }

    /// An arena holding `buf`.
    pub(crate) fn from_string(buf: String) -> Arena {
        Arena { buf }
    }

    /// Whether `r` lies inside the arena on character boundaries.
    pub(crate) fn contains(&self, r: StrRef) -> bool {
        let (a, b) = (r.start as usize, r.start as usize + r.len as usize);
        b <= self.buf.len() && self.buf.is_char_boundary(a) && self.buf.is_char_boundary(b)
    }

    #[inline]
    pub(crate) fn get(&self, r: StrRef) -> &str {
        &self.buf[r.start as usize..(r.start + r.len) as usize]
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }
}

/// A hash-table slot: the index and (to spare a memory access on lookup) the string's place.
#[derive(Copy, Clone)]
struct Slot {
    ix: u32,
    at: StrRef,
}

/// Maps strings to dense indices `0..len`, in order of first insertion.
#[derive(Default)]
pub(crate) struct Interner {
    table: HashTable<Slot>,
    refs: Vec<StrRef>,
    hasher: foldhash::fast::FixedState,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Interner({} strings)", self.refs.len())
    }
}

impl Interner {
    pub(crate) fn with_capacity(n: usize) -> Interner {
        Interner {
            table: HashTable::with_capacity(n),
            refs: Vec::with_capacity(n),
            hasher: foldhash::fast::FixedState::with_seed(0x5eed_b1a5_7000_0001),
        }
    }

    #[inline]
    fn hash(&self, s: &str) -> u64 {
        self.hasher.hash_one(s)
    }

    /// Makes room for `n` more strings.
    pub(crate) fn reserve(&mut self, arena: &Arena, n: usize) {
        let hasher = &self.hasher;
        self.table.reserve(n, |s| hasher.hash_one(arena.get(s.at)));
        self.refs.reserve(n);
    }

    /// The index of `s`, if it was interned.
    #[inline]
    pub(crate) fn get(&self, arena: &Arena, s: &str) -> Option<u32> {
        let h = self.hash(s);
        self.table
            .find(h, |slot| arena.get(slot.at) == s)
            .map(|slot| slot.ix)
    }

    /// The index of `s`, interning it (in `arena`) when it is new. Returns `(index, is_new)`.
    pub(crate) fn intern(&mut self, arena: &mut Arena, s: &str) -> Result<(u32, bool), ArenaFull> {
        let h = self.hash(s);
        if let Some(slot) = self.table.find(h, |slot| arena.get(slot.at) == s) {
            return Ok((slot.ix, false));
        }
        let i = u32::try_from(self.refs.len()).map_err(|_| ArenaFull)?;
        let r = arena.push(s)?;
        self.refs.push(r);
        let hasher = &self.hasher;
        self.table.insert_unique(h, Slot { ix: i, at: r }, |slot| {
            hasher.hash_one(arena.get(slot.at))
        });
        Ok((i, true))
    }

    /// Registers `r` (already in `arena`) as the next index; `false` if the string is
    /// already interned (the compiled-graph cache rebuilds an interner this way).
    pub(crate) fn insert_existing(&mut self, arena: &Arena, r: StrRef) -> bool {
        let s = arena.get(r);
        let h = self.hash(s);
        if self.table.find(h, |slot| arena.get(slot.at) == s).is_some() {
            return false;
        }
        let i = self.refs.len() as u32;
        self.refs.push(r);
        let hasher = &self.hasher;
        self.table.insert_unique(h, Slot { ix: i, at: r }, |slot| {
            hasher.hash_one(arena.get(slot.at))
        });
        true
    }

    pub(crate) fn str_ref(&self, i: u32) -> StrRef {
        self.refs[i as usize]
    }

    /// Keeps only the entries for which `keep` is true, renumbering them densely in order.
    /// Returns the old → new map (`u32::MAX` for dropped entries).
    pub(crate) fn retain(&mut self, arena: &Arena, keep: impl Fn(u32) -> bool) -> Vec<u32> {
        let mut map = vec![u32::MAX; self.refs.len()];
        let mut refs = Vec::with_capacity(self.refs.len());
        for (old, r) in self.refs.iter().enumerate() {
            if keep(old as u32) {
                map[old] = refs.len() as u32;
                refs.push(*r);
            }
        }
        let mut table = HashTable::with_capacity(refs.len());
        for (i, r) in refs.iter().enumerate() {
            let h = self.hasher.hash_one(arena.get(*r));
            table.insert_unique(
                h,
                Slot {
                    ix: i as u32,
                    at: *r,
                },
                |slot| self.hasher.hash_one(arena.get(slot.at)),
            );
        }
        self.refs = refs;
        self.table = table;
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
