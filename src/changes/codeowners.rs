//! CODEOWNERS, with GitHub's semantics: who owns a path.
//!
//! GitHub looks for the file in `.github/CODEOWNERS`, then `CODEOWNERS`, then
//! `docs/CODEOWNERS`, and uses the first it finds ([`CodeOwners::LOCATIONS`]). Each line is a
//! pattern followed by owners (`@user`, `@org/team`, or an email address); `#` starts a
//! comment. The rules, case by case as GitHub documents them:
//!
//! * the **last** matching line wins;
//! * a line with a pattern and no owners makes the paths it matches **unowned**;
//! * patterns follow `.gitignore`, except that `!` negation, `[ ]` ranges and `\#` escapes
//!   do not work (such lines are skipped, with a warning: a line starting `\#x` does not own
//!   a file named `#x`, as it would in `.gitignore`), and matching is case-sensitive;
//! * a line whose owners are all invalid (not `@user`, `@org/team` or an email address) is
//!   skipped with a warning, as GitHub skips invalid lines: it does not un-own anything; an
//!   invalid owner next to valid ones is dropped with a warning and the line applies;
//! * `*` matches within one directory and `**` across directories;
//! * a pattern with a `/` at the start or in the middle is anchored at the repository root;
//!   one without (or with only a trailing `/`) matches at any depth;
//! * a trailing `/` means a directory: everything below it;
//! * a pattern that names a file or directory also owns everything below it, except when
//!   its last segment is a lone `*` (`docs/*` owns `docs/a.md` but not `docs/x/b.md`);
//! * a file of 3 MB or more is ignored.
//!
//! GitLab's section headers (`[Section]`, `^[Optional]`) are skipped, so a GitLab file does
//! not break the parse. Patterns compile to one [`globset::GlobSet`]; the last match is the
//! highest matching line index.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// One usable line: a pattern and its owners (empty: explicitly unowned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The pattern as written.
    pub pattern: String,
    /// The owners as written.
    pub owners: Vec<String>,
    /// The 1-based line number.
    pub line: u32,
}

/// Whether a repository path names a file in the tree a CODEOWNERS file was read from.
pub type FileTest = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// A parsed CODEOWNERS file.
#[derive(Clone)]
pub struct CodeOwners {
    /// Where the file was read from (a repository path).
    pub file: String,
    rules: Vec<Rule>,
    set: GlobSet,
    /// For each glob in `set`, the rule it belongs to.
    glob_rule: Vec<u32>,
    /// Lines that were skipped, and why.
    pub warnings: Vec<String>,
    /// Which paths name files in the file's tree ([`names_file`](Self::names_file)).
    files: Option<FileTest>,
}

