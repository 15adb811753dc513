//! The output as a platform that can start (docs/semantics.md): each class
//! of defect a hostile operator found in the planning, in several shapes.
//! Expectations are read through Kubernetes' own decoder (the k8sjson peer)
//! from the output, never from the tool's plan.

mod common;

use serde_json::Value as Json;
use workflow_registry::platform::Platform;
use workflow_registry::transform::{self, Error, Options};

// ---- A tiny DSL: documents, runs, and what the output holds ----

fn deployment(name: &str, namespace: Option<&str>, containers: &str, pod: &str) -> String {
    let ns = namespace.map_or(String::new(), |n| format!("  namespace: {n}\n"));
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{ns}spec:\n  template:\n    spec:\n{pod}      containers:\n{containers}"
    )
}

fn container(name: &str, image: &str, env: &[(&str, &str)]) -> String {
    let mut c = format!("      - name: {name}\n        image: {image}\n");
    if !env.is_empty() {
        c.push_str("        env:\n");
        for (k, v) in env {
            c.push_str(&format!("        - name: {k}\n          value: \"{v}\"\n"));
        }
    }
    c
}

/// Workflow's builder and controller (Hephy's images, the chart's names).
fn workflow(namespace: Option<&str>) -> String {
    deployment(
        "deis-builder",
        namespace,
        &container("deis-builder", "hephy/builder:v2.13.7", &[]),
        "",
    ) + &deployment(
        "deis-controller",
        namespace,
        &container("deis-controller", "hephy/controller:v2.22.0", &[]),
        "",
    )
}

fn refresher(name: &str, namespace: Option<&str>, image: &str, env: &[(&str, &str)], pod: &str) -> String {
    deployment(
        name,
        namespace,
        &container("deis-registry-token-refresher", image, env),
        pod,
    )
}

fn secret(name: &str, namespace: Option<&str>) -> String {
    let ns = namespace.map_or(String::new(), |n| format!("  namespace: {n}\n"));
    format!("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n{ns}type: Opaque\ndata:\n  hostname: \"\"\n")
}

fn run(input: &str, location: &str, options: &Options) -> Result<String, Error> {
    transform::run(input, &common::settings(location), options).map(|o| o.text())
}

fn ok(input: &str, location: &str, options: &Options) -> String {
    run(input, location, options).unwrap_or_else(|e| panic!("{location}: {e}\n{input}"))
}

/// The exit status a refusal ends with, and its message.
fn refused(input: &str, location: &str, options: &Options) -> (i32, String) {
    match run(input, location, options) {
        Ok(out) => panic!("{location}: configured, but must refuse:\n{out}"),
        Err(e @ Error::Input(_)) => (1, e.to_string()),
        Err(e @ Error::Config(_)) => (2, e.to_string()),
    }
}

/// The output's objects as Kubernetes decodes them; `None` without the peer.
fn decoded(yaml: &str) -> Option<Vec<Json>> {
    let k = common::peer("k8sjson")?;
    Some(common::k8s_decode(&k, yaml).into_iter().map(|(_, v)| v).collect())
}

fn all<'j>(docs: &'j [Json], kind: &str, name: &str) -> Vec<&'j Json> {
    docs.iter()
        .filter(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .collect()
}

fn one<'j>(docs: &'j [Json], kind: &str, name: &str) -> &'j Json {
    match all(docs, kind, name).as_slice() {
        [d] => d,
        found => panic!("{} {kind}/{name}, expected one", found.len()),
    }
}

fn pod(d: &Json) -> &Json {
    &d["spec"]["template"]["spec"]
}

fn env(d: &Json, container: &str, var: &str) -> Vec<Json> {
    pod(d)["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["name"] == container)
        .flat_map(|c| c["env"].as_array().cloned().unwrap_or_default())
        .filter(|e| e["name"] == var)
        .map(|e| e["value"].clone())
        .collect()
}

fn ns(name: &str) -> Options {
    Options::in_namespace(name)
}

const DEIS_STOCK: &str = "quay.io/deis/registry-token-refresher:v1.1.3";
const CUSTOM: &str = "registry.example.com/ops/registry-token-refresher:fixed";

// ---- Namespace: only from evidence that is Workflow's ----

#[test]
fn a_binding_in_another_namespace_never_decides_workflows() {
    for kind in ["RoleBinding", "ClusterRoleBinding"] {
        let binding = format!(
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: deis-monitoring\n  \
             namespace: monitoring\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}}\n\
             subjects:\n- {{kind: ServiceAccount, name: deis-builder, namespace: monitoring}}\n"
        );
        let input = workflow(None) + &binding;
        // ecr needs the namespace, and nothing of Workflow's says it.
        let (code, message) = refused(&input, "ecr", &Options::default());
        assert_eq!(code, 2, "{kind}: {message}");
        let out = ok(&input, "off-cluster", &Options::default());
        assert!(out.contains(&binding), "{kind}: the binding is untouched");
        let Some(docs) = decoded(&out) else { continue };
        assert_eq!(
            one(&docs, "Secret", "registry-secret")["metadata"]["namespace"],
            Json::Null,
            "{kind}"
        );
    }
}

