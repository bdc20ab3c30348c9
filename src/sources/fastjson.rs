//! A fast, parallel reader for large JSON graph files.
//!
//! The serde path in [`manifest`](super::manifest) is the reference: it accepts exactly the
//! interchange schema and words every error. This reader accepts a subset of the same
//! language — well-formed JSON in the interchange schema — and produces exactly the same
//! builder calls in exactly the same order, but several times faster: a hand-written
//! scanner with no allocation for plain strings, run in parallel over chunks of the file.
//! Anything it is not sure about (a syntax error, an unknown key, an odd number, a duplicate
//! key) makes it give up ([`Bail`]); the caller then throws its work away and runs the serde
//! path, which reports the problem properly. Correctness never depends on this module: only
//! speed does.
//!
//! # Parallelism
//!
//! The file is read in *waves* of a few megabytes per thread. Each wave is split at
//! newlines followed by `{` (a newline is never inside a JSON string, so such a point is
//! outside any string, and in generated or pretty-printed files it starts an element of the
//! `nodes` or `edges` list). Every thread parses whole elements from its start point until
//! it passes the next thread's start point. The split is only a guess: it is accepted when
//! each thread ended exactly where the next one started, in the same list; otherwise the
//! wave is parsed again by one thread. Edge endpoints are then looked up in parallel, and
//! everything is committed to the [`GraphBuilder`] in file order, so the result is
//! byte-for-byte the same as a sequential read.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::graph::backing;
use crate::graph::build::{DocId, EdgeSpec, NodeRef};
use crate::graph::{EdgeKind, GraphBuilder, NodeKind, Tier};

/// The fast reader gave up; use the serde path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bail;

type R<T> = Result<T, Bail>;

/// Bytes of file per thread per wave.
pub(crate) const WAVE_BYTES: usize = 8 << 20;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Mode {
    Nodes,
    Edges,
}

struct DepRec<'a> {
    id: Cow<'a, str>,
    kind: Option<EdgeKind>,
    optional: bool,
}

struct NodeRec<'a> {
    id: Cow<'a, str>,
    kind: Option<NodeKind>,
    tier: Option<Tier>,
    customer_facing: Option<bool>,
    owners: Option<(u32, u32)>,
    paths: Option<(u32, u32)>,
    part_of: Option<Cow<'a, str>>,
    deps: (u32, u32),
}

struct EdgeRec<'a> {
    from: Cow<'a, str>,
    to: Cow<'a, str>,
    kind: Option<EdgeKind>,
    optional: bool,
}

enum Rec<'a> {
    Node(NodeRec<'a>),
    Edge(EdgeRec<'a>),
}

/// What one thread parsed.
struct Run<'a> {
    recs: Vec<Rec<'a>>,
    strs: Vec<Cow<'a, str>>,
    deps: Vec<DepRec<'a>>,
    /// Top-level keys opened inside this run, in order.
    keys: Vec<Mode>,
    first_mode: Option<Mode>,
    end_mode: Mode,
    /// Where the run started.
    start: usize,
    /// Where the next element starts (or the end of the document).
    end: usize,
    /// The document's closing `}` was read.
    finished: bool,
}

impl<'a> Run<'a> {
    /// An empty run with room for the elements of about `bytes` of file: sized for the
    /// shortest elements of generated files (an edge line takes about 80 bytes), so its
    /// lists rarely grow.
    fn for_bytes(bytes: usize) -> Run<'a> {
        Run {
            recs: Vec::with_capacity(bytes / 80),
            strs: Vec::new(),
            deps: Vec::new(),
            keys: Vec::new(),
            first_mode: None,
            end_mode: Mode::Nodes,
            start: 0,
            end: 0,
            finished: false,
        }
    }

    /// Empties the run (keeping its lists' room) to parse from `start` in `mode`.
    fn reset(&mut self, start: usize, mode: Option<Mode>) {
        self.recs.clear();
        self.strs.clear();
        self.deps.clear();
        self.keys.clear();
        self.first_mode = mode;
        self.end_mode = mode.unwrap_or(Mode::Nodes);
        self.start = start;
        self.end = start;
        self.finished = false;
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

#[inline(always)]
fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t')
}

impl<'a> Cursor<'a> {
    #[inline(always)]
    fn ws(&mut self) {
        // Most tokens are not preceded by whitespace: one comparison says so.
        while let Some(&c) = self.b.get(self.pos) {
            if c > b' ' || !is_ws(c) {
                break;
            }
            self.pos += 1;
        }
    }

