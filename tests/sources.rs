//! Discovered sources on the five real systems in `graphs/` (see `graphs/*/SOURCE.md`):
//! the edges a careful reader finds in the files, and the impacted sets `blast impact`
//! gives with each system's overlay.

use std::collections::BTreeSet;
use std::path::PathBuf;

use blast_radius::codes::{Code, Finding};
use blast_radius::graph::{DependencyGraph, EdgeKind, NodeKind};
use blast_radius::ops::{GraphOptions, Workspace};
use blast_radius::sources::{SourceKind, SourceOptions, SourceSpec};

use crate::util::{expect, json, ok, root, strings};

pub fn spec(kind: SourceKind, paths: &[&str]) -> SourceSpec {
    SourceSpec {
        kind,
        paths: paths.iter().map(PathBuf::from).collect(),
        options: SourceOptions::default(),
    }
}

/// Loads sources (and graph files) through the same path as the CLI.
pub fn load(sources: Vec<SourceSpec>, graphs: &[&str]) -> (DependencyGraph, Vec<Finding>) {
    let ws = Workspace::load(&GraphOptions {
        config: None,
        graphs: graphs.iter().map(PathBuf::from).collect(),
        sources,
        cwd: root(),
        no_cache: true,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    ws.graph.verify().expect("internal invariants hold");
    (ws.graph, ws.load.findings)
}

/// `(to, kind)` of every edge out of `from`, sorted.
pub fn deps(g: &DependencyGraph, from: &str) -> Vec<(String, EdgeKind)> {
    let mut v: Vec<(String, EdgeKind)> = g
        .node(from)
        .unwrap_or_else(|| panic!("no node {from}"))
        .dependencies()
        .filter(|d| !d.is_implicit())
        .map(|d| (d.to().id().to_string(), d.kind()))
        .collect();
    v.sort();
    v
}

pub fn pairs(list: &[(&str, EdgeKind)]) -> Vec<(String, EdgeKind)> {
    let mut v: Vec<(String, EdgeKind)> = list.iter().map(|(a, k)| (a.to_string(), *k)).collect();
    v.sort();
    v
}

/// The ids `blast impact ARGS --format json` reports, sorted.
pub fn impacted(args: &[&str]) -> BTreeSet<String> {
    let mut a = vec!["impact"];
    a.extend_from_slice(args);
    a.extend(["--format", "json"]);
    let v = json(&ok(&a));
    v["impacted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect()
}

pub fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn codes(f: &[Finding]) -> Vec<(Code, String)> {
    f.iter().map(|f| (f.code, f.message.clone())).collect()
}

use EdgeKind::{Async, Data, Startup, Sync, Telemetry};

const OTEL: [&str; 2] = [
    "graphs/otel-demo/compose.yaml",
    "graphs/otel-demo/compose.full.yaml",
];

fn otel() -> (DependencyGraph, Vec<Finding>) {
    load(vec![spec(SourceKind::Compose, &OTEL)], &[])
}

#[test]
fn otel_shipping_reaches_quote_only_through_an_environment_variable() {
    let (g, findings) = otel();
    assert!(findings.is_empty(), "{findings:#?}");
    let edges: Vec<_> = g
        .dependencies()
        .filter(|d| d.to().id().as_str() == "quote")
        .map(|d| (d.from().id().to_string(), d.kind(), d.origin().clone()))
        .collect();
    assert_eq!(edges.len(), 2, "{edges:?}");
    let (from, kind, o) = &edges.iter().find(|e| e.0 == "shipping").unwrap();
    assert_eq!((from.as_str(), *kind), ("shipping", Sync));
    assert_eq!(o.source, "compose");
    assert_eq!(o.file, PathBuf::from("graphs/otel-demo/compose.yaml"));
    // `- QUOTE_ADDR` in shipping's environment; the value is in .env.
    let text = std::fs::read_to_string(root().join("graphs/otel-demo/compose.yaml")).unwrap();
    let line = text.lines().nth(o.line.unwrap() as usize - 1).unwrap();
    assert_eq!(line.trim(), "- QUOTE_ADDR");
    assert_eq!(
        o.evidence.as_deref(),
        Some("environment QUOTE_ADDR=http://quote:8090 (value from .env)")
    );
    let (_, kind, o) = &edges.iter().find(|e| e.0 == "frontend").unwrap();
    assert_eq!(*kind, Startup);
    assert_eq!(
        o.evidence.as_deref(),
        Some("depends_on quote (service_healthy)")
    );
}

#[test]
fn otel_edges_are_what_the_files_say() {
    let (g, _) = otel();
    assert_eq!(
        deps(&g, "checkout"),
        pairs(&[
            ("cart", Sync),
            ("currency", Sync),
            ("email", Sync),
            ("flagd", Sync),
            ("kafka", Async),
            ("otel-collector", Telemetry),
            ("payment", Sync),
            ("product-catalog", Sync),
            ("shipping", Sync),
        ])
    );
    assert_eq!(
        deps(&g, "frontend"),
        pairs(&[
            ("ad", Sync),
            ("cart", Sync),
            ("checkout", Sync),
            ("currency", Sync),
            ("flagd", Sync),
            ("image-provider", Startup),
            ("otel-collector", Telemetry),
            ("product-catalog", Sync),
            ("quote", Startup),
            ("recommendation", Sync),
            ("shipping", Sync),
        ])
    );
    assert_eq!(
        deps(&g, "cart"),
        pairs(&[
            ("flagd", Sync),
            ("otel-collector", Telemetry),
            ("valkey-cart", Data)
        ])
    );
    assert_eq!(
        deps(&g, "accounting"),
        pairs(&[
            ("astronomy-db", Data),
            ("kafka", Async),
            ("otel-collector", Telemetry)
        ])
    );
    assert_eq!(
        deps(&g, "frontend-proxy"),
        pairs(&[
            ("flagd", Sync),
            ("flagd-ui", Sync),
            ("frontend", Sync),
            ("image-provider", Sync),
            ("otel-collector", Telemetry),
            ("telemetry-docs", Sync),
        ])
    );
    assert_eq!(
        deps(&g, "load-generator"),
        pairs(&[
            ("flagd", Sync),
            ("frontend", Startup),
            ("frontend-proxy", Sync),
            ("otel-collector", Telemetry),
        ])
    );
    // The collector's own references are telemetry (it scrapes, it does not serve).
    assert!(
        deps(&g, "otel-collector")
            .iter()
            .all(|(_, k)| *k == Telemetry)
    );
    for (id, kind) in [
        ("valkey-cart", NodeKind::Datastore),
        ("astronomy-db", NodeKind::Datastore),
        ("kafka", NodeKind::Queue),
        ("quote", NodeKind::Service),
    ] {
        assert_eq!(g.node(id).unwrap().kind(), kind, "{id}");
    }
    // Credentials in connection strings never reach the evidence.
    let ev: Vec<String> = g
        .dependencies()
        .filter_map(|d| d.origin().evidence.clone())
        .collect();
    assert!(
        ev.iter().all(|e| !e.contains("astronomy_password")),
        "{ev:#?}"
    );
    assert!(
        ev.iter()
            .any(|e| e.contains("postgres://astronomy_user:***@astronomy-db"))
    );
}

#[test]
fn otel_layers_override_like_docker_compose() {
    let (core, _) = load(
        vec![spec(
            SourceKind::Compose,
            &["graphs/otel-demo/compose.yaml"],
        )],
        &[],
    );
    assert!(core.node("kafka").is_none());
    assert!(!deps(&core, "checkout").iter().any(|(t, _)| t == "kafka"));
    let (all, findings) = load(
        vec![spec(
            SourceKind::Compose,
            &[
                "graphs/otel-demo/compose.yaml",
                "graphs/otel-demo/compose.full.yaml",
                "graphs/otel-demo/compose.observability.yaml",
                "graphs/otel-demo/compose.agent.yaml",
                "graphs/otel-demo/compose.profiling.yaml",
                "graphs/otel-demo/compose.tests.yaml",
                "graphs/otel-demo/compose.extras.yaml",
            ],
        )],
        &[],
    );
    assert!(findings.is_empty(), "{findings:#?}");
    // compose.observability.yaml adds start-up edges to the UIs; the hosts were in .env all along.
    assert!(deps(&all, "frontend-proxy").contains(&("jaeger".into(), Telemetry)));
    assert!(deps(&all, "frontend-proxy").contains(&("grafana".into(), Telemetry)));
    assert_eq!(all.node("opensearch").unwrap().kind(), NodeKind::Datastore);
}

#[test]
fn otel_impacted_sets() {
    let args = |change: &'static str| {
        vec![
            "--compose",
            OTEL[0],
            "--compose",
            OTEL[1],
            "--graph",
            "graphs/otel-demo/overlay.toml",
            change,
        ]
    };
    assert_eq!(
        impacted(&args("quote")),
        set(&[
            "quote",
            "shipping",
            "checkout",
            "frontend",
            "frontend-proxy",
            "load-generator"
        ])
    );
    assert_eq!(
        impacted(&args("kafka")),
        set(&[
            "kafka",
            "checkout",
            "accounting",
            "fraud-detection",
            "frontend",
            "frontend-proxy",
            "load-generator"
        ])
    );
    assert_eq!(
        impacted(&args("valkey-cart")),
        set(&[
            "valkey-cart",
            "cart",
            "checkout",
            "frontend",
            "frontend-proxy",
            "load-generator"
        ])
    );
    // Telemetry does not propagate: the collector reaches nothing.
    assert_eq!(impacted(&args("otel-collector")), set(&["otel-collector"]));
    // A file maps through the overlay's paths.
    let v = json(&ok(&[
        "impact",
        "--compose",
        OTEL[0],
        "--compose",
        OTEL[1],
        "--graph",
        "graphs/otel-demo/overlay.toml",
        "src/payment/index.js",
        "--format",
        "json",
    ]));
    assert_eq!(v["risk"], "critical");
    assert_eq!(v["changed"][0]["nodes"][0], "payment");
}

#[test]
fn online_boutique_edges_come_from_the_addresses() {
    let (g, findings) = load(
        vec![spec(
            SourceKind::K8s,
            &["graphs/online-boutique/kubernetes-manifests"],
        )],
        &[],
    );
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!(
        deps(&g, "frontend"),
        pairs(&[
            ("adservice", Sync),
            ("cartservice", Sync),
            ("checkoutservice", Sync),
            ("currencyservice", Sync),
            ("productcatalogservice", Sync),
            ("recommendationservice", Sync),
            ("shippingservice", Sync),
        ])
    );
    assert_eq!(
        deps(&g, "checkoutservice"),
        pairs(&[
            ("cartservice", Sync),
            ("currencyservice", Sync),
            ("emailservice", Sync),
            ("paymentservice", Sync),
            ("productcatalogservice", Sync),
            ("shippingservice", Sync),
        ])
    );
    assert_eq!(deps(&g, "cartservice"), pairs(&[("redis-cart", Data)]));
    assert_eq!(deps(&g, "loadgenerator"), pairs(&[("frontend", Sync)]));
    assert_eq!(
        deps(&g, "recommendationservice"),
        pairs(&[("productcatalogservice", Sync)])
    );
    assert_eq!(g.node("redis-cart").unwrap().kind(), NodeKind::Datastore);
    // `frontend-external` selects the same pods: one node, named after the workload.
    assert!(g.node("frontend-external").is_none());
    let o = g
        .node("cartservice")
        .unwrap()
        .dependencies()
        .next()
        .unwrap()
        .origin()
        .clone();
    assert_eq!(
        (o.file, o.line, o.evidence.as_deref()),
        (
            PathBuf::from("graphs/online-boutique/kubernetes-manifests/cartservice.yaml"),
            Some(50),
            Some("env REDIS_ADDR=redis-cart:6379 (container server)")
        )
    );
}

#[test]
fn online_boutique_impacted_sets_and_policies() {
    let k8s = "graphs/online-boutique/kubernetes-manifests";
    let overlay = "graphs/online-boutique/overlay.toml";
    assert_eq!(
        impacted(&["--k8s", k8s, "--graph", overlay, "redis-cart"]),
        set(&[
            "redis-cart",
            "cartservice",
            "checkoutservice",
            "frontend",
            "loadgenerator"
        ])
    );
    assert_eq!(
        impacted(&[
            "--k8s",
            k8s,
            "--graph",
            overlay,
            "src/productcatalogservice/server.go"
        ]),
        set(&[
            "productcatalogservice",
            "checkoutservice",
            "recommendationservice",
            "frontend",
            "loadgenerator"
        ])
    );
    // With the network policies and the shopping assistant: the one disagreement.
    let v = json(&ok(&[
        "check",
        "--k8s",
        k8s,
        "--k8s",
        "graphs/online-boutique/kustomize/components",
        "--graph",
        overlay,
        "--format",
        "json",
    ]));
    let found: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"].as_str().unwrap().starts_with("network-policy"))
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["nodes"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [(
            "network-policy-blocks".to_string(),
            r#"["frontend","shoppingassistantservice"]"#.to_string()
        )]
    );
}

#[test]
fn sock_shop_configuration_names_almost_nothing() {
    let (c, _) = load(
        vec![spec(
            SourceKind::Compose,
            &["graphs/sock-shop/docker-compose/docker-compose.yml"],
        )],
        &[],
    );
    let all: Vec<(String, String, EdgeKind)> = c
        .dependencies()
        .map(|d| (d.from().id().to_string(), d.to().id().to_string(), d.kind()))
        .collect();
    assert_eq!(
        all,
        [
            ("user".to_string(), "user-db".to_string(), Data),
            ("user-sim".to_string(), "edge-router".to_string(), Sync),
        ]
    );
    for db in ["carts-db", "catalogue-db", "orders-db", "user-db"] {
        assert_eq!(c.node(db).unwrap().kind(), NodeKind::Datastore, "{db}");
    }
    assert_eq!(c.node("rabbitmq").unwrap().kind(), NodeKind::Queue);
    let (k, findings) = load(
        vec![spec(
            SourceKind::K8s,
            &["graphs/sock-shop/kubernetes/manifests"],
        )],
        &[],
    );
    assert!(findings.is_empty(), "{findings:#?}");
    let all: Vec<(String, String)> = k
        .dependencies()
        .map(|d| (d.from().id().to_string(), d.to().id().to_string()))
        .collect();
    assert_eq!(all, [("user".to_string(), "user-db".to_string())]);
    assert_eq!(k.node_count(), 14);
}

#[test]
fn sock_shop_impacted_sets_over_both_sources() {
    let overlay = "graphs/sock-shop/overlay.toml";
    let k8s = [
        "--k8s",
        "graphs/sock-shop/kubernetes/manifests",
        "--graph",
        overlay,
    ];
    let with = |c: &'static str| {
        let mut v = k8s.to_vec();
        v.push(c);
        v
    };
    assert_eq!(
        impacted(&with("carts-db")),
        set(&["carts-db", "carts", "orders", "front-end"])
    );
    assert_eq!(
        impacted(&with("rabbitmq")),
        set(&[
            "rabbitmq",
            "shipping",
            "queue-master",
            "orders",
            "front-end"
        ])
    );
    let compose = [
        "--compose",
        "graphs/sock-shop/docker-compose/docker-compose.yml",
        "--graph",
        overlay,
        "--graph",
        "graphs/sock-shop/compose.toml",
        "carts-db",
    ];
    assert_eq!(
        impacted(&compose),
        set(&[
            "carts-db",
            "carts",
            "orders",
            "front-end",
            "edge-router",
            "user-sim"
        ])
    );
}

#[test]
fn sock_shop_policies_disagree_with_the_architecture() {
    let v = json(&ok(&[
        "check",
        "--k8s",
        "graphs/sock-shop/kubernetes/manifests",
        "--k8s",
        "graphs/sock-shop/kubernetes/manifests-policy",
        "--graph",
        "graphs/sock-shop/overlay.toml",
        "--graph",
        "graphs/sock-shop/k8s.toml",
        "--format",
        "json",
    ]));
    let mut found: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let c = f["code"].as_str().unwrap();
            c.starts_with("network-policy") || c == "duplicate-object"
        })
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(" -> "),
            )
        })
        .collect();
    found.sort();
    let want: Vec<(String, String)> = [
        ("duplicate-object", "sock-shop"),
        ("network-policy-blocks", "carts -> carts-db"),
        ("network-policy-blocks", "front-end -> carts"),
        ("network-policy-blocks", "front-end -> session-db"),
        ("network-policy-blocks", "orders -> carts"),
        ("network-policy-selects-nothing", ""),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(found, want);
}

