//! The compiled-graph cache: a frozen [`DependencyGraph`] in a versioned binary form.
//!
//! Parsing a 600 MB JSON file dominates a cold run; reading the graph back from its compiled
//! form skips parsing, interning and the adjacency build. A cache file is only ever used
//! when everything checks out, otherwise it is ignored (and rebuilt by the caller):
//!
//! * the magic bytes and the format version;
//! * the build ([`crate::BUILD`]: the tool version and a hash of the sources it was built
//!   from, so neither a new `blast` nor one rebuilt from changed sources reads an old cache);
//! * the key: a hash of the inputs' contents and options, computed by the caller;
//! * the payload length (a truncated file fails) and an xxh3 checksum of the payload and the
//!   key (a file edited by hand fails, and so does another input's cache with this key
//!   written into its header). It guards against accidents, not against a forger, who
//!   can recompute it; the cache folder is the user's own;
//! * then every index and range in the payload is bounds-checked while decoding, so even a
//!   payload that passed the checksum by accident cannot make the decoder panic.
//!
//! The edge records are checked like the rest but decoded only when something first reads
//! the graph's edges (walks use the adjacency arrays): the graph keeps the bytes it was read
//! from ([`LazyEdges`]). The strings, the node records, the owner and path lists, the
//! adjacency arrays and the id order are checked and then used in place, straight from
//! those bytes ([`Slab`]), when the machine is little-endian and the bytes aligned (a mapped
//! file always is): no copy, and no fresh memory for the largest part of the file.
//!
//! # Format
//!
//! Little-endian. Header: `b"BLASTGC\0"`, format version (u32), build (u64 length +
//! UTF-8), key (16 bytes), payload length (u64), checksum (u64: xxh3-64 of the payload's
//! 16 MiB chunks' xxh3-64s and the key), zero bytes up to a
//! multiple of 8. Payload: the string
//! arena; nodes (40 bytes each: id, kind, tier, customer_facing, part_of, owners, paths and
//! origins ranges); edges (16 bytes each: from, to, kind, optional, implicit, origin); the
//! owner, path and origin lists; the origins (source, file, line, evidence, attributes); both
//! adjacency arrays; the sorted id order; the provenance (aliases, removed edges, network
//! policies). The node records, the owner and path lists, and the `u32` arrays of the
//! adjacency and of the id order start at a multiple of 4 in the payload (zero bytes after
//! their length).

