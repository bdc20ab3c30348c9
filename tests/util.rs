//! Test harness: run the `blast` binary from the repository root, read its output.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root (where `blast.toml` and `graphs/` are).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `blast` with the repository root as working directory and no colour.
pub fn blast() -> Command {
    let mut c = Command::cargo_bin("blast").expect("the blast binary is built");
    c.current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("BLAST_TIMINGS")
        .env_remove("GITHUB_REF")
        .env_remove("GITHUB_SHA");
    c
}

/// `blast` in another working directory.
pub fn blast_in(dir: &Path) -> Command {
    let mut c = blast();
    c.current_dir(dir);
    c
}

/// What a finished run printed.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` with `args` and collects its output.
pub fn run(mut cmd: Command, args: &[&str]) -> Output {
    let out = cmd.args(args).output().expect("blast runs");
    Output {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// Runs `blast args...` from the repository root; asserts exit code `code`.
pub fn ok(args: &[&str]) -> Output {
    expect(0, args)
}

/// Runs `blast args...`; asserts the exit code.
pub fn expect(code: i32, args: &[&str]) -> Output {
    let out = run(blast(), args);
    assert_eq!(
        out.code, code,
        "blast {args:?} exited {} (expected {code})\nstdout:\n{}\nstderr:\n{}",
        out.code, out.stdout, out.stderr
    );
    out
}

/// Parses stdout as JSON.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", out.stdout))
}

/// The strings of a JSON array.
pub fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

/// Writes `text` to `dir/name`; returns the file's path as a string (for arguments).
pub fn write_file(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}
