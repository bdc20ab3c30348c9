//! Analysis: what a change reaches and what that means.
//!
//! Everything here reads the frozen [`DependencyGraph`](crate::graph::DependencyGraph) and
//! returns plain result models for the reports: [`impact::Impact`] (the blast radius with
//! risk), [`why::Why`] (how one node reaches another), [`check::CheckReport`] (problems in
//! the graph), [`picture::Picture`] (what a picture of the graph or of an impact draws), and
//! for CI the [`gate::Verdict`] (does the change have the sign-off its risk needs?) and the
//! [`ci::CiReport`] with its findings. The [`policy::Policy`] turns reach into risk.

pub mod check;
pub mod ci;
pub mod drift;
pub mod gate;
pub mod impact;
pub mod listing;
pub mod owners;
pub mod picture;
pub mod policy;
pub mod rank;
pub mod spof;
pub mod why;

pub use check::{CheckReport, check};
pub use impact::{Analyzer, Impact, ImpactedNode, Summary};
pub use owners::OwnersSource;
pub use picture::{Picture, PictureOptions};
pub use policy::{Policy, Risk};
pub use why::{Why, why};