    #[inline(always)]
    fn peek(&self) -> R<u8> {
        self.b.get(self.pos).copied().ok_or(Bail)
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> R<()> {
        if self.peek()? == c {
            self.pos += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// A string; the cursor is on its opening quote.
    #[inline]
    fn string(&mut self) -> R<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.pos;
        let rest = &self.b[start..];
        let (q, ascii) = scan_string(rest).ok_or(Bail)?;
        let raw = &rest[..q];
        if rest[q] == b'"' {
            self.pos = start + q + 1;
            if ascii {
                // SAFETY: every byte is below 0x80, so the slice is ASCII, hence UTF-8.
                return Ok(Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(raw) }));
            }
            return std::str::from_utf8(raw)
                .map(Cow::Borrowed)
                .map_err(|_| Bail);
        }
        if rest[q] < 0x20 {
            return Err(Bail);
        }
        // Escapes: decode.
        let mut out: Vec<u8> = raw.to_vec();
        self.pos = start + q;
        loop {
            let c = self.peek()?;
            self.pos += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek()?;
                    self.pos += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp) {
                                self.eat(b'\\')?;
                                self.eat(b'u')?;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(Bail);
                                }
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            } else if (0xDC00..0xE000).contains(&cp) {
                                return Err(Bail);
                            }
                            let ch = char::from_u32(cp).ok_or(Bail)?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(Bail),
                    }
                }
                c if c < 0x20 => return Err(Bail),
                c => out.push(c),
            }
        }
        String::from_utf8(out).map(Cow::Owned).map_err(|_| Bail)
    }

    fn hex4(&mut self) -> R<u32> {
        let s = self.b.get(self.pos..self.pos + 4).ok_or(Bail)?;
        let s = std::str::from_utf8(s).map_err(|_| Bail)?;
        let v = u32::from_str_radix(s, 16).map_err(|_| Bail)?;
        if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(Bail);
        }
        self.pos += 4;
        Ok(v)
    }

    /// A key of the schema (any other key is not for the fast path), then the `:`.
    #[inline]
    fn key(&mut self) -> R<Key> {
        self.eat(b'"')?;
        let rest = &self.b[self.pos..];
        let (key, len) = match_key(rest).ok_or(Bail)?;
        self.pos += len;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Ok(key)
    }

    #[inline]
    fn literal(&mut self, lit: &[u8]) -> bool {
        if self.b[self.pos..].starts_with(lit) {
            let after = self.b.get(self.pos + lit.len()).copied();
            if after.is_none_or(|c| !c.is_ascii_alphanumeric()) {
                self.pos += lit.len();
                return true;
            }
        }
        false
    }

    #[inline]
    fn null(&mut self) -> bool {
        self.peek() == Ok(b'n') && self.literal(b"null")
    }

    #[inline]
    fn opt_bool(&mut self) -> R<Option<bool>> {
        if self.literal(b"true") {
            Ok(Some(true))
        } else if self.literal(b"false") {
            Ok(Some(false))
        } else if self.null() {
            Ok(None)
        } else {
            Err(Bail)
        }
    }

    fn opt_string(&mut self) -> R<Option<Cow<'a, str>>> {
        if self.null() {
            Ok(None)
        } else {
            self.string().map(Some)
        }
    }

    /// A tier: a plain small integer (anything else goes to serde for its message).
    fn opt_tier(&mut self) -> R<Option<Tier>> {
        if self.null() {
            return Ok(None);
        }
        let c = self.peek()?;
        if !c.is_ascii_digit() {
            return Err(Bail);
        }
        self.pos += 1;
        if self
            .b
            .get(self.pos)
            .is_some_and(|&n| n.is_ascii_digit() || matches!(n, b'.' | b'e' | b'E'))
        {
            return Err(Bail);
        }
        Tier::new(c - b'0').map(Some).ok_or(Bail)
    }

    /// A list of strings or null; the strings go to `strs`.
    fn opt_strings(&mut self, strs: &mut Vec<Cow<'a, str>>) -> R<Option<(u32, u32)>> {
        if self.null() {
            return Ok(None);
        }
        self.eat(b'[')?;
        self.ws();
        let start = strs.len();
        if self.peek()? == b']' {
            self.pos += 1;
            return Ok(Some((start as u32, 0)));
        }
        loop {
            strs.push(self.string()?);
            if self.item_end(b']')? {
                self.pos += 1;
                break;
            }
        }
        Ok(Some((start as u32, (strs.len() - start) as u32)))
    }

    /// A keyword (a string without escapes) or null, as raw bytes.
    #[inline]
    fn opt_word(&mut self) -> R<Option<&'a [u8]>> {
        if self.null() {
            return Ok(None);
        }
        self.eat(b'"')?;
        let start = self.pos;
        let (q, _) = scan_string(&self.b[start..]).ok_or(Bail)?;
        if self.b[start + q] != b'"' {
            return Err(Bail);
        }
        self.pos = start + q + 1;
        Ok(Some(&self.b[start..start + q]))
    }

    /// An edge kind or null.
    #[inline]
    fn opt_edge_kind(&mut self) -> R<Option<EdgeKind>> {
        match self.opt_word()? {
            None => Ok(None),
            Some(w) => edge_kind(w).map(Some).ok_or(Bail),
        }
    }

    /// A `depends_on` list.
    fn deps(&mut self, deps: &mut Vec<DepRec<'a>>) -> R<(u32, u32)> {
        self.eat(b'[')?;
        self.ws();
        let start = deps.len();
        if self.peek()? == b']' {
            self.pos += 1;
            return Ok((start as u32, 0));
        }
        loop {
            if self.peek()? == b'"' {
                deps.push(DepRec {
                    id: self.string()?,
                    kind: None,
                    optional: false,
                });
            } else {
                self.eat(b'{')?;
                self.ws();
                let (mut id, mut kind, mut optional) = (None, None, None);
                let mut seen = 0u16;
                if self.peek()? != b'}' {
                    loop {
                        let k = self.key()?;
                        let bit = match k {
                            Key::Id => {
                                id = Some(self.string()?);
                                1
                            }
                            Key::Kind => {
                                kind = self.opt_edge_kind()?;
                                2
                            }
                            Key::Optional => {
                                optional = self.opt_bool()?;
                                4
                            }
                            _ => return Err(Bail),
                        };
                        if self.member_end(&mut seen, bit)? {
                            break;
                        }
                    }
                }
                self.pos += 1;
                deps.push(DepRec {
                    id: id.ok_or(Bail)?,
                    kind,
                    optional: optional.unwrap_or(false),
                });
            }
            if self.item_end(b']')? {
                self.pos += 1;
                break;
            }
        }
        Ok((start as u32, (deps.len() - start) as u32))
    }

    /// One element of `nodes` or `edges`; `mode` is `None` when the list is not known yet
    /// (then the keys decide). Returns the list the element belongs to.
    fn element(&mut self, mode: Option<Mode>, run: &mut Run<'a>) -> R<Mode> {
        self.eat(b'{')?;
        self.ws();
        // Node keys.
        let mut id = None;
        let mut kind_raw: Option<Option<&'a [u8]>> = None;
        let mut tier = None;
        let mut cf = None;
        let mut owners = None;
        let mut paths = None;
        let mut part_of = None;
        let mut deps = None;
        // Edge keys.
        let mut from = None;
        let mut to = None;
        let mut optional = None;
        let mut seen = 0u16;
        if self.peek()? != b'}' {
            loop {
                let k = self.key()?;
                let bit: u16 = match k {
                    Key::Id => {
                        id = Some(self.string()?);
                        1
                    }
                    Key::Kind => {
                        kind_raw = Some(self.opt_word()?);
                        2
                    }
                    Key::Tier => {
                        tier = self.opt_tier()?;
                        4
                    }
                    Key::CustomerFacing => {
                        cf = self.opt_bool()?;
                        8
                    }
                    Key::Owners => {
                        owners = self.opt_strings(&mut run.strs)?;
                        16
                    }
                    Key::Paths => {
                        paths = self.opt_strings(&mut run.strs)?;
                        32
                    }
                    Key::PartOf => {
                        part_of = self.opt_string()?;
                        64
                    }
                    Key::DependsOn => {
                        deps = Some(self.deps(&mut run.deps)?);
                        128
                    }
                    Key::From => {
                        from = Some(self.string()?);
                        256
                    }
                    Key::To => {
                        to = Some(self.string()?);
                        512
                    }
                    Key::Optional => {
                        optional = self.opt_bool()?;
                        1024
                    }
                    _ => return Err(Bail),
                };
                if self.member_end(&mut seen, bit)? {
                    break;
                }
            }
        }
        self.pos += 1;
        const NODE_ONLY: u16 = 1 | 4 | 8 | 16 | 32 | 64 | 128;
        const EDGE_ONLY: u16 = 256 | 512 | 1024;
        let mode = match mode {
            Some(m) => m,
            None if seen & NODE_ONLY != 0 && seen & EDGE_ONLY == 0 => Mode::Nodes,
            None if seen & EDGE_ONLY != 0 && seen & NODE_ONLY == 0 => Mode::Edges,
            None => return Err(Bail),
        };
        let kind = kind_raw.flatten();
        match mode {
            Mode::Nodes => {
                if seen & EDGE_ONLY != 0 {
                    return Err(Bail);
                }
                run.recs.push(Rec::Node(NodeRec {
                    id: id.ok_or(Bail)?,
                    kind: match kind {
                        Some(k) => Some(node_kind(k).ok_or(Bail)?),
                        None => None,
                    },
                    tier,
                    customer_facing: cf,
                    owners,
                    paths,
                    part_of,
                    deps: deps.unwrap_or((run.deps.len() as u32, 0)),
                }));
            }
            Mode::Edges => {
                if seen & NODE_ONLY != 0 {
                    return Err(Bail);
                }
                run.recs.push(Rec::Edge(EdgeRec {
                    from: from.ok_or(Bail)?,
                    to: to.ok_or(Bail)?,
                    kind: match kind {
                        Some(k) => Some(edge_kind(k).ok_or(Bail)?),
                        None => None,
                    },
                    optional: optional.unwrap_or(false),
                }));
            }
        }
        Ok(mode)
    }

    /// After `"nodes"`/`"edges"` and its `:`: the list's `[`, then whitespace.
    /// Returns `true` when the list is empty (and consumed).
    /// After an object member: rejects a repeated key (`bit` in `seen`), then steps over a
    /// `,` (`false`) or stops at the closing `}` (`true`).
    fn member_end(&mut self, seen: &mut u16, bit: u16) -> R<bool> {
        if *seen & bit != 0 {
            return Err(Bail);
        }
        *seen |= bit;
        self.item_end(b'}')
    }

    /// After an array element or object member: steps over a `,` and the space after it
    /// (`false`), or stops at `close` without consuming it (`true`).
    fn item_end(&mut self, close: u8) -> R<bool> {
        self.ws();
        match self.peek()? {
            b',' => {
                self.pos += 1;
                self.ws();
                Ok(false)
            }
            c if c == close => Ok(true),
            _ => Err(Bail),
        }
    }

    fn open_list(&mut self) -> R<bool> {
        self.eat(b'[')?;
        self.ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Ok(true);
        }
        Ok(false)
    }
}

