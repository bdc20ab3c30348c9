//! Bad input: every error class exits 2 with a message naming the file, the line and column
//! where the parser knows them, and the offending id or key, and prints nothing on stdout.

use crate::util::expect;

/// Runs `blast impact a -g FILE` and returns stderr, asserting exit 2 and an empty stdout.
fn fails(files: &[&str]) -> String {
    let mut args = vec!["impact", "a"];
    for f in files {
        args.push("-g");
        args.push(f);
    }
    let out = expect(2, &args);
    assert_eq!(out.stdout, "", "never a partial report on stdout");
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out.stderr
}

#[test]
fn malformed_json() {
    let e = fails(&["graphs/invalid/malformed.json"]);
    assert_eq!(
        e,
        "error: graphs/invalid/malformed.json:3:3: expected `,` or `}`\n"
    );
}

#[test]
fn malformed_toml() {
    let e = fails(&["graphs/invalid/malformed.toml"]);
    assert!(
        e.starts_with("error: graphs/invalid/malformed.toml:3:15: unclosed array"),
        "{e}"
    );
}

#[test]
fn malformed_yaml() {
    let e = fails(&["graphs/invalid/malformed.yaml"]);
    assert!(
        e.starts_with("error: graphs/invalid/malformed.yaml:3:4: "),
        "{e}"
    );
}

#[test]
fn wrong_types() {
    let e = fails(&["graphs/invalid/wrong-type.json"]);
    assert_eq!(
        e,
        "error: graphs/invalid/wrong-type.json:1:47: invalid type: string \"yes\", expected a boolean\n"
    );
}

#[test]
fn unknown_keys_list_the_allowed_ones() {
    let e = fails(&["graphs/invalid/unknown-key.toml"]);
    assert!(e.starts_with("error: graphs/invalid/unknown-key.toml:3:1: unknown key `colour`, expected one of `id`, `kind`"), "{e}");
    assert!(e.contains("help: remove or rename the key"), "{e}");
}

#[test]
fn dangling_references_name_both_ids() {
    let e = fails(&["graphs/invalid/dangling.yaml"]);
    assert_eq!(
        e,
        "error: the graph has 1 error:\n\
         graphs/invalid/dangling.yaml:3:18: error[dangling-edge]: 'checkout' depends on 'payment', which no graph file declares\n  \
         help: declare a node with id 'payment', or fix the reference if it is a typo\n"
    );
}

#[test]
fn a_dangling_reference_is_found_where_it_is_a_reference() {
    let dir = tempfile::tempdir().unwrap();
    let f = crate::util::write_file(
        dir.path(),
        "g.yaml",
        "# zz is retired\nnodes:\n  - id: a\n    owners: [zz]\n    depends_on:\n      - kind: async\n        id: zz\n",
    );
    let e = fails(&[&f]);
    assert!(
        e.contains(&format!(
            "{f}:7:13: error[dangling-edge]: 'a' depends on 'zz'"
        )),
        "{e}"
    );
}

#[test]
fn duplicate_ids_point_at_the_second_declaration() {
    let e = fails(&["graphs/invalid/duplicate.json"]);
    assert!(e.contains("graphs/invalid/duplicate.json:3:11: error[duplicate-node]: node 'cart' is declared twice in this file"), "{e}");
}

#[test]
fn unknown_kinds_list_the_known_ones() {
    let e = fails(&["graphs/invalid/unknown-node-kind.yaml"]);
    assert_eq!(
        e,
        "error: graphs/invalid/unknown-node-kind.yaml:3:11: unknown node kind 'microservice', expected one of: service, module, datastore, queue, external\n"
    );
    let e = fails(&["graphs/invalid/unknown-edge-kind.toml"]);
    assert!(e.starts_with("error: graphs/invalid/unknown-edge-kind.toml:7:8: unknown edge kind 'rpc', expected one of: sync, async"), "{e}");
}

#[test]
fn tiers_out_of_range() {
    let e = fails(&["graphs/invalid/tier-out-of-range.yaml"]);
    assert_eq!(
        e,
        "error: graphs/invalid/tier-out-of-range.yaml:3:11: tier 7 is out of range: use 0 (most critical) to 3\n"
    );
}

#[test]
fn a_quoted_tier_is_an_error_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let help = "tier \"0\" is a string: write the tier as a number, without quotes, from 0 (most critical) to 3\n";
    for (name, text, at) in [
        ("t.yaml", "nodes:\n  - id: a\n    tier: \"0\"\n", "3:11"),
        (
            "t.json",
            "{\"nodes\": [{\"id\": \"a\", \"tier\": \"0\"}]}",
            "1:34",
        ),
        ("t.toml", "[[nodes]]\nid = \"a\"\ntier = \"0\"\n", "3:8"),
    ] {
        let f = crate::util::write_file(dir.path(), name, text);
        assert_eq!(fails(&[&f]), format!("error: {f}:{at}: {help}"));
    }
}

