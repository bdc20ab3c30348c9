//! A layered (Sugiyama-style) layout in pure Rust, for pictures drawn without Graphviz:
//! the SVG writer draws it and the HTML explorer starts from it.
//!
//! Edges point from a dependent to its dependency, so dependents sit above what they depend
//! on (customer entry points at the top, shared libraries and datastores at the bottom).
//!
//! The steps, each deterministic (ties broken by input order, which is id order):
//!
//! 1. **Clusters** (a service and its modules) are laid out first, on their own, and then
//!    take part in the outer layout as one block, so a cluster box never overlaps a node
//!    outside it.
//! 2. **Cycles** are broken by reversing the back edges of a depth-first search; reversed
//!    edges are drawn pointing up.
//! 3. **Layers**: longest path from the sources (a node sits one layer below the lowest
//!    of its dependents).
//! 4. Edges that span several layers get **dummy nodes**, one per layer crossed, so they are
//!    routed between the nodes instead of through them.
//! 5. **Crossing reduction**: barycentric ordering, sweeping down and up, keeping the order
//!    with the fewest crossings (counted exactly, with a Fenwick tree).
//! 6. **Coordinates**: each node is pulled towards the mean position of its neighbours
//!    while keeping the order and the minimum spacing (isotonic regression by pool-adjacent-
//!    violators), a few sweeps down and up.
//!
//! Complexity: O(I · (V + D + E log V)) for V nodes, D dummy nodes and I = 24 sweeps.
//!
//! Nodes never overlap: within a layer they are at least [`H_GAP`] apart, and layers are
//! stacked with [`V_GAP`] between them.
//!
//! Routes never run through a box: a route goes straight down (or up) through its own
//! row, through each crossed row in its dummy's slot, and curves only in the gaps between
//! rows (the SVG draws each step as a curve leaving and arriving vertically, which stays
//! within the two points' span). An edge leaving or entering a cluster member crosses the
//! cluster's other rows at the free x nearest its path ([`escape`]).

/// Horizontal space between two nodes of a layer.
pub const H_GAP: f64 = 28.0;
/// Vertical space between two layers.
pub const V_GAP: f64 = 56.0;
/// Horizontal space reserved for an edge passing through a layer.
const DUMMY_WIDTH: f64 = 8.0;
/// Padding inside a cluster box.
pub const CLUSTER_PAD: f64 = 14.0;
/// Room for a cluster's label above its content.
pub const CLUSTER_LABEL: f64 = 20.0;

/// A rectangle: top-left corner and size.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    /// The horizontal centre.
    pub fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
    /// The vertical centre.
    pub fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
    /// Whether two rectangles overlap (touching edges do not count).
    pub fn intersects(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
    fn shift(self, dx: f64, dy: f64) -> Rect {
        Rect {
            x: self.x + dx,
            y: self.y + dy,
            ..self
        }
    }
}

/// A laid-out picture.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// One rectangle per node, in input order.
    pub nodes: Vec<Rect>,
    /// One route per edge, in input order: points from the dependent to the dependency.
    pub edges: Vec<Vec<(f64, f64)>>,
    /// One box per cluster, in input order.
    pub clusters: Vec<Rect>,
    /// Total width.
    pub width: f64,
    /// Total height.
    pub height: f64,
}

