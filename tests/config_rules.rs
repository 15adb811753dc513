//! Every validation rule, suggestion, normalisation and warning of the
//! configuration (SPEC 1.2, issue 3), one case each.

mod common;

use std::path::Path;

use workflow_registry::config::{self, params, Location, Settings, Warning};

fn validate(env: &[(&str, &str)]) -> Result<(Settings, Vec<Warning>), config::Problems> {
    let lookup = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
    config::validate(&config::resolve(&config::Inputs {
        env: Some(&lookup),
        ..config::Inputs::default()
    }))
}

/// The problems' text, one per line.
fn problems(env: &[(&str, &str)]) -> String {
    match validate(env) {
        Ok(_) => panic!("expected problems for {env:?}"),
        Err(p) => p
            .problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn warnings(env: &[(&str, &str)]) -> String {
    let (_, w) = validate(env).unwrap_or_else(|p| panic!("{env:?}: {p}"));
    w.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

fn assert_has(haystack: &str, needles: &[&str]) {
    for n in needles {
        assert!(haystack.contains(n), "missing {n:?} in:\n{haystack}");
    }
}

const OFF: [(&str, &str); 4] = [
    ("REGISTRY_LOCATION", "off-cluster"),
    ("REGISTRY_HOSTNAME", "quay.io"),
    ("REGISTRY_USERNAME", "u"),
    ("REGISTRY_PASSWORD", "p"),
];

fn with<'a>(base: &[(&'a str, &'a str)], more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env: Vec<_> = base
        .iter()
        .filter(|(k, _)| !more.iter().any(|(m, _)| m == k))
        .copied()
        .collect();
    env.extend_from_slice(more);
    env
}

#[test]
fn location_must_be_known_with_suggestions() {
    assert_has(
        &problems(&[("REGISTRY_LOCATION", "gcs")]),
        &[
            "REGISTRY_LOCATION (params: registry_location), from env REGISTRY_LOCATION: found \"gcs\"",
            "did you mean \"gcr\"?",
        ],
    );
    assert_has(&problems(&[("REGISTRY_LOCATION", "GCR")]), &["did you mean \"gcr\"?"]);
    assert_has(
        &problems(&[("REGISTRY_LOCATION", "offcluster")]),
        &["did you mean \"off-cluster\"?"],
    );
    assert!(!problems(&[("REGISTRY_LOCATION", "artifactory")]).contains("did you mean"));
    assert_eq!(validate(&[]).unwrap().0.location, Location::OnCluster, "default");
}

#[test]
fn deis_registry_location_instead_of_registry_location() {
    assert_has(
        &problems(&[("DEIS_REGISTRY_LOCATION", "gcr")]),
        &[
            "DEIS_REGISTRY_LOCATION=\"gcr\" is set but REGISTRY_LOCATION is not",
            "rename the variable",
        ],
    );
    let w = warnings(&[("REGISTRY_LOCATION", "on-cluster"), ("DEIS_REGISTRY_LOCATION", "ecr")]);
    assert_has(&w, &["DEIS_REGISTRY_LOCATION=\"ecr\" is ignored"]);
}

#[test]
fn off_cluster_requires_credentials_and_checks_names() {
    assert_has(
        &problems(&[("REGISTRY_LOCATION", "off-cluster"), ("REGISTRY_HOSTNAME", "quay.io")]),
        &[
            "REGISTRY_USERNAME (params: off_cluster_registry.username): is required",
            "REGISTRY_PASSWORD (params: off_cluster_registry.password): is required",
        ],
    );
    assert_has(
        &problems(&with(&OFF, &[("REGISTRY_HOSTNAME", "")])),
        &["REGISTRY_ORGANIZATION", "is required for Docker Hub"],
    );
    assert_has(
        &problems(&with(&OFF, &[("REGISTRY_ORGANIZATION", "My_Org")])),
        &["found \"My_Org\", expected a Docker repository path"],
    );
    assert_has(
        &problems(&with(&OFF, &[("REGISTRY_HOSTNAME", "quay.io/myorg")])),
        &["found \"quay.io/myorg\", expected host or host:port"],
    );
    assert_has(
        &problems(&with(&OFF, &[("REGISTRY_HOSTNAME", "registry:99999")])),
        &["expected host or host:port"],
    );
    let (s, _) = validate(&with(
        &OFF,
        &[
            ("REGISTRY_HOSTNAME", "registry.local:5000"),
            ("REGISTRY_ORGANIZATION", "team/sub"),
        ],
    ))
    .unwrap();
    assert!(
        matches!(s.location, Location::OffCluster { ref hostname, ref organization, .. } if hostname == "registry.local:5000" && organization == "team/sub")
    );
}

#[test]
fn hostnames_are_normalised_with_a_warning() {
    let (s, w) = validate(&with(&OFF, &[("REGISTRY_HOSTNAME", "https://myregistry.azurecr.io/")])).unwrap();
    assert!(matches!(s.location, Location::OffCluster { ref hostname, .. } if hostname == "myregistry.azurecr.io"));
    assert_has(
        &w.iter().map(ToString::to_string).collect::<String>(),
        &["\"https://myregistry.azurecr.io/\" was normalised to \"myregistry.azurecr.io\""],
    );
    for hub in ["docker.io", "index.docker.io", "https://index.docker.io/v1/"] {
        let (s, w) = validate(&with(
            &OFF,
            &[("REGISTRY_HOSTNAME", hub), ("REGISTRY_ORGANIZATION", "myorg")],
        ))
        .unwrap();
        assert!(
            matches!(s.location, Location::OffCluster { ref hostname, .. } if hostname.is_empty()),
            "{hub}"
        );
        assert!(
            w.iter().any(|w| w.to_string().contains("understood as Docker Hub")),
            "{hub}"
        );
    }
}

#[test]
fn whitespace_and_newlines_are_trimmed_with_a_warning() {
    let (s, w) = validate(&with(
        &OFF,
        &[("REGISTRY_USERNAME", " u\n"), ("REGISTRY_PASSWORD", "p\n")],
    ))
    .unwrap();
    assert!(
        matches!(s.location, Location::OffCluster { ref username, ref password, .. } if username == "u" && password.expose() == "p")
    );
    let shown: Vec<String> = w.iter().map(ToString::to_string).collect();
    assert!(
        shown
            .iter()
            .any(|w| w.starts_with("REGISTRY_USERNAME: leading or trailing white space")),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .any(|w| w.starts_with("REGISTRY_PASSWORD: leading or trailing white space")),
        "{shown:?}"
    );
}

#[test]
fn off_cluster_warnings() {
    let w = warnings(&OFF);
    assert_has(
        &w,
        &[
            "copies the long-lived registry credentials into every app namespace",
            "deis config:set PORT=<port>",
        ],
    );
    for user in ["AWS", "oauth2accesstoken"] {
        assert_has(
            &warnings(&with(&OFF, &[("REGISTRY_USERNAME", user)])),
            &["is the user of a short-lived token"],
        );
    }
    assert!(!warnings(&[]).contains("PORT"), "on-cluster needs no PORT");
}

const ECR: [(&str, &str); 1] = [("REGISTRY_LOCATION", "ecr")];

#[test]
fn ecr_rules() {
    assert!(
        validate(&ECR).is_ok(),
        "IAM role: keys may both be empty; region defaults to us-west-2"
    );
    assert_has(
        &problems(&with(&ECR, &[("ECR_REGION", "us-west")])),
        &["ECR_REGION (params: ecr.region), from env ECR_REGION: found \"us-west\", expected an AWS region"],
    );
    assert_has(
        &problems(&with(&ECR, &[("ECR_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE")])),
        &["ECR_SECRET_KEY", "is required when ECR_ACCESS_KEY is set"],
    );
    assert_has(
        &problems(&with(&ECR, &[("ECR_SECRET_KEY", "x")])),
        &["ECR_ACCESS_KEY", "is required when ECR_SECRET_KEY is set"],
    );
    assert_has(
        &problems(&with(
            &ECR,
            &[("ECR_ACCESS_KEY", "ASIAIOSFODNN7EXAMPLE"), ("ECR_SECRET_KEY", "x")],
        )),
        &["temporary (STS) key"],
    );
    assert_has(
        &problems(&with(&ECR, &[("ECR_ACCESS_KEY", "short"), ("ECR_SECRET_KEY", "x")])),
        &["does not look like an AWS access key id"],
    );
    assert_has(
        &problems(&with(&ECR, &[("ECR_REGISTRY_ID", "12345")])),
        &["found \"12345\", expected a 12-digit AWS account id"],
    );
    let (s, _) = validate(&with(&ECR, &[("ECR_REGISTRY_ID", "012345678901")])).unwrap();
    assert!(
        matches!(s.location, Location::Ecr { ref registry_id, .. } if registry_id == "012345678901"),
        "kept as a string, leading zero and all"
    );
}

#[test]
fn ecr_hostname_must_agree_and_is_discouraged() {
    let host = [("ECR_REGISTRY_ID", "123456789012"), ("ECR_REGION", "eu-west-1")];
    let w = warnings(&with(
        &with(&ECR, &host),
        &[("ECR_HOSTNAME", "123456789012.dkr.ecr.eu-west-1.amazonaws.com")],
    ));
    assert_has(&w, &["Workflow's docs say to leave it empty"]);
    assert_has(
        &problems(&with(
            &with(&ECR, &host),
            &[("ECR_HOSTNAME", "999999999999.dkr.ecr.eu-west-1.amazonaws.com")],
        )),
        &["names account 999999999999 but ECR_REGISTRY_ID is 123456789012"],
    );
    assert_has(
        &problems(&with(
            &with(&ECR, &host),
            &[("ECR_HOSTNAME", "123456789012.dkr.ecr.us-east-1.amazonaws.com")],
        )),
        &["names region us-east-1 but ECR_REGION is eu-west-1"],
    );
    assert_has(
        &problems(&with(&ECR, &[("ECR_HOSTNAME", "quay.io")])),
        &["expected <account>.dkr.ecr.<region>.amazonaws.com"],
    );
}

#[test]
fn gcr_rules() {
    fn gcr(key: &str) -> Vec<(&str, &str)> {
        vec![("REGISTRY_LOCATION", "gcr"), ("GCR_KEY_JSON", key)]
    }
    assert_has(
        &problems(&[("REGISTRY_LOCATION", "gcr")]),
        &["GCR_KEY_JSON (params: gcr.key_json): is required"],
    );
    assert_has(
        &problems(&gcr("Paste JSON data here.")),
        &["placeholder `Paste JSON data here.`"],
    );
    assert_has(
        &problems(&gcr("<base64-encoded JSON data>")),
        &["placeholder `<base64-encoded JSON data>`"],
    );
    assert_has(
        &problems(&gcr(&common::GCR_KEY.replace("\"project_id\": \"my-proj\", ", ""))),
        &["lacks project_id"],
    );
    assert_has(
        &problems(&gcr(&common::GCR_KEY.replace("-----BEGIN PRIVATE KEY-----", "MII"))),
        &["not a PEM private key"],
    );
    let mut env = gcr(common::GCR_KEY);
    env.push(("GCR_HOSTNAME", "quay.io"));
    assert_has(&problems(&env), &["GCR_HOSTNAME", "expected gcr.io"]);
    for host in ["eu.gcr.io", "https://gcr.io", "europe-west1-docker.pkg.dev"] {
        let mut env = gcr(common::GCR_KEY);
        env.push(("GCR_HOSTNAME", host));
        assert!(validate(&env).is_ok(), "{host}");
    }
}

#[test]
fn gcr_key_as_json_base64_or_file_gives_the_same_secret() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(common::GCR_KEY);
    let path = std::env::temp_dir().join(format!("wr-rules-key-{}.json", std::process::id()));
    std::fs::write(&path, common::GCR_KEY).unwrap();
    let at_path = format!("@{}", path.display());
    let keys: Vec<String> = [common::GCR_KEY, b64.as_str(), at_path.as_str()]
        .iter()
        .map(|k| {
            match validate(&[("REGISTRY_LOCATION", "gcr"), ("GCR_KEY_JSON", k)])
                .unwrap()
                .0
                .location
            {
                Location::Gcr { key_json, .. } => key_json.expose().to_owned(),
                other => panic!("{other:?}"),
            }
        })
        .collect();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(keys, vec![common::GCR_KEY.to_owned(); 3]);
}

#[test]
fn token_refresh_time_rules_and_warnings() {
    fn ecr(t: &str) -> Vec<(&str, &str)> {
        vec![("REGISTRY_LOCATION", "ecr"), ("DEIS_TOKEN_REFRESH_TIME", t)]
    }
    assert_has(
        &problems(&ecr("0")),
        &[
            "DEIS_TOKEN_REFRESH_TIME",
            "expected a positive whole number of minutes (below 720)",
        ],
    );
    assert_has(&problems(&ecr("ten")), &["found \"ten\""]);
    assert_has(
        &warnings(&ecr("720")),
        &["720 minutes is not below the token lifetime (720 minutes)"],
    );
    assert!(!warnings(&ecr("600")).contains("lifetime"));
    let gcr = vec![
        ("REGISTRY_LOCATION", "gcr"),
        ("GCR_KEY_JSON", common::GCR_KEY),
        ("DEIS_TOKEN_REFRESH_TIME", "90"),
    ];
    assert_has(&warnings(&gcr), &["not below the token lifetime (60 minutes)"]);
    assert_has(
        &warnings(&with(&OFF, &[("DEIS_TOKEN_REFRESH_TIME", "30")])),
        &["is ignored: off-cluster has no token refresher"],
    );
    // A refresh time with a stock refresher image is refused by the transform,
    // which knows the image the output runs (tests/chart.rs, transform::refresher).
}

#[test]
fn prefix_and_image_rules() {
    let lookup = |_: &str| None;
    let inputs = config::Inputs {
        flags: vec![(config::Setting::SecretPrefix, "Private_Registry".into())],
        env: Some(&lookup),
        ..Default::default()
    };
    let e = config::validate(&config::resolve(&inputs)).unwrap_err();
    assert!(e.to_string().contains("--secret-prefix (params: registry_token_refresher.secretPrefix), from flag --secret-prefix: found \"Private_Registry\""), "{e}");
    assert_has(
        &problems(&[("REGISTRY_TOKEN_REFRESHER_IMAGE", "quay.io/x:")]),
        &["expected an image reference"],
    );
}

#[test]
fn params_file_with_env_and_flag_precedence() {
    let path = common::root().join("testdata/params/generate_params.toml");
    let p = params::load(&path).unwrap();
    let env = |name: &str| (name == "REGISTRY_PASSWORD").then(|| "from-env".to_string());
    let inputs = config::Inputs {
        env: Some(&env),
        files: vec![p.clone()],
        ..Default::default()
    };
    let resolved = config::resolve(&inputs);
    assert_eq!(
        resolved.value(config::Setting::Location),
        "off-cluster",
        "the commented duplicate line is ignored"
    );
    assert_eq!(
        resolved.source(config::Setting::Location).to_string(),
        "params file registry_location"
    );
    assert_eq!(resolved.value(config::Setting::Password), "from-env");
    let flags = vec![(config::Setting::Location, "on-cluster".to_string())];
    let inputs = config::Inputs {
        flags,
        env: Some(&env),
        files: vec![p],
        ..Default::default()
    };
    assert_eq!(config::resolve(&inputs).value(config::Setting::Location), "on-cluster");
    let missing = params::load(std::path::Path::new("/nonexistent/params.toml")).unwrap_err();
    assert!(missing[0]
        .to_string()
        .contains("--params: cannot read /nonexistent/params.toml: No such file"));
}

#[test]
fn every_problem_is_reported_at_once() {
    let env = [
        ("REGISTRY_LOCATION", "ecr"),
        ("ECR_REGION", "mars-1"),
        ("ECR_REGISTRY_ID", "x"),
        ("DEIS_TOKEN_REFRESH_TIME", "-5"),
    ];
    let e = validate(&env).unwrap_err();
    assert_eq!(e.problems.len(), 3, "{e}");
}

// ---- issue 10: configuration that means what it says ----

use workflow_registry::config::values;
use workflow_registry::plugin::function_config;

/// The real Hephy chart's values file, beside the clone (shared/ in CI).
fn hephy_values() -> Option<String> {
    let path = common::root().join("../shared/charts/hephy-workflow-v2.23.0/workflow/values.yaml");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0") => {
            panic!("{}: {e} (under CI the real chart is required)", path.display())
        }
        Err(e) => {
            eprintln!("SKIPPED: {}: {e}", path.display());
            None
        }
    }
}

