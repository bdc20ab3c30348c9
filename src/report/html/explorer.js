// The blast-radius explorer. Reads the picture that `blast` embedded as JSON (nodes with
// their positions from blast's own layout, edges with their strengths under the policy,
// and for impact pictures each node's risk, distance, strength and path) and draws it with
// cytoscape.js. Every piece of data reaches the page through textContent, never innerHTML.
(function () {
  'use strict';

  var t0 = performance.now();
  var data = JSON.parse(document.getElementById('blast-data').textContent);
  var timings = { parse: performance.now() - t0 };
  var nodes = data.nodes;
  var edges = data.edges;
  var N = nodes.length;
  var large = N > 1500 || edges.length > 4000;

  // ── Adjacency over propagating edges (strength > 0, computed by blast) ──────────────
  // up[v]: edges by which a change to v reaches a dependent; down[v]: v's dependencies.
  var up = [], down = [], byId = new Map();
  for (var i = 0; i < N; i++) { up.push([]); down.push([]); byId.set(nodes[i].id, i); }
  edges.forEach(function (e, k) {
    if (e.strength > 0) {
      up[e.to].push({ v: e.from, s: e.strength, k: k });
      down[e.from].push({ v: e.to, s: e.strength, k: k });
    }
  });
  // A node's dependents in the graph's declaration order, the order blast's walks scan
  // them in (strongest edge first between the same two nodes).
  up.forEach(function (row) {
    row.sort(function (x, y) { return nodes[x.v].rank - nodes[y.v].rank || y.s - x.s; });
  });

  function reach(start, adj) {
    var seen = new Uint8Array(N), out = [start], q = [start];
    seen[start] = 1;
    while (q.length) {
      var v = q.pop();
      adj[v].forEach(function (x) {
        if (!seen[x.v]) { seen[x.v] = 1; out.push(x.v); q.push(x.v); }
      });
    }
    return out;
  }

  // Strengths within this relative difference are equal, as blast compares them
  // (products of the same strengths in another order differ in their last bits): Rust's
  // `graph::reach::STRENGTH_TIE`.
  var TIE = 1e-9;
  function cmpStrength(x, y) {
    var m = Math.max(x, y) * TIE;
    return x - y > m ? 1 : y - x > m ? -1 : 0;
  }

  // The strongest path (fewest hops among equals) by which a change to `a` reaches `b`:
  // label-setting over strengths in [0, 1], as `blast why` does. Among equally strong,
  // equally short paths it picks the one blast picks: nodes are settled in the order they
  // were first reached (`seq`), each scanning its dependents in declaration order, so a
  // node's parent is the first one to reach it, as in blast's breadth-first walk.
  function strongestPath(a, b) {
    var best = new Float64Array(N).fill(-1), hops = new Uint32Array(N), parent = new Int32Array(N).fill(-1);
    var pedge = new Int32Array(N).fill(-1), done = new Uint8Array(N);
    var heap = [], seq = 0;
    function better(x, y) {
      var c = cmpStrength(x[0], y[0]);
      return c > 0 || (c === 0 && (x[1] < y[1] || (x[1] === y[1] && x[3] < y[3])));
    }
    function push(item) {
      heap.push(item);
      var i = heap.length - 1;
      while (i > 0) { var p = (i - 1) >> 1; if (better(heap[i], heap[p])) { var t = heap[i]; heap[i] = heap[p]; heap[p] = t; i = p; } else break; }
    }
    function pop() {
      var top = heap[0], last = heap.pop();
      if (heap.length) {
        heap[0] = last;
        var i = 0;
        for (;;) {
          var l = 2 * i + 1, r = l + 1, m = i;
          if (l < heap.length && better(heap[l], heap[m])) m = l;
          if (r < heap.length && better(heap[r], heap[m])) m = r;
          if (m === i) break;
          var t = heap[i]; heap[i] = heap[m]; heap[m] = t; i = m;
        }
      }
      return top;
    }
    best[a] = 1; push([1, 0, a, seq++]);
    while (heap.length) {
      var cur = pop(), v = cur[2];
      if (done[v]) continue;
      done[v] = 1;
      if (v === b) break;
      up[v].forEach(function (x) {
        // Never rounds to zero: a long chain of weak edges still reaches (as in blast).
        var s = Math.max(cur[0] * x.s, 2.2250738585072014e-308), h = cur[1] + 1;
        var c = best[x.v] < 0 ? 1 : cmpStrength(s, best[x.v]);
        if (!done[x.v] && (c > 0 || (c === 0 && h < hops[x.v]))) {
          best[x.v] = s; hops[x.v] = h; parent[x.v] = v; pedge[x.v] = x.k; push([s, h, x.v, seq++]);
        }
      });
    }
    if (!done[b]) return null;
    var path = [b], via = [];
    for (var v = b; parent[v] >= 0; v = parent[v]) { path.push(parent[v]); via.push(pedge[v]); }
    return { nodes: path.reverse(), edges: via.reverse(), strength: best[b] };
  }

  // ── DOM helpers: text only ───────────────────────────────────────────────────────────
  // Bidirectional controls ("Trojan Source": U+202E makes "pay" + U+202E + "tnem" read as
  // "payment") are shown as `\u{202e}`, as in every other blast output, never obeyed.
  // Only text is escaped: ids kept as data (dataset, input values, lookups) stay as written.
  var BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  function shown(s) {
    return String(s).replace(BIDI, function (c) { return '\\u{' + c.charCodeAt(0).toString(16) + '}'; });
  }
  // A strength as blast's reports show it: two decimals, cut rather than rounded (with
  // the same tolerance, TIE), so 0.998 reads 0.99 like its risk, not 1.00.
  function strength(s) {
    return (Math.floor(s * 100 * (1 + TIE)) / 100).toFixed(2);
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = shown(text);
    if (cls) e.className = cls;
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function nodeLink(i) {
    var b = el('button', nodes[i].id, 'link');
    b.type = 'button';
    b.addEventListener('click', function () { select(i, true); });
    return b;
  }
  function dl(pairs) {
    var d = el('dl');
    pairs.forEach(function (p) {
      if (p[1] === null || p[1] === undefined || p[1] === '') return;
      d.appendChild(el('dt', p[0]));
      var dd = el('dd');
      if (p[1] instanceof Node) dd.appendChild(p[1]); else dd.textContent = shown(p[1]);
      d.appendChild(dd);
    });
    return d;
  }
  function list(items, render) {
    var ul = el('ul');
    items.forEach(function (x) { var li = el('li'); render(li, x); ul.appendChild(li); });
    return ul;
  }

  document.getElementById('title').textContent = shown(data.heading);
  document.title = shown(data.heading);
  var ids = document.getElementById('ids');
  if (N <= 5000) nodes.forEach(function (n) {
    var o = el('option');
    var label = shown(n.id);
    o.value = n.id;
    if (label !== n.id) o.label = label;
    ids.appendChild(o);
  });

  // ── Cytoscape ─────────────────────────────────────────────────────────────────────────
  var pal = data.palette;
  var shapes = { service: 'round-rectangle', module: 'rectangle', datastore: 'barrel', queue: 'rhomboid', external: 'hexagon' };
  var elements = [];
  // Clusters are plain background boxes where blast's layout put them (compound nodes
  // would make cytoscape recompute their bounds, which is slow on large graphs).
  data.clusters.forEach(function (c, ci) {
    elements.push({ group: 'nodes', data: { id: 'c' + ci, label: shown(nodes[c.service].id), w: c.w, h: c.h },
      position: { x: c.x + c.w / 2, y: c.y + c.h / 2 }, classes: 'cluster', selectable: false, grabbable: false });
  });
  nodes.forEach(function (n, i) {
    var d = {
      id: 'n' + i, label: large ? n.label : n.label + '\n' + n.sub, w: n.w, h: n.h,
      fill: pal.fill[n.shade], ink: pal.ink[n.shade], stroke: pal.stroke[n.shade], shape: shapes[n.kind] || 'rectangle'
    };
    var cls = ['kind-' + n.kind];
    if (n.changed) cls.push('changed');
    if (n.customer_facing) cls.push('customer');
    elements.push({ group: 'nodes', data: d, position: { x: n.x + n.w / 2, y: n.y + n.h / 2 }, classes: cls.join(' ') });
  });
  edges.forEach(function (e, k) {
    elements.push({ group: 'edges', data: { id: 'e' + k, source: 'n' + e.from, target: 'n' + e.to, color: e.line === 'faint' || e.line === 'dev' ? '#b8b8b8' : '#4a4a4a' }, classes: 'line-' + e.line });
  });

  timings.elements = performance.now() - t0;
  var cy = cytoscape({
    container: document.getElementById('cy'),
    minZoom: 0.02, maxZoom: 4,
    boxSelectionEnabled: false, autoungrabify: large,
    textureOnViewport: large, hideEdgesOnViewport: large, pixelRatio: large ? 1 : 'auto',
    style: [
      { selector: 'node', style: {
        'shape': 'data(shape)', 'width': 'data(w)', 'height': 'data(h)', 'background-color': 'data(fill)',
        'border-color': 'data(stroke)', 'border-width': 1.2, 'label': 'data(label)', 'color': 'data(ink)',
        'font-size': 12, 'text-wrap': large ? 'none' : 'wrap', 'text-valign': 'center', 'text-halign': 'center', 'min-zoomed-font-size': large ? 7 : 3,
        'z-index': 10 } },
      { selector: 'node.customer', style: { 'border-width': 5, 'border-style': 'double' } },
      { selector: 'node.changed', style: { 'border-width': 4, 'border-color': '#000000', 'border-style': 'solid' } },
      { selector: 'node.cluster', style: {
        'shape': 'round-rectangle', 'background-color': '#f6f6f6', 'border-color': '#8c8c8c', 'border-style': 'dashed',
        'border-width': 1, 'label': 'data(label)', 'text-valign': 'top', 'text-halign': 'left', 'text-margin-x': 90,
        'text-margin-y': 16, 'font-size': 11, 'color': '#595959', 'z-index': 0, 'events': 'no' } },
      { selector: 'edge', style: {
        'z-index': 5,
        'width': 1.4, 'line-color': 'data(color)', 'target-arrow-color': 'data(color)', 'target-arrow-shape': 'triangle',
        'arrow-scale': 0.8, 'curve-style': large ? 'straight' : 'bezier' } },
      { selector: 'edge.line-dashed', style: { 'line-style': 'dashed' } },
      { selector: 'edge.line-dotted, edge.line-dev', style: { 'line-style': 'dotted' } },
      { selector: 'edge.line-faint, edge.line-dev', style: { 'width': 1 } },
      { selector: '.faded', style: { 'opacity': 0.15 } },
      { selector: 'node.up', style: { 'underlay-color': '#d73027', 'underlay-opacity': 0.45, 'underlay-padding': 6 } },
      { selector: 'node.down', style: { 'underlay-color': '#3366cc', 'underlay-opacity': 0.35, 'underlay-padding': 6 } },
      { selector: 'node.focus', style: { 'underlay-color': '#000000', 'underlay-opacity': 0.5, 'underlay-padding': 8 } },
      { selector: 'edge.up', style: { 'line-color': '#d73027', 'target-arrow-color': '#d73027', 'width': 2.2 } },
      { selector: 'edge.down', style: { 'line-color': '#3366cc', 'target-arrow-color': '#3366cc', 'width': 2.2 } },
      { selector: 'node.match', style: { 'underlay-color': '#ffd400', 'underlay-opacity': 0.8, 'underlay-padding': 8 } },
      { selector: 'node.path', style: { 'underlay-color': '#7b3294', 'underlay-opacity': 0.5, 'underlay-padding': 8 } },
      { selector: 'edge.path', style: { 'line-color': '#7b3294', 'target-arrow-color': '#7b3294', 'width': 3.5 } },
      { selector: '.hidden', style: { 'display': 'none' } }
    ]
  });

  // Adding the elements in one batch is far faster than passing them to the constructor
  // (which lays them out one by one), and positions are blast's already.
  cy.startBatch();
  cy.add(elements);
  cy.endBatch();
  cy.fit(undefined, 30);
  timings.cytoscape = performance.now() - t0;
  function cyNode(i) { return cy.getElementById('n' + i); }
  // The newest change of view wins: an animation still running (the search centring on
  // its first hit, say) must not carry on over a later one, such as Fit pressed during it.
  function stopViewChange() { cy.stop(true, false); }
  function resetClasses() {
    cy.elements().removeClass('faded up down focus path match');
  }

  // ── Selection: blast radius and dependencies ─────────────────────────────────────────
  var state = { focus: -1, up: [], down: [], path: null };
  var details = document.getElementById('details');

  function select(i, center) {
    state.focus = i; state.path = null;
    state.up = reach(i, up);
    state.down = reach(i, down);
    var inUp = new Uint8Array(N), inDown = new Uint8Array(N);
    state.up.forEach(function (v) { inUp[v] = 1; });
    state.down.forEach(function (v) { inDown[v] = 1; });
    cy.batch(function () {
      resetClasses();
      cy.nodes().not('.cluster').addClass('faded');
      cy.edges().addClass('faded');
      state.up.forEach(function (v) { cyNode(v).removeClass('faded').addClass('up'); });
      state.down.forEach(function (v) { cyNode(v).removeClass('faded').addClass('down'); });
      edges.forEach(function (e, k) {
        if (e.strength <= 0) return;
        if (inUp[e.from] && inUp[e.to]) cy.getElementById('e' + k).removeClass('faded').addClass('up');
        else if (inDown[e.from] && inDown[e.to]) cy.getElementById('e' + k).removeClass('faded').addClass('down');
      });
      cyNode(i).removeClass('up down').addClass('focus');
    });
    if (center) { stopViewChange(); cy.animate({ center: { eles: cyNode(i) }, duration: 200 }); }
    showNode(i);
  }

  function byId2(a, b) { return nodes[a].id < nodes[b].id ? -1 : nodes[a].id > nodes[b].id ? 1 : 0; }

  function showNode(i) {
    var n = nodes[i];
    clear(details);
    details.appendChild(el('h2', n.id));
    var cf = n.customer_facing ? 'yes' : 'no';
    var partOf = n.part_of === null ? null : nodeLink(n.part_of);
    details.appendChild(dl([
      ['kind', n.kind], ['tier', n.tier === null ? 'none' : n.tier], ['customer-facing', cf],
      ['part of', partOf], ['owners', n.owners.join(', ') || 'none'],
      ['modules', n.folded.length ? n.folded.join(', ') : null]
    ]));
    if (n.impact) {
      details.appendChild(el('h3', 'in this change'));
      details.appendChild(dl([
        ['risk', n.impact.risk], ['distance', n.impact.distance], ['strength', strength(n.impact.strength)],
        ['path', n.impact.path.join(' → ')], ['changed', n.changed ? 'yes' : null]
      ]));
    }
    if (n.paths.length) {
      details.appendChild(el('h3', 'paths'));
      details.appendChild(list(n.paths, function (li, p) { li.textContent = shown(p); }));
    }
    details.appendChild(el('h3', 'declared in'));
    details.appendChild(list(n.origins, function (li, o) { li.textContent = shown(o.source + ': ' + o.file); }));
    var ups = state.up.slice().sort(byId2);
    var h = el('h3', 'blast radius: ' + ups.length + (ups.length === 1 ? ' node' : ' nodes'));
    details.appendChild(h);
    details.appendChild(el('p', n.folded.length
      ? 'what a change to ' + n.id + ' or to one of its folded modules reaches (itself included; a folded service stands for its modules too)'
      : 'what a change to ' + n.id + ' reaches (itself included)', 'note'));
    var ul = list(ups, function (li, v) { li.appendChild(nodeLink(v)); li.dataset.id = nodes[v].id; });
    ul.id = 'blast-list';
    details.appendChild(ul);
    var downs = state.down.filter(function (v) { return v !== i; }).sort(byId2);
    details.appendChild(el('h3', 'depends on: ' + downs.length + (downs.length === 1 ? ' node' : ' nodes')));
    var dul = list(downs, function (li, v) { li.appendChild(nodeLink(v)); li.dataset.id = nodes[v].id; });
    dul.id = 'depends-list';
    details.appendChild(dul);
    var own = [];
    edges.forEach(function (e, k) { if (e.from === i || e.to === i) own.push(k); });
    if (own.length) {
      details.appendChild(el('h3', 'edges'));
      details.appendChild(list(own, function (li, k) { edgeLine(li, k); }));
    }
  }

  function edgeLine(li, k) {
    var e = edges[k];
    li.appendChild(nodeLink(e.from));
    li.appendChild(el('span', ' → '));
    li.appendChild(nodeLink(e.to));
    var txt = ' ' + e.kind + (e.optional ? ' optional' : '') + ', strength ' + strength(e.strength) +
      (e.count > 1 ? ', ' + e.count + ' edges' : '') + (e.part_of ? ' (part_of)' : '') + ' — ' + e.origin.source + ': ' + e.origin.file +
      (e.origin.evidence ? ' (' + e.origin.evidence + ')' : '');
    li.appendChild(el('span', txt, 'path-hop'));
  }

  function showEdge(k) {
    clear(details);
    var e = edges[k];
    details.appendChild(el('h2', nodes[e.from].id + ' → ' + nodes[e.to].id));
    details.appendChild(dl([
      ['kind', e.kind], ['optional', e.optional ? 'yes' : 'no'], ['strength', strength(e.strength)],
      ['edges', e.count > 1 ? e.count : null], ['part of', e.part_of ? 'yes: the service contains the module' : null],
      ['source', e.origin.source], ['file', e.origin.file], ['evidence', e.origin.evidence]
    ]));
    details.appendChild(el('p', nodes[e.from].id + ' depends on ' + nodes[e.to].id + ': a change to ' + nodes[e.to].id + ' can break ' + nodes[e.from].id + '.', 'note'));
  }

  function why(a, b) {
    var r = strongestPath(a, b);
    state.path = r;
    cy.batch(function () {
      resetClasses();
      cy.nodes().not('.cluster').addClass('faded');
      cy.edges().addClass('faded');
      if (r) {
        r.nodes.forEach(function (v) { cyNode(v).removeClass('faded').addClass('path'); });
        r.edges.forEach(function (k) { cy.getElementById('e' + k).removeClass('faded').addClass('path'); });
      } else {
        [a, b].forEach(function (v) { cyNode(v).removeClass('faded').addClass('focus'); });
      }
    });
    clear(details);
    details.appendChild(el('h2', 'why ' + nodes[a].id + ' → ' + nodes[b].id));
    if (!r) {
      details.appendChild(el('p', 'A change to ' + nodes[a].id + ' does not reach ' + nodes[b].id + ': ' + nodes[b].id +
        ' does not depend on ' + nodes[a].id + ', directly or through edges that propagate failures.', 'bad'));
      return;
    }
    details.appendChild(el('p', 'strongest path: strength ' + strength(r.strength) + ', ' + r.edges.length + (r.edges.length === 1 ? ' hop' : ' hops')));
    var ol = el('ol');
    ol.id = 'why-path';
    r.nodes.forEach(function (v, j) {
      var li = el('li');
      li.dataset.id = nodes[v].id;
      li.appendChild(nodeLink(v));
      if (j > 0) {
        var e = edges[r.edges[j - 1]];
        li.appendChild(el('span', ' depends on the previous one (' + e.kind + (e.optional ? ' optional' : '') + ', ' + strength(e.strength) + ')', 'path-hop'));
      }
      ol.appendChild(li);
    });
    details.appendChild(ol);
    stopViewChange();
    cy.animate({ fit: { eles: cy.elements('.path'), padding: 60 }, duration: 200 });
  }

  function clearAll() {
    state = { focus: -1, up: [], down: [], path: null };
    cy.batch(resetClasses);
    clear(details);
    details.appendChild(el('p', 'Click a node to see its blast radius and its dependencies.', 'hint'));
  }

  cy.on('tap', 'node', function (evt) {
    var id = evt.target.id();
    if (id.charAt(0) !== 'n') return;
    var i = +id.slice(1);
    var oe = evt.originalEvent;
    if (oe && oe.shiftKey && state.focus >= 0 && state.focus !== i) {
      document.getElementById('why-from').value = nodes[state.focus].id;
      document.getElementById('why-to').value = nodes[i].id;
      why(state.focus, i);
    } else {
      select(i, false);
    }
  });
  cy.on('tap', 'edge', function (evt) { showEdge(+evt.target.id().slice(1)); });
  cy.on('tap', function (evt) { if (evt.target === cy) clearAll(); });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') clearAll(); });
  document.getElementById('fit').addEventListener('click', function () {
    stopViewChange();
    cy.fit(cy.elements(':visible'), 30);
  });
  document.getElementById('clear').addEventListener('click', clearAll);

  // ── Search ───────────────────────────────────────────────────────────────────────────
  var search = document.getElementById('search');
  var results = document.getElementById('results');
  function runSearch() {
    var q = search.value.trim().toLowerCase();
    cy.nodes().removeClass('match');
    clear(results);
    if (!q) { results.hidden = true; return []; }
    var hits = [];
    for (var i = 0; i < N; i++) if (nodes[i].id.toLowerCase().indexOf(q) >= 0) hits.push(i);
    hits.sort(function (a, b) {
      var ea = nodes[a].id.toLowerCase() === q ? 0 : 1, eb = nodes[b].id.toLowerCase() === q ? 0 : 1;
      return ea - eb || byId2(a, b);
    });
    results.hidden = false;
    results.appendChild(el('h3', hits.length + (hits.length === 1 ? ' match' : ' matches')));
    var ul = list(hits.slice(0, 30), function (li, v) { li.appendChild(nodeLink(v)); li.dataset.id = nodes[v].id; });
    ul.id = 'search-results';
    results.appendChild(ul);
    cy.batch(function () { hits.forEach(function (v) { cyNode(v).addClass('match'); }); });
    if (hits.length) { stopViewChange(); cy.animate({ center: { eles: cyNode(hits[0]) }, duration: 150 }); }
    return hits;
  }
  search.addEventListener('input', runSearch);
  search.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') { var hits = runSearch(); if (hits.length) select(hits[0], true); }
  });

  document.getElementById('why-go').addEventListener('click', function () {
    var a = byId.get(document.getElementById('why-from').value.trim());
    var b = byId.get(document.getElementById('why-to').value.trim());
    if (a === undefined || b === undefined) {
      clear(details);
      details.appendChild(el('p', 'Name two node ids (the changed node, then the node it may reach).', 'bad'));
      return;
    }
    why(a, b);
  });

  // ── Filters ──────────────────────────────────────────────────────────────────────────
  var filters = document.getElementById('filters');
  var hide = { tier: new Set(), kind: new Set(), edge: new Set() };
  function tierKey(n) { return n.tier === null ? 'none' : String(n.tier); }
  function applyFilters() {
    cy.batch(function () {
      nodes.forEach(function (n, i) {
        var off = hide.tier.has(tierKey(n)) || hide.kind.has(n.kind);
        cyNode(i).toggleClass('hidden', off);
      });
      edges.forEach(function (e, k) {
        var off = hide.edge.has(e.kind) || cyNode(e.from).hasClass('hidden') || cyNode(e.to).hasClass('hidden');
        cy.getElementById('e' + k).toggleClass('hidden', off);
      });
    });
  }
  function group(title, key, values) {
    if (values.length < 1) return;
    filters.appendChild(el('h3', title));
    var box = el('div');
    box.className = 'filter-' + key;
    values.forEach(function (v) {
      var lab = el('label'), cb = el('input');
      cb.type = 'checkbox'; cb.checked = true; cb.value = v[0];
      cb.addEventListener('change', function () { if (cb.checked) hide[key].delete(v[0]); else hide[key].add(v[0]); applyFilters(); });
      lab.appendChild(cb);
      lab.appendChild(document.createTextNode(' ' + v[1] + ' (' + v[2] + ')'));
      box.appendChild(lab);
    });
    filters.appendChild(box);
  }
  function counts(items, key) {
    var m = new Map();
    items.forEach(function (x) { var k = key(x); m.set(k, (m.get(k) || 0) + 1); });
    return m;
  }
  var tiers = counts(nodes, tierKey), kinds = counts(nodes, function (n) { return n.kind; }), ekinds = counts(edges, function (e) { return e.kind; });
  group('tiers', 'tier', ['0', '1', '2', '3', 'none'].filter(function (t) { return tiers.has(t); }).map(function (t) { return [t, t === 'none' ? 'no tier' : 'tier ' + t, tiers.get(t)]; }));
  group('node kinds', 'kind', data.node_kinds.filter(function (k) { return kinds.has(k); }).map(function (k) { return [k, k, kinds.get(k)]; }));
  group('edge kinds', 'edge', data.edge_kinds.filter(function (k) { return ekinds.has(k); }).map(function (k) { return [k, k, ekinds.get(k)]; }));

  // ── Legend and notes ─────────────────────────────────────────────────────────────────
  var legend = document.getElementById('legend');
  legend.appendChild(el('h3', data.coloring === 'risk' ? 'colour: risk in this change' : 'colour: tier'));
  legend.appendChild(list(pal.used, function (li, s) {
    var sw = el('span', null, 'swatch');
    sw.style.background = pal.fill[s];
    li.appendChild(sw);
    li.appendChild(document.createTextNode(pal.labels[s]));
  }));
  legend.appendChild(el('h3', 'lines (dependent → dependency)'));
  legend.appendChild(list(data.lines, function (li, l) {
    var s = el('span', null, 'line');
    s.style.borderTopStyle = l.name === 'dashed' ? 'dashed' : (l.name === 'dotted' || l.name === 'dev') ? 'dotted' : 'solid';
    s.style.borderTopColor = l.color;
    li.appendChild(s);
    li.appendChild(document.createTextNode(l.legend));
  }));
  legend.appendChild(el('p', 'shapes: service rounded box, module box, datastore barrel, queue slanted box, external hexagon; double border: customer-facing; thick black border: changed.', 'note'));
  var notesBox = document.getElementById('notes');
  data.notes.forEach(function (t) { notesBox.appendChild(el('p', t, 'note')); });

  // For tests and the console.
  timings.ready = performance.now() - t0;
  window.blastExplorer = { cy: cy, data: data, select: select, why: why, timings: timings, state: function () { return state; } };
})();
