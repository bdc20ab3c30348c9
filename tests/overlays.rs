//! Merging sources: graph files as overlays (values, aliases, `remove_edges`), conflicts
//! between discovered sources, parallel edges with their own provenance.

use std::path::{Path, PathBuf};

use blast_radius::graph::{EdgeKind, GraphBuilder, NodeKind};
use blast_radius::sources::{LoadContext, SourceKind, SourceOptions, SourceSpec, classify};

use crate::util::{blast_in, run};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

/// A small system described twice: Compose calls the catalog `productcatalog`,
/// Kubernetes `productcatalogservice`.
fn system(dir: &Path) {
    write(
        dir,
        "compose.yaml",
        "services:\n  web:\n    image: shop/web\n    environment:\n      CATALOG_ADDR: productcatalog:3550\n      CACHE_URL: redis://cache:6379\n  productcatalog:\n    image: shop/catalog\n  cache:\n    image: redis:7\n  worker:\n    image: shop/worker\n    depends_on: [web]\n",
    );
    write(
        dir,
        "k8s/app.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n        - name: web\n          image: shop/web\n          env:\n            - {name: CATALOG_ADDR, value: 'productcatalogservice.default.svc.cluster.local:3550'}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: productcatalogservice}\nspec:\n  template:\n    metadata: {labels: {app: catalog}}\n    spec:\n      containers: [{name: server, image: shop/catalog}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: productcatalogservice}\nspec: {selector: {app: catalog}}\n",
    );
}

fn build(
    dir: &Path,
    overlay_first: bool,
    overlay: Option<&str>,
) -> blast_radius::Result<(
    blast_radius::graph::DependencyGraph,
    blast_radius::graph::LoadReport,
)> {
    let classifier = classify::Classifier::default();
    let ctx = LoadContext {
        root: dir,
        classifier: &classifier,
    };
    let mut b = GraphBuilder::new();
    let ov = overlay.map(|t| write(dir, "overlay.toml", t));
    if overlay_first && let Some(p) = &ov {
        blast_radius::sources::load_graph_file(&mut b, p)?;
    }
    for (kind, path) in [
        (SourceKind::Compose, dir.join("compose.yaml")),
        (SourceKind::K8s, dir.join("k8s")),
    ] {
        blast_radius::sources::load_source(
            &mut b,
            &SourceSpec {
                kind,
                paths: vec![path],
                options: SourceOptions::default(),
            },
            &ctx,
        )?;
    }
    if !overlay_first && let Some(p) = &ov {
        blast_radius::sources::load_graph_file(&mut b, p)?;
    }
    b.finish()
}

const OVERLAY: &str = r#"
[[nodes]]
id = "catalog"
aliases = ["productcatalog", "productcatalogservice"]
tier = 1
owners = ["@shop/catalog"]

[[nodes]]
id = "web"
tier = 0
customer_facing = true

[[nodes]]
id = "cache"
kind = "service"          # overrides the image rule, without a conflict

[[edges]]
from = "worker"
to = "productcatalog"     # an alias: means catalog
kind = "async"

[[remove_edges]]
from = "worker"
to = "web"
source = "compose"
"#;

#[test]
fn aliases_make_one_node_from_two_names_and_keep_both_origins() {
    let dir = tempfile::tempdir().unwrap();
    system(dir.path());
    for first in [false, true] {
        let (g, report) = build(dir.path(), first, Some(OVERLAY)).unwrap();
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
        let ids: Vec<&str> = g.nodes().map(|n| n.id().as_str()).collect();
        assert!(
            !ids.contains(&"productcatalog") && !ids.contains(&"productcatalogservice"),
            "{ids:?}"
        );
        let catalog = g.node("catalog").unwrap();
        assert_eq!(catalog.tier().unwrap().get(), 1);
        assert_eq!(
            g.aliases("catalog"),
            ["productcatalog", "productcatalogservice"]
        );
        // Either name finds the node.
        assert_eq!(
            g.node("productcatalogservice").unwrap().id().as_str(),
            "catalog"
        );
        let mut sources: Vec<&str> = catalog.origins().map(|o| o.source.as_str()).collect();
        sources.sort();
        assert_eq!(sources, ["compose", "graph", "k8s"]);
        // web → catalog twice: one edge per source, each with its own evidence.
        let mut to_catalog: Vec<(String, String)> = g
            .node("web")
            .unwrap()
            .dependencies()
            .filter(|d| d.to().id().as_str() == "catalog")
            .map(|d| {
                (
                    d.origin().source.clone(),
                    d.origin().evidence.clone().unwrap(),
                )
            })
            .collect();
        to_catalog.sort();
        assert_eq!(
            to_catalog,
            [
                (
                    "compose".to_string(),
                    "environment CATALOG_ADDR=productcatalog:3550".to_string()
                ),
                (
                    "k8s".to_string(),
                    "env CATALOG_ADDR=productcatalogservice.default.svc.cluster.local:3550 (container web)"
                        .to_string()
                ),
            ]
        );
        // The overlay's edge named the alias.
        let worker: Vec<(String, EdgeKind)> = g
            .node("worker")
            .unwrap()
            .dependencies()
            .map(|d| (d.to().id().to_string(), d.kind()))
            .collect();
        assert_eq!(worker, [("catalog".to_string(), EdgeKind::Async)]);
        // remove_edges dropped compose's worker → web, and says so.
        let removed = g.removed_edges();
        assert_eq!(removed.len(), 1);
        assert_eq!(
            (removed[0].from.as_str(), removed[0].to.as_str()),
            ("worker", "web")
        );
        assert_eq!(removed[0].kind, EdgeKind::Startup);
        assert_eq!(removed[0].removed_by.file, dir.path().join("overlay.toml"));
        // The overlay's kind wins over the image rule.
        assert_eq!(g.node("cache").unwrap().kind(), NodeKind::Service);
        assert!(g.node("web").unwrap().customer_facing());
    }
}

