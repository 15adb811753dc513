//! Against a live Kubernetes API server (v1.36: etcd, kube-apiserver and
//! kube-controller-manager on 127.0.0.1, tests/common/cluster.rs), started
//! once for this test binary: what the tool writes is what a cluster accepts
//! and runs.
//!
//! - `goldens`: every golden output passes a strict server-side dry run, and
//!   the controllers create the pods of its workloads (admission checks their
//!   ServiceAccounts, volumes and mounts; the pods stay Pending: no node runs
//!   them); broken manifests fail the same checks;
//! - `helm`: the real chart installed through Helm 3's and Helm 4's
//!   post-renderer for each location, upgraded through every location
//!   switch and rolled back; after each step the cluster holds what the chart
//!   itself renders for that location, and nothing else;
//! - `refresher`: the token refresher's RBAC, as its own ServiceAccount, and
//!   its own requests, made with its token;
//! - `drycc`: Drycc's real chart configured off-cluster through Helm 3's
//!   post-renderer passes a strict server-side dry run; configured for each
//!   of its locations, it is created for real and the controllers create
//!   every pod of every workload.

#[path = "../common/mod.rs"]
mod common;

mod drycc;
mod goldens;
mod helm;
mod recipes;
mod refresher;
