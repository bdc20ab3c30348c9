//! `blast impact --batch`: one load, one JSON line per change set, in order.

use std::io::Write;

use crate::util::{blast, expect, json};

#[test]
fn each_line_gets_one_result_in_order() {
    let mut input = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        input,
        "payment\n# a comment\n\nadmin\nchekout\nservices/payment/src/x.rs scripts/y.sh"
    )
    .unwrap();
    let out = expect(
        2,
        &[
            "impact",
            "--batch",
            input.path().to_str().unwrap(),
            "--nodes",
            "rated",
        ],
    );
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["risk"], "critical");
    assert_eq!(lines[0]["listed"], "rated");
    assert_eq!(lines[1]["risk"], "low");
    assert_eq!(lines[1]["changed"][0]["input"], "admin");
    assert_eq!(lines[2]["line"], 5);
    assert!(
        lines[2]["error"]
            .as_str()
            .unwrap()
            .contains("unknown node id 'chekout'")
    );
    assert_eq!(
        lines[3]["changed"][0]["nodes"],
        serde_json::json!(["payment"])
    );
    assert_eq!(lines[3]["unmapped"], serde_json::json!(["scripts/y.sh"]));
    let name = input.path().display().to_string();
    assert!(
        out.stderr
            .contains(&format!("error: {name}:5: unknown node id 'chekout'")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "warning: {name}:6: 'scripts/y.sh' maps to no node"
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn batch_results_equal_single_runs() {
    let single = |c: &str| json(&expect(0, &["impact", c, "-f", "json"]));
    let mut cmd = blast();
    cmd.args(["impact", "--batch", "-"])
        .write_stdin("logging\ncart pricing\n");
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0], single("logging"));
    let both = json(&expect(0, &["impact", "cart", "pricing", "-f", "json"]));
    assert_eq!(lines[1], both);
    // A byte-order mark (Windows editors write one) and CRLF line ends are not part of
    // the ids.
    let mut cmd = blast();
    cmd.args(["impact", "--batch", "-"])
        .write_stdin("\u{feff}logging\r\ncart pricing\r\n");
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let again: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(again, lines);
}

#[test]
fn listing_can_be_narrowed_but_the_summary_counts_everything() {
    let all = json(&expect(0, &["impact", "logging", "-f", "json"]));
    let rated = json(&expect(
        0,
        &["impact", "logging", "-f", "json", "--nodes", "rated"],
    ));
    let none = json(&expect(
        0,
        &["impact", "logging", "-f", "json", "--nodes", "none"],
    ));
    assert_eq!(all["summary"], rated["summary"]);
    assert_eq!(all["summary"], none["summary"]);
    assert!(all.get("listed").is_none());
    assert_eq!(none["listed"], "none");
    assert_eq!(none["impacted"], serde_json::json!([]));
    let rated_ids: Vec<&str> = rated["impacted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = all["impacted"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["customer_facing"] == true || !n["tier"].is_null())
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(rated_ids, expected);
    assert!(rated_ids.len() < all["impacted"].as_array().unwrap().len());
}

#[test]
fn batch_and_changes_do_not_mix() {
    let out = expect(2, &["impact", "payment", "--batch", "-"]);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}

#[test]
fn paths_can_be_left_out() {
    let with = json(&expect(0, &["impact", "payment", "-f", "json"]));
    let without = json(&expect(
        0,
        &["impact", "payment", "-f", "json", "--no-paths"],
    ));
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["impacted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&with), ids(&without));
    assert!(
        without["impacted"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n.get("path").is_none())
    );
    assert!(
        with["impacted"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n.get("path").is_some())
    );
}

/// `blast` as a child process with piped stdin and stdout.
fn spawn_batch(extra: &[&str]) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin!("blast"))
        .current_dir(crate::util::root())
        .env("NO_COLOR", "1")
        .args(["impact", "--batch", "-"])
        .args(extra)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn each_answer_is_written_before_the_next_question_is_read() {
    use std::io::BufRead;
    let mut child = spawn_batch(&["--nodes", "none"]);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    for (question, risk) in [("payment", "critical"), ("admin", "low")] {
        writeln!(stdin, "{question}").unwrap();
        stdin.flush().unwrap();
        // The input is still open: the answer must come anyway.
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["risk"], risk, "{line}");
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly() {
    use std::io::{BufRead, Read};
    let mut child = spawn_batch(&[]);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // Far more output than a pipe holds; stop writing when blast stops reading.
        for _ in 0..5000 {
            if writeln!(stdin, "logging").is_err() {
                break;
            }
        }
    });
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with("{\"schema\":\"blast-radius/impact/v1\""));
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    writer.join().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn batch_names_codeowners_like_a_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let write = |p: &str, s: &str| {
        let f = dir.path().join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, s).unwrap();
    };
    write(
        "graph.toml",
        "[[nodes]]\nid = \"web\"\ncustomer_facing = true\ntier = 1\npaths = [\"services/web/**\"]\ndepends_on = [\"api\"]\n\n[[nodes]]\nid = \"api\"\ntier = 0\npaths = [\"services/api/**\"]\ndepends_on = [\"lib\"]\n\n[[nodes]]\nid = \"lib\"\npaths = [\"libs/lib/**\"]\n",
    );
    write("blast.toml", "graphs = [\"graph.toml\"]\n");
    write(
        ".github/CODEOWNERS",
        "* @everyone\n/services/api/ @api-team @sre\n",
    );
    let single = crate::util::run(
        crate::util::blast_in(dir.path()),
        &["impact", "lib", "-f", "json"],
    );
    assert_eq!(single.code, 0, "{}", single.stderr);
    let mut cmd = crate::util::blast_in(dir.path());
    cmd.args(["impact", "--batch", "-"]).write_stdin("lib\n");
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v, json(&single));
    let owners: Vec<(&str, &serde_json::Value)> = v["impacted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), &n["owners_source"]))
        .collect();
    assert_eq!(
        owners,
        vec![
            ("api", &serde_json::json!("codeowners")),
            ("web", &serde_json::json!("codeowners")),
            ("lib", &serde_json::Value::Null),
        ]
    );
    assert_eq!(
        v["impacted"][0]["owners"],
        serde_json::json!(["@api-team", "@sre"])
    );
    assert_eq!(v["impacted"][1]["owners"], serde_json::json!(["@everyone"]));
}

