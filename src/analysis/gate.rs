//! The policy gate of `blast ci`: what a change of a given risk needs before it ships
//! (approvals from whom, or never without an override), whether AI-assisted changes need
//! more, and the verdict: does the change have it?
//!
//! # Policy (`blast.toml`)
//!
//! ```toml
//! [teams]                                  # who is in a team (people or other teams)
//! "@shop/senior-eng" = ["alice", "bob", "carol"]
//!
//! [policy.gate.critical]                   # for risk critical
//! require_approvals = 2                    # this many distinct approvals …
//! reviewers = ["@shop/senior-eng"]         # … from these people and teams (anyone if empty)
//! labels = ["risk:critical"]               # labels to suggest
//! block = false                            # true: never passes without an override label
//!
//! [policy.ai_assisted]
//! escalate = 1                             # raise the risk of AI-assisted changes one tier
//! require_approvals = 1
//! reviewers = ["@shop/senior-eng"]
//! ```
//!
//! A tier's gate applies to changes of that risk **and above**, up to the next configured
//! tier: with only `[policy.gate.high]`, a critical change needs what a high one does.
//!
//! In `reviewers`, a person is a login (`alice` or `@alice`), a team is `@org/name` and must
//! be defined in `[teams]`. The keywords `owners:tier0`, `owners:customer-facing` and
//! `owners:changed` require, on top of the count, **one approval from each owner** of the
//! reached tier-0 nodes, the reached customer-facing nodes, or the changed nodes (the
//! graph's `owners`, or CODEOWNERS'); an owner that is a team needs its members in
//! `[teams]`.
//!
//! Without a `[policy.gate]` table, the built-in gate applies ([`GatePolicy::builtin`]): a
//! critical change is blocked until an override label accepts it; everything else passes.
//! An empty `[policy.gate]` gates nothing.
//!
//! # Verdict
//!
//! [`evaluate`] takes the impact's risk, raises it by `[policy.ai_assisted] escalate` when
//! the change is AI-assisted, picks the gate for that risk, adds the AI-assisted
//! requirements, and checks each requirement against the approvals. The [`Verdict`] says
//! `pass` or `fail` and names what is missing: "needs 2 approvals from @shop/senior-eng, has
//! 1 (alice)".

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::impact::Impact;
use super::policy::Risk;
use crate::changes::approvals::{Approvals, person_key};
use crate::changes::commits::{AiAssisted, DetectSpec};

/// What a change of one risk tier needs (`[policy.gate.<risk>]`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct GateRule {
    /// Distinct approvals needed from `reviewers` (from anyone when it names no person or
    /// team). Default: 1 when `reviewers` names a person or team, else 0.
    pub require_approvals: Option<u32>,
    /// People, teams and `owners:…` keywords.
    pub reviewers: Vec<String>,
    /// Never passes without an override label.
    pub block: bool,
    /// Labels to suggest for the pull request.
    pub labels: Vec<String>,
}

/// `[policy.gate]`: one [`GateRule`] per risk tier, and the override labels.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatePolicy {
    /// Risk none.
    pub none: Option<GateRule>,
    /// Risk low.
    pub low: Option<GateRule>,
    /// Risk medium.
    pub medium: Option<GateRule>,
    /// Risk high.
    pub high: Option<GateRule>,
    /// Risk critical.
    pub critical: Option<GateRule>,
    /// Labels (from `--label`) that lift a `block`; approvals are still required.
    pub override_labels: Vec<String>,
}

impl Default for GatePolicy {
    fn default() -> Self {
        GatePolicy {
            none: None,
            low: None,
            medium: None,
            high: None,
            critical: None,
            override_labels: vec![DEFAULT_OVERRIDE_LABEL.to_string()],
        }
    }
}

/// The override label unless `override_labels` says otherwise.
pub const DEFAULT_OVERRIDE_LABEL: &str = "blast-radius:override";

impl GatePolicy {
    /// The gate used when `blast.toml` has no `[policy.gate]`: critical changes are blocked
    /// (until an override label accepts them), nothing else is gated.
    pub fn builtin() -> GatePolicy {
        GatePolicy {
            critical: Some(GateRule {
                block: true,
                ..GateRule::default()
            }),
            ..GatePolicy::default()
        }
    }