use std::io::{self, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::OnceLock;

use super::csr::Csr;
use super::provenance::{AttrValue, NetworkPolicy, Provenance, RemovedEdge};
use super::slab::{Plain, Shared, Slab, all_ok, all_records_ok, le32};
use super::store::{Edge, LazyEdges};
use super::strings::{Arena, Interner, Range32, StrRef};
use super::{DependencyGraph, Direction, EdgeImpl, EdgeKind, Inner, NodeImpl, NodeIx, Origin};

const MAGIC: &[u8; 8] = b"BLASTGC\0";
const FORMAT: u32 = 6;

/// The payload checksum is xxh3 over the xxh3 of each chunk of this size, so it can be
/// verified in parallel.
const CHECK_CHUNK: usize = 16 << 20;

/// The checksum of a payload for a key (see [`CHECK_CHUNK`] and [`seal`]).
fn checksum(payload: &[u8], key: &CacheKey) -> u64 {
    use rayon::prelude::*;
    let sums: Vec<u64> = payload
        .par_chunks(CHECK_CHUNK)
        .map(xxhash_rust::xxh3::xxh3_64)
        .collect();
    seal(&sums, key)
}

/// The checksum from the chunks' sums and the key: the key is covered too, so another
/// input's cache with this key written into its header does not pass.
fn seal(sums: &[u64], key: &CacheKey) -> u64 {
    let mut bytes: Vec<u8> = sums.iter().flat_map(|s| s.to_le_bytes()).collect();
    bytes.extend_from_slice(&key.0);
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

/// Why a cache file was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheMiss {
    /// Not a cache file of this format.
    Format,
    /// Written by another version of the tool.
    Version,
    /// Built from other inputs.
    Key,
    /// Truncated, or its checksum does not match: corrupt or edited.
    Corrupt,
}

/// A 128-bit hash of the inputs a graph was built from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey(pub [u8; 16]);

impl CacheKey {
    /// The key as hex, for file names.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The key back from [`hex`](Self::hex) (`None` unless exactly 32 hex digits).
    pub fn from_hex(s: &str) -> Option<CacheKey> {
        let b = s.as_bytes();
        if b.len() != 32 {
            return None;
        }
        let mut k = [0u8; 16];
        for (i, pair) in b.chunks(2).enumerate() {
            k[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        Some(CacheKey(k))
    }
}

/// Streams the payload: buffers, hashes (per [`CHECK_CHUNK`]) and counts what it writes.
struct Out<'w, W: Write> {
    w: &'w mut W,
    buf: Vec<u8>,
    chunk: xxhash_rust::xxh3::Xxh3,
    chunk_fill: usize,
    sums: Vec<u64>,
    len: u64,
}

impl<W: Write> Out<'_, W> {
    fn spill(&mut self) -> io::Result<()> {
        let mut rest: &[u8] = &self.buf;
        while !rest.is_empty() {
            let take = rest.len().min(CHECK_CHUNK - self.chunk_fill);
            self.chunk.update(&rest[..take]);
            self.chunk_fill += take;
            rest = &rest[take..];
            if self.chunk_fill == CHECK_CHUNK {
                self.sums.push(self.chunk.digest());
                self.chunk.reset();
                self.chunk_fill = 0;
            }
        }
        self.len += self.buf.len() as u64;
        self.w.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// The payload checksum for `key`, once everything is spilled.
    fn checksum(&mut self, key: &CacheKey) -> u64 {
        if self.chunk_fill > 0 {
            self.sums.push(self.chunk.digest());
        }
        seal(&self.sums, key)
    }
    fn raw(&mut self, b: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= 1 << 20 {
            self.spill()?;
        }
        Ok(())
    }
    fn u8(&mut self, v: u8) -> io::Result<()> {
        self.raw(&[v])
    }
    fn u32(&mut self, v: u32) -> io::Result<()> {
        self.raw(&v.to_le_bytes())
    }
    fn u64(&mut self, v: u64) -> io::Result<()> {
        self.raw(&v.to_le_bytes())
    }
    fn bytes(&mut self, b: &[u8]) -> io::Result<()> {
        self.u64(b.len() as u64)?;
        for chunk in b.chunks(1 << 20) {
            self.raw(chunk)?;
        }
        Ok(())
    }
    fn u32s(&mut self, v: &[u32]) -> io::Result<()> {
        self.u64(v.len() as u64)?;
        self.elements(v)
    }
    /// Like [`u32s`](Self::u32s) for any [`Plain`] elements, with zero bytes before them so
    /// that they start at a multiple of 4 in the payload (which starts at a multiple of 8
    /// in the file): the reader uses them in place ([`In::aligned`]).
    fn aligned<T: Plain>(&mut self, v: &[T]) -> io::Result<()> {
        self.u64(v.len() as u64)?;
        let pad = (4 - (self.len + self.buf.len() as u64) % 4) % 4;
        self.raw(&[0u8; 3][..pad as usize])?;
        self.elements(v)
    }
    /// The elements of `v`, without their count.
    fn elements<T: Plain>(&mut self, v: &[T]) -> io::Result<()> {
        let mut tmp = Vec::with_capacity(size_of::<T>() << 16);
        for chunk in v.chunks(1 << 16) {
            tmp.clear();
            for x in chunk {
                x.to_le(&mut tmp);
            }
            self.raw(&tmp)?;
        }
        Ok(())
    }
    fn str(&mut self, s: &str) -> io::Result<()> {
        self.bytes(s.as_bytes())
    }
    fn strs(&mut self, v: &[String]) -> io::Result<()> {
        self.u64(v.len() as u64)?;
        v.iter().try_for_each(|s| self.str(s))
    }
    fn origin(&mut self, o: &Origin) -> io::Result<()> {
        self.str(&o.source)?;
        self.bytes(&path_bytes(&o.file))?;
        self.u32(o.line.unwrap_or(0))?;
        match &o.evidence {
            Some(e) => {
                self.u8(1)?;
                self.str(e)?;
            }
            None => self.u8(0)?,
        }
        self.u64(o.attributes.len() as u64)?;
        for (k, v) in &o.attributes {
            self.str(k)?;
            match v {
                AttrValue::Text(t) => {
                    self.u8(0)?;
                    self.str(t)?;
                }
                AttrValue::Count(n) => {
                    self.u8(1)?;
                    self.u64(*n)?;
                }
            }
        }
        Ok(())
    }
    fn provenance(&mut self, p: &Provenance) -> io::Result<()> {
        self.u64(p.aliases.len() as u64)?;
        for (id, aliases) in &p.aliases {
            self.str(id)?;
            self.strs(aliases)?;
        }
        self.u64(p.removed.len() as u64)?;
        for r in &p.removed {
            self.str(&r.from)?;
            self.str(&r.to)?;
            self.u8(EdgeKind::ALL
                .iter()
                .position(|&k| k == r.kind)
                .expect("kind is in ALL") as u8)?;
            self.origin(&r.origin)?;
            self.origin(&r.removed_by)?;
        }
        self.u64(p.policies.len() as u64)?;
        for n in &p.policies {
            self.str(&n.name)?;
            self.origin(&n.origin)?;
            self.strs(&n.selects)?;
            match &n.allows_from {
                Some(v) => {
                    self.u8(1)?;
                    self.strs(v)?;
                }
                None => self.u8(0)?,
            }
        }
        Ok(())
    }
}

struct In<'a> {
    b: &'a [u8],
    pos: usize,
}

type R<T> = Result<T, CacheMiss>;

impl<'a> In<'a> {
    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(CacheMiss::Corrupt)?;
        let s = self.b.get(self.pos..end).ok_or(CacheMiss::Corrupt)?;
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> R<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> R<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> R<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn len(&mut self) -> R<usize> {
        usize::try_from(self.u64()?).map_err(|_| CacheMiss::Corrupt)
    }
    fn bytes(&mut self) -> R<&'a [u8]> {
        let n = self.len()?;
        self.take(n)
    }
    fn string(&mut self) -> R<String> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| CacheMiss::Corrupt)
    }
    fn u32s(&mut self) -> R<Vec<u32>> {
        let n = self.len()?;
        let raw = self.take(n.checked_mul(4).ok_or(CacheMiss::Corrupt)?)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect())
    }
    /// Skips the zero bytes that pad to the next multiple of `k` (any other byte is
    /// corruption).
    fn zeros_to(&mut self, k: usize) -> R<()> {
        let pad = self.take(self.pos.next_multiple_of(k) - self.pos)?;
        pad.iter()
            .all(|&b| b == 0)
            .then_some(())
            .ok_or(CacheMiss::Corrupt)
    }
    /// An array written by [`Out::aligned`], read in place from `shared`
    /// (where this reader's bytes start at `at`) when it can be ([`Slab`]).
    fn aligned<T: Plain>(&mut self, shared: &Shared, at: usize) -> R<Slab<T>> {
        let n = self.len()?;
        self.zeros_to(4)?;
        let start = self.pos;
        self.take(n.checked_mul(size_of::<T>()).ok_or(CacheMiss::Corrupt)?)?;
        Ok(Slab::from_bytes(shared, at + start, n))
    }
    /// Bytes written by `bytes`, read in place from `shared` like
    /// [`aligned`](Self::aligned).
    fn slab_bytes(&mut self, shared: &Shared, at: usize) -> R<Slab<u8>> {
        let n = self.len()?;
        let start = self.pos;
        self.take(n)?;
        Ok(Slab::from_bytes(shared, at + start, n))
    }
    fn strs(&mut self) -> R<Vec<String>> {
        let n = self.len()?;
        let mut v = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            v.push(self.string()?);
        }
        Ok(v)
    }
    fn origin(&mut self) -> R<Origin> {
        let source = self.string()?;
        let file = path_from(self.bytes()?);
        let line = Some(self.u32()?).filter(|&l| l > 0);
        let evidence = match self.u8()? {
            0 => None,
            _ => Some(self.string()?),
        };
        let n = self.len()?;
        let mut attributes = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            let key = self.string()?;
            let value = match self.u8()? {
                0 => AttrValue::Text(self.string()?),
                1 => AttrValue::Count(self.u64()?),
                _ => return Err(CacheMiss::Corrupt),
            };
            attributes.push((key, value));
        }
        Ok(Origin {
            source,
            file,
            line,
            evidence,
            attributes,
        })
    }
    fn provenance(&mut self) -> R<Provenance> {
        let mut p = Provenance::default();
        for _ in 0..self.len()? {
            let id = self.string()?;
            let aliases = self.strs()?;
            p.aliases.insert(id, aliases);
        }
        for _ in 0..self.len()? {
            let from = self.string()?;
            let to = self.string()?;
            let kind = *EdgeKind::ALL
                .get(self.u8()? as usize)
                .ok_or(CacheMiss::Corrupt)?;
            let origin = self.origin()?;
            let removed_by = self.origin()?;
            p.removed.push(RemovedEdge {
                from,
                to,
                kind,
                origin,
                removed_by,
            });
        }
        for _ in 0..self.len()? {
            let name = self.string()?;
            let origin = self.origin()?;
            let selects = self.strs()?;
            let allows_from = match self.u8()? {
                0 => None,
                _ => Some(self.strs()?),
            };
            p.policies.push(NetworkPolicy {
                name,
                origin,
                selects,
                allows_from,
            });
        }
        Ok(p)
    }
}

