//! `workflow-registry`: point a rendered Deis, Hephy or Drycc Workflow
//! manifest at a container registry, touching nothing else.
//!
//! The pipeline is `read -> model -> plan -> splice -> check -> write`: see
//! [`transform`] for the pure core, [`platform`] for what a manifest holds,
//! [`config`] for where settings come from, and [`yaml`] for the
//! byte-preserving YAML layer.

pub mod cli;
pub mod config;
pub mod escape;
pub mod files;
pub mod manifest;
pub mod names;
pub mod par;
pub mod platform;
pub mod plugin;
pub mod transform;
pub mod verify;
pub mod yaml;
