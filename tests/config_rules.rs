//! Every validation rule, suggestion, normalisation and warning of the
//! configuration (docs/configuration.md), one case each.

mod common;

use std::path::Path;

use workflow_registry::config::{self, file, FileKind, Location, Settings, Warning};

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
        &["env REGISTRY_LOCATION: found \"gcs\"", "did you mean \"gcr\"?"],
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
    for hub in [
        "docker.io",
        "index.docker.io",
        "https://index.docker.io/v1/",
        "DOCKER.IO",
        "Registry-1.Docker.IO",
        "docker.io:443",
        "index.docker.io:443",
        "https://index.docker.io:443/v1/",
    ] {
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
    let settings = validate(&OFF).unwrap().0;
    let w: String = config::check_warnings(&settings)
        .iter()
        .map(|w| format!("{w}\n"))
        .collect();
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
        &["env ECR_REGION: found \"us-west\", expected an AWS region"],
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
            "env DEIS_TOKEN_REFRESH_TIME: found \"0\"",
            "expected a positive whole number of minutes (below 720",
        ],
    );
    assert_has(&problems(&ecr("ten")), &["found \"ten\""]);
    assert_has(&problems(&ecr("-5")), &["found \"-5\""]);
    // At or above the token's lifetime: refused, as the filter refuses it.
    assert_has(
        &problems(&ecr("720")),
        &["720 minutes is not below the 720-minute lifetime of ecr tokens"],
    );
    let gcr = |t: &'static str| {
        vec![
            ("REGISTRY_LOCATION", "gcr"),
            ("GCR_KEY_JSON", common::GCR_KEY),
            ("DEIS_TOKEN_REFRESH_TIME", t),
        ]
    };
    assert_has(
        &problems(&gcr("60")),
        &["not below the 60-minute lifetime of gcr tokens"],
    );
    assert!(validate(&gcr("59")).is_ok());
    assert!(validate(&ecr("600")).is_ok());
    assert_has(
        &warnings(&with(&OFF, &[("DEIS_TOKEN_REFRESH_TIME", "30")])),
        &["is ignored: off-cluster has no token refresher"],
    );
}

/// A configured stock refresher image (any tag, Docker Hub however
/// written, hosts in any case) panics on a refresh time: refused from
/// every source, naming where the time was set.
#[test]
fn a_refresh_time_with_a_configured_stock_refresher_is_refused() {
    for image in [
        "quay.io/deis/registry-token-refresher:v1.1.3",
        "Quay.IO/deis/registry-token-refresher:canary",
        "index.docker.io/hephy/registry-token-refresher:v1.2.2",
        "DOCKER.IO/hephy/registry-token-refresher:latest",
        "hephy/registry-token-refresher",
    ] {
        let env = [
            ("REGISTRY_LOCATION", "ecr"),
            ("DEIS_TOKEN_REFRESH_TIME", "30"),
            ("REGISTRY_TOKEN_REFRESHER_IMAGE", image),
        ];
        assert_has(
            &problems(&env),
            &[
                "env DEIS_TOKEN_REFRESH_TIME: \"30\" cannot work with the configured refresher image",
                "(from env REGISTRY_TOKEN_REFRESHER_IMAGE)",
            ],
        );
    }
    // From the params file, both the time and the image (Helm Classic's).
    let p = file::parse(
        FileKind::Params,
        "registry_location = \"ecr\"\n[registry_token_refresher]\norg = \"deis\"\ndockerTag = \"v1.1.3\"\ntokenRefreshTime = 30\n",
    )
    .unwrap();
    let e = config::validate(&resolve_files(&[], vec![p])).unwrap_err().to_string();
    assert!(
        e.contains("params file registry_token_refresher.tokenRefreshTime: \"30\" cannot work with the configured refresher image quay.io/deis/registry-token-refresher:v1.1.3 (from params file registry_token_refresher.org, registry_token_refresher.dockerTag)"),
        "{e}"
    );
    // Another image: valid, and `check` says what the time needs.
    let fixed = [
        ("REGISTRY_LOCATION", "ecr"),
        ("DEIS_TOKEN_REFRESH_TIME", "30"),
        (
            "REGISTRY_TOKEN_REFRESHER_IMAGE",
            "registry.example.com/me/registry-token-refresher:fixed",
        ),
    ];
    let (settings, _) = validate(&fixed).unwrap();
    assert_has(
        &config::check_warnings(&settings)
            .iter()
            .map(|w| format!("{w}\n"))
            .collect::<String>(),
        &["30 is set for registry.example.com/me/registry-token-refresher:fixed: every published refresher"],
    );
    let (settings, _) = validate(&fixed[..2]).unwrap();
    assert_has(
        &config::check_warnings(&settings)
            .iter()
            .map(|w| format!("{w}\n"))
            .collect::<String>(),
        &[
            "no refresher image is configured",
            "unless the manifest's own refresher is a build that has fixed that",
        ],
    );
    assert!(!config::check_warnings(&validate(&fixed[..1]).unwrap().0)
        .iter()
        .any(|w| w.to_string().contains("refresh")));
}

