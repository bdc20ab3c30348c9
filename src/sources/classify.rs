//! What Compose and Kubernetes have in common: finding the other services a value names,
//! and telling datastores, brokers and telemetry components from plain services.
//!
//! # Address references
//!
//! A value names another service's host when it contains (after splitting it into tokens
//! at spaces, commas, semicolons, quotes and brackets):
//!
//! * a URL whose host is the service: `http://cart:7070/api`, `redis://valkey-cart`,
//!   `postgres://user:pw@astronomy-db/db`, `PLAINTEXT://kafka:9092`;
//! * `host:port`: `cart:7070`, `user-db:27017`;
//! * the bare host, but only where the key says it is an address: the environment
//!   variable's name, a `KEY=` or `key:` right before it, or a command-line flag before it
//!   has one of the words `HOST`, `HOSTNAME`, `HOSTS`, `ADDR`, `ADDRESS`, `URL`, `URI`,
//!   `ENDPOINT`, `SERVER`, `SERVERS`, `BROKER`, `BROKERS`, `UPSTREAM`, `DSN` (`FLAGD_HOST=flagd`,
//!   `Host=astronomy-db;…`, `--host edge-router`), or is the flag `-h`.
//!
//! Only names of known services count (the caller supplies the lookup), and a service
//! naming itself does not.
//!
//! # Classification
//!
//! Each rule is a glob (`*` matches anything, case-insensitive) matched against the
//! image's repository name (its last path segment, without registry, tag or digest:
//! `valkey` for `ghcr.io/valkey-io/valkey:9.0.4`), then against the service's name. Rules
//! from `[classify]` in `blast.toml` come first (`service`, then `datastore`, `queue`,
//! `telemetry`), then the built-in ones ([`BUILTIN_RULES`]). A datastore is a node of kind
//! `datastore` reached by `data` edges; a broker is a `queue` reached by `async` edges; any
//! reference from or to a telemetry component, and any reference in a telemetry variable
//! (`OTEL_*`, `*OTLP*`, `JAEGER_*`, `ZIPKIN_*`), is a `telemetry` edge; everything else is
//! `sync`.

use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;

use crate::graph::{EdgeKind, NodeKind};

/// What a service is, for edge kinds.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// A plain service.
    Service,
    /// A database, cache or object store.
    Datastore,
    /// A message broker.
    Queue,
    /// A telemetry component (collector, tracing backend, metrics store, dashboards).
    Telemetry,
}

impl Class {
    /// The node kind a source declares for this class (`None`: leave it to other sources;
    /// the default is `service`).
    pub fn node_kind(self) -> Option<NodeKind> {
        match self {
            Class::Datastore => Some(NodeKind::Datastore),
            Class::Queue => Some(NodeKind::Queue),
            Class::Service | Class::Telemetry => None,
        }
    }

    /// The keyword used in `blast.toml` and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Service => "service",
            Class::Datastore => "datastore",
            Class::Queue => "queue",
            Class::Telemetry => "telemetry",
        }
    }
}

