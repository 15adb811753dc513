//! `workflow-registry`: point a rendered Deis Workflow manifest at a container
//! registry, touching nothing else.
//!
//! The pipeline is `split -> parse -> plan edits -> splice -> write`: see
//! [`transform`] for the pure core, [`config`] for where settings come from,
//! and [`yaml`] for the byte-preserving YAML layer.

pub mod cli;
pub mod config;
pub mod escape;
pub mod files;
pub mod manifest;
pub mod plugin;
pub mod transform;
pub mod verify;
pub mod yaml;