/// Lays out `sizes.len()` nodes of the given (width, height), `edges` between them
/// (`(from, to)`: from is drawn above to), and `clusters` (disjoint sets of nodes drawn in
/// one box each).
pub fn layout(sizes: &[(f64, f64)], edges: &[(usize, usize)], clusters: &[Vec<usize>]) -> Layout {
    let n = sizes.len();
    // Units: a cluster is one unit, every other node its own.
    let mut unit_of = vec![usize::MAX; n];
    let mut unit_members: Vec<Vec<usize>> = Vec::new();
    for c in clusters {
        let u = unit_members.len();
        for &m in c {
            unit_of[m] = u;
        }
        unit_members.push(c.clone());
    }
    let first_single = unit_members.len();
    for (v, u) in unit_of.iter_mut().enumerate() {
        if *u == usize::MAX {
            *u = unit_members.len();
            unit_members.push(vec![v]);
        }
    }
    // Inner layouts of clusters: positions relative to the unit's top-left.
    let mut rel = vec![Rect::default(); n];
    let mut unit_size = Vec::with_capacity(unit_members.len());
    let mut inner_routes: Vec<Option<Vec<(f64, f64)>>> = vec![None; edges.len()];
    for (u, members) in unit_members.iter().enumerate() {
        if u >= first_single {
            rel[members[0]] = Rect {
                x: 0.0,
                y: 0.0,
                w: sizes[members[0]].0,
                h: sizes[members[0]].1,
            };
            unit_size.push(sizes[members[0]]);
            continue;
        }
        let local: std::collections::HashMap<usize, usize> =
            members.iter().enumerate().map(|(i, &m)| (m, i)).collect();
        let msizes: Vec<(f64, f64)> = members.iter().map(|&m| sizes[m]).collect();
        let mut medges = Vec::new();
        let mut which = Vec::new();
        for (i, &(a, b)) in edges.iter().enumerate() {
            if let (Some(&la), Some(&lb)) = (local.get(&a), local.get(&b)) {
                medges.push((la, lb));
                which.push(i);
            }
        }
        let inner = layered(&msizes, &medges);
        let (dx, dy) = (CLUSTER_PAD, CLUSTER_PAD + CLUSTER_LABEL);
        for (i, &m) in members.iter().enumerate() {
            rel[m] = inner.nodes[i].shift(dx, dy);
        }
        for (k, &i) in which.iter().enumerate() {
            inner_routes[i] = Some(
                inner.edges[k]
                    .iter()
                    .map(|&(x, y)| (x + dx, y + dy))
                    .collect(),
            );
        }
        unit_size.push((
            inner.width + 2.0 * CLUSTER_PAD,
            inner.height + 2.0 * CLUSTER_PAD + CLUSTER_LABEL,
        ));
    }
    // The outer layout over units.
    let mut uedges: Vec<(usize, usize)> = Vec::new();
    let mut uedge_of = vec![usize::MAX; edges.len()];
    {
        let mut seen = std::collections::HashMap::new();
        for (i, &(a, b)) in edges.iter().enumerate() {
            let (ua, ub) = (unit_of[a], unit_of[b]);
            if ua == ub {
                continue;
            }
            let k = *seen.entry((ua, ub)).or_insert_with(|| {
                uedges.push((ua, ub));
                uedges.len() - 1
            });
            uedge_of[i] = k;
        }
    }
    let outer = layered(&unit_size, &uedges);
    const MARGIN: f64 = 0.0;
    let mut out = Layout {
        nodes: vec![Rect::default(); n],
        edges: vec![Vec::new(); edges.len()],
        clusters: Vec::with_capacity(clusters.len()),
        width: outer.width + 2.0 * MARGIN,
        height: outer.height + 2.0 * MARGIN,
    };
    for (u, members) in unit_members.iter().enumerate() {
        let r = outer.nodes[u].shift(MARGIN, MARGIN);
        if u < first_single {
            out.clusters.push(r);
        }
        for &m in members {
            out.nodes[m] = rel[m].shift(r.x, r.y);
        }
    }
    // Parallel edges between the same two units fan out a little.
    let mut parallel: std::collections::HashMap<(usize, usize), Vec<usize>> =
        std::collections::HashMap::new();
    for (i, &(a, b)) in edges.iter().enumerate() {
        if uedge_of[i] != usize::MAX {
            parallel.entry((a.min(b), a.max(b))).or_default().push(i);
        }
    }
    for (i, &(a, b)) in edges.iter().enumerate() {
        if let Some(route) = &inner_routes[i] {
            let base = outer.nodes[unit_of[a]].shift(MARGIN, MARGIN);
            out.edges[i] = route
                .iter()
                .map(|&(x, y)| (x + base.x, y + base.y))
                .collect();
            continue;
        }
        if a == b {
            // A self-loop: a small loop on the right side.
            let r = out.nodes[a];
            let (x, y) = (r.x + r.w, r.cy());
            out.edges[i] = vec![
                (x - 6.0, r.y),
                (x + 18.0, y - 6.0),
                (x + 18.0, y + 6.0),
                (x - 6.0, r.y + r.h),
            ];
            continue;
        }
        let k = uedge_of[i];
        let siblings = &parallel[&(a.min(b), a.max(b))];
        let pos = siblings.iter().position(|&j| j == i).unwrap_or(0) as f64;
        let (ra, rb) = (out.nodes[a], out.nodes[b]);
        // Fan out by 6 px, squeezed to stay on the narrower node.
        let room = ((ra.w.min(rb.w) / 2.0 - 4.0) / siblings.len() as f64 * 2.0).max(0.0);
        let fan = (pos - (siblings.len() as f64 - 1.0) / 2.0) * room.min(6.0);
        let (ua, ub) = (unit_of[a], unit_of[b]);
        let downward = outer.nodes[ua].y < outer.nodes[ub].y;
        // Out of a's unit (past the rows of its cluster below or above it), along the
        // outer route between the units' rows, into b's unit (past the rows before b).
        let exit = escape(
            &out.nodes,
            &unit_members[ua],
            a,
            unit_box(&out, ua),
            fan,
            downward,
        );
        let mut entry = escape(
            &out.nodes,
            &unit_members[ub],
            b,
            unit_box(&out, ub),
            fan,
            !downward,
        );
        entry.reverse();
        let route = &outer.edges[k];
        // Within a crossed row the fan stays in the edge's slot: a box beside it is at
        // least DUMMY_WIDTH / 2 + H_GAP / 2 = 18 px away.
        let slot_fan = fan.clamp(-SLOT_FAN, SLOT_FAN);
        let mut mids: Vec<(f64, f64)> = route[1..route.len() - 1]
            .iter()
            .map(|&(x, y)| (x + MARGIN + slot_fan, y + MARGIN))
            .collect();
        // The first and last outer points sit below (or above) the units themselves, where
        // nothing else is: they move to where the route leaves and enters them.
        if let (Some(first), Some(&(x, _))) = (mids.first_mut(), exit.last()) {
            first.0 = x;
        }
        if let (Some(last), Some(&(x, _))) = (mids.last_mut(), entry.first()) {
            last.0 = x;
        }
        let mut pts = exit;
        pts.extend(mids);
        pts.extend(entry);
        out.edges[i] = pts;
    }
    for route in &mut out.edges {
        route.dedup();
    }
    out
}

