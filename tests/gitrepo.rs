//! Real git repositories in temporary directories, made with the real `git` binary, for the
//! tests of changes read from git. Every git run is hermetic: no global or system config,
//! fixed author, committer and dates, `main` as the first branch.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use crate::util::{Output, blast_in, root, run};

/// Environment that makes git ignore the machine's configuration.
pub fn hermetic(cmd: &mut Command) {
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_NAME", "Test Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_CEILING_DIRECTORIES", std::env::temp_dir())
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
}

/// A repository in a temporary directory.
pub struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    /// `git init` with `main` as the first branch.
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let r = Repo { dir };
        r.git(&["-c", "init.defaultBranch=main", "init", "-q", "."]);
        r
    }

    /// A repository holding `graphs/shop.toml`, a `blast.toml` pointing at it, and a source
    /// file in the folder of every node that owns one (committed on `main`).
    pub fn shop() -> Repo {
        let r = Repo::new();
        r.copy_from_root("graphs/shop.toml");
        r.write("blast.toml", "graphs = [\"graphs/shop.toml\"]\n");
        for dir in [
            "services/storefront",
            "services/mobile-bff",
            "services/checkout",
            "services/accounts",
            "services/payment",
            "services/payment/core",
            "services/cart",
            "services/orders",
            "services/inventory",
            "services/pricing",
            "services/fraud",
            "services/search",
            "services/shipping",
            "services/recommendations",
            "services/notifications",
            "services/email",
            "libs/logging",
            "libs/money",
        ] {
            r.write(&format!("{dir}/src/lib.rs"), &format!("// {dir}\n"));
        }
        r.write("README.md", "# shop\n");
        r.commit("shop");
        r
    }

    /// The repository's folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs git here; asserts it succeeds and returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    /// Writes a file (creating folders).
    pub fn write(&self, path: &str, text: &str) {
        let p = self.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Appends a line to a file.
    pub fn append(&self, path: &str, line: &str) {
        let p = self.path().join(path);
        let mut t = std::fs::read_to_string(&p).unwrap_or_default();
        t.push_str(line);
        t.push('\n');
        std::fs::write(p, t).unwrap();
    }

    /// Copies a file from the repository under test (same relative path).
    pub fn copy_from_root(&self, path: &str) {
        let text = std::fs::read_to_string(root().join(path)).unwrap();
        self.write(path, &text);
    }

    /// `git add -A && git commit`.
    pub fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    /// `git submodule add` of the repository at `url` as `path` (a local path or file URL).
    pub fn add_submodule(&self, url: &str, path: &str) {
        self.git(&[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            url,
            path,
        ]);
    }

    /// `git checkout -q -b name`.
    pub fn branch(&self, name: &str) {
        self.git(&["checkout", "-q", "-b", name]);
    }

    /// `blast` in this folder, hermetic.
    pub fn blast(&self) -> assert_cmd::Command {
        blast_in_git(self.path())
    }

    /// Runs `blast args…` here; asserts the exit code.
    pub fn expect(&self, code: i32, args: &[&str]) -> Output {
        expect_in(self.path(), code, args)
    }

    /// Runs `blast args…` here; asserts success.
    pub fn ok(&self, args: &[&str]) -> Output {
        self.expect(0, args)
    }
}

/// Runs `blast args…` in `dir` (hermetic); asserts the exit code.
pub fn expect_in(dir: &Path, code: i32, args: &[&str]) -> Output {
    let out = run(blast_in_git(dir), args);
    assert_eq!(
        out.code, code,
        "blast {args:?} exited {} (expected {code})\nstdout:\n{}\nstderr:\n{}",
        out.code, out.stdout, out.stderr
    );
    out
}

/// `blast` in `dir` with a hermetic git environment.
pub fn blast_in_git(dir: &Path) -> assert_cmd::Command {
    let mut c = blast_in(dir);
    c.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CEILING_DIRECTORIES", std::env::temp_dir())
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    c
}

/// Runs git in `dir`; asserts it succeeds and returns stdout.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    hermetic(&mut cmd);
    let out = cmd.current_dir(dir).args(args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh empty temporary folder.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// `file://` URL of a folder.
pub fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}