impl fmt::Debug for CodeOwners {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeOwners")
            .field("file", &self.file)
            .field("rules", &self.rules)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// GitHub ignores CODEOWNERS files this large or larger.
pub const MAX_SIZE: usize = 3 * 1024 * 1024;

impl CodeOwners {
    /// Where GitHub looks, in its order of preference.
    pub const LOCATIONS: [&'static str; 3] =
        [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

    /// Parses `text` read from `file`. Never fails: bad lines are skipped with a warning,
    /// as GitHub skips them.
    pub fn parse(file: &str, text: &str) -> CodeOwners {
        let mut rules = Vec::new();
        let mut warnings = Vec::new();
        let mut b = GlobSetBuilder::new();
        let mut glob_rule = Vec::new();
        // A byte-order mark (Windows editors write one) is not part of the first line.
        let text = crate::sources::text::without_bom_str(text);
        if text.len() >= MAX_SIZE {
            warnings.push(format!(
                "{file}: {} bytes is over GitHub's 3 MB limit, so GitHub ignores the file; blast ignores it too",
                text.len()
            ));
            return CodeOwners::from_parts(file, rules, b, glob_rule, warnings);
        }
        for (i, raw) in text.lines().enumerate() {
            let line_no = i as u32 + 1;
            let Some((pattern, owners)) = split_line(raw) else {
                continue;
            };
            if pattern.starts_with('[') || pattern.starts_with("^[") {
                // A GitLab section header.
                continue;
            }
            let skip = |why: &str| {
                format!(
                    "{file}:{line_no}: pattern '{pattern}' {why}; GitHub skips the line, and so does blast"
                )
            };
            if pattern.starts_with("\\#") {
                // `.gitignore` reads `\#x` as the pattern `#x`; GitHub documents that this
                // escape does not work in CODEOWNERS, so the line never owns `#x` there.
                warnings.push(format!(
                    "{file}:{line_no}: pattern '{pattern}' escapes `#` with `\\`, which CODEOWNERS does not support: on GitHub the line does not own '{}'; blast skips the line",
                    &pattern[1..]
                ));
                continue;
            }
            if pattern.starts_with('!') {
                warnings.push(skip("uses `!` negation, which CODEOWNERS does not support"));
                continue;
            }
            if pattern.contains('[') || pattern.contains(']') {
                warnings.push(skip(
                    "uses a `[ ]` character range, which CODEOWNERS does not support",
                ));
                continue;
            }
            let globs = match translate(&pattern) {
                Ok(g) => g,
                Err(e) => {
                    warnings.push(skip(&format!("is not a valid pattern ({e})")));
                    continue;
                }
            };
            let (good, bad): (Vec<String>, Vec<String>) = owners.into_iter().partition(|o| {
                o.starts_with('@') && o.len() > 1 || (o.contains('@') && !o.starts_with('@'))
            });
            if !bad.is_empty() && good.is_empty() {
                // Owners were written but none is valid: GitHub skips the line as invalid. It
                // is not the un-owning form, which is a pattern with no owners at all.
                warnings.push(format!(
                    "{file}:{line_no}: {} (write @user, @org/team or an email address); GitHub skips the line, and so does blast",
                    not_owners(&bad)
                ));
                continue;
            }
            if !bad.is_empty() {
                warnings.push(format!(
                    "{file}:{line_no}: {} (write @user, @org/team or an email address); the line's other owners apply",
                    not_owners(&bad)
                ));
            }
            let ix = rules.len() as u32;
            for g in globs {
                b.add(g);
                glob_rule.push(ix);
            }
            rules.push(Rule {
                pattern,
                owners: good,
                line: line_no,
            });
        }
        CodeOwners::from_parts(file, rules, b, glob_rule, warnings)
    }

    fn from_parts(
        file: &str,
        rules: Vec<Rule>,
        b: GlobSetBuilder,
        glob_rule: Vec<u32>,
        mut warnings: Vec<String>,
    ) -> CodeOwners {
        let set = b.build().unwrap_or_else(|e| {
            warnings.push(format!(
                "{file}: the patterns do not compile ({e}); the file is ignored"
            ));
            GlobSet::empty()
        });
        CodeOwners {
            file: file.to_string(),
            rules,
            set,
            glob_rule,
            warnings,
            files: None,
        }
    }

    /// Tells the file which repository paths name files (in the tree it was read from, or
    /// the change's head), so a node path naming one file is owned as that file
    /// ([`names_file`](Self::names_file)).
    pub fn with_files(mut self, files: FileTest) -> CodeOwners {
        self.files = Some(files);
        self
    }

    /// Whether `path` names a file (not a folder) where this file applies (see
    /// [`with_files`](Self::with_files)); `false` when that is not known.
    pub fn names_file(&self, path: &str) -> bool {
        self.files.as_ref().is_some_and(|f| f(path))
    }

    /// Finds and parses the CODEOWNERS file of the repository at `root`, using `read` to get
    /// a repository path's bytes (`None` when absent).
    pub fn find<E>(
        mut read: impl FnMut(&str) -> Result<Option<Vec<u8>>, E>,
    ) -> Result<Option<CodeOwners>, E> {
        for loc in CodeOwners::LOCATIONS {
            if let Some(bytes) = read(loc)? {
                return Ok(Some(CodeOwners::parse(
                    loc,
                    &String::from_utf8_lossy(&bytes),
                )));
            }
        }
        Ok(None)
    }

    /// Reads the CODEOWNERS file of a work tree at `root`; its paths name files when they
    /// are files there.
    pub fn find_in_dir(root: &Path) -> Option<CodeOwners> {
        let co = CodeOwners::find(|p| match std::fs::read(root.join(p)) {
            Ok(b) => Ok::<_, ()>(Some(b)),
            Err(_) => Ok(None),
        })
        .ok()
        .flatten()?;
        let root = root.to_path_buf();
        Some(co.with_files(Arc::new(move |p| file_on_disk(&root, p))))
    }

    /// Every usable rule, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule that decides `path`: the last line whose pattern matches it. `None` when no
    /// line matches; a rule with no owners means the path was explicitly un-owned.
    pub fn rule_for(&self, path: &str) -> Option<&Rule> {
        let path = path.strip_prefix("./").unwrap_or(path);
        let path = path.strip_prefix('/').unwrap_or(path);
        self.set
            .matches(path)
            .into_iter()
            .map(|g| self.glob_rule[g])
            .max()
            .map(|r| &self.rules[r as usize])
    }

    /// The owners of `path` (empty when nobody owns it).
    pub fn owners_of(&self, path: &str) -> &[String] {
        self.rule_for(path).map_or(&[], |r| &r.owners)
    }

    /// The owners of everything in the directory `dir` (`""` for the root): the rule that
    /// decides a file directly inside it that no name- or extension-specific pattern
    /// matches.
    pub fn owners_of_dir(&self, dir: &str) -> &[String] {
        let dir = dir.trim_end_matches('/');
        // U+0001 is a file name no real pattern spells out, so only patterns that own the
        // whole directory match it.
        let probe = if dir.is_empty() {
            "\u{1}".to_string()
        } else {
            format!("{dir}/\u{1}")
        };
        self.owners_of(&probe)
    }
}

/// Whether `path` is a file of the work tree at `root` as git sees it: a regular file or a
/// symbolic link (git stores a link as a file, whatever it points to), reached through
/// real folders (git lists nothing through a link to a folder).
pub fn file_on_disk(root: &Path, path: &str) -> bool {
    let mut at = root.to_path_buf();
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let Some((name, folders)) = parts.split_last() else {
        return false;
    };
    for f in folders {
        at.push(f);
        if !at.symlink_metadata().is_ok_and(|m| m.is_dir()) {
            return false;
        }
    }
    at.push(name);
    at.symlink_metadata()
        .is_ok_and(|m| m.is_file() || m.is_symlink())
}

/// `'x' is not an owner` or `'x', 'y' are not owners`.
fn not_owners(bad: &[String]) -> String {
    let list: Vec<String> = bad.iter().map(|o| format!("'{o}'")).collect();
    if bad.len() == 1 {
        format!("{} is not an owner", list[0])
    } else {
        format!("{} are not owners", list.join(", "))
    }
}

/// Splits a line into its pattern and owners; `None` for blank and comment lines.
fn split_line(raw: &str) -> Option<(String, Vec<String>)> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    // The pattern may hold escaped spaces (`\ `).
    let mut pattern = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&' ') {
            pattern.push(' ');
            chars.next();
        } else if c.is_whitespace() {
            break;
        } else {
            pattern.push(c);
        }
    }
    let rest: String = chars.collect();
    let owners = rest
        .split_whitespace()
        .take_while(|t| !t.starts_with('#'))
        .map(str::to_string)
        .collect();
    Some((pattern, owners))
}