#[test]
fn an_empty_graph_file_is_an_error_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("e.json", ""),
        ("e.yaml", "\n"),
        ("e.toml", "  \n\t"),
        ("bom.json", "\u{feff}\n"),
    ] {
        let f = crate::util::write_file(dir.path(), name, text);
        assert_eq!(
            fails(&[&f]),
            format!(
                "error: {f}: the file is empty\n  help: a graph file holds a `nodes` list (and `edges`): write them, or stop reading the file (remove it from --graph or blast.toml's `graphs`)\n"
            )
        );
    }
    // A file that parses but declares nothing loads, with a warning `check` lists.
    let a = crate::util::write_file(
        dir.path(),
        "a.json",
        "\u{feff}{\"nodes\": [{\"id\": \"a\"}]}",
    );
    for (name, text) in [
        ("c.yaml", "# nothing yet\n"),
        ("o.json", "{}"),
        ("n.toml", "nodes = []\n"),
    ] {
        let f = crate::util::write_file(dir.path(), name, text);
        let out = expect(0, &["check", "-g", &a, "-g", &f]);
        assert!(
            out.stdout.starts_with(&format!(
                "warning[empty-source] {f}: the graph file declares no nodes, edges or removals\n"
            )),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn bad_globs() {
    let e = fails(&["graphs/invalid/bad-glob.json"]);
    assert!(e.contains("graphs/invalid/bad-glob.json:1:35: error[invalid-glob]: node 'a': invalid glob 'src/{a,b' in 'paths': unclosed alternate group"), "{e}");
}

#[test]
fn missing_and_unreadable_files() {
    let e = fails(&["graphs/nope.json"]);
    assert!(
        e.starts_with("error: graphs/nope.json: No such file or directory"),
        "{e}"
    );
    assert!(e.contains("help: check the path"), "{e}");
    // A folder, and a missing file without an extension: neither is "an unknown type".
    let e = fails(&["graphs/small"]);
    assert_eq!(
        e,
        "error: graphs/small: is a folder; --graph (-g) takes graph files, not folders\n  help: name the graph files (*.json, *.toml, *.yaml, *.yml) one by one; for a folder of Kubernetes manifests use --k8s, for a Cargo workspace --cargo\n"
    );
    let e = fails(&["nope"]);
    assert_eq!(
        e,
        "error: nope: No such file or directory (os error 2)\n  help: check the path (paths on the command line are relative to the working directory, paths in blast.toml to its folder)\n"
    );
    let e = fails(&["graphs/invalid/unknown-extension.txt"]);
    assert!(
        e.contains("help: name graph files *.json, *.toml, *.yaml or *.yml"),
        "{e}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("locked.json");
        std::fs::write(&f, "{}").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
        if std::fs::read(&f).is_err() {
            // (root can read anything; the check only means something as a normal user)
            let e = fails(&[f.to_str().unwrap()]);
            assert!(e.contains("locked.json: Permission denied"), "{e}");
        }
    }
}

#[test]
fn yaml_alias_bombs_are_refused() {
    let e = fails(&["graphs/invalid/alias-bomb.yaml"]);
    assert!(
        e.starts_with("error: graphs/invalid/alias-bomb.yaml:6:18: "),
        "{e}"
    );
    // Where any value is allowed (`provenance`), the reader's budget stops it, and the
    // message says which alias, in words.
    let dir = tempfile::tempdir().unwrap();
    let mut text = "nodes:\n  - id: a\n    provenance:\n      x0: &a0 [lol]\n".to_string();
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("      x{i}: &a{i} [{refs}]\n"));
    }
    let bomb = dir.path().join("bomb.yaml");
    std::fs::write(&bomb, text).unwrap();
    let name = bomb.to_str().unwrap();
    assert_eq!(
        fails(&[name]),
        format!(
            "error: {name}:10:16: the YAML is too large to read safely: 250001 YAML nodes is over the reader's limit for a file of this size; an alias that expands many times over is the usual cause (the alias defined at line 9, column 15, used at line 10, column 16)\n"
        )
    );
    // One anchor used too many times: the budget's first field, in words.
    let refs = vec!["*a0"; 50_000].join(", ");
    let many = dir.path().join("many.yaml");
    std::fs::write(
        &many,
        format!("nodes:\n  - id: a\n    provenance:\n      x0: &a0 lol\n      l: [{refs}]\n"),
    )
    .unwrap();
    let name = many.to_str().unwrap();
    let e = fails(&[name]);
    assert!(
        e.starts_with(&format!("error: {name}:")) && e.contains(": the YAML is too large to read safely: 50000 YAML aliases is over the reader's limit for a file of this size; an alias that expands many times over is the usual cause\n"),
        "{e}"
    );
    // Text of the file that looks like the reader's alias note is left as written.
    let odd = dir.path().join("odd.yaml");
    std::fs::write(
        &odd,
        "nodes:\n  - id: a\n    kind: \"servce (defined at line 1, column 1) (used at line 2, column 2)\"\n",
    )
    .unwrap();
    let e = fails(&[odd.to_str().unwrap()]);
    assert!(
        e.contains(
            "unknown node kind 'servce (defined at line 1, column 1) (used at line 2, column 2)'"
        ),
        "{e}"
    );
    // A type error met through an alias says where the alias was defined and used.
    assert_eq!(
        fails(&["graphs/invalid/alias-bomb.yaml"]),
        "error: graphs/invalid/alias-bomb.yaml:6:18: expected text, not a list or a table (the alias defined at line 4, column 17, used at line 6, column 18)\n"
    );
}

