//! The README's examples run as written: every `$ blast …` line in a ```console block is
//! run from the repository root, and its output must match the lines below it. A block
//! fenced with more backticks (````` ````console `````) may hold ``` lines.

use crate::util::{blast, root, run};

/// (command line, expected output) for every example.
fn examples() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut out = Vec::new();
    // The backticks that opened the current console block (four when the output itself
    // holds ``` lines, as Mermaid's does).
    let mut fence: Option<String> = None;
    let mut current: Option<(String, String)> = None;
    for line in readme.lines() {
        let ticks: String = line.chars().take_while(|&c| c == '`').collect();
        if fence.is_none() && ticks.len() >= 3 && line[ticks.len()..].starts_with("console") {
            fence = Some(ticks);
            continue;
        }
        let Some(open) = &fence else { continue };
        if ticks == *open && line.trim_end() == open.as_str() {
            fence = None;
            out.extend(current.take());
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