#[test]
fn the_charts_own_binding_of_workflows_account_names_the_namespace() {
    let builder = deployment(
        "deis-builder",
        None,
        &container("deis-builder", "hephy/builder:v2.13.7", &[]),
        "      serviceAccountName: builder-sa\n",
    );
    let binding =
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: any-name\n\
                   roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: x}\n\
                   subjects:\n- {kind: ServiceAccount, name: builder-sa, namespace: wf}\n";
    let role = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\nrules: []\n";
    let Some(docs) = decoded(&ok(&(builder.clone() + binding + role), "gcr", &Options::default())) else {
        return;
    };
    let b = one(&docs, "ClusterRoleBinding", "deis:deis-registry-token-refresher");
    assert_eq!(b["subjects"][0]["namespace"], "wf");
    // Granting a role the manifest does not define (`view`, another chart's
    // binding of a same-named account), the binding says nothing of Workflow.
    let (code, message) = refused(&(builder + binding), "gcr", &Options::default());
    assert_eq!(code, 2, "{message}");
    assert!(message.contains("namespace"), "{message}");
}

#[test]
fn another_charts_objects_never_name_the_namespace() {
    let foreign = [
        // Another chart binds its own `deis-controller` account to `view`.
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: monitoring-view\n\
         roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n\
         subjects:\n- {kind: ServiceAccount, name: deis-controller, namespace: monitoring}\n",
        // This tool's label on a kind it never writes.
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tools\n  namespace: tools\n  \
         labels: {registry.deis.io/generated-by: workflow-registry}\ndata: {}\n",
    ];
    for doc in foreign {
        let input = workflow(None) + doc;
        let (code, message) = refused(&input, "ecr", &Options::default());
        assert_eq!(code, 2, "{doc}: {message}");
        let out = ok(&input, "off-cluster", &Options::default());
        assert!(out.contains(doc), "untouched: {doc}");
        let Some(docs) = decoded(&out) else { continue };
        assert_eq!(
            one(&docs, "Secret", "registry-secret")["metadata"]["namespace"],
            Json::Null,
            "{doc}"
        );
    }
}

#[test]
fn components_follow_the_namespace_the_workloads_state() {
    // The chart's namespace-less refresher, account and secret would land in
    // the release namespace while the builder runs in `deis`.
    let parts = [
        refresher("deis-registry-token-refresher", None, DEIS_STOCK, &[], ""),
        "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: deis-registry-token-refresher\n".to_owned(),
        secret("registry-secret", None),
    ];
    for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0]] {
        let input = workflow(Some("deis")) + &order.map(|i| parts[i].clone()).concat();
        let Some(docs) = decoded(&ok(&input, "ecr", &Options::default())) else {
            return;
        };
        for (kind, name) in [
            ("Deployment", "deis-registry-token-refresher"),
            ("ServiceAccount", "deis-registry-token-refresher"),
            ("Secret", "registry-secret"),
        ] {
            assert_eq!(
                one(&docs, kind, name)["metadata"]["namespace"],
                "deis",
                "{kind}/{name} {order:?}"
            );
        }
    }
}

#[test]
fn of_two_registry_secrets_the_one_where_the_readers_are_stays_whatever_the_order() {
    for input in [
        workflow(Some("deis")) + &secret("registry-secret", None) + &secret("registry-secret", Some("deis")),
        workflow(Some("deis")) + &secret("registry-secret", Some("deis")) + &secret("registry-secret", None),
        secret("registry-secret", None) + &workflow(Some("deis")) + &secret("registry-secret", Some("deis")),
    ] {
        let Some(docs) = decoded(&ok(&input, "off-cluster", &Options::default())) else {
            return;
        };
        let kept = one(&docs, "Secret", "registry-secret");
        assert_eq!(kept["metadata"]["namespace"], "deis");
        assert!(kept["data"].get("username").is_some());
    }
}

