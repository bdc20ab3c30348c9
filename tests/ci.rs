//! `blast ci` end to end on real temporary git repositories: the gate per risk tier,
//! AI-assisted commits, approvals (flags and GitHub reviews files), every output (text,
//! annotations, SARIF validated against the official schema, GitLab Code Quality, Markdown,
//! JSON, audit), hostile names, and concurrent audit appends.
//!
//! `tests/sarif-schema-2.1.0.json` is the OASIS SARIF 2.1.0 JSON Schema (draft-04), copied
//! unchanged from oasis-tcs/sarif-spec, `sarif-2.1/schema/sarif-schema-2.1.0.json` at commit
//! e0583813964ec43cea53b6b531b402866095ed1f (via `../shared/schemas/`).

use std::path::Path;

use serde_json::Value;

use crate::gitrepo::{Repo, git_in};
use crate::util::{Output, root, run};

/// A shop repository with the repository's own `blast.toml` (the example policy), on a
/// branch `feat`.
fn shop_with_policy() -> Repo {
    let r = Repo::shop();
    r.copy_from_root("blast.toml");
    r.write("tools/admin/src/main.rs", "// admin\n");
    r.commit("policy");
    r.branch("feat");
    r
}

/// [`shop_with_policy`] with a commit of four new files in each of payment, checkout and
/// cart: more findings than the annotations show.
fn shop_with_many_files() -> Repo {
    let r = shop_with_policy();
    for d in ["payment", "checkout", "cart"] {
        for i in 1..=4 {
            r.write(&format!("services/{d}/src/f{i}.rs"), "// new\n");
        }
    }
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "many files"]);
    r
}

/// Commits a change to `file` with a message (subject, then body paragraphs).
fn change(r: &Repo, file: &str, message: &[&str]) {
    r.append(file, "// changed");
    r.git(&["add", "-A"]);
    let mut args = vec!["commit", "-q"];
    for m in message {
        args.push("-m");
        args.push(m);
    }
    r.git(&args);
}

fn ci(r: &Repo, code: i32, args: &[&str]) -> Output {
    let mut all = vec!["ci", "--base", "main"];
    all.extend_from_slice(args);
    r.expect(code, &all)
}

