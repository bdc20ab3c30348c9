//! SARIF 2.1.0 for GitHub code scanning (`blast ci --sarif FILE`).
//!
//! The model ([`model`], plain serde types) and the collector ([`collector`], findings →
//! model) are kept apart, as in cargo-deny. Rules come from [`Code::CI`](crate::codes::Code::CI).
//!
//! # Format
//!
//! One run; `tool.driver` has `name` (`blast-radius`), `semanticVersion` and one rule per CI
//! code (`id`, `name`, `shortDescription`, `fullDescription`, `help` as text and Markdown,
//! `defaultConfiguration.level`, `properties.tags`). Each result has `ruleId`, `ruleIndex`,
//! `level`, `message.text`, one location (a repository-relative, percent-encoded URI under
//! `%SRCROOT%`, and a region with `startLine` and `startColumn`, 1 when unknown) and
//! `partialFingerprints.primaryLocationLineHash` (a hash of what the finding is about, so
//! the alert survives lines moving). GitHub's limits are kept: at most [`MAX_RESULTS`]
//! results (the most severe), with the number left out in `runs[0].properties`.

pub mod collector;
pub mod model;

pub use collector::{MAX_RESULTS, log, write};
