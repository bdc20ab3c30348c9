//! `--cargo` on real Cargo workspaces made in temporary folders, offline.

use std::path::Path;

use crate::util::{Output, blast_in, run};

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn krate(dir: &Path, name: &str, manifest_tail: &str) {
    write(
        dir,
        &format!("{name}/Cargo.toml"),
        &format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{manifest_tail}"
        ),
    );
    write(dir, &format!("{name}/src/lib.rs"), "");
}

fn blast(dir: &Path, args: &[&str]) -> Output {
    let mut c = blast_in(dir);
    c.env("CARGO_NET_OFFLINE", "true");
    run(c, args)
}

fn edges(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut a = vec!["graph", "--format", "json"];
    a.extend_from_slice(args);
    let out = blast(dir, &a);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let mut e: Vec<String> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let p = &e["provenance"][0];
            let target = p["attributes"]["target"]
                .as_str()
                .map(|t| format!(" [{t}]"))
                .unwrap_or_default();
            format!(
                "{} -> {} {}{target}",
                e["from"].as_str().unwrap(),
                e["to"].as_str().unwrap(),
                e["kind"].as_str().unwrap()
            )
        })
        .collect();
    e.sort();
    e
}

/// A workspace whose external dependency is not downloaded anywhere.
fn offline_workspace(d: &Path) {
    write(
        d,
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\", \"core\", \"util\", \"testkit\"]\nresolver = \"2\"\n\n[workspace.dependencies]\nutil = { path = \"util\" }\n",
    );
    krate(
        d,
        "app",
        "\n[dependencies]\ncore-lib = { package = \"core\", path = \"../core\" }\nzz-never-downloaded-crate = \"1.2.3\"\n\n[dev-dependencies]\ntestkit = { path = \"../testkit\" }\n\n[package.metadata.blast-radius]\nservice = \"app\"\ntier = 1\ncustomer_facing = true\n",
    );
    krate(
        d,
        "core",
        "\n[dependencies]\nutil.workspace = true\n\n[target.'cfg(windows)'.dependencies]\ntestkit = { path = \"../testkit\" }\n",
    );
    krate(d, "util", "");
    krate(d, "testkit", "");
}

#[test]
fn members_and_their_edges_without_downloading_anything() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    offline_workspace(d);
    assert_eq!(
        edges(d, &["--cargo", "."]),
        [
            "app -> core build",
            "app -> testkit dev",
            "core -> testkit build [cfg(windows)]",
            "core -> util build",
        ]
    );
    // Nothing was written into the workspace.
    assert!(!d.join("Cargo.lock").exists());
    let out = blast(d, &["graph", "--cargo", "Cargo.toml", "app", "core"]);
    assert!(
        out.stdout
            .contains("[dependencies] core-lib (package core)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("app/Cargo.toml:7"), "{}", out.stdout);
    assert!(
        out.stdout.contains("  app   service  1     yes"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("while loading"), "{}", out.stdout);
    // Paths are the package folders, so changed files map to crates.
    let out = blast(
        d,
        &[
            "impact",
            "--cargo",
            ".",
            "util/src/lib.rs",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let mut ids: Vec<&str> = v["impacted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, ["app", "core", "util"]);
}

#[test]
fn external_crates_fall_back_to_direct_dependencies_offline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    offline_workspace(d);
    write(
        d,
        "blast.toml",
        "[[source]]\nkind = \"cargo\"\npath = \".\"\ninclude_external = true\n",
    );
    let e = edges(d, &[]);
    assert!(
        e.contains(&"app -> zz-never-downloaded-crate build".to_string()),
        "{e:?}"
    );
    let out = blast(d, &["check"]);
    assert!(
        out.stdout.contains("warning[degraded-source] Cargo.toml: cannot resolve the dependency graph offline (no matching package named `zz-never-downloaded-crate` found); listing only the members' direct external dependencies"),
        "{}",
        out.stdout
    );
    assert!(!d.join("Cargo.lock").exists());
}

#[test]
fn external_crates_from_the_resolved_graph() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A local crate outside the workspace stands in for a registry crate: resolvable
    // offline, with a lockfile.
    write(
        d,
        "ws/Cargo.toml",
        "[workspace]\nmembers = [\"app\"]\nresolver = \"2\"\n",
    );
    krate(
        &d.join("ws"),
        "app",
        "\n[dependencies]\nvendored = { path = \"../../vendored\" }\n",
    );
    krate(
        d,
        "vendored",
        "\n[dependencies]\ndeeper = { path = \"../deeper\" }\n",
    );
    krate(d, "deeper", "");
    let status = std::process::Command::new(env!("CARGO"))
        .args(["generate-lockfile", "--offline", "--manifest-path"])
        .arg(d.join("ws/Cargo.toml"))
        .status()
        .unwrap();
    assert!(status.success());
    write(
        d,
        "ws/blast.toml",
        "[[source]]\nkind = \"cargo\"\npath = \".\"\ninclude_external = true\n",
    );
    assert_eq!(
        edges(&d.join("ws"), &[]),
        ["app -> vendored build", "vendored -> deeper build"]
    );
    let out = blast(&d.join("ws"), &["graph", "vendored"]);
    assert!(
        out.stdout.contains("  vendored  external"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("[dependencies] deeper = 0.1.0"),
        "{}",
        out.stdout
    );
}

#[test]
fn cargo_errors_are_cargos_own_and_metadata_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Cargo.toml",
        "[package]\nname = \"broken\"\nversion = \n",
    );
    let out = blast(d, &["graph", "--cargo", "."]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    // Cargo's own message, as cargo words it.
    assert!(
        out.stderr
            .starts_with("error: Cargo.toml: `cargo metadata` failed: "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("version = "), "{}", out.stderr);
    let out = blast(d, &["graph", "--cargo", "nowhere"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("nowhere/Cargo.toml: no Cargo.toml here"),
        "{}",
        out.stderr
    );

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    krate(
        d,
        "x",
        "\n[package.metadata.blast-radius]\ntier = 1\nteir = 2\n",
    );
    let out = blast(d, &["graph", "--cargo", "x"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(
            "error: x/Cargo.toml:6:1: [package.metadata.blast-radius]: unknown key `teir`"
        ),
        "{}",
        out.stderr
    );
}