/// The built-in classification rules, in the order they are tried.
pub const BUILTIN_RULES: &[(&str, Class)] = &[
    // Telemetry first: `opentelemetry-collector` must not fall to a datastore rule.
    ("*opentelemetry-collector*", Class::Telemetry),
    ("*otel*collector*", Class::Telemetry),
    ("otelcol*", Class::Telemetry),
    ("*jaeger*", Class::Telemetry),
    ("all-in-one*", Class::Telemetry),
    ("*zipkin*", Class::Telemetry),
    ("prometheus*", Class::Telemetry),
    ("*grafana*", Class::Telemetry),
    ("loki*", Class::Telemetry),
    ("tempo", Class::Telemetry),
    ("otel-lgtm*", Class::Telemetry),
    ("*signoz*", Class::Telemetry),
    ("*datadog*agent*", Class::Telemetry),
    ("fluent-bit*", Class::Telemetry),
    ("fluentd*", Class::Telemetry),
    // Brokers.
    ("*kafka*", Class::Queue),
    ("*redpanda*", Class::Queue),
    ("*rabbitmq*", Class::Queue),
    ("nats*", Class::Queue),
    ("*pulsar*", Class::Queue),
    ("*activemq*", Class::Queue),
    ("*artemis*", Class::Queue),
    ("*emqx*", Class::Queue),
    ("*mosquitto*", Class::Queue),
    ("nsqd", Class::Queue),
    // Datastores.
    ("*postgres*", Class::Datastore),
    ("postgis*", Class::Datastore),
    ("timescaledb*", Class::Datastore),
    ("*mysql*", Class::Datastore),
    ("*mariadb*", Class::Datastore),
    ("*mongo*", Class::Datastore),
    ("*redis*", Class::Datastore),
    ("*valkey*", Class::Datastore),
    ("keydb*", Class::Datastore),
    ("dragonfly*", Class::Datastore),
    ("*memcached*", Class::Datastore),
    ("*cassandra*", Class::Datastore),
    ("*scylla*", Class::Datastore),
    ("*couchdb*", Class::Datastore),
    ("*couchbase*", Class::Datastore),
    ("*cockroach*", Class::Datastore),
    ("*clickhouse*", Class::Datastore),
    ("*elasticsearch*", Class::Datastore),
    ("*opensearch*", Class::Datastore),
    ("*influxdb*", Class::Datastore),
    ("*neo4j*", Class::Datastore),
    ("etcd*", Class::Datastore),
    ("minio*", Class::Datastore),
    ("*dynamodb*", Class::Datastore),
    ("mssql*", Class::Datastore),
    ("db", Class::Datastore),
    ("*-db", Class::Datastore),
    ("*_db", Class::Datastore),
    ("*-database", Class::Datastore),
];

/// `[classify]` in `blast.toml`: globs added before the built-in rules.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifyConfig {
    /// Never a datastore, broker or telemetry component (overrides the built-in rules).
    pub service: Vec<String>,
    /// Datastores.
    pub datastore: Vec<String>,
    /// Message brokers.
    pub queue: Vec<String>,
    /// Telemetry components.
    pub telemetry: Vec<String>,
}

/// Compiled classification rules.
#[derive(Clone, Debug)]
pub struct Classifier {
    /// Each rule, its class, and whether it is anchored (does not start with `*`): only
    /// those are tried on an image's repository path.
    rules: Vec<(GlobMatcher, Class, bool)>,
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier::new(&ClassifyConfig::default()).expect("built-in rules compile")
    }
}

fn compile(pattern: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .case_insensitive(true)
        .literal_separator(false)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid pattern '{pattern}': {}", e.kind()))
}

impl Classifier {
    /// The user's rules (tried first) and the built-in ones.
    ///
    /// # Errors
    /// `(key, message)` for a pattern that is not a valid glob.
    pub fn new(config: &ClassifyConfig) -> Result<Classifier, (String, String)> {
        let mut rules = Vec::new();
        for (key, list, class) in [
            ("service", &config.service, Class::Service),
            ("datastore", &config.datastore, Class::Datastore),
            ("queue", &config.queue, Class::Queue),
            ("telemetry", &config.telemetry, Class::Telemetry),
        ] {
            for p in list {
                rules.push((
                    compile(p).map_err(|e| (format!("classify.{key}"), e))?,
                    class,
                    !p.starts_with('*'),
                ));
            }
        }
        for (p, class) in BUILTIN_RULES {
            rules.push((
                compile(p).expect("built-in rule"),
                *class,
                !p.starts_with('*'),
            ));
        }
        Ok(Classifier { rules })
    }

    /// The class of a service from its image (if any) and its names.
    ///
    /// Tried in order: the image's repository name (`server` for
    /// `mcr.microsoft.com/mssql/server`), its repository path (`mssql/server`) by the
    /// patterns that do not start with `*` (so `jaegertracing/example-hotrod` is not taken
    /// for Jaeger), then the names.
    pub fn classify(&self, image: Option<&str>, names: &[&str]) -> Class {
        let repo = image.map(image_repository);
        let path = image
            .map(image_path)
            .filter(|p| Some(*p) != repo)
            .map(|p| (p, true));
        let candidates = repo
            .map(|r| (r, false))
            .into_iter()
            .chain(path)
            .chain(names.iter().map(|n| (*n, false)));
        for (name, anchored_only) in candidates {
            if name.is_empty() {
                continue;
            }
            if let Some((_, c, _)) = self
                .rules
                .iter()
                .find(|(m, _, anchored)| (*anchored || !anchored_only) && m.is_match(name))
            {
                return *c;
            }
        }
        Class::Service
    }
}