/// The box of unit `u` in a finished layout: its cluster's, or its one node's.
fn unit_box(out: &Layout, u: usize) -> Rect {
    out.clusters.get(u).copied().unwrap_or_default()
}

/// How far parallel edges fan out from the middle of the slot they cross a row in.
const SLOT_FAN: f64 = 10.0;

/// Room kept free around a box a route passes by (a customer-facing node's second border
/// is drawn 4 px outside its box).
const CLEARANCE: f64 = 6.0;

/// The route from node `m`'s box out of its unit (`members`, boxed in `unit` when it is a
/// cluster, else `Rect::default()`): from the middle of its bottom (`down`) or top, shifted
/// by `fan`, straight through its own row, then through each row of the unit beyond it at
/// the free x nearest the one it comes from, to the unit's edge. Between rows the curves
/// stay in the gaps, where no box is.
fn escape(
    nodes: &[Rect],
    members: &[usize],
    m: usize,
    unit: Rect,
    fan: f64,
    down: bool,
) -> Vec<(f64, f64)> {
    let r = nodes[m];
    let mut x = r.cx() + fan;
    let mut pts = vec![(x, if down { r.y + r.h } else { r.y })];
    if members.len() < 2 {
        return pts;
    }
    // The unit's rows: members centred on the same line.
    let mut rows: Vec<(f64, f64, Vec<Rect>)> = Vec::new();
    let mut sorted: Vec<Rect> = members.iter().map(|&v| nodes[v]).collect();
    sorted.sort_by(|p, q| p.cy().total_cmp(&q.cy()));
    for b in sorted {
        match rows.last_mut() {
            Some(row) if (row.2[0].cy() - b.cy()).abs() < 1e-6 => {
                row.0 = row.0.min(b.y);
                row.1 = row.1.max(b.y + b.h);
                row.2.push(b);
            }
            _ => rows.push((b.y, b.y + b.h, vec![b])),
        }
    }
    let own = rows
        .iter()
        .position(|row| (row.2[0].cy() - r.cy()).abs() < 1e-6)
        .unwrap_or(0);
    let beyond: Vec<&(f64, f64, Vec<Rect>)> = if down {
        pts.push((x, rows[own].1));
        rows[own + 1..].iter().collect()
    } else {
        pts.push((x, rows[own].0));
        rows[..own].iter().rev().collect()
    };
    for (top, bottom, boxes) in beyond {
        x = free_x(boxes, x, unit);
        if down {
            pts.push((x, *top));
            pts.push((x, *bottom));
        } else {
            pts.push((x, *bottom));
            pts.push((x, *top));
        }
    }
    pts.push((x, if down { unit.y + unit.h } else { unit.y }));
    pts
}

