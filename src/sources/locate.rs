//! Finding the line of an id in a file, for errors the parser cannot place.
//!
//! Parsers give line and column for syntax and type errors. Cross-references (an edge to an
//! undeclared id, a duplicate id, a conflicting value) are found after parsing, so the
//! loader searches the file's text for the id instead: as the value of an `id` key for a
//! declaration (`"id": "x"`, `id = "x"`, `id: x`), or anywhere else for a reference. This
//! runs only on the error path.

/// What to look for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Needle {
    text: String,
    mode: Mode,
    nth: usize,
    /// For an edge (see [`Needle::edge`]): the dependent whose declaration holds it.
    from: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Mode {
    /// The value of an `id` key.
    Declaration,
    /// A whole token that is not the value of an `id` key.
    Reference,
    /// The raw text anywhere.
    Text,
    /// How discovered sources declare a node (see [`names_node`]): a Compose service's key,
    /// a Kubernetes or Backstage `metadata.name`, a Cargo package's `name`.
    Named,
}

impl Needle {
    /// The declaration of node `id`.
    pub(crate) fn declaration(id: &str) -> Needle {
        Needle {
            text: id.to_string(),
            mode: Mode::Declaration,
            nth: 0,
            from: None,
        }
    }
    /// A use of node `id` other than its declaration.
    pub(crate) fn reference(id: &str) -> Needle {
        Needle {
            text: id.to_string(),
            mode: Mode::Reference,
            nth: 0,
            from: None,
        }
    }
    /// The declaration of node `id` by a discovered source (see [`Mode::Named`]).
    pub(crate) fn named(id: &str) -> Needle {
        Needle {
            text: id.to_string(),
            mode: Mode::Named,
            nth: 0,
            from: None,
        }
    }
    /// The text itself.
    pub(crate) fn text(s: &str) -> Needle {
        Needle {
            text: s.to_string(),
            mode: Mode::Text,
            nth: 0,
            from: None,
        }
    }
    /// The edge `from → to` as a file declares it: `to` in the `depends_on` list of
    /// `from`'s declaration, or as the `to` of an `edges` entry whose `from` is `from`
    /// (looked for by [`fill_lines`], which finds the declaration first).
    pub(crate) fn edge(from: &str, to: &str) -> Needle {
        Needle {
            text: to.to_string(),
            mode: Mode::Reference,
            nth: 0,
            from: Some(from.to_string()),
        }
    }
    /// The `n`-th (0-based) match instead of the first.
    pub(crate) fn nth(mut self, n: usize) -> Needle {
        self.nth = n;
        self
    }
}

fn is_token_byte(b: u8) -> bool {
    !(b.is_ascii_whitespace() || b"\"'`,:;=[]{}()#".contains(&b))
}

/// Whether the token at `start` is the value of an `id` key.
fn after_id_key(text: &[u8], start: usize) -> bool {
    let quoted = start > 0 && matches!(text[start - 1], b'"' | b'\'');
    key_before(text, start - quoted as usize) == Some(b"id")
}

/// The keys whose values name other nodes: a reference is in one of them (or is the `id`
/// of a table in a `depends_on` list).
const REFERENCE_KEYS: &[&[u8]] = &[b"depends_on", b"to", b"from", b"part_of"];

/// How far back (in bytes) the holder of a match is looked for: lists of dependencies are
/// short, and a search per match must not read a large file back to its start.
const CONTEXT_BYTES: usize = 16 << 10;

/// Where a match sits: the key written before it on its line (`to` in `to = "x"`, `id` in
/// `- id: x`), and the key of the list or block that holds it or its table (`depends_on`
/// for `depends_on: [x]`, `[{id = "x"}]`, or `- id: x` below `depends_on:`), when they can
/// be told from the text nearby.
#[derive(Debug, Default, PartialEq, Eq)]
struct Context<'t> {
    key: Option<&'t [u8]>,
    holder: Option<&'t [u8]>,
}

/// The key written just before the `:` or `=` that ends at `sep` (exclusive), if any.
fn key_before(text: &[u8], sep: usize) -> Option<&[u8]> {
    let mut i = sep;
    while i > 0 && (text[i - 1] == b' ' || text[i - 1] == b'\t') {
        i -= 1;
    }
    if i == 0 || !(text[i - 1] == b':' || text[i - 1] == b'=') {
        return None;
    }
    i -= 1;
    while i > 0 && (text[i - 1] == b' ' || text[i - 1] == b'\t') {
        i -= 1;
    }
    if i > 0 && (text[i - 1] == b'"' || text[i - 1] == b'\'') {
        i -= 1;
    }
    let end = i;
    while i > 0 && is_token_byte(text[i - 1]) {
        i -= 1;
    }
    (i < end).then(|| &text[i..end])
}

fn line_start(text: &[u8], at: usize) -> usize {
    memchr::memrchr(b'\n', &text[..at]).map_or(0, |p| p + 1)
}

/// A line's indentation, and for a YAML block-sequence item (`- …`) the column its content
/// starts at.
fn indentation(text: &[u8], start: usize) -> (usize, Option<usize>) {
    let rest = &text[start..];
    let ind = rest.iter().take_while(|&&b| b == b' ').count();
    let item = (rest.get(ind) == Some(&b'-')
        && rest.get(ind + 1).is_none_or(|b| b.is_ascii_whitespace()))
    .then(|| ind + 1 + rest[ind + 1..].iter().take_while(|&&b| b == b' ').count());
    (ind, item)
}

/// The last dotted segment of a TOML table header line (`[[nodes.depends_on]]` →
/// `depends_on`), if the line is one.
fn toml_header(body: &[u8]) -> Option<&[u8]> {
    // A comment may follow the header (`[package] # the service`).
    let body = match body.iter().rposition(|&b| b == b']') {
        Some(end)
            if body[end + 1..]
                .trim_ascii()
                .first()
                .is_none_or(|&b| b == b'#') =>
        {
            &body[..=end]
        }
        _ => body,
    };
    let inner = body
        .strip_prefix(b"[[")
        .and_then(|b| b.strip_suffix(b"]]"))
        .or_else(|| body.strip_prefix(b"[").and_then(|b| b.strip_suffix(b"]")))?;
    // Spaces around the name are allowed (`[ package ]`).
    let inner = inner.trim_ascii();
    let name_ok = |b: &u8| b.is_ascii_alphanumeric() || b"_-.\"".contains(b);
    (!inner.is_empty() && inner.iter().all(name_ok))
        .then(|| inner.rsplit(|&b| b == b'.').next().unwrap_or(inner))
        .map(|seg| {
            seg.strip_prefix(b"\"")
                .and_then(|s| s.strip_suffix(b"\""))
                .unwrap_or(seg)
        })
}

