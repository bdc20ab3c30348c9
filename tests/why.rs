//! `blast why`: strongest and shortest paths, path counts, unreachable answers.

use serde_json::json;

use crate::util::{expect, json, ok};

#[test]
fn payment_reaches_storefront_through_checkout() {
    let out = ok(&["why", "payment", "storefront"]);
    insta::assert_snapshot!("why_payment_storefront_text", out.stdout);
    let v = json(&ok(&["why", "payment", "storefront", "-f", "json"]));
    assert_eq!(v["schema"], "blast-radius/why/v1");
    assert_eq!(v["reachable"], true);
    assert_eq!(v["risk"], "high");
    assert_eq!(
        v["strongest"]["nodes"],
        json!(["payment", "checkout", "storefront"])
    );
    assert_eq!(
        v["strongest"]["hops"][0],
        json!({"from": "payment", "to": "checkout", "kind": "sync", "optional": false, "strength": 1.0})
    );
    assert_eq!(v["paths"], json!({"count": 1, "capped": false}));
}

#[test]
fn strongest_and_shortest_differ_on_a_detour() {
    let v = json(&ok(&[
        "why",
        "lib",
        "api",
        "-g",
        "graphs/small/detour.toml",
        "-f",
        "json",
    ]));
    assert_eq!(v["strongest"]["nodes"], json!(["lib", "b", "a", "api"]));
    assert_eq!(v["strongest"]["strength"], 1.0);
    assert_eq!(v["shortest"]["nodes"], json!(["lib", "api"]));
    assert_eq!(v["shortest"]["strength"], 0.5);
    assert_eq!(
        v["shortest"]["hops"][0],
        json!({"from": "lib", "to": "api", "kind": "sync", "optional": true, "strength": 0.5})
    );
    assert_eq!(v["paths"], json!({"count": 2, "capped": false}));
    let text = ok(&["why", "lib", "api", "-g", "graphs/small/detour.toml"]).stdout;
    assert!(text.contains("lib ─sync optional 0.50→ api"), "{text}");
}

#[test]
fn not_reachable_is_an_answer() {
    let out = ok(&["why", "storefront", "payment"]);
    assert!(
        out.stdout
            .starts_with("not reachable: a change to storefront does not reach payment"),
        "{}",
        out.stdout
    );
    let v = json(&ok(&["why", "storefront", "payment", "-f", "json"]));
    assert_eq!(
        v,
        json!({"schema": "blast-radius/why/v1", "from": "storefront", "to": "payment", "reachable": false})
    );
    // Dev edges do not propagate: test-utils never reaches checkout.
    let v = json(&ok(&["why", "test-utils", "checkout", "-f", "json"]));
    assert_eq!(v["reachable"], false);
}

#[test]
fn paths_are_counted_exactly_on_a_dag_and_capped_when_asked() {
    let v = json(&ok(&[
        "why",
        "base",
        "web",
        "-g",
        "graphs/small/diamond.json",
        "-f",
        "json",
    ]));
    assert_eq!(v["paths"], json!({"count": 2, "capped": false}));
    let v = json(&ok(&[
        "why",
        "logging",
        "storefront",
        "-f",
        "json",
        "--max-paths",
        "5",
    ]));
    assert_eq!(v["paths"], json!({"count": 5, "capped": true}));
    let text = ok(&["why", "logging", "storefront", "--max-paths", "5"]).stdout;
    assert!(text.contains("distinct simple paths: ≥ 5"), "{text}");
}

#[test]
fn paths_through_a_cycle_are_simple() {
    // gateway → orders → billing → ledger → orders: from ledger, gateway is reached via orders.
    let v = json(&ok(&[
        "why",
        "ledger",
        "gateway",
        "-g",
        "graphs/small/cycle.yaml",
        "-f",
        "json",
    ]));
    assert_eq!(
        v["strongest"]["nodes"],
        json!(["ledger", "billing", "orders", "gateway"])
    );
    assert_eq!(v["paths"], json!({"count": 1, "capped": false}));
}

#[test]
fn unknown_ids_are_errors() {
    let out = expect(2, &["why", "paymnt", "checkout"]);
    assert!(
        out.stderr.contains("unknown node id 'paymnt'"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("did you mean one of: 'payment', "),
        "{}",
        out.stderr
    );
}