    fn rule(&self, risk: Risk) -> Option<&GateRule> {
        match risk {
            Risk::None => self.none.as_ref(),
            Risk::Low => self.low.as_ref(),
            Risk::Medium => self.medium.as_ref(),
            Risk::High => self.high.as_ref(),
            Risk::Critical => self.critical.as_ref(),
        }
    }

    /// The configured tier whose rule applies to `risk`: the highest at or below it.
    pub fn applicable(&self, risk: Risk) -> Option<(Risk, &GateRule)> {
        Risk::ALL
            .iter()
            .rev()
            .filter(|&&r| r <= risk)
            .find_map(|&r| self.rule(r).map(|g| (r, g)))
    }

    fn rules(&self) -> impl Iterator<Item = (Risk, &GateRule)> {
        Risk::ALL
            .iter()
            .filter_map(move |&r| self.rule(r).map(|g| (r, g)))
    }
}

/// `[policy.ai_assisted]`: what AI-assisted changes need on top of their tier's gate, and
/// how they are detected.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AiAssistedPolicy {
    /// Raise the risk by this many tiers (saturating at critical).
    pub escalate: u8,
    /// Approvals needed from `reviewers`, as in a gate rule.
    pub require_approvals: Option<u32>,
    /// People, teams and `owners:…` keywords.
    pub reviewers: Vec<String>,
    /// Never passes without an override label.
    pub block: bool,
    /// Labels to suggest.
    pub labels: Vec<String>,
    /// What marks a change as AI-assisted.
    pub detect: DetectSpec,
}

impl AiAssistedPolicy {
    fn rule(&self) -> GateRule {
        GateRule {
            require_approvals: self.require_approvals,
            reviewers: self.reviewers.clone(),
            block: self.block,
            labels: self.labels.clone(),
        }
    }
}

/// Whose owners an `owners:…` keyword names.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OwnersOf {
    /// `owners:tier0`: of the reached tier-0 nodes.
    Tier0,
    /// `owners:customer-facing`: of the reached customer-facing nodes.
    CustomerFacing,
    /// `owners:changed`: of the changed nodes.
    Changed,
}

impl OwnersOf {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            OwnersOf::Tier0 => "owners:tier0",
            OwnersOf::CustomerFacing => "owners:customer-facing",
            OwnersOf::Changed => "owners:changed",
        }
    }
}

/// One entry of `reviewers`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reviewer {
    /// A person, by login as written (without `@`).
    Person(String),
    /// A team, `@org/name`.
    Team(String),
    /// An `owners:…` keyword.
    Owners(OwnersOf),
}

impl Reviewer {
    /// Parses an entry of `reviewers`.
    ///
    /// # Errors
    /// An unknown `owners:` keyword, or an empty entry.
    pub fn parse(s: &str) -> Result<Reviewer, String> {
        let t = s.trim();
        if let Some(rest) = t.strip_prefix("owners:") {
            return match rest {
                "tier0" => Ok(Reviewer::Owners(OwnersOf::Tier0)),
                "customer-facing" => Ok(Reviewer::Owners(OwnersOf::CustomerFacing)),
                "changed" => Ok(Reviewer::Owners(OwnersOf::Changed)),
                _ => Err(format!(
                    "unknown keyword '{t}': use owners:tier0, owners:customer-facing or owners:changed"
                )),
            };
        }
        if t.is_empty() || t == "@" {
            return Err(
                "an empty reviewer: name a person (alice), a team (@org/team) or owners:tier0"
                    .into(),
            );
        }
        if t.starts_with('@') && t.contains('/') {
            Ok(Reviewer::Team(t.to_string()))
        } else {
            Ok(Reviewer::Person(t.trim_start_matches('@').to_string()))
        }
    }
}

/// `[teams]`: team name → members (logins or other teams).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Teams(pub BTreeMap<String, Vec<String>>);