// ---- The refresher is reused only if it can run ----

#[test]
fn a_second_volume_at_the_credentials_path_is_refused_at_its_line() {
    let mount = "        volumeMounts:\n        - {name: creds, mountPath: /var/run/secrets/deis/registry/creds}\n";
    for (pod, where_) in [
        (
            "      volumes: [{name: creds, secret: {secretName: objectstorage-keyfile}}]\n",
            "flow",
        ),
        ("      volumes:\n      - name: creds\n        emptyDir: {}\n", "block"),
    ] {
        let r = refresher("deis-registry-token-refresher", Some("deis"), DEIS_STOCK, &[], pod) + mount;
        let (code, message) = refused(&(workflow(Some("deis")) + &r), "ecr", &Options::default());
        assert_eq!(code, 1, "{where_}: {message}");
        assert!(message.contains("line") && message.contains("\"creds\""), "{message}");
    }
}

#[test]
fn a_refresher_without_a_token_gets_one() {
    let account = |automount: &str| {
        format!(
            "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: deis-registry-token-refresher\n  \
             namespace: deis\nautomountServiceAccountToken: {automount}\n"
        )
    };
    for (spec, sa) in [
        ("      automountServiceAccountToken: false\n", account("true")),
        ("", account("false")),
        ("      automountServiceAccountToken: false\n", account("false")),
    ] {
        let r = refresher("deis-registry-token-refresher", Some("deis"), DEIS_STOCK, &[], spec);
        let out = ok(&(workflow(Some("deis")) + &r + &sa), "ecr", &Options::default());
        let Some(docs) = decoded(&out) else { return };
        let d = one(&docs, "Deployment", "deis-registry-token-refresher");
        assert_eq!(pod(d)["automountServiceAccountToken"], true, "{spec}{sa}");
    }
}

#[test]
fn a_refresher_that_reads_only_part_of_registry_secret_is_refused() {
    let mount = "        volumeMounts:\n        - {name: registry-secret, mountPath: /var/run/secrets/deis/registry/creds, readOnly: true";
    let volume = "      volumes:\n      - name: registry-secret\n        secret: {secretName: registry-secret";
    for (mount_end, volume_end, refused_for) in [
        ("}", ", items: [{key: region, path: region}]}", "items"),
        (", subPath: key.json}", "}", "subPath"),
        (", subPathExpr: $(POD)}", "}", "subPath"),
    ] {
        let containers = container("deis-registry-token-refresher", DEIS_STOCK, &[]) + mount + mount_end + "\n";
        let pod = format!("{volume}{volume_end}\n");
        let r = deployment("deis-registry-token-refresher", Some("deis"), &containers, &pod);
        for location in ["ecr", "gcr"] {
            let (code, message) = refused(&(workflow(Some("deis")) + &r), location, &Options::default());
            assert_eq!(code, 1, "{refused_for} {location}: {message}");
            assert!(message.contains(refused_for) && message.contains("line"), "{message}");
        }
        // The whole secret, read-only, at its path: it runs as it is.
        let whole = r.replace(mount_end, "}").replace(volume_end, "}");
        let out = ok(&(workflow(Some("deis")) + &whole), "ecr", &Options::default());
        assert!(!out.contains("items:") && !out.contains("subPath"));
    }
    // One file of it elsewhere, beside the whole at its path, is no refusal
    // (the refresher's secret is mounted once, at its path: the other goes).
    let containers = container("deis-registry-token-refresher", DEIS_STOCK, &[])
        + mount
        + "}\n        - {name: registry-secret, mountPath: /etc/region, subPath: region}\n";
    let spec = format!("{volume}}}\n");
    let r = deployment("deis-registry-token-refresher", Some("deis"), &containers, &spec);
    let Some(docs) = decoded(&ok(&(workflow(Some("deis")) + &r), "ecr", &Options::default())) else {
        return;
    };
    let d = one(&docs, "Deployment", "deis-registry-token-refresher");
    let mounts = &pod(d)["containers"][0]["volumeMounts"];
    assert_eq!(mounts.as_array().map(Vec::len), Some(1), "{mounts}");
    assert_eq!(mounts[0]["mountPath"], "/var/run/secrets/deis/registry/creds");
}