#[test]
fn ai_assisted_payment_change_needs_senior_sign_off_until_approved() {
    let r = shop_with_policy();
    change(
        &r,
        "services/payment/src/lib.rs",
        &[
            "Retry card payments",
            "Co-authored-by: Claude <noreply@anthropic.com>",
        ],
    );
    let out = ci(&r, 1, &[]);
    assert!(
        out.stdout
            .starts_with("risk: critical — a change to payment reaches 4 nodes"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("ai-assisted: 1 of 1 commit\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(
        "    Co-authored-by: Claude <noreply@anthropic.com> (assistant identity '*@anthropic.com>*' (Claude (Anthropic)))\n"
    ));
    assert!(
        out.stdout
            .contains("verdict: fail — policy.gate.critical: 2 requirements missing\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "  ✗ needs 2 approvals from @shop/senior-eng, has 0 [policy.gate.critical]\n"
        )
    );
    assert!(
        out.stdout
            .contains("  ✗ needs 1 approval from @shop/senior-eng, has 0 [policy.ai_assisted]\n")
    );
    assert!(
        out.stdout
            .contains("  suggested labels: ai-assisted, risk:critical\n")
    );

    // One senior satisfies the AI rule but not the critical tier.
    let out = ci(&r, 1, &["--approved-by", "alice,zed"]);
    assert!(
        out.stdout.contains(
            "  ✗ needs 2 approvals from @shop/senior-eng, has 1 (alice) [policy.gate.critical]\n"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(
        "  ✓ needs 1 approval from @shop/senior-eng, has 1 (alice) [policy.ai_assisted]\n"
    ));

    let out = ci(&r, 0, &["--approved-by", "@Alice", "--approved-by", "bob"]);
    assert!(
        out.stdout
            .contains("verdict: pass — policy.gate.critical\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("approvals: Alice (--approved-by), bob (--approved-by)\n")
    );
}

#[test]
fn admin_change_is_low_and_passes() {
    let r = shop_with_policy();
    change(&r, "tools/admin/src/main.rs", &["Admin tweak"]);
    let out = ci(&r, 0, &["--json", "-"]);
    let j: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(j["schema"], "blast-radius/ci/v1");
    assert_eq!(j["verdict"]["status"], "pass");
    assert_eq!(j["verdict"]["risk"], "low");
    assert_eq!(j["verdict"]["gate"]["tier"], Value::Null);
    assert_eq!(j["impact"]["schema"], "blast-radius/impact/v1");
    assert_eq!(j["impact"]["risk"], "low");
    assert_eq!(j["ai_assisted"]["detected"], false);
    assert_eq!(j["ai_assisted"]["scanned"], 1);
}

#[test]
fn each_tier_gets_its_gate() {
    let r = shop_with_policy();
    // medium: email reaches notifications (tier 2) synchronously.
    r.write("services/email/src/lib.rs", "// email v2\n");
    r.commit("email");
    let out = ci(&r, 1, &[]);
    assert!(out.stdout.starts_with("risk: medium"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("  ✗ needs 1 approval, has 0 [policy.gate.medium]\n"),
        "{}",
        out.stdout
    );
    ci(&r, 0, &["--approved-by", "zed"]);

    // high with a tier-0 node reached at half strength: a senior plus the owners of checkout.
    r.git(&["checkout", "-q", "main"]);
    r.branch("queue");
    r.write("infra/queues/order-events/topic.yaml", "partitions: 12\n");
    r.commit("more partitions");
    let out = ci(&r, 1, &["--approved-by", "alice"]);
    assert!(out.stdout.starts_with("risk: high"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "  ✓ needs 1 approval from @shop/senior-eng, has 1 (alice) [policy.gate.high]\n"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(
        "  ✗ needs 1 approval from @shop/checkout (owner of checkout), has 0 [policy.gate.high owners:tier0]\n"
    ), "{}", out.stdout);
    assert!(out.stdout.contains("  suggested labels: risk:high\n"));
    ci(&r, 0, &["--approved-by", "alice,erin"]);

    // AI assistance raises high to critical: then two seniors are needed.
    change(
        &r,
        "infra/queues/order-events/topic.yaml",
        &["tune", "Assisted-by: some-agent v2"],
    );
    let out = ci(&r, 1, &["--approved-by", "alice,erin"]);
    assert!(out.stdout.contains("raised: high → critical because the change is AI-assisted ([policy.ai_assisted] escalate = 1)\n"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("    Assisted-by: some-agent v2 (trailer Assisted-by)\n")
    );
    assert!(out.stdout.contains(
        "  ✗ needs 2 approvals from @shop/senior-eng, has 1 (alice) [policy.gate.critical]\n"
    ));
}

/// One review as GitHub's API lists it, of `commit`.
fn review_of(commit: &str, id: u32, login: &str, state: &str, at: &str) -> String {
    format!(
        r#"{{"id":{id},"node_id":"x","user":{{"login":"{login}","id":{id},"type":"User"}},"body":"","state":"{state}","html_url":"","author_association":"MEMBER","submitted_at":"{at}","commit_id":"{commit}"}}"#
    )
}

fn head(r: &Repo) -> String {
    r.git(&["rev-parse", "HEAD"]).trim().to_string()
}

#[test]
fn approvals_from_a_github_reviews_file_use_each_reviewers_latest_state() {
    let r = shop_with_policy();
    change(&r, "services/payment/src/lib.rs", &["Refactor"]);
    let commit = head(&r);
    let review = |id, login, state, at| review_of(&commit, id, login, state, at);
    // Two pages back to back, as `gh api --paginate` writes them.
    let page1 = format!(
        "[{},{},{}]",
        review(1, "alice", "APPROVED", "2026-03-01T10:00:00Z"),
        review(2, "bob", "APPROVED", "2026-03-01T11:00:00Z"),
        review(3, "carol", "APPROVED", "2026-03-01T11:30:00Z"),
    );
    let page2 = format!(
        "[{},{},{}]",
        review(4, "alice", "CHANGES_REQUESTED", "2026-03-02T09:00:00Z"),
        review(5, "bob", "COMMENTED", "2026-03-02T10:00:00Z"),
        review(6, "carol", "DISMISSED", "2026-03-02T10:00:00Z"),
    );
    r.write("reviews.json", &format!("{page1}{page2}"));
    let out = ci(&r, 1, &["--approvals", "reviews.json"]);
    assert!(
        out.stdout
            .contains("approvals: bob (reviews.json)\nchanges requested by: alice\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(
        "  ✗ needs 2 approvals from @shop/senior-eng, has 1 (bob) [policy.gate.critical]\n"
    ));
    // A flag adds to the file.
    ci(
        &r,
        0,
        &["--approvals", "reviews.json", "--approved-by", "carol"],
    );
    // A broken file is an error naming the place.
    r.write(
        "bad.json",
        "[\n  {\"user\": {\"login\": \"x\"}, \"state\": 7}\n]\n",
    );
    let out = ci(&r, 2, &["--approvals", "bad.json"]);
    assert!(
        out.stderr.starts_with("error: bad.json:2:"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("help: --approvals takes GitHub's pull-request reviews JSON")
    );
}

#[test]
fn an_approval_of_an_earlier_commit_is_stale_and_not_counted() {
    let r = shop_with_policy();
    change(&r, "services/payment/src/lib.rs", &["Refactor"]);
    let first = head(&r);
    let short = &first[..12];
    // The reviews file lives outside the repository, as a CI step would write it.
    let dir = crate::gitrepo::tempdir();
    let file = dir.path().join("reviews.json");
    let reviews = file.to_str().unwrap();
    // Alice's and Bob's approvals, of these commits.
    let approve = |alice: &str, bob: &str| {
        let list = format!(
            "[{},{}]",
            review_of(alice, 1, "alice", "APPROVED", "2026-03-01T10:00:00Z"),
            review_of(bob, 2, "bob", "APPROVED", "2026-03-01T11:00:00Z"),
        );
        std::fs::write(&file, list).unwrap();
    };
    approve(&first, &first);
    ci(&r, 0, &["--approvals", reviews]);
    // A new commit: the approvals are of the one before, and neither counts.
    change(&r, "services/payment/src/lib.rs", &["Retry"]);
    let out = ci(&r, 1, &["--approvals", reviews]);
    assert!(
        out.stdout.contains(&format!(
            "approvals: none\nstale approvals, not counted: alice (of {short}), bob (of {short})\n"
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "  ✗ needs 2 approvals from @shop/senior-eng, has 0 [policy.gate.critical]\n"
        )
    );
    let out = ci(&r, 1, &["--approvals", reviews, "--json", "-"]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v["approvals"]["stale"],
        serde_json::json!([
            {"login": "alice", "commit": first},
            {"login": "bob", "commit": first},
        ])
    );
    assert_eq!(v["approvals"]["approved"], serde_json::json!([]));
    // Named as the commit under review, they count.
    ci(
        &r,
        0,
        &["--approvals", reviews, "--reviewed-commit", &first],
    );
    // GitHub Actions on a pull request checks out a merge of its head into the base:
    // approvals of the pull request's head (the merge's second parent) count there, older
    // ones stay stale.
    approve(&head(&r), &first);
    r.git(&["checkout", "-q", "-b", "merge", "main"]);
    r.git(&[
        "merge",
        "-q",
        "--no-ff",
        "feat",
        "-m",
        "Merge feat into main",
    ]);
    let merge = head(&r);
    let mut cmd = r.blast();
    cmd.env("GITHUB_REF", "refs/pull/7/merge")
        .env("GITHUB_SHA", &merge);
    let out = crate::util::run(cmd, &["ci", "--base", "main", "--approvals", reviews]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "approvals: alice ({reviews})\nstale approvals, not counted: bob (of {short})\n"
        )),
        "{}",
        out.stdout
    );
    // Any other merge commit: its parents are not trusted (a merge pushed to the branch
    // could bring in anything).
    let out = ci(&r, 1, &["--approvals", reviews]);
    assert!(
        out.stdout
            .contains("approvals: none\nstale approvals, not counted: alice (of "),
        "{}",
        out.stdout
    );
    // No head commit: approvals count whatever commit they are of, with a warning.
    let out = r.expect(0, &["ci", "payment", "--approvals", reviews]);
    assert!(
        out.stdout
            .contains(&format!("approvals: alice ({reviews}), bob ({reviews})\n")),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("warning: the commit under review is unknown"),
        "{}",
        out.stderr
    );
    // Not a commit id: a usage error.
    let out = ci(&r, 2, &["--reviewed-commit", "main"]);
    assert!(
        out.stderr.contains(
            "--reviewed-commit takes a full commit id (40 hex digits, 64 in a SHA-256 repository), not 'main'"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn without_a_gate_policy_only_critical_fails_until_overridden() {
    let r = Repo::shop();
    r.branch("feat");
    r.write("services/search/src/lib.rs", "// faster\n");
    r.commit("search");
    let out = ci(&r, 0, &[]);
    assert!(out.stdout.starts_with("risk: high"), "{}", out.stdout);
    assert!(out.stdout.contains("verdict: pass — no gate for risk high (the built-in gate blocks only critical; blast.toml has no [policy.gate])\n"), "{}", out.stdout);
    r.write("services/payment/src/lib.rs", "// new\n");
    r.commit("payment");
    let out = ci(&r, 1, &[]);
    assert!(out.stdout.contains("  ✗ risk critical is blocked by the built-in gate: add the label blast-radius:override (passed with --label) to accept the risk\n"), "{}", out.stdout);
    let out = ci(&r, 0, &["--label", "bug,blast-radius:override"]);
    assert!(out.stdout.contains("  ✓ risk critical is blocked by the built-in gate, overridden by the label blast-radius:override\n"), "{}", out.stdout);
    // The same verdict in GitHub Actions, GitLab CI and locally.
    let out = run(
        {
            let mut c = r.blast();
            c.env("GITHUB_ACTIONS", "true")
                .env("GITLAB_CI", "true")
                .env("CI", "true");
            c
        },
        &["ci", "--base", "main"],
    );
    assert_eq!(out.code, 1);
}

#[test]
fn ai_detection_reads_trailers_authors_and_labels_only_in_the_range() {
    let r = shop_with_policy();
    // A trailer quoted mid-message is not a trailer; bots author commits.
    change(
        &r,
        "tools/admin/src/main.rs",
        &[
            "Docs",
            "We discussed adding\nCo-authored-by: Claude <noreply@anthropic.com>\nbut did not.\n\nmore text here",
        ],
    );
    let out = ci(&r, 0, &[]);
    assert!(!out.stdout.contains("ai-assisted:"), "{}", out.stdout);
    r.append("tools/admin/src/main.rs", "// bot");
    r.git(&["add", "-A"]);
    git_in(
        r.path(),
        &[
            "-c",
            "user.name=x",
            "commit",
            "-q",
            "--author",
            "copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>",
            "-m",
            "Bot change",
        ],
    );
    let out = ci(&r, 1, &[]);
    assert!(
        out.stdout.contains("ai-assisted: 1 of 2 commits\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("    Author: copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com> (assistant identity '*copilot*' (GitHub Copilot))\n"), "{}", out.stdout);
    // low → medium (escalated), which needs an approval, plus the senior for AI.
    assert!(
        out.stdout.contains("raised: low → medium"),
        "{}",
        out.stdout
    );
    // A label alone marks the change.
    let r2 = shop_with_policy();
    change(&r2, "tools/admin/src/main.rs", &["Plain"]);
    let out = ci(&r2, 1, &["--label", "AI-Assisted"]);
    assert!(
        out.stdout
            .contains("ai-assisted: 0 of 1 commit, and labelled\n  label: AI-Assisted\n"),
        "{}",
        out.stdout
    );
}

/// Validates a SARIF document against the official schema (formats checked).
fn assert_valid_sarif(doc: &Value) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );
}

fn read(dir: &Path, f: &str) -> String {
    std::fs::read_to_string(dir.join(f)).unwrap()
}

#[test]
fn every_output_from_one_run_is_well_formed_and_deterministic() {
    let r = shop_with_policy();
    change(
        &r,
        "services/payment/src/lib.rs",
        &["Pay", "Generated-by: a tool"],
    );
    r.write("scripts/deploy.sh", "echo\n");
    r.commit("script");
    // `--head HEAD`: the outputs written into the working tree are not part of the change
    // on the second run.
    let args = [
        "--head",
        "HEAD",
        "--approved-by",
        "alice",
        "--summary",
        "summary.md",
        "--sarif",
        "out.sarif",
        "--gitlab",
        "gl.json",
        "--json",
        "ci.json",
        "--annotations",
        "github",
    ];
    let first = ci(&r, 1, &args);
    let outputs = ["summary.md", "out.sarif", "gl.json", "ci.json"].map(|f| read(r.path(), f));
    let second = ci(&r, 1, &args);
    assert_eq!(first.stdout, second.stdout);
    for (f, before) in ["summary.md", "out.sarif", "gl.json", "ci.json"]
        .iter()
        .zip(&outputs)
    {
        assert_eq!(&read(r.path(), f), before, "{f} differs between runs");
    }

    // SARIF: valid against the schema, with rules from the codes and stable fingerprints.
    let sarif: Value = serde_json::from_str(&outputs[1]).unwrap();
    assert_valid_sarif(&sarif);
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "blast-radius");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "change-risk",
            "new-tier0-path",
            "ai-assisted",
            "sign-off-required",
            "gate-blocked",
            "unmapped-change"
        ]
    );
    for rule in rules {
        for k in [
            "name",
            "shortDescription",
            "fullDescription",
            "help",
            "defaultConfiguration",
        ] {
            assert!(rule.get(k).is_some(), "{k} in {rule}");
        }
        assert!(rule["help"]["markdown"].is_string());
    }
    let results = run0["results"].as_array().unwrap();
    let codes: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "sign-off-required",
            "change-risk",
            "ai-assisted",
            "unmapped-change"
        ]
    );
    for res in results {
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], res["ruleId"]);
        assert!(
            res["partialFingerprints"]["primaryLocationLineHash"]
                .as_str()
                .unwrap()
                .ends_with(":1")
        );
    }
    let loc = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "services/payment/src/lib.rs"
    );
    assert_eq!(loc["region"]["startLine"], 2, "the first changed line");
    assert_eq!(
        results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "services/payment/src/lib.rs"
    );
    assert_eq!(
        results[0]["message"]["text"],
        "risk critical needs 2 approvals from @shop/senior-eng, has 1 (alice) (required by policy.gate.critical)"
    );

    // GitLab Code Quality: the documented fields, unique fingerprints, no BOM.
    assert!(!outputs[2].starts_with('\u{feff}'));
    let gl: Value = serde_json::from_str(&outputs[2]).unwrap();
    let issues = gl.as_array().unwrap();
    assert_eq!(issues.len(), 4);
    let mut fps = std::collections::BTreeSet::new();
    for i in issues {
        assert!(i["description"].is_string());
        assert!(
            [
                "change-risk",
                "ai-assisted",
                "sign-off-required",
                "unmapped-change"
            ]
            .contains(&i["check_name"].as_str().unwrap())
        );
        assert!(fps.insert(i["fingerprint"].as_str().unwrap().to_string()));
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&i["severity"].as_str().unwrap())
        );
        let path = i["location"]["path"].as_str().unwrap();
        assert!(!path.starts_with("./") && !path.starts_with('/'));
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
    assert_eq!(issues[0]["severity"], "critical");
    assert_eq!(issues[3]["location"]["path"], "scripts/deploy.sh");

    // Annotations: one per finding, each on its file and line.
    let ann: Vec<&str> = first
        .stdout
        .lines()
        .filter(|l| l.starts_with("::"))
        .collect();
    assert_eq!(ann.len(), 4, "{}", first.stdout);
    assert!(ann[1].starts_with("::error file=services/payment/src/lib.rs,line=2,title=blast-radius change-risk::risk critical: services/payment/src/lib.rs changes payment, reaching 4 tiered or customer-facing nodes: payment (tier 0; critical, changed), checkout (tier 0, customer-facing; critical along payment → checkout)"), "{}", ann[1]);
    assert!(ann[0].starts_with("::error file=services/payment/src/lib.rs,line=2,title=blast-radius sign-off-required::risk critical needs 2 approvals"));
    assert!(ann[3].starts_with(
        "::notice file=scripts/deploy.sh,line=1,title=blast-radius unmapped-change::"
    ));

    // JSON and summary.
    let j: Value = serde_json::from_str(&outputs[3]).unwrap();
    assert_eq!(
        j["verdict"]["missing"][0],
        "needs 2 approvals from @shop/senior-eng, has 1 (alice) [policy.gate.critical]"
    );
    assert_eq!(
        j["ai_assisted"]["commits"][0]["matches"][0]["line"],
        "Generated-by: a tool"
    );
    assert_eq!(j["findings"].as_array().unwrap().len(), 4);
    let md = &outputs[0];
    assert!(
        md.starts_with(
            "<!-- blast-radius:summary -->\n## ❌ blast-radius: fail — risk **critical**\n"
        ),
        "{md}"
    );
    assert!(md.contains(
        "- ❌ needs 2 approvals from `@shop/senior-eng`, has 1 (`alice`) — `policy.gate.critical`\n"
    ));
    assert!(md.contains(
        "| critical | `checkout` | 0 | yes | `payment` → `checkout` | `@shop/checkout` |\n"
    ));
    assert!(md.contains("```mermaid\nflowchart TB\n"));
}