/// An edge kind from its keyword's bytes.
#[inline]
fn edge_kind(w: &[u8]) -> Option<EdgeKind> {
    Some(match w {
        b"build" => EdgeKind::Build,
        b"sync" => EdgeKind::Sync,
        b"async" => EdgeKind::Async,
        b"data" => EdgeKind::Data,
        b"dev" => EdgeKind::Dev,
        b"startup" => EdgeKind::Startup,
        b"telemetry" => EdgeKind::Telemetry,
        _ => return None,
    })
}

/// A node kind from its keyword's bytes.
#[inline]
fn node_kind(w: &[u8]) -> Option<NodeKind> {
    Some(match w {
        b"module" => NodeKind::Module,
        b"service" => NodeKind::Service,
        b"datastore" => NodeKind::Datastore,
        b"queue" => NodeKind::Queue,
        b"external" => NodeKind::External,
        _ => return None,
    })
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Bytes of `w` equal to `b` have their high bit set in the result (exact for the lowest
/// such byte, which is all [`scan_string`] uses).
#[inline(always)]
fn eq_mask(w: u64, b: u8) -> u64 {
    let x = w ^ (LO * b as u64);
    x.wrapping_sub(LO) & !x & HI
}

/// The position of the first `"`, `\` or control byte in `s` (a string's body), and whether
/// every byte before it is ASCII. Scans sixteen bytes at a time with SSE2 (part of every
/// x86-64 CPU), then eight at a time.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn scan_string(s: &[u8]) -> Option<(usize, bool)> {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let mut i = 0;
    let mut high = 0u32;
    // SAFETY: SSE2 is part of the x86-64 baseline; every load reads 16 bytes inside `s`.
    unsafe {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let ctl = _mm_set1_epi8(0x1f);
        while i + 16 <= s.len() {
            let v = _mm_loadu_si128(s.as_ptr().add(i) as *const __m128i);
            let hit = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl),
            );
            let bits = _mm_movemask_epi8(hit) as u32;
            let hi = _mm_movemask_epi8(v) as u32;
            if bits != 0 {
                let k = bits.trailing_zeros();
                let before = hi & ((1u32 << k) - 1);
                return Some((i + k as usize, high | before == 0));
            }
            high |= hi;
            i += 16;
        }
    }
    let (q, ascii) = scan_string_swar(&s[i..])?;
    Some((i + q, ascii && high == 0))
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn scan_string(s: &[u8]) -> Option<(usize, bool)> {
    scan_string_swar(s)
}