/// The x nearest `x` inside `unit` that passes no box of a row (with [`CLEARANCE`]); the
/// unit's padding on either side is always free.
fn free_x(boxes: &[Rect], x: f64, unit: Rect) -> f64 {
    let (lo, hi) = (unit.x + 3.0, unit.x + unit.w - 3.0);
    let blocked: Vec<(f64, f64)> = boxes
        .iter()
        .map(|b| (b.x - CLEARANCE, b.x + b.w + CLEARANCE))
        .collect();
    let free = |x: f64| x >= lo && x <= hi && blocked.iter().all(|&(a, b)| x <= a || x >= b);
    if free(x) {
        return x;
    }
    // The nearest free x is an end of a blocked span, or of the unit.
    blocked
        .iter()
        .flat_map(|&(a, b)| [a, b])
        .chain([lo, hi])
        .filter(|&c| free(c))
        .min_by(|p, q| (p - x).abs().total_cmp(&(q - x).abs()).then(p.total_cmp(q)))
        .unwrap_or(lo)
}

/// The layered layout of a graph without clusters. Routes run from `from` to `to`.
fn layered(sizes: &[(f64, f64)], edges: &[(usize, usize)]) -> Layout {
    let n = sizes.len();
    if n == 0 {
        return Layout::default();
    }
    // 1. Break cycles: reverse DFS back edges; drop self-loops and duplicates.
    let mut out_adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges {
        if a != b {
            out_adj[a].push(b);
        }
    }
    let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
    let mut back = std::collections::HashSet::new();
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some(&mut (v, ref mut i)) = stack.last_mut() {
            if *i < out_adj[v].len() {
                let u = out_adj[v][*i];
                *i += 1;
                match state[u] {
                    0 => {
                        state[u] = 1;
                        stack.push((u, 0));
                    }
                    1 => {
                        back.insert((v, u));
                    }
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    // The acyclic edge list (upper, lower), deduplicated.
    let mut dag: Vec<(usize, usize)> = edges
        .iter()
        .filter(|&&(a, b)| a != b)
        .map(|&(a, b)| {
            if back.contains(&(a, b)) {
                (b, a)
            } else {
                (a, b)
            }
        })
        .collect();
    dag.sort_unstable();
    dag.dedup();
    // 2. Layers: longest path from the sources (Kahn's order).
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indeg = vec![0usize; n];
    for &(a, b) in &dag {
        succ[a].push(b);
        indeg[b] += 1;
    }
    let mut layer = vec![0usize; n];
    let mut ready: std::collections::VecDeque<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
    while let Some(v) = ready.pop_front() {
        for &u in &succ[v] {
            layer[u] = layer[u].max(layer[v] + 1);
            indeg[u] -= 1;
            if indeg[u] == 0 {
                ready.push_back(u);
            }
        }
    }
    let layers_n = layer.iter().max().map_or(0, |m| m + 1);
    // 3. Dummy nodes: vertex ids n.. are dummies; each DAG edge becomes a chain.
    let mut width: Vec<f64> = sizes.iter().map(|s| s.0).collect();
    let mut vlayer = layer.clone();
    let mut chains: std::collections::HashMap<(usize, usize), Vec<usize>> =
        std::collections::HashMap::new();
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in &dag {
        let mut chain = vec![a];
        for l in layer[a] + 1..layer[b] {
            let d = width.len();
            width.push(DUMMY_WIDTH);
            vlayer.push(l);
            up.push(Vec::new());
            down.push(Vec::new());
            chain.push(d);
        }
        chain.push(b);
        for w in chain.windows(2) {
            down[w[0]].push(w[1]);
            up[w[1]].push(w[0]);
        }
        chains.insert((a, b), chain);
    }
    let total = width.len();
    // 4. Initial order: by a depth-first walk from the sources, so related nodes start
    //    together.
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); layers_n];
    {
        let mut placed = vec![false; total];
        let roots: Vec<usize> = (0..n).filter(|&v| up[v].is_empty()).collect();
        let mut stack: Vec<usize> = roots.into_iter().rev().collect();
        while let Some(v) = stack.pop() {
            if placed[v] {
                continue;
            }
            placed[v] = true;
            layers[vlayer[v]].push(v);
            for &u in down[v].iter().rev() {
                if !placed[u] {
                    stack.push(u);
                }
            }
        }
        for v in 0..total {
            if !placed[v] {
                layers[vlayer[v]].push(v);
            }
        }
    }
    let mut pos = vec![0usize; total];
    let set_pos = |layers: &Vec<Vec<usize>>, pos: &mut Vec<usize>| {
        for l in layers {
            for (i, &v) in l.iter().enumerate() {
                pos[v] = i;
            }
        }
    };
    set_pos(&layers, &mut pos);
    // 5. Crossing reduction.
    let mut best = layers.clone();
    let mut best_cross = crossings(&layers, &down, &pos);
    for iter in 0..24 {
        if best_cross == 0 {
            break;
        }
        let downward = iter % 2 == 0;
        let order: Vec<usize> = if downward {
            (1..layers_n).collect()
        } else {
            (0..layers_n.saturating_sub(1)).rev().collect()
        };
        for l in order {
            let refs = if downward { &up } else { &down };
            let mut keyed: Vec<(f64, usize, usize)> = layers[l]
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let r = &refs[v];
                    let b = if r.is_empty() {
                        i as f64
                    } else {
                        r.iter().map(|&u| pos[u] as f64).sum::<f64>() / r.len() as f64
                    };
                    (b, i, v)
                })
                .collect();
            // Nodes without neighbours keep their place: scale their key to the same range.
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            layers[l] = keyed.into_iter().map(|k| k.2).collect();
            for (i, &v) in layers[l].iter().enumerate() {
                pos[v] = i;
            }
        }
        let c = crossings(&layers, &down, &pos);
        if c < best_cross {
            best_cross = c;
            best = layers.clone();
        }
    }
    let layers = best;
    set_pos(&layers, &mut pos);
    // 6. Coordinates.
    let mut x = vec![0.0f64; total];
    for l in &layers {
        let mut cur = 0.0;
        for (i, &v) in l.iter().enumerate() {
            if i > 0 {
                cur += sep(&width, l[i - 1], v);
            }
            x[v] = cur;
        }
    }
    for iter in 0..12 {
        let pass: Vec<(usize, u8)> = match iter % 3 {
            0 => (1..layers_n).map(|l| (l, 0)).collect(),
            1 => (0..layers_n.saturating_sub(1))
                .rev()
                .map(|l| (l, 1))
                .collect(),
            _ => (0..layers_n).map(|l| (l, 2)).collect(),
        };
        for (l, which) in pass {
            let desired: Vec<f64> = layers[l]
                .iter()
                .map(|&v| {
                    let nb: Vec<usize> = match which {
                        0 => up[v].clone(),
                        1 => down[v].clone(),
                        _ => up[v].iter().chain(&down[v]).copied().collect(),
                    };
                    if nb.is_empty() {
                        x[v]
                    } else {
                        nb.iter().map(|&u| x[u]).sum::<f64>() / nb.len() as f64
                    }
                })
                .collect();
            let placed = isotonic(&layers[l], &desired, &width);
            for (&v, xv) in layers[l].iter().zip(placed) {
                x[v] = xv;
            }
        }
    }
    // Normalise: the leftmost left edge at 0.
    let min_left = (0..total)
        .map(|v| x[v] - width[v] / 2.0)
        .fold(f64::INFINITY, f64::min);
    for xv in &mut x {
        *xv -= min_left;
    }
    let max_right = (0..total)
        .map(|v| x[v] + width[v] / 2.0)
        .fold(0.0f64, f64::max);
    // Vertical: each layer as tall as its tallest node; nodes centred in their row.
    let mut row_h = vec![0.0f64; layers_n];
    for v in 0..n {
        row_h[layer[v]] = row_h[layer[v]].max(sizes[v].1);
    }
    let mut row_y = vec![0.0f64; layers_n];
    for l in 1..layers_n {
        row_y[l] = row_y[l - 1] + row_h[l - 1] + V_GAP;
    }
    let height = row_y[layers_n - 1] + row_h[layers_n - 1];
    let nodes: Vec<Rect> = (0..n)
        .map(|v| Rect {
            x: x[v] - sizes[v].0 / 2.0,
            y: row_y[layer[v]] + (row_h[layer[v]] - sizes[v].1) / 2.0,
            w: sizes[v].0,
            h: sizes[v].1,
        })
        .collect();
    let routes = edges
        .iter()
        .map(|&(a, b)| {
            if a == b {
                let r = nodes[a];
                return vec![
                    (r.x + r.w - 6.0, r.y),
                    (r.x + r.w + 18.0, r.cy()),
                    (r.x + r.w - 6.0, r.y + r.h),
                ];
            }
            let reversed = back.contains(&(a, b));
            let (hi, lo) = if reversed { (b, a) } else { (a, b) };
            let chain = &chains[&(hi, lo)];
            // Down the dependent's row to its bottom, through each crossed row in the
            // dummy's slot (straight down: nothing else is in it), into the dependency's
            // row from its top: the curves between rows stay in the gaps between rows,
            // where no box is, so a route never runs through a box.
            let band = |l: usize| (row_y[l], row_y[l] + row_h[l]);
            let mut pts: Vec<(f64, f64)> = Vec::with_capacity(2 * chain.len() + 2);
            pts.push((nodes[hi].cx(), nodes[hi].y + nodes[hi].h));
            pts.push((nodes[hi].cx(), band(layer[hi]).1));
            for &d in &chain[1..chain.len() - 1] {
                let (top, bottom) = band(vlayer[d]);
                pts.push((x[d], top));
                pts.push((x[d], bottom));
            }
            pts.push((nodes[lo].cx(), band(layer[lo]).0));
            pts.push((nodes[lo].cx(), nodes[lo].y));
            if reversed {
                pts.reverse();
            }
            pts
        })
        .collect();
    Layout {
        nodes,
        edges: routes,
        clusters: Vec::new(),
        width: max_right,
        height,
    }
}