#[test]
fn hotrod_traces_and_compose() {
    let (g, findings) = load(
        vec![
            spec(SourceKind::Compose, &["graphs/hotrod/docker-compose.yml"]),
            spec(SourceKind::Jaeger, &["graphs/hotrod/dependencies.json"]),
        ],
        &["graphs/hotrod/overlay.toml"],
    );
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!(deps(&g, "hotrod"), pairs(&[("jaeger", Telemetry)]));
    assert_eq!(
        g.node("hotrod")
            .unwrap()
            .dependencies()
            .find(|d| !d.is_implicit())
            .unwrap()
            .origin()
            .evidence
            .as_deref(),
        Some("environment OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4318; depends_on jaeger")
    );
    assert_eq!(
        deps(&g, "frontend"),
        pairs(&[("customer", Sync), ("driver", Sync), ("route", Sync)])
    );
    let d = g.node("driver").unwrap().dependencies().next().unwrap();
    let attrs: Vec<(String, String)> = d
        .origin()
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    assert_eq!(
        attrs,
        [
            ("calls".into(), "1560".into()),
            ("errors".into(), "170".into())
        ]
    );
    assert_eq!(g.node("redis").unwrap().kind(), NodeKind::Datastore);
    assert_eq!(
        impacted(&[
            "--compose",
            "graphs/hotrod/docker-compose.yml",
            "--jaeger",
            "graphs/hotrod/dependencies.json",
            "--graph",
            "graphs/hotrod/overlay.toml",
            "redis"
        ]),
        set(&["redis", "driver", "frontend", "hotrod"])
    );
    // Drift: every traced call is missing from the declared sources.
    let v = json(&ok(&[
        "check",
        "--compose",
        "graphs/hotrod/docker-compose.yml",
        "--jaeger",
        "graphs/hotrod/dependencies.json",
        "--graph",
        "graphs/hotrod/overlay.toml",
        "--format",
        "json",
    ]));
    let drift: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "undeclared-dependency")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        drift,
        [
            "traces show 'customer' calling 'mysql' (120 calls), but no declared source has that dependency",
            "traces show 'driver' calling 'redis' (1560 calls), but no declared source has that dependency",
            "traces show 'frontend' calling 'customer' (120 calls), but no declared source has that dependency",
            "traces show 'frontend' calling 'driver' (120 calls), but no declared source has that dependency",
            "traces show 'frontend' calling 'route' (1200 calls), but no declared source has that dependency",
        ]
    );
}