/// The repository name of an image reference: its last path segment without tag or
/// digest (`ghcr.io/valkey-io/valkey:9.0.4-alpine` → `valkey`).
pub fn image_repository(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last)
}

/// The repository path of an image reference: without registry host, tag or digest
/// (`mcr.microsoft.com/mssql/server:2022-latest` → `mssql/server`).
pub fn image_path(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let no_tag = match no_digest.rfind(':') {
        Some(i) if !no_digest[i..].contains('/') => &no_digest[..i],
        _ => no_digest,
    };
    match no_tag.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
        _ => no_tag,
    }
}

/// Whether a variable name is a telemetry setting (`OTEL_EXPORTER_OTLP_ENDPOINT`).
pub fn is_telemetry_key(key: &str) -> bool {
    let k = key.to_ascii_uppercase();
    k.starts_with("OTEL_")
        || k.contains("OTLP")
        || k.starts_with("JAEGER_")
        || k.starts_with("ZIPKIN_")
}

/// The edge kind of a reference from a `from` service to a `to` service, found under `key`.
pub fn edge_kind(from: Class, to: Class, key: Option<&str>) -> EdgeKind {
    if from == Class::Telemetry || to == Class::Telemetry || key.is_some_and(is_telemetry_key) {
        return EdgeKind::Telemetry;
    }
    match to {
        Class::Datastore => EdgeKind::Data,
        Class::Queue => EdgeKind::Async,
        Class::Service | Class::Telemetry => EdgeKind::Sync,
    }
}

/// How strongly an edge kind names a dependency when several pieces of evidence point the
/// same way: the highest-ranked kind names the edge.
pub fn rank(k: EdgeKind) -> u8 {
    match k {
        EdgeKind::Sync | EdgeKind::Data | EdgeKind::Build => 4,
        EdgeKind::Async => 3,
        EdgeKind::Telemetry => 2,
        EdgeKind::Dev => 1,
        _ => 0,
    }
}

const ADDRESS_WORDS: &[&str] = &[
    "HOST",
    "HOSTNAME",
    "HOSTS",
    "ADDR",
    "ADDRESS",
    "URL",
    "URI",
    "ENDPOINT",
    "ENDPOINTS",
    "SERVER",
    "SERVERS",
    "BROKER",
    "BROKERS",
    "UPSTREAM",
    "DSN",
];

/// Whether a key (an environment variable, a `key=`, a flag) says its value is an address.
pub fn is_address_key(key: &str) -> bool {
    let k = key.trim_start_matches('-');
    if key == "-h" {
        return true;
    }
    k.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .any(|w| {
            let w = w.to_ascii_uppercase();
            ADDRESS_WORDS.contains(&w.as_str())
        })
        || {
            // camelCase keys: `baseUrl`, `dbHost`.
            let lower = k.to_ascii_lowercase();
            ["host", "addr", "url", "uri", "endpoint", "server", "broker"]
                .iter()
                .any(|w| lower.ends_with(w))
        }
}

fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_'
}

/// The host of one token, and whether it came with a port or a scheme (`true`) or bare.
fn host_of(token: &str) -> Option<(&str, bool)> {
    if let Some(i) = token.find("://") {
        let rest = &token[i + 3..];
        let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        let hostport = authority.rsplit('@').next().unwrap_or(authority);
        let host = if hostport.starts_with('[') {
            return None; // IPv6 literal
        } else {
            hostport.split(':').next().unwrap_or(hostport)
        };
        return (!host.is_empty() && host.chars().all(is_host_char)).then_some((host, true));
    }
    let t = token.split('/').next().unwrap_or(token);
    if let Some((host, port)) = t.split_once(':') {
        let port_ok = (!port.is_empty() && port.chars().all(|c| c.is_ascii_digit()))
            || port.starts_with("${")
            || port.starts_with("$(");
        if port_ok && !host.is_empty() && host.chars().all(is_host_char) {
            return Some((host, true));
        }
        return None;
    }
    (!token.is_empty() && token.chars().all(is_host_char)).then_some((token, false))
}

