//! The real chart installed on the live server through each Helm client's
//! post-renderer, as the README's recipes use it (Helm 4: the plugin by name;
//! Helm 3: the binary's path), configured by environment for each location;
//! then upgraded through every location switch and rolled back.
//!
//! After every step the cluster must hold what the chart itself renders for
//! that location (the oracle of tests/chart.rs: the chart configured by its
//! own values, rendered by Helm 4 through a pass-through post-renderer), plus
//! the refresher's ServiceAccount and RBAC that the chart lacks, and nothing
//! else of the release; the controllers must be able to create every pod.
//! No `--wait`: nothing needs to run, and there is no node to run it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::Value as Json;

use crate::common;
use common::charts::{self, Chart};
use common::cluster::{self, ControlPlane};
use common::helm::Helm;
use common::served;

/// One Helm client and how it names our post-renderer.
struct Client {
    name: &'static str,
    helm: Helm,
    post_renderer: Vec<String>,
}

fn client(which: &str, plane: &ControlPlane, dir: &Path) -> Option<Client> {
    let home = dir.join(which);
    match which {
        "helm4" => {
            let helm = Helm::v4(&home)?.with_kubeconfig(&plane.kubeconfig);
            helm.link_our_plugin();
            Some(Client {
                name: "Helm 4",
                helm,
                post_renderer: vec!["--post-renderer".into(), "workflow-registry".into()],
            })
        }
        _ => {
            let helm = Helm::v3(&home)?.with_kubeconfig(&plane.kubeconfig);
            Some(Client {
                name: "Helm 3",
                helm,
                post_renderer: vec!["--post-renderer".into(), env!("CARGO_BIN_EXE_workflow-registry").into()],
            })
        }
    }
}

/// The chart (adjusted for a current Kubernetes), its oracle renders, and
/// the scratch directory of a test.
struct Setup {
    chart: Chart,
    copy: PathBuf,
    dir: PathBuf,
    k8sjson: PathBuf,
}

fn setup(name: &str) -> Option<(Setup, &'static ControlPlane)> {
    let k8sjson = common::peer("k8sjson")?;
    let chart = charts::hephy()?;
    let plane = cluster::control_plane()?;
    let dir = common::scratch(name);
    let copy = chart.copy_for_current_kubernetes(&dir.join("chart"));
    Some((
        Setup {
            chart,
            copy,
            dir,
            k8sjson,
        },
        plane,
    ))
}

impl Setup {
    /// The chart's own rendering for `location` (its values) into
    /// `namespace`, by Helm 4 through a pass-through post-renderer:
    /// kind/name -> object, hooks left out (Helm keeps them apart from the
    /// release's objects).
    fn oracle(&self, location: &str, namespace: &str) -> BTreeMap<String, Json> {
        static RENDERS: OnceLock<Mutex<BTreeMap<String, String>>> = OnceLock::new();
        let key = format!("{}/{location}/{namespace}", self.chart.name);
        let mut renders = RENDERS.get_or_init(Default::default).lock().unwrap();
        let text = renders
            .entry(key)
            .or_insert_with(|| {
                let helm = Helm::v4(&self.dir.join("oracle")).expect("Helm 4");
                helm.add_cat_plugin();
                let values = self.dir.join(format!("values-{location}.json"));
                std::fs::write(&values, (self.chart.values)(location).to_string()).unwrap();
                helm.run(
                    &[
                        "template",
                        self.chart.release,
                        self.copy.to_str().unwrap(),
                        "--namespace",
                        namespace,
                        "--values",
                        values.to_str().unwrap(),
                        "--post-renderer",
                        "cat",
                    ],
                    &[],
                )
                .unwrap_or_else(|e| panic!("the chart's own render for {location}: {e}"))
            })
            .clone();
        common::k8s_decode(&self.k8sjson, &text)
            .into_iter()
            .map(|(_, doc)| doc)
            .filter(|d| d["metadata"]["annotations"]["helm.sh/hook"].is_null())
            .map(|d| (served::key(&d), d))
            .collect()
    }