#[test]
fn a_line_that_is_not_text_gets_its_own_error_and_the_rest_are_answered() {
    let mut input = tempfile::NamedTempFile::new().unwrap();
    input
        .write_all(b"payment\n\xff\xfe\nchekout\ncheckout\n")
        .unwrap();
    let out = expect(
        2,
        &[
            "impact",
            "--batch",
            input.path().to_str().unwrap(),
            "--nodes",
            "none",
        ],
    );
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4);
    // Error lines keep the documented key order and stay on one line, help included.
    assert_eq!(
        lines[1],
        r#"{"schema":"blast-radius/impact/v1","line":2,"error":"not valid UTF-8 (at byte 1 of the line); ids are UTF-8 text"}"#
    );
    assert_eq!(
        lines[2],
        r#"{"schema":"blast-radius/impact/v1","line":3,"error":"unknown node id 'chekout'; help: did you mean 'checkout'?"}"#
    );
    assert_eq!(json_line(lines[3])["changed"][0]["input"], "checkout");
}

fn json_line(l: &str) -> serde_json::Value {
    serde_json::from_str(l).unwrap()
}

#[test]
fn words_are_split_as_a_shell_splits_them() {
    let dir = tempfile::tempdir().unwrap();
    let graph = crate::util::write_file(
        dir.path(),
        "g.yaml",
        "nodes:\n  - id: my service\n    tier: 0\n    paths: [\"docs/Release Notes/**\"]\n  - id: b\n    depends_on: [my service]\n",
    );
    let input = crate::util::write_file(
        dir.path(),
        "what-if.txt",
        "'my service'\n\"my service\" b # the rest is a comment: c\nmy\\ service\n'docs/Release Notes/1.0.md'\n'my service\n",
    );
    let out = expect(
        2,
        &["impact", "--batch", &input, "-g", &graph, "--nodes", "none"],
    );
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", out.stdout);
    let inputs = |l: &str| -> Vec<String> {
        json_line(l)["changed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["input"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(inputs(lines[0]), ["my service"]);
    assert_eq!(inputs(lines[1]), ["my service", "b"]);
    assert_eq!(inputs(lines[2]), ["my service"]);
    assert_eq!(inputs(lines[3]), ["docs/Release Notes/1.0.md"]);
    assert_eq!(
        json_line(lines[3])["changed"][0]["nodes"],
        serde_json::json!(["my service"])
    );
    assert_eq!(json_line(lines[0])["summary"]["impacted"], 2);
    assert_eq!(
        lines[4],
        r#"{"schema":"blast-radius/impact/v1","line":5,"error":"a quote is not closed, or the line ends in a backslash; help: quote an id or path with a space as a shell would: 'a b' or \"a b\""}"#
    );
    assert!(
        out.stderr
            .contains(&format!("error: {input}:5: a quote is not closed")),
        "{}",
        out.stderr
    );
}

#[test]
fn unmapped_applies_to_every_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = crate::util::write_file(dir.path(), "lines.txt", "scripts/y.sh\nadmin\n");
    let all = expect(
        0,
        &[
            "impact",
            "--batch",
            &input,
            "--unmapped",
            "all",
            "--nodes",
            "none",
        ],
    );
    let lines: Vec<&str> = all.stdout.lines().collect();
    assert_eq!(json_line(lines[0])["risk"], "critical");
    assert_eq!(json_line(lines[0])["changed"][0]["via"], "unmapped");
    assert_eq!(json_line(lines[1])["risk"], "low");
    let error = expect(
        2,
        &[
            "impact",
            "--batch",
            &input,
            "--unmapped",
            "error",
            "--nodes",
            "none",
        ],
    );
    let lines: Vec<&str> = error.stdout.lines().collect();
    assert_eq!(json_line(lines[0])["line"], 1);
    assert!(
        json_line(lines[0])["error"]
            .as_str()
            .unwrap()
            .contains("scripts/y.sh"),
        "{}",
        lines[0]
    );
    assert_eq!(json_line(lines[1])["risk"], "low");
}