#[test]
fn a_refresher_reading_a_renamed_secret_is_refused_saying_so() {
    // kustomize's namePrefix renames registry-secret and the refresher's
    // reference to it; Workflow's builder and controller read it by name.
    let containers = container("deis-registry-token-refresher", DEIS_STOCK, &[])
        + "        volumeMounts:\n        - {name: registry-secret, mountPath: /var/run/secrets/deis/registry/creds, readOnly: true}\n";
    let spec = "      volumes:\n      - name: registry-secret\n        secret: {secretName: prod-registry-secret}\n";
    let r = deployment("deis-registry-token-refresher", Some("deis"), &containers, spec);
    for location in ["ecr", "gcr"] {
        let (code, message) = refused(&(workflow(Some("deis")) + &r), location, &Options::default());
        assert_eq!(code, 1, "{message}");
        assert!(
            message.contains("\"prod-registry-secret\"") && message.contains("namePrefix"),
            "{message}"
        );
    }
}

#[test]
fn an_aggregated_role_loses_its_aggregation() {
    let role = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: deis:deis-registry-token-refresher\n\
                aggregationRule:\n  clusterRoleSelectors:\n  - matchLabels: {rbac.example.com/aggregate-to-admin: \"true\"}\nrules: []\n";
    let Some(docs) = decoded(&ok(&(workflow(Some("deis")) + role), "gcr", &Options::default())) else {
        return;
    };
    let r = one(&docs, "ClusterRole", "deis:deis-registry-token-refresher");
    assert!(r.get("aggregationRule").is_none(), "{r}");
    assert_eq!(r["rules"].as_array().map(Vec::len), Some(3));
}

#[test]
fn intervals_the_refresher_cannot_run_with_are_refused() {
    for (var, value, image) in [
        ("DEIS_NAMESPACE_REFRESH_TIME", "5s", DEIS_STOCK),
        ("DEIS_NAMESPACE_REFRESH_TIME", "0", DEIS_STOCK),
        ("DEIS_NAMESPACE_REFRESH_TIME", "-1", CUSTOM),
        ("DEIS_TOKEN_REFRESH_TIME", "0", CUSTOM),
        ("DEIS_TOKEN_REFRESH_TIME", "720", CUSTOM),
        ("DEIS_TOKEN_REFRESH_TIME", "30", DEIS_STOCK),
    ] {
        let r = refresher(
            "deis-registry-token-refresher",
            Some("deis"),
            image,
            &[(var, value)],
            "",
        );
        let (code, message) = refused(&(workflow(Some("deis")) + &r), "ecr", &Options::default());
        assert_eq!(code, 1, "{var}={value} with {image}: {message}");
        assert!(message.contains(var) && message.contains("line"), "{message}");
    }
    // The same values configured are the configuration's fault, named by source.
    for (value, location) in [("0", "ecr"), ("720", "ecr"), ("60", "gcr")] {
        let mut settings = common::settings(location);
        settings.token_refresh_time = value.into();
        settings.refresher_image = Some(CUSTOM.into());
        let e = transform::run(&workflow(Some("deis")), &settings, &Options::default()).unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{value} {location}: {e}");
    }
    // Below the lifetime, with an image that is not a published one: it runs.
    let mut settings = common::settings("gcr");
    settings.token_refresh_time = "59".into();
    settings.refresher_image = Some(CUSTOM.into());
    assert!(transform::run(&workflow(Some("deis")), &settings, &Options::default()).is_ok());
}

#[test]
fn a_refresher_under_another_name_is_still_the_refresher() {
    let theirs = refresher("my-token-refresher", Some("deis"), CUSTOM, &[], "");
    let input = workflow(Some("deis")) + &theirs;
    let Some(docs) = decoded(&ok(&input, "off-cluster", &Options::default())) else {
        return;
    };
    assert!(
        all(&docs, "Deployment", "my-token-refresher").is_empty(),
        "removed for off-cluster"
    );
    for location in ["ecr", "gcr"] {
        let Some(docs) = decoded(&ok(&input, location, &Options::default())) else {
            return;
        };
        let refreshers: Vec<&Json> = docs
            .iter()
            .filter(|d| d["kind"] == "Deployment" && d["metadata"]["name"].as_str().unwrap_or("").contains("refresher"))
            .collect();
        assert_eq!(refreshers.len(), 1, "{location}: one refresher, reused");
        assert_eq!(refreshers[0]["metadata"]["name"], "my-token-refresher");
        assert_eq!(
            pod(refreshers[0])["serviceAccountName"],
            "deis-registry-token-refresher"
        );
    }
}

// ---- Images known by what they are ----

#[test]
fn stock_refreshers_however_their_reference_is_written() {
    for image in [
        "index.docker.io/hephy/registry-token-refresher:v1.2.2",
        "DOCKER.IO/hephy/registry-token-refresher:v1.2.2",
        "registry-1.docker.io/hephy/registry-token-refresher:canary",
        "quay.io/deis/registry-token-refresher:latest",
        "deis/registry-token-refresher",
    ] {
        let mut settings = common::settings("ecr");
        settings.token_refresh_time = "30".into();
        settings.refresher_image = Some(image.into());
        let e = transform::run(&workflow(Some("deis")), &settings, &Options::default()).unwrap_err();
        assert!(
            matches!(e, Error::Config(_)) && e.to_string().contains("panics"),
            "{image}: {e}"
        );
    }
}

#[test]
fn the_refresher_comes_from_where_workflows_images_come_from() {
    for (builder, expected) in [
        (
            "quay.io/deis/builder:v2.13.4",
            "quay.io/deis/registry-token-refresher:v1.1.3",
        ),
        ("hephy/builder:v2.13.7", "hephy/registry-token-refresher:v1.2.2"),
        (
            "docker.io/hephy/builder:v2.13.7",
            "docker.io/hephy/registry-token-refresher:v1.2.2",
        ),
        (
            "mirror.example.com/hub/hephy/builder:v2.23.0",
            "mirror.example.com/hub/hephy/registry-token-refresher:v1.2.2",
        ),
        (
            "registry.corp:5000/deis/builder:v2.18.0",
            "registry.corp:5000/deis/registry-token-refresher:v1.1.3",
        ),
    ] {
        let input = deployment(
            "deis-builder",
            Some("deis"),
            &container("deis-builder", builder, &[]),
            "",
        );
        let Some(docs) = decoded(&ok(&input, "ecr", &Options::default())) else {
            return;
        };
        let r = one(&docs, "Deployment", "deis-registry-token-refresher");
        assert_eq!(pod(r)["containers"][0]["image"], expected, "{builder}");
    }
}

// ---- Workflow in shapes that are still Workflow ----

#[test]
fn workflow_inside_lists_is_configured_never_half() {
    for list in ["List", "DeploymentList"] {
        let items = workflow(Some("deis"))
            .split("---\n")
            .filter(|d| !d.is_empty())
            .map(|d| {
                d.lines()
                    .map(|l| format!("  {l}\n"))
                    .collect::<String>()
                    .replacen("  ", "- ", 1)
            })
            .collect::<String>();
        let registry = "- apiVersion: v1\n  kind: Service\n  metadata: {name: deis-registry, namespace: deis}\n";
        let input = format!("---\napiVersion: v1\nkind: {list}\nitems:\n{items}{registry}");
        for location in ["off-cluster", "ecr"] {
            let out = ok(&input, location, &Options::default());
            let Some(docs) = decoded(&out) else { return };
            let list_doc = docs.iter().find(|d| d["kind"] == list).expect("the list");
            let items = list_doc["items"].as_array().unwrap();
            assert_eq!(
                items.len(),
                2,
                "{list} {location}: the registry goes, the workloads stay"
            );
            for item in items {
                let c = &item["spec"]["template"]["spec"]["containers"][0];
                let loc = c["env"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|e| e["name"] == "DEIS_REGISTRY_LOCATION")
                    .unwrap();
                assert_eq!(loc["value"], location, "{list}");
            }
            assert_eq!(all(&docs, "Secret", "registry-secret").len(), 1, "{list} {location}");
        }
    }
}

#[test]
fn names_changed_by_kustomize_are_recognised_by_what_the_documents_are() {
    for (prefix, suffix) in [("prod-", ""), ("", "-v2"), ("prod-", "-v2")] {
        let input = workflow(Some("deis"))
            .replace(
                "name: deis-builder\n  namespace",
                &format!("name: {prefix}deis-builder{suffix}\n  namespace"),
            )
            .replace(
                "name: deis-controller\n  namespace",
                &format!("name: {prefix}deis-controller{suffix}\n  namespace"),
            );
        assert!(input.contains(&format!("{prefix}deis-builder{suffix}")));
        for location in ["off-cluster", "gcr"] {
            let Some(docs) = decoded(&ok(&input, location, &Options::default())) else {
                return;
            };
            let b = one(&docs, "Deployment", &format!("{prefix}deis-builder{suffix}"));
            assert_eq!(env(b, "deis-builder", "DEIS_REGISTRY_LOCATION"), [Json::from(location)]);
            assert_eq!(one(&docs, "Secret", "registry-secret")["metadata"]["namespace"], "deis");
        }
    }
}

#[test]
fn a_workload_with_the_signs_of_two_components_is_refused_never_half_configured() {
    // The builder with a refresher's (or the registry's) container beside
    // its own: taken as the first, it lost the builder (removed off-cluster,
    // run as the refresher's account on ecr).
    for sidecar in [
        container("token-sidecar", DEIS_STOCK, &[]),
        container("cache", "hephy/registry:v2.6.3", &[]),
    ] {
        let builder = deployment(
            "deis-builder",
            Some("deis"),
            &(container("deis-builder", "hephy/builder:v2.13.7", &[]) + &sidecar),
            "",
        );
        let controller = deployment(
            "deis-controller",
            Some("deis"),
            &container("deis-controller", "hephy/controller:v2.22.0", &[]),
            "",
        );
        for location in ["off-cluster", "ecr", "on-cluster"] {
            let (code, message) = refused(&(builder.clone() + &controller), location, &Options::default());
            assert_eq!(code, 1, "{location}: {message}");
            assert!(
                message.contains("Deployment/deis-builder") && message.contains("two components"),
                "{message}"
            );
        }
        // In another namespace it is not Workflow's, and is left alone.
        let foreign = builder.replace("namespace: deis", "namespace: team");
        let out = ok(&(workflow(Some("deis")) + &foreign), "off-cluster", &Options::default());
        assert!(out.contains(&foreign));
    }
}

// ---- Platforms the tool knows, and those it does not ----

#[test]
fn a_platform_the_tool_does_not_know_is_never_edited() {
    let foreign =
        secret("registry-secret", None) + &deployment("app", None, &container("app", "example.com/app:v1", &[]), "");
    for location in ["on-cluster", "off-cluster", "ecr"] {
        assert_eq!(ok(&foreign, location, &Options::default()), foreign, "{location}");
    }
    // Named, it is edited.
    let mut deis = Options::default();
    deis.context.platform = Some(Platform::Deis);
    assert_ne!(ok(&foreign, "off-cluster", &deis), foreign);
}

#[test]
fn two_platforms_in_one_manifest_are_refused_unless_one_is_named() {
    let drycc = deployment(
        "drycc-builder",
        None,
        &container(
            "drycc-builder",
            "registry.drycc.cc/drycc/builder:canary",
            &[("DRYCC_REGISTRY_LOCATION", "on-cluster")],
        ),
        "",
    );
    let input = workflow(None) + &drycc;
    let (code, message) = refused(&input, "off-cluster", &ns("deis"));
    assert_eq!(code, 1, "{message}");
    assert!(message.contains("--platform"), "{message}");
    let mut deis = ns("deis");
    deis.context.platform = Some(Platform::Deis);
    let out = ok(&input, "off-cluster", &deis);
    assert!(
        out.contains("value: \"on-cluster\""),
        "the Drycc builder is not Deis's: untouched"
    );
}

/// Drycc's builder, on-cluster as the chart renders it.
fn drycc_builder() -> String {
    let env = [("DRYCC_REGISTRY_LOCATION", "on-cluster")];
    let builder = container("drycc-builder", "registry.drycc.cc/drycc/builder:canary", &env);
    deployment("drycc-builder", Some("drycc"), &builder, "")
}

/// The test's off-cluster settings with the registry at `host`.
fn off_cluster_at(host: &str) -> workflow_registry::config::Settings {
    let mut env = common::location_env("off-cluster");
    env.retain(|(k, _)| *k != "REGISTRY_HOSTNAME");
    env.push(("REGISTRY_HOSTNAME", host.to_owned()));
    common::settings_from(&env)
}

#[test]
fn drycc_gets_docker_hub_by_name_in_a_builder_secret_it_has_or_is_given() {
    let builder = drycc_builder();
    let settings = off_cluster_at("");
    let host = |input: &str| {
        let out = transform::run(input, &settings, &ns("drycc")).unwrap_or_else(|e| panic!("{e}\n{input}"));
        let docs = decoded(&out.text())?;
        Some(one(&docs, "Secret", "builder-secret")["data"]["registry-host"].clone())
    };
    // base64 of "docker.io", as the API server holds it.
    for input in [
        builder.clone(),
        builder.clone() + &secret("builder-secret", Some("drycc")),
    ] {
        let Some(host) = host(&input) else { return };
        assert_eq!(host, Json::from("ZG9ja2VyLmlv"), "{input}");
    }
}

/// A registry at an IPv4-mapped IPv6 address is reached over IPv4: the
/// egress policy names the IPv4 address, however it is written.
#[test]
fn drycc_egress_to_an_ipv4_mapped_address_names_the_ipv4_address() {
    let builder = drycc_builder();
    let policy = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: drycc-imagebuilder, \
                  namespace: drycc}\nspec: {podSelector: {matchLabels: {app: drycc-imagebuilder}}, policyTypes: [Egress]}\n";
    for host in ["10.1.2.3:5000", "[::ffff:10.1.2.3]:5000", "[::ffff:a01:203]:5000"] {
        let input = builder.clone() + policy;
        let out = transform::run(&input, &off_cluster_at(host), &ns("drycc")).unwrap_or_else(|e| panic!("{e}"));
        let Some(docs) = decoded(&out.text()) else { return };
        let egress = one(&docs, "NetworkPolicy", "drycc-imagebuilder-registry");
        assert_eq!(
            egress["spec"]["egress"][0]["to"][0]["ipBlock"]["cidr"], "10.1.2.3/32",
            "{host}"
        );
    }
}