/// The key of the block holding the line at `start` (indentation, not brackets): the
/// nearest line above that is less indented, or as indented and not an item when this line
/// is an item (`depends_on:` over `- x`); an item line opening this line's table (`- kind:
/// async` over `  id: x`) counts as this line. In TOML, the table header above
/// (`[[nodes.depends_on]]`).
fn block_holder(text: &[u8], start: usize, floor: usize) -> Option<&[u8]> {
    let (mut ind, mut item) = indentation(text, start);
    let mut at = start;
    while at > floor {
        at = line_start(text, at - 1);
        let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |e| at + e);
        let (i, is_item) = indentation(text, at);
        let body = text[at + i..end].trim_ascii_end();
        if body.is_empty() || body[0] == b'#' {
            continue;
        }
        if i == 0
            && let Some(name) = toml_header(body)
        {
            return Some(name);
        }
        if item.is_none() && is_item == Some(ind) {
            // The `- ` line that opens this line's table.
            (ind, item) = (i, is_item);
            continue;
        }
        if (i < ind || (item.is_some() && i == ind && is_item.is_none()))
            && let Some(colon) = body.iter().position(|&b| b == b':')
        {
            return key_before(body, colon + 1);
        }
    }
    None
}

/// The brackets of `text[from..to]` outside quotes and comments, in order.
fn brackets(text: &[u8], from: usize, to: usize) -> Vec<(usize, u8)> {
    let mut out = Vec::new();
    walk_quotes(text, from, to, |i, b, prev| match b {
        b'#' if prev == b' ' || prev == b'\t' => false,
        b'[' | b']' | b'{' | b'}' => {
            out.push((i, b));
            true
        }
        _ => true,
    });
    out
}

/// Walks `text[from..to]`, one line (or part of one) of YAML, TOML or JSON, calling
/// `outside(i, byte, previous byte)` for every byte outside quoted text (the quotes
/// excluded) until it returns `false`; returns the quote still open at `to`. A quote opens
/// only where a value can start (at `from`, or after a space, a bracket, `,`, `:` or `=`:
/// the `'` of `Bob's` is text); in double quotes a backslash escapes the next byte, so
/// `"a\\"` ends where it should.
fn walk_quotes(
    text: &[u8],
    from: usize,
    to: usize,
    mut outside: impl FnMut(usize, u8, u8) -> bool,
) -> Option<u8> {
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    let mut prev = b' ';
    for (i, &b) in text.iter().enumerate().take(to).skip(from) {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if q == b'"' && b == b'\\' {
                    escaped = true;
                } else if b == q {
                    quote = None;
                }
            }
            None if matches!(b, b'"' | b'\'') && (i == from || b" \t[{(,:=".contains(&prev)) => {
                quote = Some(b);
            }
            None => {
                if !outside(i, b, prev) {
                    return None;
                }
            }
        }
        prev = b;
    }
    quote
}

/// The key on the line of a match at `start`, written before it, unless a `,` or an
/// opening bracket comes first (`to` in `to = "x"`; none in `depends_on = ["a", "x"]`).
fn line_key(text: &[u8], start: usize) -> Option<&[u8]> {
    let line = line_start(text, start);
    let mut i = start;
    while i > line {
        match text[i - 1] {
            b':' | b'=' => return key_before(text, i),
            b',' | b'[' | b'{' => return None,
            _ => i -= 1,
        }
    }
    None
}

/// The [`Context`] of a match at `start`.
fn context(text: &[u8], start: usize) -> Context<'_> {
    let floor = start.saturating_sub(CONTEXT_BYTES);
    let line = line_start(text, start);
    let key = line_key(text, start);
    if key.is_some_and(|k| k != b"id") {
        return Context { key, holder: None };
    }
    // The holder: the list whose `[` is open at the match (or at its table's `{`), line by
    // line back, skipping quoted text and comments.
    let mut depth = 0usize;
    let (mut from, mut to) = (line, start);
    loop {
        for &(i, b) in brackets(text, from, to).iter().rev() {
            match b {
                b']' | b'}' => depth += 1,
                b'[' | b'{' if depth > 0 => depth -= 1,
                b'[' => {
                    return Context {
                        key,
                        holder: key_before(text, i),
                    };
                }
                _ => {}
            }
        }
        if from == 0 || from <= floor {
            break;
        }
        to = from - 1;
        from = line_start(text, to);
    }
    Context {
        key,
        holder: block_holder(text, line, floor),
    }
}

/// Whether `pat` at `start` is a whole value as written: quoted, an opening quote (not an
/// escaped one, `\"`, nor one closing another text) comes right before and the same quote
/// right after (`"x"`, `'x'`); unquoted, no quote begins or follows it and it is not
/// inside quoted text (the `"` that opens another value is not the id `"`, and `b` is not
/// part of `"a b"` or `"a b c"`).
fn whole_value(text: &[u8], start: usize, pat: &[u8]) -> bool {
    let quote = |b: &u8| matches!(b, b'"' | b'\'');
    let after = text.get(start + pat.len());
    // Whether quoted text is open at `at` on its line (a line too long to walk back is
    // taken as plain).
    let open_at = |at: usize| {
        let line = line_start(text, at);
        at - line <= CONTEXT_BYTES && walk_quotes(text, line, at, |_, _, _| true).is_some()
    };
    match start.checked_sub(1).map(|p| text[p]) {
        // An opening quote: not inside (or closing) another quoted text.
        Some(q) if quote(&q) => after == Some(&q) && !open_at(start - 1),
        _ => !pat.first().is_some_and(quote) && !after.is_some_and(quote) && !open_at(start),
    }
}

/// How far back the block holding a discovered source's declaration is looked for (a
/// Compose file's `services:` above its last service).
const NAMED_CONTEXT_BYTES: usize = 1 << 20;