fn path_bytes(p: &std::path::Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        p.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        p.to_string_lossy().into_owned().into_bytes()
    }
}

fn path_from(b: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(b))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(b).into_owned())
    }
}

impl DependencyGraph {
    /// Writes the graph in its compiled form, streaming (the payload is never held in
    /// memory twice). Both adjacency arrays are built first if needed (every walk uses
    /// them); the id order is stored when already built.
    ///
    /// # Errors
    /// Writing failed.
    pub fn write_cache<W: Write + Seek>(&self, w: &mut W, key: &CacheKey) -> io::Result<()> {
        let _t = crate::timing::Phase::start("write cache");
        let mut h = Vec::with_capacity(64);
        h.extend_from_slice(MAGIC);
        h.extend_from_slice(&FORMAT.to_le_bytes());
        h.extend_from_slice(&(crate::BUILD.len() as u64).to_le_bytes());
        h.extend_from_slice(crate::BUILD.as_bytes());
        h.extend_from_slice(&key.0);
        let sizes_at = h.len() as u64;
        h.extend_from_slice(&[0u8; 16]);
        // The payload starts at a multiple of 8, so its aligned arrays are aligned in a
        // mapped file.
        h.resize(h.len().next_multiple_of(8), 0);
        let start = w.stream_position()?;
        w.write_all(&h)?;
        let mut p = Out {
            w,
            buf: Vec::with_capacity(1 << 21),
            chunk: xxhash_rust::xxh3::Xxh3::new(),
            chunk_fill: 0,
            sums: Vec::new(),
            len: 0,
        };
        p.bytes(self.strings.as_str().as_bytes())?;
        // Each record is the node's own bytes (`NodeImpl` is laid out as the record).
        p.aligned(self.inner.node_weights().as_slice())?;
        p.u64(self.inner.edge_count() as u64)?;
        for e in self.inner.raw_edges() {
            p.u32(e.source().index() as u32)?;
            p.u32(e.target().index() as u32)?;
            let w = &e.weight;
            p.u8(EdgeKind::ALL
                .iter()
                .position(|&k| k == w.kind)
                .expect("known") as u8)?;
            p.u8(w.optional as u8)?;
            p.u8(w.implicit as u8)?;
            p.u8(0)?;
            p.u32(w.origin)?;
        }
        p.aligned(&self.owner_list)?;
        p.aligned(&self.path_list)?;
        p.u32s(&self.origin_list)?;
        p.u64(self.origins.len() as u64)?;
        for o in &self.origins {
            p.origin(o)?;
        }
        // Both adjacency arrays: walks on large graphs use both.
        let (reverse, forward) = rayon::join(
            || self.csr(Direction::Reverse),
            || self.csr(Direction::Forward),
        );
        for csr in [Some(reverse), Some(forward)] {
            match csr {
                Some(csr) => {
                    let (offsets, targets, classes) = csr.parts();
                    p.u8(1)?;
                    p.aligned(offsets)?;
                    p.aligned(targets)?;
                    p.bytes(classes)?;
                }
                None => p.u8(0)?,
            }
        }
        match self.id_order.get() {
            Some(order) => {
                p.u8(1)?;
                p.aligned(order)?;
            }
            None => p.u8(0)?,
        }
        p.provenance(&self.provenance)?;
        p.spill()?;
        let (len, sum) = (p.len, p.checksum(key));
        let end = w.stream_position()?;
        w.seek(SeekFrom::Start(start + sizes_at))?;
        w.write_all(&len.to_le_bytes())?;
        w.write_all(&sum.to_le_bytes())?;
        w.seek(SeekFrom::Start(end))?;
        w.flush()
    }

