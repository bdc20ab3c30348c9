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

/// A finding about one edge (a self-loop, a repeated edge, a tier inversion) points at the
/// edge: the entry in its dependent's `depends_on`, or in the `edges` list (the second
/// declaration of a repeated one), in each format.
#[test]
fn edge_findings_point_at_the_edge() {
    let d = tempfile::tempdir().unwrap();
    let files = [
        (
            "g.toml",
            "[[nodes]]\nid = \"pay\"\ntier = 0\ndepends_on = [\"ledger\"]\n\n[[nodes]]\nid = \"ledger\"\ntier = 3\ndepends_on = [\n  \"audit\",\n  \"ledger\",\n]\n\n[[nodes]]\nid = \"audit\"\ndepends_on = [\"pay\"]\n\n[[edges]]\nfrom = \"audit\"\nto = \"ledger\"\n\n[[edges]]\nfrom = \"pay\"\nto = \"ledger\"\n",
            [
                "warning[self-loop] g.toml:11:4: 'ledger' depends on itself (sync)",
                "warning[tier-inversion] g.toml:4:16: 'pay' (tier 0) depends on 'ledger' (tier 3) by a sync edge at full strength",
                "note[duplicate-edge] g.toml:24:7: the edge 'pay' -> 'ledger' (sync) is declared more than once",
            ],
        ),
        (
            "g.json",
            "{\"nodes\": [\n  {\"id\": \"a\", \"tier\": 0,\n   \"depends_on\": [\"b\", {\"id\": \"b\"}]},\n  {\"id\": \"b\", \"tier\": 3,\n   \"depends_on\": [\"c\", \"b\"]},\n  {\"id\": \"c\"}\n],\n \"edges\": [\n  {\"from\": \"c\", \"to\": \"b\"},\n  {\"from\": \"a\",\n   \"to\": \"b\"}\n ]}\n",
            [
                "warning[self-loop] g.json:5:25: 'b' depends on itself (sync)",
                "warning[tier-inversion] g.json:3:20: 'a' (tier 0) depends on 'b' (tier 3) by a sync edge at full strength",
                "note[duplicate-edge] g.json:3:32: the edge 'a' -> 'b' (sync) is declared more than once",
            ],
        ),
        (
            "g.yaml",
            "nodes:\n  - id: ex\n    tier: 0\n    depends_on:\n      - why\n  - id: why\n    tier: 2\n    depends_on: [why]\nedges:\n  - from: ex\n    to: why\n",
            [
                "warning[self-loop] g.yaml:8:18: 'why' depends on itself (sync)",
                "warning[tier-inversion] g.yaml:5:9: 'ex' (tier 0) depends on 'why' (tier 2) by a sync edge at full strength",
                "note[duplicate-edge] g.yaml:11:9: the edge 'ex' -> 'why' (sync) is declared more than once",
            ],
        ),
    ];
    for (name, text, want) in files {
        std::fs::write(d.path().join(name), text).unwrap();
        let out = crate::util::run(
            crate::util::blast_in(d.path()),
            &["check", "-g", name, "--no-cache"],
        );
        let got: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| {
                ["self-loop", "duplicate-edge", "tier-inversion"]
                    .iter()
                    .any(|c| l.contains(&format!("[{c}]")))
            })
            .collect();
        let mut want = want.to_vec();
        want.sort();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        assert_eq!(got_sorted, want, "{name}:\n{}", out.stdout);
    }
}

/// A tier inversion is judged on the strongest edge to each dependency: a sync edge listed
/// after an async one to the same node still counts, and the finding points at that edge's
/// declaration (the entry whose `kind` and `optional` say so), in TOML, JSON and YAML,
/// in a `depends_on` list or an `edges` entry.
#[test]
fn a_tier_inversion_is_judged_on_the_strongest_edge() {
    let d = tempfile::tempdir().unwrap();
    let cases = [
        (
            "list.toml",
            "[[nodes]]\nid = \"c\"\ntier = 0\ndepends_on = [{ id = \"b\", kind = \"async\" }, \"b\"]\n\n[[nodes]]\nid = \"b\"\ntier = 3\n",
            "list.toml:4:46",
            "sync",
        ),
        (
            "optional.toml",
            "[[nodes]]\nid = \"c\"\ntier = 0\ndepends_on = [{ id = \"b\", optional = true }, { id = \"b\", kind = \"sync\" }]\n\n[[nodes]]\nid = \"b\"\ntier = 3\n",
            "optional.toml:4:54",
            "sync",
        ),
        (
            "edges.toml",
            "[[nodes]]\nid = \"c\"\ntier = 0\ndepends_on = [{ id = \"b\", kind = \"async\" }]\n\n[[nodes]]\nid = \"b\"\ntier = 3\n\n[[edges]]\nfrom = \"c\"\nto = \"b\"\nkind = \"async\"\n\n[[edges]]\nfrom = \"c\"\nto = \"b\"\n",
            "edges.toml:17:7",
            "sync",
        ),
        (
            "g.json",
            "{\"nodes\": [\n {\"id\": \"c\", \"tier\": 0, \"depends_on\": [{\"id\": \"b\", \"kind\": \"async\"}]},\n {\"id\": \"b\", \"tier\": 3}],\n \"edges\": [\n  {\"from\": \"c\", \"to\": \"b\"}]}\n",
            "g.json:5:24",
            "sync",
        ),
        (
            "block.yaml",
            "nodes:\n  - id: c\n    tier: 0\n    depends_on:\n      - id: b\n        kind: async\n      - b\n  - id: b\n    tier: 3\n",
            "block.yaml:7:9",
            "sync",
        ),
        (
            "edges.yaml",
            "nodes:\n  - id: c\n    tier: 0\n    depends_on: [{id: b, kind: async}]\n  - id: b\n    tier: 3\nedges:\n  - from: c\n    to: b\n    kind: async\n    optional: true\n  - from: c\n    to: b\n    kind: build\n",
            "edges.yaml:13:9",
            "build",
        ),
    ];
    for (name, text, at, kind) in cases {
        std::fs::write(d.path().join(name), text).unwrap();
        let out = crate::util::run(
            crate::util::blast_in(d.path()),
            &["check", "-g", name, "--no-cache"],
        );
        let want = format!(
            "warning[tier-inversion] {at}: 'c' (tier 0) depends on 'b' (tier 3) by a {kind} edge at full strength"
        );
        assert!(
            out.stdout.contains(&want),
            "{name}: want {want}\n{}",
            out.stdout
        );
    }
}