/// Whether the token `text[start..start + len]` declares a node as a discovered source
/// does: a key directly in the `services:` block opening its line (a Compose service,
/// `  checkout:`), or the value of a `name` key in a `metadata:` block (Kubernetes,
/// Backstage) or under `[package]` (Cargo). Nothing else: a `depends_on` entry, a volume or
/// a container named like a node is not its declaration.
fn names_node(text: &[u8], start: usize, len: usize) -> bool {
    let quoted = start > 0 && matches!(text[start - 1], b'"' | b'\'');
    let open = start - quoted as usize;
    let line = line_start(text, open);
    let floor = open.saturating_sub(NAMED_CONTEXT_BYTES);
    let holder = || block_holder(text, line, floor);
    if key_before(text, open) == Some(b"name") {
        return match holder() {
            Some(b"package") => true,
            // The object's own `kind` must be one that becomes a node named so: a
            // ServiceAccount or ConfigMap named like its workload is not the declaration.
            Some(b"metadata") => {
                object_kind(text, line, floor).is_some_and(|k| DECLARING_KINDS.contains(&k))
            }
            _ => false,
        };
    }
    let (ind, item) = indentation(text, line);
    let opens_line = item.is_none() && open == line + ind;
    let mut end = start + len + quoted as usize;
    while text.get(end).is_some_and(|&b| b == b' ' || b == b'\t') {
        end += 1;
    }
    opens_line && text.get(end) == Some(&b':') && holder() == Some(b"services")
}

/// The kinds of object whose `metadata.name` names a node: Kubernetes workloads and
/// Services, Backstage components (other Backstage kinds get `kind:name` ids).
const DECLARING_KINDS: &[&[u8]] = &[
    b"Deployment",
    b"StatefulSet",
    b"DaemonSet",
    b"ReplicaSet",
    b"Job",
    b"CronJob",
    b"Pod",
    b"Service",
    b"Component",
];

/// The `kind` of the YAML object whose `metadata:` block holds the line at `line`: the
/// `kind:` key beside `metadata:` (same column, same mapping), above or below it.
fn object_kind(text: &[u8], line: usize, floor: usize) -> Option<&[u8]> {
    let content = |at: usize| {
        let (ind, item) = indentation(text, at);
        (item.unwrap_or(ind), item.is_some())
    };
    let blank = |at: usize| {
        let (ind, _) = indentation(text, at);
        matches!(text.get(at + ind), None | Some(b'\n' | b'\r' | b'#'))
    };
    // The `metadata:` line: the nearest line above that is less indented.
    let (col, _) = content(line);
    let mut meta = line;
    loop {
        if meta <= floor {
            return None;
        }
        meta = line_start(text, meta - 1);
        if !blank(meta) && content(meta).0 < col {
            break;
        }
    }
    let (col, meta_item) = content(meta);
    // The value of a `kind` key opening the line at `at` (after its `- `).
    let kind_here = |at: usize| {
        let (ind, item) = indentation(text, at);
        let key = at + item.unwrap_or(ind);
        (text[key..].starts_with(b"kind") && is_token(text, key, 4))
            .then(|| value_after(text, key + 4))
            .flatten()
            .map(|(_, v)| v)
    };
    // Above: siblings until the line that opens the mapping (an item) or a shallower one.
    let mut at = meta;
    while !meta_item && at > floor {
        at = line_start(text, at - 1);
        if blank(at) {
            continue;
        }
        if text[at..].starts_with(b"---") {
            break;
        }
        let (c, item) = content(at);
        if c < col {
            break;
        }
        if c == col {
            if let Some(k) = kind_here(at) {
                return Some(k);
            }
            if item {
                break;
            }
        }
    }
    // Below: siblings until a shallower line, the next item or the next document.
    let mut at = meta;
    while let Some(e) = memchr::memchr(b'\n', &text[at..]) {
        at += e + 1;
        if at >= text.len() {
            break;
        }
        if blank(at) {
            continue;
        }
        if text[at..].starts_with(b"---") {
            break;
        }
        let (c, item) = content(at);
        if c < col || (c == col && item) {
            break;
        }
        if c == col
            && let Some(k) = kind_here(at)
        {
            return Some(k);
        }
    }
    None
}

/// Whether the byte at `at` is inside a comment: after a `#` that starts its line or
/// follows a space, outside quotes (YAML and TOML comments; JSON has none, and a `#` inside
/// a JSON string is inside quotes).
fn in_comment(text: &[u8], at: usize) -> bool {
    let mut comment = false;
    walk_quotes(text, line_start(text, at), at, |_, b, prev| {
        comment = b == b'#' && (prev == b' ' || prev == b'\t');
        !comment
    });
    comment
}

/// How `id` may be written in a file besides as it is: JSON- (and TOML-) escaped quotes,
/// backslashes and control characters, and non-ASCII characters as `\u` escapes.
fn spellings(id: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(json) = serde_json::to_string(id) {
        let inner = json[1..json.len() - 1].to_string();
        if inner != id {
            out.push(inner);
        }
    }
    if !id.is_ascii() {
        // `\u00e9` and `\u00E9`: only the escapes' hex digits change case, not the id.
        let (mut lower, mut upper) = (String::new(), String::new());
        for c in out.first().map_or(id, String::as_str).chars() {
            if c.is_ascii() {
                lower.push(c);
                upper.push(c);
            } else {
                for u in c.encode_utf16(&mut [0u16; 2]) {
                    lower.push_str(&format!("\\u{u:04x}"));
                    upper.push_str(&format!("\\u{u:04X}"));
                }
            }
        }
        out.push(lower);
        out.push(upper);
    }
    out
}

/// The 1-based line and column of the needle in `text`, if found: as written, else as an
/// escaped spelling of it (see [`spellings`]). Matches inside comments do not count.
pub(crate) fn locate(text: &[u8], needle: &Needle) -> Option<(u32, u32)> {
    offset(text, needle).map(|o| line_col(text, o))
}

/// The byte offset of the needle in `text` (see [`locate`]).
fn offset(text: &[u8], needle: &Needle) -> Option<usize> {
    offset_in(text, needle, None, true)
}

/// Files this large are not searched whole for an edge in an `edges` list (one search per
/// finding would make `check` on a million-node file take minutes): only the dependent's
/// declaration is.
const WHOLE_EDGE_SEARCH_BYTES: usize = 16 << 20;