    /// Where the edge records of a graph read by [`read_cache`](Self::read_cache) lie in
    /// the bytes it was read from, while they are not decoded: nothing reads those bytes
    /// until something first reads the graph's edges (walks use the adjacency arrays), so
    /// a caller may let the system drop them from memory meanwhile. `None` once decoded,
    /// and for a graph that was built.
    pub fn undecoded_edge_bytes(&self) -> Option<std::ops::Range<usize>> {
        self.inner.undecoded_edge_bytes()
    }

    /// Reads a graph written by [`write_cache`](Self::write_cache) for `key`.
    ///
    /// The graph keeps `bytes` (a mapped file, or bytes in memory) for as long as it lives,
    /// and decodes its edges from them the first time they are read: a mapped file must not
    /// be rewritten or truncated meanwhile.
    ///
    /// # Errors
    /// Why the bytes cannot be used ([`CacheMiss`]); never panics on bad bytes.
    pub fn read_cache<B>(bytes: B, key: &CacheKey) -> Result<DependencyGraph, CacheMiss>
    where
        B: AsRef<[u8]> + Send + Sync + 'static,
    {
        let _t = crate::timing::Phase::start("read cache");
        // Shared with the graph, which decodes its edges from it the first time they are
        // read.
        let shared: Shared = std::sync::Arc::new(bytes);
        let bytes = (*shared).as_ref();
        let mut h = In { b: bytes, pos: 0 };
        if h.take(8).map_err(|_| CacheMiss::Format)? != MAGIC {
            return Err(CacheMiss::Format);
        }
        if h.u32().map_err(|_| CacheMiss::Format)? != FORMAT {
            return Err(CacheMiss::Format);
        }
        if h.bytes()? != crate::BUILD.as_bytes() {
            return Err(CacheMiss::Version);
        }
        if h.take(16)? != key.0 {
            return Err(CacheMiss::Key);
        }
        let len = h.len()?;
        let sum = h.u64()?;
        h.zeros_to(8)?;
        let at = h.pos;
        let payload = h.take(len)?;
        {
            let _t = crate::timing::Phase::start("cache checksum");
            if h.pos != bytes.len() || checksum(payload, key) != sum {
                return Err(CacheMiss::Corrupt);
            }
        }
        decode(&shared, at, payload)
    }
}

/// Bytes of one node record and of one edge record in the payload.
const NODE_BYTES: usize = 40;
const _: () = assert!(size_of::<NodeImpl>() == NODE_BYTES);
const EDGE_BYTES: usize = 16;
const _: () = assert!(EdgeKind::ALL.len() <= u8::MAX as usize);

/// What stands in for an edge record that no longer reads (see [`decode`]).
const EDGE_FALLBACK: EdgeImpl = EdgeImpl {
    kind: EdgeKind::Sync,
    optional: false,
    implicit: false,
    origin: 0,
};

