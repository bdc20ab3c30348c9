//! Changes read from git (`--base`, `--head`, `--staged`) and from file lists
//! (`--files-from`), on real repositories made in temporary folders.

use serde_json::{Value, json};

use crate::gitrepo::{Repo, blast_in_git, file_url, git_in, tempdir};
use crate::util::{json, run, strings};

/// `(input, status, nodes, via)` of every changed input.
fn changed(v: &Value) -> Vec<(String, Value, Vec<String>, String)> {
    v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["input"].as_str().unwrap().to_string(),
                c["status"].clone(),
                strings(&c["nodes"]),
                c["via"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn row(input: &str, status: &str, nodes: &[&str]) -> (String, Value, Vec<String>, String) {
    (
        input.to_string(),
        json!(status),
        nodes.iter().map(|n| n.to_string()).collect(),
        "paths".to_string(),
    )
}

#[test]
fn a_branch_editing_payment_gives_the_same_answer_as_impact_payment() {
    let repo = Repo::shop();
    repo.branch("feature");
    repo.append("services/payment/src/lib.rs", "pub fn refund() {}");
    repo.commit("refunds");
    let by_diff = json(&repo.ok(&["impact", "--base", "main", "--format", "json"]));
    let by_id = json(&repo.ok(&["impact", "payment", "--format", "json"]));
    for key in ["risk", "risk_reasons", "impacted", "owners", "summary"] {
        assert_eq!(by_diff[key], by_id[key], "{key}");
    }
    assert_eq!(by_diff["risk"], "critical");
    assert_eq!(
        by_diff["changed"],
        json!([{"input": "services/payment/src/lib.rs", "nodes": ["payment"],
                "reason": "glob 'services/payment/**' of payment", "status": "modified",
                "via": "paths", "widened": false}])
    );
    assert_eq!(by_diff["unmapped"], json!([]));
    let mb = repo.git(&["rev-parse", "main"]).trim().to_string();
    assert_eq!(
        by_diff["diff"],
        json!({"base": "main", "merge_base": mb, "head": "working tree", "head_commit": null})
    );
    // The text report leads with the same headline.
    let text = repo.ok(&["impact", "--base", "main"]).stdout;
    let by_id_text = repo.ok(&["impact", "payment"]).stdout;
    assert_eq!(text.lines().next(), by_id_text.lines().next());
    assert!(
        text.contains("changed: services/payment/src/lib.rs (modified) → payment (glob 'services/payment/**' of payment)"),
        "{text}"
    );
}

#[test]
fn base_counts_committed_staged_unstaged_and_untracked_changes_head_only_commits() {
    let repo = Repo::shop();
    repo.branch("feature");
    repo.append("services/payment/src/lib.rs", "// committed");
    repo.commit("committed");
    repo.append("services/cart/src/lib.rs", "// unstaged");
    repo.write("services/search/src/new.rs", "// staged\n");
    repo.git(&["add", "services/search/src/new.rs"]);
    repo.write("services/inventory/src/untracked.rs", "// untracked\n");
    repo.write("services/inventory/target/ignored.rs", "// ignored\n");
    repo.write(".gitignore", "target/\n");
    let v = json(&repo.ok(&["impact", "--base", "main", "-f", "json"]));
    assert_eq!(
        changed(&v),
        vec![
            row("services/cart/src/lib.rs", "modified", &["cart"]),
            row(
                "services/inventory/src/untracked.rs",
                "untracked",
                &["inventory"]
            ),
            row("services/payment/src/lib.rs", "modified", &["payment"]),
            row("services/search/src/new.rs", "added", &["search"]),
        ]
    );
    assert_eq!(v["unmapped"], json!([".gitignore"]));
    // --head compares commits only: the working tree plays no part.
    let v = json(&repo.ok(&[
        "impact", "--base", "main", "--head", "feature", "-f", "json",
    ]));
    assert_eq!(
        changed(&v),
        vec![row("services/payment/src/lib.rs", "modified", &["payment"])]
    );
    assert_eq!(v["diff"]["head"], "feature");
    // --staged: HEAD against the index.
    let v = json(&repo.ok(&["impact", "--staged", "-f", "json"]));
    assert_eq!(
        changed(&v),
        vec![row("services/search/src/new.rs", "added", &["search"])]
    );
    assert_eq!(v["diff"]["head"], "index");
    // A file taken out of the index but left on disk is one change to it, not a deletion
    // and an untracked file.
    repo.git(&["rm", "-q", "--cached", "services/payment/src/lib.rs"]);
    let v = json(&repo.ok(&["impact", "--base", "main", "-f", "json"]));
    let payment: Vec<_> = changed(&v)
        .into_iter()
        .filter(|c| c.0 == "services/payment/src/lib.rs")
        .collect();
    assert_eq!(
        payment,
        vec![row("services/payment/src/lib.rs", "modified", &["payment"])]
    );
}

#[test]
fn a_rename_out_of_a_service_counts_both_sides_and_deletions_count() {
    let repo = Repo::shop();
    repo.write(
        "services/cart/src/promo.rs",
        "pub fn promo() {}\n// a file long enough to be seen as renamed\n",
    );
    repo.commit("promo");
    repo.branch("move");
    repo.git(&[
        "mv",
        "services/cart/src/promo.rs",
        "services/pricing/src/promo.rs",
    ]);
    repo.git(&["rm", "-q", "services/email/src/lib.rs"]);
    repo.commit("move promo to pricing, drop email");
    let v = json(&repo.ok(&["impact", "--base", "main", "-f", "json"]));
    assert_eq!(
        changed(&v),
        vec![
            row("services/cart/src/promo.rs", "renamed-from", &["cart"]),
            row("services/email/src/lib.rs", "deleted", &["email"]),
            row("services/pricing/src/promo.rs", "renamed-to", &["pricing"]),
        ]
    );
    let ids: Vec<&str> = v["impacted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"cart") && ids.contains(&"pricing") && ids.contains(&"email"),
        "{ids:?}"
    );
    let text = repo.ok(&["impact", "--base", "main"]).stdout;
    assert!(
        text.contains("changed: services/cart/src/promo.rs (renamed-from) → cart"),
        "{text}"
    );
    assert!(
        text.contains("changed: services/pricing/src/promo.rs (renamed-to) → pricing"),
        "{text}"
    );
}

#[test]
fn paths_with_spaces_unicode_and_newlines() {
    let repo = Repo::shop();
    repo.branch("odd");
    repo.write("services/search/src/a b.rs", "x\n");
    repo.write("services/fraud/src/règle ünï.rs", "x\n");
    repo.write("services/shipping/src/new\nline.rs", "x\n");
    repo.write("odd \"quoted\"\tname.txt", "x\n");
    repo.commit("odd names");
    let v = json(&repo.ok(&["impact", "--base", "main", "-f", "json"]));
    assert_eq!(
        changed(&v),
        vec![
            row("services/fraud/src/règle ünï.rs", "added", &["fraud"]),
            row("services/search/src/a b.rs", "added", &["search"]),
            row("services/shipping/src/new\nline.rs", "added", &["shipping"]),
        ]
    );
    assert_eq!(v["unmapped"], json!(["odd \"quoted\"\tname.txt"]));
}

#[test]
fn a_submodule_change_maps_by_the_submodule_path() {
    let sdk = Repo::new();
    sdk.write("sdk.rs", "v1\n");
    sdk.commit("v1");
    let repo = Repo::shop();
    repo.add_submodule(&file_url(sdk.path()), "vendors/payment-gateway");
    repo.commit("vendor the gateway sdk");
    repo.branch("bump");
    sdk.write("sdk.rs", "v2\n");
    sdk.commit("v2");
    let sub = repo.path().join("vendors/payment-gateway");
    git_in(
        &sub,
        &[
            "-c",
            "protocol.file.allow=always",
            "pull",
            "-q",
            "origin",
            "main",
        ],
    );
    repo.commit("bump the gateway sdk");
    let v = json(&repo.ok(&["impact", "--base", "main", "-f", "json"]));
    assert_eq!(
        changed(&v),
        vec![row(
            "vendors/payment-gateway",
            "modified",
            &["payment-gateway"]
        )]
    );
    assert_eq!(v["risk"], "critical", "payment depends on the gateway");
}

#[test]
fn files_from_a_file_or_stdin_newline_or_nul_separated() {
    let repo = Repo::shop();
    repo.write(
        "changed.txt",
        "services/payment/src/lib.rs\r\n./services/cart/src/lib.rs\n\nREADME.md\n",
    );
    let v = json(&repo.ok(&["impact", "--files-from", "changed.txt", "-f", "json"]));
    let expect_nodes = |v: &Value| {
        assert_eq!(
            changed(v)
                .into_iter()
                .map(|c| (c.0, c.1, c.2))
                .collect::<Vec<_>>(),
            vec![
                (
                    "services/payment/src/lib.rs".to_string(),
                    Value::Null,
                    vec!["payment".to_string()]
                ),
                (
                    "services/cart/src/lib.rs".to_string(),
                    Value::Null,
                    vec!["cart".to_string()]
                ),
            ]
        );
    };
    expect_nodes(&v);
    assert_eq!(v["ignored"][0]["input"], "README.md");
    assert_eq!(v["diff"], Value::Null);
    let out = repo
        .blast()
        .args(["impact", "--files-from", "-", "-f", "json"])
        .write_stdin("services/payment/src/lib.rs\0services/cart/src/lib.rs\0README.md\0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    expect_nodes(&serde_json::from_slice(&out.stdout).unwrap());
    // A path with a newline needs NUL separation.
    let out = repo
        .blast()
        .args(["impact", "--files-from", "-", "-f", "json"])
        .write_stdin("services/search/src/a\nb.rs\0")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(changed(&v)[0].0, "services/search/src/a\nb.rs");
    // Positional ids add to the list.
    let v = json(&repo.ok(&[
        "impact",
        "email",
        "--files-from",
        "changed.txt",
        "-f",
        "json",
    ]));
    assert_eq!(changed(&v)[0].0, "email");
    assert_eq!(changed(&v).len(), 3);
    let e = repo.expect(2, &["impact", "--files-from", "missing.txt"]);
    assert!(e.stderr.starts_with("error: missing.txt: "), "{}", e.stderr);
}

#[test]
fn a_shallow_clone_without_the_merge_base_names_the_fix() {
    let origin = Repo::shop();
    origin.branch("feature");
    for i in 0..2 {
        origin.append("services/payment/src/lib.rs", &format!("// feature {i}"));
        origin.commit(&format!("feature {i}"));
    }
    origin.git(&["checkout", "-q", "main"]);
    for i in 0..2 {
        origin.append("services/cart/src/lib.rs", &format!("// main {i}"));
        origin.commit(&format!("main {i}"));
    }
    let dir = tempdir();
    git_in(
        dir.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            "--branch",
            "feature",
            &file_url(origin.path()),
            "clone",
        ],
    );
    let clone = dir.path().join("clone");
    let out = run(blast_in_git(&clone), &["impact", "--base", "origin/main"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .starts_with("error: no merge base of 'origin/main' and 'HEAD' in this shallow clone"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("fetch-depth: 0"), "{}", out.stderr);
    assert!(out.stderr.contains("git fetch --deepen"), "{}", out.stderr);
    assert!(
        out.stderr.contains("git fetch --unshallow"),
        "{}",
        out.stderr
    );
    // After fetching the history, it works.
    git_in(&clone, &["fetch", "-q", "--unshallow"]);
    let v = json(&crate::gitrepo::expect_in(
        &clone,
        0,
        &["impact", "--base", "origin/main", "-f", "json"],
    ));
    assert_eq!(
        changed(&v),
        vec![row("services/payment/src/lib.rs", "modified", &["payment"])]
    );
}

#[test]
fn git_faults_exit_2_with_the_fix() {
    let repo = Repo::shop();
    let e = repo.expect(2, &["impact", "--base", "no-such-branch"]);
    assert!(
        e.stderr
            .starts_with("error: unknown git ref 'no-such-branch'"),
        "{}",
        e.stderr
    );
    assert!(
        e.stderr.contains("help: check the spelling"),
        "{}",
        e.stderr
    );
    assert_eq!(e.stdout, "");
    let e = repo.expect(2, &["impact", "--base", "main", "--head", "nope"]);
    assert!(
        e.stderr.starts_with("error: unknown git ref 'nope'"),
        "{}",
        e.stderr
    );
    // An option-looking ref is a ref, not an option.
    let e = repo.expect(2, &["impact", "--base=--output=x"]);
    assert!(
        e.stderr.starts_with("error: unknown git ref '--output=x'"),
        "{}",
        e.stderr
    );

    // Not a repository.
    let dir = tempdir();
    std::fs::create_dir_all(dir.path().join("graphs")).unwrap();
    std::fs::copy(
        crate::util::root().join("graphs/shop.toml"),
        dir.path().join("graphs/shop.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("blast.toml"),
        "graphs = [\"graphs/shop.toml\"]\n",
    )
    .unwrap();
    let out = run(blast_in_git(dir.path()), &["impact", "--base", "main"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("is not inside a git repository"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--files-from"), "{}", out.stderr);

    // git not installed: a PATH without git.
    let empty = tempdir();
    let mut cmd = repo.blast();
    cmd.env("PATH", empty.path());
    let out = run(cmd, &["impact", "--base", "main"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.starts_with("error: cannot run git: "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("install git"), "{}", out.stderr);

    // Unrelated histories.
    repo.git(&["checkout", "-q", "--orphan", "other"]);
    repo.commit("unrelated");
    let e = repo.expect(2, &["impact", "--base", "main"]);
    assert!(
        e.stderr
            .starts_with("error: 'main' and 'HEAD' have no common ancestor"),
        "{}",
        e.stderr
    );
}

#[test]
fn flags_that_do_not_go_together_are_usage_errors() {
    let repo = Repo::shop();
    let e = repo.expect(2, &["impact", "--head", "main"]);
    assert!(e.stderr.contains("--base"), "{}", e.stderr);
    let e = repo.expect(2, &["impact", "--staged", "--base", "main"]);
    assert!(e.stderr.contains("cannot be used with"), "{}", e.stderr);
    let e = repo.expect(2, &["impact"]);
    assert!(e.stderr.contains("CHANGE"), "{}", e.stderr);
}

#[test]
fn paths_are_relative_to_the_repository_root_whatever_the_folder_and_config() {
    let repo = Repo::shop();
    repo.branch("feature");
    repo.append("services/payment/src/lib.rs", "// change");
    repo.commit("change");
    // A user who asked git for relative diff paths, running blast from a subfolder.
    repo.git(&["config", "diff.relative", "true"]);
    let sub = repo.path().join("services/cart");
    let v = json(&crate::gitrepo::expect_in(
        &sub,
        0,
        &["impact", "--base", "main", "-f", "json"],
    ));
    assert_eq!(
        changed(&v),
        vec![row("services/payment/src/lib.rs", "modified", &["payment"])]
    );
}