    /// The tool's configuration for `location`, and where it logs.
    fn tool_env(&self, location: &str) -> Vec<(&'static str, String)> {
        let mut env = common::location_env(location);
        env.push((
            "WORKFLOW_REGISTRY_LOG",
            self.dir.join("workflow-registry.log").display().to_string(),
        ));
        env
    }
}

/// The objects of release `release` in the cluster (Helm marks each with
/// its release's name and namespace), kind/name -> object, of the kinds
/// that any location's render or the tool holds.
fn release_objects(plane: &ControlPlane, setup: &Setup, namespace: &str) -> BTreeMap<String, Json> {
    static KINDS: OnceLock<String> = OnceLock::new();
    let kinds = KINDS.get_or_init(|| {
        let mut kinds = BTreeSet::new();
        for location in setup.chart.locations {
            for added in (setup.chart.added)(location) {
                kinds.insert(added.split('/').next().unwrap().to_lowercase());
            }
            for doc in setup.oracle(location, setup.chart.namespace).values() {
                kinds.insert(doc["kind"].as_str().unwrap().to_lowercase());
            }
        }
        kinds.into_iter().collect::<Vec<_>>().join(",")
    });
    let out = plane
        .run(&["get", kinds, "--all-namespaces", "-o", "json"])
        .unwrap_or_else(|e| panic!("listing the cluster's objects: {e}"));
    let list: Json = serde_json::from_str(&out).unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| {
            let a = &o["metadata"]["annotations"];
            a["meta.helm.sh/release-name"] == setup.chart.release && a["meta.helm.sh/release-namespace"] == namespace
        })
        .map(|o| (served::key(o), o.clone()))
        .collect()
}

/// What must hold after a step that left the release at `location`.
fn assert_release_is(plane: &ControlPlane, setup: &Setup, namespace: &str, location: &str, step: &str) {
    let oracle = setup.oracle(location, namespace);
    let ours = release_objects(plane, setup, namespace);
    let deployment = "Deployment/deis-registry-token-refresher";
    let refresher = oracle.contains_key(deployment);

    // Exactly the chart's objects for this location, plus what the tool adds.
    let mut expected: BTreeSet<String> = oracle.keys().cloned().collect();
    expected.extend((setup.chart.added)(location).iter().map(|k| (*k).to_owned()));
    let held: BTreeSet<String> = ours.keys().cloned().collect();
    let missing: Vec<&String> = expected.difference(&held).collect();
    let left_over: Vec<&String> = held.difference(&expected).collect();
    assert!(
        missing.is_empty() && left_over.is_empty(),
        "{step}: the cluster does not hold the chart's objects for {location}:\n  missing {missing:?}\n  left over {left_over:?}"
    );

    // Each means what the chart renders.
    for (key, doc) in &oracle {
        assert_eq!(charts::envs(doc), charts::envs(&ours[key]), "{step}: env of {key}");
    }
    if let Some(secret) = oracle.get("Secret/registry-secret") {
        let (theirs, stored) = (
            charts::secret_data(secret),
            charts::secret_data(&ours["Secret/registry-secret"]),
        );
        // Compared without printing: the values are credentials.
        assert!(
            theirs == stored,
            "{step}: registry-secret's data differs from the chart's (keys: chart {:?}, cluster {:?})",
            theirs.keys().collect::<Vec<_>>(),
            stored.keys().collect::<Vec<_>>()
        );
    }
    if let Some(theirs) = oracle.get(deployment) {
        assert_eq!(
            charts::refresher_meaning(theirs),
            charts::refresher_meaning(&ours[deployment]),
            "{step}: the refresher"
        );
        let binding = &ours["ClusterRoleBinding/deis:deis-registry-token-refresher"];
        assert_eq!(
            binding["subjects"][0]["namespace"], namespace,
            "{step}: the refresher's binding names the release namespace"
        );
    }

    // The controllers can create every pod of every workload of the release.
    let docs: Vec<Json> = ours.values().cloned().collect();
    let pods = served::wait_for_pods(plane, &served::workloads(&docs, namespace), Duration::from_secs(90))
        .unwrap_or_else(|e| panic!("{step}: {e}"));
    if refresher {
        let pod = &pods[deployment][0]["spec"];
        assert_eq!(pod["serviceAccountName"], "deis-registry-token-refresher", "{step}");
        assert!(
            pod.to_string()
                .contains("/var/run/secrets/kubernetes.io/serviceaccount"),
            "{step}: the refresher's pod gets its ServiceAccount token"
        );
    }
}

