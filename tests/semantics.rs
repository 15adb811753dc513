//! The rules of the transform, one test each, on small manifests whose
//! expectations come from the manifests themselves (decoded by Kubernetes'
//! own decoder, the k8sjson peer). docs/semantics.md states each rule.

mod common;

use std::path::PathBuf;

use common::{binary, location_env, run, settings, settings_from, text};
use serde_json::Value as Json;
use workflow_registry::transform::{self, Error, Options, Step};

fn k8sjson() -> Option<PathBuf> {
    common::peer("k8sjson")
}

/// Each document as Kubernetes decodes it, keyed kind/namespace/name.
fn decoded(k8sjson: &std::path::Path, yaml: &str) -> Vec<(String, Json)> {
    common::k8s_decode(k8sjson, yaml)
}

fn get<'v>(docs: &'v [(String, Json)], key: &str) -> Option<&'v Json> {
    docs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn count(docs: &[(String, Json)], kind_name: (&str, &str)) -> usize {
    docs.iter()
        .filter(|(_, v)| v["kind"] == kind_name.0 && v["metadata"]["name"] == kind_name.1)
        .count()
}

fn env_of(doc: &Json, container: &str) -> Vec<(String, Json)> {
    let spec = &doc["spec"]["template"]["spec"];
    spec["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(spec["initContainers"].as_array().into_iter().flatten())
        .filter(|c| c["name"] == container)
        .flat_map(|c| c["env"].as_array().cloned().unwrap_or_default())
        .map(|e| (e["name"].as_str().unwrap_or("").to_owned(), e["value"].clone()))
        .collect()
}

fn var(doc: &Json, container: &str, name: &str) -> Option<Json> {
    env_of(doc, container)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// A Workflow workload Deployment with one registry-consuming container.
fn workload(name: &str, namespace: Option<&str>, image: &str, prefix: &str) -> String {
    let ns = namespace.map_or(String::new(), |n| format!("  namespace: {n}\n"));
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{ns}spec:\n  template:\n    spec:\n      containers:\n      - name: {name}\n        image: {image}\n        env:\n        - name: DEIS_REGISTRY_LOCATION\n          value: \"on-cluster\"\n        - name: DEIS_REGISTRY_SECRET_PREFIX\n          value: \"{prefix}\"\n"
    )
}

fn workflow(namespace: Option<&str>) -> String {
    workload("deis-builder", namespace, "hephy/builder:v2.13.7", "private-registry")
        + &workload(
            "deis-controller",
            namespace,
            "quay.io/hephy/controller:v2.22.0",
            "private-registry",
        )
}

fn deis_workflow(namespace: Option<&str>) -> String {
    workload(
        "deis-builder",
        namespace,
        "quay.io/deis/builder:v2.13.4",
        "private-registry",
    ) + &workload(
        "deis-controller",
        namespace,
        "quay.io/deis/controller:v2.18.0",
        "private-registry",
    )
}

fn registry(namespace: Option<&str>) -> String {
    let ns = namespace.map_or(String::new(), |n| format!("  namespace: {n}\n"));
    format!(
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: deis-registry\n{ns}spec:\n  ports: [{{port: 80}}]\n"
    )
}

fn refresher(namespace: Option<&str>, containers: &str) -> String {
    let ns = namespace.map_or(String::new(), |n| format!("  namespace: {n}\n"));
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-registry-token-refresher\n{ns}spec:\n  template:\n    spec:\n      containers:\n{containers}"
    )
}

fn ns(namespace: &str) -> Options {
    Options::in_namespace(namespace)
}

fn ok(input: &str, location: &str, options: &Options) -> String {
    transform::run(input, &settings(location), options)
        .unwrap_or_else(|e| panic!("{location}: {e}\n{input}"))
        .text()
}

// ---- Namespace discovery ----

#[test]
fn namespace_from_the_environment_flag_first_then_workflow_registry_namespace_then_helm_namespace() {
    let input = workflow(None);
    type Case<'c> = (&'c [(&'static str, &'c str)], &'c [&'c str], &'c str, &'c str);
    let cases: [Case<'_>; 4] = [
        (
            &[("WORKFLOW_REGISTRY_NAMESPACE", "wf"), ("HELM_NAMESPACE", "helm")],
            &[],
            "wf",
            "WORKFLOW_REGISTRY_NAMESPACE",
        ),
        (&[("HELM_NAMESPACE", "helm")], &[], "helm", "HELM_NAMESPACE"),
        (
            &[("WORKFLOW_REGISTRY_NAMESPACE", ""), ("HELM_NAMESPACE", "helm")],
            &[],
            "helm",
            "HELM_NAMESPACE",
        ),
        (
            &[("WORKFLOW_REGISTRY_NAMESPACE", "wf")],
            &["--namespace", "flag"],
            "flag",
            "--namespace",
        ),
    ];
    for (extra, args, expected, origin) in cases {
        let mut env = location_env("gcr");
        env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let out = run(binary(&env).args(args).arg("--verbose"), &input);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{extra:?}: {}", text(&out.stderr));
        assert!(
            stdout.contains(&format!("  namespace: {expected}\n")),
            "{extra:?}: generated documents go to {expected}:\n{stdout}"
        );
        assert!(
            text(&out.stderr).contains(&format!("namespace {expected} (from {origin})")),
            "{extra:?}: --verbose names the source:\n{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn unknown_namespace_with_ecr_or_gcr_is_exit_2_saying_how_to_pass_it() {
    for location in ["ecr", "gcr"] {
        let out = run(&mut binary(&location_env(location)), &workflow(None));
        assert_eq!(out.status.code(), Some(2), "{location}");
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        assert!(
            err.contains("WORKFLOW_REGISTRY_NAMESPACE") && err.contains("--namespace"),
            "{err}"
        );
        assert!(!err.contains("\"deis\""), "never guesses deis: {err}");
    }
    // off-cluster needs no namespace: generated documents carry none (Helm fills it).
    let out = ok(&workflow(None), "off-cluster", &Options::default());
    assert!(!out.contains("namespace:"), "{out}");
}

#[test]
fn namespace_is_validated_as_a_dns_label() {
    for bad in ["Deis", "-deis", "de_is", "a.b"] {
        let out = run(binary(&location_env("gcr")).args(["--namespace", bad]), &workflow(None));
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(out.stdout.is_empty());
    }
    let mut env = location_env("gcr");
    env.push(("WORKFLOW_REGISTRY_NAMESPACE", "No Such".into()));
    let out = run(&mut binary(&env), &workflow(None));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("WORKFLOW_REGISTRY_NAMESPACE"));
    // A blank flag is unset, as a blank variable is: the next source decides.
    let mut env = location_env("gcr");
    env.push(("WORKFLOW_REGISTRY_NAMESPACE", "wf".into()));
    let out = run(binary(&env).args(["--namespace", " "]), &workflow(None));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("  namespace: wf\n"));
}

#[test]
fn namespace_comes_from_workflow_workloads_not_from_any_object_of_that_name() {
    let Some(k) = k8sjson() else { return };
    let sa = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: deis-builder\n  namespace: team-a\n";
    let input = format!("{sa}{}{}", workflow(Some("deis")), registry(Some("deis")));
    let out = decoded(&k, &ok(&input, "ecr", &Options::default()));
    assert!(get(&out, "Secret/deis/registry-secret").is_some(), "{out:?}");
    assert!(get(&out, "Deployment/deis/deis-registry-token-refresher").is_some());
    assert!(
        get(&out, "Service/deis/deis-registry").is_none(),
        "the registry in deis is removed"
    );
    assert!(
        get(&out, "ServiceAccount/team-a/deis-builder").is_some(),
        "the foreign one stays"
    );
}

#[test]
fn conflicting_workflow_workloads_are_an_error_whatever_their_order() {
    let a = workload("deis-builder", Some("a"), "x/builder:v1", "p");
    let b = workload("deis-controller", Some("b"), "x/controller:v1", "p");
    for input in [format!("{a}{b}"), format!("{b}{a}")] {
        let out = run(&mut binary(&location_env("off-cluster")), &input);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        assert!(err.contains("\"a\"") && err.contains("\"b\""), "{err}");
    }
}

#[test]
fn namespace_from_the_charts_own_binding_subjects() {
    let Some(k) = k8sjson() else { return };
    let crb = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: \"deis:deis-builder\"\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: \"deis:deis-builder\"}\nsubjects:\n- kind: ServiceAccount\n  name: deis-builder\n  namespace: hephy\n";
    let out = decoded(&k, &ok(&format!("{}{crb}", workflow(None)), "ecr", &Options::default()));
    let binding = get(&out, "ClusterRoleBinding//deis:deis-registry-token-refresher").expect("binding");
    assert_eq!(binding["subjects"][0]["namespace"], "hephy");
    assert!(get(&out, "Secret/hephy/registry-secret").is_some());
}