/// A kustomize namePrefix renames Drycc's Secrets (and, once it has run,
/// the builder's references to them): the login this tool writes under the
/// chart's names would not reach the builder. Each sign of it is refused
/// (exit 1), naming the renamed Secret and the namePrefix; a Secret that
/// only holds the name beside the chart's own is no sign.
#[test]
fn drycc_secrets_renamed_by_a_name_prefix_are_refused_saying_so() {
    let builder = |env: &str, pod: &str| {
        let containers = container(
            "drycc-builder",
            "registry.drycc.cc/drycc/builder:canary",
            &[("DRYCC_REGISTRY_LOCATION", "on-cluster")],
        ) + env;
        deployment("prod-drycc-builder", Some("drycc"), &containers, pod)
    };
    let volume =
        "      volumes:\n      - name: controller-creds\n        secret: {secretName: prod-controller-creds}\n";
    let login = "        - name: DRYCC_REGISTRY_USERNAME\n          valueFrom: {secretKeyRef: {name: prod-registry-secret, key: username}}\n";
    for (input, renamed) in [
        (builder("", volume), "\"prod-controller-creds\""),
        (builder(login, ""), "\"prod-registry-secret\""),
        (
            builder("", "") + &secret("prod-builder-secret", Some("drycc")),
            "Secret/prod-builder-secret",
        ),
        (
            builder("", "") + &secret("controller-creds-prod", Some("drycc")),
            "Secret/controller-creds-prod",
        ),
    ] {
        for location in ["on-cluster", "off-cluster"] {
            let (code, message) = refused(&input, location, &ns("drycc"));
            assert_eq!(code, 1, "{location}: {message}");
            assert!(message.contains(renamed) && message.contains("namePrefix"), "{message}");
        }
    }
    let beside =
        builder("", "") + &secret("builder-secret", Some("drycc")) + &secret("old-builder-secret", Some("drycc"));
    ok(&beside, "off-cluster", &ns("drycc"));
}