/// Minimum distance between the centres of two neighbours in a layer.
fn sep(width: &[f64], a: usize, b: usize) -> f64 {
    let gap = if width[a] <= DUMMY_WIDTH || width[b] <= DUMMY_WIDTH {
        H_GAP / 2.0
    } else {
        H_GAP
    };
    (width[a] + width[b]) / 2.0 + gap
}

/// Positions as close as possible (least squares) to `desired`, keeping the order of
/// `layer` and the minimum spacing: pool-adjacent-violators on `x - offset`.
fn isotonic(layer: &[usize], desired: &[f64], width: &[f64]) -> Vec<f64> {
    let k = layer.len();
    let mut offset = vec![0.0; k];
    for i in 1..k {
        offset[i] = offset[i - 1] + sep(width, layer[i - 1], layer[i]);
    }
    // Blocks of (mean, count).
    let mut blocks: Vec<(f64, usize)> = Vec::with_capacity(k);
    for i in 0..k {
        let mut b = (desired[i] - offset[i], 1usize);
        while let Some(&(m, c)) = blocks.last() {
            if m > b.0 {
                blocks.pop();
                let total = c + b.1;
                b = ((m * c as f64 + b.0 * b.1 as f64) / total as f64, total);
            } else {
                break;
            }
        }
        blocks.push(b);
    }
    let mut out = Vec::with_capacity(k);
    let mut i = 0;
    for (m, c) in blocks {
        for _ in 0..c {
            out.push(m + offset[i]);
            i += 1;
        }
    }
    out
}