#[test]
fn summary_goes_to_the_step_summary_and_keeps_its_budget() {
    let r = shop_with_policy();
    change(&r, "services/payment/src/lib.rs", &["Pay"]);
    let out = ci(&r, 2, &["--summary"]);
    assert!(
        out.stderr
            .contains("--summary without a file writes to $GITHUB_STEP_SUMMARY, which is not set"),
        "{}",
        out.stderr
    );
    let step = r.path().join("step.md");
    std::fs::write(&step, "# earlier step output\n").unwrap();
    let mut c = r.blast();
    c.env("GITHUB_STEP_SUMMARY", &step);
    let out = run(c, &["ci", "--base", "main", "--summary"]);
    assert_eq!(out.code, 1);
    let text = std::fs::read_to_string(&step).unwrap();
    assert!(
        text.starts_with("# earlier step output\n<!-- blast-radius:summary -->\n"),
        "{text}"
    );
    // A small budget cuts sections and says so.
    let out = ci(&r, 1, &["--summary", "small.md", "--summary-limit", "2500"]);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let small = read(r.path(), "small.md");
    assert!(small.len() <= 2500, "{}", small.len());
    assert!(
        small.contains("> **Note:** this summary was cut to stay within 2500 bytes; left out:"),
        "{small}"
    );
    assert!(small.contains("needs 2 approvals from `@shop/senior-eng`"));
    // Any budget holds: whole lines of the verdict while they fit, and never more bytes.
    for limit in [0usize, 100, 300, 700, 1000] {
        let name = format!("s{limit}.md");
        ci(
            &r,
            1,
            &["--summary", &name, "--summary-limit", &limit.to_string()],
        );
        let text = read(r.path(), &name);
        assert!(text.len() <= limit, "{limit}: {} bytes\n{text}", text.len());
        let body = text.split("> **Note:**").next().unwrap();
        assert!(
            body.is_empty() || body.ends_with('\n'),
            "{limit}: cut mid-line\n{text}"
        );
        if limit >= 300 {
            assert!(text.contains("**Verdict: fail**"), "{limit}:\n{text}");
        }
    }
}