/// [`scan_string`] eight bytes at a time, in plain integer arithmetic.
#[inline(always)]
fn scan_string_swar(s: &[u8]) -> Option<(usize, bool)> {
    let mut i = 0;
    let mut high = 0u64;
    while i + 8 <= s.len() {
        let w = u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
        // Bytes below 0x20 (exact for the lowest, as in `eq_mask`).
        let ctl = w.wrapping_sub(LO * 0x20) & !w & HI;
        let m = eq_mask(w, b'"') | eq_mask(w, b'\\') | ctl;
        if m != 0 {
            let k = (m.trailing_zeros() / 8) as usize;
            let before = if k == 0 {
                0
            } else {
                w & (u64::MAX >> (64 - 8 * k))
            };
            return Some((i + k, (high | before) & HI == 0));
        }
        high |= w;
        i += 8;
    }
    while i < s.len() {
        let c = s[i];
        if c == b'"' || c == b'\\' || c < 0x20 {
            return Some((i, high & HI == 0));
        }
        high |= (c as u64) << 56 & HI;
        i += 1;
    }
    None
}

/// The first eight bytes of `text`, little-endian, zero-padded.
const fn word(text: &[u8]) -> u64 {
    let mut w = 0u64;
    let mut i = 0;
    while i < text.len() && i < 8 {
        w |= (text[i] as u64) << (8 * i);
        i += 1;
    }
    w
}

/// The mask of the first `n` bytes of a word.
const fn mask(n: usize) -> u64 {
    if n >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * n)) - 1
    }
}

/// Recognizes a key (with its closing quote) at the start of `rest` by comparing words,
/// not bytes. Returns the key and its length.
#[inline(always)]
fn match_key(rest: &[u8]) -> Option<(Key, usize)> {
    if rest.len() < 16 {
        return match_key_slow(rest);
    }
    let w = u64::from_le_bytes(rest[..8].try_into().expect("8 bytes"));
    macro_rules! is {
        ($text:literal) => {{
            const T: &[u8] = $text;
            const W: u64 = word(T);
            const M: u64 = mask(T.len());
            w & M == W && (T.len() <= 8 || &rest[8..T.len()] == &T[8..])
        }};
    }
    let (key, len) = match rest[0] {
        b'i' if is!(b"id\"") => (Key::Id, 3),
        b'k' if is!(b"kind\"") => (Key::Kind, 5),
        b't' if is!(b"to\"") => (Key::To, 3),
        b't' if is!(b"tier\"") => (Key::Tier, 5),
        b'f' if is!(b"from\"") => (Key::From, 5),
        b'o' if is!(b"optional\"") => (Key::Optional, 9),
        b'o' if is!(b"owners\"") => (Key::Owners, 7),
        b'p' if is!(b"paths\"") => (Key::Paths, 6),
        b'p' if is!(b"part_of\"") => (Key::PartOf, 8),
        b'c' if is!(b"customer_facing\"") => (Key::CustomerFacing, 16),
        b'd' if is!(b"depends_on\"") => (Key::DependsOn, 11),
        b'n' if is!(b"nodes\"") => (Key::Nodes, 6),
        b'e' if is!(b"edges\"") => (Key::Edges, 6),
        _ => return None,
    };
    Some((key, len))
}

/// [`match_key`] near the end of the input.
fn match_key_slow(rest: &[u8]) -> Option<(Key, usize)> {
    const KEYS: &[(&[u8], Key)] = &[
        (b"id\"", Key::Id),
        (b"kind\"", Key::Kind),
        (b"tier\"", Key::Tier),
        (b"customer_facing\"", Key::CustomerFacing),
        (b"owners\"", Key::Owners),
        (b"paths\"", Key::Paths),
        (b"part_of\"", Key::PartOf),
        (b"depends_on\"", Key::DependsOn),
        (b"from\"", Key::From),
        (b"to\"", Key::To),
        (b"optional\"", Key::Optional),
        (b"nodes\"", Key::Nodes),
        (b"edges\"", Key::Edges),
    ];
    KEYS.iter()
        .find(|(t, _)| rest.starts_with(t))
        .map(|&(t, k)| (k, t.len()))
}

/// The keys the fast path knows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Key {
    Id,
    Kind,
    Tier,
    CustomerFacing,
    Owners,
    Paths,
    PartOf,
    DependsOn,
    From,
    To,
    Optional,
    Nodes,
    Edges,
}

fn mode_of_key(k: Key) -> R<Mode> {
    match k {
        Key::Nodes => Ok(Mode::Nodes),
        Key::Edges => Ok(Mode::Edges),
        _ => Err(Bail),
    }
}

