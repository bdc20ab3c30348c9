//! Risk and the policy that defines it: how strongly each edge kind propagates a failure,
//! and which risk a reached node gets from its tier and the strength of the path.
//!
//! The defaults are the table in the design:
//!
//! | node tier | strength 1.0 | ≥ 0.5 | less |
//! |---|---|---|---|
//! | 0 | critical | high | medium |
//! | 1 (or customer-facing without tier) | high | medium | low |
//! | 2 | medium | low | low |
//! | 3 | low | low | low |
//! | untiered, not customer-facing | none | none | none |

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::graph::reach::Strengths;
use crate::graph::{EdgeKind, Tier};

/// How much a change can hurt, lowest first.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    /// Reaches nothing tiered or customer-facing.
    #[default]
    None,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical: a money path at full strength.
    Critical,
}

impl Risk {
    /// Every risk, lowest first.
    pub const ALL: [Risk; 5] = [
        Risk::None,
        Risk::Low,
        Risk::Medium,
        Risk::High,
        Risk::Critical,
    ];

    /// The keyword used in text, JSON and `blast.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::None => "none",
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }

    /// `n` steps higher, saturating at critical.
    pub fn escalate(self, n: u8) -> Risk {
        let i = Risk::ALL.iter().position(|&r| r == self).unwrap_or(0);
        Risk::ALL[(i + n as usize).min(Risk::ALL.len() - 1)]
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Risk {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Risk::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown risk '{s}', expected one of: none, low, medium, high, critical")
            })
    }
}

/// `[policy.strength]`: how strongly a failure propagates along each edge kind.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StrengthPolicy {
    /// Synchronous calls.
    pub sync: f64,
    /// Asynchronous messages.
    #[serde(rename = "async")]
    pub async_: f64,
    /// Build and link dependencies.
    pub build: f64,
    /// Shared data.
    pub data: f64,
    /// Development-only dependencies.
    pub dev: f64,
    /// Start-up ordering.
    pub startup: f64,
    /// Telemetry export.
    pub telemetry: f64,
    /// Multiplies the strength of `optional = true` edges.
    pub optional_factor: f64,
}

impl Default for StrengthPolicy {
    fn default() -> Self {
        StrengthPolicy {
            sync: 1.0,
            async_: 0.5,
            build: 1.0,
            data: 1.0,
            dev: 0.0,
            startup: 0.0,
            telemetry: 0.0,
            optional_factor: 0.5,
        }
    }
}

impl StrengthPolicy {
    /// The strength of an edge.
    pub fn of(&self, kind: EdgeKind, optional: bool) -> f64 {
        let base = match kind {
            EdgeKind::Sync => self.sync,
            EdgeKind::Async => self.async_,
            EdgeKind::Build => self.build,
            EdgeKind::Data => self.data,
            EdgeKind::Dev => self.dev,
            EdgeKind::Startup => self.startup,
            EdgeKind::Telemetry => self.telemetry,
        };
        if optional {
            base * self.optional_factor
        } else {
            base
        }
    }

    fn values(&self) -> [(&'static str, f64); 8] {
        [
            ("sync", self.sync),
            ("async", self.async_),
            ("build", self.build),
            ("data", self.data),
            ("dev", self.dev),
            ("startup", self.startup),
            ("telemetry", self.telemetry),
            ("optional_factor", self.optional_factor),
        ]
    }
}

/// `[policy.risk]`: the risk table.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RiskTable {
    /// The strength columns: a path at least `thresholds[0]` strong uses the first column,
    /// at least `thresholds[1]` the second, anything weaker the third.
    pub thresholds: [f64; 2],
    /// Risks for tier 0 at the three strength columns.
    pub tier0: [Risk; 3],
    /// Risks for tier 1.
    pub tier1: [Risk; 3],
    /// Risks for tier 2.
    pub tier2: [Risk; 3],
    /// Risks for tier 3.
    pub tier3: [Risk; 3],
    /// The tier that a customer-facing node without a tier is rated as.
    pub customer_facing_tier: u8,
}

impl Default for RiskTable {
    fn default() -> Self {
        use Risk::*;
        RiskTable {
            thresholds: [1.0, 0.5],
            tier0: [Critical, High, Medium],
            tier1: [High, Medium, Low],
            tier2: [Medium, Low, Low],
            tier3: [Low, Low, Low],
            customer_facing_tier: 1,
        }
    }
}

/// `[policy]` in `blast.toml`: everything that turns reach into risk.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Edge strengths.
    pub strength: StrengthPolicy,
    /// The risk table.
    pub risk: RiskTable,
    /// `[policy.gate]`: what each risk tier needs in CI (`None`: the built-in gate).
    pub gate: Option<super::gate::GatePolicy>,
    /// `[policy.ai_assisted]`: what AI-assisted changes need, and how they are detected.
    pub ai_assisted: super::gate::AiAssistedPolicy,
}