#[test]
fn audit_lines_append_whole_from_concurrent_runs() {
    let r = shop_with_policy();
    change(
        &r,
        "services/payment/src/lib.rs",
        &[
            "Pay",
            "Co-authored-by: Cursor Agent <cursoragent@cursor.com>",
        ],
    );
    let audit = r.path().join("audit.jsonl");
    let children: Vec<_> = (0..6)
        .map(|i| {
            let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("blast"));
            c.current_dir(r.path())
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CEILING_DIRECTORIES", std::env::temp_dir())
                .args([
                    "ci",
                    "--base",
                    "main",
                    "--audit",
                    "audit.jsonl",
                    "--approved-by",
                ])
                .arg(if i % 2 == 0 { "alice,bob" } else { "alice" })
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    let mut codes: Vec<i32> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap().status.code().unwrap())
        .collect();
    codes.sort();
    assert_eq!(codes, [0, 0, 0, 1, 1, 1]);
    let text = std::fs::read_to_string(&audit).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    let head = r.git(&["rev-parse", "HEAD"]).trim().to_string();
    let base = r.git(&["rev-parse", "main"]).trim().to_string();
    for l in &lines {
        assert_eq!(l["schema"], "blast-radius/audit/v1");
        assert_eq!(l["head"]["commit"], head.as_str());
        assert_eq!(
            l["base"],
            serde_json::json!({"ref": "main", "commit": base})
        );
        assert_eq!(l["risk"], "critical");
        assert_eq!(l["tool"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(
            l["ai_assisted"]["commits"][0]["matches"][0],
            "Co-authored-by: Cursor Agent <cursoragent@cursor.com>"
        );
        let t = l["time"].as_str().unwrap();
        assert!(
            t.len() == 20 && t.ends_with('Z') && t.as_bytes()[10] == b'T',
            "{t}"
        );
    }
    let passes = lines.iter().filter(|l| l["verdict"] == "pass").count();
    assert_eq!(passes, 3);
    // Appending never rewrites: earlier lines stay byte for byte.
    ci(
        &r,
        0,
        &["--audit", "audit.jsonl", "--approved-by", "alice,bob"],
    );
    let after = std::fs::read_to_string(&audit).unwrap();
    assert!(after.starts_with(&text));
    assert_eq!(after.lines().count(), 7);
}

#[test]
fn gate_config_errors_name_the_line() {
    let r = shop_with_policy();
    let toml = read(r.path(), "blast.toml").replace(
        "reviewers = [\"@shop/senior-eng\"]            # two seniors",
        "reviewers = [\"@shop/senor-eng\"]",
    );
    r.write("blast.toml", &toml);
    let out = ci(&r, 2, &[]);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    assert!(out.stderr.contains("blast.toml:"), "{}", out.stderr);
    assert!(out.stderr.contains("policy.gate.critical.reviewers: '@shop/senor-eng' is not defined in [teams] (did you mean '@shop/senior-eng'?)"), "{}", out.stderr);
    r.write(
        "blast.toml",
        "graphs = [\"graphs/shop.toml\"]\n[policy.gate.critcal]\nblock = true\n",
    );
    let out = ci(&r, 2, &[]);
    assert!(
        out.stderr.contains("unknown key `critcal`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("blast.toml:2:"), "{}", out.stderr);
    // A team's error points at its line under [teams], not at a gate naming it.
    r.write(
        "blast.toml",
        "graphs = [\"graphs/shop.toml\"]\n[policy.gate.low]\nreviewers = [\"x\", \"@t/a\"]\n\n# c\n[teams]\n\"@t/a\" = [\"@t/c\"]\n",
    );
    let out = ci(&r, 2, &[]);
    assert!(
        out.stderr.contains("blast.toml:7:1: teams.@t/a"),
        "{}",
        out.stderr
    );
}

/// Names that try to break every output: quotes, HTML, workflow commands, escapes that the
/// runner would decode, CR/LF, table pipes, backticks, Mermaid and SARIF syntax, unicode.
const HOSTILE_ID: &str =
    "pay\"<script>alert(1)</script>\r\n::error file=x::forged %0A| `tick` --> ]] 💥 \u{202e}rtl";

#[test]
fn hostile_names_leave_every_output_well_formed_and_inert() {
    let r = Repo::new();
    let graph = serde_json::json!({"nodes": [
        {"id": HOSTILE_ID, "kind": "service", "tier": 0, "customer_facing": true,
         "owners": ["@evil/team\n::warning::x", "`@mention`|"], "paths": ["svc/**"],
         "depends_on": []},
        {"id": "front ]] end --> x", "kind": "service", "tier": 1, "customer_facing": true,
         "depends_on": [HOSTILE_ID]},
    ]});
    r.write(
        "graphs/hostile.json",
        &serde_json::to_string_pretty(&graph).unwrap(),
    );
    r.write(
        "blast.toml",
        "graphs = [\"graphs/hostile.json\"]\n[policy.gate.critical]\nrequire_approvals = 1\nreviewers = [\"owners:tier0\"]\n",
    );
    r.write("svc/a.rs", "// a\n");
    r.commit("init");
    r.branch("feat");
    let evil_file = "svc/x,line=9:title=y\n::error::forged%0A |`]] ü.rs";
    r.write(evil_file, "// evil\n");
    r.write("other/-->|`%0A::notice::.txt", "x\n");
    r.git(&["add", "-A"]);
    r.git(&[
        "commit",
        "-q",
        "-m",
        "Subject | `x` <script>\r ::error::subject --> ]]",
        "-m",
        "Co-authored-by: Claude ::error::pwn %0A |`]]\" <noreply@anthropic.com>",
    ]);
    let out = ci(
        &r,
        1,
        &[
            "--annotations",
            "github",
            "--summary",
            "s.md",
            "--sarif",
            "o.sarif",
            "--gitlab",
            "g.json",
            "--json",
            "c.json",
            "--audit",
            "a.jsonl",
            "--approved-by",
            "x\n::error::y",
        ],
    );
    // Standard output: only our annotations start with `::`, and each has exactly the
    // properties written, naming a real changed file.
    let text_lines: Vec<&str> = out
        .stdout
        .lines()
        .take_while(|l| !l.starts_with("::"))
        .collect();
    for l in &text_lines {
        assert!(
            !l.trim_start().starts_with("::") && !l.trim_start().starts_with("##["),
            "{l}"
        );
        assert!(!l.contains('\r'));
    }
    let ann: Vec<&str> = out.stdout.lines().skip(text_lines.len()).collect();
    assert!(!ann.is_empty());
    for a in &ann {
        assert!(
            a.starts_with("::error ") || a.starts_with("::warning ") || a.starts_with("::notice "),
            "{a}"
        );
        let rest = &a[2..];
        let cmd = &rest[..rest.find("::").unwrap()];
        let props: Vec<(&str, String)> = cmd
            .split_once(' ')
            .unwrap()
            .1
            .split(',')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                let v = v
                    .replace("%0D", "\r")
                    .replace("%0A", "\n")
                    .replace("%3A", ":")
                    .replace("%2C", ",")
                    .replace("%25", "%");
                (k, v)
            })
            .collect();
        let keys: Vec<&str> = props.iter().map(|p| p.0).collect();
        assert_eq!(keys, ["file", "line", "title"], "{a}");
        assert!(
            [
                evil_file,
                "other/-->|`%0A::notice::.txt",
                "graphs/hostile.json"
            ]
            .contains(&props[0].1.as_str()),
            "{:?}",
            props[0].1
        );
    }
    let evil_ann = ann.iter().find(|a| a.contains("change-risk")).unwrap();
    assert!(evil_ann.starts_with("::error file=svc/x%2Cline=9%3Atitle=y%0A%3A%3Aerror%3A%3Aforged%250A |`]] ü.rs,line=1,title=blast-radius change-risk::"), "{evil_ann}");

    // JSON parses and keeps the names exactly.
    let j: Value = serde_json::from_str(&read(r.path(), "c.json")).unwrap();
    assert_eq!(j["impact"]["impacted"][0]["id"], HOSTILE_ID);
    assert_eq!(
        j["ai_assisted"]["commits"][0]["matches"][0]["line"],
        "Co-authored-by: Claude ::error::pwn %0A |`]]\" <noreply@anthropic.com>"
    );
    let audit: Value = serde_json::from_str(read(r.path(), "a.jsonl").trim_end()).unwrap();
    assert_eq!(audit["approvals"]["approved"][0]["login"], "x\n::error::y");

    // SARIF validates; URIs are percent-encoded references to the real files.
    let sarif: Value = serde_json::from_str(&read(r.path(), "o.sarif")).unwrap();
    assert_valid_sarif(&sarif);
    let uris: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(
        uris.contains(
            &"svc/x,line=9%3Atitle=y%0A%3A%3Aerror%3A%3Aforged%250A%20%7C%60%5D%5D%20%C3%BC.rs"
        ),
        "{uris:?}"
    );

    // GitLab parses.
    let gl: Value = serde_json::from_str(&read(r.path(), "g.json")).unwrap();
    assert!(
        gl.as_array()
            .unwrap()
            .iter()
            .any(|i| i["location"]["path"] == evil_file)
    );

    // Markdown: table rows keep their cells, names sit in code spans, no raw HTML escapes.
    let md = read(r.path(), "s.md");
    let mut in_fence = false;
    let mut header_cells = 0;
    for line in md.lines() {
        if line.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        assert!(!line.contains('\r'));
        if line.starts_with('|') {
            let cells = unescaped_pipes(line);
            if line.starts_with("|---") || header_cells == 0 {
                header_cells = cells;
            }
            assert_eq!(cells, header_cells, "row breaks its table: {line}");
        } else {
            header_cells = 0;
        }
        if line == "<!-- blast-radius:summary -->" {
            continue;
        }
        let outside_code = strip_code_spans(line);
        for bad in ["<script", "::error", "-->", "\u{202e}"] {
            assert!(
                !outside_code.contains(bad),
                "{bad} outside a code span: {line}"
            );
        }
    }
    assert!(!in_fence, "a fence is left open");
    // The Mermaid block holds the names only as escaped labels.
    let mermaid = md
        .split("```mermaid\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    assert!(!mermaid.contains('\r'));
    // Comments (`%%`, ignored by Mermaid) keep the title as text; nodes hold escaped labels.
    for l in mermaid.lines().filter(|l| !l.starts_with("%%")) {
        assert!(
            !l.contains("<script>") && !l.contains('"') || l.contains("[\""),
            "{l}"
        );
    }
    assert!(mermaid.lines().all(|l| !l.trim_start().starts_with("::")));
    assert!(
        mermaid.contains("pay#quot;#lt;script#gt;alert(1)#lt;/script#gt;"),
        "{mermaid}"
    );
}

/// `|` that are not escaped with a backslash.
fn unescaped_pipes(line: &str) -> usize {
    let b = line.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
        .count()
}

/// The line without its inline code spans.
fn strip_code_spans(line: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '`' {
            let n = chars[i..].iter().take_while(|&&c| c == '`').count();
            let fence: String = "`".repeat(n);
            let rest: String = chars[i + n..].iter().collect();
            if let Some(end) = find_fence(&rest, &fence) {
                i += n + rest[..end].chars().count() + n;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The byte index of a run of exactly `fence` backticks in `s`.
fn find_fence(s: &str, fence: &str) -> Option<usize> {
    let b = s.as_bytes();
    let n = fence.len();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'`' {
            let run = b[i..].iter().take_while(|&&c| c == b'`').count();
            if run == n {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

#[test]
fn a_change_cannot_loosen_the_gate_that_judges_it() {
    let r = shop_with_policy();
    r.append("services/payment/src/lib.rs", "// changed");
    // The same change drops the critical gate and makes its author a senior.
    let toml = std::fs::read_to_string(r.path().join("blast.toml")).unwrap();
    let cut = toml.find("[policy.gate.critical]").unwrap();
    let teams = toml.find("[teams]").unwrap();
    let loose = format!("{}{}", &toml[..cut], &toml[teams..]).replace(
        "\"@shop/senior-eng\" = [",
        "\"@shop/senior-eng\" = [\"mallory\", ",
    );
    assert_ne!(loose, toml);
    r.write("blast.toml", &loose);
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "tweak"]);
    let out = ci(&r, 1, &["--approved-by", "mallory"]);
    assert!(
        out.stdout.contains("verdict: fail — policy.gate.critical"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains(
            "warning: this change edits blast.toml; the policy and teams that judge it are read at the base"
        ),
        "{}",
        out.stderr
    );
    // Judged without a git range, the loaded (edited) policy applies: no critical gate.
    let out = r.expect(1, &["ci", "payment", "--approved-by", "mallory"]);
    assert!(
        out.stdout.contains("verdict: fail — policy.gate.high"),
        "{}",
        out.stdout
    );
}

/// A change that edits what judges its own risk (an `ignore` rule, a node's `paths`, the
/// `graphs` list, tiers, or `blast.toml` itself) is judged as the base sees it too: the
/// higher risk gates it, and the edits apply once it is merged.
#[test]
fn a_change_cannot_lower_its_own_risk_to_pass() {
    let shop = std::fs::read_to_string(root().join("graphs/shop.toml")).unwrap();
    let policy = std::fs::read_to_string(root().join("blast.toml")).unwrap();
    // A tier-3 graph to swap in, and the shop graph with payment and checkout demoted.
    let demoted = {
        let mut s = shop.clone();
        for id in ["payment", "checkout"] {
            let at = s.find(&format!("id = \"{id}\"")).unwrap();
            let end = at + s[at..].find("[[nodes]]").unwrap();
            let block = s[at..end]
                .replace("tier = 0", "tier = 3")
                .replace("customer_facing = true", "customer_facing = false");
            s.replace_range(at..end, &block);
        }
        assert_ne!(s, shop);
        s
    };
    type Edit = Box<dyn Fn(&Repo)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "an ignore rule",
            Box::new(|r: &Repo| {
                r.append(
                    "blast.toml",
                    "\n[[rule]]\npaths = [\"services/payment/**\"]\naction = \"ignore\"\noverride = true",
                )
            }),
        ),
        (
            "moved paths",
            Box::new(move |r: &Repo| {
                r.write(
                    "graphs/shop.toml",
                    &shop.replace("\"services/payment/**\"", "\"services/payment-old/**\""),
                )
            }),
        ),
        (
            "another graph",
            Box::new(move |r: &Repo| {
                r.write("graphs/other.toml", "[[nodes]]\nid = \"x\"\ntier = 3\n");
                r.write(
                    "blast.toml",
                    &policy.replace("graphs/shop.toml", "graphs/other.toml"),
                );
            }),
        ),
        (
            "demoted tiers",
            Box::new(move |r: &Repo| r.write("graphs/shop.toml", &demoted)),
        ),
    ];
    for (what, edit) in edits {
        let r = shop_with_policy();
        r.append("services/payment/src/lib.rs", "// changed");
        edit(&r);
        r.git(&["add", "-A"]);
        r.git(&["commit", "-qm", what]);
        let out = ci(
            &r,
            1,
            &["--head", "HEAD", "--approved-by", "alice", "--json", "-"],
        );
        let v: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(
            v["verdict"]["base_risk"], "critical",
            "{what}: {}",
            out.stdout
        );
        assert_eq!(v["verdict"]["gated_risk"], "critical", "{what}");
        assert_ne!(v["verdict"]["risk"], "critical", "{what}");
        assert_eq!(v["verdict"]["gate"]["tier"], "critical", "{what}");
        assert!(
            out.stderr
                .contains("warning: this change lowers its own risk from critical to"),
            "{what}: {}",
            out.stderr
        );
        let text = ci(&r, 1, &["--head", "HEAD", "--approved-by", "alice"]);
        assert!(
            text.stdout.contains("judged: critical as the base sees it"),
            "{what}: {}",
            text.stdout
        );
        // Without a git range nothing else judges it: its own graph and rules do.
        let alone = r
            .blast()
            .args(["ci", "services/payment/src/lib.rs", "--json", "-"])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&alone.stdout).unwrap();
        assert_eq!(v["verdict"]["base_risk"], Value::Null, "{what}");
        assert_ne!(v["verdict"]["gated_risk"], "critical", "{what}");
    }
    // Deleting blast.toml does not drop its policy either: the base's file judges.
    let r = shop_with_policy();
    r.append("services/payment/src/lib.rs", "// changed");
    r.git(&["rm", "-q", "blast.toml"]);
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "no policy"]);
    let out = ci(
        &r,
        1,
        &[
            "--head",
            "HEAD",
            "-g",
            "graphs/shop.toml",
            "--label",
            "blast-radius:override",
        ],
    );
    assert!(
        out.stdout.contains("verdict: fail — policy.gate.critical"),
        "{}",
        out.stdout
    );
    // A new service's files map to nothing at the base: with `unmapped = "all"` there, they
    // do not make the base view rate the change as touching everything.
    let r = Repo::shop();
    let policy = std::fs::read_to_string(root().join("blast.toml")).unwrap();
    r.write(
        "blast.toml",
        &policy.replace("graphs = [", "unmapped = \"all\"\ngraphs = ["),
    );
    r.commit("policy");
    r.branch("feat");
    r.append(
        "graphs/shop.toml",
        "\n[[nodes]]\nid = \"newsvc\"\ntier = 3\nowners = [\"@shop/payments\"]\npaths = [\"services/newsvc/**\"]\n",
    );
    r.write("services/newsvc/main.rs", "// new\n");
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "new service"]);
    let out = ci(&r, 0, &["--head", "HEAD", "--json", "-"]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["verdict"]["base_risk"], Value::Null, "{}", out.stdout);
    assert_eq!(v["verdict"]["gated_risk"], "low", "{}", out.stdout);
    // A change that edits nothing that judges it is judged once: no base risk.
    let r = shop_with_policy();
    change(&r, "services/payment/src/lib.rs", &["pay"]);
    let out = ci(&r, 1, &["--head", "HEAD", "--json", "-"]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["verdict"]["base_risk"], Value::Null);
    assert_eq!(v["verdict"]["gated_risk"], "critical");
}

/// The base's view is the base's own: its `blast.toml` where a search from the working
/// folder finds it at the base (a change that moves it into a subfolder is still judged by
/// it), its graph files however listed (`[[source]] kind = "graph"`), its rules (none of the
/// change's when the base has no `blast.toml`), and its `unmapped`.
#[test]
fn the_base_view_is_the_bases_own_configuration() {
    let policy = std::fs::read_to_string(root().join("blast.toml")).unwrap();
    let pay = |r: &Repo| r.append("services/payment/src/lib.rs", "// changed");
    // blast.toml moved into a subfolder with a gate that lets everything through.
    let r = shop_with_policy();
    r.git(&["mv", "blast.toml", "ci-config.toml"]);
    r.git(&["mv", "ci-config.toml", "tools/blast.toml"]);
    r.write(
        "tools/blast.toml",
        "graphs = [\"../graphs/shop.toml\"]\n[policy.gate]\n",
    );
    pay(&r);
    r.commit("moved");
    let out = crate::gitrepo::expect_in(
        &r.path().join("tools"),
        1,
        &["ci", "--base", "main", "--head", "HEAD"],
    );
    assert!(
        out.stdout.contains("verdict: fail — policy.gate.critical"),
        "{}",
        out.stdout
    );
    // The graph listed as a `[[source]]` table at the base.
    let r = Repo::shop();
    r.write(
        "blast.toml",
        &policy.replace(
            "graphs = [\"graphs/shop.toml\"]",
            "[[source]]\nkind = \"graph\"\npath = \"graphs/shop.toml\"",
        ),
    );
    r.commit("policy");
    r.branch("feat");
    let shop = std::fs::read_to_string(r.path().join("graphs/shop.toml")).unwrap();
    r.write(
        "graphs/shop.toml",
        &shop.replace("\"services/payment/**\"", "\"services/payment-old/**\""),
    );
    pay(&r);
    r.commit("moved paths");
    let out = ci(&r, 1, &["--head", "HEAD", "--json", "-"]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["verdict"]["base_risk"], "critical", "{}", out.stdout);
    // A base without blast.toml: the change's own `ignore` rule does not judge at the base.
    let r = Repo::shop();
    r.git(&["rm", "-q", "blast.toml"]);
    r.commit("no config");
    r.branch("feat");
    r.write(
        "blast.toml",
        "[[rule]]\npaths = [\"services/payment/**\"]\naction = \"ignore\"\noverride = true\n",
    );
    pay(&r);
    r.commit("adopt, ignoring payment");
    let out = ci(
        &r,
        1,
        &["--head", "HEAD", "-g", "graphs/shop.toml", "--json", "-"],
    );
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["verdict"]["base_risk"], "critical", "{}", out.stdout);
    // `unmapped = "all"` at the base still rates a file the base does not map.
    let r = Repo::shop();
    r.write(
        "blast.toml",
        &policy.replace("graphs = [", "unmapped = \"all\"\ngraphs = ["),
    );
    r.write("deploy/prod.sh", "# deploy\n");
    r.commit("policy");
    r.branch("feat");
    r.write(
        "blast.toml",
        &policy.replace("graphs = [", "unmapped = \"warn\"\ngraphs = ["),
    );
    r.append("deploy/prod.sh", "# changed");
    r.commit("quieter");
    let out = ci(&r, 1, &["--head", "HEAD", "--json", "-"]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["verdict"]["base_risk"], "critical", "{}", out.stdout);
}