/// After a list closed (or the document opened): the next top-level key and its list, or
/// the document's end. Returns the mode of the list whose first element the cursor is on,
/// or `None` at the end of the document. `first` is true right after the opening `{`.
fn next_list(c: &mut Cursor<'_>, keys: &mut Vec<Mode>, mut first: bool) -> R<Option<Mode>> {
    loop {
        c.ws();
        match c.peek()? {
            b'}' if !first || keys.is_empty() => {
                c.pos += 1;
                return Ok(None);
            }
            b',' if !first => {
                c.pos += 1;
                c.ws();
            }
            b'"' if first => {}
            _ => return Err(Bail),
        }
        first = false;
        let mode = mode_of_key(c.key()?)?;
        keys.push(mode);
        if !c.open_list()? {
            return Ok(Some(mode));
        }
    }
}

/// Parses whole elements from `start` until the next element would start at or after
/// `stop` (or the document ends).
fn parse_run<'a>(
    bytes: &'a [u8],
    start: usize,
    stop: usize,
    mode: Option<Mode>,
    spare: Option<Run<'a>>,
) -> R<Run<'a>> {
    let mut c = Cursor {
        b: bytes,
        pos: start,
    };
    let mut run = spare.unwrap_or_else(|| Run::for_bytes(stop.saturating_sub(start)));
    run.reset(start, mode);
    let mut mode = mode;
    loop {
        if c.pos >= stop {
            break;
        }
        let m = c.element(mode, &mut run)?;
        if run.first_mode.is_none() {
            run.first_mode = Some(m);
        }
        mode = Some(m);
        if c.item_end(b']')? {
            c.pos += 1;
            match next_list(&mut c, &mut run.keys, false)? {
                Some(m) => mode = Some(m),
                None => {
                    run.finished = true;
                    break;
                }
            }
        }
    }
    run.end = c.pos;
    run.end_mode = mode.ok_or(Bail)?;
    Ok(run)
}

/// The next likely element start at or after `from`: a `{` that begins a line.
fn candidate(bytes: &[u8], from: usize, limit: usize) -> Option<usize> {
    let mut p = from;
    while p < limit {
        let nl = p + memchr::memchr(b'\n', &bytes[p..limit])?;
        let mut q = nl + 1;
        while q < limit && matches!(bytes[q], b' ' | b'\t' | b'\r') {
            q += 1;
        }
        if q < limit && bytes[q] == b'{' {
            return Some(q);
        }
        p = nl + 1;
    }
    None
}

/// Reads a JSON graph file into an empty builder. On [`Bail`] the builder holds partial
/// work and must be discarded.
pub(crate) fn load(
    builder: &mut GraphBuilder,
    doc: DocId,
    bytes: &[u8],
    release: &(dyn Fn(usize) + Sync),
    wave_bytes: usize,
) -> R<()> {
    let mut c = Cursor { b: bytes, pos: 0 };
    // A byte-order mark is skipped by the caller (see `text::without_bom`).
    c.ws();
    c.eat(b'{')?;
    let mut keys = Vec::new();
    let Some(mut mode) = next_list(&mut c, &mut keys, true)? else {
        c.ws();
        return if c.pos == bytes.len() {
            Ok(())
        } else {
            Err(Bail)
        };
    };
    // Parse wave k + 1 while wave k is committed: the commit is sequential, the parse is
    // not, so both cores stay busy. A committed wave's runs are parsed into again: fresh
    // memory costs a fault per page, and a growing list copies itself (the 1M graph's cold
    // load took 13% longer with a fresh run per wave).
    let mut spare: Vec<Run<'_>> = Vec::new();
    let mut ahead = backing::Ahead::default();
    let mut current = parse_wave(bytes, c.pos, mode, wave_bytes, &mut spare)?;
    let pos = loop {
        for r in &current {
            keys.extend(r.keys.iter().copied());
        }
        if keys.len() > 2 || (keys.len() == 2 && keys[0] == keys[1]) {
            // A repeated top-level key: serde words it.
            return Err(Bail);
        }
        let last = current.last().expect("at least one run");
        let (pos, finished) = (last.end, last.finished);
        mode = last.end_mode;
        if finished {
            commit(builder, doc, &current);
            break pos;
        }
        if pos >= bytes.len() {
            return Err(Bail);
        }
        // The parsing side, usually done first, backs the room the next commits will fill
        // until this commit is done (see `backing`).
        let plan = ahead.plan(&builder.rooms());
        let committed = AtomicBool::new(false);
        let ((next, backed), ()) = rayon::join(
            || {
                let next = parse_wave(bytes, pos, mode, wave_bytes, &mut spare);
                let backed = match next {
                    Ok(_) => backing::back(&plan, &committed),
                    Err(_) => Vec::new(),
                };
                (next, backed)
            },
            || {
                commit(builder, doc, &current);
                committed.store(true, Ordering::Relaxed);
            },
        );
        ahead.backed(&plan, &backed);
        spare.append(&mut current);
        release(pos);
        current = next?;
    };
    let mut c = Cursor { b: bytes, pos };
    c.ws();
    if c.pos == bytes.len() {
        Ok(())
    } else {
        Err(Bail)
    }
}

/// Parses one wave from `pos`: a speculative parallel split, checked, else one run.
fn parse_wave<'a>(
    bytes: &'a [u8],
    pos: usize,
    mode: Mode,
    wave_bytes: usize,
    spare: &mut Vec<Run<'a>>,
) -> R<Vec<Run<'a>>> {
    let threads = rayon::current_num_threads().max(1);
    let wave_end = (pos + wave_bytes * threads).min(bytes.len());
    let mut starts = vec![pos];
    for i in 1..threads {
        let target = pos + (wave_end - pos) * i / threads;
        let last = *starts.last().expect("non-empty");
        if let Some(s) = candidate(bytes, target.max(last + 1), wave_end)
            && s > last
        {
            starts.push(s);
        }
    }
    let stops: Vec<usize> = starts[1..].iter().copied().chain([wave_end]).collect();
    let spares: Vec<Option<Run<'a>>> = (0..starts.len()).map(|_| spare.pop()).collect();
    let runs: Vec<R<Run<'a>>> = starts
        .par_iter()
        .zip(stops.par_iter())
        .zip(spares.into_par_iter())
        .enumerate()
        .map(|(i, ((&s, &e), spare))| parse_run(bytes, s, e, (i == 0).then_some(mode), spare))
        .collect();
    let consistent = runs.iter().all(Result::is_ok) && {
        let ok: Vec<&Run<'_>> = runs.iter().map(|r| r.as_ref().expect("ok")).collect();
        ok.windows(2).all(|w| {
            !w[0].finished && w[0].end == w[1].start && Some(w[0].end_mode) == w[1].first_mode
        })
    };
    if consistent {
        runs.into_iter().collect()
    } else {
        spare.extend(runs.into_iter().flatten());
        Ok(vec![parse_run(
            bytes,
            pos,
            wave_end,
            Some(mode),
            spare.pop(),
        )?])
    }
}

