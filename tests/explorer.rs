//! Pictures in a real browser: Debian's headless Chromium, driven by playwright-core
//! (`tests/browser/check.mjs`; `.ci/run` installs both). Each test writes the picture to a
//! temporary file, opens it from `file://` and reads back what a person would see; Mermaid
//! charts are rendered by Mermaid 11 itself (`tests/browser/node_modules/mermaid`).
//!
//! Without Chromium, node or `tests/browser/node_modules`, the tests print a note and pass
//! locally; under CI (`CI` set) they fail instead.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::pictures::{generated, impacted};
use crate::util::{json, ok, root, strings};

/// The command that runs the browser driver, when everything it needs is installed.
fn driver() -> Option<Command> {
    let chromium = std::env::var_os("BLAST_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let modules = root().join("tests/browser/node_modules/playwright-core");
    let node = Command::new("node").arg("--version").output().is_ok();
    let missing: Vec<&str> = [
        (!chromium.exists()).then_some("chromium (apt-get install chromium)"),
        (!node).then_some("node"),
        (!modules.exists()).then_some("playwright-core (cd tests/browser && npm ci)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        let msg = format!("browser tests need {}", missing.join(", "));
        if std::env::var_os("CI").is_some() {
            panic!("{msg}");
        }
        eprintln!("note: skipping: {msg}");
        return None;
    }
    let mut cmd = Command::new("node");
    cmd.arg(root().join("tests/browser/check.mjs"));
    Some(cmd)
}

/// Runs the driver with `args` and parses its JSON answer.
fn drive(mut cmd: Command, args: &[&str]) -> Value {
    let out = cmd.args(args).output().expect("node runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "driver output is not JSON ({e}):\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(v["errors"], serde_json::json!([]), "browser errors: {v}");
    assert_eq!(v["dialogs"], serde_json::json!([]), "dialogs opened: {v}");
    v
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn svg_draws_in_chromium_with_its_labels_in_the_dom() {
    let Some(cmd) = driver() else { return };
    let dir = tempfile::tempdir().unwrap();
    let svg = ok(&["impact", "payment", "--format", "svg"]).stdout;
    let file = write(dir.path(), "payment.svg", &svg);
    let v = drive(cmd, &["svg", &file]);
    let labels: BTreeSet<String> = strings(&v["labels"]).into_iter().collect();
    for id in impacted(&["payment"]) {
        assert!(labels.contains(&id), "label {id} missing: {labels:?}");
    }
    let inked = v["inked"].as_f64().unwrap();
    assert!(
        inked > 0.02,
        "the screenshot is blank ({inked} of pixels inked)"
    );
}

#[test]
fn explorer_search_click_and_why_match_blast() {
    let Some(cmd) = driver() else { return };
    let dir = tempfile::tempdir().unwrap();
    let html = ok(&["render", "--format", "html"]).stdout;
    let file = write(dir.path(), "explorer.html", &html);
    let v = drive(
        cmd,
        &["explorer", &file, "checkout", "payment", "storefront"],
    );
    assert_eq!(v["title"], "dependency graph");
    assert_eq!(strings(&v["matches"]), ["checkout"]);
    // Clicking payment highlights exactly `blast impact payment`'s impacted set.
    let expected = impacted(&["payment"]);
    let blast: BTreeSet<String> = strings(&v["blast"]).into_iter().collect();
    let highlighted: BTreeSet<String> = strings(&v["highlighted"]).into_iter().collect();
    assert_eq!(blast, expected);
    assert_eq!(highlighted, expected);
    assert_eq!(v["heading"], "payment");
    // Its dependencies over propagating edges (dev edges excluded).
    let depends = strings(&v["depends"]);
    assert!(
        depends.contains(&"payments-db".to_string())
            && !depends.contains(&"test-utils".to_string())
    );
    // Shift-click storefront: the strongest path, as `blast why` finds it.
    let why = json(&ok(&["why", "payment", "storefront", "--format", "json"]));
    assert_eq!(strings(&v["why"]), strings(&why["strongest"]["nodes"]));
    // Two equally strong, equally short paths (through checkout and through cart): the
    // explorer picks the one `blast why` picks, though cart sorts before checkout.
    let v = drive(
        driver().unwrap(),
        &["explorer", &file, "pricing", "pricing", "storefront"],
    );
    let why = json(&ok(&["why", "pricing", "storefront", "--format", "json"]));
    assert_eq!(
        strings(&why["strongest"]["nodes"]),
        ["pricing", "checkout", "storefront"]
    );
    assert_eq!(strings(&v["why"]), strings(&why["strongest"]["nodes"]));
}

#[test]
fn explorer_keeps_hostile_names_inert() {
    let Some(cmd) = driver() else { return };
    let dir = tempfile::tempdir().unwrap();
    let graph = "graphs/small/hostile.json";
    let html = ok(&["render", "--graph", graph, "--format", "html"]).stdout;
    let file = write(dir.path(), "hostile.html", &html);
    let img = "<img src=x onerror=alert(1)>";
    let script = "</script><script>window.__pwned=1</script>";
    let v = drive(cmd, &["explorer", &file, "<img", img, script]);
    assert_eq!(v["pwned"], false);
    assert_eq!(v["injected"], 0, "no element was created from data");
    assert_eq!(strings(&v["matches"]), [img]);
    assert_eq!(v["heading"], img, "the id is shown as text");
    let blast: BTreeSet<String> = strings(&v["blast"]).into_iter().collect();
    assert_eq!(blast, impacted(&["--graph", graph, img]));
    assert_eq!(
        strings(&v["why"]).len(),
        0,
        "the module does not depend on its service"
    );
}

#[test]
fn explorer_panel_shows_bidi_controls_instead_of_obeying_them() {
    let Some(cmd) = driver() else { return };
    let dir = tempfile::tempdir().unwrap();
    // "Trojan Source": U+202E makes "pay" + U+202E + "tnem" read as "payment".
    let graph = write(
        dir.path(),
        "bidi.json",
        r#"{"nodes": [
            {"id": "pay\u202etnem", "kind": "service", "tier": 0, "customer_facing": true,
             "owners": ["@team\u2066x\u2069"]},
            {"id": "lib\u2066x\u2069", "kind": "module"},
            {"id": "api", "kind": "module", "part_of": "pay\u202etnem"}
        ], "edges": [{"from": "pay\u202etnem", "to": "lib\u2066x\u2069"}]}"#,
    );
    let html = ok(&["render", "--graph", &graph, "--format", "html"]).stdout;
    let file = write(dir.path(), "bidi.html", &html);
    let (pay, lib) = ("pay\u{202e}tnem", "lib\u{2066}x\u{2069}");
    let v = drive(cmd, &["explorer", &file, "pay", lib, pay]);
    // Lookups use the ids as written …
    assert_eq!(strings(&v["matches"]), [pay]);
    let blast: BTreeSet<String> = strings(&v["blast"]).into_iter().collect();
    assert_eq!(blast, BTreeSet::from([lib.to_string(), pay.to_string()]));
    assert_eq!(strings(&v["why"]), [lib, pay]);
    // … while everything the panel shows reads as written, escapes visible.
    let panel = v["panel"].as_str().unwrap();
    assert_eq!(v["heading"], "lib\\u{2066}x\\u{2069}");
    assert!(panel.contains("pay\\u{202e}tnem"), "{panel}");
    assert!(
        !panel.contains(['\u{202e}', '\u{2066}', '\u{2069}']),
        "{panel}"
    );
    // So do the service's box on the canvas and the search box's suggestions.
    assert_eq!(strings(&v["clusterLabels"]), ["pay\\u{202e}tnem"]);
    let options = strings(&v["optionLabels"]);
    assert!(
        options.contains(&"pay\\u{202e}tnem".to_string()),
        "{options:?}"
    );
    assert!(
        !options
            .concat()
            .contains(['\u{202e}', '\u{2066}', '\u{2069}'])
    );
}

#[test]
fn impact_explorer_opens_and_clicks() {
    let Some(cmd) = driver() else { return };
    let dir = tempfile::tempdir().unwrap();
    let html = ok(&["impact", "payment", "--format", "html"]).stdout;
    let file = write(dir.path(), "impact.html", &html);
    let v = drive(cmd, &["explorer", &file, "check", "checkout"]);
    assert_eq!(v["title"], "blast radius of payment — risk critical");
    let blast: BTreeSet<String> = strings(&v["blast"]).into_iter().collect();
    let expected: BTreeSet<String> = ["checkout", "mobile-bff", "storefront"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(blast, expected);
}

#[test]
fn explorer_opens_a_large_graph_quickly() {
    let Some(cmd) = driver() else { return };
    let dir = tempfile::tempdir().unwrap();
    // 1,250 services × 3 modules = 5,000 nodes, drawn without folding.
    let g = generated(dir.path(), 1250, 3, 2);
    let started = std::time::Instant::now();
    let html = ok(&[
        "render",
        "--graph",
        &g,
        "--format",
        "html",
        "--collapse",
        "none",
    ])
    .stdout;
    let rendered = started.elapsed();
    let file = write(dir.path(), "large.html", &html);
    let started = std::time::Instant::now();
    let v = drive(cmd, &["explorer", &file, "svc-0007", "svc-0007"]);
    let opened = started.elapsed();
    eprintln!(
        "5,000 nodes: html written in {rendered:?}, opened, searched and clicked in {opened:?}"
    );
    assert_eq!(strings(&v["matches"])[0], "svc-0007");
    let blast = strings(&v["blast"]);
    assert!(blast.contains(&"svc-0007".to_string()) && blast.len() > 1);
    assert!(opened.as_secs() < 60, "took {opened:?}");
}

#[test]
fn mermaid_renders_with_mermaid_itself() {
    let Some(_) = driver() else { return };
    let dir = tempfile::tempdir().unwrap();
    let graph = "graphs/small/hostile.json";
    let big = generated(dir.path(), 80, 5, 2);
    // A name holding a Mermaid directive must stay a name (not restyle the chart).
    let directive = write(
        dir.path(),
        "directive.json",
        r#"{"nodes": [{"id": "checkout", "depends_on": ["payment"]}, {"id": "payment"}, {"id": "%%{init: {'themeCSS': '.node {display:none}'}}%%", "depends_on": ["payment"]}]}"#,
    );
    for (args, nodes, edges) in [
        (
            vec!["render", "--graph", &directive, "--format", "mermaid"],
            3,
            2,
        ),
        (
            vec![
                "render",
                "--graph",
                &directive,
                "--format",
                "mermaid",
                "--focus",
                "%%{init: {'themeCSS': '.node {display:none}'}}%%",
            ],
            2,
            1,
        ),
        (vec!["impact", "payment", "--format", "mermaid"], 4, 3),
        (vec!["render", "--format", "mermaid"], 37, 83),
        (
            vec!["render", "--graph", graph, "--format", "mermaid"],
            10,
            11,
        ),
        // Over budget: the services-only fallback must fit Mermaid's limits.
        (
            vec!["render", "--graph", &big, "--format", "mermaid"],
            80,
            160,
        ),
    ] {
        let md = ok(&args).stdout;
        let file = write(dir.path(), "chart.md", &md);
        let v = drive(driver().unwrap(), &["mermaid", &file]);
        assert_eq!(v["nodes"], nodes, "{args:?}: {v}");
        assert_eq!(v["edges"], edges, "{args:?}: {v}");
        assert_eq!(v["hidden"], 0, "{args:?}: {v}");
        if args.contains(&graph) {
            let text = strings(&v["text"]);
            for label in [
                "<img src=x onerror=alert(1)> · service · tier 0",
                "</script><script>window.__pwned=1</script> · module",
                "quote \" and 'single' & amp · datastore · tier 1",
                "x --> y · service · tier 3",
                // Line and paragraph separators are shown as escapes, as line breaks are.
                "#35; entity \\u{2028} separator · service",
                "line\\u{a}break · queue · tier 2",
                "end · service",
            ] {
                assert!(text.iter().any(|t| t == label), "{label:?} not in {text:?}");
            }
        }
    }
}
