//! Pictures: `blast render` and `blast impact --format dot|svg|mermaid|html`.
//!
//! DOT is parsed back with graphviz-rust and fed to Graphviz's `dot` where it is installed;
//! SVG is parsed as XML and its node boxes checked for overlaps; Mermaid is checked line by
//! line (synthetic ids, escaped labels) and for its size fallbacks; HTML is checked for
//! self-containment and escaping. Browser tests (SVG screenshots, the explorer) are in
//! `explorer.rs`.

use std::collections::BTreeSet;
use std::path::Path;

use dot_structures::{Graph, Id, Stmt};

use crate::util::{blast, expect, json, ok, run};

/// Ids of a node statement's quoted DOT id, unescaped.
fn unescape_dot(id: &Id) -> String {
    let raw = match id {
        Id::Escaped(s) | Id::Plain(s) | Id::Html(s) | Id::Anonymous(s) => s.as_str(),
    };
    let inner = raw
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(raw);
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(x) => out.push(x),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn dot_nodes(stmts: &[Stmt], out: &mut BTreeSet<String>) {
    for s in stmts {
        match s {
            Stmt::Node(n) => {
                out.insert(unescape_dot(&n.id.0));
            }
            Stmt::Subgraph(sg) => dot_nodes(&sg.stmts, out),
            _ => {}
        }
    }
}

/// Parses DOT with graphviz-rust and returns its node ids.
fn parse_dot(text: &str) -> BTreeSet<String> {
    let g =
        graphviz_rust::parse(text).unwrap_or_else(|e| panic!("DOT does not parse: {e}\n{text}"));
    let Graph::DiGraph { stmts, .. } = g else {
        panic!("not a digraph")
    };
    let mut ids = BTreeSet::new();
    dot_nodes(&stmts, &mut ids);
    ids
}

/// Runs Graphviz's `dot -Tsvg` on the text when Graphviz is installed.
fn graphviz_accepts(text: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let Ok(mut child) = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        if std::env::var_os("CI").is_some() {
            panic!("Graphviz's `dot` is not installed (.ci/run installs the graphviz package)");
        }
        eprintln!("note: Graphviz's `dot` is not installed: skipping `dot -Tsvg`");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "dot -Tsvg failed: {stderr}\n{text}");
    assert!(
        !stderr.contains("Error") && !stderr.contains("syntax error"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
}

/// The ids `blast impact CHANGE --format json` reports.
pub fn impacted(args: &[&str]) -> BTreeSet<String> {
    let mut a = vec!["impact"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--format", "json"]);
    json(&ok(&a))["impacted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every node id of a graph file, read from the file itself.
fn graph_ids(file: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(crate::util::root().join(file)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

// ── DOT ─────────────────────────────────────────────────────────────────────────────────

#[test]
fn impact_dot_holds_the_blast_radius_and_graphviz_accepts_it() {
    let out = ok(&["impact", "payment", "--format", "dot"]);
    assert_eq!(parse_dot(&out.stdout), impacted(&["payment"]));
    assert!(out.stdout.contains("\"checkout\" -> \"payment\""));
    graphviz_accepts(&out.stdout);
    insta::assert_snapshot!("impact_payment_dot", out.stdout);
}

#[test]
fn render_dot_draws_every_node_with_modules_in_clusters() {
    let out = ok(&["render", "--format", "dot"]);
    let ids = parse_dot(&out.stdout);
    assert_eq!(ids.len(), 37);
    assert!(out.stdout.contains("subgraph cluster_0 {"));
    assert!(out.stdout.contains("label=\"payment\""));
    assert!(
        !out.stdout.contains("test-utils\" -> "),
        "dev edges are hidden"
    );
    graphviz_accepts(&out.stdout);
    let dev = ok(&["render", "--format", "dot", "--show-dev"]);
    assert!(
        dev.stdout
            .contains("\"checkout\" -> \"test-utils\" [style=dotted")
    );
}

#[test]
fn hostile_ids_make_valid_dot() {
    let out = ok(&[
        "render",
        "--graph",
        "graphs/small/hostile.json",
        "--format",
        "dot",
    ]);
    // An id Graphviz reads back as written names its node; one with a backslash or a
    // control character gets a synthetic name, so no two ids merge into one node.
    let ids = graph_ids("graphs/small/hostile.json");
    let names = parse_dot(&out.stdout);
    let plain: BTreeSet<String> = ids
        .iter()
        .filter(|id| {
            !id.contains('\\')
                && !id
                    .chars()
                    .any(|c| c.is_control() || blast_radius::report::is_bidi_control(c))
        })
        .cloned()
        .collect();
    assert_eq!(names.len(), ids.len());
    assert_eq!(
        names
            .iter()
            .filter(|n| !n.starts_with("blast:node:"))
            .cloned()
            .collect::<BTreeSet<_>>(),
        plain
    );
    assert_eq!(ids.len() - plain.len(), 2, "line\\nbreak and back\\slash\\");
    // A line break in an id is shown as an escape, in the label and the tooltips: it cannot
    // pose as the label's second line.
    assert!(
        out.stdout
            .contains(r#"[label="line\\u{a}break\nqueue · tier 2", "#)
            && out
                .stdout
                .contains(r#"tooltip="line\\u{a}break (queue)\ntier 2""#),
        "{}",
        out.stdout
    );
    graphviz_accepts(&out.stdout);
    // Two ids that would print alike as escapes stay two nodes.
    let dir = tempfile::tempdir().unwrap();
    let g = crate::util::write_file(
        dir.path(),
        "coll.json",
        r#"{"nodes": [{"id": "api", "depends_on": ["a\tb"]}, {"id": "a\tb", "tier": 0}, {"id": "a\\u{9}b", "kind": "datastore"}, {"id": "blast:node:0"}, {"id": "pay\u202etnem"}]}"#,
    );
    let out = ok(&["render", "--graph", &g, "--format", "dot"]);
    assert_eq!(
        parse_dot(&out.stdout),
        set(&[
            "api",
            "blast:node:0",
            "blast:node:1",
            "blast:node:3",
            "blast:node:4"
        ])
    );
    graphviz_accepts(&out.stdout);
}

// ── SVG ─────────────────────────────────────────────────────────────────────────────────

struct SvgNode {
    id: String,
    frame: (f64, f64, f64, f64),
    texts: Vec<String>,
}

/// Parses an SVG with a real XML parser; returns its nodes and edge count.
fn parse_svg(text: &str) -> (Vec<SvgNode>, usize) {
    let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("not XML: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let num = |n: roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
    let mut nodes = Vec::new();
    let mut edges = 0;
    for n in root.descendants() {
        let class = n.attribute("class").unwrap_or("");
        if n.has_tag_name("path") && class.starts_with("edge ") {
            assert!(n.attribute("marker-end").is_some(), "edges have arrowheads");
            edges += 1;
        }
        if n.has_tag_name("g") && class.split(' ').next() == Some("node") {
            let frame = n
                .children()
                .find(|c| c.attribute("class") == Some("frame"))
                .expect("a frame");
            nodes.push(SvgNode {
                id: n.attribute("data-id").unwrap().to_string(),
                frame: (
                    num(frame, "x"),
                    num(frame, "y"),
                    num(frame, "width"),
                    num(frame, "height"),
                ),
                texts: n
                    .children()
                    .filter(|c| c.has_tag_name("text"))
                    .map(|c| c.text().unwrap_or("").to_string())
                    .collect(),
            });
        }
    }
    (nodes, edges)
}

fn assert_no_overlaps(nodes: &[SvgNode]) {
    for (i, a) in nodes.iter().enumerate() {
        for b in &nodes[i + 1..] {
            let (ax, ay, aw, ah) = a.frame;
            let (bx, by, bw, bh) = b.frame;
            let overlap = ax < bx + bw && bx < ax + aw && ay < by + bh && by < ay + ah;
            assert!(!overlap, "{:?} and {:?} overlap", a.id, b.id);
        }
    }
}

#[test]
fn impact_svg_is_valid_xml_with_separate_labelled_boxes() {
    let out = ok(&["impact", "payment", "--format", "svg"]);
    let (nodes, edges) = parse_svg(&out.stdout);
    let ids: BTreeSet<String> = nodes.iter().map(|n| n.id.clone()).collect();
    assert_eq!(ids, impacted(&["payment"]));
    assert_eq!(edges, 3);
    assert_no_overlaps(&nodes);
    let payment = nodes.iter().find(|n| n.id == "payment").unwrap();
    assert_eq!(payment.texts, ["payment", "critical · service · changed"]);
}

#[test]
fn svgs_of_every_example_graph_have_no_overlapping_nodes() {
    for (graph, count) in [
        ("graphs/shop.toml", 37),
        ("graphs/streaming.yaml", 0),
        ("graphs/small/cycle.yaml", 0),
        ("graphs/small/edge-kinds.toml", 0),
        ("graphs/small/hostile.json", 10),
    ] {
        let out = ok(&["render", "--graph", graph, "--format", "svg", "--show-dev"]);
        let (nodes, edges) = parse_svg(&out.stdout);
        assert!(!nodes.is_empty() && edges > 0, "{graph}");
        if count > 0 {
            assert_eq!(nodes.len(), count, "{graph}");
        }
        assert_no_overlaps(&nodes);
    }
}

#[test]
fn hostile_ids_stay_intact_in_svg() {
    let out = ok(&[
        "render",
        "--graph",
        "graphs/small/hostile.json",
        "--format",
        "svg",
    ]);
    let (nodes, _) = parse_svg(&out.stdout);
    let ids: BTreeSet<String> = nodes.iter().map(|n| n.id.clone()).collect();
    assert_eq!(ids, graph_ids("graphs/small/hostile.json"));
    let img = nodes
        .iter()
        .find(|n| n.id == "<img src=x onerror=alert(1)>")
        .unwrap();
    assert_eq!(img.texts[0], "<img src=x onerror=alert(1)>");
}

#[test]
fn the_readme_picture_is_what_the_tool_draws() {
    let out = ok(&["impact", "payment", "--format", "svg"]);
    let committed =
        std::fs::read_to_string(crate::util::root().join("graphs/payment-blast-radius.svg"))
            .unwrap();
    assert!(
        committed == out.stdout,
        "graphs/payment-blast-radius.svg is out of date: regenerate it with `blast impact payment --format svg > graphs/payment-blast-radius.svg`"
    );
}

#[test]
fn graphviz_renderer_runs_dot_or_says_how_to_get_it() {
    let has_dot = std::process::Command::new("dot").arg("-V").output().is_ok();
    if has_dot {
        let out = ok(&[
            "impact",
            "payment",
            "--format",
            "svg",
            "--renderer",
            "graphviz",
        ]);
        assert!(out.stdout.contains("<svg") && out.stdout.contains("checkout"));
    }
    // Without `dot` on PATH: exit 2 and the fix.
    let empty = tempfile::tempdir().unwrap();
    let out = graphviz_with_path(&empty.path().display().to_string(), &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("needs Graphviz's `dot` program")
            && out.stderr.contains("drop --renderer"),
        "{}",
        out.stderr
    );
}

/// `blast impact payment --format svg --renderer graphviz` with `PATH` set to `path`.
fn graphviz_with_path(path: &str, extra: &[&str]) -> crate::util::Output {
    let mut cmd = blast();
    cmd.env("PATH", path);
    let mut args = vec![
        "impact",
        "payment",
        "--format",
        "svg",
        "--renderer",
        "graphviz",
    ];
    args.extend_from_slice(extra);
    run(cmd, &args)
}

/// A `dot` that runs too long is stopped after `--renderer-timeout` seconds: exit 2, no
/// picture, and the ways out.
#[cfg(unix)]
#[test]
fn a_graphviz_run_that_takes_too_long_is_stopped() {
    use std::os::unix::fs::PermissionsExt;
    let bin = tempfile::tempdir().unwrap();
    let dot = bin.path().join("dot");
    std::fs::write(&dot, "#!/bin/sh\nsleep 60\n").unwrap();
    std::fs::set_permissions(&dot, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    let started = std::time::Instant::now();
    let out = graphviz_with_path(
        &format!("{}:{path}", bin.path().display()),
        &["--renderer-timeout", "1"],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .starts_with("error: Graphviz's `dot` did not finish within 1 s, so it was stopped")
            && out.stderr.contains("--renderer-timeout SECS (0: no limit)"),
        "{}",
        out.stderr
    );
    // Stopped, not waited for.
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    // A failing `dot`: its last lines, line by line, the cause at the end kept.
    std::fs::write(
        &dot,
        "#!/bin/sh\ncat > /dev/null\nfor i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo \"Warning: $i\" >&2; done\necho 'Error: the real cause' >&2\nexit 1\n",
    )
    .unwrap();
    let out = graphviz_with_path(&format!("{}:{path}", bin.path().display()), &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("\n  Warning: 12\n  Error: the real cause\n  help: drop --renderer")
            && !out.stderr.contains("Warning: 3\n"),
        "{}",
        out.stderr
    );
    // Only `dot` has a timeout.
    let e = expect(
        2,
        &["impact", "payment", "-f", "svg", "--renderer-timeout", "5"],
    );
    assert!(
        e.stderr
            .starts_with("error: --renderer-timeout applies to --renderer graphviz only"),
        "{}",
        e.stderr
    );
}

// ── Mermaid ─────────────────────────────────────────────────────────────────────────────

#[test]
fn impact_mermaid_is_a_fenced_flowchart() {
    let out = ok(&["impact", "payment", "--format", "mermaid"]);
    assert!(out.stdout.starts_with("```mermaid\nflowchart TB\n"));
    assert!(out.stdout.ends_with("```\n"));
    insta::assert_snapshot!("impact_payment_mermaid", out.stdout);
}

/// Checks every node line: a synthetic id and a quoted label with nothing to escape left.
fn assert_mermaid_is_safe(text: &str) -> usize {
    let mut nodes = 0;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("%%") || t.starts_with("```") {
            assert!(!t.contains('\u{2028}'));
            continue;
        }
        let Some(q) = t.find('"') else { continue };
        let head = &t[..q];
        if head.starts_with("subgraph") {
            continue;
        }
        let id: String = head
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(
            id.starts_with('n') && id[1..].chars().all(|c| c.is_ascii_digit()),
            "{line}"
        );
        let end = t.rfind('"').unwrap();
        let label = &t[q + 1..end];
        assert!(
            !label.contains(['"', '<', '>', '&', '`', '\n', '\u{2028}']),
            "unescaped label: {line}"
        );
        nodes += 1;
    }
    nodes
}

#[test]
fn hostile_ids_make_valid_mermaid() {
    let out = ok(&[
        "render",
        "--graph",
        "graphs/small/hostile.json",
        "--format",
        "mermaid",
    ]);
    assert_eq!(assert_mermaid_is_safe(&out.stdout), 10);
    assert!(out.stdout.contains("#lt;img src=x onerror=alert(1)#gt;"));
    assert!(out.stdout.contains("x --#gt; y"));
    assert!(
        out.stdout
            .contains("  subgraph c0 [\"#lt;img src=x onerror=alert(1)#gt;\"]")
    );
}

/// Writes a generated graph: `services` services, each with `modules` modules (`part_of`),
/// each service calling the next `fanout` services, each module used by its service.
pub fn generated(dir: &Path, services: usize, modules: usize, fanout: usize) -> String {
    let mut nodes = Vec::new();
    for s in 0..services {
        let deps: Vec<String> = (1..=fanout)
            .map(|k| format!("svc-{:04}", (s + k) % services))
            .filter(|d| *d != format!("svc-{s:04}"))
            .collect();
        nodes.push(serde_json::json!({
            "id": format!("svc-{s:04}"), "kind": "service", "tier": s % 4,
            "customer_facing": s % 10 == 0, "owners": ["@team"], "depends_on": deps,
        }));
        for m in 0..modules {
            nodes.push(serde_json::json!({
                "id": format!("svc-{s:04}-mod-{m}"), "kind": "module",
                "part_of": format!("svc-{s:04}"),
            }));
        }
    }
    let file = dir.join(format!("gen-{services}-{modules}-{fanout}.json"));
    std::fs::write(&file, serde_json::json!({ "nodes": nodes }).to_string()).unwrap();
    file.to_string_lossy().into_owned()
}

#[test]
fn mermaid_falls_back_to_services_then_to_a_table() {
    let dir = tempfile::tempdir().unwrap();
    // 80 services × 5 modules (480 nodes), 2 calls each: 560 edges with modules, 160
    // without.
    let g = generated(dir.path(), 80, 5, 2);
    let out = ok(&["render", "--graph", &g, "--format", "mermaid"]);
    assert!(
        out.stdout.starts_with(
            "```mermaid\nflowchart TB\n%% services only: the full picture has 560 edges"
        ),
        "{}",
        &out.stdout[..300]
    );
    assert_eq!(assert_mermaid_is_safe(&out.stdout), 80);
    // 300 services calling 2 others: 600 edges even without modules.
    let g = generated(dir.path(), 300, 0, 2);
    let out = ok(&["render", "--graph", &g, "--format", "mermaid"]);
    assert!(
        out.stdout.starts_with("> **Note:** `dependency graph` is too big for a Mermaid diagram: the full picture has 600 edges"),
        "{}",
        &out.stdout[..300]
    );
    assert!(
        out.stdout
            .contains("| node | kind | tier | customer-facing | owners |")
    );
    assert!(out.stdout.contains("\n… and 100 more nodes.\n"));
    assert!(!out.stdout.contains("```mermaid"));
}

// ── HTML ────────────────────────────────────────────────────────────────────────────────

#[test]
fn html_is_one_self_contained_file() {
    let out = ok(&["render", "--format", "html"]);
    let html = &out.stdout;
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script src") && !html.contains("<link rel=\"stylesheet\""));
    assert!(html.contains("default-src 'none'"), "no network allowed");
    assert_eq!(html.matches("</script>").count(), 3);
    let start = html.find("id=\"blast-data\">").unwrap() + "id=\"blast-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let data: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    assert_eq!(data["schema"], "blast-radius/picture/v1");
    assert_eq!(data["nodes"].as_array().unwrap().len(), 37);
    let payment = data["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "payment")
        .unwrap();
    assert_eq!(payment["origins"][0]["file"], "graphs/shop.toml");
    assert_eq!(payment["origins"][0]["source"], "graph");
}

#[test]
fn hostile_ids_cannot_break_out_of_the_data_script() {
    let out = ok(&[
        "render",
        "--graph",
        "graphs/small/hostile.json",
        "--format",
        "html",
    ]);
    let html = &out.stdout;
    assert_eq!(html.matches("</script>").count(), 3);
    assert!(!html.contains("<img src=x"));
    let start = html.find("id=\"blast-data\">").unwrap() + "id=\"blast-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let raw = &html[start..end];
    assert!(!raw.contains(['<', '>', '&', '\u{2028}', '\u{2029}']));
    let data: serde_json::Value = serde_json::from_str(raw).unwrap();
    let ids: BTreeSet<String> = data["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, graph_ids("graphs/small/hostile.json"));
}

#[test]
fn impact_html_embeds_the_impact_model() {
    let out = ok(&["impact", "payment", "--format", "html"]);
    let html = &out.stdout;
    let start = html.find("id=\"blast-data\">").unwrap() + "id=\"blast-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let data: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    assert_eq!(data["coloring"], "risk");
    assert_eq!(data["risk"], "critical");
    let storefront = data["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "storefront")
        .unwrap();
    assert_eq!(
        storefront["impact"],
        serde_json::json!({"risk": "high", "distance": 2, "strength": 1.0,
                           "path": ["payment", "checkout", "storefront"]})
    );
}

// ── Options ─────────────────────────────────────────────────────────────────────────────

#[test]
fn focus_depth_and_direction_narrow_the_picture() {
    let up = ok(&[
        "render",
        "--format",
        "dot",
        "--focus",
        "payment",
        "--depth",
        "1",
        "--direction",
        "up",
    ]);
    assert_eq!(parse_dot(&up.stdout), set(&["checkout", "payment"]));
    let all_up = ok(&[
        "render",
        "--format",
        "dot",
        "--focus",
        "payment",
        "--direction",
        "up",
    ]);
    assert_eq!(parse_dot(&all_up.stdout), impacted(&["payment"]));
    let impact = ok(&[
        "impact", "logging", "--format", "dot", "--focus", "payment", "--depth", "1",
    ]);
    assert_eq!(
        parse_dot(&impact.stdout),
        set(&["checkout", "fraud", "http-client", "logging", "payment"])
    );
}

#[test]
fn collapse_folds_modules_into_their_services() {
    let out = ok(&["render", "--format", "dot", "--collapse", "modules"]);
    let ids = parse_dot(&out.stdout);
    assert!(!ids.contains("payment-core") && ids.contains("payment"));
    assert!(!out.stdout.contains("subgraph cluster_"));
    assert!(out.stdout.contains("+1 module"));
    // Above 500 nodes, modules fold by default.
    let dir = tempfile::tempdir().unwrap();
    let g = generated(dir.path(), 150, 3, 2);
    let out = ok(&["render", "--graph", &g, "--format", "dot"]);
    assert_eq!(parse_dot(&out.stdout).len(), 150);
    assert!(out.stdout.contains(
        "450 modules folded into their services because the picture has 600 nodes, more than 500 (pass --collapse none to draw them)"
    ));
    let out = ok(&[
        "render",
        "--graph",
        &g,
        "--format",
        "dot",
        "--collapse",
        "none",
    ]);
    assert_eq!(parse_dot(&out.stdout).len(), 600);
}

#[test]
fn picture_options_are_checked() {
    let e = expect(2, &["render", "--focus", "paymnt"]);
    assert!(
        e.stderr.contains("unknown node id 'paymnt'"),
        "{}",
        e.stderr
    );
    let e = expect(
        2,
        &["impact", "payment", "--format", "svg", "--focus", "admin"],
    );
    assert!(
        e.stderr
            .contains("--focus 'admin' is not in the blast radius"),
        "{}",
        e.stderr
    );
    let e = expect(2, &["impact", "payment", "--focus", "payment"]);
    assert!(
        e.stderr.contains("shape pictures, not --format text"),
        "{}",
        e.stderr
    );
    let e = expect(2, &["render", "--format", "dot", "--renderer", "graphviz"]);
    assert!(
        e.stderr.contains("--renderer applies to --format svg only"),
        "{}",
        e.stderr
    );
    let e = expect(2, &["render", "--format", "json"]);
    assert!(e.stderr.contains("invalid value 'json'"), "{}", e.stderr);
    assert!(e.stdout.is_empty());
}

#[test]
fn pictures_are_byte_identical_across_runs_and_thread_counts() {
    for format in ["dot", "svg", "mermaid", "html"] {
        let a = ok(&["render", "--format", format]).stdout;
        let mut cmd = blast();
        cmd.env("RAYON_NUM_THREADS", "1");
        let b = run(cmd, &["render", "--format", format]);
        assert_eq!(b.code, 0);
        assert!(a == b.stdout, "{format} differs between runs");
        let c = ok(&["impact", "logging", "--format", format]).stdout;
        let d = ok(&["impact", "logging", "--format", format]).stdout;
        assert!(c == d, "{format} impact differs between runs");
    }
}

#[test]
fn empty_and_oversized_pictures() {
    // A change that maps to no node draws an empty picture that says why.
    for format in ["dot", "svg", "mermaid", "html"] {
        let out = ok(&[
            "impact",
            "misc/notes.txt",
            "docs/adr.md",
            "--format",
            format,
        ]);
        assert!(
            out.stdout
                .contains("1 path maps to no node: misc/notes.txt"),
            "{format}"
        );
        assert!(
            out.stdout
                .contains("1 path ignored: docs/adr.md (default rule"),
            "{format}"
        );
        if format == "dot" {
            assert!(parse_dot(&out.stdout).is_empty());
            graphviz_accepts(&out.stdout);
        }
        if format == "svg" {
            assert!(parse_svg(&out.stdout).0.is_empty());
        }
    }
    // More than 10,000 nodes: refused, with the way out.
    let dir = tempfile::tempdir().unwrap();
    let g = generated(dir.path(), 10_001, 0, 1);
    let e = expect(2, &["render", "--graph", &g, "--format", "dot"]);
    assert!(
        e.stderr
            .contains("the picture would have 10001 nodes, more than 10000: too many to draw"),
        "{}",
        e.stderr
    );
    assert!(e.stderr.contains("--focus ID"));
    let out = ok(&[
        "render", "--graph", &g, "--format", "dot", "--focus", "svc-0000", "--depth", "3",
    ]);
    assert_eq!(parse_dot(&out.stdout).len(), 7);
}

/// Long paths and huge ids make tooltips and names Graphviz still reads (it refuses a quoted
/// string past 16,384 bytes): a tooltip keeps the path's ends and says how many nodes it
/// leaves out, and an id past 1 KiB gets a synthetic node name.
#[test]
fn long_paths_and_huge_ids_make_dot_graphviz_reads() {
    let dir = tempfile::tempdir().unwrap();
    let name = |i: usize| format!("service-number-{i:03}-with-a-reasonably-long-name");
    let nodes: Vec<serde_json::Value> = (0..400)
        .map(|i| {
            let deps: Vec<String> = (i > 0).then(|| name(i - 1)).into_iter().collect();
            serde_json::json!({"id": name(i), "depends_on": deps})
        })
        .collect();
    let chain = dir.path().join("chain.json");
    std::fs::write(&chain, serde_json::json!({ "nodes": nodes }).to_string()).unwrap();
    let out = ok(&[
        "impact",
        "-g",
        chain.to_str().unwrap(),
        &name(0),
        "-f",
        "dot",
    ]);
    let tip = out
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("  \"{}\" [", name(399))))
        .and_then(|l| l.split("tooltip=\"").nth(1))
        .and_then(|t| t.split('"').next())
        .unwrap();
    let path: Vec<String> = (0..6)
        .map(name)
        .chain(["… 388 more …".to_string()])
        .chain((394..400).map(name))
        .collect();
    assert_eq!(
        tip,
        format!(
            "{} (service)\\nrisk none, distance 399, strength 1.00\\npath: {}",
            name(399),
            path.join(" → ")
        )
    );
    graphviz_accepts(&out.stdout);

    let huge = "x".repeat(100_000);
    let g = crate::util::write_file(
        dir.path(),
        "huge.json",
        &serde_json::json!({"nodes": [{"id": huge, "depends_on": ["a"]}, {"id": "a"}]}).to_string(),
    );
    let out = ok(&["impact", "-g", &g, "a", "-f", "dot"]);
    assert_eq!(
        parse_dot(&out.stdout),
        BTreeSet::from(["a".to_string(), "blast:node:1".to_string()])
    );
    graphviz_accepts(&out.stdout);
}

#[test]
fn bidi_controls_in_ids_are_shown_not_obeyed() {
    // "Trojan Source": U+202E before "tnem" makes "pay" + "tnem" read as "payment".
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("bidi.json");
    std::fs::write(
        &graph,
        r#"{"nodes": [
            {"id": "pay\u202etnem", "kind": "service", "tier": 0, "customer_facing": true},
            {"id": "lib\u2066x\u2069", "kind": "module", "depends_on": []}
        ], "edges": [{"from": "pay\u202etnem", "to": "lib\u2066x\u2069"}]}"#,
    )
    .unwrap();
    let g = graph.to_str().unwrap();
    for format in ["mermaid", "dot", "svg", "html"] {
        let out = ok(&["render", "--graph", g, "--format", format]);
        // Labels show the escape; only identifiers (DOT ids, SVG data attributes, the
        // explorer's data) keep the id as written.
        // DOT's quoted strings and the explorer's JSON data double the backslash.
        let shown = if format == "dot" || format == "html" {
            "pay\\\\u{202e}tnem"
        } else {
            "pay\\u{202e}tnem"
        };
        assert!(out.stdout.contains(shown), "{format}: {}", out.stdout);
        if format == "mermaid" {
            assert!(
                !out.stdout.contains(['\u{202e}', '\u{2066}', '\u{2069}']),
                "{format}"
            );
            assert!(out.stdout.contains("lib\\u{2066}x\\u{2069}"));
        }
    }
}