/// Commits parsed runs in file order; edge endpoints are looked up in parallel first, in
/// batches (`GraphBuilder::lookup_batch`). An edge from the same node as the edge before it
/// (files list a node's edges together) reuses that edge's lookup of its `from`.
fn commit(builder: &mut GraphBuilder, doc: DocId, runs: &[Run<'_>]) {
    let resolved: Vec<Vec<(u32, u32)>> = runs
        .par_iter()
        .map(|r| {
            let mut keys: Vec<&str> = Vec::new();
            let mut at: Vec<(u32, u32)> = Vec::new();
            let mut last: Option<(&str, u32)> = None;
            for rec in &r.recs {
                if let Rec::Edge(e) = rec {
                    let from: &str = e.from.as_ref();
                    let f = match last {
                        Some((id, f)) if id == from => f,
                        _ => {
                            keys.push(from);
                            let f = keys.len() as u32 - 1;
                            last = Some((from, f));
                            f
                        }
                    };
                    keys.push(e.to.as_ref());
                    at.push((f, keys.len() as u32 - 1));
                }
            }
            let mut found = Vec::with_capacity(keys.len());
            builder.lookup_batch(&keys, &mut found);
            at.into_iter()
                .map(|(f, t)| (found[f as usize], found[t as usize]))
                .collect()
        })
        .collect();
    // Nodes ahead of the one being declared whose ids' table slots are asked of memory.
    const AHEAD: usize = 8;
    for (r, ends) in runs.iter().zip(resolved) {
        let ids: Vec<(&str, Option<&str>)> = r
            .recs
            .iter()
            .filter_map(|rec| match rec {
                Rec::Node(n) => Some((n.id.as_ref(), n.part_of.as_deref())),
                Rec::Edge(_) => None,
            })
            .collect();
        let prefetch = |builder: &GraphBuilder, (id, part_of): (&str, Option<&str>)| {
            builder.prefetch_id(id);
            if let Some(p) = part_of {
                builder.prefetch_id(p);
            }
        };
        for &x in ids.iter().take(AHEAD) {
            prefetch(builder, x);
        }
        let (mut k, mut ni) = (0, 0);
        for rec in &r.recs {
            match rec {
                Rec::Node(n) => {
                    if let Some(&x) = ids.get(ni + AHEAD) {
                        prefetch(builder, x);
                    }
                    ni += 1;
                    let (ds, dl) = n.deps;
                    for d in &r.deps[ds as usize..(ds + dl) as usize] {
                        builder.add_edge(
                            doc,
                            EdgeSpec {
                                from: Cow::Borrowed(&n.id),
                                to: Cow::Borrowed(&d.id),
                                kind: d.kind,
                                optional: d.optional,
                            },
                        );
                    }
                    let list = |x: Option<(u32, u32)>| {
                        x.map(|(s, l)| &r.strs[s as usize..(s + l) as usize])
                    };
                    builder.add_node_ref(
                        doc,
                        NodeRef {
                            id: &n.id,
                            kind: n.kind,
                            tier: n.tier,
                            customer_facing: n.customer_facing,
                            owners: list(n.owners),
                            paths: list(n.paths),
                            part_of: n.part_of.as_deref(),
                        },
                    );
                }
                Rec::Edge(e) => {
                    let (a, b) = ends[k];
                    k += 1;
                    if a != u32::MAX && b != u32::MAX {
                        builder.add_edge_resolved(doc, a, b, e.kind, e.optional);
                    } else {
                        builder.add_edge(
                            doc,
                            EdgeSpec {
                                from: Cow::Borrowed(&e.from),
                                to: Cow::Borrowed(&e.to),
                                kind: e.kind,
                                optional: e.optional,
                            },
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::text::FileBytes;
    use proptest::prelude::*;
    use std::path::Path;

    /// Loads `json` both ways; returns the serde result and the fast one (`None` = bailed).
    fn both(json: &str, wave: usize) -> (Result<String, String>, Option<String>) {
        let path = Path::new("<test>.json");
        let dump = |b: GraphBuilder| {
            let (g, findings) = b.finish_lenient().unwrap();
            format!("{}{:?}", g.dump(), findings)
        };
        let mut reference = GraphBuilder::new();
        let doc = reference.begin_document("graph", path);
        let bytes = FileBytes::Owned(json.as_bytes().to_vec());
        let serde = crate::sources::manifest::load_json_serde(&mut reference, doc, path, &bytes)
            .map(|_| dump(reference))
            .map_err(|e| e.to_string());
        let mut builder = GraphBuilder::new();
        let doc = builder.begin_document("graph", path);
        let fast = load(&mut builder, doc, json.as_bytes(), &|_| {}, wave)
            .ok()
            .map(|()| dump(builder));
        (serde, fast)
    }

    /// A generated-style file: `n` services and modules with owners, paths and parents, each
    /// depending on a few others, then the edges list.
    fn generated(n: usize) -> String {
        let mut s = String::from("{\"nodes\":[\n");
        for i in 0..n {
            let parent = if i % 4 == 0 {
                "null".to_string()
            } else {
                format!("\"node-{}\"", i / 4 * 4)
            };
            s += &format!(
                "{{\"id\":\"node-{i}\",\"kind\":\"{}\",\"tier\":{},\"customer_facing\":{},\"owners\":[\"@team-{}\"],\"paths\":[\"services/node-{i}/**\"],\"part_of\":{parent}}}{}\n",
                if i % 4 == 0 { "service" } else { "module" },
                i % 4,
                i % 7 == 0,
                i % 13,
                if i + 1 < n { "," } else { "" }
            );
        }
        s += "],\n\"edges\":[\n";
        let m = n * 5;
        for j in 0..m {
            let (from, to) = (j / 5, (j * 7919 + 13) % n);
            s += &format!(
                "{{\"from\":\"node-{from}\",\"to\":\"node-{to}\",\"kind\":\"{}\",\"optional\":{}}}{}\n",
                ["sync", "async", "data", "build"][j % 4],
                j % 11 == 0,
                if j + 1 < m { "," } else { "" }
            );
        }
        s + "]}\n"
    }

    /// Many waves over lists that grow by more than a page per wave, so the parsing side
    /// backs their room while commits fill it (`backing`): with room reserved up front (the
    /// lists stay in place) and without (they move as they grow).
    #[test]
    fn reads_a_large_file_in_many_waves_as_serde_does() {
        let json = generated(40_000);
        let path = Path::new("<test>.json");
        let (serde, _) = both(&json, 1 << 30);
        let serde = serde.unwrap();
        for reserve in [false, true] {
            let mut builder = GraphBuilder::new();
            if reserve {
                crate::sources::manifest::reserve_for_json(&mut builder, json.len());
            }
            let doc = builder.begin_document("graph", path);
            load(&mut builder, doc, json.as_bytes(), &|_| {}, 64 << 10).expect("fast path");
            let (g, findings) = builder.finish_lenient().unwrap();
            assert_eq!(
                format!("{}{:?}", g.dump(), findings),
                serde,
                "reserve {reserve}"
            );
        }
    }

    #[test]
    fn reads_what_serde_reads() {
        let json = r#"{"nodes": [
{"id": "a", "kind": "service", "tier": 0, "customer_facing": true, "owners": ["@x", "@y"], "paths": ["a/**"], "part_of": null,
 "depends_on": ["b", {"id": "c", "kind": "async", "optional": true}]},
{"id": "b\u00e9\n", "tier": null},
{"id": "c", "kind": "module", "part_of": "a", "owners": []}
],
"edges": [
{"from": "a", "to": "b\u00e9\n", "kind": "data"},
{"to": "c", "from": "b\u00e9\n", "optional": false, "kind": null},
{"from": "a", "to": "zz"}
]}"#;
        for wave in [1, 7, 64, 1 << 20] {
            let (serde, fast) = both(json, wave);
            assert_eq!(Some(serde.unwrap()), fast, "wave {wave}");
        }
    }

    #[test]
    fn scans_strings_eight_bytes_at_a_time() {
        let naive = |s: &[u8]| {
            let q = s
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
            Some((q, s[..q].is_ascii()))
        };
        let cases: Vec<Vec<u8>> = vec![
            b"abc\"".to_vec(),
            b"abcdefghijklmnop\"x".to_vec(),
            b"abcdefg\\n\"".to_vec(),
            "h\u{e9}llo w\u{f6}rld, fine\"".as_bytes().to_vec(),
            b"tab\there\"".to_vec(),
            b"no end at all".to_vec(),
            b"12345678\"".to_vec(),
            b"\"".to_vec(),
            vec![0xff, b'a', b'"'],
        ];
        for c in cases {
            for start in 0..c.len() {
                assert_eq!(
                    scan_string(&c[start..]),
                    naive(&c[start..]),
                    "{:?}",
                    &c[start..]
                );
                assert_eq!(
                    scan_string_swar(&c[start..]),
                    naive(&c[start..]),
                    "{:?}",
                    &c[start..]
                );
            }
        }
    }

    proptest! {
        #[test]
        fn scan_string_matches_a_byte_loop(s in prop::collection::vec(prop_oneof![Just(b'"'), Just(b'\\'), 0u8..=255, 0x20u8..0x7f, 0x20u8..0x7f, 0x20u8..0x7f, 0x20u8..0x7f, 0x20u8..0x7f], 0..70)) {
            let naive = s.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).map(|q| (q, s[..q].is_ascii()));
            prop_assert_eq!(scan_string(&s), naive);
            prop_assert_eq!(scan_string_swar(&s), naive);
        }
    }

    #[test]
    fn keys_are_recognized_fast_and_slow() {
        let keys = [
            "id",
            "kind",
            "tier",
            "customer_facing",
            "owners",
            "paths",
            "part_of",
            "depends_on",
            "from",
            "to",
            "optional",
            "nodes",
            "edges",
        ];
        for k in keys {
            let text = format!("{k}\": \"some value that is long enough\"");
            let fast = match_key(text.as_bytes());
            let slow = match_key_slow(text.as_bytes());
            assert_eq!(fast, slow, "{k}");
            assert_eq!(fast.unwrap().1, k.len() + 1);
            let short = format!("{k}\"");
            assert_eq!(match_key(short.as_bytes()), slow);
        }
        for other in [
            "idx\": 1, xxxxxxxxxxxxxxxxxx",
            "kin\": 1, xxxxxxxxxxxxxxxx",
            "t\":1",
            "colour\": \"red\", xxxxxxxxx",
            "optional_\": 1 xxxxxxxxxx",
        ] {
            assert_eq!(match_key(other.as_bytes()), None, "{other}");
        }
    }

    #[test]
    fn keywords_match_the_model() {
        for &k in EdgeKind::ALL {
            assert_eq!(edge_kind(k.as_str().as_bytes()), Some(k));
        }
        for &k in NodeKind::ALL {
            assert_eq!(node_kind(k.as_str().as_bytes()), Some(k));
        }
        assert_eq!(edge_kind(b"rpc"), None);
        assert_eq!(node_kind(b"Service"), None);
    }

    #[test]
    fn gives_up_on_what_it_does_not_know() {
        for bad in [
            r#"{"nodes": [{"id": "a", "colour": "red"}]}"#,
            r#"{"nodes": [{"id": "a", "id": "b"}]}"#,
            r#"{"nodes": [{"id": "a", "tier": 4}]}"#,
            r#"{"nodes": [{"id": "a", "tier": 1.0}]}"#,
            r#"{"nodes": [{"id": "a", "tier": 01}]}"#,
            r#"{"nodes": [{"id": "a",}]}"#,
            r#"{"nodes": [{"id": "a"}], "nodes": []}"#,
            r#"{"nodes": null}"#,
            r#"{"nodes": [{"id": "a"}]} x"#,
            r#"{"edges": [{"from": "a"}]}"#,
            r#"{"nodes": [{"id": "a", "kind": "servce"}]}"#,
            "{\"nodes\": [{\"id\": \"a\tb\"}]}",
            r#"[]"#,
        ] {
            let (serde, fast) = both(bad, 1 << 20);
            assert!(
                fast.is_none() || Ok(fast.clone().unwrap()) == serde,
                "{bad}: fast {fast:?} serde {serde:?}"
            );
        }
    }

    fn ident() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{1,6}",
            Just("a\"b".to_string()),
            Just("é\\/ü".to_string()),
            Just("x\ny".to_string()),
            Just("😀".to_string()),
        ]
    }

    fn ws() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("".to_string()),
            Just(" ".to_string()),
            Just("\n".to_string()),
            Just("\n  ".to_string()),
            Just("\r\n\t".to_string())
        ]
    }

    fn jstr(s: &str) -> String {
        serde_json::to_string(s).unwrap()
    }

    prop_compose! {
        fn node()(id in ident(), kind in prop::option::of(prop::sample::select(vec!["service", "module", "queue", "bogus"])),
                  tier in prop::option::of(0u8..5), cf in prop::option::of(any::<bool>()),
                  owners in prop::option::of(prop::collection::vec(ident(), 0..3)),
                  part_of in prop::option::of(ident()),
                  deps in prop::collection::vec((ident(), prop::option::of(prop::sample::select(vec!["sync", "async", "dev"])), any::<bool>()), 0..3),
                  w in ws()) -> String {
            let mut fields = vec![format!("\"id\":{w}{}", jstr(&id))];
            if let Some(k) = kind { fields.push(format!("\"kind\": {}", jstr(k))); }
            if let Some(t) = tier { fields.push(format!("\"tier\":{t}")); }
            if let Some(c) = cf { fields.push(format!("\"customer_facing\":{c}")); }
            if let Some(o) = owners { fields.push(format!("\"owners\":[{}]", o.iter().map(|x| jstr(x)).collect::<Vec<_>>().join(","))); }
            if let Some(p) = part_of { fields.push(format!("\"part_of\":{}", jstr(&p))); }
            if !deps.is_empty() {
                let d: Vec<String> = deps.iter().map(|(i, k, table)| match (k, table) {
                    (Some(k), true) => format!("{{\"id\":{},{w}\"kind\":\"{k}\"}}", jstr(i)),
                    _ => jstr(i),
                }).collect();
                fields.push(format!("\"depends_on\":[{}]", d.join(",")));
            }
            format!("{{{}}}", fields.join(&format!(",{w}")))
        }
    }

    prop_compose! {
        fn edge()(from in ident(), to in ident(), kind in prop::option::of(prop::sample::select(vec!["sync", "build", "rpc"])), opt in prop::option::of(any::<bool>()), w in ws()) -> String {
            let mut fields = vec![format!("\"from\":{}", jstr(&from)), format!("\"to\":{w}{}", jstr(&to))];
            if let Some(k) = kind { fields.push(format!("\"kind\":\"{k}\"")); }
            if let Some(o) = opt { fields.push(format!("\"optional\":{o}")); }
            format!("{{{}}}", fields.join(","))
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        #[test]
        fn fast_equals_serde_or_gives_up(nodes in prop::collection::vec(node(), 0..12), edges in prop::collection::vec(edge(), 0..12),
                                         edges_first in any::<bool>(), sep in ws(), wave in 1usize..200, cut in any::<prop::sample::Index>()) {
            let n = format!("\"nodes\":[{sep}{}{sep}]", nodes.join(&format!(",{sep}")));
            let e = format!("\"edges\":[{sep}{}]", edges.join(&format!(",{sep}")));
            let json = if edges_first { format!("{{{e},{sep}{n}}}") } else { format!("{{{n},{sep}{e}}}\n") };
            let (serde, fast) = both(&json, wave);
            if let Some(f) = &fast {
                prop_assert_eq!(Ok(f.clone()), serde.clone(), "{}", json);
            }
            // Valid documents in the schema must take the fast path.
            if serde.is_ok() && !json.contains("\\\"") {
                prop_assert!(fast.is_some() || json.contains("bogus") || json.contains("rpc") || json.contains("\"tier\":4"), "fast path gave up on {}", json);
            }
            // A truncated document never loads on the fast path.
            let cut = cut.index(json.len().max(1));
            if cut < json.trim_end().len() && json.is_char_boundary(cut) {
                let (serde, fast) = both(&json[..cut], wave);
                prop_assert!(serde.is_err());
                prop_assert!(fast.is_none(), "loaded a truncated document: {}", &json[..cut]);
            }
        }
    }
}