#[test]
fn null_and_empty_namespaces_mean_no_namespace() {
    for null in ["~", "", "null", "\"\""] {
        let input = workflow(None).replace(
            "  name: deis-builder\n",
            &format!("  name: deis-builder\n  namespace: {null}\n"),
        );
        let out = ok(&input, "gcr", &ns("wf"));
        assert!(!out.contains("\"~\""), "{null}: {out}");
        assert!(out.contains("  namespace: wf\n"), "{null}");
        let out = ok(&input, "off-cluster", &Options::default());
        assert!(
            !out.contains("namespace: \"~\"") && !out.contains("namespace: \"null\""),
            "{null}: {out}"
        );
    }
}

// ---- Workflow's documents only ----

const FOREIGN_SECRET: &str = "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-secret\n  namespace: myapp\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: e30=\n";

#[test]
fn documents_in_another_namespace_are_never_touched_known_or_unknown_namespace() {
    let other = FOREIGN_SECRET.replace("myapp", "other");
    let user_builder = workload("deis-builder", Some("team-a"), "me/builder:v1", "mine");
    for (input, options) in [
        (
            format!(
                "{}{}{FOREIGN_SECRET}{other}",
                workflow(Some("deis")),
                registry(Some("deis"))
            ),
            Options::default(),
        ),
        (
            format!("{}{}{FOREIGN_SECRET}{other}", workflow(None), registry(None)),
            Options::default(),
        ),
        (
            format!(
                "{}{}{FOREIGN_SECRET}{other}{user_builder}",
                workflow(None),
                registry(None)
            ),
            ns("deis"),
        ),
    ] {
        for location in ["on-cluster", "off-cluster", "gcr"] {
            let options = if location == "gcr" && options.context.given.is_none() && !input.contains("namespace: deis")
            {
                ns("deis")
            } else {
                options.clone()
            };
            let out = ok(&input, location, &options);
            for foreign in [FOREIGN_SECRET, other.as_str(), user_builder.as_str()] {
                if input.contains(foreign) {
                    assert!(
                        out.contains(foreign),
                        "{location}: a foreign document changed or vanished:\n{out}"
                    );
                }
            }
        }
    }
}

// ---- The refresher, whole ----

#[test]
fn refresher_container_is_found_by_what_it_is_and_the_configured_image_wins() {
    let Some(k) = k8sjson() else { return };
    let containers = "      - name: sidecar\n        image: envoyproxy/envoy:v1.30\n      - name: refresher\n        image: example.com/ops/registry-token-refresher:v9\n";
    let input = format!("{}{}", deis_workflow(Some("deis")), refresher(Some("deis"), containers));
    let mut env = location_env("ecr");
    env.push((
        "REGISTRY_TOKEN_REFRESHER_IMAGE",
        "example.com/ops/registry-token-refresher:v10".into(),
    ));
    let out = transform::run(&input, &settings_from(&env), &Options::default()).unwrap();
    let docs = decoded(&k, &out.text());
    let r = get(&docs, "Deployment/deis/deis-registry-token-refresher").unwrap();
    let containers = r["spec"]["template"]["spec"]["containers"].as_array().unwrap();
    assert_eq!(
        containers[0],
        serde_json::json!({"name": "sidecar", "image": "envoyproxy/envoy:v1.30"}),
        "the sidecar is untouched"
    );
    assert_eq!(containers[1]["image"], "example.com/ops/registry-token-refresher:v10");
    assert_eq!(var(r, "refresher", "DEIS_REGISTRY_LOCATION"), Some(Json::from("ecr")));
    assert_eq!(
        containers[1]["volumeMounts"][0]["mountPath"],
        "/var/run/secrets/deis/registry/creds"
    );
    assert_eq!(
        r["spec"]["template"]["spec"]["serviceAccountName"],
        "deis-registry-token-refresher"
    );

    // Without a configured image, the input's own stays.
    let out = ok(&input, "ecr", &Options::default());
    assert!(
        out.contains("image: example.com/ops/registry-token-refresher:v9"),
        "{out}"
    );
}

/// Fuzzing found a refresher with two containers that run a refresher
/// image: the first was configured, its new image (another name) no longer
/// marked it, and the next run configured the second. Two containers that
/// each could be the refresher are refused, located; one is configured,
/// and the output is a fixed point.
#[test]
fn two_containers_that_each_could_be_the_refresher_are_refused_and_one_is_a_fixed_point() {
    let stock = "quay.io/deis/registry-token-refresher:v1.1.3";
    let sidecar_with = |extra: &str| {
        format!("      - name: deis-registry-token-refresher\n        image: {stock}\n      - name: sidecar\n{extra}")
    };
    for second in [
        format!("        image: {stock}\n"),
        "        image: busybox:1\n        env: [{name: DEIS_NAMESPACE_REFRESH_TIME, value: \"5\"}]\n".to_owned(),
    ] {
        let input = format!(
            "{}{}",
            deis_workflow(Some("deis")),
            refresher(Some("deis"), &sidecar_with(&second))
        );
        let (code, message) = refusal(&input, "gcr", &Options::default());
        assert_eq!(code, 1, "{message}");
        assert!(
            message.contains("cannot tell which container is the token refresher")
                && message.contains("\"sidecar\"")
                && message.contains("line"),
            "{message}"
        );
    }

    let one = sidecar_with("        image: busybox:1\n");
    let input = format!("{}{}", deis_workflow(Some("deis")), refresher(Some("deis"), &one));
    let mut env = location_env("gcr");
    env.push(("REGISTRY_TOKEN_REFRESHER_IMAGE", "example.com/ops/tokens:v2".into()));
    let settings = settings_from(&env);
    let once = transform::run(&input, &settings, &Options::default()).unwrap().text();
    assert!(
        once.contains("image: \"example.com/ops/tokens:v2\"") || once.contains("image: example.com/ops/tokens:v2"),
        "{once}"
    );
    let twice = transform::run(&once, &settings, &Options::default()).unwrap().text();
    assert_eq!(twice, once, "a second run changes the output");
}

#[test]
fn refresher_image_follows_the_platform() {
    let image_of = |input: &str| {
        let out = ok(input, "gcr", &ns("deis"));
        out.lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("image: ")
                    .filter(|i| i.contains("registry-token-refresher"))
                    .map(|i| i.trim_matches('"').to_owned())
            })
            .unwrap_or_default()
    };
    assert_eq!(image_of(&workflow(None)), "hephy/registry-token-refresher:v1.2.2");
    assert_eq!(
        image_of(&deis_workflow(None)),
        "quay.io/deis/registry-token-refresher:v1.1.3"
    );
    let mut env = location_env("gcr");
    env.push((
        "REGISTRY_TOKEN_REFRESHER_IMAGE",
        "me/registry-token-refresher:v2".into(),
    ));
    let out = transform::run(&workflow(None), &settings_from(&env), &ns("deis"))
        .unwrap()
        .text();
    assert!(
        out.contains("me/registry-token-refresher:v2"),
        "an explicit setting wins:\n{out}"
    );
}

/// The refresher's ClusterRole rules, as it calls the API: list namespaces,
/// create secrets, update only its own.
fn refresher_rules(own_secret: &str) -> Json {
    serde_json::json!([
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": [own_secret], "verbs": ["update"]},
    ])
}

#[test]
fn cluster_role_grants_exactly_what_the_refresher_calls() {
    let Some(k) = k8sjson() else { return };
    let docs = decoded(&k, &ok(&workflow(None), "ecr", &ns("deis")));
    let role = get(&docs, "ClusterRole//deis:deis-registry-token-refresher").unwrap();
    assert_eq!(role["rules"], refresher_rules("private-registry-ecr"));
}

#[test]
fn existing_access_is_brought_up_to_date_and_orphans_of_an_old_namespace_are_removed() {
    let Some(k) = k8sjson() else { return };
    let first = ok(&workflow(None), "ecr", &ns("a"));
    // The same output, now for namespace b and gcr.
    let second = ok(&first, "gcr", &ns("b"));
    let docs = decoded(&k, &second);
    let binding = get(&docs, "ClusterRoleBinding//deis:deis-registry-token-refresher").unwrap();
    assert_eq!(binding["subjects"][0]["namespace"], "b");
    let role = get(&docs, "ClusterRole//deis:deis-registry-token-refresher").unwrap();
    assert_eq!(
        role["rules"][2]["resourceNames"],
        serde_json::json!(["private-registry-gcr"])
    );
    for gone in [
        "ServiceAccount/a/deis-registry-token-refresher",
        "Deployment/a/deis-registry-token-refresher",
        "Secret/a/registry-secret",
    ] {
        assert!(get(&docs, gone).is_none(), "{gone} is an orphan:\n{second}");
    }
    for present in [
        "ServiceAccount/b/deis-registry-token-refresher",
        "Deployment/b/deis-registry-token-refresher",
        "Secret/b/registry-secret",
    ] {
        assert_eq!(
            docs.iter().filter(|(key, _)| key == present).count(),
            1,
            "{present}:\n{second}"
        );
    }
    // A third run changes nothing, also without the flag: the generated
    // documents say where Workflow runs.
    assert_eq!(ok(&second, "gcr", &ns("b")), second);
    assert_eq!(ok(&second, "gcr", &Options::default()), second);
}