/// The edge in an edge record, if its ends are among `n` nodes and its kind is known.
fn edge_record(c: &[u8], n: usize) -> Option<Edge> {
    let (a, b) = (le32(c, 0), le32(c, 4));
    let kind = *EdgeKind::ALL.get(c[8] as usize)?;
    ((a as usize) < n && (b as usize) < n).then(|| {
        let w = EdgeImpl {
            kind,
            optional: c[9] != 0,
            implicit: c[10] != 0,
            origin: le32(c, 12),
        };
        Edge::new(NodeIx(a), NodeIx(b), w)
    })
}

/// Whether an edge record reads ([`edge_record`] gives an edge) and its origin is one of
/// `origins`: the same conditions, without branches, for checking millions of records.
/// `n` is at most `u32::MAX / 2` (the decoder checks it first); a kind is one byte.
#[inline]
fn edge_ok(c: &[u8; EDGE_BYTES], n: u32, origins: u64) -> bool {
    (le32(c, 0) < n)
        & (le32(c, 4) < n)
        & (c[8] < EdgeKind::ALL.len() as u8)
        & ((le32(c, 12) as u64) < origins)
}

/// What the payload holds after the nodes.
struct Rest {
    /// Where the edge records are in the payload (checked, decoded when first read).
    edges: std::ops::Range<usize>,
    owner_list: Slab<StrRef>,
    path_list: Slab<StrRef>,
    origin_list: Vec<u32>,
    origins: Vec<Origin>,
    reverse: Option<Csr>,
    forward: Option<Csr>,
    id_order: Option<Slab<u32>>,
    provenance: Provenance,
}

/// Decodes the payload, which starts at byte `at` of `shared`.
fn decode(shared: &Shared, at: usize, payload: &[u8]) -> Result<DependencyGraph, CacheMiss> {
    let t = crate::timing::Phase::start("cache decode");
    let mut p = In { b: payload, pos: 0 };
    let strings = Arena::from_bytes(p.slab_bytes(shared, at)?).ok_or(CacheMiss::Corrupt)?;
    // Nodes: read in place, then checked; their list ranges are checked once the lists
    // are known.
    let nodes: Slab<NodeImpl> = p.aligned(shared, at)?;
    let n = nodes.len();
    if n > u32::MAX as usize / 2 || !all_ok(&nodes, |x| x.reads(n) && strings.contains(x.id)) {
        return Err(CacheMiss::Corrupt);
    }
    let rest = decode_rest(&mut p, shared, at, &strings, &nodes)?;
    // A graph stored with its id order (every large one) looks ids up in that order;
    // the others rebuild their interner (ids must be distinct).
    let ids = match rest.id_order {
        Some(_) => None,
        None => {
            let mut ids = Interner::with_capacity(n);
            let refs: Vec<StrRef> = nodes.iter().map(|r| r.id).collect();
            Some(
                ids.insert_existing_all(&strings, &refs)
                    .then_some(ids)
                    .ok_or(CacheMiss::Corrupt)?,
            )
        }
    };
    drop(t);
    // The records were checked. The file is never rewritten in place (the tool writes a
    // new file and renames it over), so they read the same later; should something else
    // rewrite it during the run after all, a record that no longer reads is an edge from
    // the first node to itself, never a panic. Decoded on one thread: it runs inside the
    // store's one-time initialisation, which a parallel loop must not re-enter.
    let count = rest.edges.len() / EDGE_BYTES;
    let range = at + rest.edges.start..at + rest.edges.end;
    let (src, bytes) = (shared.clone(), range.clone());
    let decode = move || -> Vec<Edge> {
        let fallback = Edge::new(NodeIx(0), NodeIx(0), EDGE_FALLBACK);
        (*src).as_ref()[range.clone()]
            .chunks_exact(EDGE_BYTES)
            .map(|c| edge_record(c, n).unwrap_or(fallback))
            .collect()
    };
    let inner = Inner::from_lazy(
        nodes,
        LazyEdges {
            count,
            decode: std::sync::Arc::new(decode),
            bytes,
        },
    );
    fn lock<T>(x: Option<T>) -> OnceLock<T> {
        x.map_or_else(OnceLock::new, OnceLock::from)
    }
    Ok(DependencyGraph {
        inner,
        strings,
        ids,
        sorted: OnceLock::new(),
        owner_list: rest.owner_list,
        path_list: rest.path_list,
        origin_list: rest.origin_list,
        origins: rest.origins,
        reverse: lock(rest.reverse),
        forward: lock(rest.forward),
        id_order: lock(rest.id_order),
        ratings: OnceLock::new(),
        provenance: rest.provenance,
    })
}

