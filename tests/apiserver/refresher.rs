//! The token refresher's access, as its own ServiceAccount on the live
//! server: what its RBAC allows is exactly what it does, and its own
//! requests succeed with its token.
//!
//! The stock refresher (deis/registry-token-refresher, teamhephy's fork)
//! cannot be built here: Deis's has only glide vendoring of a Kubernetes 1.2
//! client, and Hephy's go.mod exists only on an untagged commit that needs
//! 2016-era modules the proxy does not serve. So its requests are made here,
//! one for one, as its source makes them (boot.go, pkg/secrets.go):
//! - every DEIS_NAMESPACE_REFRESH_TIME seconds it lists the namespaces
//!   labelled `heritage=deis`;
//! - for each new one it creates the `kubernetes.io/dockerconfigjson` Secret
//!   named `$DEIS_REGISTRY_SECRET_PREFIX-$DEIS_REGISTRY_LOCATION`, and when that
//!   is refused as already existing, updates it (a PUT without a
//!   resourceVersion; it never reads the Secret first);
//! - on each token refresh it updates that Secret in every namespace,
//!   ignoring NotFound.
//!
//! The expected Secret name is computed the same way, from the env that the
//! tool gave the refresher's container.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value as Json;

use crate::common;
use common::cluster::{self, ControlPlane};
use common::served;

/// The refresher's documents as the tool writes them for `location` into
/// `namespace` (from the Helm 4 fixture): ServiceAccount, ClusterRole,
/// ClusterRoleBinding and Deployment.
fn refresher_docs(k8sjson: &Path, location: &str, namespace: &str) -> Vec<Json> {
    let fixture = common::read(&common::root().join("testdata/fixtures/helm4.on-cluster.yaml"));
    let out = common::run(
        common::binary(&common::location_env(location)).args(["--namespace", namespace]),
        &fixture,
    );
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let docs: Vec<Json> = common::k8s_decode(k8sjson, &common::text(&out.stdout))
        .into_iter()
        .map(|(_, d)| d)
        .filter(|d| {
            let name = d["metadata"]["name"].as_str().unwrap_or("");
            name == "deis-registry-token-refresher" || name == "deis:deis-registry-token-refresher"
        })
        .collect();
    let kinds: BTreeSet<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["ClusterRole", "ClusterRoleBinding", "Deployment", "ServiceAccount"]),
        "the refresher and its access"
    );
    docs
}

/// The Secret name the refresher computes from its container's env.
fn secret_name(docs: &[Json]) -> String {
    let deployment = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
    let env = &deployment["spec"]["template"]["spec"]["containers"][0]["env"];
    let get = |name: &str| {
        env.as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .and_then(|e| e["value"].as_str())
            .unwrap_or_else(|| panic!("the refresher has no literal {name}"))
            .to_owned()
    };
    format!(
        "{}-{}",
        get("DEIS_REGISTRY_SECRET_PREFIX"),
        get("DEIS_REGISTRY_LOCATION")
    )
}

/// The refresher's access for `location`, set up in a namespace of its own
/// (`TEST-refresher-LOCATION`), with two app namespaces labelled
/// heritage=deis and one other (`TEST-app-one-LOCATION` ...), each test with
/// its own (a namespace is deleted in the background after a test).
struct Access {
    plane: &'static ControlPlane,
    namespace: String,
    /// `TEST-app-one-LOCATION` for `app-one`.
    apps: Box<dyn Fn(&str) -> String>,
    secret: String,
    kubeconfig: std::path::PathBuf,
    sa: String,
}

fn access(plane: &'static ControlPlane, k8sjson: &Path, test: &str, location: &str, dir: &Path) -> Access {
    let namespace = format!("{test}-refresher-{location}");
    let apps = {
        let (test, location) = (test.to_owned(), location.to_owned());
        move |app: &str| format!("{test}-{app}-{location}")
    };
    plane.namespace(&namespace, &[]);
    let docs = served::in_namespace(&refresher_docs(k8sjson, location, &namespace), &namespace);
    let rbac: Vec<Json> = docs.iter().filter(|d| d["kind"] != "Deployment").cloned().collect();
    plane
        .apply_json(&served::list(&rbac), &["apply", "--server-side", "--force-conflicts"])
        .unwrap_or_else(|e| panic!("{location}: the refresher's access: {e}"));
    for app in ["app-one", "app-two"] {
        plane.namespace(&apps(app), &[("heritage", "deis")]);
    }
    plane.namespace(&apps("not-workflow"), &[]);
    Access {
        plane,
        apps: Box::new(apps),
        kubeconfig: plane.service_account_kubeconfig(&namespace, "deis-registry-token-refresher", dir),
        sa: format!("system:serviceaccount:{namespace}:deis-registry-token-refresher"),
        secret: secret_name(&docs),
        namespace,
    }
}