/// `check` runs the rules the filter runs without a manifest, and names the
/// key in the file that set a value, never a variable nobody set.
#[test]
fn check_refuses_what_the_filter_refuses_naming_the_values_key() {
    let dir = common::scratch("check-refresh");
    let values = dir.join("values.yaml");
    let run = |refresh: &str, env: &[(&str, String)]| {
        std::fs::write(
            &values,
            format!(
                "global: {{registry_location: gcr}}\nregistry-token-refresher: {{token_refresh_time: \"{refresh}\"}}\n"
            ),
        )
        .unwrap();
        let mut env = env.to_vec();
        env.push(("GCR_KEY_JSON", common::GCR_KEY.to_owned()));
        common::run(common::binary(&env).arg("check").arg("--values").arg(&values), "")
    };
    let out = run("90", &[]);
    let stderr = common::text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("  - values file registry-token-refresher.token_refresh_time: 90 minutes is not below the 60-minute lifetime of gcr tokens"),
        "{stderr}"
    );
    assert!(!stderr.contains("DEIS_TOKEN_REFRESH_TIME"), "{stderr}");
    let out = run(
        "30",
        &[(
            "REGISTRY_TOKEN_REFRESHER_IMAGE",
            "hephy/registry-token-refresher:canary".into(),
        )],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::text(&out.stderr)
            .contains("values file registry-token-refresher.token_refresh_time: \"30\" cannot work"),
        "{}",
        common::text(&out.stderr)
    );
    let out = run("30", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out.stderr));
    assert!(common::text(&out.stderr).contains("no refresher image is configured"));
    let _ = std::fs::remove_dir_all(dir);
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
    assert!(
        e.to_string()
            .contains("flag --secret-prefix: found \"Private_Registry\""),
        "{e}"
    );
    assert_has(
        &problems(&[("REGISTRY_TOKEN_REFRESHER_IMAGE", "quay.io/x:")]),
        &["expected an image reference"],
    );
}

#[test]
fn params_file_with_env_and_flag_precedence() {
    let path = common::root().join("testdata/params/generate_params.toml");
    let p = file::load(FileKind::Params, &path).unwrap();
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
    };
    assert_eq!(config::resolve(&inputs).value(config::Setting::Location), "on-cluster");
    let missing = file::load(FileKind::Params, std::path::Path::new("/nonexistent/params.toml")).unwrap_err();
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

// ---- Configuration that means what it says ----

use workflow_registry::plugin::function_config;