/// A service named by a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference<'v> {
    /// The service, as the lookup named it.
    pub target: String,
    /// The token that named it.
    pub token: &'v str,
}

/// Splits a value into tokens, pairing each with the key in force (`KEY=` or `key:` or a
/// flag right before it).
fn tokens(value: &str) -> Vec<(Option<&str>, &str)> {
    let raw: Vec<&str> = value
        .split(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    ',' | ';'
                        | '"'
                        | '\''
                        | '`'
                        | '('
                        | ')'
                        | '['
                        | ']'
                        | '{'
                        | '}'
                        | '|'
                        | '<'
                        | '>'
                )
        })
        .filter(|t| !t.is_empty())
        .collect();
    let mut out = Vec::with_capacity(raw.len());
    let mut pending_key: Option<&str> = None;
    for t in raw {
        // `key=value`: the value, under its key.
        if let Some((k, v)) = t.split_once('=')
            && !k.is_empty()
            && !k.contains("://")
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            if v.is_empty() {
                pending_key = Some(k);
            } else {
                out.push((Some(k), v));
                pending_key = None;
            }
            continue;
        }
        // `key:` on its own (YAML in a ConfigMap) or a flag: the key of the next token.
        if let Some(k) = t
            .strip_suffix(':')
            .filter(|k| !k.is_empty() && !k.contains(':'))
        {
            pending_key = Some(k);
            continue;
        }
        if t.starts_with('-') && !t.contains(':') {
            pending_key = Some(t);
            continue;
        }
        out.push((pending_key.take(), t));
    }
    out
}

/// The services `value` names (see the module docs). `key` is the variable's name, when
/// there is one; `lookup` maps a host name to a service, or `None`.
pub fn references<'v>(
    key: Option<&str>,
    value: &'v str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Vec<Reference<'v>> {
    let mut out: Vec<Reference<'v>> = Vec::new();
    for (inner_key, token) in tokens(value) {
        let token = token.trim_end_matches(['.', ':']);
        let Some((host, qualified)) = host_of(token) else {
            continue;
        };
        if !qualified {
            let k = inner_key.or(key);
            if !k.is_some_and(is_address_key) {
                continue;
            }
        }
        if let Some(target) = lookup(&host.to_ascii_lowercase())
            && !out.iter().any(|r| r.target == target)
        {
            out.push(Reference { target, token });
        }
    }
    out
}