/// A file's `change-risk` finding speaks of what that file alone reaches, whatever else
/// the change holds: a file whose reach another file shares, or that reaches a changed
/// node, keeps its own count and its most critical node.
#[test]
fn each_file_is_rated_by_its_own_reach() {
    let risks = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["ci"];
        all.extend_from_slice(args);
        all.extend(["--json", "-"]);
        let out = run(crate::util::blast(), &all);
        let v: Value = serde_json::from_str(&out.stdout).unwrap();
        let mut m: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "change-risk")
            .map(|f| {
                let msg = f["message"].as_str().unwrap();
                // The risk, the file and its count, without the nodes named after them.
                msg.split(": ").take(2).collect::<Vec<_>>().join(": ")
            })
            .collect();
        m.sort();
        m
    };
    let money = "risk critical: libs/money/m.rs changes money-lib, reaching 9 tiered or customer-facing nodes";
    let payment = "risk critical: services/payment/a.rs changes payment, reaching 4 tiered or customer-facing nodes";
    let core = "risk critical: services/payment/core/b.rs changes payment-core, reaching 4 tiered or customer-facing nodes";
    assert_eq!(risks(&["libs/money/m.rs"]), [money]);
    // Under `unmapped = "all"` every unmapped file changes every node, not only the first.
    let r = Repo::shop();
    r.write(
        "blast.toml",
        "unmapped = \"all\"\ngraphs = [\"graphs/shop.toml\"]\n",
    );
    r.write("deploy/a.sh", "a\n");
    r.write("deploy/b.sh", "b\n");
    r.commit("deploy");
    r.append("deploy/a.sh", "x");
    r.append("deploy/b.sh", "y");
    let out = ci(&r, 1, &["--json", "-"]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let widened: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "change-risk")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(widened.len(), 2, "{widened:?}");
    assert!(
        widened[1].starts_with("risk critical: deploy/b.sh changes every node, reaching 30 "),
        "{}",
        widened[1]
    );
    assert_eq!(
        risks(&["services/payment/a.rs", "libs/money/m.rs"]),
        [money, payment]
    );
    assert_eq!(
        risks(&["services/payment/core/b.rs", "services/payment/a.rs"]),
        [payment, core]
    );
}