/// A finding about a node from a discovered source points at the node's declaration there:
/// a Compose service's key, a Kubernetes object's `metadata.name`, a Cargo package's
/// `name`.
#[test]
fn node_findings_of_discovered_sources_point_at_their_declaration() {
    let lines = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["check", "--no-cache"];
        all.extend(args);
        let out = crate::util::run(crate::util::blast(), &all);
        out.stdout
            .lines()
            .filter(|l| l.starts_with("warning[no-owner]"))
            .map(String::from)
            .collect()
    };
    let compose = lines(&["--compose", "graphs/hotrod/docker-compose.yml"]);
    assert_eq!(
        compose,
        [
            "warning[no-owner] graphs/hotrod/docker-compose.yml:20:3: 'hotrod' has no owners",
            "warning[no-owner] graphs/hotrod/docker-compose.yml:8:3: 'jaeger' has no owners",
        ]
    );
    // Not a long-form `depends_on` entry, a volume, an `x-` block's key or the project's
    // `name`, nor a container named like another workload: only the declaration.
    let compose = lines(&["--compose", "graphs/otel-demo/compose.yaml"]);
    assert_eq!(compose.len(), 20);
    assert!(
        compose.contains(
            &"warning[no-owner] graphs/otel-demo/compose.yaml:174:3: 'currency' has no owners"
                .to_string()
        ),
        "{compose:?}"
    );
    assert!(
        compose
            .iter()
            .all(|l| l.contains(".yaml:") && l.contains(":3: ")),
        "{compose:?}"
    );
    let d = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &str| {
        let p = d.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let file = w(
        "compose.yaml",
        "name: web\nvolumes:\n  db:\n    driver: local\nx-common: &common\n  environment:\n    api: \"1\"\nservices:\n  web:\n    image: nginx\n    depends_on:\n      api:\n        condition: service_started\n    volumes:\n      - db:/data\n  api:\n    <<: *common\n    image: api\n    depends_on: [db]\n  db:\n    image: postgres\n",
    );
    assert_eq!(
        lines(&["--compose", &file]),
        [
            format!("warning[no-owner] {file}:16:3: 'api' has no owners"),
            format!("warning[no-owner] {file}:20:3: 'db' has no owners"),
            format!("warning[no-owner] {file}:9:3: 'web' has no owners"),
        ]
    );
    // A label `id: web` is some other value, not service `web`'s declaration.
    let file = w(
        "labels.yaml",
        "services:\n  db:\n    image: postgres\n    labels:\n      id: web\n  web:\n    image: nginx\n",
    );
    assert_eq!(
        lines(&["--compose", &file]),
        [
            format!("warning[no-owner] {file}:2:3: 'db' has no owners"),
            format!("warning[no-owner] {file}:6:3: 'web' has no owners"),
        ]
    );
    let file = w(
        "all.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cart\nspec:\n  template:\n    spec:\n      containers:\n        - name: redis\n          image: cart\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: redis\nspec:\n  template:\n    spec:\n      containers:\n        - name: redis\n          image: redis\n",
    );
    assert_eq!(
        lines(&["--k8s", &file]),
        [
            format!("warning[no-owner] {file}:4:9: 'cart' has no owners"),
            format!("warning[no-owner] {file}:15:9: 'redis' has no owners"),
        ]
    );
    let k8s = lines(&["--k8s", "graphs/online-boutique/kubernetes-manifests"]);
    assert_eq!(
        k8s[0],
        "warning[no-owner] graphs/online-boutique/kubernetes-manifests/adservice.yaml:18:9: 'adservice' has no owners"
    );
    assert!(k8s.iter().all(|l| l.contains(".yaml:")), "{k8s:?}");
    let cargo = lines(&["--cargo", "graphs/cargo-workspace"]);
    assert!(
        cargo.contains(
            &"warning[no-owner] graphs/cargo-workspace/crates/test-support/Cargo.toml:2:9: 'test-support' has no owners"
                .to_string()
        ),
        "{cargo:?}"
    );
}