#[test]
fn deep_nesting_is_refused() {
    let e = fails(&["graphs/invalid/deep-nesting.yaml"]);
    assert!(
        e.starts_with("error: graphs/invalid/deep-nesting.yaml:4:"),
        "{e}"
    );
    assert!(e.contains("recursion limit exceeded"), "{e}");
    let e = fails(&["graphs/invalid/deep-nesting.json"]);
    assert!(
        e.starts_with("error: graphs/invalid/deep-nesting.json:1:"),
        "{e}"
    );
}

#[test]
fn two_files_disagreeing_name_both_files_and_the_key() {
    let e = fails(&[
        "graphs/invalid/conflict/a.toml",
        "graphs/invalid/conflict/b.json",
    ]);
    assert_eq!(
        e,
        "error: the graph has 1 error:\n\
         graphs/invalid/conflict/b.json:1:20: error[conflicting-attribute]: node 'checkout': key 'tier' is 2 here but 0 in graphs/invalid/conflict/a.toml\n  \
         note: see also graphs/invalid/conflict/a.toml\n  \
         help: keep the value in one file only, or make both agree\n"
    );
}

#[test]
fn bad_config_values_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("blast.toml"),
        "graphs = [\"g.json\"]\n[policy.risk]\ntier0 = [\"critical\", \"severe\", \"low\"]\n",
    )
    .unwrap();
    let out = crate::util::run(crate::util::blast_in(dir.path()), &["impact", "x"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("blast.toml:3:"), "{}", out.stderr);
    assert!(out.stderr.contains("severe"), "{}", out.stderr);
}

#[test]
fn no_graph_at_all_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::util::run(crate::util::blast_in(dir.path()), &["impact", "x"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no blast.toml was found"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("pass --graph FILE"), "{}", out.stderr);
}

#[test]
fn bad_usage_exits_two() {
    let out = expect(2, &["impact"]);
    assert!(out.stderr.contains("CHANGE"), "{}", out.stderr);
    expect(2, &["frobnicate"]);
}

/// A graph whose ids carry a line feed followed by a GitHub workflow command, a terminal
/// escape and a right-to-left override.
const HOSTILE_IDS: &str = r#"{"nodes":[{"id":"lib","owners":["@a"],"paths":["lib/**"]},{"id":"web\n::error::forged\u001b[2J\u202e","tier":0,"depends_on":["lib"]}]}"#;

/// The hostile id as every text report and message shows it.
const HOSTILE_SHOWN: &str = r"web\n::error::forged\u{1b}[2J\u{202e}";

#[test]
fn names_cannot_start_a_line_in_text_reports_or_messages() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g.json");
    std::fs::write(&g, HOSTILE_IDS).unwrap();
    let g = g.to_str().unwrap();
    let web = "web\n::error::forged\u{1b}[2J\u{202e}";
    for args in [
        vec!["impact", "lib"],
        vec!["why", "lib", web],
        vec!["rank"],
        vec!["spof"],
        vec!["graph"],
        vec!["check"],
        vec!["ci", "lib"],
    ] {
        let mut all = args.clone();
        all.extend(["-g", g, "--no-cache", "--color", "never"]);
        let out = crate::util::run(crate::util::blast(), &all);
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(text.contains(HOSTILE_SHOWN), "{args:?}:\n{text}");
        for line in text.lines() {
            assert!(
                !line.trim_start().starts_with("::") && !line.contains(['\u{1b}', '\u{202e}']),
                "{args:?} printed a raw line: {line:?}"
            );
        }
    }
    // An unknown id in an error message, and a suggestion that holds the hostile id.
    let out = expect(2, &["impact", "web\n::error::x", "-g", g, "--no-cache"]);
    assert!(
        out.stderr
            .starts_with(r"error: unknown node id 'web\n::error::x'"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(HOSTILE_SHOWN), "{}", out.stderr);
    assert!(
        !out.stderr.lines().any(|l| l.trim_start().starts_with("::")),
        "{}",
        out.stderr
    );
}

#[test]
fn blank_ids_are_errors_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g.json");
    std::fs::write(
        &g,
        "{\"nodes\":[\n{\"id\":\"\"},\n{\"id\":\"web\",\"depends_on\":[\"\"]}\n]}\n",
    )
    .unwrap();
    let out = expect(
        2,
        &["impact", "web", "-g", g.to_str().unwrap(), "--no-cache"],
    );
    assert!(
        out.stderr
            .contains("g.json:2:7: error[blank-id]: the node id '' is blank"),
        "{}",
        out.stderr
    );
    // A blank reference alone is one error, blank-id, not a dangling edge as well.
    std::fs::write(
        &g,
        "{\"nodes\":[\n{\"id\":\"web\",\"depends_on\":[\"  \"]}\n]}\n",
    )
    .unwrap();
    let out = expect(
        2,
        &["impact", "web", "-g", g.to_str().unwrap(), "--no-cache"],
    );
    assert!(
        out.stderr.starts_with("error: the graph has 1 error:\n")
            && out
                .stderr
                .contains("error[blank-id]: the node id '  ' is blank")
            && !out.stderr.contains("dangling-edge"),
        "{}",
        out.stderr
    );
}

