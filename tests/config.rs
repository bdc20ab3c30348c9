//! `blast.toml`: discovery, relative paths, and policy.

use crate::util::{blast_in, json, root, run};

fn write(dir: &std::path::Path, name: &str, text: &str) {
    std::fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn config_is_found_from_a_subdirectory() {
    let out = run(
        blast_in(&root().join("graphs/small")),
        &["impact", "payment", "-f", "json"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json(&out)["risk"], "critical");
}

#[test]
fn policy_changes_the_risk() {
    let dir = tempfile::tempdir().unwrap();
    let shop = std::fs::read_to_string(root().join("graphs/shop.toml")).unwrap();
    write(dir.path(), "g/shop.toml", &shop);
    // Async at full strength: a change to order-events reaches checkout at 1.0.
    write(
        dir.path(),
        "conf/blast.toml",
        "graphs = [\"../g/shop.toml\"]\n[policy.strength]\nasync = 1.0\n",
    );
    let out = run(
        blast_in(dir.path()),
        &[
            "impact",
            "order-events",
            "--config",
            "conf/blast.toml",
            "-f",
            "json",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json(&out)["risk"], "critical");
    // The default: async is 0.5, so checkout (tier 0) is high.
    let out = run(
        blast_in(dir.path()),
        &["impact", "order-events", "-g", "g/shop.toml", "-f", "json"],
    );
    assert_eq!(json(&out)["risk"], "high");
}

#[test]
fn graph_flags_replace_the_config_graphs() {
    let out = run(
        blast_in(&root()),
        &[
            "impact",
            "lib",
            "-g",
            "graphs/small/detour.toml",
            "-f",
            "json",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json(&out)["summary"]["impacted"], 4);
}

#[test]
fn graph_files_merge() {
    let out = run(
        blast_in(&root()),
        &[
            "impact",
            "db",
            "-g",
            "graphs/small/split/a.toml",
            "-g",
            "graphs/small/split/b.json",
            "-f",
            "json",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out);
    assert_eq!(v["risk"], "critical");
    assert_eq!(v["impacted"][1]["id"], "api");
    assert_eq!(v["impacted"][1]["tier"], 0);
    assert_eq!(v["impacted"][1]["customer_facing"], true);
}