impl Teams {
    /// Checks that nested teams exist and do not contain themselves. Returns the offending
    /// team and why.
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (team, members) in &self.0 {
            if !(team.starts_with('@') && team.contains('/')) {
                return Err((
                    team.clone(),
                    format!("'{team}' is not a team name: teams are written @org/name"),
                ));
            }
            for m in members {
                if m.trim().trim_start_matches('@').is_empty() {
                    return Err((team.clone(), format!("{team} has an empty member")));
                }
                if let Ok(Reviewer::Team(t)) = Reviewer::parse(m)
                    && !self.0.contains_key(&t)
                {
                    return Err((
                        team.clone(),
                        format!("{team} names the team '{t}', which [teams] does not define"),
                    ));
                }
            }
            let mut path = vec![team.clone()];
            self.cycle(team, &mut path)
                .map_err(|cycle| (team.clone(), format!("teams contain each other: {cycle}")))?;
        }
        Ok(())
    }

    fn cycle(&self, team: &str, path: &mut Vec<String>) -> Result<(), String> {
        for m in self.0.get(team).into_iter().flatten() {
            if let Ok(Reviewer::Team(t)) = Reviewer::parse(m) {
                if path.contains(&t) {
                    path.push(t);
                    return Err(path.join(" → "));
                }
                path.push(t.clone());
                self.cycle(&t, path)?;
                path.pop();
            }
        }
        Ok(())
    }

    /// Whether `team` is defined.
    pub fn contains(&self, team: &str) -> bool {
        self.0.contains_key(team)
    }

    /// The people of a team (nested teams expanded), by [`person_key`]; `None` for an
    /// unknown team.
    pub fn members(&self, team: &str) -> Option<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        let mut seen = BTreeSet::new();
        self.collect(team, &mut out, &mut seen).then_some(out)
    }

    fn collect(&self, team: &str, out: &mut BTreeSet<String>, seen: &mut BTreeSet<String>) -> bool {
        let Some(members) = self.0.get(team) else {
            return false;
        };
        if !seen.insert(team.to_string()) {
            return true;
        }
        for m in members {
            match Reviewer::parse(m) {
                Ok(Reviewer::Team(t)) => {
                    self.collect(&t, out, seen);
                }
                _ => {
                    out.insert(person_key(m));
                }
            }
        }
        true
    }
}

/// Checks every gate rule's reviewers against `teams`. Returns the offending key and why.
pub fn validate(
    gate: Option<&GatePolicy>,
    ai: &AiAssistedPolicy,
    teams: &Teams,
) -> Result<(), (String, String)> {
    let mut rules: Vec<(String, &GateRule)> = gate
        .into_iter()
        .flat_map(|g| g.rules())
        .map(|(r, g)| (format!("policy.gate.{r}.reviewers"), g))
        .collect();
    let ai_rule = ai.rule();
    rules.push(("policy.ai_assisted.reviewers".to_string(), &ai_rule));
    for (key, rule) in rules {
        for r in &rule.reviewers {
            match Reviewer::parse(r) {
                Err(why) => return Err((key, why)),
                Ok(Reviewer::Team(t)) if !teams.contains(&t) => {
                    let known: Vec<&str> = teams.0.keys().map(String::as_str).collect();
                    let close = known
                        .iter()
                        .filter(|k| strsim::jaro_winkler(k, &t) > 0.85)
                        .map(|k| format!(" (did you mean '{k}'?)"))
                        .next()
                        .unwrap_or_default();
                    return Err((
                        key,
                        format!(
                            "'{t}' is not defined in [teams]{close}: add `\"{t}\" = [\"login\", …]` under [teams] so approvals can count for it"
                        ),
                    ));
                }
                Ok(_) => {}
            }
        }
    }
    ai.detect.validate()
}

/// Whether the gate passed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Everything required is there (exit 0).
    Pass,
    /// Something is missing or the change is blocked (exit 1).
    Fail,
}

impl Status {
    /// `pass` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the gate came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum GateSource {
    /// `[policy.gate]` in `blast.toml`.
    Configured,
    /// [`GatePolicy::builtin`].
    Builtin,
}

/// One approval requirement and how far the change meets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// The policy key it comes from: `policy.gate.critical`, `policy.ai_assisted`.
    pub source: String,
    /// Distinct approvals needed.
    pub needs: u32,
    /// Who may approve, as written (`@shop/senior-eng`, `alice`); empty means anyone.
    pub from: Vec<String>,
    /// What the requirement is for, when it is one owner's: `owner of checkout, payment`.
    pub note: Option<String>,
    /// The people who may approve, by key (`None`: anyone).
    pub eligible: Option<BTreeSet<String>>,
    /// The approvals that count, as written.
    pub has: Vec<String>,
    /// Teams among `from` whose members are unknown (no `[teams]` entry).
    pub unknown_teams: Vec<String>,
}