#[test]
fn the_gate_findings_lead_the_annotations_and_repeated_inputs_count_once() {
    let r = shop_with_many_files();
    let out = ci(&r, 1, &["--annotations", "github"]);
    let errors: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 10, "{}", out.stdout);
    assert!(
        errors[0].contains("title=blast-radius sign-off-required"),
        "{}",
        out.stdout
    );
    // The same node named twice is one change and one finding.
    let out = r.expect(1, &["ci", "payment", "payment", "--annotations", "github"]);
    assert_eq!(
        out.stdout.matches("title=blast-radius change-risk").count(),
        1,
        "{}",
        out.stdout
    );
}

#[test]
fn the_ci_report_lists_ignored_files_and_topology_like_impact() {
    let r = shop_with_policy();
    r.append("README.md", "more");
    r.append("graphs/shop.toml", "# a comment only");
    change(&r, "tools/admin/src/main.rs", &["Admin"]);
    let out = ci(&r, 0, &[]);
    assert!(
        out.stdout.contains("\nignored: README.md (modified) — "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("\ntopology: graphs/shop.toml changed (")
            && out.stdout.contains("no node or edge changed"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_email_owner_is_named_as_one_that_only_approved_by_can_satisfy() {
    let r = Repo::new();
    r.write(".github/CODEOWNERS", "* a@b.com\n");
    r.write(
        "g.toml",
        "[[nodes]]\nid = \"x\"\ntier = 0\npaths = [\"x/**\"]\n",
    );
    r.write("x/a.rs", "// x\n");
    r.write(
        "blast.toml",
        "graphs = [\"g.toml\"]\n[policy.gate.low]\nreviewers = [\"owners:changed\"]\n",
    );
    r.commit("email owners");
    let out = r.expect(1, &["ci", "x"]);
    assert!(
        out.stderr.contains("requires an approval from a@b.com, an e-mail address; approvals name GitHub logins, so only `--approved-by a@b.com` can count for it"),
        "{}",
        out.stderr
    );
    r.expect(0, &["ci", "x", "--approved-by", "a@b.com"]);
}

#[test]
fn a_summary_budget_never_cuts_a_line_and_warns_when_nothing_fits() {
    let r = shop_with_policy();
    change(&r, "services/payment/src/lib.rs", &["Pay"]);
    ci(&r, 1, &["--head", "HEAD", "--summary", "full.md"]);
    let full = read(r.path(), "full.md");
    let verdict = "<!-- blast-radius:summary -->\n## ❌ blast-radius: fail — risk **critical**\n";
    assert!(full.starts_with(verdict), "{full}");
    assert_eq!(verdict.len(), 78);
    // Too small for the marker and the verdict line: an empty file and a warning.
    for limit in [0usize, 10, 60, 77] {
        std::fs::write(r.path().join("s.md"), "an old summary\n").unwrap();
        let out = ci(
            &r,
            1,
            &[
                "--head",
                "HEAD",
                "--summary",
                "s.md",
                "--summary-limit",
                &limit.to_string(),
            ],
        );
        assert_eq!(read(r.path(), "s.md"), "", "{limit}");
        assert_eq!(
            out.stderr,
            format!(
                "warning: --summary wrote nothing: its verdict line takes 78 bytes and the budget leaves {limit} (--summary-limit {limit})\n  help: raise --summary-limit\n"
            )
        );
    }
    // Exactly the marker and the verdict line.
    let out = ci(
        &r,
        1,
        &[
            "--head",
            "HEAD",
            "--summary",
            "s.md",
            "--summary-limit",
            "78",
        ],
    );
    assert_eq!(read(r.path(), "s.md"), verdict);
    assert_eq!(out.stderr, "");
    // Any budget: whole lines of the full summary (and the note), within the budget.
    for limit in [79usize, 100, 130, 200, 260, 400, 800, 1300, 2000] {
        ci(
            &r,
            1,
            &[
                "--head",
                "HEAD",
                "--summary",
                "s.md",
                "--summary-limit",
                &limit.to_string(),
            ],
        );
        let text = read(r.path(), "s.md");
        assert!(text.len() <= limit, "{limit}: {} bytes", text.len());
        assert!(text.starts_with(verdict), "{limit}:\n{text}");
        assert!(text.ends_with('\n'), "{limit}:\n{text}");
        for line in text.lines() {
            assert!(
                line.starts_with("> **Note:** this summary was cut")
                    || full.lines().any(|l| l == line),
                "{limit}: a line not in the full summary: {line:?}"
            );
        }
    }
    // The note says where the rest is: in `--json` only when this run writes it.
    for (json, tail) in [
        (false, "`--json FILE` writes everything.\n"),
        (true, "The JSON report (`--json`) has everything.\n"),
    ] {
        let mut args = vec![
            "--head",
            "HEAD",
            "--summary",
            "s.md",
            "--summary-limit",
            "2000",
        ];
        if json {
            args.extend(["--json", "o.json"]);
        }
        ci(&r, 1, &args);
        let text = read(r.path(), "s.md");
        assert!(
            text.contains(
                "\n> **Note:** this summary was cut to stay within 2000 bytes; left out: "
            ) && text.ends_with(tail),
            "{text}"
        );
    }
    // The step summary's earlier content counts against the budget.
    let step = r.path().join("step.md");
    std::fs::write(&step, "x".repeat(999_950)).unwrap();
    let mut c = r.blast();
    c.env("GITHUB_STEP_SUMMARY", &step);
    let out = run(c, &["ci", "--base", "main", "--head", "HEAD", "--summary"]);
    assert_eq!(out.code, 1);
    assert_eq!(std::fs::metadata(&step).unwrap().len(), 999_950);
    assert_eq!(
        out.stderr,
        "warning: --summary wrote nothing: its verdict line takes 78 bytes and the budget leaves 50 (the default budget of 1000000 bytes, less the 999950 bytes the step summary already holds)\n  help: raise --summary-limit\n"
    );
}

#[test]
fn annotations_show_control_and_bidi_characters_as_escapes() {
    let r = Repo::new();
    let id = "pay\u{1b}[31m\u{0}\u{7}\u{85}\u{2028}\u{202e}ment";
    let graph = serde_json::json!({"nodes": [
        {"id": id, "kind": "service", "tier": 0, "customer_facing": true, "paths": ["svc/**"]},
    ]});
    r.write("g.json", &serde_json::to_string(&graph).unwrap());
    r.write("blast.toml", "graphs = [\"g.json\"]\n");
    r.write("svc/a.rs", "// a\n");
    r.commit("init");
    r.branch("feat");
    change(&r, "svc/a.rs", &["Change"]);
    let out = ci(&r, 1, &["--annotations", "github"]);
    let ann: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("::")).collect();
    let shown = r"pay\u{1b}[31m\u{0}\u{7}\u{85}\u{2028}\u{202e}ment";
    assert_eq!(
        ann[..2],
        [
            "::error file=svc/a.rs,line=2,title=blast-radius gate-blocked::risk critical is blocked by the built-in gate: add the label blast-radius:override (passed with --label) to accept the risk%0Asplit or de-risk the change, or accept the risk with an override label (`[policy.gate] override_labels`, passed with --label)",
            r"::error file=svc/a.rs,line=2,title=blast-radius change-risk::risk critical: svc/a.rs changes pay\u{1b}[31m\u{0}\u{7}\u{85}\u{2028}\u{202e}ment, reaching 1 tiered or customer-facing node: pay\u{1b}[31m\u{0}\u{7}\u{85}\u{2028}\u{202e}ment (tier 0, customer-facing; critical, changed)%0Areview what the change can break along the paths shown, and get the sign-off its risk tier needs",
        ]
    );
    for a in &ann {
        assert!(
            !a.chars().any(|c| c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}')
                || blast_radius::report::is_bidi_control(c)),
            "{a:?}"
        );
    }
    assert!(ann[1].contains(shown), "{}", ann[1]);
}

#[test]
fn roll_ups_name_only_the_outputs_that_hold_every_finding_they_stand_for() {
    let r = shop_with_many_files();
    let roll_up = |out: &Output| -> String {
        let l = out
            .stdout
            .lines()
            .find(|l| l.starts_with("::error title=blast-radius::"))
            .unwrap_or_else(|| panic!("{}", out.stdout));
        l.rsplit(". ").next().unwrap().to_string()
    };
    let out = ci(&r, 1, &["--annotations", "github"]);
    assert_eq!(roll_up(&out), "--json FILE lists them all.");
    let out = ci(
        &r,
        1,
        &[
            "--annotations",
            "github",
            "--sarif",
            "o.sarif",
            "--json",
            "o.json",
        ],
    );
    assert_eq!(roll_up(&out), "--sarif and --json list them all.");
    // A summary whose findings table was cut does not hold them all.
    ci(&r, 1, &["--head", "HEAD", "--summary", "s.md"]);
    let full = read(r.path(), "s.md").len().to_string();
    let out = ci(
        &r,
        1,
        &[
            "--head",
            "HEAD",
            "--annotations",
            "github",
            "--summary",
            "s.md",
            "--summary-limit",
            &full,
            "--gitlab",
            "g.json",
        ],
    );
    assert!(
        read(r.path(), "s.md").contains(" rows of findings."),
        "{}",
        read(r.path(), "s.md")
    );
    assert_eq!(roll_up(&out), "--gitlab lists them all.");
    let out = ci(
        &r,
        1,
        &[
            "--annotations",
            "github",
            "--summary",
            "s.md",
            "--sarif",
            "o.sarif",
        ],
    );
    assert_eq!(roll_up(&out), "--summary and --sarif list them all.");

    // The text report's cut lists say where the rest are only when it is written.
    let out = ci(&r, 1, &["--limit", "1"]);
    assert!(
        out.stdout
            .contains("\n  … and 3 more (--json FILE lists them all)\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("\n… and 11 more changed inputs (--json FILE lists them all)\n"),
        "{}",
        out.stdout
    );
    let out = ci(&r, 1, &["--limit", "1", "--json", "o.json"]);
    assert!(
        out.stdout
            .contains("\n  … and 3 more (all are in --json)\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn files_from_refuses_paths_outside_the_repository() {
    let r = shop_with_policy();
    let inside = r.path().join("services/payment/src/lib.rs");
    r.write(
        "list.txt",
        &format!(
            "{}\nservices/cart/../payment/src/lib.rs\n",
            inside.display()
        ),
    );
    let out = r.expect(1, &["ci", "--files-from", "list.txt", "--json", "-"]);
    let j: Value = serde_json::from_str(&out.stdout).unwrap();
    let changed: Vec<&str> = j["impact"]["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["input"].as_str().unwrap())
        .collect();
    // The same file twice (an absolute path, and one through `..`): one change.
    assert_eq!(changed, ["services/payment/src/lib.rs"]);
    for (list, line, bad) in [
        ("a.txt", 2, "/etc/passwd"),
        ("b.txt", 3, "../outside.rs"),
        ("c.txt", 1, "services/../../outside.rs"),
    ] {
        let mut text = vec!["services/payment/src/lib.rs"; line - 1];
        text.push(bad);
        r.write(list, &(text.join("\n") + "\n"));
        let out = r.expect(
            2,
            &[
                "ci",
                "--files-from",
                list,
                "--sarif",
                "o.sarif",
                "--gitlab",
                "g.json",
            ],
        );
        assert_eq!(
            out.stderr,
            format!(
                "error: {list}:{line}: '{bad}' is outside the repository ({})\n  help: list paths relative to the repository root, or absolute paths inside it\n",
                r.path().display()
            ),
        );
    }
    // From standard input the list is named `<stdin>`.
    let mut c = r.blast();
    c.write_stdin("x.rs\0/etc/passwd\0");
    let out = run(c, &["ci", "--files-from", "-"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("error: <stdin>:2: '/etc/passwd' is outside the repository ("),
        "{}",
        out.stderr
    );
}

#[test]
fn a_run_that_fails_writes_no_output_file() {
    let r = shop_with_policy();
    change(&r, "services/payment/src/lib.rs", &["Pay"]);
    std::fs::create_dir(r.path().join("adir")).unwrap();
    let cases: [(&[&str], String); 3] = [
        (
            &["--gitlab", "/nonexistent/x.json"],
            "error: /nonexistent/x.json: no such folder\n  help: create the folder /nonexistent first, or name a file in a folder that exists\n".to_string(),
        ),
        (
            &["--gitlab", "adir"],
            format!(
                "error: {}: is a directory\n  help: name a file, not a directory\n",
                r.path().join("adir").display()
            ),
        ),
        (
            &["--audit", "adir"],
            format!(
                "error: {}: is a directory\n  help: name a file, not a directory\n",
                r.path().join("adir").display()
            ),
        ),
    ];
    for (bad, err) in cases {
        let mut args = vec![
            "--sarif",
            "o.sarif",
            "--summary",
            "s.md",
            "--json",
            "o.json",
        ];
        args.extend_from_slice(bad);
        let out = ci(&r, 2, &args);
        assert_eq!(out.stderr, err);
        for f in ["o.sarif", "s.md", "o.json"] {
            assert!(!r.path().join(f).exists(), "{f} written by a failed run");
        }
        let left: Vec<_> = std::fs::read_dir(r.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with(".blast-"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
    // A good run replaces the files whole.
    ci(&r, 1, &["--sarif", "o.sarif", "--json", "o.json"]);
    let _: Value = serde_json::from_str(&read(r.path(), "o.sarif")).unwrap();
    let _: Value = serde_json::from_str(&read(r.path(), "o.json")).unwrap();
}

#[test]
fn locations_are_relative_to_the_repository_root_without_a_git_range() {
    let r = Repo::shop();
    std::fs::create_dir_all(r.path().join("sub/g")).unwrap();
    std::fs::copy(
        r.path().join("graphs/shop.toml"),
        r.path().join("sub/g/shop.toml"),
    )
    .unwrap();
    let sub = r.path().join("sub");
    let location = |config: &str| {
        std::fs::write(sub.join("blast.toml"), config).unwrap();
        let out = crate::gitrepo::expect_in(&sub, 1, &["ci", "payment", "--json", "-"]);
        let j: Value = serde_json::from_str(&out.stdout).unwrap();
        let f = &j["findings"][0]["location"];
        format!("{}:{}", f["file"].as_str().unwrap(), f["line"])
    };
    assert_eq!(
        location("graphs = [\"g/shop.toml\"]\n"),
        "sub/g/shop.toml:92"
    );
    assert_eq!(
        location("graphs = [\"../graphs/shop.toml\"]\n"),
        "graphs/shop.toml:92"
    );
}

#[test]
fn requirements_no_approvals_can_meet_are_warned_about() {
    let r = Repo::new();
    r.write(
        "g.toml",
        "[[nodes]]\nid = \"x\"\ntier = 3\npaths = [\"x/**\"]\n",
    );
    r.write("x/a.rs", "// x\n");
    r.commit("x");
    let warn = |config: &str| {
        r.write("blast.toml", &format!("graphs = [\"g.toml\"]\n{config}"));
        r.expect(1, &["ci", "x"]).stderr
    };
    assert_eq!(
        warn("[policy.gate.low]\nrequire_approvals = 5\nreviewers = [\"alice\"]\n"),
        "warning: policy.gate.low: needs 5 approvals from alice, but only 1 person can approve, so no approvals can ever meet it; add reviewers or team members, or lower require_approvals\n"
    );
    assert_eq!(
        warn("[policy.gate.low]\nreviewers = [\"@shop/x\"]\n[teams]\n\"@shop/x\" = []\n"),
        "warning: policy.gate.low: needs 1 approval from @shop/x, but no one can approve (its teams have no members in [teams]), so no approvals can ever meet it; add reviewers or team members, or lower require_approvals\n"
    );
    assert_eq!(
        warn(
            "[policy.gate.low]\nrequire_approvals = 2\nreviewers = [\"alice\", \"@shop/x\"]\n[teams]\n\"@shop/x\" = [\"bob\"]\n"
        ),
        ""
    );
}

#[test]
fn a_graph_file_is_a_graph_source_when_the_base_graph_does_not_load() {
    let r = Repo::shop();
    r.append(
        "graphs/shop.toml",
        "[[edges]]\nfrom = \"payment\"\nto = \"nowhere\"\n",
    );
    r.commit("dangling edge");
    r.branch("feat");
    let text = std::fs::read_to_string(r.path().join("graphs/shop.toml")).unwrap();
    r.write(
        "graphs/shop.toml",
        &text.replace("[[edges]]\nfrom = \"payment\"\nto = \"nowhere\"\n", ""),
    );
    r.commit("fix it");
    let out = r.expect(0, &["ci", "--base", "main", "--head", "HEAD"]);
    assert!(
        out.stderr.contains("warning: the graph at "),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("maps to no node"), "{}", out.stdout);
    let base = r.git(&["rev-parse", "main"]);
    assert!(
        out.stdout.contains(&format!(
            "\nchanged: graphs/shop.toml (modified) (graph source: the graph at {} does not load, so what this change does to the graph is unknown)\n",
            &base[..12]
        )),
        "{}",
        out.stdout
    );
    let out = r.expect(
        0,
        &["ci", "--base", "main", "--head", "HEAD", "--json", "-"],
    );
    let j: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(j["impact"]["unmapped"], serde_json::json!([]));
    assert_eq!(j["impact"]["changed"][0]["input"], "graphs/shop.toml");
    assert_eq!(j["impact"]["changed"][0]["via"], "topology");
}

/// Files are matched to a node named after their Cargo package; a change that renames the
/// package (or moves or deletes its manifest) would move its own files off that node. It is
/// judged with the base's manifests too: the higher risk gates it.
#[test]
fn renaming_a_cargo_package_does_not_move_its_files_off_its_node() {
    let setup = || {
        let r = Repo::new();
        r.write(
            "graph.toml",
            "[[nodes]]\nid = \"web\"\ntier = 0\ncustomer_facing = true\ndepends_on = [\"payment\"]\n\n[[nodes]]\nid = \"payment\"\ntier = 0\n",
        );
        r.write("blast.toml", "graphs = [\"graph.toml\"]\n");
        r.write(
            "crates/payment/Cargo.toml",
            "[package]\nname = \"payment\"\nversion = \"0.1.0\"\n",
        );
        r.write("crates/payment/src/lib.rs", "fn a() {}\n");
        r.commit("init");
        r.branch("feat");
        r.append("crates/payment/src/lib.rs", "fn b() {}");
        r
    };
    let judged = |r: &Repo, code: i32| -> Value {
        r.git(&["add", "-A"]);
        r.git(&["commit", "-qm", "change"]);
        let out = ci(r, code, &["--head", "HEAD", "--json", "-"]);
        serde_json::from_str(&out.stdout).unwrap()
    };
    // A plain change: payment's own view is critical, nothing else to judge.
    let r = setup();
    let v = judged(&r, 1);
    assert_eq!(v["verdict"]["risk"], "critical");
    assert_eq!(v["verdict"]["base_risk"], Value::Null);
    // Renamed: its files match no node in the change's own view; the base's manifest
    // still names them payment's.
    let r = setup();
    r.write(
        "crates/payment/Cargo.toml",
        "[package]\nname = \"payment-v2\"\nversion = \"0.1.0\"\n",
    );
    let v = judged(&r, 1);
    assert_eq!(v["verdict"]["risk"], "none");
    assert_eq!(v["verdict"]["base_risk"], "critical");
    assert_eq!(v["verdict"]["gated_risk"], "critical");
    // A new package manifest below payment's takes its files over: judged at the base too.
    let r = setup();
    r.write(
        "crates/payment/src/Cargo.toml",
        "[package]\nname = \"zzz\"\nversion = \"0.1.0\"\n\n[lib]\npath = \"lib.rs\"\n",
    );
    let v = judged(&r, 1);
    assert_eq!(v["verdict"]["risk"], "none");
    assert_eq!(v["verdict"]["base_risk"], "critical");
    // A manifest below payment's that gains a `[package]` takes the files below it over.
    let r = setup();
    r.write("crates/payment/plugin/Cargo.toml", "[workspace]\n");
    r.write("crates/payment/plugin/src/lib.rs", "fn p() {}\n");
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "a plugin folder"]);
    r.git(&["checkout", "-q", "main"]);
    r.git(&["merge", "-q", "feat"]);
    r.git(&["checkout", "-q", "-b", "plugin"]);
    r.write(
        "crates/payment/plugin/Cargo.toml",
        "[package]\nname = \"plugin\"\nversion = \"0.1.0\"\n",
    );
    r.append("crates/payment/plugin/src/lib.rs", "fn q() {}");
    let v = judged(&r, 1);
    assert_eq!(v["verdict"]["risk"], "none");
    assert_eq!(v["verdict"]["base_risk"], "critical");
    // Moved and renamed: the old paths are payment's files in the change's own view already.
    let r = setup();
    r.git(&["mv", "crates/payment", "crates/pay"]);
    r.write(
        "crates/pay/Cargo.toml",
        "[package]\nname = \"pay\"\nversion = \"0.1.0\"\n",
    );
    let v = judged(&r, 1);
    assert_eq!(v["verdict"]["risk"], "critical");
    assert_eq!(v["verdict"]["base_risk"], Value::Null);
    // Moved under its own name it stays payment's: nothing lowered.
    let r = setup();
    r.git(&["mv", "crates/payment", "crates/pay"]);
    let v = judged(&r, 1);
    assert_eq!(v["verdict"]["risk"], "critical");
    assert_eq!(v["verdict"]["base_risk"], Value::Null);
}