#[test]
fn backstage_catalog() {
    let (g, findings) = load(
        vec![spec(
            SourceKind::Backstage,
            &["graphs/backstage/catalog-info.yaml"],
        )],
        &[],
    );
    let all: Vec<(String, String, EdgeKind)> = g
        .dependencies()
        .map(|d| (d.from().id().to_string(), d.to().id().to_string(), d.kind()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        all,
        [
            ("artist-lookup".into(), "artists-db".into(), Data),
            (
                "wayback-archive".into(),
                "wayback-archive-ingestion".into(),
                EdgeKind::Build
            ),
            (
                "wayback-archive".into(),
                "wayback-archive-storage".into(),
                EdgeKind::Build
            ),
            ("wayback-search".into(), "wayback-archive".into(), Sync),
        ]
    );
    let n = |id: &str| g.node(id).unwrap_or_else(|| panic!("{id}"));
    assert_eq!(n("artists-db").kind(), NodeKind::Datastore);
    assert_eq!(n("playback-sdk").kind(), NodeKind::Module);
    assert!(n("www-artist").customer_facing() && n("queue-proxy").customer_facing());
    assert!(!n("artist-lookup").customer_facing());
    assert_eq!(
        n("playback-order").owners().collect::<Vec<_>>(),
        ["user:guest"]
    );
    assert_eq!(n("artist-lookup").owners().collect::<Vec<_>>(), ["team-a"]);
    assert_eq!(
        n("wayback-archive-storage")
            .part_of()
            .unwrap()
            .id()
            .as_str(),
        "wayback-archive"
    );
    assert_eq!(g.node_count(), 14);
    // Every reference to an entity the files do not define is a warning, with its line.
    let mut missing: Vec<String> = findings
        .iter()
        .map(|f| {
            assert_eq!(f.code, Code::UnresolvedReference, "{f}");
            f.location.as_ref().unwrap().to_string()
        })
        .collect();
    missing.sort();
    assert_eq!(
        missing,
        [
            "graphs/backstage/components/petstore-component.yaml:16",
            "graphs/backstage/components/petstore-component.yaml:17",
            "graphs/backstage/components/petstore-component.yaml:18",
            "graphs/backstage/components/wayback-archive-component.yaml:11",
            "graphs/backstage/components/wayback-search-component.yaml:11",
            "graphs/backstage/systems/artist-engagement-portal-system.yaml:11",
            "graphs/backstage/systems/audio-playback-system.yaml:8",
            "graphs/backstage/systems/podcast-system.yaml:8",
        ]
    );
    assert!(
        codes(&findings)[0]
            .1
            .contains("spec.providesApis 'petstore'")
    );
    let args = |c: &'static str| {
        vec![
            "--backstage",
            "graphs/backstage/catalog-info.yaml",
            "--graph",
            "graphs/backstage/overlay.toml",
            c,
        ]
    };
    assert_eq!(
        impacted(&args("artists-db")),
        set(&["artists-db", "artist-lookup"])
    );
    assert_eq!(
        impacted(&args("wayback-archive-storage")),
        set(&[
            "wayback-archive-storage",
            "wayback-archive",
            "wayback-search"
        ])
    );
}