impl Requirement {
    /// Whether it is met.
    pub fn satisfied(&self) -> bool {
        self.has.len() as u32 >= self.needs
    }

    /// `needs 2 approvals from @shop/senior-eng, has 1 (alice)`.
    pub fn message(&self) -> String {
        let what = if self.needs == 1 {
            "1 approval".to_string()
        } else {
            format!("{} approvals", self.needs)
        };
        let from = if self.from.is_empty() {
            String::new()
        } else {
            format!(" from {}", join_or(&self.from))
        };
        let note = self
            .note
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let has = if self.has.is_empty() {
            "has 0".to_string()
        } else {
            format!("has {} ({})", self.has.len(), self.has.join(", "))
        };
        let unknown = if self.unknown_teams.is_empty() {
            String::new()
        } else {
            format!(
                "; blast does not know who is in {}: list the members under [teams]",
                self.unknown_teams.join(", ")
            )
        };
        format!("needs {what}{from}{note}, {has}{unknown}")
    }
}

fn join_or(v: &[String]) -> String {
    match v {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// A `block = true` that applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The policy key that blocks (`policy.gate.critical`, or `the built-in gate`).
    pub source: String,
    /// The override label that lifted it, if any.
    pub overridden_by: Option<String>,
    /// The labels that would lift it.
    pub override_labels: Vec<String>,
}

impl Block {
    /// `blocked by policy.gate.critical: …`.
    pub fn message(&self, risk: Risk) -> String {
        match &self.overridden_by {
            Some(l) => format!(
                "risk {risk} is blocked by {}, overridden by the label {l}",
                self.source
            ),
            None => {
                let how = if self.override_labels.is_empty() {
                    "no override label is configured ([policy.gate] override_labels)".to_string()
                } else {
                    format!(
                        "add the label {} (passed with --label) to accept the risk",
                        join_or(&self.override_labels)
                    )
                };
                format!("risk {risk} is blocked by {}: {how}", self.source)
            }
        }
    }
}

/// How AI assistance raised the risk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escalation {
    /// The risk before.
    pub from: Risk,
    /// Tiers added (`[policy.ai_assisted] escalate`).
    pub by: u8,
}

/// The gate's answer for one change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Pass or fail.
    pub status: Status,
    /// The impact's risk.
    pub risk: Risk,
    /// The risk of the same change judged at the base, when higher than `risk`: the change
    /// edits the graph or `blast.toml` in a way that lowers its own risk (see
    /// [`GateInput::base_risk`]).
    pub base_risk: Option<Risk>,
    /// The risk the gate judged: the higher of `risk` and `base_risk`, raised for an
    /// AI-assisted change.
    pub gated_risk: Risk,
    /// Set when AI assistance raised the risk.
    pub escalation: Option<Escalation>,
    /// The configured tier whose rule applied (`None`: no rule applied).
    pub tier: Option<Risk>,
    /// Whether the gate was configured or built in.
    pub gate_source: GateSource,
    /// Whether the change is AI-assisted.
    pub ai_assisted: bool,
    /// Every approval requirement, tier first.
    pub requirements: Vec<Requirement>,
    /// The block, when one applies.
    pub block: Option<Block>,
    /// Labels to suggest, sorted, each once.
    pub labels: Vec<String>,
    /// Notes for stderr (owners whose members are unknown).
    pub warnings: Vec<String>,
}

impl Verdict {
    /// 0 when the gate passes, 1 when it fails.
    pub fn exit_code(&self) -> u8 {
        match self.status {
            Status::Pass => 0,
            Status::Fail => 1,
        }
    }

    /// What is missing, one sentence each: the block, then unmet requirements (with their
    /// source).
    pub fn missing(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(b) = &self.block
            && b.overridden_by.is_none()
        {
            out.push(b.message(self.gated_risk));
        }
        for r in self.requirements.iter().filter(|r| !r.satisfied()) {
            out.push(format!("{} [{}]", r.message(), r.source));
        }
        out
    }