impl Policy {
    /// Checks the values are in range. Returns the offending key and why.
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (k, v) in self.strength.values() {
            if !(0.0..=1.0).contains(&v) || v.is_nan() {
                return Err((
                    format!("policy.strength.{k}"),
                    format!("{v} is out of range: strengths are between 0 and 1"),
                ));
            }
        }
        let [a, b] = self.risk.thresholds;
        if !(b > 0.0 && b <= a && a <= 1.0) {
            return Err((
                "policy.risk.thresholds".into(),
                format!(
                    "[{a}, {b}] must be two strengths with 0 < second <= first <= 1, like [1.0, 0.5]"
                ),
            ));
        }
        // `rank` keeps the strongest reach per tier, which gives each node's highest risk
        // only when a weaker reach is never riskier, as it never is in sense either.
        for (t, row) in [
            &self.risk.tier0,
            &self.risk.tier1,
            &self.risk.tier2,
            &self.risk.tier3,
        ]
        .into_iter()
        .enumerate()
        {
            if row[0] < row[1] || row[1] < row[2] {
                return Err((
                    format!("policy.risk.tier{t}"),
                    format!(
                        "[{}, {}, {}] rises as strength falls: a weaker reach cannot be riskier than a stronger one; order the row from strongest to weakest, like [\"critical\", \"high\", \"medium\"]",
                        row[0], row[1], row[2]
                    ),
                ));
            }
        }
        if self.risk.customer_facing_tier > Tier::MAX {
            return Err((
                "policy.risk.customer_facing_tier".into(),
                format!(
                    "{} is out of range: use 0 (most critical) to 3",
                    self.risk.customer_facing_tier
                ),
            ));
        }
        Ok(())
    }

    /// The strength of every edge class, for walks.
    pub fn strengths(&self) -> Strengths {
        Strengths::from_fn(|k, o| self.strength.of(k, o))
    }

    /// The risk of a reached node.
    pub fn risk_of(&self, tier: Option<Tier>, customer_facing: bool, strength: f64) -> Risk {
        let tier = match (tier, customer_facing) {
            (Some(t), _) => t.get(),
            (None, true) => self.risk.customer_facing_tier,
            (None, false) => return Risk::None,
        };
        if strength <= 0.0 {
            return Risk::None;
        }
        // A product of strengths is a float: 0.7 × 0.7 is 0.48999999999999994. It meets a
        // threshold it meets when rounded, as reports show it.
        let meets = |t: f64| strength >= t * (1.0 - crate::graph::reach::STRENGTH_TIE);
        let col = if meets(self.risk.thresholds[0]) {
            0
        } else if meets(self.risk.thresholds[1]) {
            1
        } else {
            2
        };
        let row = match tier {
            0 => &self.risk.tier0,
            1 => &self.risk.tier1,
            2 => &self.risk.tier2,
            _ => &self.risk.tier3,
        };
        row[col]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_matches_the_design() {
        let p = Policy::default();
        let t = |n| Tier::new(n);
        assert_eq!(p.risk_of(t(0), true, 1.0), Risk::Critical);
        assert_eq!(p.risk_of(t(0), false, 0.5), Risk::High);
        assert_eq!(p.risk_of(t(0), false, 0.25), Risk::Medium);
        assert_eq!(p.risk_of(t(1), false, 1.0), Risk::High);
        assert_eq!(p.risk_of(None, true, 1.0), Risk::High);
        assert_eq!(p.risk_of(None, true, 0.5), Risk::Medium);
        assert_eq!(p.risk_of(None, true, 0.1), Risk::Low);
        assert_eq!(p.risk_of(t(2), false, 1.0), Risk::Medium);
        assert_eq!(p.risk_of(t(2), false, 0.5), Risk::Low);
        assert_eq!(p.risk_of(t(3), true, 1.0), Risk::Low);
        assert_eq!(p.risk_of(None, false, 1.0), Risk::None);
    }

    #[test]
    fn a_product_meets_the_threshold_it_rounds_to() {
        let mut p = Policy::default();
        p.risk.thresholds = [1.0, 0.49];
        let t0 = Tier::new(0);
        assert_eq!(0.7f64 * 0.7, 0.48999999999999994);
        assert_eq!(p.risk_of(t0, false, 0.7 * 0.7), Risk::High);
        assert_eq!(p.risk_of(t0, false, 0.489), Risk::Medium);
        // The weakest strength a walk gives still rates a tier-0 node.
        assert_eq!(p.risk_of(t0, false, f64::MIN_POSITIVE), Risk::Medium);
    }

    #[test]
    fn a_risk_row_may_not_rise_as_strength_falls() {
        let mut p = Policy::default();
        assert_eq!(p.validate(), Ok(()));
        p.risk.tier0 = [Risk::Low, Risk::Critical, Risk::Critical];
        let (key, message) = p.validate().unwrap_err();
        assert_eq!(key, "policy.risk.tier0");
        assert!(
            message.starts_with("[low, critical, critical] rises as strength falls"),
            "{message}"
        );
        p.risk.tier0 = [Risk::High, Risk::High, Risk::None];
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn strengths_multiply_the_optional_factor() {
        let s = StrengthPolicy::default();
        assert_eq!(s.of(EdgeKind::Sync, true), 0.5);
        assert_eq!(s.of(EdgeKind::Async, true), 0.25);
        assert_eq!(s.of(EdgeKind::Dev, false), 0.0);
    }

    #[test]
    fn escalation_saturates() {
        assert_eq!(Risk::Low.escalate(1), Risk::Medium);
        assert_eq!(Risk::High.escalate(3), Risk::Critical);
        assert_eq!(Risk::None.escalate(0), Risk::None);
    }

    #[test]
    fn validation_names_the_key() {
        let mut p = Policy::default();
        p.strength.async_ = 1.5;
        assert_eq!(p.validate().unwrap_err().0, "policy.strength.async");
        let mut p = Policy::default();
        p.risk.thresholds = [0.5, 1.0];
        assert_eq!(p.validate().unwrap_err().0, "policy.risk.thresholds");
    }
}