#[test]
fn hooks_only_pass_and_manifest_pass_give_one_secret_and_one_refresher() {
    let Some(k) = k8sjson() else { return };
    let hook = "  annotations:\n    helm.sh/hook: pre-install\n";
    let secret = format!(
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-secret\n{hook}type: Opaque\ndata:\n  hostname: \"\"\n"
    );
    let hook_refresher = refresher(
        None,
        "      - name: deis-registry-token-refresher\n        image: hephy/registry-token-refresher:v1.2.2\n",
    )
    .replace(
        "  name: deis-registry-token-refresher\nspec",
        &format!("  name: deis-registry-token-refresher\n{hook}spec"),
    );
    let hooks = format!("{secret}{hook_refresher}");
    for location in ["off-cluster", "ecr"] {
        // Helm 4 `separate`: the hooks alone, then the manifests alone.
        let hooks_out = ok(&hooks, location, &ns("deis"));
        let manifests_out = ok(&workflow(None), location, &ns("deis"));
        let release = decoded(&k, &format!("{hooks_out}{manifests_out}"));
        assert_eq!(count(&release, ("Secret", "registry-secret")), 1, "{location} separate");
        let refreshers = count(&release, ("Deployment", "deis-registry-token-refresher"));
        assert_eq!(refreshers, usize::from(location == "ecr"), "{location} separate");
        // `combined`: one stream.
        let combined = decoded(&k, &ok(&format!("{hooks}{}", workflow(None)), location, &ns("deis")));
        assert_eq!(
            count(&combined, ("Secret", "registry-secret")),
            1,
            "{location} combined"
        );
        assert_eq!(
            count(&combined, ("Deployment", "deis-registry-token-refresher")),
            usize::from(location == "ecr"),
            "{location} combined"
        );
    }
}

// ---- Refresh time ----

#[test]
fn refresh_time_with_a_stock_refresher_is_exit_2_citing_the_code() {
    for image in [
        "",
        "quay.io/deis/registry-token-refresher:v1.0.0",
        "deis/registry-token-refresher:v1.1.3",
        "hephy/registry-token-refresher:v1.2.2",
    ] {
        let mut env = location_env("ecr");
        env.push(("DEIS_TOKEN_REFRESH_TIME", "30".into()));
        if !image.is_empty() {
            env.push(("REGISTRY_TOKEN_REFRESHER_IMAGE", image.into()));
        }
        let out = run(binary(&env).args(["--namespace", "deis"]), &workflow(None));
        assert_eq!(out.status.code(), Some(2), "{image}");
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        for cite in ["pkg/config.go", "GetRefreshTime", "int64", ".(int)"] {
            assert!(err.contains(cite), "{image}: {cite} in {err}");
        }
    }
    // Another image: a warning, and the value is written.
    let mut env = location_env("ecr");
    env.push(("DEIS_TOKEN_REFRESH_TIME", "30".into()));
    env.push((
        "REGISTRY_TOKEN_REFRESHER_IMAGE",
        "me/registry-token-refresher:fixed".into(),
    ));
    let out = run(binary(&env).args(["--namespace", "deis"]), &workflow(None));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("DEIS_TOKEN_REFRESH_TIME=30"));
    assert!(text(&out.stdout).contains("value: \"30\""));
}

#[test]
fn the_image_that_counts_is_the_one_the_output_runs() {
    let theirs = refresher(
        None,
        "      - name: deis-registry-token-refresher\n        image: me/registry-token-refresher:fixed\n        env:\n        - name: DEIS_TOKEN_REFRESH_TIME\n          value: \"30\"\n",
    );
    // The input's refresher is not stock: its refresh time stands, with a warning.
    let input = format!("{}{theirs}", workflow(None));
    let out = transform::run(&input, &settings("gcr"), &ns("deis")).unwrap();
    assert!(out.text().contains("value: \"30\""), "the chart's refresh time stands");
    assert!(out
        .report()
        .warnings
        .iter()
        .any(|w| w.contains("DEIS_TOKEN_REFRESH_TIME=30")));
    // A stock image with the chart's refresh time would panic: refused.
    let stock = theirs.replace(
        "me/registry-token-refresher:fixed",
        "hephy/registry-token-refresher:v1.2.2",
    );
    let e = transform::run(&format!("{}{stock}", workflow(None)), &settings("gcr"), &ns("deis")).unwrap_err();
    assert!(matches!(e, Error::Input(_)) && e.to_string().contains("line"), "{e}");
}

// ---- Presence of Workflow ----

#[test]
fn on_cluster_without_a_registry_is_exit_2_explaining_how_to_re_render() {
    let out = run(&mut binary(&location_env("on-cluster")), &workflow(Some("deis")));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("global.registry_location"),
        "{}",
        text(&out.stderr)
    );
    let with_registry = format!("{}{}", workflow(Some("deis")), registry(Some("deis")));
    assert!(run(&mut binary(&location_env("on-cluster")), &with_registry)
        .status
        .success());
}

#[test]
fn input_without_workflow_warns_and_gets_no_secret_and_empty_input_writes_nothing() {
    let app = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata: {a: b}\n";
    let out = run(&mut binary(&location_env("off-cluster")), app);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), app);
    assert!(
        text(&out.stderr).contains("holds no platform this tool knows"),
        "{}",
        text(&out.stderr)
    );
    for empty in ["", "---\n", "\n\n"] {
        let out = run(&mut binary(&location_env("gcr")), empty);
        assert!(out.status.success(), "{empty:?}");
        assert!(out.stdout.is_empty(), "{empty:?}: {}", text(&out.stdout));
        assert!(text(&out.stderr).contains("input was empty"), "{empty:?}");
    }
}

// ---- The chart's settings stand ----

#[test]
fn the_charts_secret_prefix_stands_unless_the_operator_sets_one() {
    let Some(k) = k8sjson() else { return };
    let acme = workflow(None).replace("private-registry", "acme");
    let docs = decoded(&k, &ok(&acme, "ecr", &ns("deis")));
    let builder = get(&docs, "Deployment/deis/deis-builder")
        .or_else(|| get(&docs, "Deployment//deis-builder"))
        .unwrap();
    assert_eq!(
        var(builder, "deis-builder", "DEIS_REGISTRY_SECRET_PREFIX"),
        Some(Json::from("acme"))
    );
    let r = get(&docs, "Deployment/deis/deis-registry-token-refresher").unwrap();
    assert_eq!(
        var(r, "deis-registry-token-refresher", "DEIS_REGISTRY_SECRET_PREFIX"),
        Some(Json::from("acme"))
    );
    let role = get(&docs, "ClusterRole//deis:deis-registry-token-refresher").unwrap();
    assert_eq!(role["rules"][2]["resourceNames"], serde_json::json!(["acme-ecr"]));
    // The run is a no-op on the chart's own settings for its own location.
    let out = transform::run(&acme, &settings("off-cluster"), &Options::default()).unwrap();
    assert!(out.text().contains("value: \"acme\""));

    // A configured prefix wins, and --verbose says it replaced the chart's.
    let env = location_env("off-cluster");
    let out = run(binary(&env).args(["--secret-prefix", "corp", "--verbose"]), &acme);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("value: \"corp\"") && !text(&out.stdout).contains("acme"));
    assert!(
        text(&out.stderr).contains("replaced the chart's acme")
            && text(&out.stderr).contains("workflow-registry: plan")
            && text(&out.stderr)
                .contains("env DEIS_REGISTRY_LOCATION=\"off-cluster\", DEIS_REGISTRY_SECRET_PREFIX=\"corp\""),
        "{}",
        text(&out.stderr)
    );
}

// ---- Selectors ----

#[test]
fn a_select_that_matches_nothing_warns() {
    let out = run(
        binary(&location_env("off-cluster")).args(["--select", "$[?@.metadata.name == 'nothing']"]),
        &workflow(Some("deis")),
    );
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("--select matched no object"),
        "{}",
        text(&out.stderr)
    );
}

// ---- The plan is data ----

#[test]
fn the_plan_lists_one_step_per_document_and_only_real_changes() {
    let input = format!("{}{}", workflow(Some("deis")), registry(Some("deis")));
    let out = transform::run(&input, &settings("off-cluster"), &Options::default()).unwrap();
    let kinds: Vec<&str> = out
        .plan
        .changes
        .iter()
        .map(|c| match c.step {
            Step::Remove(_) => "remove",
            Step::Rewrite(_) => "rewrite",
        })
        .collect();
    assert_eq!(kinds, ["rewrite", "rewrite", "remove"]);
    assert_eq!(out.plan.additions.len(), 1);
    let first = out.text();
    let again = transform::run(&first, &settings("off-cluster"), &Options::default()).unwrap();
    assert!(again.plan.changes.is_empty(), "{}", again.plan);
    assert!(again.plan.additions.is_empty());
}