impl Client {
    /// `helm ARGS` against the cluster, configured for `location`.
    fn run(&self, setup: &Setup, args: &[&str], location: &str) -> Result<String, String> {
        let env = setup.tool_env(location);
        let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (*k, v.clone())).collect();
        self.helm.run(args, &env).map_err(|e| {
            let log = std::fs::read_to_string(setup.dir.join("workflow-registry.log")).unwrap_or_default();
            format!("{} {e}\nworkflow-registry's log:\n{log}", self.name)
        })
    }

    /// install (`verb` = install) or upgrade the release at `location`.
    fn deploy(&self, setup: &Setup, verb: &str, namespace: &str, location: &str) -> Result<String, String> {
        let mut args = vec![
            verb,
            setup.chart.release,
            setup.copy.to_str().unwrap(),
            "--namespace",
            namespace,
        ];
        if verb == "install" {
            args.push("--create-namespace");
        }
        args.extend(self.post_renderer.iter().map(String::as_str));
        self.run(setup, &args, location)
    }
}

/// Uninstalls the release when dropped, also when a check failed: its
/// cluster-scoped objects would otherwise block the next test's install.
struct Installed<'a> {
    client: &'a Client,
    setup: &'a Setup,
    namespace: String,
}

impl Drop for Installed<'_> {
    fn drop(&mut self) {
        let args = [
            "uninstall",
            self.setup.chart.release,
            "--namespace",
            &self.namespace,
            "--wait",
        ];
        let uninstalled = self.client.run(self.setup, &args, "on-cluster");
        if let Err(e) = uninstalled {
            if !std::thread::panicking() {
                panic!("{}: {e}", self.namespace);
            }
        }
    }
}

/// Install each location into a namespace of its own, check it, uninstall
/// it, and check that nothing of the release is left.
fn install_each_location(which: &str) {
    let Some((setup, plane)) = setup(&format!("install-each-{which}")) else {
        return;
    };
    let Some(client) = client(which, plane, &setup.dir) else {
        return;
    };
    let _lock = cluster::cluster_scoped_lock();
    for location in setup.chart.locations {
        let namespace = format!("{which}-{location}");
        let step = format!("{} install {location}", client.name);
        client
            .deploy(&setup, "install", &namespace, location)
            .unwrap_or_else(|e| panic!("{step}: {e}"));
        assert_release_is(plane, &setup, &namespace, location, &step);
        client
            .run(
                &setup,
                &["uninstall", setup.chart.release, "--namespace", &namespace, "--wait"],
                location,
            )
            .unwrap_or_else(|e| panic!("{step}: uninstall: {e}"));
        let left = release_objects(plane, &setup, &namespace);
        assert!(left.is_empty(), "{step}: uninstall left {:?}", left.keys());
        let _ = plane.run(&["delete", "namespace", &namespace, "--wait=false"]);
    }
}

/// One release through every switch of the chart's tour, then rolled back
/// twice (the rollback applies the stored manifest of that revision, without
/// the post-renderer).
fn tour_every_switch_and_roll_back(which: &str) {
    let Some((setup, plane)) = setup(&format!("tour-{which}")) else {
        return;
    };
    let Some(client) = client(which, plane, &setup.dir) else {
        return;
    };
    let _lock = cluster::cluster_scoped_lock();
    let namespace = format!("{which}-tour");
    let installed = Installed {
        client: &client,
        setup: &setup,
        namespace: namespace.clone(),
    };
    let tour = setup.chart.tour;
    for (i, location) in tour.iter().enumerate() {
        let (verb, step) = if i == 0 {
            ("install", format!("{} install {location}", client.name))
        } else {
            (
                "upgrade",
                format!("{} upgrade {} -> {location}", client.name, tour[i - 1]),
            )
        };
        client
            .deploy(&setup, verb, &namespace, location)
            .unwrap_or_else(|e| panic!("{step}: {e}"));
        assert_release_is(plane, &setup, &namespace, location, &step);
    }
    // Revision n is tour[n - 1]; Helm keeps the last 10 (--history-max).
    let last = tour.len();
    for revision in [last - 2, last - 1] {
        let location = tour[revision - 1];
        let step = format!("{} rollback to revision {revision} ({location})", client.name);
        client
            .run(
                &setup,
                &[
                    "rollback",
                    setup.chart.release,
                    &revision.to_string(),
                    "--namespace",
                    &namespace,
                ],
                location,
            )
            .unwrap_or_else(|e| panic!("{step}: {e}"));
        assert_release_is(plane, &setup, &namespace, location, &step);
    }
    drop(installed);
    let left = release_objects(plane, &setup, &namespace);
    assert!(left.is_empty(), "the tour's uninstall left {:?}", left.keys());
    let _ = plane.run(&["delete", "namespace", &namespace, "--wait=false"]);
}

