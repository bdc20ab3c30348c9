//! The compiled-graph cache: used when valid, rebuilt when the input changes, survives being
//! truncated or edited by hand, bypassed by `--no-cache`.

use std::path::{Path, PathBuf};

use crate::util::{blast, root, run};

const GRAPH: &str = "graphs/large/generated-2k.json";
const QUERY: &[&str] = &["impact", "lib-logging-0", "-f", "json"];

/// Runs `blast` with its cache in `cache` and timings on; returns (stdout, stderr).
fn blast_cached(cache: &Path, dir: &Path, extra: &[&str]) -> (String, String) {
    let mut c = blast();
    c.current_dir(dir)
        .env("XDG_CACHE_HOME", cache)
        .env("BLAST_TIMINGS", "1");
    let mut args: Vec<&str> = QUERY.to_vec();
    args.extend_from_slice(extra);
    let out = run(c, &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    (out.stdout, out.stderr)
}

/// Runs `blast args` with its cache in `cache` and timings on; it must succeed.
fn run_timed(cache: &Path, args: &[&str]) -> crate::util::Output {
    let mut c = blast();
    c.env("XDG_CACHE_HOME", cache).env("BLAST_TIMINGS", "1");
    let out = run(c, args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out
}

fn cache_files(cache: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(cache.join("blast-radius")) {
        Ok(d) => d
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "graph"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn from_cache(stderr: &str) -> bool {
    stderr.contains("timing: read cache") && !stderr.contains("timing: parse graph file")
}

#[test]
fn cache_is_used_rebuilt_and_never_trusted_blindly() {
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(GRAPH), work.path().join("g.json")).unwrap();
    let g = ["-g", "g.json"];

    let (first, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(!from_cache(&err), "first run parses");
    let files = cache_files(cache.path());
    assert_eq!(files.len(), 1, "the first run writes the cache");
    let size = std::fs::metadata(&files[0]).unwrap().len();

    let (second, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(from_cache(&err), "second run reads the cache:\n{err}");
    assert_eq!(first, second, "same answer from the cache");

    // Truncated: ignored, rebuilt.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&files[0])
        .unwrap();
    f.set_len(size / 2).unwrap();
    drop(f);
    let (third, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(!from_cache(&err), "a truncated cache is not used");
    assert_eq!(third, first);
    assert_eq!(std::fs::metadata(&files[0]).unwrap().len(), size, "rebuilt");

    // Edited by hand: ignored, rebuilt.
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&files[0], &bytes).unwrap();
    let (fourth, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(!from_cache(&err), "an edited cache is not used");
    assert_eq!(fourth, first);
    let (_, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(from_cache(&err), "and the rebuilt one is");

    // A changed input gets a new cache entry and a new answer.
    let text = std::fs::read_to_string(work.path().join("g.json")).unwrap();
    let changed = text.replacen("\"customer_facing\":false", "\"customer_facing\":true", 1);
    std::fs::write(work.path().join("g.json"), changed).unwrap();
    let (fifth, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(!from_cache(&err), "a changed input is parsed again");
    assert_ne!(fifth, first);
    assert_eq!(cache_files(cache.path()).len(), 2);
}

#[test]
fn no_cache_neither_reads_nor_writes() {
    let cache = tempfile::tempdir().unwrap();
    let (_, err) = blast_cached(cache.path(), &root(), &["-g", GRAPH, "--no-cache"]);
    assert!(!from_cache(&err));
    assert!(cache_files(cache.path()).is_empty());
}

#[test]
fn small_inputs_are_not_cached() {
    let cache = tempfile::tempdir().unwrap();
    let mut c = blast();
    c.env("XDG_CACHE_HOME", cache.path());
    let out = run(c, &["impact", "payment"]);
    assert_eq!(out.code, 0);
    assert!(cache_files(cache.path()).is_empty());
}

#[test]
fn settled_inputs_are_not_hashed_again_but_any_write_is_noticed() {
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let input = work.path().join("g.json");
    std::fs::copy(root().join(GRAPH), &input).unwrap();
    let g = ["-g", "g.json"];
    // Just written: hashed on every run (a write in the same clock tick would be missed).
    let (first, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(err.contains("timing: hash inputs"), "{err}");
    let (_, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(
        err.contains("timing: hash inputs") && from_cache(&err),
        "{err}"
    );

    // Settled: the next run hashes and records a stamp; later runs trust the stamp.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (_, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(
        err.contains("timing: hash inputs") && from_cache(&err),
        "{err}"
    );
    let (again, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(
        !err.contains("timing: hash inputs") && from_cache(&err),
        "{err}"
    );
    assert_eq!(again, first);

    // Edited in place, same size, modification time put back: the status-change time
    // moved, so the input is hashed again and the answer changes.
    let modified = std::fs::metadata(&input).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&input).unwrap();
    let changed = text.replacen("\"customer_facing\":false", "\"customer_facing\":true ", 1);
    assert_eq!(changed.len(), text.len());
    std::fs::write(&input, changed).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&input)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let (edited, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(
        err.contains("timing: hash inputs") && !from_cache(&err),
        "{err}"
    );
    assert_ne!(edited, first);

    // A stamp that is not a key is ignored.
    for stamp in std::fs::read_dir(cache.path().join("blast-radius/stamps")).unwrap() {
        std::fs::write(stamp.unwrap().path(), "not a key").unwrap();
    }
    let (_, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(err.contains("timing: hash inputs"), "{err}");

    // A well-formed key that the stamp was not written with (copied from another stamp, or
    // typed by hand) is not trusted either: it could name another graph's cache.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let (_, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(err.contains("timing: hash inputs"), "{err}");
    let (_, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(
        !err.contains("timing: hash inputs"),
        "the stamp is used: {err}"
    );
    for stamp in std::fs::read_dir(cache.path().join("blast-radius/stamps")).unwrap() {
        let path = stamp.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let other: String = text.lines().next().unwrap().chars().rev().collect();
        std::fs::write(
            &path,
            text.replacen(text.lines().next().unwrap(), &other, 1),
        )
        .unwrap();
    }
    let (_, err) = blast_cached(cache.path(), work.path(), &g);
    assert!(err.contains("timing: hash inputs"), "{err}");
}

#[test]
fn indexes_a_command_builds_are_added_to_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let run_in = |args: &[&str]| run_timed(cache.path(), args);
    let rank = ["rank", "-g", GRAPH, "-f", "json"];
    // `impact` writes the cache without the id order; `rank` needs it.
    run_in(&[
        "impact",
        "lib-logging-0",
        "-g",
        GRAPH,
        "--nodes",
        "none",
        "-f",
        "json",
    ]);
    let first = run_in(&rank);
    assert!(from_cache(&first.stderr) && first.stderr.contains("timing: sort ids"));
    // … and stores it, so the next `rank` reads it from the cache.
    let second = run_in(&rank);
    assert!(from_cache(&second.stderr), "{}", second.stderr);
    assert!(
        !second.stderr.contains("timing: sort ids"),
        "{}",
        second.stderr
    );
    assert_eq!(first.stdout, second.stdout);
    assert!(
        !second.stderr.contains("timing: write cache"),
        "nothing new to store"
    );
}

#[test]
fn a_large_graph_is_cached_with_its_id_order() {
    // 40,000 nodes (more than 2^15): a chain of modules under one library.
    let work = tempfile::tempdir().unwrap();
    let n = 40_000;
    let mut json = String::from("{\"nodes\":[{\"id\":\"lib\",\"kind\":\"module\"}");
    for i in 0..n {
        json.push_str(&format!(",{{\"id\":\"m{i}\",\"kind\":\"module\"}}"));
    }
    json.push_str("],\"edges\":[");
    for i in 0..n {
        let to = if i == 0 {
            "lib".to_string()
        } else {
            format!("m{}", i - 1)
        };
        let sep = if i == 0 { "" } else { "," };
        json.push_str(&format!("{sep}{{\"from\":\"m{i}\",\"to\":\"{to}\"}}"));
    }
    json.push_str("]}");
    let graph = work.path().join("big.json");
    std::fs::write(&graph, json).unwrap();
    let graph = graph.to_str().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let run_in = |args: &[&str]| run_timed(cache.path(), args);
    // `impact --nodes none` needs no id order, but the cache gets one for a large graph …
    let first = run_in(&[
        "impact", "lib", "-g", graph, "--nodes", "none", "-f", "json",
    ]);
    assert!(
        first.stderr.contains("timing: sort ids"),
        "{}",
        first.stderr
    );
    assert!(
        first.stderr.contains("timing: write cache"),
        "{}",
        first.stderr
    );
    // … so a later listing, or `rank`, reads it instead of sorting the ids.
    let second = run_in(&["rank", "-g", graph, "-f", "json", "--top", "3"]);
    assert!(from_cache(&second.stderr), "{}", second.stderr);
    assert!(
        !second.stderr.contains("timing: sort ids"),
        "{}",
        second.stderr
    );
    assert!(
        !second.stderr.contains("timing: write cache"),
        "{}",
        second.stderr
    );
}

/// A run from the cache says what a run without it says: a graph whose loading found
/// something to report (an `empty-source` warning) is not stored.
#[test]
fn load_warnings_are_never_lost_to_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(GRAPH), work.path().join("g.json")).unwrap();
    std::fs::write(work.path().join("empty.json"), "{}").unwrap();
    let graph = |extra: &[&str]| {
        let mut c = blast();
        c.current_dir(work.path())
            .env("XDG_CACHE_HOME", cache.path());
        let mut args = vec!["graph", "-g", "g.json", "-g", "empty.json"];
        args.extend(extra);
        let out = run(c, &args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
    };
    let plain = graph(&["--no-cache"]);
    assert!(plain.contains("warning[empty-source]"), "{plain}");
    assert_eq!(graph(&[]), plain);
    assert_eq!(graph(&[]), plain);
    assert!(cache_files(cache.path()).is_empty());
}

/// Named pipes are read once, by the parser: not hashed for a cache key (which would
/// consume them), and a pipe in a cache file's place is not opened (which would wait for
/// a writer).
#[cfg(unix)]
#[test]
fn named_pipes_are_never_hashed_or_read_as_a_cache() {
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(GRAPH), work.path().join("g.json")).unwrap();
    let fifo = |p: &Path| {
        let made = std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .unwrap();
        assert!(made.success());
    };
    let pipe = work.path().join("extra.json");
    fifo(&pipe);
    let writer = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::write(pipe, "{\"nodes\": [{\"id\": \"x\"}]}").unwrap())
    };
    let mut c = blast();
    c.current_dir(work.path())
        .env("XDG_CACHE_HOME", cache.path())
        .timeout(std::time::Duration::from_secs(60));
    let out = run(
        c,
        &[
            "impact",
            "x",
            "-g",
            "g.json",
            "-g",
            "extra.json",
            "-f",
            "json",
        ],
    );
    writer.join().unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(cache_files(cache.path()).is_empty());

    // The cache file for `g.json` alone replaced by a pipe: the graph is parsed.
    let (first, _) = blast_cached(cache.path(), work.path(), &["-g", "g.json"]);
    let files = cache_files(cache.path());
    assert_eq!(files.len(), 1);
    std::fs::remove_file(&files[0]).unwrap();
    fifo(&files[0]);
    let mut c = blast();
    c.current_dir(work.path())
        .env("XDG_CACHE_HOME", cache.path())
        .env("BLAST_TIMINGS", "1")
        .timeout(std::time::Duration::from_secs(60));
    let mut args = QUERY.to_vec();
    args.extend(["-g", "g.json"]);
    let out = run(c, &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!from_cache(&out.stderr));
    assert_eq!(out.stdout, first);
}
