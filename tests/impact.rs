//! `blast impact`: impacted sets, distances, strengths, risks and paths.

use serde_json::{Value, json};

use crate::util::{expect, json, ok};

/// `(id, distance, strength, risk, path)` of every impacted node, in output order.
fn rows(v: &Value) -> Vec<(String, u64, f64, String, Vec<String>)> {
    v["impacted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_string(),
                n["distance"].as_u64().unwrap(),
                n["strength"].as_f64().unwrap(),
                n["risk"].as_str().unwrap().to_string(),
                n["path"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

fn row(
    id: &str,
    d: u64,
    s: f64,
    risk: &str,
    path: &[&str],
) -> (String, u64, f64, String, Vec<String>) {
    (
        id.to_string(),
        d,
        s,
        risk.to_string(),
        path.iter().map(|p| p.to_string()).collect(),
    )
}

#[test]
fn payment_is_critical_through_checkout() {
    let out = ok(&["impact", "payment"]);
    let first = out.stdout.lines().next().unwrap();
    assert!(first.starts_with("risk: critical"), "{}", out.stdout);
    assert!(out.stdout.contains("payment → checkout"), "{}", out.stdout);
    assert!(!out.stdout.contains('\x1b'), "no colour when piped");
    insta::assert_snapshot!("impact_payment_text", out.stdout);
}

#[test]
fn payment_json_honours_the_contract() {
    let v = json(&ok(&["impact", "payment", "--format", "json"]));
    assert_eq!(v["schema"], "blast-radius/impact/v1");
    assert_eq!(v["risk"], "critical");
    assert_eq!(
        v["changed"],
        json!([{"input": "payment", "nodes": ["payment"], "reason": "node id",
                 "status": null, "via": "node", "widened": false}])
    );
    assert_eq!(v["unmapped"], json!([]));
    assert_eq!(
        rows(&v),
        vec![
            row("payment", 0, 1.0, "critical", &["payment"]),
            row("checkout", 1, 1.0, "critical", &["payment", "checkout"]),
            row(
                "mobile-bff",
                2,
                1.0,
                "high",
                &["payment", "checkout", "mobile-bff"]
            ),
            row(
                "storefront",
                2,
                1.0,
                "high",
                &["payment", "checkout", "storefront"]
            ),
        ],
        "sorted by risk, then distance, then id"
    );
    let checkout = &v["impacted"][1];
    assert_eq!(checkout["kind"], "service");
    assert_eq!(checkout["tier"], 0);
    assert_eq!(checkout["customer_facing"], true);
    assert_eq!(checkout["owners"], json!(["@shop/checkout"]));
    assert_eq!(v["summary"]["impacted"], 4);
    assert_eq!(v["summary"]["customer_facing"], 3);
    assert_eq!(v["summary"]["tier0"], 2);
    insta::assert_json_snapshot!("impact_payment_json", v);
}

#[test]
fn a_file_path_maps_to_its_most_specific_owner() {
    let v = json(&ok(&[
        "impact",
        "services/payment/core/src/lib.rs",
        "-f",
        "json",
    ]));
    assert_eq!(
        v["changed"],
        json!([{"input": "services/payment/core/src/lib.rs", "nodes": ["payment-core"],
                "reason": "glob 'services/payment/core/**' of payment-core",
                "status": null, "via": "paths", "widened": false}])
    );
    let ids: Vec<(String, u64)> = rows(&v).into_iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(
        ids,
        [
            ("payment", 1),
            ("checkout", 2),
            ("mobile-bff", 3),
            ("storefront", 3),
            ("payment-core", 0)
        ]
        .map(|(a, b)| (a.to_string(), b))
    );
    // The service's own files map to the service.
    let v = json(&ok(&[
        "impact",
        "services/payment/src/lib.rs",
        "-f",
        "json",
    ]));
    assert_eq!(v["changed"][0]["nodes"], json!(["payment"]));
    assert_eq!(
        v["changed"][0]["reason"],
        "glob 'services/payment/**' of payment"
    );
}

#[test]
fn unmapped_paths_are_listed_and_warned_never_dropped() {
    let out = ok(&["impact", "scripts/release.sh", "payment", "-f", "json"]);
    let v = json(&out);
    assert_eq!(v["unmapped"], json!(["scripts/release.sh"]));
    assert_eq!(v["risk"], "critical");
    assert!(
        out.stderr
            .contains("warning: 'scripts/release.sh' maps to no node"),
        "{}",
        out.stderr
    );
    let text = ok(&["impact", "scripts/release.sh"]);
    assert!(
        text.stdout
            .starts_with("risk: none — a change to nothing reaches 0 nodes"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("warning: scripts/release.sh maps to no node"),
        "{}",
        text.stdout
    );
}

#[test]
fn an_unknown_id_is_an_error_with_a_suggestion() {
    let out = expect(2, &["impact", "chekout"]);
    assert_eq!(out.stdout, "", "no partial report on stdout");
    assert_eq!(
        out.stderr,
        "error: unknown node id 'chekout'\n  help: did you mean 'checkout'?\n"
    );
}

#[test]
fn edge_kinds_propagate_with_their_strengths() {
    let v = json(&ok(&[
        "impact",
        "lib",
        "-g",
        "graphs/small/edge-kinds.toml",
        "-f",
        "json",
    ]));
    assert_eq!(
        rows(&v),
        vec![
            row("data-reader", 1, 1.0, "critical", &["lib", "data-reader"]),
            row("linker", 1, 1.0, "critical", &["lib", "linker"]),
            row("sync-caller", 1, 1.0, "critical", &["lib", "sync-caller"]),
            row("async-consumer", 1, 0.5, "high", &["lib", "async-consumer"]),
            row(
                "optional-caller",
                1,
                0.5,
                "high",
                &["lib", "optional-caller"]
            ),
            row("lib", 0, 1.0, "none", &["lib"]),
        ],
        "dev, startup and telemetry edges do not propagate"
    );
}

#[test]
fn the_strongest_path_can_be_longer_than_the_distance() {
    let v = json(&ok(&[
        "impact",
        "lib",
        "-g",
        "graphs/small/detour.toml",
        "-f",
        "json",
    ]));
    let api = rows(&v).into_iter().find(|r| r.0 == "api").unwrap();
    assert_eq!(
        api,
        row("api", 1, 1.0, "critical", &["lib", "b", "a", "api"])
    );
}

#[test]
fn the_strongest_of_equal_length_paths_wins() {
    let v = json(&ok(&[
        "impact",
        "base",
        "-g",
        "graphs/small/diamond.json",
        "-f",
        "json",
    ]));
    assert_eq!(
        rows(&v),
        vec![
            row("web", 2, 1.0, "high", &["base", "left", "web"]),
            row("left", 1, 1.0, "medium", &["base", "left"]),
            row("base", 0, 1.0, "none", &["base"]),
            row("right", 1, 1.0, "none", &["base", "right"]),
        ]
    );
}

#[test]
fn several_changes_take_the_nearest_and_strongest() {
    let v = json(&ok(&["impact", "cart", "pricing", "-f", "json"]));
    let checkout = rows(&v).into_iter().find(|r| r.0 == "checkout").unwrap();
    assert_eq!(checkout.1, 1);
    assert_eq!(v["changed"].as_array().unwrap().len(), 2);
    let cart = rows(&v).into_iter().find(|r| r.0 == "cart").unwrap();
    assert_eq!(
        cart.1, 0,
        "a changed node is at distance 0 even when another change reaches it"
    );
}

#[test]
fn nothing_tiered_reached_is_risk_none() {
    let v = json(&ok(&["impact", "test-utils", "-f", "json"]));
    assert_eq!(v["risk"], "none");
    assert_eq!(
        rows(&v),
        vec![row("test-utils", 0, 1.0, "none", &["test-utils"])]
    );
}

#[test]
fn internal_tools_are_low() {
    let v = json(&ok(&["impact", "admin", "-f", "json"]));
    assert_eq!(v["risk"], "low");
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let out = ok(&["impact", "payment", "--color", "always"]);
    assert!(out.stdout.contains("\x1b["), "{:?}", out.stdout);
    assert!(out.stdout.contains("critical\x1b[0m"), "{:?}", out.stdout);
    let out = ok(&["impact", "payment", "--color", "never"]);
    assert!(!out.stdout.contains('\x1b'));
}

#[test]
fn output_is_byte_identical_across_runs_and_thread_counts() {
    let with_threads = |n: &str| {
        let mut c = crate::util::blast();
        c.env("RAYON_NUM_THREADS", n);
        crate::util::run(c, &["impact", "logging", "-f", "json"])
    };
    let (a, b) = (with_threads("1"), with_threads("4"));
    assert_eq!(a.code, 0);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn a_long_chain_of_weak_edges_never_rounds_to_zero_strength() {
    // 1,100 async edges at 0.5: 0.5^1100 is below the smallest double; c is still reached
    // and, tier 0, rated medium (not none) by impact and by rank.
    let dir = tempfile::tempdir().unwrap();
    let mut nodes = vec![serde_json::json!({"id": "n0"})];
    for i in 1..=1100 {
        let mut n = serde_json::json!({"id": format!("n{i}"), "depends_on": [{"id": format!("n{}", i - 1), "kind": "async"}]});
        if i == 1100 {
            n["tier"] = serde_json::json!(0);
        }
        nodes.push(n);
    }
    let g = dir.path().join("chain.json");
    std::fs::write(&g, serde_json::json!({"nodes": nodes}).to_string()).unwrap();
    let g = g.to_str().unwrap();
    let v = crate::util::json(&crate::util::ok(&[
        "impact",
        "n0",
        "-g",
        g,
        "--no-cache",
        "-f",
        "json",
    ]));
    assert_eq!(v["risk"], "medium");
    assert_eq!(v["impacted"][0]["id"], "n1100");
    assert!(v["impacted"][0]["strength"].as_f64().unwrap() > 0.0);
    let v = crate::util::json(&crate::util::ok(&[
        "rank",
        "-g",
        g,
        "--no-cache",
        "-f",
        "json",
        "--top",
        "1",
    ]));
    assert_eq!(v["nodes"][0]["id"], "n0");
    assert_eq!(v["nodes"][0]["risk"], "medium");
}