    /// A one-line summary: `pass`, `fail: 2 missing`, with the gate that applied.
    pub fn headline(&self) -> String {
        let gate = match (self.tier, self.gate_source) {
            (Some(t), GateSource::Configured) => format!("policy.gate.{t}"),
            (Some(_), GateSource::Builtin) => {
                "the built-in gate (blast.toml has no [policy.gate])".to_string()
            }
            (None, GateSource::Configured) => format!("no gate for risk {}", self.gated_risk),
            (None, GateSource::Builtin) => format!(
                "no gate for risk {} (the built-in gate blocks only critical; blast.toml has no [policy.gate])",
                self.gated_risk
            ),
        };
        let n = self.missing().len();
        match self.status {
            Status::Pass => format!("pass — {gate}"),
            Status::Fail => format!(
                "fail — {gate}: {n} {} missing",
                if n == 1 {
                    "requirement"
                } else {
                    "requirements"
                }
            ),
        }
    }
}

/// The owners of a group of nodes, each with the nodes it owns.
pub type OwnerList = Vec<(String, Vec<String>)>;

/// The owners the `owners:…` keywords refer to, read from an impact.
#[derive(Clone, Debug, Default)]
pub struct OwnerSets {
    /// Of reached tier-0 nodes.
    pub tier0: OwnerList,
    /// Of reached customer-facing nodes.
    pub customer_facing: OwnerList,
    /// Of changed nodes.
    pub changed: OwnerList,
}

impl OwnerSets {
    /// The owners of an impact's reached tier-0, customer-facing and changed nodes.
    pub fn of(impact: &Impact<'_>) -> OwnerSets {
        let mut t0: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut cf: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut ch: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let add = |m: &mut BTreeMap<String, Vec<String>>, owners: &[&str], id: &str| {
            for o in owners {
                let e = m.entry(o.to_string()).or_default();
                if !e.iter().any(|x| x == id) {
                    e.push(id.to_string());
                }
            }
        };
        for n in impact.rated() {
            let node = n.node();
            let (owners, _) = n.owners();
            let id = node.id().as_str();
            if node.tier().map(|t| t.get()) == Some(0) {
                add(&mut t0, &owners, id);
            }
            if node.customer_facing() {
                add(&mut cf, &owners, id);
            }
        }
        for node in impact.changes.nodes() {
            let owners: Vec<&str> = match impact.get(node.id().as_str()) {
                Some(n) => n.owners().0,
                None => node.owners().collect(),
            };
            add(&mut ch, &owners, node.id().as_str());
        }
        OwnerSets {
            tier0: t0.into_iter().collect(),
            customer_facing: cf.into_iter().collect(),
            changed: ch.into_iter().collect(),
        }
    }

    /// Adds `other`'s owners and their nodes (the change judged at the base: a tier-0 node
    /// the change demotes still needs its owners' approval).
    pub fn merge(&mut self, other: OwnerSets) {
        let join = |into: &mut OwnerList, from: OwnerList| {
            let mut m: BTreeMap<String, Vec<String>> = std::mem::take(into).into_iter().collect();
            for (owner, ids) in from {
                let e = m.entry(owner).or_default();
                for id in ids {
                    if !e.contains(&id) {
                        e.push(id);
                    }
                }
            }
            *into = m.into_iter().collect();
        };
        join(&mut self.tier0, other.tier0);
        join(&mut self.customer_facing, other.customer_facing);
        join(&mut self.changed, other.changed);
    }

    fn get(&self, of: OwnersOf) -> &OwnerList {
        match of {
            OwnersOf::Tier0 => &self.tier0,
            OwnersOf::CustomerFacing => &self.customer_facing,
            OwnersOf::Changed => &self.changed,
        }
    }
}

/// What [`evaluate`] judges.
pub struct GateInput<'a> {
    /// The impact's risk.
    pub risk: Risk,
    /// The risk of the same changed files judged at the base: with the graph files, the
    /// ownership rules and `unmapped` as they were before the change (`None` when the
    /// change edits none of them, or without a git range). The gate judges the higher of
    /// the two, so a change cannot lower its own risk to pass.
    pub base_risk: Option<Risk>,
    /// The owners the keywords refer to.
    pub owners: &'a OwnerSets,
    /// What marked the change as AI-assisted.
    pub ai: &'a AiAssisted,
    /// Who approved.
    pub approvals: &'a Approvals,
    /// The pull request's labels (`--label`).
    pub labels: &'a [String],
}