#[test]
fn cargo_workspace() {
    let (g, findings) = load(
        vec![spec(SourceKind::Cargo, &["graphs/cargo-workspace"])],
        &["graphs/cargo-workspace/overlay.toml"],
    );
    assert!(findings.is_empty(), "{findings:#?}");
    use EdgeKind::{Build, Dev};
    assert_eq!(
        deps(&g, "checkout"),
        pairs(&[
            ("money", Build),
            ("payment-core", Build),
            ("telemetry", Build),
            ("test-support", Dev)
        ])
    );
    assert_eq!(
        deps(&g, "payment-core"),
        pairs(&[("money", Build), ("telemetry", Build)])
    );
    let t = g
        .node("checkout")
        .unwrap()
        .dependencies()
        .find(|d| d.to().id().as_str() == "telemetry")
        .unwrap();
    assert_eq!(
        t.origin().evidence.as_deref(),
        Some("[target.'cfg(unix)'.dependencies] telemetry")
    );
    assert_eq!(t.origin().attributes[0].0, "target");
    assert_eq!(t.origin().attributes[0].1.to_string(), "cfg(unix)");
    let n = |id: &str| g.node(id).unwrap();
    assert_eq!(n("money").kind(), NodeKind::Module);
    assert_eq!(n("checkout").kind(), NodeKind::Service);
    assert_eq!(n("payment").kind(), NodeKind::Service);
    assert_eq!(
        n("payment-core").part_of().unwrap().id().as_str(),
        "payment"
    );
    assert_eq!(
        n("money").paths().collect::<Vec<_>>(),
        ["graphs/cargo-workspace/crates/money/**"]
    );
    assert_eq!(n("storefront").tier().unwrap().get(), 1);
    assert!(n("storefront").customer_facing());
    let args = |c: &'static str| {
        vec![
            "--cargo",
            "graphs/cargo-workspace",
            "--graph",
            "graphs/cargo-workspace/overlay.toml",
            c,
        ]
    };
    assert_eq!(
        impacted(&args("graphs/cargo-workspace/crates/money/src/lib.rs")),
        set(&["money", "checkout", "payment-core", "payment", "storefront"])
    );
    assert_eq!(
        impacted(&args("telemetry")),
        set(&[
            "telemetry",
            "checkout",
            "payment-core",
            "payment",
            "storefront"
        ])
    );
    // Dev dependencies never reach production.
    assert_eq!(impacted(&args("test-support")), set(&["test-support"]));
}

