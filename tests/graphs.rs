//! Every file in `graphs/` loads (or, under `graphs/invalid/`, fails cleanly).

use std::path::{Path, PathBuf};

use blast_radius::graph::GraphBuilder;

use crate::util::root;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn is_graph(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("json" | "toml" | "yaml" | "yml")
    )
}

fn load(paths: &[PathBuf]) -> blast_radius::Result<blast_radius::graph::DependencyGraph> {
    let mut b = GraphBuilder::new();
    for p in paths {
        blast_radius::sources::load_graph_file(&mut b, p)?;
    }
    let (g, _) = b.finish()?;
    g.verify().expect("internal invariants hold");
    Ok(g)
}

#[test]
fn every_graph_file_loads() {
    let graphs = root().join("graphs");
    let mut loaded = 0;
    // Top-level files and files in small/ load on their own.
    for dir in [graphs.clone(), graphs.join("small")] {
        for f in files(&dir)
            .into_iter()
            .filter(|f| f.is_file() && is_graph(f))
        {
            let g =
                load(std::slice::from_ref(&f)).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert!(g.node_count() > 0, "{}", f.display());
            loaded += 1;
        }
    }
    // Each folder in small/ is one graph split across files.
    for d in files(&graphs.join("small"))
        .into_iter()
        .filter(|d| d.is_dir())
    {
        let parts: Vec<PathBuf> = files(&d).into_iter().filter(|f| is_graph(f)).collect();
        load(&parts).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        loaded += 1;
    }
    assert!(loaded >= 7, "found {loaded} graphs");
}

#[test]
fn every_real_system_loads_through_its_sources() {
    use blast_radius::sources::{LoadContext, SourceKind, SourceOptions, SourceSpec, classify};
    let classifier = classify::Classifier::default();
    let r = root();
    let ctx = LoadContext {
        root: &r,
        classifier: &classifier,
    };
    let g = |p: &str| r.join("graphs").join(p);
    let spec = |kind, paths: &[&str]| SourceSpec {
        kind,
        paths: paths.iter().map(|p| g(p)).collect(),
        options: SourceOptions::default(),
    };
    // (sources, overlays) for every folder of graphs/ that is not a plain graph.
    let systems: Vec<(Vec<SourceSpec>, Vec<&str>)> = vec![
        (
            vec![spec(
                SourceKind::Compose,
                &[
                    "otel-demo/compose.yaml",
                    "otel-demo/compose.full.yaml",
                    "otel-demo/compose.observability.yaml",
                    "otel-demo/compose.agent.yaml",
                    "otel-demo/compose.profiling.yaml",
                    "otel-demo/compose.tests.yaml",
                    "otel-demo/compose.extras.yaml",
                ],
            )],
            vec!["otel-demo/overlay.toml"],
        ),
        (
            vec![spec(
                SourceKind::K8s,
                &[
                    "online-boutique/kubernetes-manifests",
                    "online-boutique/kustomize",
                ],
            )],
            vec!["online-boutique/overlay.toml"],
        ),
        (
            vec![spec(SourceKind::K8s, &["sock-shop/kubernetes"])],
            vec!["sock-shop/overlay.toml", "sock-shop/k8s.toml"],
        ),
        (
            vec![spec(
                SourceKind::Compose,
                &["sock-shop/docker-compose/docker-compose.yml"],
            )],
            vec!["sock-shop/overlay.toml", "sock-shop/compose.toml"],
        ),
        (
            vec![
                spec(SourceKind::Compose, &["hotrod/docker-compose.yml"]),
                spec(SourceKind::Jaeger, &["hotrod/dependencies.json"]),
            ],
            vec!["hotrod/overlay.toml"],
        ),
        (
            vec![spec(
                SourceKind::Backstage,
                &["backstage/catalog-info.yaml"],
            )],
            vec!["backstage/overlay.toml"],
        ),
        (
            vec![spec(SourceKind::Cargo, &["cargo-workspace"])],
            vec!["cargo-workspace/overlay.toml"],
        ),
    ];
    let mut folders: Vec<String> = Vec::new();
    for (sources, overlays) in &systems {
        let mut b = GraphBuilder::new();
        for s in sources {
            blast_radius::sources::load_source(&mut b, s, &ctx)
                .unwrap_or_else(|e| panic!("{:?}: {e}", s.paths));
            folders.extend(s.paths.iter().map(|p| {
                p.strip_prefix(r.join("graphs"))
                    .unwrap()
                    .components()
                    .next()
                    .unwrap()
                    .as_os_str()
                    .to_string_lossy()
                    .into_owned()
            }));
        }
        for o in overlays {
            blast_radius::sources::load_graph_file(&mut b, &g(o)).unwrap();
        }
        let (graph, _) = b
            .finish()
            .unwrap_or_else(|e| panic!("{:?}: {e}", sources[0].paths));
        graph.verify().expect("internal invariants hold");
        assert!(graph.node_count() > 5, "{:?}", sources[0].paths);
    }
    // Every folder of graphs/ is either a fixture set or a real system tested above.
    for d in files(&r.join("graphs")).into_iter().filter(|d| d.is_dir()) {
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            ["small", "invalid", "large"].contains(&name.as_str()) || folders.contains(&name),
            "graphs/{name} is not loaded by any test"
        );
    }
}