/// The refresher's ClusterRole and ClusterRoleBinding are cluster-wide: they
/// go with the test, under its lock (a Helm release of a later test installs
/// its own under the same names, and refuses ones it does not own).
impl Drop for Access {
    fn drop(&mut self) {
        let (role, binding) = (
            "clusterrole/deis:deis-registry-token-refresher",
            "clusterrolebinding/deis:deis-registry-token-refresher",
        );
        let _ = self
            .plane
            .run(&["delete", role, binding, "--ignore-not-found", "--wait=true"]);
    }
}

/// `kubectl auth can-i` as the refresher's ServiceAccount.
fn can_i(plane: &ControlPlane, a: &Access, verb: &str, resource: &str, namespace: &str) -> bool {
    let out = plane
        .kubectl()
        .args(["auth", "can-i", verb, resource, "--namespace", namespace, "--as", &a.sa])
        .output()
        .unwrap();
    match common::text(&out.stdout).trim() {
        "yes" => true,
        "no" => false,
        other => panic!("can-i {verb} {resource}: {other} {}", common::text(&out.stderr)),
    }
}

#[test]
fn the_refreshers_rbac_allows_exactly_its_own_calls() {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let Some(plane) = cluster::control_plane() else { return };
    let _lock = cluster::cluster_scoped_lock();
    let dir = common::scratch("refresher-rbac");
    for location in ["ecr", "gcr"] {
        let a = access(plane, &k8sjson, "rbac", location, &dir);
        let app = (a.apps)("app-one");
        let own = format!("secrets/{}", a.secret);
        let allowed = [
            ("list", "namespaces".to_owned()),
            ("create", "secrets".to_owned()),
            ("update", own.clone()),
        ];
        for (verb, resource) in &allowed {
            assert!(can_i(plane, &a, verb, resource, &app), "{location}: {verb} {resource}");
        }
        let refused = [
            ("get", "secrets".to_owned()),
            ("list", "secrets".to_owned()),
            ("watch", "secrets".to_owned()),
            ("get", own.clone()),
            ("patch", own.clone()),
            ("delete", own.clone()),
            ("update", "secrets/registry-secret".to_owned()),
            ("update", "secrets".to_owned()),
            ("get", "namespaces".to_owned()),
            ("create", "namespaces".to_owned()),
            ("create", "pods".to_owned()),
            ("create", "configmaps".to_owned()),
        ];
        for (verb, resource) in &refused {
            assert!(
                !can_i(plane, &a, verb, resource, &app),
                "{location}: {verb} {resource} is allowed"
            );
        }
        // And nothing else: the rules the server itself reports for this
        // identity are these three, beyond what every authenticated user gets.
        let review = serde_json::json!({"apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectRulesReview", "spec": {"namespace": app}});
        let mut cmd = plane.kubectl_as(&a.kubeconfig);
        // No client-side validation: it would look up CRDs, which this identity may not list.
        cmd.args(["create", "--validate=false", "-o", "json", "-f", "-"]);
        let reviewed = cluster::checked(Ok(common::run(&mut cmd, &review.to_string())))
            .unwrap_or_else(|e| panic!("{location}: SelfSubjectRulesReview: {e}"));
        let reviewed: Json = serde_json::from_str(&reviewed).unwrap();
        let rules: BTreeSet<String> = reviewed["status"]["resourceRules"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                // What system:basic-user and system:discovery give everyone.
                !r["apiGroups"].to_string().contains("authorization.k8s.io")
                    && !r["apiGroups"].to_string().contains("authentication.k8s.io")
            })
            .map(|r| {
                format!(
                    "{} {} {}",
                    r["verbs"],
                    r["resources"],
                    r.get("resourceNames").cloned().unwrap_or(Json::Null)
                )
            })
            .collect();
        let expected: BTreeSet<String> = [
            r#"["list"] ["namespaces"] null"#.to_owned(),
            r#"["create"] ["secrets"] null"#.to_owned(),
            format!(r#"["update"] ["secrets"] ["{}"]"#, a.secret),
        ]
        .into();
        assert_eq!(rules, expected, "{location}: the refresher's rules");
        let _ = plane.run(&["delete", "namespace", &a.namespace, "--wait=false"]);
    }
}