/// [`offset`] with the dependent's declaration of an edge already found (`decl`); `whole`:
/// an edge is also looked for in `edges` lists anywhere in the file, not only in its
/// dependent's declaration.
fn offset_in(text: &[u8], needle: &Needle, decl: Option<usize>, whole: bool) -> Option<usize> {
    if needle.text.is_empty() {
        return None;
    }
    // An edge in a `depends_on` list lies just after its dependent's declaration.
    let (from, to) = match (&needle.from, decl) {
        (Some(_), Some(d)) if !whole => (
            line_start(text, d),
            (d + EDGE_CONTEXT_BYTES).min(text.len()),
        ),
        _ => (0, text.len()),
    };
    let in_range = |pat: &[u8]| find(&text[..to], needle, pat, decl, from);
    in_range(needle.text.as_bytes()).or_else(|| {
        if needle.mode == Mode::Text {
            return None;
        }
        spellings(&needle.text)
            .iter()
            .find_map(|s| in_range(s.as_bytes()))
    })
}

/// The `needle.nth` match of `pat` in `text` at or after `from`.
fn find(
    text: &[u8],
    needle: &Needle,
    pat: &[u8],
    decl: Option<usize>,
    from: usize,
) -> Option<usize> {
    let mut seen = 0usize;
    for start in memchr::memmem::find_iter(&text[from.min(text.len())..], pat).map(|p| p + from) {
        // An edge's own checks first: they rule out most matches of a much-used id cheaply.
        if let Some(from) = needle.from.as_deref()
            && !edge_of(text, start, from, decl)
        {
            continue;
        }
        let ok = match needle.mode {
            Mode::Text => true,
            Mode::Named => is_token(text, start, pat.len()) && names_node(text, start, pat.len()),
            Mode::Declaration | Mode::Reference => {
                is_token(text, start, pat.len()) && whole_value(text, start, pat) && {
                    let is_id = after_id_key(text, start);
                    // Only the key's value: what holds it is looked for when it matters.
                    let in_dependency = || context(text, start).holder == Some(b"depends_on");
                    match needle.mode {
                        // An `id` not in a `depends_on` list (where it names a dependency).
                        Mode::Declaration => is_id && !in_dependency(),
                        // A dependency's `id`, or a value of a key that names nodes (or in
                        // a place whose key cannot be told), never `owners` or `paths`.
                        _ => {
                            if is_id {
                                in_dependency()
                            } else {
                                let c = context(text, start);
                                match c.key.or(c.holder) {
                                    Some(k) => REFERENCE_KEYS.contains(&k),
                                    None => true,
                                }
                            }
                        }
                    }
                }
            }
        };
        if ok && !in_comment(text, start) {
            if seen == needle.nth {
                return Some(start);
            }
            seen += 1;
        }
    }
    None
}

/// How far back the declaration holding an edge is looked for (a node with a long list of
/// dependencies, on the error path only).
const EDGE_CONTEXT_BYTES: usize = 256 << 10;

/// The value written after the key that ends at `key_end` (`id = "x"`, `"id": "x"`,
/// `id: x`): its bytes, unquoted (escapes as written).
fn value_after(text: &[u8], key_end: usize) -> Option<(usize, &[u8])> {
    let mut i = key_end;
    if matches!(text.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    let blank = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
    while blank(text.get(i)) {
        i += 1;
    }
    if !matches!(text.get(i), Some(b':' | b'=')) {
        return None;
    }
    i += 1;
    while blank(text.get(i)) {
        i += 1;
    }
    match text.get(i) {
        Some(&q @ (b'"' | b'\'')) => {
            let start = i + 1;
            let mut j = start;
            while j < text.len() && text[j] != q && text[j] != b'\n' {
                j += if text[j] == b'\\' && q == b'"' { 2 } else { 1 };
            }
            Some((start, &text[start..j.min(text.len())]))
        }
        _ => {
            let end = i + text[i..].iter().take_while(|&&b| is_token_byte(b)).count();
            (end > i).then(|| (i, &text[i..end]))
        }
    }
}

/// The value of the nearest `key` before `at` (a whole key, outside comments) for which
/// `keep` holds, with where the value starts.
fn nearest_key_value<'t>(
    text: &'t [u8],
    at: usize,
    floor: usize,
    key: &[u8],
    keep: impl Fn(usize) -> bool,
) -> Option<&'t [u8]> {
    memchr::memmem::rfind_iter(&text[floor..at], key)
        .map(|p| floor + p)
        .filter(|&p| is_key(text, p, key))
        .find_map(|p| value_after(text, p + key.len()).filter(|(v, _)| keep(*v)))
        .map(|(_, v)| v)
}

/// Whether `key`, found at `p`, is a whole token outside a comment (a key, if a value
/// follows it).
fn is_key(text: &[u8], p: usize, key: &[u8]) -> bool {
    is_token(text, p, key.len()) && !in_comment(text, p)
}

/// Whether the `len` bytes at `p` are a whole token: no token byte touches them on either
/// side.
#[inline]
fn is_token(text: &[u8], p: usize, len: usize) -> bool {
    (p == 0 || !is_token_byte(text[p - 1])) && text.get(p + len).is_none_or(|&b| !is_token_byte(b))
}

/// How far back from an `edges` entry's `to` its `from` is looked for.
const ENTRY_BYTES: usize = 4 << 10;

/// Whether the reference at `start` belongs to the dependent `from`, declared at `decl`:
/// as the `to` of an `edges` entry, the entry's `from` (written before it) is `from`; in a
/// `depends_on` list, it lies after `from`'s declaration (within [`EDGE_CONTEXT_BYTES`])
/// and no other declaration comes between.
fn edge_of(text: &[u8], start: usize, from: &str, decl: Option<usize>) -> bool {
    let names =
        |v: &[u8]| v == from.as_bytes() || spellings(from).iter().any(|s| s.as_bytes() == v);
    if line_key(text, start) == Some(b"to") {
        return nearest_key_value(
            text,
            start,
            start.saturating_sub(ENTRY_BYTES),
            b"from",
            |_| true,
        )
        .is_some_and(names);
    }
    let Some(decl) = decl.filter(|&d| d < start && start - d <= EDGE_CONTEXT_BYTES) else {
        return false;
    };
    // From the line of `from`'s own `id` key: the nearest declaration found is `from`'s
    // unless another comes between.
    nearest_key_value(text, start, line_start(text, decl), b"id", |v| {
        v < start && context(text, v).holder != Some(b"depends_on")
    })
    .is_some_and(names)
}