/// `value` with credentials masked, for evidence: the password of a URL's user info
/// (`postgres://user:***@db/x`), `password=`/`pwd=`/`secret=`/`token=` parts of connection
/// strings, query strings and flags (`Host=db;Password=***`, `?token=***&page=2`,
/// `--db-password=***`), and the value after such a long flag (`--token ***`). A variable
/// whose name says it holds a secret is masked whole.
pub fn redact(key: Option<&str>, value: &str) -> String {
    const SECRET_WORDS: &[&str] = &["PASSWORD", "PASSWD", "PWD", "SECRET", "TOKEN", "APIKEY"];
    let is_secret = |k: &str| {
        let k = k.to_ascii_uppercase().replace(['-', '.'], "_");
        SECRET_WORDS.iter().any(|w| k.split('_').any(|p| p == *w))
            || k.ends_with("PASSWORD")
            || k == "API_KEY"
    };
    if key.is_some_and(is_secret) {
        return "***".to_string();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    // URL user info.
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(['/', ' ', ',', ';', '"', '\'', '?'])
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => out.push_str(&format!("{user}:***")),
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    // `Password=...;` parts, query parameters (`?token=...&`), and command-line flags
    // (`--db-password=...`, or `--token` followed by the value).
    const SEPARATORS: [char; 5] = [';', '&', '?', ' ', ','];
    let flag = |k: &str| k.trim().trim_start_matches('-').to_string();
    let mut masked = String::with_capacity(out.len());
    let mut value_next = false;
    let mut mask = |part: &str, masked: &mut String| {
        if value_next && !part.is_empty() {
            masked.push_str("***");
            value_next = false;
            return;
        }
        match part.split_once('=') {
            Some((k, _)) if is_secret(&flag(k)) => {
                masked.push_str(k);
                masked.push_str("=***");
            }
            None if part.starts_with("--") && is_secret(&flag(part)) => {
                masked.push_str(part);
                value_next = true;
            }
            _ => masked.push_str(part),
        }
    };
    let mut start = 0;
    for (i, c) in out.char_indices() {
        if SEPARATORS.contains(&c) {
            mask(&out[start..i], &mut masked);
            masked.push(c);
            start = i + c.len_utf8();
        }
    }
    mask(&out[start..], &mut masked);
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_credentials() {
        assert_eq!(
            redact(
                Some("DB"),
                "postgres://astronomy_user:pw@astronomy-db/astronomy_db"
            ),
            "postgres://astronomy_user:***@astronomy-db/astronomy_db"
        );
        assert_eq!(
            redact(None, "Host=astronomy-db;Username=u;Password=pw;Database=d"),
            "Host=astronomy-db;Username=u;Password=***;Database=d"
        );
        assert_eq!(redact(Some("POSTGRES_PASSWORD"), "x"), "***");
        assert_eq!(
            redact(Some("D"), "http://api:8080/?token=SECRET123&page=2"),
            "http://api:8080/?token=***&page=2"
        );
        assert_eq!(
            redact(
                None,
                "app --db-host=db --db-password=hunter4 --token hunter5 -p 8080"
            ),
            "app --db-host=db --db-password=*** --token *** -p 8080"
        );
        assert_eq!(redact(Some("CART_ADDR"), "cart:7070"), "cart:7070");
        assert_eq!(
            redact(None, "http://quote:8090/a?b"),
            "http://quote:8090/a?b"
        );
    }

    fn lookup(h: &str) -> Option<String> {
        [
            "cart",
            "quote",
            "astronomy-db",
            "flagd",
            "kafka",
            "edge-router",
            "user-db",
            "otel-collector",
        ]
        .contains(&h)
        .then(|| h.to_string())
    }

    fn refs(key: Option<&str>, v: &str) -> Vec<String> {
        references(key, v, &lookup)
            .into_iter()
            .map(|r| r.target)
            .collect()
    }

    #[test]
    fn finds_urls_host_ports_and_keyed_bare_hosts() {
        assert_eq!(refs(Some("QUOTE_ADDR"), "http://quote:8090"), ["quote"]);
        assert_eq!(refs(Some("CART_ADDR"), "cart:7070"), ["cart"]);
        assert_eq!(refs(Some("mongo"), "user-db:27017"), ["user-db"]);
        assert_eq!(refs(Some("FLAGD_HOST"), "flagd"), ["flagd"]);
        assert_eq!(
            refs(
                Some("DB_CONNECTION_STRING"),
                "postgres://astronomy_user:pw@astronomy-db/astronomy_db?sslmode=disable"
            ),
            ["astronomy-db"]
        );
        assert_eq!(
            refs(
                Some("DB_CONNECTION_STRING"),
                "Host=astronomy-db;Username=astronomy_user;Password=x;Database=astronomy_db"
            ),
            ["astronomy-db"]
        );
        assert_eq!(
            refs(
                Some("KAFKA_LISTENERS"),
                "PLAINTEXT://kafka:9092,CONTROLLER://kafka:9093"
            ),
            ["kafka"]
        );
        assert_eq!(
            refs(None, "-d 60 -r 200 -c 2 -h edge-router"),
            ["edge-router"]
        );
        assert_eq!(refs(None, "--host=edge-router"), ["edge-router"]);
        assert_eq!(refs(None, "upstream:\n  host: cart\n"), ["cart"]);
    }

    #[test]
    fn ignores_bare_words_without_an_address_key() {
        assert!(refs(Some("OTEL_SERVICE_NAME"), "cart").is_empty());
        assert!(refs(Some("APP_ENV"), "quote").is_empty());
        assert!(refs(None, "start --uri file:./etc/flagd/demo.flagd.json").is_empty());
        assert!(refs(Some("QUOTE_ADDR"), "http://localhost:8080/quote").is_empty());
        assert!(refs(Some("X_URL"), "https://[::1]:80/").is_empty());
    }

    #[test]
    fn classifies_images_and_names() {
        let c = Classifier::default();
        assert_eq!(
            c.classify(Some("ghcr.io/valkey-io/valkey:9.0.4-alpine3.23"), &[]),
            Class::Datastore
        );
        assert_eq!(c.classify(Some("postgres:18.4"), &[]), Class::Datastore);
        assert_eq!(c.classify(Some("mongo:3.4"), &[]), Class::Datastore);
        assert_eq!(c.classify(Some("rabbitmq:3.6.8"), &[]), Class::Queue);
        assert_eq!(
            c.classify(
                Some("ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib:0.159.0"),
                &[]
            ),
            Class::Telemetry
        );
        assert_eq!(
            c.classify(Some("jaegertracing/jaeger:latest"), &[]),
            Class::Telemetry
        );
        assert_eq!(
            c.classify(Some("jaegertracing/example-hotrod:latest"), &["hotrod"]),
            Class::Service
        );
        // The image says nothing; the service name does.
        assert_eq!(
            c.classify(Some("ghcr.io/open-telemetry/demo:latest-kafka"), &["kafka"]),
            Class::Queue
        );
        assert_eq!(
            c.classify(Some("weaveworksdemos/user-db:0.4.0"), &["user-db"]),
            Class::Datastore
        );
        assert_eq!(
            c.classify(Some("weaveworksdemos/carts:0.4.8"), &["carts"]),
            Class::Service
        );
    }

    #[test]
    fn classifies_by_repository_path() {
        assert_eq!(
            image_path("mcr.microsoft.com/mssql/server:2022-latest"),
            "mssql/server"
        );
        assert_eq!(image_path("localhost:5000/shop/db@sha256:ab"), "shop/db");
        assert_eq!(image_path("postgres:16"), "postgres");
        let c = Classifier::default();
        // `mssql*` does not match the name `server`, but the path `mssql/server`.
        assert_eq!(
            c.classify(Some("mcr.microsoft.com/mssql/server:2022-latest"), &["sql"]),
            Class::Datastore
        );
        // Patterns starting with `*` are not tried on the path: the organization is no class.
        assert_eq!(
            c.classify(Some("jaegertracing/example-hotrod-snapshot:1"), &["hotrod"]),
            Class::Service
        );
        assert_eq!(
            c.classify(Some("postgres-team/api:1"), &["api"]),
            Class::Service
        );
    }

    #[test]
    fn user_rules_come_first() {
        let c = Classifier::new(&ClassifyConfig {
            service: vec!["redis-commander".into()],
            queue: vec!["*-bus".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            c.classify(Some("rediscommander/redis-commander"), &[]),
            Class::Service
        );
        assert_eq!(c.classify(None, &["order-bus"]), Class::Queue);
        assert!(
            Classifier::new(&ClassifyConfig {
                datastore: vec!["[".into()],
                ..Default::default()
            })
            .is_err()
        );
    }

    #[test]
    fn edge_kinds_follow_the_classes() {
        assert_eq!(
            edge_kind(Class::Service, Class::Datastore, None),
            EdgeKind::Data
        );
        assert_eq!(
            edge_kind(Class::Service, Class::Queue, None),
            EdgeKind::Async
        );
        assert_eq!(
            edge_kind(
                Class::Service,
                Class::Service,
                Some("OTEL_EXPORTER_OTLP_ENDPOINT")
            ),
            EdgeKind::Telemetry
        );
        assert_eq!(
            edge_kind(Class::Telemetry, Class::Datastore, Some("POSTGRES_HOST")),
            EdgeKind::Telemetry
        );
        assert_eq!(
            edge_kind(Class::Service, Class::Service, None),
            EdgeKind::Sync
        );
    }
}