// ---- Meaning through aliases, duplicates and YAML 1.1 types (wave 2) ----

/// The transform's refusal, as the exit status the binary ends with.
fn refusal(input: &str, location: &str, options: &Options) -> (i32, String) {
    match transform::run(input, &settings(location), options) {
        Ok(out) => panic!("{location}: configured, but must refuse:\n{}", out.text()),
        Err(e @ Error::Input(_)) => (1, e.to_string()),
        Err(e @ Error::Config(_)) => (2, e.to_string()),
    }
}

/// Workflow plus `extra`, configured for gcr: refused with exit 1, at a
/// line, naming the merge key that hides what the tree would read.
fn assert_refused_for_a_merge_key(extra: &str) {
    let (code, message) = refusal(&(workflow(Some("deis")) + extra), "gcr", &Options::default());
    assert_eq!(code, 1, "{message}");
    assert!(message.contains("merge key") && message.contains("line"), "{message}");
}

#[test]
fn a_container_named_through_an_alias_is_configured() {
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: &n deis-builder\nspec:\n  template:\n    spec:\n      containers:\n      - name: *n\n        image: hephy/builder:v2.13.7\n";
    let out = ok(input, "off-cluster", &Options::default());
    assert!(out.contains("DEIS_REGISTRY_LOCATION"), "{out}");
    let Some(k) = k8sjson() else { return };
    let docs = decoded(&k, &out);
    let builder = get(&docs, "Deployment//deis-builder").expect("the builder");
    assert_eq!(
        var(builder, "deis-builder", "DEIS_REGISTRY_LOCATION"),
        Some("off-cluster".into())
    );
}

#[test]
fn a_container_or_env_list_behind_a_collection_alias_or_merge_key_is_refused_located() {
    let head =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\nspec:\n  template:\n    spec:\n";
    for body in [
        "      initContainers: [&c {name: deis-builder, image: x}]\n      containers: [*c]\n",
        "      containers:\n      - name: a\n        env: &e [{name: X, value: y}]\n      - name: deis-builder\n        env: *e\n",
    ] {
        let (code, message) = refusal(&format!("{head}{body}"), "off-cluster", &Options::default());
        assert_eq!(code, 1, "{body}: {message}");
        assert!(message.contains("document 0") && message.contains("line"), "{message}");
    }
    // A container whose name a merge key gives is read as Kubernetes reads
    // it, and its own `env` can be written beside the merge key.
    let merged = format!("{head}      containers:\n      - <<: {{name: deis-builder}}\n        image: x\n");
    let out = ok(&merged, "off-cluster", &Options::default());
    let Some(k) = k8sjson() else { return };
    let docs = decoded(&k, &out);
    let builder = get(&docs, "Deployment//deis-builder").expect("the builder");
    assert_eq!(
        var(builder, "deis-builder", "DEIS_REGISTRY_LOCATION"),
        Some("off-cluster".into())
    );
}

#[test]
fn a_workload_without_namespace_next_to_one_with_a_namespace_is_exit_1() {
    let input =
        workload("deis-builder", None, "x/builder:v1", "p") + &workload("deis-controller", Some("deis"), "x/c:v1", "p");
    let (code, message) = refusal(&input, "off-cluster", &Options::default());
    assert_eq!(code, 1, "{message}");
}

#[test]
fn a_namespace_no_workload_stands_in_is_exit_2() {
    let (code, message) = refusal(&workflow(Some("deis")), "off-cluster", &ns("other"));
    assert_eq!(code, 2, "{message}");
    assert!(message.contains("\"other\""), "{message}");
}

#[test]
fn the_charts_prefix_counts_only_when_it_decodes_as_a_string() {
    // `value: 0644` is the number 420 to Kubernetes: no prefix of the chart's.
    let input = workload("deis-builder", None, "x/builder:v1", "p").replace("value: \"p\"", "value: 0644");
    let out = ok(&input, "off-cluster", &Options::default());
    assert!(
        out.contains("value: private-registry") || out.contains("value: \"private-registry\""),
        "{out}"
    );
    let input = workload("deis-builder", None, "x/builder:v1", "p").replace("value: \"p\"", "value: '0644'");
    let out = ok(&input, "off-cluster", &Options::default());
    assert!(!out.contains("private-registry"), "{out}");
}

#[test]
fn an_ambiguous_refresher_is_exit_1_even_while_the_namespace_is_unknown() {
    let containers = "      - {name: a, image: x/a:v1}\n      - {name: b, image: x/b:v1}\n";
    let (code, message) = refusal(&refresher(None, containers), "ecr", &Options::default());
    assert_eq!(code, 1, "{message}");
}

// ---- Found by cargo mutants (docs/mutation-testing.md) ----

#[test]
fn on_cluster_removes_an_input_registry_secret_of_workflow() {
    // On-cluster needs no registry credentials: Workflow's own
    // registry-secret in the input is dropped, not kept or rewritten.
    let secret = "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-secret\n  namespace: deis\ntype: Opaque\ndata:\n  hostname: eA==\n";
    let input = format!("{}{}{secret}", workflow(Some("deis")), registry(Some("deis")));
    let out = ok(&input, "on-cluster", &Options::default());
    assert!(!out.contains("kind: Secret"), "{out}");
    assert!(out.contains("name: deis-registry\n"), "the registry stays:\n{out}");
}

#[test]
fn a_foreign_documents_secret_prefix_does_not_change_workflows_output() {
    // Another namespace's deis-builder is not Workflow's: its
    // DEIS_REGISTRY_SECRET_PREFIX must not take part in choosing the prefix.
    let foreign = workload("deis-builder", Some("team-a"), "hephy/builder:v2.13.7", "other-prefix");
    let mine = workload("deis-builder", Some("deis"), "hephy/builder:v2.13.7", "mine")
        + &workload("deis-controller", Some("deis"), "hephy/controller:v2.22.0", "mine");
    for location in ["off-cluster", "gcr", "ecr"] {
        let alone = ok(&mine, location, &ns("deis"));
        let with_foreign = ok(&(mine.clone() + &foreign), location, &ns("deis"));
        assert!(
            with_foreign.contains(&foreign),
            "the foreign document is kept as it was:\n{with_foreign}"
        );
        assert_eq!(with_foreign.replace(&foreign, ""), alone, "{location}");
    }
}

#[test]
fn the_refreshers_registry_secret_mount_is_made_read_only() {
    // The refresher mounts registry-secret read-only: an input
    // mount of it with `readOnly: false` is corrected, not taken as done.
    let containers = "      - name: deis-registry-token-refresher\n        image: x\n        volumeMounts:\n        - name: registry-secret\n          mountPath: /var/run/secrets/deis/registry/creds\n          readOnly: false\n";
    let input = workflow(Some("deis")) + &refresher(Some("deis"), containers);
    let out = ok(&input, "ecr", &Options::default());
    assert!(!out.contains("readOnly: false"), "{out}");
    assert!(out.contains("readOnly: true"), "{out}");
}

#[test]
fn a_block_scalar_location_under_crlf_line_ends_is_replaced() {
    // The editor finds a block scalar's `|` header across CRLF line ends.
    let Some(k) = k8sjson() else { return };
    let input = workflow(Some("deis"))
        .replace("value: \"on-cluster\"\n", "value: |\n            on-cluster\n")
        .replace('\n', "\r\n");
    let out = decoded(&k, &ok(&input, "gcr", &Options::default()));
    for name in ["deis-builder", "deis-controller"] {
        let doc = get(&out, &format!("Deployment/deis/{name}")).expect(name);
        assert_eq!(
            var(doc, name, "DEIS_REGISTRY_LOCATION"),
            Some(Json::from("gcr")),
            "{out:?}"
        );
    }
}

#[test]
fn a_chart_prefix_written_with_an_unresolved_or_binary_tag_reads_as_kubernetes_reads_it() {
    // go-yaml leaves a core tag it cannot resolve (`!!pt`) as the text, and
    // decodes `!!binary` to its bytes: both prefixes below are "acme" to
    // Kubernetes, so "acme" is the chart's prefix that stands (found by the
    // filter fuzz target, 2026-11-30).
    let Some(k) = k8sjson() else { return };
    let input = workload("deis-builder", Some("deis"), "hephy/builder:v2.13.7", "acme")
        .replace("value: \"acme\"", "value: !!pt acme")
        + &workload("deis-controller", Some("deis"), "hephy/controller:v2.22.0", "acme")
            .replace("value: \"acme\"", "value: !!binary YWNtZQ==");
    let before = decoded(&k, &input);
    for name in ["deis-builder", "deis-controller"] {
        let doc = get(&before, &format!("Deployment/deis/{name}")).expect(name);
        assert_eq!(
            var(doc, name, "DEIS_REGISTRY_SECRET_PREFIX"),
            Some(Json::from("acme")),
            "input {name}"
        );
    }
    for location in ["off-cluster", "gcr", "ecr"] {
        let out = decoded(&k, &ok(&input, location, &Options::default()));
        for name in ["deis-builder", "deis-controller"] {
            let doc = get(&out, &format!("Deployment/deis/{name}")).expect(name);
            assert_eq!(
                var(doc, name, "DEIS_REGISTRY_SECRET_PREFIX"),
                Some(Json::from("acme")),
                "{location} {name}"
            );
        }
        assert!(get(&out, "Secret/deis/registry-secret").is_some(), "{location}");
    }
}