/// Total edge crossings between consecutive layers.
fn crossings(layers: &[Vec<usize>], down: &[Vec<usize>], pos: &[usize]) -> u64 {
    let mut total = 0u64;
    for l in 0..layers.len().saturating_sub(1) {
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        for &v in &layers[l] {
            for &u in &down[v] {
                pairs.push((pos[v], pos[u]));
            }
        }
        pairs.sort_unstable();
        let size = layers[l + 1].len() + 1;
        let mut tree = vec![0u64; size + 1];
        for (seen, &(_, p)) in pairs.iter().enumerate() {
            let seen = seen as u64;
            // Count earlier edges whose lower end is strictly to the right of p.
            let mut i = p + 1;
            let mut le = 0u64;
            while i > 0 {
                le += tree[i];
                i &= i - 1;
            }
            total += seen - le;
            let mut i = p + 1;
            while i <= size {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_overlaps(l: &Layout) {
        for i in 0..l.nodes.len() {
            for j in i + 1..l.nodes.len() {
                assert!(
                    !l.nodes[i].intersects(&l.nodes[j]),
                    "nodes {i} and {j} overlap: {:?} {:?}",
                    l.nodes[i],
                    l.nodes[j]
                );
            }
        }
    }

    #[test]
    fn a_chain_stacks_top_down() {
        let sizes = vec![(60.0, 30.0); 3];
        let l = layout(&sizes, &[(0, 1), (1, 2)], &[]);
        assert!(l.nodes[0].y < l.nodes[1].y && l.nodes[1].y < l.nodes[2].y);
        assert_eq!(l.nodes[0].cx(), l.nodes[2].cx());
        assert_eq!(l.edges[0].len(), 2);
    }

    #[test]
    fn long_edges_get_bends_and_cycles_are_drawn() {
        let sizes = vec![(60.0, 30.0); 4];
        let l = layout(&sizes, &[(0, 1), (1, 2), (0, 2), (2, 0), (3, 3)], &[]);
        no_overlaps(&l);
        assert_eq!(
            l.edges[2].len(),
            4,
            "0 → 2 spans two layers, straight through the middle one: {:?}",
            l.edges[2]
        );
        // The back edge 2 → 0 starts at 2 and ends at 0.
        let r = &l.edges[3];
        assert!(r[0].1 < l.nodes[2].y + 1.0 && r.last().unwrap().1 > l.nodes[0].y);
    }

    #[test]
    fn clusters_contain_their_members_and_nothing_else() {
        let sizes = vec![(80.0, 30.0); 6];
        let edges = [(0, 1), (1, 2), (1, 3), (4, 2), (3, 5), (0, 5)];
        let clusters = vec![vec![1, 3]];
        let l = layout(&sizes, &edges, &clusters);
        no_overlaps(&l);
        let c = l.clusters[0];
        for v in 0..6 {
            let inside = c.intersects(&l.nodes[v]);
            assert_eq!(inside, v == 1 || v == 3, "node {v} vs cluster {c:?}");
        }
    }

    #[test]
    fn crossings_are_counted() {
        // Two layers, edges 0→3 and 1→2 cross when the lower layer is [2, 3].
        let layers = vec![vec![0, 1], vec![2, 3]];
        let down = vec![vec![3], vec![2], vec![], vec![]];
        let pos = vec![0, 1, 0, 1];
        assert_eq!(crossings(&layers, &down, &pos), 1);
    }

    fn near(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    /// Points along a route as the SVG draws it: between two points, a cubic curve leaving
    /// the first and reaching the second vertically (see `svg::curve`).
    fn samples(route: &[(f64, f64)]) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        for w in route.windows(2) {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            let my = (y1 - y0) / 2.0;
            let (c0, c1) = ((x0, y0 + my), (x1, y1 - my));
            for i in 0..=32 {
                let t = i as f64 / 32.0;
                let u = 1.0 - t;
                let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
                out.push((
                    a * x0 + b * c0.0 + c * c1.0 + d * x1,
                    a * y0 + b * c0.1 + c * c1.1 + d * y1,
                ));
            }
        }
        out
    }

    /// The first box (other than a self-loop's own) a drawn route runs through, if any.
    fn crossed_box(l: &Layout, edges: &[(usize, usize)]) -> Option<(usize, usize)> {
        for (i, &(a, b)) in edges.iter().enumerate() {
            if a == b {
                continue;
            }
            for (x, y) in samples(&l.edges[i]) {
                for (v, r) in l.nodes.iter().enumerate() {
                    if x > r.x + 0.5 && x < r.x + r.w - 0.5 && y > r.y + 0.5 && y < r.y + r.h - 0.5
                    {
                        return Some((i, v));
                    }
                }
            }
        }
        None
    }

    #[test]
    fn routes_leave_a_cluster_between_its_members() {
        // 0 is a service above its modules 1 and 2; its edge to 3, outside and below the
        // cluster, must not run through module 1 drawn under it.
        let sizes = vec![(80.0, 30.0); 4];
        let edges = [(0, 1), (0, 2), (1, 2), (0, 3), (3, 3)];
        let l = layout(&sizes, &edges, &[vec![0, 1, 2]]);
        no_overlaps(&l);
        assert_eq!(crossed_box(&l, &edges), None, "{:?}", l.edges);
    }

    proptest::proptest! {
        // Failures are kept beside this file (`layout.proptest-regressions`).
        #![proptest_config(proptest::test_runner::Config {
            failure_persistence: Some(Box::new(
                proptest::test_runner::FileFailurePersistence::SourceParallel("proptest-regressions"),
            )),
            ..proptest::test_runner::Config::default()
        })]

        /// Random graphs (cycles, self-loops, parallel edges) with random clusters: no two
        /// nodes overlap, a cluster box holds its members and no other node, and every route
        /// starts on its dependent's box and ends on its dependency's.
        #[test]
        fn layouts_never_overlap(
            sizes in proptest::collection::vec((20.0f64..200.0, 20.0f64..60.0), 1..40),
            raw_edges in proptest::collection::vec((0usize..40, 0usize..40), 0..80),
            cluster_seed in proptest::collection::vec(0usize..6, 40),
        ) {
            let n = sizes.len();
            let edges: Vec<(usize, usize)> = raw_edges.iter().map(|&(a, b)| (a % n, b % n)).collect();
            // Nodes with the same non-zero seed share a cluster (clusters of 2+ only).
            let mut clusters: Vec<Vec<usize>> = Vec::new();
            for c in 1..6 {
                let members: Vec<usize> = (0..n).filter(|&v| cluster_seed[v] == c).collect();
                if members.len() >= 2 {
                    clusters.push(members);
                }
            }
            let l = layout(&sizes, &edges, &clusters);
            no_overlaps(&l);
            for (c, b) in clusters.iter().zip(&l.clusters) {
                for v in 0..n {
                    let r = l.nodes[v];
                    let inside = r.x >= b.x && r.y >= b.y && r.x + r.w <= b.x + b.w && r.y + r.h <= b.y + b.h;
                    proptest::prop_assert_eq!(inside, c.contains(&v), "node {} vs cluster {:?}", v, c);
                    if !c.contains(&v) {
                        proptest::prop_assert!(!b.intersects(&r));
                    }
                }
            }
            for (i, &(a, b)) in edges.iter().enumerate() {
                let route = &l.edges[i];
                proptest::prop_assert!(route.len() >= 2);
                if a == b {
                    continue;
                }
                let (ra, rb) = (l.nodes[a], l.nodes[b]);
                let (s, e) = (route[0], *route.last().unwrap());
                proptest::prop_assert!(near(s.1, ra.y) || near(s.1, ra.y + ra.h), "edge {} starts off its node", i);
                proptest::prop_assert!(s.0 >= ra.x - 20.0 && s.0 <= ra.x + ra.w + 20.0);
                proptest::prop_assert!(near(e.1, rb.y) || near(e.1, rb.y + rb.h), "edge {} ends off its node", i);
                proptest::prop_assert!(e.0 >= rb.x - 20.0 && e.0 <= rb.x + rb.w + 20.0);
                for p in route {
                    proptest::prop_assert!(p.0.is_finite() && p.1.is_finite());
                }
            }
            proptest::prop_assert!(l.width.is_finite() && l.height.is_finite());
            // No drawn route runs through a box.
            proptest::prop_assert_eq!(crossed_box(&l, &edges), None);
        }
    }

    #[test]
    fn isotonic_keeps_spacing() {
        let width = vec![20.0, 20.0, 20.0];
        let x = isotonic(&[0, 1, 2], &[0.0, 0.0, 0.0], &width);
        assert!(x[1] - x[0] >= 20.0 + H_GAP - 1e-9 && x[2] - x[1] >= 20.0 + H_GAP - 1e-9);
        assert!((x[1]).abs() < 1e-9, "centred on the desired point: {x:?}");
    }
}
