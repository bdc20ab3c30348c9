//! The SARIF 2.1.0 objects `blast` writes: the subset GitHub code scanning reads, as plain
//! serde types (the collector in [`super::collector`] fills them).

use std::collections::BTreeMap;

use serde::Serialize;

/// The JSON Schema the file declares.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The top-level object.
#[derive(Serialize, Debug)]
pub struct Log {
    /// [`SCHEMA`].
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    /// Always `2.1.0`.
    pub version: &'static str,
    /// One run.
    pub runs: Vec<Run>,
}

/// One run of one tool.
#[derive(Serialize, Debug)]
pub struct Run {
    /// The tool.
    pub tool: Tool,
    /// The results.
    pub results: Vec<SarifResult>,
    /// Where relative URIs are rooted.
    #[serde(
        rename = "originalUriBaseIds",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    /// Run-level notes (results left out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<BTreeMap<&'static str, serde_json::Value>>,
}

/// The tool.
#[derive(Serialize, Debug)]
pub struct Tool {
    /// The driver.
    pub driver: Driver,
}

/// The tool's driver component.
#[derive(Serialize, Debug)]
pub struct Driver {
    /// `blast-radius`.
    pub name: &'static str,
    /// The crate version.
    #[serde(rename = "semanticVersion")]
    pub semantic_version: &'static str,
    /// The project's home, when the package declares one.
    #[serde(rename = "informationUri", skip_serializing_if = "Option::is_none")]
    pub information_uri: Option<&'static str>,
    /// Every rule, in `Code::CI` order.
    pub rules: Vec<Rule>,
}

/// A rule (`reportingDescriptor`).
#[derive(Serialize, Debug)]
pub struct Rule {
    /// The code's id.
    pub id: &'static str,
    /// PascalCase name.
    pub name: String,
    /// One line.
    #[serde(rename = "shortDescription")]
    pub short_description: Message,
    /// The long description.
    #[serde(rename = "fullDescription")]
    pub full_description: Message,
    /// What to do (text and Markdown).
    pub help: MultiformatMessage,
    /// The default level.
    #[serde(rename = "defaultConfiguration")]
    pub default_configuration: Configuration,
    /// Tags.
    pub properties: RuleProperties,
}

/// `properties` of a rule.
#[derive(Serialize, Debug)]
pub struct RuleProperties {
    /// Tags shown as filters.
    pub tags: Vec<&'static str>,
}

/// `{level}`.
#[derive(Serialize, Debug)]
pub struct Configuration {
    /// `error`, `warning` or `note`.
    pub level: &'static str,
}

/// `{text}`.
#[derive(Serialize, Debug)]
pub struct Message {
    /// The text.
    pub text: String,
}

/// `{text, markdown}`.
#[derive(Serialize, Debug)]
pub struct MultiformatMessage {
    /// Plain text.
    pub text: String,
    /// Markdown (GitHub shows it instead of the text).
    pub markdown: String,
}

/// A result.
#[derive(Serialize, Debug)]
pub struct SarifResult {
    /// The rule's id.
    #[serde(rename = "ruleId")]
    pub rule_id: &'static str,
    /// The rule's index in `driver.rules`.
    #[serde(rename = "ruleIndex")]
    pub rule_index: usize,
    /// `error`, `warning` or `note`.
    pub level: &'static str,
    /// What was found.
    pub message: Message,
    /// Where (one location).
    pub locations: Vec<Location>,
    /// `primaryLocationLineHash`, stable across runs.
    #[serde(rename = "partialFingerprints")]
    pub partial_fingerprints: BTreeMap<&'static str, String>,
}

/// A location.
#[derive(Serialize, Debug)]
pub struct Location {
    /// The file and region.
    #[serde(rename = "physicalLocation")]
    pub physical_location: PhysicalLocation,
}

/// A file and region.
#[derive(Serialize, Debug)]
pub struct PhysicalLocation {
    /// The file.
    #[serde(rename = "artifactLocation")]
    pub artifact_location: ArtifactLocation,
    /// The lines.
    pub region: Region,
}

/// A file, as a URI reference relative to `uriBaseId`.
#[derive(Serialize, Debug)]
pub struct ArtifactLocation {
    /// The (percent-encoded) relative path.
    pub uri: String,
    /// `%SRCROOT%`.
    #[serde(rename = "uriBaseId", skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
}

/// Lines and columns, 1-based.
#[derive(Serialize, Debug)]
pub struct Region {
    /// The first line.
    #[serde(rename = "startLine")]
    pub start_line: u32,
    /// The first column.
    #[serde(rename = "startColumn")]
    pub start_column: u32,
}
