//! The small closed vocabularies of the model: node kinds, edge kinds and tiers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! keyword_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The keyword used in files, the CLI and JSON output.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseKindError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(ParseKindError {
                        what: $what,
                        value: s.to_string(),
                        expected: $name::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
                    }),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "a {} (one of {})", $what,
                            $name::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "))
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        v.parse().map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

keyword_enum! {
    /// What a node is.
    NodeKind, "node kind" {
        /// A deployable service.
        Service = "service",
        /// A library, package or crate (often `part_of` a service).
        Module = "module",
        /// A database, cache or object store.
        Datastore = "datastore",
        /// A message broker or queue.
        Queue = "queue",
        /// Something outside the organisation (a payment gateway, a SaaS API).
        External = "external",
    }
}

keyword_enum! {
    /// How `from` depends on `to`, which sets how strongly a failure propagates.
    EdgeKind, "edge kind" {
        /// A synchronous call (HTTP, gRPC): strength 1.0 by default.
        Sync = "sync",
        /// An asynchronous message: strength 0.5 by default.
        Async = "async",
        /// A build-time or link-time dependency: strength 1.0 by default.
        Build = "build",
        /// Reads or writes shared data: strength 1.0 by default.
        Data = "data",
        /// A development-only dependency (tests, tooling): never propagates by default.
        Dev = "dev",
        /// Start-up ordering only (`depends_on` with no traffic behind it): not propagated by default.
        Startup = "startup",
        /// Telemetry export (traces, metrics): not propagated by default.
        Telemetry = "telemetry",
    }
}

/// An unknown keyword for a node or edge kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseKindError {
    what: &'static str,
    value: String,
    expected: String,
}

impl fmt::Display for ParseKindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} '{}', expected one of: {}",
            self.what, self.value, self.expected
        )
    }
}

impl std::error::Error for ParseKindError {}

/// A criticality tier, 0 (money paths: checkout, accounts) to 3 (internal tools).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tier(u8);

impl Tier {
    /// The most critical tier.
    pub const ZERO: Tier = Tier(0);
    /// The least critical tier.
    pub const MAX: u8 = 3;

    /// A tier, when `n` is in `0..=3`.
    pub fn new(n: u8) -> Option<Tier> {
        (n <= Self::MAX).then_some(Tier(n))
    }
    /// The tier number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Tier {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.0)
    }
}

impl<'de> Deserialize<'de> for Tier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Tier;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a tier: an integer from 0 (most critical) to 3")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Tier, E> {
                u8::try_from(v).ok().and_then(Tier::new).ok_or_else(|| {
                    E::custom(format_args!(
                        "tier {v} is out of range: use 0 (most critical) to 3"
                    ))
                })
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Tier, E> {
                if v < 0 {
                    return Err(E::custom(format_args!(
                        "tier {v} is out of range: use 0 (most critical) to 3"
                    )));
                }
                self.visit_u64(v as u64)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Tier, E> {
                Err(E::custom(format_args!(
                    "tier \"{}\" is a string: write the tier as a number, without quotes, from 0 (most critical) to 3",
                    crate::report::inert(v)
                )))
            }
        }
        // Asked for any value, so that every format tells a quoted "0" from 0 alike (YAML
        // would otherwise read a quoted number as one, where JSON and TOML do not).
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_round_trip() {
        for k in EdgeKind::ALL {
            assert_eq!(k.as_str().parse::<EdgeKind>().unwrap(), *k);
        }
        for k in NodeKind::ALL {
            assert_eq!(k.as_str().parse::<NodeKind>().unwrap(), *k);
        }
        let e = "servce".parse::<NodeKind>().unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown node kind 'servce', expected one of: service, module, datastore, queue, external"
        );
    }

    #[test]
    fn tiers_are_range_checked() {
        assert_eq!(serde_json::from_str::<Tier>("3").unwrap().get(), 3);
        let e = serde_json::from_str::<Tier>("4").unwrap_err().to_string();
        assert!(e.contains("tier 4 is out of range"), "{e}");
        assert!(serde_json::from_str::<Tier>("-1").is_err());
    }
}
