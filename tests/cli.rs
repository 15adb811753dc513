//! End-to-end: the built binary with stdin, environment, flags; its exit
//! status, stdout and stderr.

mod common;

use common::{binary, location_env, run, text, SECRETS};

const BUILDER: &str = "---\n# Source: wf/templates/builder.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\n  namespace: deis\nspec:\n  template:\n    spec:\n      containers:\n      - name: deis-builder\n        env:\n        - name: DEIS_REGISTRY_LOCATION\n          value: \"on-cluster\"\n";

fn example() -> String {
    common::read(&common::root().join("testdata/fixtures/helm-classic-v2.4.1.on-cluster.yaml"))
}

/// Everything each location's secrets could show up as, outside the Secret.
fn assert_no_secret(what: &str, output: &str) {
    for s in SECRETS {
        assert!(!output.contains(s), "{what} leaks a secret value");
    }
}

#[test]
fn filters_stdin_for_every_location_without_leaking_secrets() {
    for location in common::LOCATIONS {
        let out = run(binary(&location_env(location)).arg("--verbose"), &example());
        assert!(out.status.success(), "{location}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let stderr = text(&out.stderr);
        assert!(stdout.contains(&format!("value: \"{location}\"")), "{location}");
        assert_eq!(stdout.contains("name: registry-secret"), location != "on-cluster");
        assert!(
            stderr.contains(&format!("location {location}, namespace deis")),
            "{stderr}"
        );
        assert_no_secret("stdout", &stdout);
        assert_no_secret("stderr", &stderr);
    }
}

#[test]
fn reads_a_file_with_f_exactly_like_stdin() {
    let mut env = location_env("gcr");
    env.push(("WORKFLOW_REGISTRY_NAMESPACE", "deis".into()));
    let path = common::root().join("testdata/fixtures/helm4.on-cluster.yaml");
    let from_file = run(binary(&env).arg("-f").arg(&path), "");
    let from_stdin = run(&mut binary(&env), &common::read(&path));
    assert!(from_file.status.success());
    assert_eq!(from_file.stdout, from_stdin.stdout);
    let missing = run(binary(&env).args(["-f", "/nonexistent/x.yaml"]), "");
    assert_eq!(missing.status.code(), Some(2));
    assert!(missing.stdout.is_empty());
}

#[test]
fn bad_configuration_exits_2_listing_every_problem_with_nothing_on_stdout() {
    let env = vec![
        ("REGISTRY_LOCATION", "off-cluster".to_string()),
        ("REGISTRY_HOSTNAME", "https://quay.io/".to_string()),
        ("REGISTRY_ORGANIZATION", "My Org".to_string()),
    ];
    let out = run(&mut binary(&env), BUILDER);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("invalid configuration (3 problems)"), "{err}");
    // A value set is named by its source; one missing, by every way to set it.
    for named in [
        "  - env REGISTRY_ORGANIZATION: ",
        "  - REGISTRY_USERNAME (params: off_cluster_registry.username)",
        "  - REGISTRY_PASSWORD (params: off_cluster_registry.password)",
    ] {
        assert!(err.contains(named), "{named} not named: {err}");
    }
    assert!(
        err.contains("found \"My Org\", expected a Docker repository path"),
        "{err}"
    );
    assert!(
        err.contains("\"https://quay.io/\" was normalised to \"quay.io\""),
        "the warning comes with the problems: {err}"
    );

    let typo = run(&mut binary(&[("REGISTRY_LOCATION", "gcs".to_string())]), BUILDER);
    assert_eq!(typo.status.code(), Some(2));
    assert!(text(&typo.stderr).contains("did you mean \"gcr\"?"));

    let wrong_var = run(&mut binary(&[("DEIS_REGISTRY_LOCATION", "gcr".to_string())]), BUILDER);
    assert_eq!(wrong_var.status.code(), Some(2));
    assert!(
        text(&wrong_var.stderr).contains("REGISTRY_LOCATION is not"),
        "{}",
        text(&wrong_var.stderr)
    );
}