fn resolve_files(env: &[(&str, &str)], files: Vec<params::Params>) -> config::Resolved {
    let lookup = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
    config::resolve(&config::Inputs {
        env: Some(&lookup),
        files,
        ..Default::default()
    })
}

#[test]
fn the_real_charts_values_file_with_a_location_set() {
    let Some(text) = hephy_values() else { return };
    let dir = common::scratch("hephy-values");
    let path = dir.join("values.yaml");
    // The operator's edit: the location, as the chart's comments say.
    let edited = text.replacen("registry_location: \"on-cluster\"", "registry_location: \"ecr\"", 1);
    assert_ne!(edited, text, "the chart's values still carry the location line");
    std::fs::write(&path, &edited).unwrap();
    let p = values::load(&path).unwrap_or_else(|e| panic!("{e:?}"));
    let r = resolve_files(&[], vec![p]);
    let (settings, warnings) = config::validate(&r).unwrap();
    // What the chart renders from the same values: location ecr, its
    // secret_prefix, region us-west-2 from the sub-chart's values, no
    // token refresh time (the chart's "" means the provider's default).
    assert_eq!(settings.location.name(), "ecr");
    assert_eq!(
        r.source(config::Setting::Location).to_string(),
        "values file global.registry_location"
    );
    assert_eq!(r.value(config::Setting::SecretPrefix), "private-registry");
    assert!(r.is_explicit(config::Setting::SecretPrefix), "the chart sets it");
    assert_eq!(r.value(config::Setting::EcrRegion), "us-west-2");
    assert_eq!(
        r.source(config::Setting::EcrRegion).to_string(),
        "values file registry-token-refresher.ecr.region"
    );
    assert_eq!(settings.token_refresh_time, "");
    assert!(
        !r.is_explicit(config::Setting::RefresherImage),
        "the chart's image stands"
    );
    assert!(
        !warnings.iter().any(|w| w.to_string().contains("ECR_REGION")),
        "{warnings:?}"
    );
    // gcr with the chart's placeholder key is caught by name.
    std::fs::write(
        &path,
        text.replacen("registry_location: \"on-cluster\"", "registry_location: gcr", 1),
    )
    .unwrap();
    let r = resolve_files(&[], vec![values::load(&path).unwrap()]);
    let e = config::validate(&r).unwrap_err().to_string();
    assert!(e.contains("values file registry-token-refresher.gcr.key_json: is still Workflow's placeholder `<base64-encoded JSON data>`"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_values_file_gives_the_gcr_key_in_base64_and_the_refresher_image() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(common::GCR_KEY);
    let p = values::parse(&format!(
        "global:\n  registry_location: gcr\nregistry-token-refresher:\n  org: myorg\n  docker_tag: v1.2.1\n  gcr:\n    key_json: {b64}\n"
    ))
    .unwrap();
    let (settings, _) = config::validate(&resolve_files(&[], vec![p])).unwrap();
    assert_eq!(
        settings.refresher_image.as_deref(),
        Some("myorg/registry-token-refresher:v1.2.1")
    );
    match settings.location {
        Location::Gcr { key_json, .. } => assert_eq!(key_json.expose(), common::GCR_KEY),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_blank_value_counts_as_unset_everywhere() {
    let p = params::parse("[off_cluster_registry]\nhostname = \"quay.io\"\n").unwrap();
    let r = resolve_files(&[("REGISTRY_HOSTNAME", " \t"), ("REGISTRY_LOCATION", "\n")], vec![p]);
    assert_eq!(
        r.value(config::Setting::Hostname),
        "quay.io",
        "the params file's value shows through"
    );
    assert_eq!(
        r.value(config::Setting::Location),
        "on-cluster",
        "the default shows through"
    );
    let w: Vec<String> = r.warnings.iter().map(ToString::to_string).collect();
    assert!(
        w.iter()
            .any(|w| w == "REGISTRY_HOSTNAME: is only white space (from env REGISTRY_HOSTNAME): counted as unset"),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.starts_with("REGISTRY_LOCATION: is only white space")),
        "{w:?}"
    );
}

#[test]
fn config_files_that_disagree_are_reported() {
    let toml = params::parse("registry_location = \"ecr\"\n[gcr]\nkey_json = \"x\"\n").unwrap();
    let yaml = values::parse("global: {registry_location: gcr}\n").unwrap();
    let e = config::validate(&resolve_files(&[], vec![toml.clone(), yaml.clone()]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "params file registry_location (\"ecr\") and values file global.registry_location (\"gcr\") disagree"
        ),
        "{e}"
    );
    // The environment decides: no conflict.
    let r = resolve_files(&[("REGISTRY_LOCATION", "on-cluster")], vec![toml.clone(), yaml]);
    assert!(config::validate(&r).is_ok());
    // Agreeing files are fine; a disagreement about a setting the location
    // does not use is no problem.
    let other =
        values::parse("global: {registry_location: ecr}\nregistry-token-refresher: {gcr: {key_json: y}}\n").unwrap();
    assert!(config::validate(&resolve_files(&[], vec![toml, other])).is_ok());
    // Secrets that disagree are named, never shown.
    let a =
        params::parse("registry_location = \"ecr\"\n[ecr]\naccesskey = \"AKIAAAAAAAAAAAAAAAAA\"\nsecretkey = \"s1\"\n")
            .unwrap();
    let b = values::parse("registry-token-refresher: {ecr: {secretkey: s2}}\n").unwrap();
    let e = config::validate(&resolve_files(&[], vec![a, b]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("params file ecr.secretkey and values file registry-token-refresher.ecr.secretkey disagree"),
        "{e}"
    );
    assert!(!e.contains("\"s1\"") && !e.contains("\"s2\""), "{e}");
}

fn function_config_problems(yaml: &str) -> String {
    let root = workflow_registry::yaml::tree::parse(yaml).unwrap().unwrap();
    match function_config::from_node(&root, None) {
        Ok(_) => panic!("expected problems for {yaml}"),
        Err(p) => p.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
    }
}

fn function_config(yaml: &str) -> function_config::FunctionConfig {
    let root = workflow_registry::yaml::tree::parse(yaml).unwrap().unwrap();
    function_config::from_node(&root, None).unwrap_or_else(|p| panic!("{p:?}"))
}

const WR: &str = "apiVersion: registry.deis.io/v1alpha1\nkind: WorkflowRegistry\nmetadata:\n  name: r\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n";

#[test]
fn config_objects_are_strict_at_every_depth() {
    for form in ["spec:\n  ecr: {regoin: eu-west-1}\n", "ecr: {regoin: eu-west-1}\n"] {
        assert_has(
            &function_config_problems(&format!("{WR}{form}")),
            &["unknown key `ecr.regoin`; did you mean `region`?"],
        );
    }
    assert_has(
        &function_config_problems(&format!("{WR}spec:\n  registry_locaton: gcr\n")),
        &["unknown field `registry_locaton` (did you mean `registry_location`?)"],
    );
    assert_has(
        &function_config_problems(&format!(
            "{WR}registry_location: gcr\nspec:\n  ecr: {{region: eu-west-1}}\n"
        )),
        &["`registry_location` is at the top level next to `spec`"],
    );
    assert_has(
        &function_config_problems("kind: ConfigMap\ndata: {registry_location: ecr, ecr.regoin: x}\n"),
        &["`ecr.regoin`; did you mean `region`?"],
    );
    assert_has(
        &function_config_problems(&format!("{WR}spec: {{namespace: Deis_NS}}\n")),
        &["`namespace` must be a namespace name"],
    );
    // kustomize's own fields, both places; the Helm v2 spelling of the refresh time.
    let c = function_config(&format!(
        "{WR}argsOneLiner: --verbose\nspec:\n  argsOneLiner: x\n  registry_location: ecr\n  registry_token_refresher: {{token_refresh_time: 30}}\n"
    ));
    assert_eq!(
        c.params.get(config::Setting::TokenRefreshTime).map(|(v, _)| v),
        Some("30")
    );
    let c = function_config(&format!("{WR}argsOneLiner: x\nregistry_location: ecr\n"));
    assert_eq!(c.params.get(config::Setting::Location).map(|(v, _)| v), Some("ecr"));
    assert_has(
        &function_config_problems(&format!(
            "{WR}registry_token_refresher: {{token_refresh_time: 30, tokenRefreshTime: 20}}\n"
        )),
        &["both set, to different values"],
    );
}

#[test]
fn params_files_are_strict_inside_the_registry_tables() {
    let e = params::parse("[ecr]\nregoin = \"x\"\n").unwrap_err();
    assert!(
        e[0].to_string()
            .contains("unknown key `ecr.regoin`; did you mean `region`?"),
        "{}",
        e[0]
    );
    let e = params::parse("[registry-token-refresher]\ntokenRefreshTime = 30\n").unwrap_err();
    assert!(
        e[0].to_string().contains("did you mean `registry_token_refresher`?"),
        "{}",
        e[0]
    );
    // Workflow's other tables are none of our business.
    assert!(params::parse("[gcs]\nkey_json = \"x\"\n[registry]\nx = 1\n").is_ok());
    let e = params::parse("registry_location = 1979-05-27\n").unwrap_err();
    assert!(
        e[0].to_string().contains("found a date or time (quote the value"),
        "{}",
        e[0]
    );
}

#[test]
fn every_value_that_becomes_a_name_is_checked_as_one() {
    let lookup = |name: &str| (name == "REGISTRY_LOCATION").then(|| "ecr".to_string());
    for (prefix, ok) in [
        ("a.", false),
        ("acme.b", true),
        ("-x", false),
        ("a..b", false),
        ("acme", true),
    ] {
        let inputs = config::Inputs {
            flags: vec![(config::Setting::SecretPrefix, prefix.into())],
            env: Some(&lookup),
            ..Default::default()
        };
        let result = config::validate(&config::resolve(&inputs));
        assert_eq!(result.is_ok(), ok, "{prefix}: {result:?}");
        if let Err(e) = result {
            assert!(e.to_string().contains(&format!("\"{prefix}-ecr\"")), "{e}");
        }
    }
    assert_has(
        &problems(&[("REGISTRY_TOKEN_REFRESHER_IMAGE", "quay.io/deis/x:v1\nkind: Secret")]),
        &["expected an image reference"],
    );
    let shown = problems(&with(
        &OFF,
        &[("REGISTRY_PASSWORD", "hunter\n2"), ("REGISTRY_USERNAME", "u\tv")],
    ));
    assert_has(
        &shown,
        &[
            "REGISTRY_PASSWORD",
            "contains a control character",
            "REGISTRY_USERNAME (params: off_cluster_registry.username), from env REGISTRY_USERNAME: found \"u\\tv\"",
        ],
    );
    assert!(!shown.contains("hunter"), "{shown}");
}

#[test]
fn a_key_file_name_without_at_is_named() {
    let dir = common::scratch("key-hint");
    std::fs::write(dir.join("key.json"), common::GCR_KEY).unwrap();
    let out = common::run(
        common::binary(&[("REGISTRY_LOCATION", "gcr".into()), ("GCR_KEY_JSON", "key.json".into())])
            .arg("check")
            .current_dir(&dir),
        "",
    );
    let stderr = common::text(&out.stderr);
    assert!(
        stderr.contains("\"key.json\" is a file: did you mean @key.json?"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_default_ecr_region_is_said() {
    assert_has(
        &warnings(&[("REGISTRY_LOCATION", "ecr")]),
        &["ECR_REGION: is not set: using Workflow's default us-west-2"],
    );
    assert!(!warnings(&[("REGISTRY_LOCATION", "ecr"), ("ECR_REGION", "us-west-2")]).contains("is not set"));
}

const RESOURCE_LIST: &str = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: deis-builder, namespace: deis}\n  spec:\n    template:\n      spec:\n        containers:\n        - name: deis-builder\n          env: []\nfunctionConfig:\n  apiVersion: registry.deis.io/v1alpha1\n  kind: WorkflowRegistry\n  metadata: {name: r}\n  spec: {registry_location: ecr, ecr: {region: eu-west-1}}\n";

#[test]
fn every_source_is_read_in_krm_mode_too() {
    let dir = common::scratch("krm-sources");
    let agree = dir.join("agree.toml");
    std::fs::write(
        &agree,
        "registry_location = \"ecr\"\n[ecr]\nregistryid = \"123456789012\"\n",
    )
    .unwrap();
    let out = common::run(common::binary(&[]).arg("--params").arg(&agree), RESOURCE_LIST);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let stdout = common::text(&out.stdout);
    // The params file's registry id (base64 of 123456789012) is in the Secret.
    assert!(stdout.contains("registryid: MTIzNDU2Nzg5MDEy"), "{stdout}");
    let disagree = dir.join("disagree.toml");
    std::fs::write(&disagree, "registry_location = \"gcr\"\n").unwrap();
    let out = common::run(common::binary(&[]).arg("--params").arg(&disagree), RESOURCE_LIST);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::text(&out.stderr).contains(
            "function config registry_location (\"ecr\") and params file registry_location (\"gcr\") disagree"
        ) || common::text(&out.stderr).contains(
            "params file registry_location (\"gcr\") and function config registry_location (\"ecr\") disagree"
        ),
        "{}",
        common::text(&out.stderr)
    );
    let fc = dir.join("fc.yaml");
    std::fs::write(&fc, format!("{WR}spec: {{ecr: {{registryid: \"210987654321\"}}}}\n")).unwrap();
    let out = common::run(common::binary(&[]).arg("--function-config").arg(&fc), RESOURCE_LIST);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    assert!(common::text(&out.stdout).contains("registryid: MjEwOTg3NjU0MzIx"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn check_shows_the_locations_settings_with_sources_and_normalised_values() {
    let dir = common::scratch("check-sources");
    let values = dir.join("values.yaml");
    std::fs::write(
        &values,
        "global: {registry_location: off-cluster}\nregistry-token-refresher:\n  off_cluster_registry: {hostname: \"https://quay.io/\", organization: o, username: u, password: \"@p\"}\n",
    )
    .unwrap();
    let fc = dir.join("fc.yaml");
    std::fs::write(&fc, format!("{WR}spec: {{registry_location: off-cluster}}\n")).unwrap();
    let out = common::run(
        common::binary(&[])
            .arg("check")
            .arg("--values")
            .arg(&values)
            .arg("--function-config")
            .arg(&fc),
        "",
    );
    let stdout = common::text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", common::text(&out.stderr));
    let row = |name: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(row("REGISTRY_HOSTNAME").contains(" quay.io "), "{stdout}");
    assert!(row("REGISTRY_HOSTNAME").ends_with("values file registry-token-refresher.off_cluster_registry.hostname"));
    assert!(row("REGISTRY_PASSWORD").contains("(secret, 2 characters)"), "{stdout}");
    assert!(
        !stdout.contains("ECR_") && !stdout.contains("GCR_"),
        "only the location's settings: {stdout}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The real Hephy chart rendered by Helm 4's own SDK with a values file for
/// a location, against the chart's default render configured by this tool
/// with the same values file (`--values`): every object the chart renders
/// for that location means the same in both; the only extra objects are the
/// refresher's ServiceAccount and RBAC, which the chart lacks.
#[test]
fn a_values_file_configures_the_default_render_as_the_chart_renders_it() {
    use base64::Engine;
    let Some(text) = hephy_values() else { return };
    let Some(python) = common::peer("venv/bin/python") else {
        return;
    };
    let Some(k8sjson) = common::peer("k8sjson") else { return };
    let chart = common::root().join("../shared/charts/hephy-workflow-v2.23.0/workflow");
    let dir = common::scratch("values-vs-chart");
    let plugin = dir.join("plugins/passthrough");
    std::fs::create_dir_all(&plugin).unwrap();
    std::fs::write(
        plugin.join("plugin.yaml"),
        "apiVersion: v1\ntype: postrenderer/v1\nname: passthrough\nversion: 0.1.0\nruntime: subprocess\n\
         runtimeConfig:\n  platformCommand:\n    - os: linux\n      command: /bin/cat\n",
    )
    .unwrap();
    let render = |values: Option<&Path>| {
        let mut cmd = std::process::Command::new(&python);
        cmd.arg(common::root().join("tests/helm4/run_helm4.py"))
            .arg(&chart)
            .arg(dir.join("plugins"))
            .args(["passthrough", "workflow", "deis"]);
        if let Some(v) = values {
            cmd.arg(v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "helm: {}", common::text(&out.stderr));
        common::text(&out.stdout)
    };
    let default = render(None);
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let edits: [(&str, Vec<(&str, String)>); 3] = [
        (
            "ecr",
            vec![
                ("region: \"us-west-2\"", "region: \"eu-west-1\"".into()),
                ("registryid: \"\"", "registryid: \"123456789012\"".into()),
            ],
        ),
        (
            "gcr",
            vec![(
                "key_json: <base64-encoded JSON data>",
                format!("key_json: {}", b64(common::GCR_KEY)),
            )],
        ),
        (
            "off-cluster",
            vec![
                ("hostname: \"\"", "hostname: \"quay.io\"".into()),
                ("organization: \"\"", "organization: \"myorg\"".into()),
                ("username: \"\"", "username: \"myorg+deployer\"".into()),
                ("password: \"\"", format!("password: \"{}\"", common::SECRETS[0])),
            ],
        ),
    ];
    for (location, edits) in edits {
        let mut values = text.replacen(
            "registry_location: \"on-cluster\"",
            &format!("registry_location: \"{location}\""),
            1,
        );
        // The sub-chart's section (storage has a `key_json` of its own).
        let at = values
            .find("\nregistry-token-refresher:")
            .expect("the sub-chart's values");
        let (head, mut section) = (values[..at].to_owned(), values[at..].to_owned());
        for (from, to) in &edits {
            assert!(section.contains(from), "{from}");
            section = section.replacen(from, to, 1);
        }
        values = head + &section;
        let path = dir.join(format!("values-{location}.yaml"));
        std::fs::write(&path, &values).unwrap();
        let by_chart = objects(&k8sjson, &render(Some(&path)));
        let out = common::run(
            common::binary(&[]).args(["--namespace", "deis", "--values"]).arg(&path),
            &default,
        );
        assert!(out.status.success(), "{location}: {}", common::text(&out.stderr));
        let ours = objects(&k8sjson, &common::text(&out.stdout));
        let extra: Vec<&String> = ours.keys().filter(|k| !by_chart.contains_key(*k)).collect();
        if location == "off-cluster" {
            assert!(extra.is_empty(), "{location}: {extra:?}");
        } else {
            let refresher_rbac = [
                "ServiceAccount/deis-registry-token-refresher",
                "ClusterRole/deis:deis-registry-token-refresher",
                "ClusterRoleBinding/deis:deis-registry-token-refresher",
            ];
            assert!(
                extra.iter().all(|k| refresher_rbac.contains(&k.as_str())),
                "{location}: {extra:?}"
            );
        }
        for (key, expected) in &by_chart {
            let actual = ours.get(key).unwrap_or_else(|| panic!("{location}: {key} is missing"));
            assert_eq!(actual, expected, "{location}: {key} means something else");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Each object by kind/name, as the API server decodes it, without what
/// differs for reasons outside the configuration: the namespace (Helm sets
/// the release's), an empty Secret value written as null by the chart and
/// "" here (the same bytes to Kubernetes), and the refresher's image (the
/// values file names none, so the platform's own is chosen by the
/// transform), the label that marks what the tool generated, and for the
/// refresher all but what the configuration decides.
fn objects(k8sjson: &Path, yaml: &str) -> std::collections::BTreeMap<String, serde_json::Value> {
    common::k8s_decode(k8sjson, yaml)
        .into_iter()
        .map(|(_, mut v)| {
            let key = format!(
                "{}/{}",
                v["kind"].as_str().unwrap_or(""),
                v["metadata"]["name"].as_str().unwrap_or("")
            );
            if let Some(meta) = v["metadata"].as_object_mut() {
                meta.remove("namespace");
                // What the tool adds is marked as its own (docs/semantics.md).
                if let Some(labels) = meta.get_mut("labels").and_then(serde_json::Value::as_object_mut) {
                    labels.remove("registry.deis.io/generated-by");
                }
            }
            if let Some(data) = v["data"].as_object_mut() {
                for value in data.values_mut() {
                    if value.is_null() {
                        *value = serde_json::Value::String(String::new());
                    }
                }
            }
            if key == "Deployment/deis-registry-token-refresher" {
                // The refresher the tool adds is its own Deployment (with a
                // ServiceAccount, its own strategy and pull policy): what the
                // configuration decides is its container's env and mounts.
                let spec = &v["spec"]["template"]["spec"];
                let c = &spec["containers"][0];
                v = serde_json::json!({
                    "env": c["env"],
                    "volumeMounts": c["volumeMounts"],
                    "volumes": spec["volumes"],
                });
            }
            (key, v)
        })
        .collect()
}

#[test]
fn key_names_from_files_cannot_forge_lines() {
    let e = params::parse("[ecr]\n\"regoin\\nworkflow-registry: forged\" = \"x\"\n").unwrap_err();
    let shown = e[0].to_string();
    assert!(
        !shown.contains('\n') && shown.contains("regoin\\nworkflow-registry"),
        "{shown}"
    );
    let shown = function_config_problems(&format!("{WR}spec: {{\"x\\e[2J\": 1}}\n"));
    assert!(!shown.contains('\u{1b}'), "{shown}");
}

#[test]
fn help_names_the_values_file_key_of_every_setting() {
    let help = common::text(&common::run(common::binary(&[]).arg("--help"), "").stdout);
    for (_, key) in values::KEYS {
        assert!(help.contains(&format!("values: {key}\n")), "{key} missing from --help");
    }
    assert!(help.contains(values::IMAGE_KEY));
}