/// Reads everything after the nodes and checks it against them. `p` reads the payload,
/// which starts at byte `at` of `shared`.
fn decode_rest(
    p: &mut In<'_>,
    shared: &Shared,
    at: usize,
    strings: &Arena,
    nodes: &[NodeImpl],
) -> R<Rest> {
    let n = nodes.len();
    let m = p.len()?;
    let start = p.pos;
    let raw_edges = p.take(m.checked_mul(EDGE_BYTES).ok_or(CacheMiss::Corrupt)?)?;
    let edges = start..p.pos;
    let mut lists = Vec::new();
    for _ in 0..2 {
        let list: Slab<StrRef> = p.aligned(shared, at)?;
        if !all_ok(&list, |&r| strings.contains(r)) {
            return Err(CacheMiss::Corrupt);
        }
        lists.push(list);
    }
    let path_list = lists.pop().expect("two lists");
    let owner_list = lists.pop().expect("two lists");
    let origin_list = p.u32s()?;
    let no = p.len()?;
    let mut origins = Vec::with_capacity(no.min(p.b.len()));
    for _ in 0..no {
        origins.push(p.origin()?);
    }
    let fits = |r: Range32, len: usize| {
        let (a, k) = r.parts();
        a as u64 + k as u64 <= len as u64
    };
    let lens = [owner_list.len(), path_list.len(), origin_list.len()];
    if origin_list.iter().any(|&o| o as usize >= origins.len())
        || !all_records_ok(raw_edges, |c| edge_ok(c, n as u32, origins.len() as u64))
        || !all_ok(nodes, |x| {
            fits(x.owners, lens[0]) & fits(x.paths, lens[1]) & fits(x.origins, lens[2])
        })
    {
        return Err(CacheMiss::Corrupt);
    }
    let mut csrs = Vec::new();
    for _ in 0..2 {
        csrs.push(match p.u8()? {
            0 => None,
            _ => {
                let offsets = p.aligned(shared, at)?;
                let targets = p.aligned(shared, at)?;
                let classes = p.slab_bytes(shared, at)?;
                Some(Csr::from_parts(offsets, targets, classes, n).ok_or(CacheMiss::Corrupt)?)
            }
        });
    }
    let forward = csrs.pop().expect("two");
    let reverse = csrs.pop().expect("two");
    let id_order = match p.u8()? {
        0 => None,
        _ => {
            let order = p.aligned(shared, at)?;
            if order.len() != n || !all_ok(&order, |&r| (r as usize) < n) {
                return Err(CacheMiss::Corrupt);
            }
            Some(order)
        }
    };
    let provenance = p.provenance()?;
    if p.pos != p.b.len() {
        return Err(CacheMiss::Corrupt);
    }
    Ok(Rest {
        edges,
        owner_list,
        path_list,
        origin_list,
        origins,
        reverse,
        forward,
        id_order,
        provenance,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::graph::GraphBuilder;
    use crate::graph::slab::Placed;

    /// The cache file of `g` for `key`, as bytes.
    pub(crate) fn cache_bytes(g: &DependencyGraph, key: &CacheKey) -> Vec<u8> {
        let mut cur = io::Cursor::new(Vec::new());
        g.write_cache(&mut cur, key).unwrap();
        cur.into_inner()
    }

    /// Where the payload of the cache file `bytes` starts (the header ends with the
    /// payload's length and checksum).
    fn payload_at(bytes: &[u8]) -> usize {
        let mut p = In {
            b: bytes,
            pos: 8 + 4,
        };
        p.bytes().unwrap();
        p.take(16).unwrap();
        p.len().unwrap();
        p.u64().unwrap();
        p.pos.next_multiple_of(8)
    }

    /// Where the cache file `bytes` of `g` has its payload, and in it the string arena's
    /// length, the first node record and the first edge record (the payload's first parts).
    struct Layout {
        payload: usize,
        arena: usize,
        nodes: usize,
        edges: usize,
    }

    fn layout(bytes: &[u8], g: &DependencyGraph) -> Layout {
        let payload = payload_at(bytes);
        let mut p = In {
            b: bytes,
            pos: payload,
        };
        let arena = p.bytes().unwrap().len();
        assert_eq!(p.len().unwrap(), g.node_count());
        p.zeros_to(4).unwrap();
        let nodes = p.pos;
        p.take(g.node_count() * NODE_BYTES).unwrap();
        assert_eq!(p.len().unwrap(), g.edge_count());
        Layout {
            payload,
            arena,
            nodes,
            edges: p.pos,
        }
    }

    /// Recomputes the checksum of a payload starting at `at` after an edit, as a malicious
    /// writer could.
    fn reseal(bad: &mut [u8], at: usize, key: &CacheKey) {
        let sum = checksum(&bad[at..], key);
        bad[at - 8..at].copy_from_slice(&sum.to_le_bytes());
    }

    fn shop() -> DependencyGraph {
        let mut b = GraphBuilder::new();
        crate::sources::load_graph_file(&mut b, "graphs/shop.toml".as_ref()).unwrap();
        b.finish().unwrap().0
    }

    #[test]
    fn nodes_lists_adjacency_and_id_order_are_read_in_place_when_aligned() {
        let g = shop();
        let key = CacheKey([3; 16]);
        let _ = (g.csr(Direction::Forward), g.id_order());
        let bytes = cache_bytes(&g, &key);
        for shift in [0, 1, 2, 4] {
            let back = DependencyGraph::read_cache(Placed::new(&bytes, shift), &key).unwrap();
            // Aligned as a mapped file is (or at least for u32), the arrays point into the
            // bytes; else they are copied out, with the same values.
            let in_place = shift.is_multiple_of(4) && cfg!(target_endian = "little");
            for dir in [Direction::Reverse, Direction::Forward] {
                let csr = back.csr(dir);
                assert_eq!(csr.in_place(), in_place, "shift {shift}");
                assert_eq!(csr.parts(), g.csr(dir).parts());
            }
            assert_eq!(back.id_order.get().unwrap().in_place(), in_place);
            assert_eq!(back.inner.nodes_in_place(), in_place);
            assert_eq!(back.owner_list.in_place(), in_place);
            assert_eq!(back.path_list.in_place(), in_place);
            // Strings are bytes: in place at any alignment.
            assert_eq!(back.strings.in_place(), cfg!(target_endian = "little"));
            assert_eq!(back.id_order(), g.id_order());
            assert_eq!(back.dump(), g.dump());
        }
    }

    #[test]
    fn round_trips_everything() {
        let g = shop();
        let key = CacheKey([7; 16]);
        let _ = (g.csr(Direction::Forward), g.id_order());
        let bytes = cache_bytes(&g, &key);
        let back = DependencyGraph::read_cache(bytes.clone(), &key).unwrap();
        // The edges are counted, not decoded, until something reads them; until then the
        // graph says where their records are, which are the edges' bytes as written.
        assert_eq!(back.edge_count(), g.edge_count());
        assert!(!back.inner.edges_decoded());
        let records = back.undecoded_edge_bytes().unwrap();
        assert_eq!(records.len(), g.edge_count() * EDGE_BYTES);
        let first = &g.inner.raw_edges()[0];
        assert_eq!(
            le32(&bytes[records.clone()], 0) as usize,
            first.source().index()
        );
        assert_eq!(le32(&bytes[records], 4) as usize, first.target().index());
        assert_eq!(back.dump(), g.dump());
        assert!(back.inner.edges_decoded());
        assert_eq!(back.undecoded_edge_bytes(), None);
        assert_eq!(g.undecoded_edge_bytes(), None);
        back.verify().unwrap();
        assert_eq!(back.node("checkout").unwrap().id().as_str(), "checkout");
        assert_eq!(back.id_order(), g.id_order());
        assert!(back.forward.get().is_some() && back.reverse.get().is_some());
    }

    #[test]
    fn round_trips_provenance() {
        use crate::graph::build::{EdgeSpec, NetworkPolicySpec, NodeSpec};
        use crate::graph::provenance::{NATIVE_SOURCE, Removal};
        use crate::graph::{AttrValue, Evidence};
        let mut b = GraphBuilder::new();
        let k8s = b.begin_document("k8s", "k8s.yaml".as_ref());
        let overlay = b.begin_document(NATIVE_SOURCE, "overlay.toml".as_ref());
        for id in ["web", "api-svc", "db"] {
            b.add_node(
                k8s,
                NodeSpec {
                    id: id.into(),
                    ..NodeSpec::default()
                },
            );
        }
        let edge = |from: &'static str, to: &'static str| EdgeSpec {
            from: from.into(),
            to: to.into(),
            kind: Some(EdgeKind::Sync),
            optional: false,
        };
        b.add_derived_edge(
            k8s,
            edge("web", "api-svc"),
            Evidence::new("env API=api-svc:80")
                .at("k8s.yaml", Some(12))
                .with("calls", AttrValue::Count(7))
                .with("target", AttrValue::Text("cfg(unix)".into())),
        );
        b.add_derived_edge(k8s, edge("web", "db"), Evidence::new("env DB=db"));
        b.add_alias(overlay, "api", "api-svc");
        b.remove_edges(
            overlay,
            Removal {
                from: "web".into(),
                to: "db".into(),
                kind: None,
                source: None,
            },
        );
        b.add_network_policy(
            k8s,
            NetworkPolicySpec {
                name: "default/api".into(),
                line: Some(3),
                selects: vec!["api-svc".into()],
                allows_from: Some(vec!["web".into()]),
            },
        );
        let (g, _) = b.finish().unwrap();
        let key = CacheKey([5; 16]);
        let back = DependencyGraph::read_cache(cache_bytes(&g, &key), &key).unwrap();
        assert_eq!(back.dump(), g.dump());
        assert!(back.dump().contains("line: Some(12)"), "{}", back.dump());
        assert_eq!(back.aliases("api"), ["api-svc"]);
        assert_eq!(back.removed_edges(), g.removed_edges());
        assert_eq!(back.removed_edges().len(), 1);
        assert_eq!(back.network_policies(), g.network_policies());
        assert_eq!(back.network_policies()[0].selects, ["api"]);
    }

    #[test]
    fn the_id_order_is_rebuilt_when_absent() {
        let g = shop();
        let key = CacheKey([3; 16]);
        let back = DependencyGraph::read_cache(cache_bytes(&g, &key), &key).unwrap();
        assert!(back.forward.get().is_some() && back.id_order.get().is_none());
        back.verify().unwrap();
        assert_eq!(back.id_order(), g.id_order());
    }

    #[test]
    fn refuses_anything_not_exactly_right() {
        let g = shop();
        let key = CacheKey([7; 16]);
        let bytes = cache_bytes(&g, &key);
        assert_eq!(
            DependencyGraph::read_cache(bytes.clone(), &CacheKey([8; 16])).err(),
            Some(CacheMiss::Key)
        );
        assert_eq!(
            DependencyGraph::read_cache(b"not a cache", &key).err(),
            Some(CacheMiss::Format)
        );
        // Another input's cache with this key written into its header: the checksum
        // covers the key.
        let other = CacheKey([8; 16]);
        let mut patched = bytes.clone();
        let key_at = 8 + 4 + 8 + crate::BUILD.len();
        assert_eq!(&patched[key_at..key_at + 16], &key.0);
        patched[key_at..key_at + 16].copy_from_slice(&other.0);
        assert_eq!(
            DependencyGraph::read_cache(patched, &other).err(),
            Some(CacheMiss::Corrupt)
        );
        // Every truncation, and a flipped bit anywhere in the payload, is refused without
        // a panic.
        for cut in (0..bytes.len()).step_by(97) {
            assert!(DependencyGraph::read_cache(bytes[..cut].to_vec(), &key).is_err());
        }
        for i in (40..bytes.len()).step_by(101) {
            let mut bad = bytes.clone();
            bad[i] ^= 0x20;
            assert!(
                DependencyGraph::read_cache(bad, &key).is_err(),
                "flipped byte {i}"
            );
        }
    }

    #[test]
    fn decoding_never_panics_even_with_a_valid_checksum() {
        // Corrupt the payload and recompute the checksum, as a malicious writer could.
        let g = shop();
        let key = CacheKey([1; 16]);
        let bytes = cache_bytes(&g, &key);
        let header = payload_at(&bytes);
        for i in (header..bytes.len()).step_by(13) {
            let mut bad = bytes.clone();
            bad[i] = bad[i].wrapping_add(0x41);
            reseal(&mut bad, header, &key);
            // A graph that reads back decodes its edges without panicking too.
            if let Ok(g) = DependencyGraph::read_cache(bad, &key) {
                let _ = g.dump();
            }
        }
    }

    #[test]
    fn a_bad_edge_record_is_refused_even_with_a_valid_checksum() {
        let g = shop();
        let (n, m) = (g.node_count(), g.edge_count());
        let key = CacheKey([2; 16]);
        let bytes = cache_bytes(&g, &key);
        let Layout {
            payload: header,
            edges,
            ..
        } = layout(&bytes, &g);
        let last = edges + (m - 1) * EDGE_BYTES;
        let origins = g.origins.len() as u32;
        // The last edge's ends out of range, its kind unknown, its origin out of range.
        let edits: [(usize, Vec<u8>); 5] = [
            (0, (n as u32).to_le_bytes().to_vec()),
            (4, (n as u32).to_le_bytes().to_vec()),
            (8, vec![EdgeKind::ALL.len() as u8]),
            (8, vec![u8::MAX]),
            (12, origins.to_le_bytes().to_vec()),
        ];
        assert!(DependencyGraph::read_cache(bytes.clone(), &key).is_ok());
        for (at, value) in edits {
            let mut bad = bytes.clone();
            bad[last + at..last + at + value.len()].copy_from_slice(&value);
            reseal(&mut bad, header, &key);
            assert_eq!(
                DependencyGraph::read_cache(bad, &key).err(),
                Some(CacheMiss::Corrupt),
                "edge field at byte {at}"
            );
        }
    }

    #[test]
    fn a_bad_node_record_or_list_entry_is_refused_even_with_a_valid_checksum() {
        let g = shop();
        let n = g.node_count();
        let key = CacheKey([4; 16]);
        let bytes = cache_bytes(&g, &key);
        let at = layout(&bytes, &g);
        let (header, arena) = (at.payload, at.arena as u32);
        let last = at.nodes + (n - 1) * NODE_BYTES;
        // The first owner list entry: past the edges and the list's count.
        let mut p = In {
            b: &bytes,
            pos: at.edges + g.edge_count() * EDGE_BYTES,
        };
        assert!(p.len().unwrap() > 0, "the shop has owners");
        p.zeros_to(4).unwrap();
        let owner = p.pos;
        // The last node's id past the arena, its kind unknown, its tier 4, its reserved
        // byte set, its service out of range; an owner past the arena.
        let edits: [(usize, Vec<u8>); 6] = [
            (last, arena.to_le_bytes().to_vec()),
            (last + 8, vec![u8::MAX]),
            (last + 9, vec![4]),
            (last + 11, vec![1]),
            (last + 12, (n as u32).to_le_bytes().to_vec()),
            (owner, arena.to_le_bytes().to_vec()),
        ];
        assert!(DependencyGraph::read_cache(bytes.clone(), &key).is_ok());
        for (at, value) in edits {
            let mut bad = bytes.clone();
            bad[at..at + value.len()].copy_from_slice(&value);
            reseal(&mut bad, header, &key);
            assert_eq!(
                DependencyGraph::read_cache(bad, &key).err(),
                Some(CacheMiss::Corrupt),
                "byte {at}"
            );
        }
    }
}