/// A key a chart writes twice in one mapping (Drycc's CronJobs carry `env`
/// twice): Kubernetes reads the last one, the tool configures that one, leaves
/// the other as written, and warns naming the key and its lines.
#[test]
fn an_edited_key_written_twice_is_configured_where_kubernetes_reads_it_and_warned_about() {
    let twice = "      - name: deis-builder\n        image: hephy/builder:v2.13.7\n        env:\n        - name: DEIS_REGISTRY_LOCATION\n          value: on-cluster\n        env:\n        - name: DEIS_REGISTRY_LOCATION\n          value: on-cluster\n";
    let input = deployment("deis-builder", Some("deis"), twice, "")
        + &deployment(
            "deis-controller",
            Some("deis"),
            &container("deis-controller", "hephy/controller:v2.22.0", &[]),
            "",
        );
    let out = transform::run(&input, &common::settings("off-cluster"), &ns("deis")).unwrap_or_else(|e| panic!("{e}"));
    let text = out.text();
    // The first `env` is left as written, the last one configured.
    let first = text.find("value: on-cluster").expect("the first env is kept");
    assert!(!text[first + 1..].contains("value: on-cluster"), "{text}");
    assert!(text.contains("value: off-cluster"), "{text}");
    let warned: Vec<&String> = out
        .plan
        .warnings
        .iter()
        .filter(|w| w.contains("`env` is written 2 times"))
        .collect();
    assert_eq!(warned.len(), 1, "{:?}", out.plan.warnings);
    assert!(
        warned[0].contains("Deployment/deis-builder") && warned[0].contains("lines 13, 16"),
        "{}",
        warned[0]
    );
    if let Some(docs) = decoded(&text) {
        let builder = one(&docs, "Deployment", "deis-builder");
        let location = env(builder, "deis-builder", "DEIS_REGISTRY_LOCATION");
        assert_eq!(location, [Json::from("off-cluster")]);
    }
}