#[test]
fn a_duplicate_refreshers_image_is_not_taken_when_the_first_refresher_has_none() {
    // The first refresher in stream order is the input's refresher (a later
    // one is a duplicate and goes): when it names no image, the image follows
    // the platform (Deis images here), never the duplicate's (found by the
    // filter fuzz target, where the reference model had it the other way).
    let Some(k) = k8sjson() else { return };
    let first = refresher(Some("deis"), "      - name: deis-registry-token-refresher\n");
    let second = refresher(
        Some("deis"),
        "      - name: deis-registry-token-refresher\n        image: hephy/registry-token-refresher:v1.2.2\n",
    );
    let input = deis_workflow(Some("deis")) + &first + &second;
    let out = decoded(&k, &ok(&input, "gcr", &Options::default()));
    assert_eq!(count(&out, ("Deployment", "deis-registry-token-refresher")), 1);
    let doc = get(&out, "Deployment/deis/deis-registry-token-refresher").expect("the refresher");
    let images: Vec<&Json> = doc["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .map(|c| &c["image"])
        .collect();
    assert_eq!(images, [&Json::from("quay.io/deis/registry-token-refresher:v1.1.3")]);
}

// ---- Found by cargo mutants, campaign of 30 November (docs/mutants-1130.md) ----

#[test]
fn a_document_with_lists_directly_in_lists_is_passed_through() {
    // No alias and no merge key anywhere: nothing to check, nothing refused,
    // however the lists nest (facts.rs counts the depth of lists too).
    let grid = "---\napiVersion: example.com/v1\nkind: Grid\nmetadata:\n  name: deis-grid\n  namespace: deis\ncells: [[1, 2], [3, [4, [5]]]]\nrows:\n- - a\n  - - b\n    - - c\n";
    let input = workflow(Some("deis")) + grid;
    for location in ["off-cluster", "gcr"] {
        let out = ok(&input, location, &Options::default());
        assert!(out.contains(grid), "{location}: the document is kept as it was:\n{out}");
    }
}

#[test]
fn a_target_with_an_empty_kind_or_name_is_a_usage_error() {
    // `--target KIND/NAME[/CONTAINER]`: KIND and NAME are required (exit 2, nothing written).
    for target in [
        "Deployment/",
        "/deis-builder",
        "/",
        "//deis-builder",
        "Deployment//deis-builder",
    ] {
        let out = run(
            binary(&location_env("off-cluster")).args(["--target", target]),
            &workflow(Some("deis")),
        );
        assert_eq!(out.status.code(), Some(2), "{target}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "{target}");
    }
}

#[test]
fn a_key_written_with_a_space_before_its_colon_gets_its_value_after_the_colon() {
    // `env :` is the key `env` with an empty value; `rules :` is the key
    // `rules`. The new values go after the colon.
    let Some(k) = k8sjson() else { return };
    let input = workflow(Some("deis")).replace(
        "        env:\n        - name: DEIS_REGISTRY_LOCATION\n          value: \"on-cluster\"\n        - name: DEIS_REGISTRY_SECRET_PREFIX\n          value: \"private-registry\"\n",
        "        env :\n",
    );
    assert_eq!(input.matches("env :\n").count(), 2);
    let role = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: \"deis:deis-registry-token-refresher\"\nrules :\n- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [get]\n";
    let docs = decoded(&k, &ok(&format!("{input}{role}"), "ecr", &Options::default()));
    for name in ["deis-builder", "deis-controller"] {
        let doc = get(&docs, &format!("Deployment/deis/{name}")).expect(name);
        assert_eq!(
            var(doc, name, "DEIS_REGISTRY_LOCATION"),
            Some(Json::from("ecr")),
            "{docs:?}"
        );
    }
    let role = get(&docs, "ClusterRole//deis:deis-registry-token-refresher").expect("the role");
    assert_eq!(role["rules"], refresher_rules("private-registry-ecr"));
}

#[test]
fn a_variable_with_both_value_and_value_from_gets_the_value_alone() {
    // An env item may hold only one of `value` and `valueFrom`: setting the
    // value drops the `valueFrom` next to it.
    let Some(k) = k8sjson() else { return };
    let input = workflow(Some("deis")).replace(
        "          value: \"on-cluster\"\n",
        "          value: \"on-cluster\"\n          valueFrom:\n            configMapKeyRef: {name: registry, key: location}\n",
    );
    assert_eq!(input.matches("valueFrom:").count(), 2);
    let docs = decoded(&k, &ok(&input, "gcr", &Options::default()));
    for name in ["deis-builder", "deis-controller"] {
        let doc = get(&docs, &format!("Deployment/deis/{name}")).expect(name);
        let env = &doc["spec"]["template"]["spec"]["containers"][0]["env"];
        assert_eq!(
            env[0],
            serde_json::json!({"name": "DEIS_REGISTRY_LOCATION", "value": "gcr"}),
            "{docs:?}"
        );
    }
}

#[test]
fn an_image_that_only_a_merge_key_gives_decides_the_refresher_image() {
    // The builder's image says which organisation's refresher to run; a
    // merge key that gives it is read as Kubernetes reads it.
    let head = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\n  namespace: deis\nspec:\n  template:\n    spec:\n      containers:\n      - <<: {image: ";
    let tail = "}\n        name: deis-builder\n";
    let hephy = ok(
        &format!("{head}hephy/builder:v2.13.7{tail}"),
        "ecr",
        &Options::default(),
    );
    assert!(hephy.contains("hephy/registry-token-refresher:v1.2.2"), "{hephy}");
    let deis = ok(
        &format!("{head}quay.io/deis/builder:v2.13.4{tail}"),
        "ecr",
        &Options::default(),
    );
    assert!(deis.contains("quay.io/deis/registry-token-refresher:v1.1.3"), "{deis}");
}

#[test]
fn an_empty_block_scalar_at_the_end_of_a_document_is_replaced() {
    // `value: |` with no content is the empty string; when it ends the
    // document, the line above the header is another entry, not a header.
    let Some(k) = k8sjson() else { return };
    let builder = |value: &str| {
        format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\n  namespace: deis\nspec:\n  template:\n    spec:\n      containers:\n      - name: deis-builder\n        image: hephy/builder:v2.13.7\n        env:\n        - name: DEIS_REGISTRY_SECRET_PREFIX\n          value: \"private-registry\"\n        - name: DEIS_REGISTRY_LOCATION\n          value: {value}\n"
        )
    };
    let controller = workload(
        "deis-controller",
        Some("deis"),
        "hephy/controller:v2.22.0",
        "private-registry",
    );
    for header in ["|", ">-", "|- # the chart's"] {
        for input in [builder(header) + &controller, controller.clone() + &builder(header)] {
            let docs = decoded(&k, &ok(&input, "gcr", &Options::default()));
            let doc = get(&docs, "Deployment/deis/deis-builder").expect("the builder");
            assert_eq!(
                var(doc, "deis-builder", "DEIS_REGISTRY_LOCATION"),
                Some(Json::from("gcr")),
                "{header}: {docs:?}"
            );
        }
    }
}

#[test]
fn a_refresher_image_that_a_merge_key_overrides_is_the_one_that_counts() {
    // The refresher's image is used as it is (is it stock? may it get a
    // refresh time?). A merge key after `image:` overrides it for
    // Kubernetes: the pod runs Deis' stock refresher, not the one the tree
    // reads, and neither image is Hephy's, so only the image itself tells.
    let input = refresher(
        Some("deis"),
        "      - name: deis-registry-token-refresher\n        image: example.com/ops/registry-token-refresher:v9\n        <<: {image: \"quay.io/deis/registry-token-refresher:v1.1.3\"}\n",
    );
    // Kubernetes runs the image the merge key gives: Deis's stock refresher,
    // which the output keeps (and which may not get a refresh time).
    let input = format!("{}{input}", deis_workflow(Some("deis")));
    let out = ok(&input, "ecr", &Options::default());
    let Some(k) = k8sjson() else { return };
    let docs = decoded(&k, &out);
    let r = get(&docs, "Deployment/deis/deis-registry-token-refresher").expect("the refresher");
    assert_eq!(
        r["spec"]["template"]["spec"]["containers"][0]["image"],
        "quay.io/deis/registry-token-refresher:v1.1.3"
    );
    let mut settings = settings("ecr");
    settings.token_refresh_time = "30".into();
    let e = transform::run(&input, &settings, &Options::default()).unwrap_err();
    assert!(
        matches!(e, Error::Config(_)) && e.to_string().contains("cannot work with quay.io/deis"),
        "{e}"
    );
}

#[test]
fn a_hook_of_another_chart_keeps_the_hooks_only_pass_hooks_only() {
    // Helm 4 `separate`: the hooks pass may also carry another chart's hooks
    // (a database migration Job that names nothing of Workflow's). They are
    // hooks too: Workflow's hook copies still go, and the release ends up
    // with one secret and one refresher.
    let Some(k) = k8sjson() else { return };
    let hook = "  annotations:\n    helm.sh/hook: pre-install\n";
    let secret = format!(
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-secret\n{hook}    deis.io/registry-location: off-cluster\ntype: Opaque\ndata:\n  hostname: \"\"\n"
    );
    let migrate = format!(
        "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: db-migrate\n{hook}spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: migrate\n        image: example.com/migrate:v1\n"
    );
    for location in ["off-cluster", "ecr"] {
        let hooks_out = ok(&format!("{secret}{migrate}"), location, &ns("deis"));
        assert!(
            hooks_out.contains(&migrate),
            "{location}: the other hook stays:\n{hooks_out}"
        );
        let manifests_out = ok(&workflow(None), location, &ns("deis"));
        let release = decoded(&k, &format!("{hooks_out}{manifests_out}"));
        assert_eq!(count(&release, ("Secret", "registry-secret")), 1, "{location}");
        assert_eq!(
            count(&release, ("Deployment", "deis-registry-token-refresher")),
            usize::from(location == "ecr"),
            "{location}"
        );
    }
}

#[test]
fn an_empty_block_scalar_after_a_one_character_value_is_replaced() {
    // The line above an empty block scalar's header ends with `~`, a token
    // of one character: not a block scalar header.
    let Some(k) = k8sjson() else { return };
    let secret = "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-secret\n  namespace: ~\ntype: |\n";
    for input in [
        workflow(Some("deis")) + secret,
        secret.to_owned() + &workflow(Some("deis")),
    ] {
        let docs = decoded(&k, &ok(&input, "gcr", &Options::default()));
        let secret = get(&docs, "Secret/deis/registry-secret")
            .or_else(|| get(&docs, "Secret//registry-secret"))
            .expect("the secret");
        assert_eq!(secret["type"], "Opaque", "{docs:?}");
        assert_eq!(count(&docs, ("Secret", "registry-secret")), 1, "{docs:?}");
    }
}

#[test]
fn an_image_whose_only_slash_comes_first_is_read_without_failing() {
    // `/builder:v1` is no valid reference, but reading it (is it Hephy's? a
    // refresher?) must not stop the run: the builder is configured.
    let Some(k) = k8sjson() else { return };
    let input = workload("deis-builder", Some("deis"), "/builder:v2.13.7", "private-registry")
        + &workload(
            "deis-controller",
            Some("deis"),
            "/controller:v2.22.0",
            "private-registry",
        );
    let docs = decoded(&k, &ok(&input, "gcr", &Options::default()));
    for name in ["deis-builder", "deis-controller"] {
        let doc = get(&docs, &format!("Deployment/deis/{name}")).expect(name);
        assert_eq!(var(doc, name, "DEIS_REGISTRY_LOCATION"), Some(Json::from("gcr")));
    }
}

#[test]
fn a_registry_variable_named_only_through_a_merge_key_is_refused() {
    // A container is registry-consuming when it declares DEIS_REGISTRY_LOCATION;
    // declared through a merge key, the tree would not see it and the
    // container would silently stay unconfigured: refused, located.
    let app = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: my-app\n  namespace: deis\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: example.com/app:v1\n        env:\n        - <<: {name: DEIS_REGISTRY_LOCATION, value: on-cluster}\n";
    assert_refused_for_a_merge_key(app);
}

#[test]
fn only_registry_components_with_the_generated_label_are_orphans() {
    // A document in another namespace that carries this tool's label but is
    // none of the registry components (a user copied the label) is not an
    // orphan of an earlier run: it stays.
    let mine = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deis-notes\n  namespace: team-a\n  labels:\n    registry.deis.io/generated-by: workflow-registry\ndata:\n  a: b\n";
    let orphan = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: deis-registry-token-refresher\n  namespace: team-a\n  labels:\n    registry.deis.io/generated-by: workflow-registry\n";
    for location in ["off-cluster", "ecr"] {
        let out = ok(
            &format!("{}{mine}{orphan}", workflow(Some("deis"))),
            location,
            &Options::default(),
        );
        assert!(out.contains(mine), "{location}: kept as it was:\n{out}");
        assert!(!out.contains(orphan), "{location}: the orphan goes:\n{out}");
    }
}

#[test]
fn the_refreshers_own_namespace_refresh_time_stands() {
    // DEIS_NAMESPACE_REFRESH_TIME of the input's refresher is the chart's
    // setting: it stays; only a missing or empty one becomes the chart's
    // default of 5.
    let Some(k) = k8sjson() else { return };
    for (given, expected) in [("\"10\"", "10"), ("\"\"", "5")] {
        let containers = format!(
            "      - name: deis-registry-token-refresher\n        image: hephy/registry-token-refresher:v1.2.2\n        env:\n        - name: DEIS_NAMESPACE_REFRESH_TIME\n          value: {given}\n"
        );
        let input = workflow(Some("deis")) + &refresher(Some("deis"), &containers);
        let docs = decoded(&k, &ok(&input, "ecr", &Options::default()));
        let r = get(&docs, "Deployment/deis/deis-registry-token-refresher").expect("the refresher");
        assert_eq!(
            var(r, "deis-registry-token-refresher", "DEIS_NAMESPACE_REFRESH_TIME"),
            Some(Json::from(expected)),
            "{given}"
        );
    }
}

#[test]
fn in_one_stream_with_the_manifests_the_charts_hook_secret_is_the_one_configured() {
    // Helm 4 `combined` (and Helm 3): hooks and manifests come in one stream.
    // The chart's registry-secret hook is Workflow's secret: it is brought up
    // to date where it stands and stays a hook, not replaced by a new one.
    let Some(k) = k8sjson() else { return };
    let secret = "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-secret\n  annotations:\n    helm.sh/hook: pre-install\ntype: Opaque\ndata:\n  hostname: \"\"\n";
    for location in ["off-cluster", "ecr"] {
        let out = ok(&format!("{secret}{}", workflow(None)), location, &ns("deis"));
        let docs = decoded(&k, &out);
        let secrets: Vec<&Json> = docs
            .iter()
            .map(|(_, v)| v)
            .filter(|v| v["kind"] == "Secret" && v["metadata"]["name"] == "registry-secret")
            .collect();
        assert_eq!(secrets.len(), 1, "{location}: {out}");
        assert_eq!(
            secrets[0]["metadata"]["annotations"]["helm.sh/hook"], "pre-install",
            "{location}: {out}"
        );
        assert!(
            out.starts_with("---\napiVersion: v1\nkind: Secret\n"),
            "{location}: where it stands:\n{out}"
        );
    }
}

#[test]
fn a_key_is_added_after_a_block_scalar_that_ends_its_mapping_under_lone_carriage_returns() {
    // A block scalar's span ends at the start of the next line (here after a
    // lone `\r`): the new `env` goes right there, not one character into the
    // next container.
    let Some(k) = k8sjson() else { return };
    let builder = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\n  namespace: deis\nspec:\n  template:\n    spec:\n      containers:\n      - name: deis-builder\n        image: hephy/builder:v2.13.7\n        workingDir: >\n          /app\n      - name: sidecar\n        image: envoyproxy/envoy:v1.30\n";
    for input in [builder.to_owned(), builder.replace('\n', "\r")] {
        let docs = decoded(&k, &ok(&input, "gcr", &Options::default()));
        let builder = get(&docs, "Deployment/deis/deis-builder").expect("the builder");
        let containers = &builder["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["workingDir"], "/app\n", "{input:?}");
        assert_eq!(
            var(builder, "deis-builder", "DEIS_REGISTRY_LOCATION"),
            Some(Json::from("gcr")),
            "{input:?}"
        );
        assert_eq!(
            containers[1],
            serde_json::json!({"name": "sidecar", "image": "envoyproxy/envoy:v1.30"}),
            "{input:?}"
        );
    }
}

#[test]
fn a_block_scalar_whose_header_is_followed_by_a_lone_carriage_return_is_replaced() {
    // `|`, a line break, an empty line ended by a lone `\r`, then the content:
    // the header is still the one on the line above.
    let Some(k) = k8sjson() else { return };
    let input = workflow(Some("deis")).replace("value: \"on-cluster\"\n", "value: |\n\r            on-cluster\n");
    let docs = decoded(&k, &ok(&input, "gcr", &Options::default()));
    for name in ["deis-builder", "deis-controller"] {
        let doc = get(&docs, &format!("Deployment/deis/{name}")).expect(name);
        assert_eq!(
            var(doc, name, "DEIS_REGISTRY_LOCATION"),
            Some(Json::from("gcr")),
            "{docs:?}"
        );
    }
}

#[test]
fn a_namespace_that_a_merge_key_overrides_is_read_as_kubernetes_reads_it() {
    // Written `team-a`, but the merge key after it puts the secret in `deis`
    // for Kubernetes: it is Workflow's registry-secret, and is configured.
    let Some(k) = k8sjson() else { return };
    let secret = "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-secret\n  namespace: team-a\n  <<: {namespace: deis}\ntype: Opaque\ndata:\n  hostname: \"\"\n";
    let docs = decoded(&k, &ok(&(workflow(Some("deis")) + secret), "gcr", &Options::default()));
    assert_eq!(count(&docs, ("Secret", "registry-secret")), 1);
    let secret = get(&docs, "Secret/deis/registry-secret").expect("the secret, in deis");
    assert!(secret["data"].get("key.json").is_some(), "{secret}");
}

#[test]
fn a_pods_registry_variable_named_only_through_a_merge_key_is_refused() {
    // As for a Deployment: in a Pod (containers under `spec`), a variable
    // the tree does not see would leave the container unconfigured.
    let pod = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: my-app\n  namespace: deis\nspec:\n  containers:\n  - name: app\n    image: example.com/app:v1\n    env:\n    - <<: {name: DEIS_REGISTRY_LOCATION, value: on-cluster}\n";
    assert_refused_for_a_merge_key(pod);
}

#[test]
fn a_workflow_document_that_needs_no_change_is_copied_as_it_is() {
    // On-cluster, the chart's own settings already hold: nothing to change,
    // so the documents are copied byte for byte.
    let input = workflow(Some("deis")) + &registry(Some("deis"));
    assert_eq!(ok(&input, "on-cluster", &Options::default()), input);
    // A document Kubernetes cannot decode (a list as a key) cannot be told
    // to be Workflow's or not: refused at its line, whatever the location.
    let bad = workflow(Some("deis")).replacen("spec:\n  template:", "? [x]\n: y\nspec:\n  template:", 1);
    let (code, message) = refusal(&bad, "on-cluster", &Options::default());
    assert_eq!(code, 1, "{message}");
    assert!(
        message.contains("line 7") && message.contains("Kubernetes cannot read"),
        "{message}"
    );
}

#[test]
fn a_cronjobs_registry_variable_named_only_through_a_merge_key_is_refused() {
    // As for a Deployment: in a CronJob (containers under
    // `spec.jobTemplate.spec.template.spec`), a variable the tree does not
    // see would leave the container unconfigured.
    let cron = "---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: my-job\n  namespace: deis\nspec:\n  schedule: \"@daily\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n          - name: app\n            image: example.com/app:v1\n            env:\n            - <<: {name: DEIS_REGISTRY_LOCATION, value: on-cluster}\n";
    assert_refused_for_a_merge_key(cron);
}

#[test]
fn a_second_refresher_of_workflows_is_removed() {
    // Workflow has one token refresher: a second copy in its namespace (a
    // refresher the chart renders next to one an earlier run generated) goes.
    let Some(k) = k8sjson() else { return };
    let one = refresher(
        Some("deis"),
        "      - name: deis-registry-token-refresher\n        image: hephy/registry-token-refresher:v1.2.2\n",
    );
    let input = format!("{}{one}{one}", workflow(Some("deis")));
    for location in ["ecr", "gcr"] {
        let docs = decoded(&k, &ok(&input, location, &Options::default()));
        assert_eq!(
            count(&docs, ("Deployment", "deis-registry-token-refresher")),
            1,
            "{location}: {docs:?}"
        );
    }
}

#[test]
fn a_quoted_read_only_flag_on_the_refreshers_mount_becomes_a_boolean() {
    // `readOnly: "true"` is the string "true" to Kubernetes, not the boolean
    // the mount needs: it is replaced, not taken as already done (kills
    // edit.rs:754:54, `==` to `!=` on the plain style in scalar_matches).
    let Some(k) = k8sjson() else { return };
    let containers = "      - name: deis-registry-token-refresher\n        image: x\n        volumeMounts:\n        - name: registry-secret\n          mountPath: /var/run/secrets/deis/registry/creds\n          readOnly: \"true\"\n";
    let input = workflow(Some("deis")) + &refresher(Some("deis"), containers);
    let out = decoded(&k, &ok(&input, "ecr", &Options::default()));
    let doc = get(&out, "Deployment/deis/deis-registry-token-refresher").expect("the refresher");
    let mounts = doc["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
        .as_array()
        .expect("mounts");
    let secret: Vec<&Json> = mounts.iter().filter(|m| m["name"] == "registry-secret").collect();
    assert_eq!(secret.len(), 1, "{mounts:?}");
    assert_eq!(secret[0]["readOnly"], Json::Bool(true), "{mounts:?}");
}

#[test]
fn a_second_copy_of_the_refreshers_access_documents_is_removed() {
    // One ServiceAccount, ClusterRole and ClusterRoleBinding for the
    // refresher: a second copy of each (in Workflow's namespace, or
    // cluster-scoped) goes, the first is kept (kills plan.rs:471:41, the
    // duplicate guard replaced by false).
    let Some(k) = k8sjson() else { return };
    let access = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: deis-registry-token-refresher\n  namespace: deis\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: \"deis:deis-registry-token-refresher\"\nrules: []\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: \"deis:deis-registry-token-refresher\"\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: \"deis:deis-registry-token-refresher\"}\nsubjects: []\n";
    let containers = "      - name: deis-registry-token-refresher\n        image: x\n";
    let input = workflow(Some("deis")) + access + access + &refresher(Some("deis"), containers);
    let out = decoded(&k, &ok(&input, "ecr", &Options::default()));
    for (kind, name) in [
        ("ServiceAccount", "deis-registry-token-refresher"),
        ("ClusterRole", "deis:deis-registry-token-refresher"),
        ("ClusterRoleBinding", "deis:deis-registry-token-refresher"),
    ] {
        assert_eq!(count(&out, (kind, name)), 1, "{kind}/{name}");
    }
}

#[test]
fn another_teams_document_read_through_an_alias_is_passed_through() {
    // A document that names nothing of Workflow's is never read beyond the
    // text search, so an alias of a mapping in it (which would make its
    // identity unreadable without decoding) cannot refuse the run (kills
    // the text search that picks the documents that may matter, in
    // transform/mod.rs and Targeting::words, answering yes for every one).
    let theirs =
        "---\napiVersion: v1\nkind: ConfigMap\ndata: &m {name: team-config, namespace: team-a}\nmetadata: *m\n";
    let input = workflow(Some("deis")) + theirs;
    for location in ["off-cluster", "gcr", "ecr"] {
        let out = ok(&input, location, &ns("deis"));
        assert!(out.contains(theirs), "{location}: kept as it was:\n{out}");
    }
}

#[test]
fn the_first_refused_document_in_the_stream_is_the_one_reported_whichever_thread_meets_one_first() {
    // 64 documents that are each refused while being edited (their `env` is
    // used again through an alias): the refusals are met on both cores, and
    // the error must still name the first, every time.
    let doc = |i: usize| {
        format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: deis\nspec:\n  \
             template:\n    spec:\n      containers:\n      - name: app-{i}\n        env: &e\n        - name: \
             DEIS_REGISTRY_LOCATION\n          value: on-cluster\n  copy: *e\n"
        )
    };
    let input: String = (0..64).map(doc).collect();
    for _ in 0..20 {
        let (code, message) = refusal(&input, "off-cluster", &ns("deis"));
        assert_eq!(code, 1, "{message}");
        assert!(message.starts_with("document 0 (Deployment/app-0)"), "{message}");
    }
}

#[test]
fn names_written_with_tags_are_read_as_kubernetes_reads_them() {
    // Kubernetes reads `!!binary RGVwbG95bWVudA==` as Deployment, `!!null ~`
    // as no namespace: the builder is configured as if written plainly.
    let Some(k) = k8sjson() else { return };
    let builder = |kind: &str, name: &str, namespace: &str, container: &str, var: &str| {
        format!(
            "apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  template:\n    \
             spec:\n      containers:\n      - name: {container}\n        image: quay.io/deis/builder:v2.18.0\n        env:\n        \
             - name: {var}\n          value: on-cluster\n"
        )
    };
    let plain = [
        "Deployment",
        "deis-builder",
        "deis",
        "deis-builder",
        "DEIS_REGISTRY_LOCATION",
    ];
    let spelled = [
        "!!binary RGVwbG95bWVudA==",
        "!!binary ZGVpcy1idWlsZGVy",
        "!!str deis",
        "!!binary ZGVpcy1idWlsZGVy",
        "!mine DEIS_REGISTRY_LOCATION",
    ];
    for i in 0..plain.len() {
        let mut names = plain;
        names[i] = spelled[i];
        let input = builder(names[0], names[1], names[2], names[3], names[4]);
        let docs = decoded(&k, &ok(&input, "off-cluster", &Options::default()));
        let b = get(&docs, "Deployment/deis/deis-builder").unwrap_or_else(|| panic!("{input}"));
        let env = env_of(b, "deis-builder");
        assert_eq!(
            env.iter().filter(|(n, _)| n == "DEIS_REGISTRY_LOCATION").count(),
            1,
            "{input}"
        );
        assert_eq!(
            var(b, "deis-builder", "DEIS_REGISTRY_LOCATION"),
            Some("off-cluster".into()),
            "{input}"
        );
        assert!(get(&docs, "Secret/deis/registry-secret").is_some(), "{input}");
    }
    let none = builder(
        "Deployment",
        "deis-builder",
        "!!null ~",
        "deis-builder",
        "DEIS_REGISTRY_LOCATION",
    );
    let docs = decoded(&k, &ok(&none, "off-cluster", &Options::default()));
    assert!(get(&docs, "Deployment//deis-builder").is_some());
}

#[test]
fn documents_generated_before_the_first_document_do_not_run_into_it() {
    // The refresher's access documents go before an existing refresher. When
    // that refresher is the stream's first document, written without `---`
    // (or after a byte order mark), the generated
    // ClusterRoleBinding and the refresher used to become one document: a
    // Deployment with `roleRef` and `subjects` (found by the filter fuzz
    // target, 30 November).
    let Some(k) = k8sjson() else { return };
    let refresher = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-registry-token-refresher\n  namespace: deis\nspec:\n  template:\n    spec:\n      containers:\n        - name: deis-registry-token-refresher\n          image: quay.io/deis/registry-token-refresher:v1.1.3\n";
    let builder = workload(
        "deis-builder",
        Some("deis"),
        "quay.io/deis/builder:v2.1.0",
        "private-registry",
    );
    for input in [
        format!("{refresher}{builder}"),
        format!("\u{feff}{refresher}{builder}"),
        format!("# Source: refresher.yaml\n{refresher}{builder}"),
        format!("{refresher}{builder}").replace('\n', "\r\n"),
    ] {
        let text = ok(&input, "ecr", &Options::default());
        let out = decoded(&k, &text);
        let deployment = get(&out, "Deployment/deis/deis-registry-token-refresher")
            .unwrap_or_else(|| panic!("the refresher is a document of its own:\n{text}"));
        assert!(
            deployment.get("roleRef").is_none() && deployment.get("subjects").is_none(),
            "{text}"
        );
        for kind_name in [
            ("ServiceAccount", "deis-registry-token-refresher"),
            ("ClusterRole", "deis:deis-registry-token-refresher"),
            ("ClusterRoleBinding", "deis:deis-registry-token-refresher"),
            ("Deployment", "deis-registry-token-refresher"),
            ("Deployment", "deis-builder"),
            ("Secret", "registry-secret"),
        ] {
            assert_eq!(count(&out, kind_name), 1, "{kind_name:?} in\n{text}");
        }
        assert_eq!(out.len(), 6, "{text}");
        assert_eq!(
            text.starts_with('\u{feff}'),
            input.starts_with('\u{feff}'),
            "the byte order mark stays first"
        );
    }
}

#[test]
fn a_kind_name_or_namespace_written_as_a_number_or_boolean_is_refused_at_its_line() {
    // Kubernetes reads no text there (and rejects the document), so whose
    // the document is cannot be told (found by the filter fuzz target: a
    // `namespace: 2` was read as the namespace "2" by the filter and as no
    // namespace by the model).
    let builder = workload(
        "deis-builder",
        Some("deis"),
        "quay.io/deis/builder:v2.1.0",
        "private-registry",
    );
    for (from, to, line) in [
        ("  namespace: deis\n", "  namespace: 2\n", 6),
        ("  name: deis-builder\n", "  name: yes\n", 5),
        ("kind: Deployment\n", "kind: 1.5\n", 3),
    ] {
        let input = builder.replacen(from, to, 1);
        let out = run(&mut binary(&location_env("off-cluster")), &input);
        assert_eq!(out.status.code(), Some(1), "{input}\n{}", text(&out.stderr));
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("line {line}:")) && err.contains("quote it"),
            "{err}"
        );
    }
    // Quoted, null or empty, they are what they say.
    for (from, to) in [
        ("  namespace: deis\n", "  namespace: \"2\"\n"),
        ("  namespace: deis\n", "  namespace: ~\n"),
    ] {
        let input = builder.replacen(from, to, 1);
        let out = run(&mut binary(&location_env("off-cluster")), &input);
        assert_ne!(out.status.code(), Some(1), "{input}\n{}", text(&out.stderr));
    }
}

/// Helm hands a post-renderer its own environment, never the namespace its
/// `--namespace` chose: a `HELM_NAMESPACE` left in the shell that differs
/// from where the chart renders Workflow is refused, never followed.
#[test]
fn a_stale_helm_namespace_is_refused_never_followed() {
    let binding = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: deis:deis-builder\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: deis:deis-builder\nsubjects:\n- kind: ServiceAccount\n  name: deis-builder\n  namespace: wf\n";
    let from_bindings = format!("{}{binding}", workflow(None));
    for location in ["off-cluster", "gcr"] {
        for input in [from_bindings.as_str(), &workflow(Some("wf"))] {
            let mut env = location_env(location);
            env.push(("HELM_NAMESPACE", "deis".into()));
            let out = run(&mut binary(&env), input);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{location}: {stderr}");
            assert!(out.stdout.is_empty());
            assert!(
                stderr.contains("HELM_NAMESPACE=\"deis\" is set, but the manifest renders Workflow into \"wf\""),
                "{stderr}"
            );
            // Where they agree, or the operator names it, it runs.
            env.push(("HELM_NAMESPACE", "wf".into()));
            assert!(run(&mut binary(&env), input).status.success(), "{location}");
            env.pop();
            let out = run(binary(&env).args(["--namespace", "wf"]), input);
            assert!(out.status.success(), "{location}: {}", text(&out.stderr));
        }
    }
    // Where the manifest names none, it names the refresher binding's subject
    // (with a warning), and generated documents land with Workflow's.
    let mut env = location_env("gcr");
    env.push(("HELM_NAMESPACE", "deis".into()));
    let out = run(binary(&env).arg("--verbose"), &workflow(None));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("- kind: ServiceAccount\n  name: deis-registry-token-refresher\n  namespace: deis\n"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("\n  namespace: deis\n  labels"),
        "generated documents carry no namespace: {stdout}"
    );
    assert!(stderr.contains("namespace deis (from HELM_NAMESPACE)"), "{stderr}");
    assert!(
        stderr.contains("names the namespace \"deis\" from HELM_NAMESPACE"),
        "{stderr}"
    );
    // An invalid one is refused wherever the namespace comes from, as `check` refuses it.
    env.push(("HELM_NAMESPACE", "Deis_NS".into()));
    let out = run(binary(&env).args(["--namespace", "wf"]), &workflow(Some("wf")));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("HELM_NAMESPACE"));
}