#[test]
fn profile_needs_compose() {
    let out = expect(2, &["impact", "--profile", "full", "x"]);
    assert!(
        out.stderr.contains("--profile selects Compose profiles"),
        "{}",
        out.stderr
    );
}

#[test]
fn backstage_annotations_and_names_that_cannot_be_read_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| crate::util::write_file(dir.path(), name, text);
    // A typo in the customer-facing annotation must not make a website internal.
    let typo = write(
        "typo.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: shop-web\n  annotations:\n    blast-radius/customer-facing: \"yes\"\nspec: {type: website, owner: web}\n",
    );
    let out = expect(
        2,
        &["impact", "shop-web", "--backstage", &typo, "--no-cache"],
    );
    assert!(
        out.stderr.contains(
            "typo.yaml:6: component 'shop-web': annotation 'blast-radius/customer-facing' is 'yes', not \"true\" or \"false\""
        ),
        "{}",
        out.stderr
    );
    // "False" in any case is read.
    let no = write(
        "no.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: shop-web\n  annotations:\n    blast-radius/customer-facing: \"False\"\nspec: {type: website, owner: web}\n",
    );
    let v = json(&ok(&[
        "graph",
        "--backstage",
        &no,
        "--no-cache",
        "-f",
        "json",
    ]));
    assert_eq!(v["nodes"][0]["customer_facing"], false);
    // A nameless entity is an error naming its line, not a silently dropped node.
    let nameless = write(
        "nameless.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a}\nspec: {type: service, owner: x}\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: \"\"}\nspec: {type: service, owner: x}\n",
    );
    let out = expect(2, &["graph", "--backstage", &nameless, "--no-cache"]);
    assert!(
        out.stderr
            .contains("nameless.yaml:7: Component has no metadata.name"),
        "{}",
        out.stderr
    );
}