#[test]
fn bad_manifest_exits_1_naming_document_source_and_line() {
    let input =
        format!("{BUILDER}---\n# Source: wf/templates/broken.yaml\nkind: ConfigMap\ndata:\n  a: \"unterminated\n");
    let out = run(&mut binary(&location_env("off-cluster")), &input);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.contains("document 1 (ConfigMap, from wf/templates/broken.yaml)")
            || err.contains("document 1 (from wf/templates/broken.yaml)"),
        "{err}"
    );
    assert!(err.contains("line 20"), "{err}");
    assert_no_secret("stderr", &err);

    let aliased = "---\nkind: Deployment\nmetadata: {name: deis-builder, namespace: deis}\nx: &e [{name: A}]\nspec:\n  template:\n    spec:\n      containers:\n      - name: deis-builder\n        env: *e\n";
    let out = run(&mut binary(&location_env("gcr")), aliased);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    // Refused where the alias stands: an edit there would change every copy.
    assert!(
        err.contains("document 0 (Deployment/deis-builder), line 10: cannot configure it") && err.contains("alias"),
        "{err}"
    );
}

#[test]
fn non_utf8_input_exits_1() {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = binary(&[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a: 1\nb: \xff\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("not UTF-8 text: invalid byte at line 2"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--no-such-flag"][..],
        &["--target", "Deployment"],
        &["--select", "$[?"],
        &["--location", "gcs"],
    ] {
        let out = run(binary(&[]).args(args), BUILDER);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn errors_also_go_to_the_log_file_for_helm_4() {
    let log = std::env::temp_dir().join(format!("wr-log-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let mut env = location_env("off-cluster");
    env.retain(|(k, _)| *k != "REGISTRY_PASSWORD");
    env.push(("WORKFLOW_REGISTRY_LOG", log.display().to_string()));
    let out = run(&mut binary(&env), BUILDER);
    assert_eq!(out.status.code(), Some(2));
    let logged = std::fs::read_to_string(&log).expect("log file written");
    std::fs::remove_file(&log).unwrap();
    assert!(
        logged.contains("REGISTRY_PASSWORD (params: off_cluster_registry.password): is required"),
        "{logged}"
    );
    // One timestamped record per line (the format is pinned in tests/security.rs).
    assert!(
        logged
            .lines()
            .all(|l| l.get(..4).is_some_and(|y| y.bytes().all(|b| b.is_ascii_digit()))
                && l.contains("Z workflow-registry[")
                && l.contains("] run=")),
        "{logged}"
    );
}

#[test]
fn secret_values_never_appear_on_any_error_or_warning_path() {
    let broken_key = common::GCR_KEY.replace("service_account", "user");
    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![("REGISTRY_LOCATION", "gcr".into()), ("GCR_KEY_JSON", broken_key)],
        vec![
            ("REGISTRY_LOCATION", "gcr".into()),
            ("GCR_KEY_JSON", format!("{{ {}", SECRETS[3])),
        ],
        vec![
            ("REGISTRY_LOCATION", "ecr".into()),
            ("ECR_ACCESS_KEY", format!("ASIA{}", &SECRETS[1][4..])),
            ("ECR_SECRET_KEY", SECRETS[2].into()),
        ],
        vec![
            ("REGISTRY_LOCATION", "ecr".into()),
            ("ECR_ACCESS_KEY", format!("{} ", SECRETS[1])),
            ("ECR_SECRET_KEY", format!("{}\n", SECRETS[2])),
        ],
        vec![
            ("REGISTRY_LOCATION", "ecr".into()),
            ("ECR_ACCESS_KEY", SECRETS[1].into()),
        ],
        vec![
            ("REGISTRY_LOCATION", "off-cluster".into()),
            ("REGISTRY_USERNAME", "AWS".into()),
            ("REGISTRY_PASSWORD", format!(" {}", SECRETS[0])),
            ("REGISTRY_ORGANIZATION", "Bad Org".into()),
        ],
        vec![
            ("REGISTRY_LOCATION", "off-cluster".into()),
            ("REGISTRY_USERNAME", "u".into()),
            ("REGISTRY_PASSWORD", SECRETS[0].into()),
            ("REGISTRY_HOSTNAME", "docker.io".into()),
            ("REGISTRY_ORGANIZATION", "o".into()),
        ],
    ];
    for env in cases {
        for args in [&["--verbose"][..], &["check"]] {
            let out = run(binary(&env).args(args), BUILDER);
            // stdout holds secrets only inside the Secret, base64-encoded: never raw.
            assert_no_secret("stderr", &text(&out.stderr));
            assert_no_secret("stdout", &text(&out.stdout));
        }
    }
}

#[test]
fn help_and_check_output_match_their_golden_files() {
    let help = run(binary(&[]).arg("--help"), "");
    assert!(help.status.success());
    common::assert_golden(
        &common::root().join("testdata/golden/cli/help.txt"),
        &text(&help.stdout),
    );

    let env = location_env("gcr");
    let check = run(binary(&env).arg("check"), "");
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    let shown = format!("--- stdout\n{}--- stderr\n{}", text(&check.stdout), text(&check.stderr));
    common::assert_golden(&common::root().join("testdata/golden/cli/check-gcr.txt"), &shown);

    let params = common::root().join("testdata/params/generate_params.toml");
    let check = run(
        binary(&[("REGISTRY_HOSTNAME", "myregistry.azurecr.io".to_string())])
            .arg("check")
            .arg("--params")
            .arg(&params),
        "",
    );
    let shown = format!(
        "--- exit {:?}\n--- stdout\n{}--- stderr\n{}",
        check.status.code(),
        text(&check.stdout),
        text(&check.stderr)
    );
    common::assert_golden(&common::root().join("testdata/golden/cli/check-params.txt"), &shown);
}

#[test]
fn help_lists_every_variable_with_its_params_key() {
    let help = text(&run(binary(&[]).arg("--help"), "").stdout);
    for d in workflow_registry::config::DEFINITIONS {
        if let Some(env) = d.env {
            assert!(help.contains(env), "{env} missing from --help");
        }
        for key in d.params.iter().chain(d.values).chain(d.drycc) {
            assert!(help.contains(key), "{key} missing from --help");
        }
    }
    for location in common::LOCATIONS {
        assert!(help.contains(&format!("# {location}")), "no example for {location}");
    }
}

#[test]
fn version_and_completions() {
    let v = run(binary(&[]).arg("--version"), "");
    assert_eq!(
        text(&v.stdout).trim(),
        format!("workflow-registry {}", env!("CARGO_PKG_VERSION"))
    );
    for shell in ["bash", "zsh", "fish"] {
        let out = run(binary(&[]).args(["completions", shell]), "");
        assert!(out.status.success(), "{shell}");
        assert!(text(&out.stdout).contains("keep-on-cluster-registry"), "{shell}");
    }
}

#[test]
fn namespace_target_select_and_keep_flags() {
    let env = location_env("ecr");
    let app = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: my-builder\n  labels: {app: mine}\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n      - name: side\n";
    let registry = "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: deis-registry\n";
    let input = format!("{BUILDER}{app}{registry}");

    // The builder without a namespace (the release's): `--namespace wf` names
    // it. (A builder in another explicit namespace than the one given is a
    // configuration error: nothing would be configured.)
    let unplaced = format!("{}{app}{registry}", BUILDER.replace("  namespace: deis\n", ""));
    let out = run(
        binary(&env).args(["--namespace", "wf", "--target", "Deployment/my-builder/side"]),
        &unplaced,
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("namespace: wf"), "generated documents use --namespace");
    assert!(
        stdout.contains(
            "      - name: side\n        env:\n        - name: DEIS_REGISTRY_LOCATION\n          value: ecr\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("      - name: main\n      - name: side"),
        "main is not a target"
    );
    assert!(!stdout.contains("deis-registry\n"), "on-cluster registry removed");

    let out = run(
        binary(&env).args([
            "--select",
            "$[?@.metadata.labels.app == 'mine']",
            "--keep-on-cluster-registry",
        ]),
        &input,
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.matches("value: \"ecr\"").count(),
        1,
        "the builder keeps its double quotes"
    );
    assert_eq!(
        stdout.matches("value: ecr\n").count(),
        2 + 1,
        "both selected containers, the refresher"
    );

    assert!(
        stdout.contains("name: deis-registry\n"),
        "kept with --keep-on-cluster-registry"
    );

    let out = run(binary(&env).args(["--target", "Deployment/nope"]), &input);
    assert!(text(&out.stderr).contains("--target Deployment/nope matched no container"));
}

#[test]
fn helm4_hooks_only_stream_gets_no_additions() {
    let hook = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install\nspec:\n  template:\n    spec:\n      containers:\n      - name: deis-controller\n";
    let out = run(&mut binary(&location_env("gcr")), hook);
    let stdout = text(&out.stdout);
    assert!(out.status.success());
    assert!(
        !stdout.contains("registry-secret") && !stdout.contains("kind: ClusterRole"),
        "{stdout}"
    );
    assert!(stdout.contains("value: gcr"), "hooks are still configured");
}

const RESOURCE_LIST: &str = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: deis-builder # the builder\n    namespace: deis\n  spec:\n    template:\n      spec:\n        containers:\n        - name: deis-builder\n          env:\n          - {name: FLAG, value: \"yes\"}\nfunctionConfig:\n  apiVersion: registry.deis.io/v1alpha1\n  kind: WorkflowRegistry\n  metadata: {name: r}\n  spec: {registry_location: LOCATION}\n";

#[test]
fn krm_mode_answers_a_resource_list_with_results() {
    let out = run(
        &mut binary(&location_env("gcr")[1..]),
        &RESOURCE_LIST.replace("LOCATION", "gcr"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: apps/v1\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    name: deis-builder # the builder\n"),
        "comments survive"
    );
    assert!(
        stdout.contains("          - {name: FLAG, value: \"yes\"}\n          - name: DEIS_REGISTRY_LOCATION\n            value: gcr\n"),
        "{stdout}"
    );

    assert!(
        stdout.contains("  kind: Secret\n") && stdout.contains("results:\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("severity: warning") && stdout.contains("severity: info"),
        "{stdout}"
    );

    // A bad function config: items come back unchanged, an error result, non-zero exit.
    let out = run(&mut binary(&[]), &RESOURCE_LIST.replace("LOCATION", "gcs"));
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("- apiVersion: apps/v1\n") && stdout.contains("severity: error"),
        "{stdout}"
    );
    assert!(
        stdout.contains("function config registry_location: found \\\"gcs\\\""),
        "{stdout}"
    );
    assert!(!stdout.contains("items: []"));
}

#[test]
fn legacy_exec_plugin_is_detected_from_argv1_and_kustomize_env() {
    let dir = std::env::temp_dir().join(format!("wr-legacy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("kust-plugin-config-1");
    std::fs::write(&config, "apiVersion: registry.deis.io/v1alpha1\nkind: WorkflowRegistry\nmetadata:\n  name: r\nspec:\n  registry_location: ecr\n  targets: [Deployment/app]\n").unwrap();
    let app = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n      containers: [{name: a}]\n";
    let mut env = vec![("KUSTOMIZE_PLUGIN_CONFIG_ROOT", dir.display().to_string())];
    env.extend(location_env("ecr").into_iter().skip(1));
    let out = run(binary(&env).arg(&config), &format!("{BUILDER}{app}"));
    // Blank counts as unset, as for every variable: no kustomize call, so
    // the path is a stray argument.
    env[0].1 = " ".into();
    let blank = run(binary(&env).arg(&config), &format!("{BUILDER}{app}"));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(blank.status.code(), Some(2), "{}", text(&blank.stderr));
    assert!(blank.stdout.is_empty() && text(&blank.stderr).contains("unrecognized subcommand"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("value: \"ecr\""),
        "location from the config file: {stdout}"
    );
    assert!(
        stdout.contains("containers: [{name: a, env: [{name: DEIS_REGISTRY_LOCATION, value: ecr}"),
        "targets from the config file: {stdout}"
    );
}

/// A blank flag counts as unset, as every blank value does: a Helm
/// `--post-renderer-args=--location=$LOC` with `LOC` empty falls back to
/// the environment; an unknown location is still refused with the choices.
#[test]
fn a_blank_location_flag_counts_as_unset() {
    let env = location_env("ecr");
    for blank in ["", " "] {
        let out = run(binary(&env).arg(format!("--location={blank}")).arg("check"), "");
        assert!(out.status.success(), "{blank:?}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("valid for ecr"), "{}", text(&out.stdout));
        let filtered = run(binary(&env).arg(format!("--location={blank}")), BUILDER);
        assert!(filtered.status.success(), "{blank:?}: {}", text(&filtered.stderr));
    }
    let out = run(binary(&env).arg("--location=gcs"), BUILDER);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty() && text(&out.stderr).contains("possible values: on-cluster, off-cluster, ecr, gcr"));
}

/// kustomize passes a legacy exec plugin the config object's `argsOneLiner`
/// after its path: the package wrote them, so they are no flags (they could
/// lift the load restrictor, replace the input or plant a log file).
#[test]
fn the_packages_arguments_to_a_legacy_exec_plugin_are_ignored() {
    let dir = std::env::temp_dir().join(format!("wr-legacy-args-{}", std::process::id()));
    let root = dir.join("kustomization");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(dir.join("outside.json"), "{}").unwrap();
    let outside = dir.join("outside.yaml");
    std::fs::write(&outside, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: outside}\n").unwrap();
    let config = root.join("kust-plugin-config-1");
    std::fs::write(
        &config,
        "apiVersion: registry.deis.io/v1alpha1\nkind: WorkflowRegistry\nmetadata:\n  name: r\n\
         argsOneLiner: --load-restrictor none\nspec:\n  registry_location: gcr\n  gcr: {key_json: \"@../outside.json\"}\n",
    )
    .unwrap();
    let env = vec![("KUSTOMIZE_PLUGIN_CONFIG_ROOT", root.display().to_string())];
    let lifted = run(binary(&env).arg(&config).args(["--load-restrictor", "none"]), BUILDER);
    let log = dir.join("planted.log");
    let plain = root.join("kust-plugin-config-2");
    let off_cluster = "apiVersion: registry.deis.io/v1alpha1\nkind: WorkflowRegistry\nmetadata:\n  name: r\n\
                       spec:\n  registry_location: off-cluster\n";
    std::fs::write(&plain, off_cluster).unwrap();
    let elsewhere = run(
        binary(&location_env("off-cluster"))
            .env("KUSTOMIZE_PLUGIN_CONFIG_ROOT", &root)
            .arg(&plain)
            .args([
                "-f".as_ref(),
                outside.as_os_str(),
                "--log-file".as_ref(),
                log.as_os_str(),
            ]),
        BUILDER,
    );
    let planted = log.exists();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(lifted.status.code(), Some(2), "{}", text(&lifted.stderr));
    assert!(
        text(&lifted.stderr).contains("refused to read"),
        "{}",
        text(&lifted.stderr)
    );
    // The input is standard input, not the package's file, and no log is written.
    assert!(elsewhere.status.success(), "{}", text(&elsewhere.stderr));
    let out = text(&elsewhere.stdout);
    assert!(out.contains("deis-builder") && !out.contains("name: outside"), "{out}");
    assert!(!planted);
}

/// Ask bash's own completion machinery what it offers for `line` (the word
/// being completed is the last one, possibly empty): source the script, then
/// call the function `complete -p` registered, as bash does on TAB.
fn bash_completes(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        r#"source '{}'
spec="$(complete -p workflow-registry)" || exit 3
fn="$(sed -E 's/.*-F ([^ ]+).*/\1/' <<<"$spec")"
COMP_WORDS=({})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
COMPREPLY=()
"$fn" workflow-registry "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script.display(),
        quoted.join(" ")
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .unwrap();
    assert!(out.status.success(), "bash: {}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completion_completes_subcommands_and_their_flags_in_a_real_bash() {
    let out = run(binary(&[]).args(["completions", "bash"]), "");
    assert!(out.status.success());
    let dir = common::scratch("completion");
    let script = dir.join("workflow-registry.bash");
    std::fs::write(&script, &out.stdout).unwrap();

    assert_eq!(bash_completes(&script, &["workflow-registry", "ch"]), ["check"]);
    assert_eq!(bash_completes(&script, &["workflow-registry", "comp"]), ["completions"]);
    // A subcommand's own flags: what clap_complete's case labels broke.
    assert_eq!(
        bash_completes(&script, &["workflow-registry", "check", "--pa"]),
        ["--params"]
    );
    let flags = bash_completes(&script, &["workflow-registry", "check", "--"]);
    assert!(flags.contains(&"--location".to_owned()), "{flags:?}");
    assert!(
        !flags.contains(&"--verbose".to_owned()),
        "check has no --verbose: {flags:?}"
    );
    // A subcommand's flag values and arguments.
    assert_eq!(
        bash_completes(&script, &["workflow-registry", "check", "--location", "e"]),
        ["ecr"]
    );
    assert_eq!(
        bash_completes(&script, &["workflow-registry", "completions", "z"]),
        ["zsh"]
    );
    // The top level still completes its own flags.
    assert_eq!(
        bash_completes(&script, &["workflow-registry", "--keep"]),
        ["--keep-on-cluster-registry"]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn dash_f_dash_reads_standard_input() {
    let env = location_env("off-cluster");
    let from_stdin = run(&mut binary(&env), &example());
    let dash = run(binary(&env).args(["-f", "-"]), &example());
    assert!(dash.status.success(), "{}", text(&dash.stderr));
    assert_eq!(text(&dash.stdout), text(&from_stdin.stdout));
    assert!(text(&dash.stdout).contains("name: registry-secret"));
}

#[test]
fn options_before_the_subcommand_work() {
    let dir = common::scratch("options-first");
    let params = dir.join("params.toml");
    std::fs::write(&params, "registry_location = \"ecr\"\n[ecr]\nregion = \"eu-west-1\"\n").unwrap();
    let before = run(binary(&[]).arg("--params").arg(&params).arg("check"), "");
    let after = run(binary(&[]).arg("check").arg("--params").arg(&params), "");
    assert!(after.status.success(), "{}", text(&after.stderr));
    assert!(before.status.success(), "{}", text(&before.stderr));
    assert_eq!(text(&before.stdout), text(&after.stdout));
    assert!(
        text(&before.stdout).contains("valid for ecr"),
        "{}",
        text(&before.stdout)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_bare_run_at_a_terminal_prints_a_usage_hint_and_exits_2() {
    // util-linux `script` gives the binary a pseudo-terminal as standard input.
    let Some(script) = common::tool_on_path("script") else {
        return;
    };
    let command = format!("{}; echo \"exit=$?\"", env!("CARGO_BIN_EXE_workflow-registry"));
    let mut child = std::process::Command::new(script)
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    // Were the binary to wait for input, this bounds the test: close the
    // terminal after a while (an EOF at the terminal ends the read).
    let closer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(20));
        drop(stdin);
    });
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    let said = text(&out.stdout);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "it waited for input at a terminal: {said}"
    );
    assert!(said.contains("exit=2"), "{said}");
    assert!(
        said.contains("standard input is a terminal") && said.contains("-f rendered.yaml"),
        "{said}"
    );
    drop(closer);
}