/// A raw request as the refresher's ServiceAccount: Ok(body) or Err(the
/// server's refusal).
fn request(plane: &ControlPlane, a: &Access, verb: &str, path: &str, body: Option<&Json>) -> Result<String, String> {
    let mut cmd = plane.kubectl_as(&a.kubeconfig);
    cmd.args([verb, "--raw", path]);
    match body {
        Some(b) => {
            cmd.args(["-f", "-"]);
            cluster::checked(Ok(common::run(&mut cmd, &b.to_string())))
        }
        None => cluster::checked(cmd.output()),
    }
}

/// The Secret the refresher writes (pkg/secrets.go): type
/// kubernetes.io/dockerconfigjson, key .dockerconfigjson, no labels.
fn pull_secret(name: &str, token: &str) -> Json {
    use base64::Engine;
    let config = serde_json::json!({"auths": {"123456789012.dkr.ecr.eu-west-1.amazonaws.com":
        {"auth": token, "email": "none@none.com"}}});
    serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64::engine::general_purpose::STANDARD.encode(config.to_string())}})
}

#[test]
fn the_refreshers_own_requests_succeed_with_its_token() {
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let Some(plane) = cluster::control_plane() else { return };
    let _lock = cluster::cluster_scoped_lock();
    let dir = common::scratch("refresher-calls");
    for location in ["ecr", "gcr"] {
        let a = access(plane, &k8sjson, "calls", location, &dir);
        // boot.go: kubeClient.Namespaces().List(LabelSelector heritage=deis)
        let listed = request(
            plane,
            &a,
            "get",
            "/api/v1/namespaces?labelSelector=heritage%3Ddeis",
            None,
        )
        .unwrap_or_else(|e| panic!("{location}: list namespaces: {e}"));
        let listed: Json = serde_json::from_str(&listed).unwrap();
        let names: BTreeSet<&str> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n["metadata"]["name"].as_str())
            .collect();
        for app in ["app-one", "app-two"] {
            assert!(names.contains((a.apps)(app).as_str()), "{location}: {names:?}");
        }
        assert!(!names.contains((a.apps)("not-workflow").as_str()));

        for app in ["app-one", "app-two"] {
            let secrets = format!("/api/v1/namespaces/{}/secrets", (a.apps)(app));
            let own = format!("{secrets}/{}", a.secret);
            // CreateSecret: a POST...
            request(plane, &a, "create", &secrets, Some(&pull_secret(&a.secret, "first")))
                .unwrap_or_else(|e| panic!("{location}: create in {app}: {e}"));
            // ...which the next namespace scan repeats after a restart:
            // AlreadyExists, then UpdateSecret's PUT.
            let again = request(plane, &a, "create", &secrets, Some(&pull_secret(&a.secret, "first")));
            assert!(again.as_ref().is_err_and(|e| e.contains("AlreadyExists")), "{again:?}");
            // UpdateSecret on every token refresh: a PUT of the whole Secret.
            request(plane, &a, "replace", &own, Some(&pull_secret(&a.secret, "refreshed")))
                .unwrap_or_else(|e| panic!("{location}: update in {app}: {e}"));
        }
        // What ended up there, read as the admin.
        let stored = plane
            .run(&[
                "get",
                "secret",
                &a.secret,
                "--namespace",
                &(a.apps)("app-one"),
                "-o",
                "json",
            ])
            .unwrap();
        let stored: Json = serde_json::from_str(&stored).unwrap();
        assert_eq!(stored["type"], "kubernetes.io/dockerconfigjson");
        assert_eq!(
            stored["data"][".dockerconfigjson"],
            pull_secret(&a.secret, "refreshed")["data"][".dockerconfigjson"]
        );

        // Nothing beyond its calls: reading, listing or deleting secrets,
        // writing another one.
        let app = format!("/api/v1/namespaces/{}/secrets", (a.apps)("app-one"));
        for (verb, path, body) in [
            ("get", format!("{app}/{}", a.secret), None),
            ("get", app.clone(), None),
            ("delete", format!("{app}/{}", a.secret), None),
            ("replace", format!("{app}/other"), Some(pull_secret("other", "x"))),
        ] {
            let refused = request(plane, &a, verb, &path, body.as_ref());
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|e| e.contains("Forbidden") || e.contains("forbidden")),
                "{location}: {verb} {path}: {refused:?}"
            );
        }
        let _ = plane.run(&["delete", "namespace", &a.namespace, "--wait=false"]);
    }
}