#[test]
fn kubernetes_reads_data_and_items_only_where_they_mean_something() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| crate::util::write_file(dir.path(), name, text);
    // A custom resource's `data` and `items` are its own business: the Pod still loads.
    let crd = write(
        "crd.yaml",
        "apiVersion: example.com/v1\nkind: FeatureSet\nmetadata: {name: flags}\ndata:\n  checkout:\n    enabled: true\nitems: [\"a\", \"b\"]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: c, image: x}]}\n",
    );
    let v = json(&ok(&["graph", "--k8s", &crd, "--no-cache", "-f", "json"]));
    assert_eq!(
        strings(
            &v["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].clone())
                .collect()
        ),
        ["web"]
    );
    // A ConfigMap whose `data` comes before its `kind` is still read.
    let late = write(
        "late.yaml",
        "data: {API: \"http://api:80\"}\nmetadata: {name: cfg}\nkind: ConfigMap\n---\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: c, image: x, envFrom: [{configMapRef: {name: cfg}}]}]}\n---\nkind: Pod\nmetadata: {name: api, labels: {app: api}}\nspec: {containers: [{name: c, image: x}]}\n---\nkind: Service\nmetadata: {name: api}\nspec: {selector: {app: api}}\n",
    );
    let v = json(&ok(&["graph", "--k8s", &late, "--no-cache", "-f", "json"]));
    let edges: Vec<(String, String)> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap().into(),
                e["to"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(edges, [("web".to_string(), "api".to_string())]);
    // A workload without a name is an error with its line, not a silently lost node.
    let nameless = write(
        "nameless.yaml",
        "kind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: x}]}\n---\nkind: Deployment\nmetadata: {labels: {app: b}}\nspec: {template: {spec: {containers: [{name: c, image: x}]}}}\n",
    );
    let out = expect(2, &["graph", "--k8s", &nameless, "--no-cache"]);
    assert!(
        out.stderr
            .contains("nameless.yaml:5: Deployment has no metadata.name"),
        "{}",
        out.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_kubernetes_folder_is_read_through_links_and_any_letter_case() {
    let dir = tempfile::tempdir().unwrap();
    let pod = |name: &str| {
        format!(
            "kind: Pod\nmetadata: {{name: {name}}}\nspec: {{containers: [{{name: c, image: x}}]}}\n"
        )
    };
    let root = dir.path().join("k8s");
    std::fs::create_dir_all(root.join("apps")).unwrap();
    std::fs::create_dir_all(root.join(".hidden")).unwrap();
    std::fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
    std::fs::write(root.join("apps/a.YAML"), pod("a")).unwrap();
    std::fs::write(root.join(".hidden/h.yaml"), pod("h")).unwrap();
    std::fs::write(dir.path().join("elsewhere/l.yml"), pod("l")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("elsewhere"), root.join("linked")).unwrap();
    // A link back up must not loop.
    std::os::unix::fs::symlink(&root, root.join("apps/up")).unwrap();
    let v = json(&ok(&[
        "graph",
        "--k8s",
        root.to_str().unwrap(),
        "--no-cache",
        "-f",
        "json",
    ]));
    let ids: Vec<&str> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "l"]);
}

#[test]
fn a_service_two_compose_includes_define_is_named_with_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    w(
        "a.yaml",
        "include:\n  - path: c.yaml\n  - d.yaml\nservices:\n  a: {image: x}\n",
    );
    w("c.yaml", "services:\n  c: {image: x}\n");
    w("d.yaml", "services:\n  c: {image: z}\n");
    let out = ok(&[
        "graph",
        "--compose",
        dir.path().join("a.yaml").to_str().unwrap(),
        "--no-cache",
    ]);
    assert!(
        out.stdout
            .contains("service 'c' is defined in the included files")
            && out.stdout.contains("c.yaml and ")
            && out.stdout.contains("; keeping the one in "),
        "{}",
        out.stdout
    );
}

