//! `blast check`: findings with stable codes, exit codes.

use crate::util::{expect, json, ok};

fn codes(v: &serde_json::Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().into(),
                f["severity"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[test]
fn the_example_graph_has_one_shared_fate_cycle() {
    let out = ok(&["check"]);
    insta::assert_snapshot!("check_shop_text", out.stdout);
    let v = json(&ok(&["check", "-f", "json"]));
    assert_eq!(v["schema"], "blast-radius/check/v1");
    assert_eq!(
        codes(&v),
        vec![("cycle".to_string(), "warning".to_string())]
    );
    assert_eq!(
        v["findings"][0]["nodes"],
        serde_json::json!(["accounts", "orders"])
    );
    assert_eq!(
        v["summary"],
        serde_json::json!({"errors": 0, "warnings": 1, "notes": 0})
    );
}

#[test]
fn warnings_exit_zero_and_name_the_problem() {
    let v = json(&ok(&[
        "check",
        "-g",
        "graphs/small/cycle.yaml",
        "-f",
        "json",
    ]));
    assert_eq!(
        codes(&v),
        vec![("cycle".to_string(), "warning".to_string())]
    );
    assert_eq!(
        v["findings"][0]["nodes"],
        serde_json::json!(["billing", "ledger", "orders"])
    );
    assert_eq!(
        v["findings"][0]["location"]["file"],
        "graphs/small/cycle.yaml"
    );
}

#[test]
fn errors_exit_two_and_every_problem_is_listed() {
    let out = expect(
        2,
        &["check", "-g", "graphs/invalid/dangling.yaml", "-f", "json"],
    );
    let v = json(&out);
    assert_eq!(
        codes(&v),
        vec![
            ("dangling-edge".to_string(), "error".to_string()),
            ("no-owner".to_string(), "warning".to_string()),
            ("no-paths".to_string(), "note".to_string()),
        ]
    );
    let f = &v["findings"][0];
    assert_eq!(f["nodes"], serde_json::json!(["payment", "checkout"]));
    assert_eq!(
        f["location"],
        serde_json::json!({"file": "graphs/invalid/dangling.yaml", "line": 3, "column": 18})
    );
}

#[test]
fn every_check_fires_on_a_graph_built_to_trip_them() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g.toml");
    std::fs::write(
        &g,
        r#"
[[nodes]]
id = "pay"
tier = 0
owners = ["@a"]
paths = ["pay/**"]
depends_on = ["pay", "cheap", { id = "cheap", kind = "sync" }]

[[nodes]]
id = "cheap"
tier = 3
owners = ["@a"]
paths = ["pay/**"]

[[nodes]]
id = "web"
customer_facing = true
owners = ["@a"]
paths = ["web/**"]

[[nodes]]
id = "lonely"
tier = 0
owners = ["@a"]
paths = ["lonely/**"]

[[nodes]]
id = "nobody"
paths = ["x/**"]

[[nodes]]
id = "lib"
kind = "module"
owners = ["@a"]
"#,
    )
    .unwrap();
    let v = json(&crate::util::run(
        crate::util::blast_in(dir.path()),
        &["check", "-g", "g.toml", "-f", "json"],
    ));
    let mut got: Vec<String> = codes(&v).into_iter().map(|c| c.0).collect();
    got.sort();
    assert_eq!(
        got,
        [
            "customer-facing-without-tier",
            "duplicate-edge",
            "no-owner",
            "no-paths",
            "overlapping-paths",
            "self-loop",
            "tier-inversion",
            "unreachable-tier0",
        ]
    );
}