/// The first declaration of each of `ids` in `text`, as the offset of its value, found in
/// one pass over the file's `id` keys (ids written with escapes are not found here).
fn declarations(
    text: &[u8],
    ids: &std::collections::HashSet<&str>,
) -> std::collections::HashMap<String, usize> {
    let mut out = std::collections::HashMap::new();
    for p in memchr::memmem::find_iter(text, b"id") {
        if out.len() == ids.len() {
            break;
        }
        if !is_token(text, p, 2) {
            continue;
        }
        let Some((at, v)) = value_after(text, p + 2) else {
            continue;
        };
        let Ok(v) = std::str::from_utf8(v) else {
            continue;
        };
        if ids.contains(v)
            && !out.contains_key(v)
            && !in_comment(text, p)
            && context(text, at).holder != Some(b"depends_on")
        {
            out.insert(v.to_string(), at);
        }
    }
    out
}

/// At most this many declarations of one edge are looked through for the one of a kind.
const EDGE_KIND_LOOKS: usize = 64;

/// Whether the edge reference at `start` is declared with this kind keyword and `optional`
/// flag: its entry's `kind` and `optional` values, `sync` and `false` when it does not say
/// (a plain id in a `depends_on` list says neither).
fn declares(text: &[u8], start: usize, kind: &str, optional: bool) -> bool {
    let (lo, hi) = entry_span(text, start);
    let value = |key: &[u8]| {
        memchr::memmem::find_iter(&text[lo..hi], key)
            .map(|p| lo + p)
            .filter(|&p| is_key(text, p, key))
            .find_map(|p| value_after(text, p + key.len()))
            .map(|(_, v)| v)
    };
    value(b"kind").unwrap_or(b"sync") == kind.as_bytes()
        && (value(b"optional") == Some(b"true")) == optional
}

/// The bytes of the entry that holds the reference at `start`: the inline table or object
/// around it (`{ id = "b", kind = "async" }`), else, outside any list, its block (a TOML
/// table from its `[[edges]]` header to the next header, or a YAML list item from its `-`
/// to the next line indented as little); a plain id in a list is an entry of its own.
fn entry_span(text: &[u8], start: usize) -> (usize, usize) {
    let line = line_start(text, start);
    let floor = start.saturating_sub(CONTEXT_BYTES);
    // The innermost bracket open at the match, line by line back.
    let mut depth = 0usize;
    let (mut from, mut to) = (line, start);
    let open = 'found: loop {
        for &(i, b) in brackets(text, from, to).iter().rev() {
            match b {
                b']' | b'}' => depth += 1,
                b'[' | b'{' if depth > 0 => depth -= 1,
                b'[' | b'{' => break 'found Some((i, b)),
                _ => {}
            }
        }
        if from == 0 || from <= floor {
            break None;
        }
        to = from - 1;
        from = line_start(text, to);
    };
    match open {
        Some((i, b'{')) => {
            // To its closing brace.
            let end = (i + ENTRY_BYTES).min(text.len());
            let mut depth = 0usize;
            let close = brackets(text, i, end)
                .into_iter()
                .find(|&(_, b)| {
                    match b {
                        b'[' | b'{' => depth += 1,
                        _ => depth -= 1,
                    }
                    depth == 0
                })
                .map_or(end, |(j, _)| j);
            (i, close)
        }
        // A plain id in a list (a TOML `[[edges]]` header is not open here: its line ends
        // before the match).
        Some(_) => (start, start),
        None => block_span(text, start),
    }
}

/// The block entry holding the line at `start` (see [`entry_span`]).
fn block_span(text: &[u8], start: usize) -> (usize, usize) {
    let indent = |l: usize| text[l..].iter().take_while(|&&b| b == b' ').count();
    let first = |l: usize| text.get(l + indent(l)).copied();
    let next_line = |l: usize| memchr::memchr(b'\n', &text[l..]).map(|p| l + p + 1);
    // Back to the entry's first line: a YAML item's `-`, or a TOML table's header.
    let mut lo = line_start(text, start);
    let floor = start.saturating_sub(ENTRY_BYTES);
    while !matches!(first(lo), Some(b'-' | b'[')) && lo > floor && lo > 0 {
        lo = line_start(text, lo - 1);
    }
    let toml = first(lo) == Some(b'[');
    let dash = indent(lo);
    // On to the next entry (or whatever is indented as little as the `-`).
    let mut hi = next_line(lo).unwrap_or(text.len());
    while hi < text.len() && hi - lo < ENTRY_BYTES {
        let blank = matches!(first(hi), None | Some(b'\n' | b'#' | b'\r'));
        let ends = if toml {
            first(hi) == Some(b'[')
        } else {
            !blank && indent(hi) <= dash
        };
        if ends {
            break;
        }
        hi = next_line(hi).unwrap_or(text.len());
    }
    (lo, hi)
}

/// The `to` values of the `edges` entries `from → to` among `pairs`, by pair, in file order,
/// found in one pass over the file's `from` keys (an entry whose `to` comes before its
/// `from` is not found here).
fn edge_entries(
    text: &[u8],
    pairs: &std::collections::HashSet<(&str, &str)>,
) -> std::collections::HashMap<(String, String), Vec<usize>> {
    let froms: std::collections::HashSet<&str> = pairs.iter().map(|p| p.0).collect();
    let mut out: std::collections::HashMap<(String, String), Vec<usize>> =
        std::collections::HashMap::new();
    for p in memchr::memmem::find_iter(text, b"from") {
        let Some((at, from)) = is_token(text, p, 4)
            .then(|| value_after(text, p + 4))
            .flatten()
        else {
            continue;
        };
        let Some(from) = std::str::from_utf8(from).ok().filter(|f| froms.contains(f)) else {
            continue;
        };
        // The entry's `to`: the next `to` key within the entry.
        let end = (at + ENTRY_BYTES).min(text.len());
        let to = memchr::memmem::find_iter(&text[at..end], b"to")
            .map(|q| at + q)
            .filter(|&q| is_token(text, q, 2))
            .find_map(|q| value_after(text, q + 2));
        if let Some((to_at, to)) = to
            && let Ok(to) = std::str::from_utf8(to)
            && pairs.contains(&(from, to))
            && !in_comment(text, to_at)
        {
            out.entry((from.to_string(), to.to_string()))
                .or_default()
                .push(to_at);
        }
    }
    out
}