#[test]
fn overlay_mistakes_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    system(dir.path());
    // An alias that is also declared as a node, and an alias given to two nodes.
    let e = build(
        dir.path(),
        false,
        Some(
            "[[nodes]]\nid = \"catalog\"\naliases = [\"productcatalog\"]\n[[nodes]]\nid = \"productcatalog\"\n[[nodes]]\nid = \"web\"\naliases = [\"productcatalogservice\"]\n[[nodes]]\nid = \"other\"\naliases = [\"productcatalogservice\"]\n",
        ),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("error[invalid-alias]"), "{e}");
    assert!(
        e.contains("'productcatalog' is an alias of 'catalog', but "),
        "{e}"
    );
    assert!(
        e.contains("'productcatalogservice' is an alias of both 'web' and 'other'"),
        "{e}"
    );
    // A removal that matches nothing is a warning naming the file and line.
    let (_, report) = build(
        dir.path(),
        false,
        // `cache` is declared above the removal that names it: the finding points at the
        // removal's `to`, not at the declaration.
        Some("[[nodes]]\nid = \"cache\"\n\n[[remove_edges]]\nfrom = \"web\"\nto = \"nowhere\"\n\n[[remove_edges]]\nfrom = \"web\"\nto = \"cache\"\nkind = \"sync\"\n"),
    )
    .unwrap();
    let w: Vec<String> = report.findings.iter().map(|f| f.to_string()).collect();
    assert_eq!(w.len(), 2, "{w:#?}");
    assert!(w[0].contains("overlay.toml:6:"), "{}", w[0]);
    assert!(w[0].contains(
        "warning[unmatched-removal]: remove_edges: no discovered edge 'web' -> 'nowhere' to remove"
    ));
    // web → cache is `data` (a Redis image), so a `sync` removal does not match it.
    assert!(w[1].contains("'web' -> 'cache' of kind sync"), "{}", w[1]);
    assert!(w[1].contains("overlay.toml:10:"), "{}", w[1]);
    // An overlay node that matches nothing the sources found is reported by `check`.
    write(
        dir.path(),
        "typo.toml",
        "[[nodes]]\nid = \"wroker\"\ntier = 0\n",
    );
    let out = run(
        blast_in(dir.path()),
        &["check", "--compose", "compose.yaml", "--graph", "typo.toml"],
    );
    assert!(
        out.stdout.contains("warning[unmatched-overlay] typo.toml:2:7: 'wroker' is declared only by graph files and has no edges: it matches no node of the discovered sources\n  help: did you mean 'worker'?"),
        "{}",
        out.stdout
    );
    // An unknown source in remove_edges is a parse error.
    let e = build(
        dir.path(),
        false,
        Some("[[remove_edges]]\nfrom = \"a\"\nto = \"b\"\nsource = \"swarm\"\n"),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("overlay.toml:1:1"), "{e}");
    assert!(e.contains("unknown source 'swarm'"), "{e}");
}

#[test]
fn discovered_sources_that_disagree_are_a_warning_not_an_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    // Compose says `events` is a broker (a Kafka image); Backstage says it is a database.
    write(
        dir.path(),
        "compose.yaml",
        "services:\n  events:\n    image: bitnami/kafka:3\n",
    );
    write(
        dir.path(),
        "catalog.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: {name: events}\nspec: {type: database, owner: team-a}\n",
    );
    let out = run(
        blast_in(dir.path()),
        &[
            "graph",
            "--compose",
            "compose.yaml",
            "--backstage",
            "catalog.yaml",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("  events  queue"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "warning[conflicting-sources]: node 'events': key 'kind' is 'datastore' in backstage (catalog.yaml) but 'queue' in compose (compose.yaml); keeping 'queue'"
        ),
        "{}",
        out.stdout
    );
    // A graph file settles it, silently.
    write(
        dir.path(),
        "o.toml",
        "[[nodes]]\nid = \"events\"\nkind = \"datastore\"\n",
    );
    let out = run(
        blast_in(dir.path()),
        &[
            "graph",
            "--compose",
            "compose.yaml",
            "--backstage",
            "catalog.yaml",
            "--graph",
            "o.toml",
        ],
    );
    assert!(out.stdout.contains("  events  datastore"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("conflicting-sources"),
        "{}",
        out.stdout
    );
}