/// A required variable (`${VAR:?message}`) that no `.env` file sets hides what the value
/// names: said, with the entry's line, rather than silently dropping the edge; set, the
/// edge is there.
#[test]
fn a_required_variable_no_env_file_sets_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let compose = dir.path().join("compose.yaml");
    std::fs::write(
        &compose,
        "services:\n  a:\n    image: x\n    environment:\n      URL: http://${HOST:?need host}:80\n      ALT: http://${EMPTY:?}:80\n    env_file: a.env\n    command: [\"--up\", \"http://${UP:?}:80\"]\n  b:\n    image: y\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.env"),
        "# values\nFROM_FILE=http://${FV:?}:80\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(".env"), "EMPTY=\n").unwrap();
    let graph = || {
        let out = ok(&[
            "graph",
            "--compose",
            compose.to_str().unwrap(),
            "-f",
            "json",
        ]);
        crate::util::json(&out)["edges"].as_array().unwrap().len()
    };
    let check = || {
        crate::util::run(
            crate::util::blast(),
            &["check", "--compose", compose.to_str().unwrap()],
        )
        .stdout
    };
    let name = compose.display();
    let env = dir.path().join("a.env");
    let env = env.display();
    let found: Vec<String> = check()
        .lines()
        .filter(|l| l.starts_with("warning[degraded-source]"))
        .map(String::from)
        .collect();
    let line = |at: String, what: &str, var: &str, written: &str, why: &str| {
        format!(
            "warning[degraded-source] {at}: service 'a': {what} needs the variable {var} (`{written}`), {why}, so a dependency it names cannot be seen"
        )
    };
    assert_eq!(
        found,
        [
            line(
                format!("{env}:2"),
                "env_file FROM_FILE",
                "FV",
                "${FV:?}",
                "which no .env file sets"
            ),
            line(
                format!("{name}:5"),
                "environment URL",
                "HOST",
                "${HOST:?need host}",
                "which no .env file sets"
            ),
            line(
                format!("{name}:6"),
                "environment ALT",
                "EMPTY",
                "${EMPTY:?}",
                "which is empty"
            ),
            line(
                format!("{name}:8"),
                "command",
                "UP",
                "${UP:?}",
                "which no .env file sets"
            ),
        ]
    );
    assert_eq!(graph(), 0);
    // Set, the edges are there and the warnings gone.
    std::fs::write(dir.path().join(".env"), "EMPTY=b\nHOST=b\nUP=b\nFV=b\n").unwrap();
    assert_eq!(graph(), 1);
    assert!(!check().contains("degraded-source"), "{}", check());
}

#[test]
fn kubernetes_names_that_qualify_into_one_id_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let deploy = |name: &str, ns: &str| {
        format!(
            "kind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{template: {{spec: {{containers: [{{name: c, image: x}}]}}}}}}\n"
        )
    };
    let f = dir.path().join("coll.yaml");
    std::fs::write(
        &f,
        [deploy("p", "a"), deploy("p", "b"), deploy("p.a", "default")].join("---\n"),
    )
    .unwrap();
    let out = ok(&["graph", "--k8s", f.to_str().unwrap(), "--no-cache"]);
    assert!(
        out.stdout.contains("warning[duplicate-object]: 'p' in namespace 'a' and 'p.a' in namespace 'default' both get the node id 'p.a' and become one node"),
        "{}",
        out.stdout
    );
}
