//! Long help text: every setting from the settings table, and a worked
//! example per location. Examples use placeholders, never real secrets.

use crate::config::DEFINITIONS;

pub const LONG_ABOUT: &str = "\
Point a rendered Deis Workflow (or Hephy) manifest at a container registry.

Reads a multi-document manifest on standard input (or -f FILE) and writes it to
standard output with DEIS_REGISTRY_LOCATION set on every registry-consuming
container, the registry-secret computed from the environment, and exactly the
registry components the location needs. Everything else is written byte for
byte as it was read. On any error nothing is written to standard output.

Use it as a Helm post-renderer, a kustomize/kpt plugin, or a plain pipe:

  helm template workflow ./workflow -n deis | workflow-registry | kubectl apply -f -";

/// The settings table and examples, built from the one definition of each setting.
pub fn after_long_help() -> String {
    let mut out = String::from(
        "Settings (first non-blank wins: flag, environment variable, config files (--params,\n--values, \
         function config; they must agree), default). Keys: params (the params file and the\nconfig object; \
         second spellings after the first), values (a Deis Workflow or Hephy\nvalues file), drycc (a Drycc \
         values file; where several are set they must agree):\n",
    );
    for d in DEFINITIONS {
        let name: Vec<&str> = d.env.iter().chain(&d.flag).copied().collect();
        let default = match (d.default, d.note) {
            ("", "") => "empty",
            ("", note) => note,
            (value, _) => value,
        };
        let secret = if d.secret { " Secret: never printed." } else { "" };
        let (names, help) = (name.join(", "), d.help);
        out.push_str(&format!(
            "\n  {names}\n      {help}.{secret}\n      default: {default}\n"
        ));
        for (source, keys) in [("params", d.params), ("values", d.values), ("drycc", d.drycc)] {
            if !keys.is_empty() {
                out.push_str(&format!("      {source}: {}\n", keys.join(", ")));
            }
        }
    }
    out.push_str(EXAMPLES);
    out
}

const EXAMPLES: &str = "
Examples:

  # on-cluster (the default): keep Workflow's own registry and proxy
  helm template workflow ./workflow -n deis | workflow-registry

  # off-cluster, e.g. quay.io: a registry-secret with long-lived credentials
  REGISTRY_LOCATION=off-cluster REGISTRY_HOSTNAME=quay.io REGISTRY_ORGANIZATION=myorg \\
  REGISTRY_USERNAME=myorg+deployer REGISTRY_PASSWORD=\"$(cat quay-token)\" \\
    workflow-registry -f workflow.yaml

  # ecr: the token refresher mints 12-hour tokens; empty keys use the node's IAM role
  REGISTRY_LOCATION=ecr ECR_REGION=eu-west-1 workflow-registry < workflow.yaml

  # gcr: the service-account key as a file; apps only ever see 1-hour tokens
  REGISTRY_LOCATION=gcr GCR_KEY_JSON=@key.json workflow-registry < workflow.yaml

  # Workflow's own params file, or a Workflow v2.5+ / Hephy values file, checked before an install
  workflow-registry check --params tpl/generate_params.toml
  workflow-registry check --values values.yaml

Files named by @path:
  From the environment or a flag: relative to the current directory, anywhere.
  From a config file (--params, --values, a function config): relative to that
  file's directory (a KRM functionConfig on stdin: the current directory;
  kustomize's argv[1]: KUSTOMIZE_PLUGIN_CONFIG_ROOT), and refused if it leaves it, unless
  --load-restrictor none. Only regular files, at most 64 KiB for a key.

Environment:
  WORKFLOW_REGISTRY_LOG  also append errors, warnings and the change summary to this file
                         (Helm 4 discards stderr; empty means no log); same as --log-file
  WORKFLOW_REGISTRY_LOAD_RESTRICTOR  none: let config files name files outside their directory

Exit status: 0 success, 1 invalid input manifest, 2 invalid configuration or usage,
3 the output could not be written (broken pipe, full disk), 4 registry verification
failed (verify, or --verify / WORKFLOW_REGISTRY_VERIFY=1).
";