/// A file of the real charts beside the clone (shared/ in CI).
fn shared_chart_file(path: &str) -> Option<String> {
    let path = common::root().join("../shared/charts").join(path);
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

fn hephy_values() -> Option<String> {
    shared_chart_file("hephy-workflow-v2.23.0/workflow/values.yaml")
}

fn resolve_files(env: &[(&str, &str)], files: Vec<config::File>) -> config::Resolved {
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
    let p = file::load(FileKind::Values, &path).unwrap_or_else(|e| panic!("{e:?}"));
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
    let r = resolve_files(&[], vec![file::load(FileKind::Values, &path).unwrap()]);
    let e = config::validate(&r).unwrap_err().to_string();
    assert!(e.contains("values file registry-token-refresher.gcr.key_json: is still Workflow's placeholder `<base64-encoded JSON data>`"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_values_file_gives_the_gcr_key_in_base64() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(common::GCR_KEY);
    let p = file::parse(
        FileKind::Values,
        &format!("global:\n  registry_location: gcr\nregistry-token-refresher:\n  gcr:\n    key_json: {b64}\n"),
    )
    .unwrap();
    let (settings, _) = config::validate(&resolve_files(&[], vec![p])).unwrap();
    match settings.location {
        Location::Gcr { key_json, .. } => assert_eq!(key_json.expose(), common::GCR_KEY),
        other => panic!("{other:?}"),
    }
}

/// Deis's chart runs `quay.io/{org}/registry-token-refresher:{docker_tag}`,
/// Hephy's `{org}/registry-token-refresher:{docker_tag}`: a values file that
/// does not say which chart it is for never determines the image, and no
/// part of it is filled in from another platform.
#[test]
fn a_values_file_never_invents_the_refresher_image() {
    for refresher in ["org: myorg\n  docker_tag: v1.2.1", "docker_tag: v1.1.3", "org: deis"] {
        let p = file::parse(
            FileKind::Values,
            &format!("global: {{registry_location: ecr}}\nregistry-token-refresher:\n  {refresher}\n"),
        )
        .unwrap();
        assert_eq!(p.get(config::Setting::RefresherImage), None, "{refresher}");
        let (settings, warnings) = config::validate(&resolve_files(&[], vec![p])).unwrap();
        assert_eq!(settings.refresher_image, None, "{refresher}");
        let said: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert!(
            said.iter()
                .any(|w| w.contains("in the values file is not used: Deis's chart runs quay.io/{org}")),
            "{said:?}"
        );
    }
    // Helm Classic's template has one registry: both keys give the image,
    // one alone gives none (with a warning), never a filled-in part.
    let both = file::parse(
        FileKind::Params,
        "[registry_token_refresher]\norg = \"acme\"\ndocker_tag = \"v9\"\n",
    )
    .unwrap();
    assert_eq!(
        both.get(config::Setting::RefresherImage),
        Some((
            "quay.io/acme/registry-token-refresher:v9",
            "registry_token_refresher.org, registry_token_refresher.docker_tag"
        ))
    );
    let one = file::parse(FileKind::Params, "[registry_token_refresher]\ndockerTag = \"v9\"\n").unwrap();
    assert_eq!(one.get(config::Setting::RefresherImage), None);
    assert!(one.warnings[0]
        .to_string()
        .contains("registry_token_refresher.dockerTag is set without registry_token_refresher.org"));
}

#[test]
fn a_blank_value_counts_as_unset_everywhere() {
    let p = file::parse(FileKind::Params, "[off_cluster_registry]\nhostname = \"quay.io\"\n").unwrap();
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
    let toml = file::parse(
        FileKind::Params,
        "registry_location = \"ecr\"\n[gcr]\nkey_json = \"x\"\n",
    )
    .unwrap();
    let yaml = file::parse(FileKind::Values, "global: {registry_location: gcr}\n").unwrap();
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
    let other = file::parse(
        FileKind::Values,
        "global: {registry_location: ecr}\nregistry-token-refresher: {gcr: {key_json: other}}\n",
    )
    .unwrap();
    assert!(config::validate(&resolve_files(&[], vec![toml, other])).is_ok());
    // Secrets that disagree are named, never shown.
    let a = file::parse(
        FileKind::Params,
        "registry_location = \"ecr\"\n[ecr]\naccesskey = \"AKIAAAAAAAAAAAAAAAAA\"\nsecretkey = \"s1\"\n",
    )
    .unwrap();
    let b = file::parse(FileKind::Values, "registry-token-refresher: {ecr: {secretkey: s2}}\n").unwrap();
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
    match function_config::from_node(&root, None, None) {
        Ok(_) => panic!("expected problems for {yaml}"),
        Err(p) => p.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
    }
}

fn function_config(yaml: &str) -> function_config::FunctionConfig {
    let root = workflow_registry::yaml::tree::parse(yaml).unwrap().unwrap();
    function_config::from_node(&root, None, None).unwrap_or_else(|p| panic!("{p:?}"))
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
        &function_config_problems(&format!("{WR}spec:\n  registry_locaton: gcr\n  namespce: x\n")),
        &[
            "unknown key `registry_locaton`; did you mean `registry_location`?",
            "unknown key `namespce`; did you mean `namespace`?",
        ],
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
    let e = file::parse(FileKind::Params, "[ecr]\nregoin = \"x\"\n").unwrap_err();
    assert!(
        e[0].to_string()
            .contains("unknown key `ecr.regoin`; did you mean `region`?"),
        "{}",
        e[0]
    );
    let e = file::parse(FileKind::Params, "[registry-token-refresher]\ntokenRefreshTime = 30\n").unwrap_err();
    assert!(
        e[0].to_string().contains("did you mean `registry_token_refresher`?"),
        "{}",
        e[0]
    );
    // Workflow's other tables are none of our business.
    assert!(file::parse(FileKind::Params, "[gcs]\nkey_json = \"x\"\n[registry]\nx = 1\n").is_ok());
    let e = file::parse(FileKind::Params, "registry_location = 1979-05-27\n").unwrap_err();
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
            "env REGISTRY_USERNAME: found \"u\\tv\"",
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
    let e = file::parse(
        FileKind::Params,
        "[ecr]\n\"regoin\\nworkflow-registry: forged\" = \"x\"\n",
    )
    .unwrap_err();
    let shown = e[0].to_string();
    assert!(
        !shown.contains('\n') && shown.contains("regoin\\nworkflow-registry"),
        "{shown}"
    );
    let shown = function_config_problems(&format!("{WR}spec: {{\"x\\e[2J\": 1}}\n"));
    assert!(!shown.contains('\u{1b}'), "{shown}");
}

// ---- Drycc Workflow's own values through --values ----

fn drycc(yaml: &str) -> Result<config::File, String> {
    file::parse(FileKind::Values, yaml).map_err(|p| p.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
}

const DRYCC_OFF: &str = "registry: {enabled: false}\nbuilder:\n  registry: {enabled: false}\n  registryHost: myregistry.azurecr.io\n  registryUsername: u\n  registryPassword: s3cr3t\n  registryOrganization: org\ncontroller:\n  registry: {enabled: false}\n  registryHost: myregistry.azurecr.io\n  registryUsername: u\n  registryPassword: s3cr3t\n  registrySecretPrefix: acme\n";

/// Drycc takes on-cluster and off-cluster only; with its values file that
/// is known before any manifest, so `check` says so, as the filter does.
#[test]
fn ecr_or_gcr_with_a_drycc_values_file_is_refused_before_any_manifest() {
    for location in ["ecr", "gcr"] {
        let r = resolve_files(&[("REGISTRY_LOCATION", location)], vec![drycc(DRYCC_OFF).unwrap()]);
        let e = config::validate(&r).unwrap_err().to_string();
        assert!(
            e.contains("Drycc Workflow has no token refresher") && e.contains(location),
            "{e}"
        );
    }
    let r = resolve_files(&[("REGISTRY_LOCATION", "on-cluster")], vec![drycc(DRYCC_OFF).unwrap()]);
    assert!(config::validate(&r).is_ok());
}

#[test]
fn a_drycc_values_file_is_read_by_drycc_keys() {
    // The README's fully off-cluster example: all three flags off, the seven keys.
    let f = drycc(DRYCC_OFF).unwrap();
    assert_eq!(f.kind, FileKind::DryccValues);
    let (settings, _) = config::validate(&resolve_files(&[], vec![f])).unwrap();
    match &settings.location {
        Location::OffCluster {
            hostname,
            organization,
            username,
            password,
        } => {
            assert_eq!(
                (
                    hostname.as_str(),
                    organization.as_str(),
                    username.as_str(),
                    password.expose()
                ),
                ("myregistry.azurecr.io", "org", "u", "s3cr3t")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(settings.secret_prefix.as_deref(), Some("acme"));
    assert_eq!(
        settings.source(config::Setting::Location).to_string(),
        "values file registry.enabled, builder.registry.enabled, controller.registry.enabled"
    );
    assert_eq!(
        settings.source(config::Setting::Hostname).to_string(),
        "values file builder.registryHost"
    );
    // The controller's keys alone do (Drycc's builder keys may be left empty).
    let f = drycc("registry: {enabled: false}\nbuilder: {registry: {enabled: false}, registryHost: \"\"}\ncontroller: {registry: {enabled: false}, registryHost: h.example.com}\n").unwrap();
    assert_eq!(
        f.get(config::Setting::Hostname),
        Some(("h.example.com", "controller.registryHost"))
    );
    // All true or left out is on-cluster; nothing said is nothing set.
    let f = drycc("registry: {enabled: true}\n").unwrap();
    assert_eq!(
        f.get(config::Setting::Location),
        Some(("on-cluster", "registry.enabled"))
    );
    let f = drycc("controller: {registrySecretPrefix: acme}\n").unwrap();
    assert_eq!(
        (f.kind, f.get(config::Setting::Location)),
        (FileKind::DryccValues, None)
    );
}

#[test]
fn drycc_flags_that_disagree_are_refused_naming_them() {
    // Drycc's documented example: the registry goes, builder and controller stay on-cluster.
    let e = drycc("builder: {registryHost: h, registryUsername: u, registryPassword: p, registryOrganization: o}\nregistry: {enabled: false}\n").unwrap_err();
    assert_has(
        &e,
        &[
            "registry.enabled false but builder.registry.enabled, controller.registry.enabled true (or left at the default, true)",
            "Drycc's documented example (registry.enabled: false with the builder's keys) leaves two of them true",
        ],
    );
    let e = drycc(
        "registry: {enabled: false}\nbuilder: {registry: {enabled: false}}\ncontroller: {registry: {enabled: true}}\n",
    )
    .unwrap_err();
    assert_has(
        &e,
        &["registry.enabled, builder.registry.enabled false but controller.registry.enabled true"],
    );
    // The text "false" is true to the chart's templates.
    let e = drycc("registry: {enabled: \"false\"}\n").unwrap_err();
    assert_has(
        &e,
        &["registry.enabled at line 1 must be true or false, found \"false\""],
    );
}

#[test]
fn drycc_builder_and_controller_keys_must_agree() {
    let e = drycc(&DRYCC_OFF.replacen(
        "registryHost: myregistry.azurecr.io\n",
        "registryHost: other.example.com\n",
        1,
    ))
    .unwrap_err();
    assert_has(
        &e,
        &["builder.registryHost and controller.registryHost are both set, to different values: they must agree"],
    );
    let e = drycc(&DRYCC_OFF.replacen("registryPassword: s3cr3t\n", "registryPassword: other\n", 1)).unwrap_err();
    assert_has(
        &e,
        &["builder.registryPassword and controller.registryPassword are both set"],
    );
    assert!(!e.contains("s3cr3t") && !e.contains("other\n"), "{e}");
}

#[test]
fn a_values_file_is_one_charts_and_near_misses_are_named() {
    let e = drycc("global: {registry_location: ecr}\nregistry: {enabled: false}\n").unwrap_err();
    assert_has(
        &e,
        &["such as `global.registry_location`, and of Drycc Workflow's, such as `registry.enabled`: a values file is for one chart"],
    );
    let e = drycc("builder: {registryHots: h}\n").unwrap_err();
    assert_has(
        &e,
        &["unknown key `builder.registryHots`: did you mean `builder.registryHost`?"],
    );
    let e = drycc("controller: {registrySecretPrefx: acme}\nregistry: {enabled: true}\n").unwrap_err();
    assert_has(&e, &["did you mean `controller.registrySecretPrefix`?"]);
}

/// The real Drycc chart's values file: its defaults are on-cluster, the
/// rest of the file (many other keys in `builder`, `controller`,
/// `registry`) is none of this tool's business.
#[test]
fn the_real_drycc_values_file_reads_as_on_cluster() {
    let Some(text) = shared_chart_file("drycc-workflow-v1.8.3/workflow/values.yaml") else {
        return;
    };
    let f = drycc(&text).unwrap();
    assert_eq!(
        f.get(config::Setting::Location),
        Some(("on-cluster", "registry.enabled"))
    );
    for sub in ["builder", "controller"] {
        let text = shared_chart_file(&format!("drycc-workflow-v1.8.3/workflow/charts/{sub}/values.yaml"));
        drycc(&text.unwrap_or_default()).unwrap();
    }
}

#[test]
fn check_refuses_a_namespace_the_filter_refuses() {
    for var in ["WORKFLOW_REGISTRY_NAMESPACE", "HELM_NAMESPACE"] {
        let out = common::run(common::binary(&[(var, "Deis_NS".into())]).arg("check"), "");
        let stderr = common::text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(out.stdout.is_empty(), "on an error nothing goes to standard output");
        assert!(
            stderr.contains(&format!("  - {var}: found \"Deis_NS\", expected a namespace name")),
            "{stderr}"
        );
    }
    let out = common::run(common::binary(&[("HELM_NAMESPACE", "deis".into())]).arg("check"), "");
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out.stderr));
}

/// docs/configuration.md shows the settings table as it is: every
/// variable, flag and key of every setting.
#[test]
fn the_configuration_doc_names_every_key_of_the_table() {
    let doc = common::read(&common::root().join("docs/configuration.md"));
    for d in config::DEFINITIONS {
        for name in d
            .env
            .iter()
            .chain(&d.flag)
            .chain(d.params)
            .chain(d.values)
            .chain(d.drycc)
        {
            assert!(
                doc.contains(&format!("`{name}`")),
                "{name} is not in docs/configuration.md"
            );
        }
    }
}

/// A values file is one document: its own `---` line starting a second is
/// named as such, not as a missing `---`.
#[test]
fn a_second_document_in_a_values_file_is_named_at_its_marker() {
    let e = file::parse(FileKind::Values, "global: {registry_location: ecr}\n---\n# more\n").unwrap_err();
    let e = e[0].to_string();
    assert_has(&e, &["line 2: a second document starts at this `---` line"]);
    assert!(!e.contains("put `---` before it"), "{e}");
    let e = file::parse(FileKind::Values, "---\nglobal: {registry_location: ecr}\n---\n").unwrap_err();
    assert_has(
        &e[0].to_string(),
        &["line 3: a second document starts at this `---` line"],
    );
}

/// A variable whose value is not UTF-8 is an error naming it, never a
/// silent unset (the location would fall back to on-cluster, the log to
/// none), and never shows the value.
#[test]
fn a_variable_that_is_not_utf8_is_refused_naming_it() {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let manifest =
        std::fs::read_to_string(common::root().join("testdata/fixtures/helm-v2-v2.18.on-cluster.yaml")).unwrap();
    let dir = common::scratch("not-utf8");
    // A log file name in Latin-1: a valid file name, but no text.
    let mut log = dir.join("log-").into_os_string().into_vec();
    log.extend(b"\xe9.log");
    for (name, value) in [
        ("REGISTRY_LOCATION", &b"ecr\xa0"[..]),
        ("REGISTRY_PASSWORD", &b"p\xe4ss-SECRET"[..]),
        ("WORKFLOW_REGISTRY_LOG", &log[..]),
        ("HELM_NAMESPACE", &b"d\xe9is"[..]),
    ] {
        for check in [true, false] {
            let mut cmd = common::binary(&[("WORKFLOW_REGISTRY_NAMESPACE", "deis".to_owned())]);
            cmd.env(name, std::ffi::OsStr::from_bytes(value));
            if check {
                cmd.arg("check");
            }
            let out = common::run(&mut cmd, &manifest);
            let stderr = common::text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
            assert!(out.stdout.is_empty(), "{name}");
            assert_has(&stderr, &[&format!("env {name}: the value is not UTF-8 text")]);
            assert!(!stderr.contains("SECRET") && !stderr.contains("ecr"), "{stderr}");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// What YAML 1.1 and TOML read as a number or boolean is not the text the
/// operator typed (`0777` is 511, `1e3` is 1000.0, `yes` is true, `.inf` no
/// text at all) and Helm's `b64enc` refuses it: a text setting given so is
/// refused at its key and line, in every kind of file, never showing it.
#[test]
fn a_text_setting_given_as_a_number_or_boolean_is_refused_at_its_line() {
    let problems = |kind: FileKind, text: &str| match file::parse(kind, text) {
        Ok(f) => panic!("{text}: read as {:?}", f.values),
        Err(p) => p.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
    };
    let values = "global: {registry_location: off-cluster}\nregistry-token-refresher:\n  off_cluster_registry:\n    username: u\n";
    for (password, found) in [
        ("0777", "a number"),
        ("0123456789", "a number"),
        ("1e3", "a number"),
        (".inf", "a number"),
        ("yes", "a boolean"),
    ] {
        let e = problems(FileKind::Values, &format!("{values}    password: {password}\n"));
        assert_has(
            &e,
            &[
                "registry-token-refresher.off_cluster_registry.password at line 5 (REGISTRY_PASSWORD) must be a string",
                &format!("found {found}: quote it"),
            ],
        );
        for shown in ["511", "123456789", "1000", password] {
            assert!(!e.contains(shown), "{shown} in {e}");
        }
    }
    // Every text setting, not only the secrets; Drycc's keys too.
    assert_has(
        &problems(
            FileKind::Values,
            "registry-token-refresher: {ecr: {registryid: 123456789012}}\n",
        ),
        &["registry-token-refresher.ecr.registryid at line 1 (ECR_REGISTRY_ID) must be a string, found a number"],
    );
    assert_has(
        &problems(
            FileKind::Values,
            "registry: {enabled: false}\nbuilder:\n  registryPassword: 0777\n",
        ),
        &["builder.registryPassword at line 3 (REGISTRY_PASSWORD) must be a string, found a number"],
    );
    // The params file (TOML), counted from its first line.
    for password in ["1e3", "inf", "true", "12"] {
        let e = problems(
            FileKind::Params,
            &format!("registry_location = \"off-cluster\"\n\n[off_cluster_registry]\npassword = {password}\n"),
        );
        assert_has(
            &e,
            &["off_cluster_registry.password at line 4 (REGISTRY_PASSWORD) must be a string"],
        );
        assert!(!e.contains(password), "{e}");
    }
    // The config object, in each of its forms.
    for (object, line) in [
        (format!("{WR}spec:\n  off_cluster_registry: {{password: 0777}}\n"), 8),
        (format!("{WR}off_cluster_registry:\n  password: 0777\n"), 8),
        (
            "kind: ConfigMap\ndata:\n  off_cluster_registry.password: 0777\n".to_owned(),
            3,
        ),
    ] {
        let e = function_config_problems(&object);
        assert_has(
            &e,
            &[&format!(
                "off_cluster_registry.password at line {line} (REGISTRY_PASSWORD) must be a string"
            )],
        );
        assert!(!e.contains("511") && !e.contains("0777"), "{e}");
    }
    // The refresh time is a number of minutes: a number is fine, a boolean is not.
    let f = file::parse(FileKind::Params, "[registry_token_refresher]\ntokenRefreshTime = 30\n").unwrap();
    assert_eq!(
        f.get(config::Setting::TokenRefreshTime),
        Some(("30", "registry_token_refresher.tokenRefreshTime"))
    );
    assert_has(
        &problems(FileKind::Values, "registry-token-refresher: {token_refresh_time: on}\n"),
        &["token_refresh_time at line 1 (DEIS_TOKEN_REFRESH_TIME) must be a number or a string, found a boolean"],
    );
    // `.inf` minutes is no number of minutes, not 0 (nor unset, as TOML's `inf` was).
    for (kind, text) in [
        (
            FileKind::Values,
            "registry-token-refresher: {token_refresh_time: .inf}\n",
        ),
        (FileKind::Params, "[registry_token_refresher]\ntokenRefreshTime = inf\n"),
    ] {
        let f = file::parse(kind, text).unwrap();
        let (minutes, _) = f.get(config::Setting::TokenRefreshTime).unwrap();
        assert!(minutes.parse::<u32>().is_err(), "{text}: {minutes}");
    }
}

/// `check` and the filter read config files with the same readers: what one
/// refuses, the other refuses, with the same words and nothing on stdout.
#[test]
fn check_and_the_filter_refuse_a_number_for_a_password_alike() {
    let dir = common::scratch("coerced");
    let values = dir.join("values.yaml");
    std::fs::write(
        &values,
        "global: {registry_location: off-cluster}\nregistry-token-refresher:\n  off_cluster_registry: {hostname: quay.io, organization: o, username: u, password: 0777}\n",
    )
    .unwrap();
    let params = dir.join("params.toml");
    std::fs::write(
        &params,
        "registry_location = \"off-cluster\"\n[off_cluster_registry]\nhostname = \"quay.io\"\norganization = \"o\"\nusername = \"u\"\npassword = 1e3\n",
    )
    .unwrap();
    let object = dir.join("config.yaml");
    std::fs::write(
        &object,
        format!("---\n{WR}spec:\n  registry_location: off-cluster\n  off_cluster_registry: {{hostname: quay.io, organization: o, username: u, password: 0777}}\n"),
    )
    .unwrap();
    let manifest =
        std::fs::read_to_string(common::root().join("testdata/fixtures/helm-v2-v2.18.on-cluster.yaml")).unwrap();
    let env = [("WORKFLOW_REGISTRY_NAMESPACE", "deis".to_owned())];
    for (flag, path, line) in [
        ("--values", &values, 3),
        ("--params", &params, 6),
        ("--function-config", &object, 10),
    ] {
        let check = common::run(common::binary(&env).arg("check").arg(flag).arg(path), "");
        let filter = common::run(common::binary(&env).arg(flag).arg(path), &manifest);
        let problem = |out: &std::process::Output| {
            assert_eq!(out.status.code(), Some(2), "{flag}: {}", common::text(&out.stderr));
            assert!(out.stdout.is_empty(), "{flag}");
            let stderr = common::text(&out.stderr);
            let line = stderr
                .lines()
                .find(|l| l.contains("must be a string"))
                .map(str::to_owned);
            line.unwrap_or_else(|| panic!("{flag}: {stderr}"))
        };
        let (from_check, from_filter) = (problem(&check), problem(&filter));
        assert_eq!(from_check, from_filter);
        assert!(from_check.contains(&path.display().to_string()), "{from_check}");
        assert!(
            from_check.contains(&format!("password at line {line} (REGISTRY_PASSWORD)")),
            "{from_check}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A values file's registry keys where neither chart reads them: the
/// params file's layout at the top, `--set`'s dotted paths written as one
/// key, another case. Each is named with where it belongs.
#[test]
fn registry_keys_a_chart_never_reads_are_named_in_a_values_file() {
    let problems = |text: &str| match file::parse(FileKind::Values, text) {
        Ok(f) => panic!("{text}: read as {:?}", f.values),
        Err(p) => p.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
    };
    assert_has(
        &problems("registry_location: ecr\necr:\n  region: eu-west-1\n"),
        &[
            "`registry_location` at the top level: the chart reads global.registry_location",
            "`ecr` at the top level: the chart reads registry-token-refresher.ecr",
        ],
    );
    assert_has(
        &problems("off_cluster_registry: {hostname: quay.io}\n"),
        &["the chart reads registry-token-refresher.off_cluster_registry"],
    );
    assert_has(
        &problems("global.registry_location: ecr\nregistry-token-refresher.ecr.region: eu-west-1\n"),
        &[
            "`global.registry_location` is one key with dots in its name",
            "`registry-token-refresher.ecr.region` is one key with dots in its name",
        ],
    );
    assert_has(
        &problems("registry.enabled: false\n"),
        &["`registry.enabled` is one key with dots"],
    );
    assert_has(
        &problems("Global:\n  registry_location: ecr\n"),
        &["unknown key `Global`: did you mean `global`?"],
    );
    // In Drycc's file, the params layout is named too.
    assert_has(
        &problems("registry: {enabled: false}\nregistry_location: off-cluster\n"),
        &["`registry_location` at the top level: the chart reads registry.enabled, builder.registry.enabled, controller.registry.enabled"],
    );
    // A file that sets nothing this tool reads says so.
    let f = file::parse(FileKind::Values, "database: {storage: s3}\n").unwrap();
    assert!(f.values.is_empty());
    assert!(
        f.warnings
            .iter()
            .any(|w| w.to_string().contains("sets none of the registry settings")),
        "{:?}",
        f.warnings
    );
    let f = file::parse(FileKind::Values, "global: {registry_location: ecr}\n").unwrap();
    assert!(f.warnings.is_empty(), "{:?}", f.warnings);
}