#[test]
fn yaml_errors_speak_of_the_file_not_the_library() {
    let dir = tempfile::tempdir().unwrap();
    for (text, message) in [
        (
            "nodes:\n  - id: a\n    tier: 1\n    tier: 2\n",
            ":4:5: duplicate key 'tier'",
        ),
        (
            "nodes:\n  - id: a\n---\nnodes:\n  - id: b\n",
            ":4:1: the file holds several YAML documents (separated by `---`) where one is expected",
        ),
        (
            "nodes:\n  - id: ~\n",
            ":2:9: a null value (`~`) where text is expected",
        ),
    ] {
        let g = dir.path().join("g.yaml");
        std::fs::write(&g, text).unwrap();
        let out = expect(2, &["graph", "-g", g.to_str().unwrap(), "--no-cache"]);
        assert!(
            out.stderr.contains(&format!("g.yaml{message}\n")),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn a_dangling_id_names_every_referrer_by_how_it_refers() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("g.toml");
    std::fs::write(
        &g,
        "[[nodes]]\nid = \"c\"\ndepends_on = [\"zz\"]\n[[nodes]]\nid = \"d\"\ndepends_on = [\"zz\"]\n[[nodes]]\nid = \"b\"\npart_of = \"zz\"\n",
    )
    .unwrap();
    let out = expect(2, &["check", "-g", g.to_str().unwrap(), "--no-cache"]);
    assert!(
        out.stdout.contains(
            "'c' and 'd' depend on 'zz'; 'b' is part of 'zz', which no graph file declares"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn owners_in_another_order_agree_and_other_owners_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, owners: &str| {
        crate::util::write_file(
            dir.path(),
            name,
            &format!("[[nodes]]\nid = \"a\"\nowners = {owners}\n"),
        )
    };
    let (one, two, three) = (
        w("1.toml", r#"["x", "y"]"#),
        w("2.toml", r#"["y", "x"]"#),
        w("3.toml", r#"["x", "z"]"#),
    );
    crate::util::ok(&["graph", "-g", &one, "-g", &two, "--no-cache"]);
    let out = expect(2, &["graph", "-g", &one, "-g", &three, "--no-cache"]);
    assert!(
        out.stderr.contains("conflicting-attribute"),
        "{}",
        out.stderr
    );
}

/// A TOML duplicate key is named, in graph files and in blast.toml, as YAML's are.
#[test]
fn toml_duplicate_keys_are_named() {
    let dir = tempfile::tempdir().unwrap();
    for (text, message) in [
        (
            "[[nodes]]\nid = \"a\"\ntier = 1\ntier = 2\n",
            ":4:1: duplicate key 'tier'",
        ),
        (
            "nodes = [{id = \"a\", tier = 1, tier = 2}]\n",
            ":1:31: duplicate key 'tier'",
        ),
        (
            "[[nodes]]\nid = \"a\"\n\"ti er\" = 1\n\"ti er\" = 2\n",
            ":4:1: duplicate key 'ti er'",
        ),
    ] {
        let f = crate::util::write_file(dir.path(), "dupkey.toml", text);
        let out = expect(2, &["graph", "-g", &f]);
        assert_eq!(out.stderr, format!("error: {f}{message}\n"));
    }
    std::fs::write(dir.path().join("blast.toml"), "[policy]\n[policy]\n").unwrap();
    let out = crate::util::run(
        crate::util::blast_in(dir.path()),
        &["graph", "-g", "dupkey.toml"],
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("blast.toml:2:2: duplicate key 'policy'"),
        "{}",
        out.stderr
    );
}
