//! Benchmarks on generated graphs: load, impact queries (all 20, and the heaviest alone, also
//! with its JSON report), rank of every node, and `blast graph`'s listing of the whole graph
//! as JSON and as text.
//!
//! Graphs come from `../shared/bench/gen_graph.py` (seed 1), generated on first use into
//! `target/bench-graphs/` together with their 20 standard queries. 10k and 100k nodes run by
//! default; set `BLAST_BENCH_1M=1` to add the 1M-node graph (619 MB, ~15 s to generate).
//!
//! ```sh
//! cargo bench --bench graph                 # 10k and 100k
//! BLAST_BENCH_1M=1 cargo bench --bench graph
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use blast_radius::analysis::listing::{Listing, listing};
use blast_radius::analysis::rank::{RankOptions, rank};
use blast_radius::analysis::{Analyzer, Policy};
use blast_radius::changes::Resolver;
use blast_radius::graph::{DependencyGraph, GraphBuilder};
use blast_radius::report::json::{self, ImpactJsonOptions, NodeList};
use criterion::{BenchmarkId, Criterion, criterion_group};

// The allocator the `blast` binary uses, set up the same way (see `main`), so the figures
// are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The generated graph with `n` nodes and its queries, generating them if needed.
fn generated(n: usize) -> (PathBuf, Vec<Vec<String>>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-graphs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("g{n}.json"));
    let queries = dir.join(format!("g{n}.json.queries.json"));
    if !queries.exists() {
        let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_graph.py");
        let status = Command::new("python3")
            .arg(&generator)
            .args(["--nodes", &n.to_string(), "--seed", "1", "--out"])
            .arg(&path)
            .status()
            .expect("python3 runs the generator");
        assert!(status.success(), "gen_graph.py failed");
    }
    let q: serde_json::Value = serde_json::from_slice(&std::fs::read(&queries).unwrap()).unwrap();
    let qs = q["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            q.as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    (path, qs)
}

fn load(path: &Path) -> DependencyGraph {
    let mut b = GraphBuilder::new();
    blast_radius::sources::load_graph_file(&mut b, path).unwrap();
    b.finish().unwrap().0
}

fn sizes() -> Vec<usize> {
    let mut v = vec![10_000, 100_000];
    if std::env::var_os("BLAST_BENCH_1M").is_some() {
        v.push(1_000_000);
    }
    v
}

fn bench_load(c: &mut Criterion) {
    let mut g = c.benchmark_group("load");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for n in sizes() {
        let (path, _) = generated(n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &path, |b, p| {
            b.iter(|| load(p))
        });
    }
    g.finish();
}

fn bench_impact(c: &mut Criterion) {
    let mut g = c.benchmark_group("impact");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for n in sizes() {
        let (path, queries) = generated(n);
        let graph = load(&path);
        let resolver = Resolver::new(&graph);
        let mut analyzer = Analyzer::new(&graph, Policy::default());
        // Warm the lazily built indexes, as a long-running process would have them.
        let _ = analyzer.impact(resolver.resolve(&queries[0]).unwrap());
        g.bench_with_input(BenchmarkId::new("20 queries", n), &queries, |b, qs| {
            b.iter(|| {
                for q in qs {
                    let impact = analyzer.impact(resolver.resolve(q).unwrap());
                    std::hint::black_box(impact.summary());
                }
            })
        });
        // The heaviest query: the shared library with the largest blast radius.
        let heaviest = queries
            .iter()
            .max_by_key(|q| {
                analyzer
                    .impact(resolver.resolve(q).unwrap())
                    .summary()
                    .impacted
            })
            .unwrap()
            .clone();
        g.bench_with_input(BenchmarkId::new("heaviest", n), &heaviest, |b, q| {
            b.iter(|| std::hint::black_box(analyzer.impact(resolver.resolve(q).unwrap()).summary()))
        });
        // Its JSON report, as `--format json` writes it: the rated entries (what `--nodes
        // rated` lists) and every entry, each with its path.
        let impact = analyzer.impact(resolver.resolve(&heaviest).unwrap());
        for (name, nodes) in [
            ("heaviest json rated", NodeList::Rated),
            ("heaviest json all", NodeList::All),
        ] {
            let opts = ImpactJsonOptions { nodes, paths: true };
            g.bench_with_input(BenchmarkId::new(name, n), &impact, |b, imp| {
                b.iter(|| json::impact(&mut std::io::sink(), imp, &opts).unwrap())
            });
        }
    }
    g.finish();
}

fn bench_rank(c: &mut Criterion) {
    let mut g = c.benchmark_group("rank");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for n in sizes() {
        let (path, _) = generated(n);
        let graph = load(&path);
        let policy = Policy::default();
        // Every node: exact customer-facing and tier-0 counts, sizes exact or estimated.
        g.bench_with_input(BenchmarkId::new("every node", n), &graph, |b, graph| {
            b.iter(|| std::hint::black_box(rank(graph, &policy, &RankOptions::default()).matched))
        });
    }
    g.finish();
}

fn bench_listing(c: &mut Criterion) {
    let mut g = c.benchmark_group("graph");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for n in sizes() {
        let (path, _) = generated(n);
        let graph = load(&path);
        // `blast graph` of the whole graph: the listing, then its JSON or text.
        type Report = fn(&mut dyn std::io::Write, &Listing<'_>) -> std::io::Result<()>;
        for (name, report) in [
            ("listing json", blast_radius::report::graph::json as Report),
            ("listing text", blast_radius::report::graph::text as Report),
        ] {
            g.bench_with_input(BenchmarkId::new(name, n), &graph, |b, graph| {
                b.iter(|| {
                    let l = listing(graph, &[], Vec::new()).unwrap();
                    report(&mut std::io::sink(), &l).unwrap()
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_load, bench_impact, bench_rank, bench_listing);
// `criterion_main!`, with the binary's allocator setting first.
fn main() {
    blast_radius::allocator::tune();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