/// A null `helm.sh/hook` is the empty string to Kubernetes and to Helm (a
/// hook annotation, whose copy Helm drops as an unknown hook): the tool
/// keeps the release's own copy of a component beside it, as it does beside
/// `helm.sh/hook: ""`.
#[test]
fn a_null_hook_annotation_is_a_hook_annotation() {
    for value in ["\"\"", "~", "null", ""] {
        let hook = secret("registry-secret", None).replace(
            "  name: registry-secret\n",
            &format!("  name: registry-secret\n  annotations:\n    helm.sh/hook: {value}\n"),
        );
        let input = format!("{}{hook}{}", workflow(None), secret("registry-secret", None));
        let out = ok(&input, "off-cluster", &Options::default());
        assert_eq!(out.matches("kind: Secret").count(), 1, "{value}: {out}");
        assert!(
            !out.contains("helm.sh/hook"),
            "{value}: the release's own copy is kept: {out}"
        );
    }
}

/// A namespace written on a cluster-scoped object means nothing (the API
/// server clears it): a ClusterRole named as the refresher's with one is
/// the refresher's role, rewritten to least privilege, never left beside it
/// as a second, broader copy.
#[test]
fn a_cluster_scoped_object_with_a_namespace_is_still_the_one_of_that_name() {
    let role = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: deis:deis-registry-token-refresher\n  namespace: kube-system\nrules:\n- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n";
    let input = format!("{}{role}", workflow(Some("deis")));
    let out = ok(&input, "ecr", &Options::default());
    assert_eq!(out.matches("\nkind: ClusterRole\n").count(), 1, "{out}");
    assert!(!out.contains("\"*\""), "the broad rules are gone: {out}");
    let Some(objects) = decoded(&out) else { return };
    let roles: Vec<&Json> = objects.iter().filter(|o| o["kind"] == "ClusterRole").collect();
    assert_eq!(roles.len(), 1);
    assert!(roles[0]["rules"].as_array().is_some_and(|r| !r.is_empty()));
}