#[test]
fn helm4_installs_the_real_chart_for_each_location_through_the_plugin() {
    install_each_location("helm4");
}

#[test]
fn helm3_installs_the_real_chart_for_each_location_through_the_post_renderer_path() {
    install_each_location("helm3");
}

#[test]
fn helm4_upgrades_through_every_location_switch_and_rolls_back() {
    tour_every_switch_and_roll_back("helm4");
}

#[test]
fn helm3_upgrades_through_every_location_switch_and_rolls_back() {
    tour_every_switch_and_roll_back("helm3");
}

#[test]
fn the_tour_takes_every_switch_exactly_once() {
    let Some(chart) = charts::hephy() else { return };
    let switches: Vec<(&str, &str)> = chart.tour.windows(2).map(|w| (w[0], w[1])).collect();
    let distinct: BTreeSet<&(&str, &str)> = switches.iter().collect();
    assert_eq!(distinct.len(), switches.len(), "a switch is taken twice");
    for from in chart.locations {
        for to in chart.locations {
            assert_eq!(from != to, switches.contains(&(*from, *to)), "{from} -> {to}");
        }
    }
    assert_eq!(chart.tour.first(), chart.tour.last(), "the tour ends where it began");
}

/// The checks above, on a release whose manifest is wrong: a post-renderer
/// that runs the tool, then moves the refresher's ServiceAccount into
/// another namespace than its pod. Helm installs it; the controllers cannot
/// create the refresher's pod, and the check says so.
#[test]
fn a_refresher_whose_service_account_is_elsewhere_fails_the_release_check() {
    let Some((setup, plane)) = setup("broken-release") else {
        return;
    };
    let Some(mut client) = client("helm3", plane, &setup.dir) else {
        return;
    };
    let _lock = cluster::cluster_scoped_lock();
    plane.namespace("elsewhere-helm", &[]);
    let wrapper = setup.dir.join("moves-the-service-account");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n{} \"$@\" | awk '/^---/ {{ k = 0; n = 0 }} /^kind: ServiceAccount$/ {{ k = 1 }} \
             /^  name: deis-registry-token-refresher$/ {{ n = 1 }} \
             k && n && /^  namespace: / {{ $0 = \"  namespace: elsewhere-helm\" }} {{ print }}'\n",
            env!("CARGO_BIN_EXE_workflow-registry")
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    client.post_renderer = vec!["--post-renderer".into(), wrapper.display().to_string()];
    let namespace = "broken-release";
    let installed = Installed {
        client: &client,
        setup: &setup,
        namespace: namespace.into(),
    };
    client
        .deploy(&setup, "install", namespace, "ecr")
        .unwrap_or_else(|e| panic!("Helm installs the broken manifest: {e}"));
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert_release_is(plane, &setup, namespace, "ecr", "broken")
    }));
    drop(installed);
    let message = failed
        .expect_err("the check must fail")
        .downcast::<String>()
        .map(|m| *m)
        .unwrap_or_default();
    assert!(
        message.contains("serviceaccount \"deis-registry-token-refresher\" not found"),
        "{message}"
    );
    let _ = plane.run(&["delete", "namespace", namespace, "elsewhere-helm", "--wait=false"]);
}