#[test]
fn every_invalid_file_fails_cleanly() {
    let dir = root().join("graphs/invalid");
    let mut n = 0;
    for f in files(&dir).into_iter().filter(|f| f.is_file()) {
        let e = load(std::slice::from_ref(&f))
            .err()
            .unwrap_or_else(|| panic!("{} loaded", f.display()));
        let msg = e.to_string();
        assert!(
            msg.contains(&*f.to_string_lossy()),
            "{}: {msg}",
            f.display()
        );
        n += 1;
    }
    let conflict = files(&dir.join("conflict"));
    assert!(load(&conflict).is_err());
    assert!(n >= 14, "found {n} invalid files");
}

#[test]
fn the_example_graph_is_what_the_readme_says() {
    let g = load(&[root().join("graphs/shop.toml")]).unwrap();
    assert!(g.node_count() >= 30);
    for id in [
        "storefront",
        "mobile-bff",
        "checkout",
        "accounts",
        "cart",
        "payment",
        "payment-gateway",
        "fraud",
        "inventory",
        "pricing",
        "search",
        "recommendations",
        "notifications",
        "email",
        "auth-lib",
        "money-lib",
        "http-client",
        "feature-flags",
        "logging",
        "test-utils",
        "admin",
        "reporting",
        "order-events",
    ] {
        let n = g.node(id).unwrap_or_else(|| panic!("{id} is missing"));
        assert!(n.owners().len() > 0, "{id} has owners");
        assert!(n.paths().len() > 0, "{id} has paths");
    }
    let deps = |id: &str| -> Vec<(String, String)> {
        g.node(id)
            .unwrap()
            .dependencies()
            .map(|d| (d.to().id().to_string(), d.kind().to_string()))
            .collect()
    };
    for callee in ["payment", "cart", "inventory", "pricing"] {
        assert!(
            deps("checkout").contains(&(callee.to_string(), "sync".to_string())),
            "checkout → {callee}"
        );
    }
    for caller in ["storefront", "mobile-bff"] {
        for callee in ["checkout", "accounts"] {
            assert!(
                deps(caller).contains(&(callee.to_string(), "sync".to_string())),
                "{caller} → {callee}"
            );
        }
    }
    assert_eq!(g.node("storefront").unwrap().tier().unwrap().get(), 1);
    assert!(g.node("storefront").unwrap().customer_facing());
    assert_eq!(g.node("checkout").unwrap().tier().unwrap().get(), 0);
    assert_eq!(g.node("accounts").unwrap().tier().unwrap().get(), 0);
    assert_eq!(g.node("admin").unwrap().tier().unwrap().get(), 3);
    assert_eq!(g.node("reporting").unwrap().tier().unwrap().get(), 3);
    assert!(deps("notifications").contains(&("order-events".into(), "async".into())));
    assert!(
        g.node("test-utils")
            .unwrap()
            .dependents()
            .all(|d| d.kind().as_str() == "dev")
    );
    assert!(g.dependencies().any(|d| d.optional()));
}

/// In YAML, an unquoted id that looks like a number or boolean is the text as written,
/// wherever it appears; JSON and TOML still want strings.
#[test]
fn yaml_ids_are_text_as_written_everywhere() {
    let d = tempfile::tempdir().unwrap();
    let g = crate::util::write_file(
        d.path(),
        "g.yaml",
        "nodes:\n  - id: 1.10\n  - id: no\n  - id: 007\n  - id: api\n    depends_on: [1.10, no, {id: 007}, 0x1F, .inf, -.inf, .nan]\n  - id: 0x1F\n  - id: .inf\n  - id: -.inf\n  - id: .nan\n  - id: web\n    part_of: 1.10\n    aliases: [1.20]\nedges:\n  - {from: web, to: no}\n  - {from: 1.10, to: 007}\n",
    );
    let out = crate::util::ok(&["graph", "-g", &g, "--format", "json"]);
    let v = crate::util::json(&out);
    let mut edges: Vec<String> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} -> {}",
                e["from"].as_str().unwrap(),
                e["to"].as_str().unwrap()
            )
        })
        .collect();
    edges.sort();
    assert_eq!(
        edges,
        [
            "1.10 -> 007",
            "api -> -.inf",
            "api -> .inf",
            "api -> .nan",
            "api -> 007",
            "api -> 0x1F",
            "api -> 1.10",
            "api -> no",
            "web -> no"
        ]
    );
    let j = crate::util::write_file(
        d.path(),
        "g.json",
        r#"{"nodes":[{"id":"a","depends_on":[1.5]}]}"#,
    );
    let out = crate::util::expect(2, &["graph", "-g", &j]);
    assert_eq!(
        out.stderr,
        format!(
            "error: {j}:1:37: invalid type: floating point `1.5`, expected a node id, or a table with `id`, `kind` and `optional`\n"
        )
    );
    let t = crate::util::write_file(
        d.path(),
        "g.toml",
        "[[nodes]]\nid = \"a\"\ndepends_on = [false]\n",
    );
    let out = crate::util::expect(2, &["graph", "-g", &t]);
    assert!(
        out.stderr.starts_with(&format!(
            "error: {t}:3:15: invalid type: boolean `false`, expected a node id"
        )),
        "{}",
        out.stderr
    );
}