/// Judges a change. See the module docs.
pub fn evaluate(
    gate: Option<&GatePolicy>,
    ai_policy: &AiAssistedPolicy,
    teams: &Teams,
    input: &GateInput<'_>,
) -> Verdict {
    let builtin;
    let (gate, gate_source) = match gate {
        Some(g) => (g, GateSource::Configured),
        None => {
            builtin = GatePolicy::builtin();
            (&builtin, GateSource::Builtin)
        }
    };
    let ai_assisted = input.ai.detected();
    let base_risk = input.base_risk.filter(|&b| b > input.risk);
    let judged = base_risk.unwrap_or(input.risk);
    let (gated_risk, escalation) = if ai_assisted && ai_policy.escalate > 0 {
        let to = judged.escalate(ai_policy.escalate);
        (
            to,
            (to != judged).then_some(Escalation {
                from: judged,
                by: ai_policy.escalate,
            }),
        )
    } else {
        (judged, None)
    };
    let mut warnings = Vec::new();
    let mut requirements = Vec::new();
    let mut labels: BTreeSet<String> = BTreeSet::new();
    let mut blocks: Vec<String> = Vec::new();
    let applicable = gate.applicable(gated_risk);
    let mut rules: Vec<(String, GateRule)> = Vec::new();
    if let Some((tier, rule)) = applicable {
        let source = match gate_source {
            GateSource::Configured => format!("policy.gate.{tier}"),
            GateSource::Builtin => "the built-in gate".to_string(),
        };
        rules.push((source, rule.clone()));
    }
    if ai_assisted {
        rules.push(("policy.ai_assisted".to_string(), ai_policy.rule()));
    }
    for (source, rule) in &rules {
        labels.extend(rule.labels.iter().cloned());
        if rule.block {
            blocks.push(source.clone());
        }
        requirements.extend(requirements_of(source, rule, teams, input, &mut warnings));
    }
    let block = blocks.first().map(|source| {
        let overridden_by = input
            .labels
            .iter()
            .find(|l| {
                gate.override_labels
                    .iter()
                    .any(|o| o.eq_ignore_ascii_case(l))
            })
            .cloned();
        Block {
            source: source.clone(),
            overridden_by,
            override_labels: gate.override_labels.clone(),
        }
    });
    let blocked = block.as_ref().is_some_and(|b| b.overridden_by.is_none());
    let status = if blocked || requirements.iter().any(|r| !r.satisfied()) {
        Status::Fail
    } else {
        Status::Pass
    };
    Verdict {
        status,
        risk: input.risk,
        base_risk,
        gated_risk,
        escalation,
        tier: applicable.map(|(t, _)| t),
        gate_source,
        ai_assisted,
        requirements,
        block,
        labels: labels.into_iter().collect(),
        warnings,
    }
}

