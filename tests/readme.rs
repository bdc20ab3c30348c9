//! The README's examples run as written: every `$ blast …` line in a ```console block is
//! run from the repository root, and its output must match the lines below it.

use crate::util::{blast, root, run};

/// (command line, expected output) for every example.
fn examples() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut in_console = false;
    let mut current: Option<(String, String)> = None;
    for line in readme.lines() {
        if line.starts_with("```console") {
            in_console = true;
            continue;
        }
        if in_console && line.starts_with("```") {
            in_console = false;
            out.extend(current.take());
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.extend(current.take());
            current = Some((cmd.to_string(), String::new()));
        } else if let Some((_, expected)) = current.as_mut() {
            expected.push_str(line);
            expected.push('\n');
        }
    }
    out
}

#[test]
fn readme_examples_match_the_real_output() {
    let examples = examples();
    assert!(examples.len() >= 5, "found {} examples", examples.len());
    for (cmd, expected) in examples {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        assert_eq!(words[0], "blast", "{cmd}");
        let out = run(blast(), &words[1..]);
        let got = format!("{}{}", out.stdout, out.stderr);
        assert_eq!(
            got.trim_end(),
            expected.trim_end(),
            "README example `{cmd}` is out of date"
        );
    }
}