/// `apiVersion` decides what an object is: a custom resource of kind
/// `Secret` named `registry-secret` is another controller's object, never
/// written with the credentials; the registry's Secret is added beside it.
#[test]
fn a_custom_resource_with_a_built_in_kinds_name_is_not_that_kind() {
    let custom = "---\napiVersion: vault.example.com/v1\nkind: Secret\nmetadata:\n  name: registry-secret\nspec:\n  path: kv/registry\n";
    let input = format!("{}{custom}", workflow(None));
    let out = ok(&input, "off-cluster", &Options::default());
    assert!(
        out.contains(custom.trim_start_matches("---\n")),
        "left as written: {out}"
    );
    let Some(objects) = decoded(&out) else { return };
    let secrets: Vec<&Json> = objects.iter().filter(|o| o["kind"] == "Secret").collect();
    assert_eq!(secrets.len(), 2, "{out}");
    let ours: Vec<&&Json> = secrets.iter().filter(|o| o["apiVersion"] == "v1").collect();
    assert_eq!(ours.len(), 1);
    assert!(ours[0]["data"]["password"].is_string());
    // A custom Deployment named as the registry is not removed either.
    let custom = "---\napiVersion: example.com/v1\nkind: Deployment\nmetadata:\n  name: deis-registry\nspec:\n  template:\n    spec:\n      containers:\n      - name: deis-registry\n        image: hephy/registry:v2\n";
    let out = ok(
        &format!("{}{custom}", workflow(None)),
        "off-cluster",
        &Options::default(),
    );
    assert!(out.contains("apiVersion: example.com/v1"), "{out}");
}