fn requirements_of(
    source: &str,
    rule: &GateRule,
    teams: &Teams,
    input: &GateInput<'_>,
    warnings: &mut Vec<String>,
) -> Vec<Requirement> {
    let parsed: Vec<Reviewer> = rule
        .reviewers
        .iter()
        .filter_map(|r| Reviewer::parse(r).ok())
        .collect();
    let pool: Vec<&Reviewer> = parsed
        .iter()
        .filter(|r| !matches!(r, Reviewer::Owners(_)))
        .collect();
    let needs = rule
        .require_approvals
        .unwrap_or(if pool.is_empty() { 0 } else { 1 });
    let mut out = Vec::new();
    if needs > 0 {
        let mut from = Vec::new();
        let mut unknown_teams = Vec::new();
        let eligible = if pool.is_empty() {
            None
        } else {
            let mut set = BTreeSet::new();
            for r in &pool {
                match r {
                    Reviewer::Person(p) => {
                        from.push(p.clone());
                        set.insert(person_key(p));
                    }
                    Reviewer::Team(t) => {
                        from.push(t.clone());
                        match teams.members(t) {
                            Some(m) => set.extend(m),
                            None => unknown_teams.push(t.clone()),
                        }
                    }
                    Reviewer::Owners(_) => {}
                }
            }
            Some(set)
        };
        out.push(requirement(
            source,
            needs,
            from,
            None,
            eligible,
            unknown_teams,
            input.approvals,
        ));
    }
    let mut seen = BTreeSet::new();
    for r in &parsed {
        let Reviewer::Owners(of) = r else { continue };
        for (owner, nodes) in input.owners.get(*of) {
            if !seen.insert(owner.clone()) {
                continue;
            }
            let (eligible, unknown) = match Reviewer::parse(owner) {
                Ok(Reviewer::Team(t)) => match teams.members(&t) {
                    Some(m) => (m, Vec::new()),
                    None => {
                        warnings.push(format!(
                            "warning: {source}: {} requires an approval from {}, but [teams] does not list its members, so no approval can count for it",
                            of.keyword(),
                            crate::report::inert(owner)
                        ));
                        (BTreeSet::new(), vec![owner.clone()])
                    }
                },
                _ => {
                    if owner.trim_start_matches('@').contains('@') {
                        warnings.push(format!(
                            "warning: {source}: {} requires an approval from {}, an e-mail address; approvals name GitHub logins, so only `--approved-by {}` can count for it (name the login in CODEOWNERS instead)",
                            of.keyword(),
                            crate::report::inert(owner),
                            crate::report::inert(owner)
                        ));
                    }
                    ([person_key(owner)].into_iter().collect(), Vec::new())
                }
            };
            let shown: Vec<&str> = nodes.iter().take(5).map(String::as_str).collect();
            let more = if nodes.len() > 5 {
                format!(" and {} more", nodes.len() - 5)
            } else {
                String::new()
            };
            out.push(requirement(
                &format!("{source} {}", of.keyword()),
                1,
                vec![owner.clone()],
                Some(format!("owner of {}{more}", shown.join(", "))),
                Some(eligible),
                unknown,
                input.approvals,
            ));
        }
    }
    out
}