/// Escapes the characters globset would read as syntax but CODEOWNERS takes literally.
fn escape_literal(seg: &str) -> String {
    let mut out = String::with_capacity(seg.len());
    for c in seg.chars() {
        if matches!(c, '{' | '}' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Turns a CODEOWNERS pattern into the globs that match the same paths.
fn translate(pattern: &str) -> Result<Vec<globset::Glob>, String> {
    let dir_only = pattern.ends_with('/');
    let trimmed = pattern.trim_end_matches('/');
    let anchored = trimmed.contains('/');
    let body = trimmed.trim_start_matches('/');
    if body.is_empty() {
        // `/` alone: the whole repository.
        return build(&["**".to_string()]);
    }
    let body = escape_literal(body);
    let base = if anchored || body.starts_with("**") {
        body
    } else {
        format!("**/{body}")
    };
    let last = base.rsplit('/').next().unwrap_or("");
    let mut globs = Vec::new();
    if dir_only {
        globs.push(format!("{base}/**"));
    } else if last == "**" {
        globs.push(base.clone());
    } else if last == "*" {
        // `docs/*`: the entries directly inside, not deeper.
        globs.push(base.clone());
    } else {
        globs.push(base.clone());
        globs.push(format!("{base}/**"));
    }
    build(&globs)
}

fn build(globs: &[String]) -> Result<Vec<globset::Glob>, String> {
    globs
        .iter()
        .map(|g| {
            GlobBuilder::new(g)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| e.kind().to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owners<'a>(co: &'a CodeOwners, path: &str) -> Vec<&'a str> {
        co.owners_of(path).iter().map(String::as_str).collect()
    }

    /// The example file from GitHub's documentation ("About code owners"), case by case.
    const GITHUB_EXAMPLE: &str = r#"
# This is a comment.
# Each line is a file pattern followed by one or more owners.

# These owners will be the default owners for everything in
# the repo. Unless a later match takes precedence,
# @global-owner1 and @global-owner2 will be requested for
# review when someone opens a pull request.
*       @global-owner1 @global-owner2

# Order is important; the last matching pattern takes the most
# precedence. When someone opens a pull request that only
# modifies JS files, only @js-owner and not the global
# owner(s) will be requested for a review.
*.js    @js-owner #This is an inline comment.

# You can also use email addresses if you prefer. They'll be
# used to look up users just like we do for commit author
# emails.
*.go docs@example.com

# Teams can be specified as code owners as well. Teams should
# be identified in the format @org/team-name. Teams must have
# explicit write access to the repository. In this example,
# the octocats team in the octo-org organization owns all .txt files.
*.txt @octo-org/octocats

# In this example, @doctocat owns any files in the build/logs
# directory at the root of the repository and any of its
# subdirectories.
/build/logs/ @doctocat

# The `docs/*` pattern will match files like
# `docs/getting-started.md` but not further nested files like
# `docs/build-app/troubleshooting.md`.
docs/*  docs@example.com

# In this example, @octocat owns any file in an apps directory
# anywhere in your repository.
apps/ @octocat

# In this example, @doctocat owns any file in the `/docs`
# directory in the root of your repository and any of its
# subdirectories.
/docs/ @doctocat

# In this example, any change inside the `/scripts` directory
# will require approval from @doctocat or @octocat.
/scripts/ @doctocat @octocat

# In this example, @octocat owns any file in a `/logs` directory such as
# `/build/logs`, `/scripts/logs`, and `/deeply/nested/logs`. Any changes
# in a `/logs` directory will require approval from @octocat.
**/logs @octocat

# In this example, @octocat owns any file in the `/apps`
# directory in the root of your repository except for the `/apps/github`
# subdirectory, as its owners are left empty. Without an owner, changes
# to `apps/github` can be made with the approval of any user who has
# write access to the repository.
/apps/ @octocat
/apps/github

# In this example, @octocat owns any file in the `/apps`
# directory in the root of your repository except for the `/apps/github`
# subdirectory, as this subdirectory has its own owner @doctocat
/apps/ @octocat
/apps/github @doctocat
"#;

    #[test]
    fn github_documented_example() {
        let co = CodeOwners::parse("CODEOWNERS", GITHUB_EXAMPLE);
        assert_eq!(co.warnings, Vec::<String>::new());
        // `*` owns everything not matched later.
        assert_eq!(owners(&co, "README"), ["@global-owner1", "@global-owner2"]);
        assert_eq!(
            owners(&co, "src/deep/main.rs"),
            ["@global-owner1", "@global-owner2"]
        );
        // `*.js` at any depth; the inline comment is not an owner.
        assert_eq!(owners(&co, "web/app.js"), ["@js-owner"]);
        assert_eq!(owners(&co, "app.js"), ["@js-owner"]);
        assert_eq!(owners(&co, "x.go"), ["docs@example.com"]);
        assert_eq!(owners(&co, "a/b/notes.txt"), ["@octo-org/octocats"]);
        // `/build/logs/`: anchored directory and everything below.
        // `/build/logs/` matches, but so does the later `**/logs`, and the last match wins.
        assert_eq!(owners(&co, "build/logs/today.log"), ["@octocat"]);
        assert_eq!(owners(&co, "build/logs/2024/jan.log"), ["@octocat"]);
        assert_eq!(
            owners(&co, "x/build/logs/a"),
            ["@octocat"],
            "not anchored there, but `**/logs` is"
        );
        // `/docs/` (later) owns the root docs directory and below, overriding `docs/*`.
        assert_eq!(owners(&co, "docs/getting-started.md"), ["@doctocat"]);
        assert_eq!(
            owners(&co, "docs/build-app/troubleshooting.md"),
            ["@doctocat"]
        );
        // `/scripts/`.
        assert_eq!(owners(&co, "scripts/deploy.sh"), ["@doctocat", "@octocat"]);
        // `**/logs` anywhere.
        assert_eq!(owners(&co, "deeply/nested/logs/x.txt"), ["@octocat"]);
        assert_eq!(owners(&co, "scripts/logs/y"), ["@octocat"]);
        // The last `/apps/github @doctocat` wins over the earlier empty line.
        assert_eq!(owners(&co, "apps/github/main.go"), ["@doctocat"]);
        assert_eq!(owners(&co, "apps/web/x"), ["@octocat"]);
        // `apps/` (unanchored) matches an apps directory at any depth.
        assert_eq!(owners(&co, "src/apps/x.rs"), ["@octocat"]);
        // `*.js` is case-sensitive.
        assert_eq!(
            owners(&co, "web/APP.JS"),
            ["@global-owner1", "@global-owner2"]
        );
    }

    /// A byte-order mark (Windows editors write one) is not part of the first pattern.
    #[test]
    fn a_byte_order_mark_is_skipped() {
        let co = CodeOwners::parse("CODEOWNERS", "\u{feff}/services/payment/ @bom\r\n");
        assert_eq!(co.warnings, Vec::<String>::new());
        assert_eq!(owners(&co, "services/payment/a.rs"), ["@bom"]);
    }

    #[test]
    fn anchored_directory() {
        let co = CodeOwners::parse("CODEOWNERS", "/build/logs/ @doctocat\n");
        assert_eq!(owners(&co, "build/logs/today.log"), ["@doctocat"]);
        assert_eq!(owners(&co, "build/logs/2024/jan.log"), ["@doctocat"]);
        assert!(owners(&co, "x/build/logs/a").is_empty());
        assert!(
            owners(&co, "build/logs").is_empty(),
            "the directory's contents, not a file"
        );
    }

    #[test]
    fn docs_star_matches_only_direct_children() {
        let co = CodeOwners::parse("CODEOWNERS", "docs/*  docs@example.com\n");
        assert_eq!(owners(&co, "docs/getting-started.md"), ["docs@example.com"]);
        assert!(owners(&co, "docs/build-app/troubleshooting.md").is_empty());
        // anchored: a slash in the middle
        assert!(owners(&co, "x/docs/a.md").is_empty());
    }

    #[test]
    fn a_line_without_owners_unowns() {
        let co = CodeOwners::parse("CODEOWNERS", "/apps/ @octocat\n/apps/github\n");
        assert_eq!(owners(&co, "apps/web/a"), ["@octocat"]);
        let r = co.rule_for("apps/github/a").unwrap();
        assert_eq!(r.pattern, "/apps/github");
        assert!(r.owners.is_empty());
        assert_eq!(r.line, 2);
        assert!(co.rule_for("lib/a").is_none(), "unmatched is not unowned");
    }

    #[test]
    fn star_does_not_cross_slash_and_double_star_does() {
        let co = CodeOwners::parse("CODEOWNERS", "/src/*.rs @a\n/lib/**/*.rs @b\n/x/**/y @c\n");
        assert_eq!(owners(&co, "src/main.rs"), ["@a"]);
        assert!(owners(&co, "src/deep/main.rs").is_empty());
        assert_eq!(
            owners(&co, "lib/main.rs"),
            ["@b"],
            "`**/` matches zero directories"
        );
        assert_eq!(owners(&co, "lib/a/b/c.rs"), ["@b"]);
        assert_eq!(owners(&co, "x/y"), ["@c"]);
        assert_eq!(
            owners(&co, "x/1/2/y/z"),
            ["@c"],
            "a matched directory owns what is below"
        );
        let co = CodeOwners::parse("CODEOWNERS", "a?c @q\n");
        assert_eq!(owners(&co, "abc"), ["@q"]);
        assert!(owners(&co, "a/c").is_empty(), "`?` does not match `/`");
    }

    #[test]
    fn unanchored_names_match_at_any_depth_and_own_below() {
        let co = CodeOwners::parse("CODEOWNERS", "Makefile @build\nvendor @vendors\n");
        assert_eq!(owners(&co, "Makefile"), ["@build"]);
        assert_eq!(owners(&co, "svc/Makefile"), ["@build"]);
        assert_eq!(owners(&co, "vendor/lib/x.c"), ["@vendors"]);
        assert_eq!(owners(&co, "a/vendor/lib/x.c"), ["@vendors"]);
        assert!(owners(&co, "vendored/x").is_empty());
    }

    #[test]
    fn leading_slash_anchors() {
        let co = CodeOwners::parse("CODEOWNERS", "/Makefile @root\n");
        assert_eq!(owners(&co, "Makefile"), ["@root"]);
        assert!(owners(&co, "svc/Makefile").is_empty());
    }

    #[test]
    fn trailing_slash_means_a_directory_only() {
        let co = CodeOwners::parse("CODEOWNERS", "build/ @b\n");
        assert_eq!(owners(&co, "build/x"), ["@b"]);
        assert_eq!(owners(&co, "a/build/x/y"), ["@b"]);
        assert!(
            owners(&co, "build").is_empty(),
            "a file named build is not the directory"
        );
    }

    #[test]
    fn unsupported_syntax_is_skipped_with_a_warning() {
        let text = "* @all\n!secret.txt @nobody\n*.[ch] @c\n[Section]\n^[Optional]\n\\#notes @hash\nfoo bar @x\n";
        let co = CodeOwners::parse("CODEOWNERS", text);
        let patterns: Vec<&str> = co.rules().iter().map(|r| r.pattern.as_str()).collect();
        assert_eq!(patterns, ["*", "foo"]);
        assert_eq!(
            owners(&co, "secret.txt"),
            ["@all"],
            "negation does not work"
        );
        assert_eq!(owners(&co, "x.c"), ["@all"], "ranges do not work");
        assert_eq!(
            co.warnings,
            [
                "CODEOWNERS:2: pattern '!secret.txt' uses `!` negation, which CODEOWNERS does not support; GitHub skips the line, and so does blast",
                "CODEOWNERS:3: pattern '*.[ch]' uses a `[ ]` character range, which CODEOWNERS does not support; GitHub skips the line, and so does blast",
                "CODEOWNERS:6: pattern '\\#notes' escapes `#` with `\\`, which CODEOWNERS does not support: on GitHub the line does not own '#notes'; blast skips the line",
                "CODEOWNERS:7: 'bar' is not an owner (write @user, @org/team or an email address); the line's other owners apply",
            ]
        );
        assert_eq!(owners(&co, "foo"), ["@x"]);
        // `\#` is no escape in CODEOWNERS: the line does not give `#notes` to @hash.
        assert_eq!(owners(&co, "#notes"), ["@all"]);
    }

    #[test]
    fn a_line_whose_owners_are_all_invalid_is_skipped_not_an_unowning_line() {
        let text = "* @g\n/services/api/ team-a\n/services/web/ team-w x/y\n/services/web/ci/\n";
        let co = CodeOwners::parse("CODEOWNERS", text);
        assert_eq!(
            co.warnings,
            [
                "CODEOWNERS:2: 'team-a' is not an owner (write @user, @org/team or an email address); GitHub skips the line, and so does blast",
                "CODEOWNERS:3: 'team-w', 'x/y' are not owners (write @user, @org/team or an email address); GitHub skips the line, and so does blast",
            ]
        );
        let patterns: Vec<&str> = co.rules().iter().map(|r| r.pattern.as_str()).collect();
        assert_eq!(patterns, ["*", "/services/web/ci/"]);
        assert_eq!(owners(&co, "services/api/main.rs"), ["@g"]);
        assert_eq!(co.owners_of_dir("services/api"), ["@g"]);
        assert_eq!(owners(&co, "services/web/x"), ["@g"]);
        // A pattern with no owners at all still un-owns.
        let r = co.rule_for("services/web/ci/a").unwrap();
        assert_eq!((r.line, r.owners.len()), (4, 0));
    }

    #[test]
    fn escaped_spaces_and_braces_are_literal() {
        let co = CodeOwners::parse("CODEOWNERS", "/my\\ dir/ @s\n/{a,b}.txt @braces\n");
        assert_eq!(owners(&co, "my dir/x"), ["@s"]);
        assert_eq!(owners(&co, "{a,b}.txt"), ["@braces"]);
        assert!(owners(&co, "a.txt").is_empty());
    }

    #[test]
    fn directory_owners_ignore_name_specific_patterns() {
        let co = CodeOwners::parse(
            "CODEOWNERS",
            "* @all\n/services/payment/ @payments\n*.md @docs\n/services/payment/core/*.rs @core\n",
        );
        assert_eq!(co.owners_of_dir("services/payment"), ["@payments"]);
        assert_eq!(co.owners_of_dir("services/payment/core"), ["@payments"]);
        assert_eq!(co.owners_of_dir("services/cart"), ["@all"]);
        assert_eq!(co.owners_of_dir(""), ["@all"]);
    }

    #[test]
    fn oversized_files_are_ignored() {
        let big = format!("* @a\n{}", "#".repeat(MAX_SIZE));
        let co = CodeOwners::parse("CODEOWNERS", &big);
        assert!(co.rules().is_empty());
        assert!(co.warnings[0].contains("3 MB"));
    }

    #[test]
    fn first_location_wins() {
        let co = CodeOwners::find(|p| {
            Ok::<_, ()>(match p {
                "CODEOWNERS" => Some(b"* @root".to_vec()),
                "docs/CODEOWNERS" => Some(b"* @docs".to_vec()),
                _ => None,
            })
        })
        .unwrap()
        .unwrap();
        assert_eq!(co.file, "CODEOWNERS");
        assert_eq!(owners(&co, "x"), ["@root"]);
    }
}
