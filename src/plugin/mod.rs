//! Front ends for deployment tools beyond the plain pipe: the kustomize/kpt
//! function config object, and the KRM `ResourceList` wire format. Helm 3
//! and Helm 4 run the plain filter (see `plugin.yaml` at the repository root).

pub mod function_config;
pub mod krm;
pub mod krm_paths;

pub use function_config::FunctionConfig;
