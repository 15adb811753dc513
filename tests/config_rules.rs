//! Every validation rule, suggestion, normalisation and warning of the
//! configuration (SPEC 1.2, issue 3), one case each.

mod common;

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
    let old = with(
        &ecr("30"),
        &[(
            "REGISTRY_TOKEN_REFRESHER_IMAGE",
            "quay.io/deis/registry-token-refresher:v1.0.0",
        )],
    );
    assert_has(&warnings(&old), &["is ignored by registry-token-refresher v1.0.0"]);
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