/// A stream that ends without a line break, in a block scalar: the line
/// break the documents the tool adds need before them would become part of
/// a `|`, `|+` or `>+` value (an untouched document changed, exit 0
/// before). Refused then, at the stream's last line; where it changes
/// nothing (`|-`), they are added after it and the value stays.
#[test]
fn a_stream_ending_without_a_line_break_keeps_the_value_of_its_last_block_scalar() {
    let Some(k) = k8sjson() else { return };
    for header in ["|", "|+", ">+", "|-", "|2+", ">-"] {
        let last =
            format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: last\ndata:\n  x: {header}\n    echo hi");
        let input = format!("{}{last}", workflow(None));
        match transform::run(&input, &settings("off-cluster"), &Options::default()) {
            Ok(out) => {
                assert!(header.ends_with('-'), "{header}: must be refused");
                let out = out.text();
                let theirs = decoded(&k, &input);
                let before = get(&theirs, "ConfigMap//last").expect("the ConfigMap");
                assert_eq!(get(&decoded(&k, &out), "ConfigMap//last"), Some(before), "{header}");
                assert!(out.contains("name: registry-secret"), "{header}: {out}");
            }
            Err(e) => {
                assert!(!header.ends_with('-'), "{header}: {e}");
                let lines = input.lines().count();
                assert!(
                    e.to_string()
                        .contains(&format!("line {lines}: the stream ends inside a block scalar")),
                    "{e}"
                );
            }
        }
    }
}