/// Gives findings that name a file but no line the line of their first node's
/// declaration in that file, or, for a finding about one edge, of the edge (reading each
/// file once, and finding every declaration a file's findings need in one pass over it).
pub(crate) fn fill_lines(findings: &mut [crate::codes::Finding]) {
    fill_lines_searching_whole(findings, WHOLE_EDGE_SEARCH_BYTES)
}

/// [`fill_lines`], searching files up to `whole` bytes whole for each edge (larger ones
/// through one pass over their `edges` entries).
fn fill_lines_searching_whole(findings: &mut [crate::codes::Finding], whole: usize) {
    use crate::codes::Code;
    use std::collections::{BTreeMap, HashMap, HashSet};
    let mut by_file: BTreeMap<std::path::PathBuf, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if let (Some(loc), Some(_)) = (&f.location, f.nodes.first())
            && loc.line.is_none()
        {
            by_file.entry(loc.file.clone()).or_default().push(i);
        }
    }
    for (file, ixs) in by_file {
        let Ok(text) = std::fs::read(&file) else {
            continue;
        };
        let ids: HashSet<&str> = ixs.iter().map(|&i| findings[i].nodes[0].as_str()).collect();
        let decls = declarations(&text, &ids);
        let whole = text.len() <= whole;
        // A large file's `edges` entries, found in one pass rather than per finding.
        let pairs: HashSet<(&str, &str)> = ixs
            .iter()
            .map(|&i| &findings[i])
            .filter(|f| {
                matches!(
                    f.code,
                    Code::SelfLoop | Code::TierInversion | Code::DuplicateEdge
                )
            })
            .map(|f| {
                let from = f.nodes[0].as_str();
                (from, f.nodes.get(1).map_or(from, String::as_str))
            })
            .collect();
        let entries = if whole || pairs.is_empty() {
            HashMap::new()
        } else {
            edge_entries(&text, &pairs)
        };
        let mut found: HashMap<usize, Option<usize>> = HashMap::new();
        for i in ixs {
            let f = &findings[i];
            let id = f.nodes[0].as_str();
            // A discovered source's declaration (an `id` key there is some other value,
            // a label), else a graph file's.
            let decl = if f.discovered {
                offset(&text, &Needle::named(id))
            } else {
                decls
                    .get(id)
                    .copied()
                    .or_else(|| offset(&text, &Needle::declaration(id)))
            };
            // A finding about one edge points at the edge (the second declaration of a
            // repeated one), else at its dependent's declaration.
            let edge = match f.code {
                Code::SelfLoop => Some(Needle::edge(id, id)),
                Code::TierInversion => f.nodes.get(1).map(|to| Needle::edge(id, to)),
                Code::DuplicateEdge => f.nodes.get(1).map(|to| Needle::edge(id, to).nth(1)),
                _ => None,
            };
            // An edge of one kind among several to the same node: its declarations are
            // looked through for the one whose entry declares that kind and flag.
            let wanted = f.edge.filter(|_| f.code == Code::TierInversion);
            let at = match edge {
                Some(e) => {
                    let nth = e.nth;
                    let enough = if wanted.is_some() {
                        EDGE_KIND_LOOKS
                    } else {
                        nth + 1
                    };
                    let mut all: Vec<usize> = (0..enough)
                        .map_while(|k| offset_in(&text, &e.clone().nth(k), decl, whole))
                        .collect();
                    if !whole {
                        // In the dependent's declaration, then in the `edges` entries.
                        let to = f.nodes.get(1).map_or(id, String::as_str);
                        if let Some(v) = entries.get(&(id.to_string(), to.to_string())) {
                            all.extend(v);
                        }
                        all.sort_unstable();
                        all.dedup();
                    }
                    match wanted {
                        Some((kind, optional)) => all
                            .iter()
                            .copied()
                            .find(|&o| declares(&text, o, kind, optional))
                            .or(all.first().copied()),
                        None => all.get(nth).copied(),
                    }
                }
                None => None,
            }
            .or(decl);
            found.insert(i, at);
        }
        // Lines counted in one pass, in offset order (not once from the start per finding).
        let mut at: Vec<(usize, usize)> = found
            .into_iter()
            .filter_map(|(i, o)| o.map(|o| (o, i)))
            .collect();
        at.sort_unstable();
        let (mut line, mut counted) = (1u32, 0usize);
        for (o, i) in at {
            line += memchr::memchr_iter(b'\n', &text[counted..o]).count() as u32;
            counted = o;
            let col = column(&text, o);
            if let Some(loc) = findings[i].location.as_mut() {
                loc.line = Some(line);
                loc.column = Some(col);
            }
        }
    }
}

/// 1-based line and column (in characters) of byte `offset`.
pub(crate) fn line_col(text: &[u8], offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let line = memchr::memchr_iter(b'\n', &text[..offset]).count() + 1;
    (line as u32, column(text, offset))
}