fn requirement(
    source: &str,
    needs: u32,
    from: Vec<String>,
    note: Option<String>,
    eligible: Option<BTreeSet<String>>,
    unknown_teams: Vec<String>,
    approvals: &Approvals,
) -> Requirement {
    let has = approvals
        .approved
        .iter()
        .filter(|(k, _)| eligible.as_ref().is_none_or(|e| e.contains(*k)))
        .map(|(_, (login, _))| login.clone())
        .collect();
    Requirement {
        source: source.to_string(),
        needs,
        from,
        note,
        eligible,
        has,
        unknown_teams,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn teams() -> Teams {
        let mut t = BTreeMap::new();
        t.insert(
            "@shop/senior-eng".to_string(),
            vec!["alice".into(), "@Bob".into(), "@shop/leads".into()],
        );
        t.insert("@shop/leads".to_string(), vec!["carol".into()]);
        Teams(t)
    }

    fn approvals(who: &[&str]) -> Approvals {
        let mut a = Approvals::default();
        a.add_flag_values(&who.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        a
    }

    fn gate() -> GatePolicy {
        GatePolicy {
            high: Some(GateRule {
                reviewers: vec!["owners:tier0".into()],
                ..GateRule::default()
            }),
            critical: Some(GateRule {
                require_approvals: Some(2),
                reviewers: vec!["@shop/senior-eng".into()],
                labels: vec!["risk:critical".into()],
                ..GateRule::default()
            }),
            ..GatePolicy::default()
        }
    }

    fn judge(risk: Risk, ai: bool, who: &[&str], labels: &[&str]) -> Verdict {
        let ai_policy = AiAssistedPolicy {
            escalate: 1,
            require_approvals: Some(1),
            reviewers: vec!["@shop/senior-eng".into()],
            ..AiAssistedPolicy::default()
        };
        let detected = AiAssisted {
            labels: if ai {
                vec![crate::changes::commits::Match {
                    line: "label: ai-assisted".into(),
                    why: "label".into(),
                }]
            } else {
                Vec::new()
            },
            ..AiAssisted::default()
        };
        let owners = OwnerSets {
            tier0: vec![("@shop/payments".into(), vec!["payment".into()])],
            ..OwnerSets::default()
        };
        let labels: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
        evaluate(
            Some(&gate()),
            &ai_policy,
            &teams(),
            &GateInput {
                risk,
                base_risk: None,
                owners: &owners,
                ai: &detected,
                approvals: &approvals(who),
                labels: &labels,
            },
        )
    }

    #[test]
    fn critical_needs_two_seniors() {
        let v = judge(Risk::Critical, false, &["alice", "dave"], &[]);
        assert_eq!(v.status, Status::Fail);
        assert_eq!(
            v.missing(),
            ["needs 2 approvals from @shop/senior-eng, has 1 (alice) [policy.gate.critical]"]
        );
        assert_eq!(v.labels, ["risk:critical"]);
        let v = judge(Risk::Critical, false, &["alice", "carol"], &[]);
        assert_eq!(v.status, Status::Pass, "{:?}", v.missing());
    }

    #[test]
    fn ai_assistance_escalates_and_needs_a_senior() {
        let v = judge(Risk::High, true, &["dave"], &[]);
        assert_eq!(v.gated_risk, Risk::Critical);
        assert_eq!(
            v.escalation,
            Some(Escalation {
                from: Risk::High,
                by: 1
            })
        );
        assert_eq!(
            v.missing(),
            [
                "needs 2 approvals from @shop/senior-eng, has 0 [policy.gate.critical]",
                "needs 1 approval from @shop/senior-eng, has 0 [policy.ai_assisted]"
            ]
        );
        let v = judge(Risk::High, true, &["bob", "alice"], &[]);
        assert_eq!(v.status, Status::Pass);
    }

    #[test]
    fn owners_keyword_and_tiers_at_or_below() {
        // `high` applies to high; nothing configured for medium and below.
        let v = judge(Risk::High, false, &[], &[]);
        assert_eq!(
            v.missing(),
            [
                "needs 1 approval from @shop/payments (owner of payment), has 0; blast does not know who is in @shop/payments: list the members under [teams] [policy.gate.high owners:tier0]"
            ]
        );
        assert_eq!(v.warnings.len(), 1);
        let v = judge(Risk::Medium, false, &[], &[]);
        assert_eq!(v.status, Status::Pass);
        assert_eq!(v.tier, None);
    }

    #[test]
    fn builtin_gate_blocks_critical_until_overridden() {
        let input = |labels: &[String]| {
            evaluate(
                None,
                &AiAssistedPolicy::default(),
                &Teams::default(),
                &GateInput {
                    risk: Risk::Critical,
                    base_risk: None,
                    owners: &OwnerSets::default(),
                    ai: &AiAssisted::default(),
                    approvals: &Approvals::default(),
                    labels,
                },
            )
        };
        let v = input(&[]);
        assert_eq!(v.status, Status::Fail);
        assert_eq!(
            v.missing(),
            [
                "risk critical is blocked by the built-in gate: add the label blast-radius:override (passed with --label) to accept the risk"
            ]
        );
        let v = input(&["Blast-Radius:Override".to_string()]);
        assert_eq!(v.status, Status::Pass);
        assert!(v.block.unwrap().overridden_by.is_some());
    }

    #[test]
    fn teams_are_validated_and_expanded() {
        assert_eq!(
            teams()
                .members("@shop/senior-eng")
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>(),
            ["alice", "bob", "carol"]
        );
        let mut t = teams();
        t.0.insert("@shop/leads".into(), vec!["@shop/senior-eng".into()]);
        assert!(t.validate().unwrap_err().1.contains("contain each other"));
        let mut t = teams();
        t.0.insert("@shop/x".into(), vec!["@shop/nope".into()]);
        assert!(t.validate().unwrap_err().1.contains("'@shop/nope'"));
        let bad = GatePolicy {
            low: Some(GateRule {
                reviewers: vec!["@shop/senor-eng".into()],
                ..GateRule::default()
            }),
            ..GatePolicy::default()
        };
        let e = validate(Some(&bad), &AiAssistedPolicy::default(), &teams()).unwrap_err();
        assert_eq!(e.0, "policy.gate.low.reviewers");
        assert!(e.1.contains("did you mean '@shop/senior-eng'"), "{}", e.1);
        assert!(Reviewer::parse("owners:everyone").is_err());
    }
}