/// 1-based column (in characters) of byte `offset` (at most `text.len()`) on its line; a
/// byte-order mark at the start of the file is not a character of the first line, as the
/// parsers do not count it either.
fn column(text: &[u8], offset: usize) -> u32 {
    let start = line_start(text, offset);
    let line = &text[start..offset];
    let line = if start == 0 {
        super::text::without_bom(line)
    } else {
        line
    };
    String::from_utf8_lossy(line).chars().count() as u32 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An id is matched as a whole value: the `"` opening another id's value is not the
    /// id `"`, and `a` is not the start of the value `"a b"`.
    #[test]
    fn ids_are_matched_as_whole_values() {
        let text = br#"{"nodes": [{"id": "a b"}, {"id": "]]>"}, {"id": "\""}, {"id": "a"}]}"#;
        assert_eq!(locate(text, &Needle::declaration("\"")), Some((1, 50)));
        assert_eq!(locate(text, &Needle::declaration("a")), Some((1, 64)));
        assert_eq!(locate(text, &Needle::declaration("]]>")), Some((1, 35)));
        // Nor is `b` the middle of `"a b c"`, and a string ending in an escaped backslash
        // ends there (a later declaration is still found).
        let mid = br#"{"nodes":[{"id":"x","depends_on":["a b c"]},{"id":"y","depends_on":["b"]}]}"#;
        assert_eq!(locate(mid, &Needle::reference("b")), Some((1, 70)));
        let esc = br#"{"nodes":[{"id":"a\\"},{"id":"b"}]}"#;
        assert_eq!(locate(esc, &Needle::declaration("b")), Some((1, 31)));
        // An apostrophe inside a plain YAML value opens no quote.
        let plain = b"nodes:\n  - id: x\n    owners: [Bob's team]\n  - id: b # it's b\n";
        assert_eq!(locate(plain, &Needle::declaration("b")), Some((4, 9)));
        // Nor is `b` the end of `"a b"` or of `"a\"b"`.
        let refs =
            br#"{"nodes":[{"id":"x","depends_on":["a b", "a\"b"]},{"id":"y","depends_on":["b"]}]}"#;
        assert_eq!(locate(refs, &Needle::reference("b")), Some((1, 76)));
        let yaml = b"nodes:\n  - id: '\"'\n  - id: \"a b\"\n  - id: a\n";
        assert_eq!(locate(yaml, &Needle::declaration("\"")), Some((2, 10)));
        assert_eq!(locate(yaml, &Needle::declaration("a")), Some((4, 9)));
    }

    /// A discovered source's node is found at the object that declares it: a workload or
    /// Service named so (not a ServiceAccount or ConfigMap of the same name, in a file or
    /// a `List`), a Cargo `[package]` with a comment after its header.
    #[test]
    fn discovered_nodes_are_found_at_the_object_that_declares_them() {
        let helm = b"---\nkind: ServiceAccount\nmetadata:\n  name: cart\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: cart\n";
        assert_eq!(locate(helm, &Needle::named("cart")), Some((9, 9)));
        let list = b"kind: List\nitems:\n- kind: ConfigMap\n  metadata:\n    name: cart\n- apiVersion: apps/v1\n  metadata:\n    name: cart\n  kind: Deployment\n";
        assert_eq!(locate(list, &Needle::named("cart")), Some((8, 11)));
        let config_only = b"kind: ConfigMap\nmetadata:\n  name: cart\n";
        assert_eq!(locate(config_only, &Needle::named("cart")), None);
        let cargo = b"[package] # the service\nname = \"alpha\"\n";
        assert_eq!(locate(cargo, &Needle::named("alpha")), Some((2, 9)));
        let compose = b"services:\n  db:\n    depends_on:\n      web:\n        condition: x\n  web:\n    image: y\n";
        assert_eq!(locate(compose, &Needle::named("web")), Some((6, 3)));
    }

    /// A byte-order mark is not a character of the first line: columns there are the
    /// same with or without it.
    #[test]
    fn a_byte_order_mark_does_not_shift_columns() {
        let plain = b"{\"nodes\":[{\"id\":\"a\"}]}\n{}";
        let bom = [b"\xEF\xBB\xBF".as_slice(), plain].concat();
        let at = |text: &[u8], needle: &[u8]| {
            let o = text
                .windows(needle.len())
                .position(|w| w == needle)
                .unwrap();
            line_col(text, o)
        };
        assert_eq!(at(plain, b"\"a\""), (1, 17));
        assert_eq!(at(&bom, b"\"a\""), (1, 17));
        assert_eq!(at(&bom, b"{}"), (2, 1));
    }

    /// Edge findings land on the same lines whether a file is searched whole per finding
    /// or, as large files are, through one pass over its declarations and `edges` entries.
    #[test]
    fn large_files_locate_edges_as_small_ones_do() {
        use crate::codes::{Code, Finding, Location};
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("g.json");
        std::fs::write(
            &file,
            "{\"nodes\": [\n  {\"id\": \"a\", \"tier\": 0,\n   \"depends_on\": [\"b\", {\"id\": \"b\"}]},\n  {\"id\": \"b\", \"tier\": 3,\n   \"depends_on\": [\"c\", \"b\"]},\n  {\"id\": \"c\"}\n],\n \"edges\": [\n  {\"from\": \"c\", \"to\": \"b\"},\n  {\"from\": \"c\",\n   \"to\": \"b\"}\n ]}\n",
        )
        .unwrap();
        let findings = || {
            [
                (Code::SelfLoop, vec!["b"]),
                (Code::TierInversion, vec!["a", "b"]),
                (Code::DuplicateEdge, vec!["a", "b"]),
                (Code::DuplicateEdge, vec!["c", "b"]),
                (Code::NoOwner, vec!["c"]),
            ]
            .into_iter()
            .map(|(code, nodes)| {
                Finding::new(code, String::new())
                    .with_nodes(nodes)
                    .at(Location::file(file.clone()))
            })
            .collect::<Vec<_>>()
        };
        let lines = |whole: usize| {
            let mut f = findings();
            fill_lines_searching_whole(&mut f, whole);
            f.iter()
                .map(|f| f.location.as_ref().and_then(|l| l.line.zip(l.column)))
                .collect::<Vec<_>>()
        };
        let want = vec![
            Some((5, 25)),
            Some((3, 20)),
            Some((3, 32)),
            Some((11, 11)),
            Some((6, 11)),
        ];
        assert_eq!(lines(usize::MAX), want);
        assert_eq!(lines(0), want);

        // An edge of one kind among several to the same node: the entry declaring it.
        let kinds = d.path().join("k.json");
        std::fs::write(
            &kinds,
            "{\"nodes\": [\n  {\"id\": \"a\", \"tier\": 0,\n   \"depends_on\": [{\"id\": \"b\", \"kind\": \"async\"}]},\n  {\"id\": \"b\", \"tier\": 3}\n],\n \"edges\": [\n  {\"from\": \"a\",\n   \"to\": \"b\", \"optional\": true},\n  {\"from\": \"a\", \"to\": \"b\"}\n ]}\n",
        )
        .unwrap();
        let lines = |whole: usize, kind: &'static str, optional: bool| {
            let mut f = vec![
                Finding::new(Code::TierInversion, String::new())
                    .with_nodes(["a", "b"])
                    .about_edge(kind, optional)
                    .at(Location::file(kinds.clone())),
            ];
            fill_lines_searching_whole(&mut f, whole);
            f[0].location.as_ref().and_then(|l| l.line.zip(l.column))
        };
        for whole in [usize::MAX, 0] {
            assert_eq!(lines(whole, "sync", false), Some((9, 24)), "{whole}");
            assert_eq!(lines(whole, "sync", true), Some((8, 11)), "{whole}");
            assert_eq!(lines(whole, "async", false), Some((3, 27)), "{whole}");
        }
    }

    #[test]
    fn finds_declarations_in_each_format() {
        let json = br#"{"nodes":[{"id":"cart"},
{"id": "checkout", "depends_on": ["cart"]}]}"#;
        assert_eq!(locate(json, &Needle::declaration("checkout")), Some((2, 9)));
        assert_eq!(locate(json, &Needle::reference("cart")), Some((2, 36)));
        let toml = b"[[nodes]]\nid = \"cart\"\n[[nodes]]\nid = \"cart\"\n";
        assert_eq!(
            locate(toml, &Needle::declaration("cart").nth(1)),
            Some((4, 7))
        );
        let yaml = b"nodes:\n  - id: cart\n    depends_on: [cartx, cart-db]\n";
        assert_eq!(locate(yaml, &Needle::declaration("cart")), Some((2, 9)));
        assert_eq!(locate(yaml, &Needle::reference("cart")), None);
        assert_eq!(locate(yaml, &Needle::reference("cartx")), Some((3, 18)));
    }

    #[test]
    fn skips_comments_and_finds_escaped_spellings() {
        let yaml = b"# zz is the payment service\nnodes:\n  - id: b\n    depends_on: [zz]  # zz\n";
        assert_eq!(locate(yaml, &Needle::reference("zz")), Some((4, 18)));
        let toml = b"[[nodes]]\nid = \"a#b\" # a#b\n";
        assert_eq!(locate(toml, &Needle::declaration("a#b")), Some((2, 7)));
        let json = br#"{"nodes":[
 {"id":"caf\u00e9"},
 {"id":"q\"uote", "depends_on": ["back\\slash"]}
]}"#;
        assert_eq!(locate(json, &Needle::declaration("café")), Some((2, 9)));
        let upper = br#"{"nodes":[{"id":"Caf\u00E9"}]}"#;
        assert_eq!(locate(upper, &Needle::declaration("Café")), Some((1, 18)));
        assert_eq!(locate(json, &Needle::declaration("q\"uote")), Some((3, 9)));
        assert_eq!(
            locate(json, &Needle::reference("back\\slash")),
            Some((3, 35))
        );
    }

    #[test]
    fn references_are_in_keys_that_name_nodes() {
        // An owner or a path spelt like the missing id is not the reference.
        let yaml = b"nodes:\n  - id: a\n    owners: [zz]\n    paths:\n      - zz\n    depends_on:\n      - kind: async\n        id: zz\n";
        assert_eq!(locate(yaml, &Needle::reference("zz")), Some((8, 13)));
        let yaml = b"nodes:\n  - id: a\n    owners:\n    - zz\n    depends_on:\n    - id: zz\n";
        assert_eq!(locate(yaml, &Needle::reference("zz")), Some((6, 11)));
        let json = br#"{"nodes": [{"id": "a", "owners": ["zz"], "depends_on": [{"id": "zz"}]}]}"#;
        assert_eq!(locate(json, &Needle::reference("zz")), Some((1, 65)));
        let toml = b"[[nodes]]\nid = \"a\"\nowners = [\"zz\"]\ndepends_on = [\n  \"x\",\n  \"zz\",\n]\n[[edges]]\nfrom = \"a\"\nto = \"zz\"\n";
        assert_eq!(locate(toml, &Needle::reference("zz")), Some((6, 4)));
        assert_eq!(locate(toml, &Needle::reference("zz").nth(1)), Some((10, 7)));
        // A dependency's `id` is not a declaration.
        let yaml = b"nodes:\n  - id: b\n    depends_on:\n      - id: a\n  - id: a\n";
        assert_eq!(locate(yaml, &Needle::declaration("a")), Some((5, 9)));
        let json = b"{\"nodes\": [\n {\"id\": \"b\", \"depends_on\": [{\"id\": \"a\"}]},\n {\"id\": \"a\"}]}";
        assert_eq!(locate(json, &Needle::declaration("a")), Some((3, 10)));
    }

    #[test]
    fn holders_are_found_past_comments_quotes_headers_and_odd_spacing() {
        // TOML's array-of-tables form of `depends_on`.
        let toml =
            b"[[nodes]]\nid = \"b\"\n[[nodes.depends_on]]\nid = \"zz\"\n[[nodes]]\nid = \"zz\"\n";
        assert_eq!(locate(toml, &Needle::reference("zz")), Some((4, 7)));
        assert_eq!(locate(toml, &Needle::declaration("zz")), Some((6, 7)));
        // A bracket in a comment or inside quotes is not a list.
        let yaml = b"# TODO [retire\nnodes:\n  - id: b\n    depends_on:\n      - id: zz\n";
        assert_eq!(locate(yaml, &Needle::reference("zz")), Some((5, 13)));
        let json = br#"{"nodes": [{"id": "b", "depends_on": ["y]", "zz"]}]}"#;
        assert_eq!(locate(json, &Needle::reference("zz")), Some((1, 46)));
        // An item whose content starts further in, and CRLF line ends.
        let yaml = b"nodes:\r\n  - id: b\r\n    depends_on:\r\n\r\n      -   kind: async\r\n          id: zz\r\n";
        assert_eq!(locate(yaml, &Needle::reference("zz")), Some((6, 15)));
        assert_eq!(locate(yaml, &Needle::declaration("zz")), None);
    }

    #[test]
    fn does_not_match_inside_longer_ids_or_other_keys() {
        let toml = b"[[nodes]]\nid = \"pay\"\nmyid = \"payment\"\nto = \"pay\"\n";
        assert_eq!(locate(toml, &Needle::declaration("payment")), None);
        assert_eq!(locate(toml, &Needle::reference("pay")), Some((4, 7)));
    }
}
