//! Issue 8's editor examples, one regression test each: ordinary YAML shapes
//! (block scalars, flow and JSON collections, trailing commas, tags, null
//! values, CRLF and lone CR, `...`) are configured correctly, and
//! what the editor cannot change faithfully (edits through aliases and merge
//! keys) is refused with a located error. Every expectation comes from the
//! test's own input or the golden files, read through Kubernetes' decoder
//! (the k8sjson peer).

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine;
use serde_json::{json, Value as Json};
use workflow_registry::transform::{self, Options};

/// Run the transform with Workflow in namespace `deis` (the inputs' own,
/// where they state one: ecr and gcr need it for the refresher's binding).
fn run(input: &str, location: &str) -> Result<String, String> {
    run_in(input, location, Some("deis"))
}

fn run_in(input: &str, location: &str, namespace: Option<&str>) -> Result<String, String> {
    let options = namespace.map_or_else(Options::default, Options::in_namespace);
    transform::run(input, &common::settings(location), &options)
        .map(|o| o.text())
        .map_err(|e| e.to_string())
}

fn k8sjson() -> Option<PathBuf> {
    common::peer("k8sjson")
}

/// The output's documents as Kubernetes reads them, by kind/namespace/name.
fn objects(k8sjson: &std::path::Path, yaml: &str) -> BTreeMap<String, Json> {
    common::k8s_decode(k8sjson, yaml).into_iter().collect()
}

fn builder(env: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\n  namespace: deis\nspec:\n  template:\n    \
         spec:\n      containers:\n      - name: deis-builder\n        image: quay.io/deis/builder\n        env:\n{env}"
    )
}

/// The prefix Workflow's chart renders by default, which the test
/// configuration does not override.
fn prefix() -> String {
    "private-registry".to_owned()
}

/// The env of the builder, as `name -> value` (valueFrom as its JSON).
fn builder_env(objects: &BTreeMap<String, Json>) -> Vec<(String, Json)> {
    let builder = &objects["Deployment/deis/deis-builder"];
    builder["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let value = e.get("value").cloned().or_else(|| e.get("valueFrom").cloned());
            (e["name"].as_str().unwrap().to_owned(), value.unwrap_or(Json::Null))
        })
        .collect()
}

fn location_env(location: &str) -> Vec<(String, Json)> {
    vec![
        ("DEIS_REGISTRY_LOCATION".into(), json!(location)),
        ("DEIS_REGISTRY_SECRET_PREFIX".into(), json!(prefix())),
    ]
}

/// Configure a builder whose env is `env` for off-cluster and check that
/// Kubernetes reads exactly the two registry variables.
fn assert_builder_configured(env: &str) {
    let Some(k) = k8sjson() else { return };
    let input = builder(env);
    let out = run(&input, "off-cluster").unwrap_or_else(|e| panic!("{e}\n{input}"));
    assert_eq!(builder_env(&objects(&k, &out)), location_env("off-cluster"), "{out}");
}

#[test]
fn a_block_scalar_value_is_replaced_by_a_correct_scalar() {
    assert_builder_configured("        - name: DEIS_REGISTRY_LOCATION\n          value: |-\n            on-cluster\n");
    assert_builder_configured("        - name: DEIS_REGISTRY_LOCATION\n          value: >\n            on-cluster\n\n");
    assert_builder_configured(
        "        - name: DEIS_REGISTRY_LOCATION\n          value: |2-\n             on-cluster\n          # c\n",
    );
    // A comment after a tab, holding a second ` #`: the comment starts at the first.
    assert_builder_configured(
        "        - name: DEIS_REGISTRY_LOCATION\n          value: |-\t# x # y\n            on-cluster\n",
    );
}

#[test]
fn an_item_whose_first_line_holds_value_from() {
    assert_builder_configured(
        "        - valueFrom:\n            configMapKeyRef: {name: c, key: k}\n          name: DEIS_REGISTRY_LOCATION\n",
    );
    assert_builder_configured(
        "        - valueFrom: {configMapKeyRef: {name: c, key: k}}\n          name: DEIS_REGISTRY_LOCATION\n",
    );
}

#[test]
fn tags_that_do_not_fit_the_new_value_are_dropped() {
    for value in [
        "!!binary b24tY2x1c3Rlcg==",
        "!!int 5",
        "!!str on-cluster",
        "!custom x",
        "&a !!int 5",
    ] {
        assert_builder_configured(&format!(
            "        - name: DEIS_REGISTRY_LOCATION\n          value: {value}\n"
        ));
    }
}

#[test]
fn a_tag_on_a_line_before_its_value_is_dropped_with_it() {
    // `!!binary` stayed, on `off-cluster`: the output did not read back.
    for value in [
        "&a !!binary\n            b24tY2x1c3Rlcg==",
        "!!int # c\n\n            # d\n            5",
    ] {
        assert_builder_configured(&format!(
            "        - name: DEIS_REGISTRY_LOCATION\n          value: {value}\n"
        ));
    }
    assert_builder_configured(
        "        - name: DEIS_REGISTRY_LOCATION\n          value:\n            !!binary b24tY2x1c3Rlcg==\n",
    );
    assert_builder_configured(
        "        - ? name\n          : DEIS_REGISTRY_LOCATION\n          ? value\n          : !!int\n            5\n",
    );
}

#[test]
fn tags_that_agree_are_kept() {
    let input = builder("        - name: DEIS_REGISTRY_LOCATION\n          value: !!str on-cluster\n");
    let out = run(&input, "off-cluster").unwrap();
    assert!(out.contains("value: !!str off-cluster"), "{out}");
}

#[test]
fn null_and_empty_values() {
    for value in ["", " ~", " null", " \"\""] {
        assert_builder_configured(&format!(
            "        - name: DEIS_REGISTRY_LOCATION\n          value:{value}\n"
        ));
    }
    assert_builder_configured("");
    assert_builder_configured("          ~\n");
}

#[test]
fn crlf_and_lone_cr_line_ends() {
    for newline in ["\r\n", "\r"] {
        let Some(k) = k8sjson() else { return };
        let input =
            builder("        - name: DEIS_REGISTRY_LOCATION\n          value: on-cluster\n").replace('\n', newline);
        let out = run(&input, "off-cluster").unwrap();
        // k8sjson splits documents on `\n` only: give it `\n` line ends.
        let decoded = objects(&k, &out.replace("\r\n", "\n").replace('\r', "\n"));
        assert_eq!(builder_env(&decoded), location_env("off-cluster"), "{out:?}");
        // The edited document keeps its own line ends. Generated documents
        // after a lone-CR stream use `\n`: streams (here and in Kubernetes'
        // reader) are split into documents at `\n---`.
        let edited = match newline {
            "\r" => out.split("\n---\n").next().unwrap().to_owned(),
            _ => out.clone(),
        };
        // The generated Secret is a document of its own for a `\n` splitter
        // (a fuzz finding: `\r---\r` glued it to the edited document).
        assert_eq!(out.matches("\n---").count(), 1, "{out:?}");
        assert!(
            !edited.replace(newline, "").contains(['\n', '\r']),
            "mixed line ends: {out:?}"
        );
    }
}

#[test]
fn document_end_markers_pass_and_directives_are_refused() {
    let Some(k) = k8sjson() else { return };
    let env = "        - name: DEIS_REGISTRY_LOCATION\n          value: on-cluster\n";
    let input = format!("---\n{}...\n# trailing\n", builder(env));
    let out = run(&input, "off-cluster").unwrap_or_else(|e| panic!("{e}\n{input}"));
    assert_eq!(builder_env(&objects(&k, &out)), location_env("off-cluster"), "{out}");
    // Kubernetes' stream splitter leaves a directive in the document before
    // its `---`: alone there, it is a document go-yaml rejects; after one, it
    // never applies to the document it precedes.
    for input in [
        format!("%YAML 1.1\n---\n{}...\n", builder(env)),
        format!("%YAML 1.1\n%TAG !e! tag:example.com,2000:\n--- !!map\n{}", builder(env)),
        format!("a: 1\n...\n# c\n%YAML 1.1\n---\n{}", builder(env)),
    ] {
        let e = run(&input, "off-cluster").unwrap_err();
        assert!(e.contains("`%YAML` or `%TAG` directive"), "{e}\n{input}");
    }
}

/// An off-cluster `registry-secret` in `text`, configured for off-cluster:
/// Kubernetes must read exactly the test configuration's data.
fn assert_secret_configured(secret: &str) {
    let Some(k) = k8sjson() else { return };
    let input = format!("{}---\n{secret}", builder(""));
    let out = run(&input, "off-cluster").unwrap_or_else(|e| panic!("{e}\n{input}"));
    let decoded = objects(&k, &out);
    let b64 = |s: &str| json!(base64::engine::general_purpose::STANDARD.encode(s));
    let expected = json!({
        "hostname": b64("quay.io"),
        "organization": b64("myorg"),
        "username": b64("myorg+deployer"),
        "password": b64(common::SECRETS[0]),
    });
    let secret = &decoded["Secret/deis/registry-secret"];
    assert_eq!(secret["data"], expected, "{out}");
    assert_eq!(secret.get("stringData"), None, "{out}");
    assert_eq!(
        secret["metadata"]["annotations"]["deis.io/registry-location"],
        json!("off-cluster")
    );
}

const SECRET_HEAD: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-secret\n  namespace: deis\n";

#[test]
fn a_block_scalar_password_is_replaced() {
    assert_secret_configured(&format!(
        "{SECRET_HEAD}type: Opaque\ndata:\n  hostname: cXVheS5pbw==\n  password: |\n    b2xk\n  username: |-\n    dQ==\n"
    ));
}

#[test]
fn stale_keys_are_removed_from_flow_mappings() {
    for data in [
        "{foo: YmFy}",
        "{foo: YmFy, bar: YmF6, hostname: eA==}",
        "{foo: YmFy, bar: YmF6}",
        "{hostname: eA==, foo: YmFy, bar: YmF6,}",
        "{\n  foo: YmFy,\n  bar: YmF6,\n  password: eA==,\n}",
        "{foo: YmFy, # c\n bar: YmF6}",
    ] {
        assert_secret_configured(&format!("{SECRET_HEAD}data: {data}\n"));
    }
    assert_secret_configured(
        "{apiVersion: v1, kind: Secret, metadata: {name: registry-secret, namespace: deis}, data: {foo: YmFy}, \
         stringData: {password: eA==}}\n",
    );
}

#[test]
fn trailing_commas_in_flow_mappings() {
    assert_secret_configured(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: registry-secret, namespace: deis,}\ndata: {foo: YmFy,}\n",
    );
    assert_secret_configured(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: registry-secret, namespace: deis, labels: {a: b,},}\n",
    );
}

/// JSON with every key unquoted where it can be, spread over lines, with a
/// trailing comma in every collection: flow style as people write it.
fn flow_style(json: &Json) -> String {
    fn write(v: &Json, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent + 2);
        match v {
            Json::Object(o) if !o.is_empty() => {
                out.push_str("{\n");
                for (k, v) in o {
                    let plain = k.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
                        && k.starts_with(|c: char| c.is_ascii_alphabetic());
                    let key = if plain {
                        k.clone()
                    } else {
                        Json::String(k.clone()).to_string()
                    };
                    out.push_str(&format!("{pad}{key}: "));
                    write(v, indent + 2, out);
                    out.push_str(",\n");
                }
                out.push_str(&format!("{}}}", " ".repeat(indent)));
            }
            Json::Array(a) if !a.is_empty() => {
                out.push_str("[\n");
                for v in a {
                    out.push_str(&pad);
                    write(v, indent + 2, out);
                    out.push_str(",\n");
                }
                out.push_str(&format!("{}]", " ".repeat(indent)));
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(json, 0, &mut out);
    out.push('\n');
    out
}

#[test]
fn an_ecr_manifest_in_json_or_flow_style_is_reconfigured() {
    let Some(k) = k8sjson() else { return };
    let fixture = common::read(&common::root().join("testdata/fixtures/helm-v2-v2.18.ecr.yaml"));
    let docs = common::k8s_decode(&k, &fixture);
    let as_json: String = docs.iter().map(|(_, v)| format!("---\n{v}\n")).collect();
    let as_flow: String = docs.iter().map(|(_, v)| format!("---\n{}", flow_style(v))).collect();
    // on-cluster is refused on this fixture (it has no registry): its golden is an error.
    for location in ["off-cluster", "gcr", "ecr"] {
        let golden = common::read(&common::root().join(format!("testdata/golden/helm-v2-v2.18.ecr.{location}.yaml")));
        let expected = objects(&k, &golden);
        for (shape, input) in [("json", &as_json), ("flow", &as_flow)] {
            let out = run(input, location).unwrap_or_else(|e| panic!("{shape} {location}: {e}"));
            assert_eq!(objects(&k, &out), expected, "{shape} {location}:\n{out}");
        }
    }
    for (shape, input) in [("json", &as_json), ("flow", &as_flow)] {
        let e = run(input, "on-cluster").expect_err(shape);
        assert!(e.contains("without its registry"), "{shape}: {e}");
    }
}

fn assert_refused(input: &str, needle: &str) {
    let e = run(input, "off-cluster").expect_err(input);
    assert!(e.contains(needle), "{e}");
    assert!(e.contains("line"), "the error names no line: {e}");
}

#[test]
fn a_container_built_with_a_merge_key_is_refused() {
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\n  namespace: deis\nspec:\n  \
                 template:\n    spec:\n      containers:\n      - &base {name: sidecar, image: x, env: [{name: A, value: \
                 b}]}\n      - <<: *base\n        name: deis-builder\n";
    assert_refused(input, "merge key");
}

#[test]
fn an_env_item_built_with_a_merge_key_is_refused() {
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\n  namespace: deis\nspec:\n  \
                 template:\n    spec:\n      containers:\n      - name: sidecar\n        image: x\n        env:\n        - \
                 &loc {name: DEIS_REGISTRY_LOCATION, value: on-cluster}\n      - name: deis-builder\n        image: \
                 y\n        env:\n        - <<: *loc\n";
    assert_refused(input, "merge key");
}

#[test]
fn an_anchored_container_used_again_is_refused() {
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\n  namespace: deis\nspec:\n  \
                 template:\n    spec:\n      containers:\n      - &c {name: deis-builder, image: x}\n      initContainers: \
                 [*c]\n";
    assert_refused(input, "alias");
}

#[test]
fn a_merge_key_that_does_not_supply_the_edited_key_is_fine() {
    let Some(k) = k8sjson() else { return };
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\n  namespace: deis\nspec:\n  \
                 template:\n    spec:\n      containers:\n      - &base {name: sidecar, image: x}\n      - <<: *base\n        \
                 name: deis-builder\n";
    let out = run(input, "off-cluster").unwrap();
    assert_eq!(builder_env_at(&objects(&k, &out), 1), location_env("off-cluster"));
}

fn builder_env_at(objects: &BTreeMap<String, Json>, i: usize) -> Vec<(String, Json)> {
    objects["Deployment/deis/deis-builder"]["spec"]["template"]["spec"]["containers"][i]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_owned(), e["value"].clone()))
        .collect()
}

#[test]
fn a_null_or_empty_namespace_is_no_namespace() {
    let Some(k) = k8sjson() else { return };
    for namespace in [" ~", "", " null"] {
        let input = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-controller\n  namespace:{namespace}\nspec:\n  \
             template:\n    spec:\n      containers:\n      - name: deis-controller\n        image: x\n"
        );
        let out = run_in(&input, "off-cluster", None).unwrap();
        for (key, object) in common::k8s_decode(&k, &out) {
            assert!(!out.contains("\"~\""), "{out}");
            let ns = &object["metadata"]["namespace"];
            assert!(ns.is_null(), "{key} has namespace {ns}:\n{out}");
        }
        // The refresher's binding needs a namespace: `~` is none, so ecr
        // refuses and says how to pass one, instead of naming "~".
        let e = run_in(&input, "ecr", None).unwrap_err();
        assert!(e.contains("namespace is unknown") && !e.contains("\"~\""), "{e}");
    }
}

#[test]
fn an_env_item_with_a_merge_key_and_its_own_name_is_edited() {
    let Some(k) = k8sjson() else { return };
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deis-builder\n  namespace: deis\nspec:\n  \
                 template:\n    spec:\n      containers:\n      - name: sidecar\n        image: x\n        env:\n        - \
                 &loc {name: X, value: on-cluster}\n      - name: deis-builder\n        image: y\n        env:\n        - <<: \
                 *loc\n          name: DEIS_REGISTRY_LOCATION\n";
    let out = run(input, "off-cluster").unwrap();
    assert_eq!(
        builder_env_at(&objects(&k, &out), 1),
        location_env("off-cluster"),
        "{out}"
    );
    // A merged `valueFrom` cannot be removed by editing the item: refused.
    let input = input.replace("value: on-cluster}", "valueFrom: {fieldRef: {fieldPath: x}}}");
    assert_refused(&input, "cannot edit");
}

#[test]
fn a_flow_refresher_with_trailing_commas_gets_its_mount_volume_and_account() {
    let Some(k) = k8sjson() else { return };
    for comma in ["", ","] {
        let input = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: deis-registry-token-refresher, namespace: deis{comma}}}\n\
             spec: {{template: {{spec: {{containers: [{{name: deis-registry-token-refresher, image: x{comma}}}]{comma}}}}}}}\n"
        );
        let out = run(&input, "ecr").unwrap_or_else(|e| panic!("{e}\n{input}"));
        let decoded = objects(&k, &out);
        let spec = &decoded["Deployment/deis/deis-registry-token-refresher"]["spec"]["template"]["spec"];
        assert_eq!(
            spec["serviceAccountName"],
            json!("deis-registry-token-refresher"),
            "{out}"
        );
        assert_eq!(
            spec["volumes"],
            json!([{"name": "registry-secret", "secret": {"secretName": "registry-secret"}}]),
            "{out}"
        );
        let container = &spec["containers"][0];
        assert_eq!(
            container["volumeMounts"],
            json!([{"name": "registry-secret", "mountPath": "/var/run/secrets/deis/registry/creds", "readOnly": true}]),
            "{out}"
        );
        let env: Vec<(String, Json)> = container["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["name"].as_str().unwrap().to_owned(), e["value"].clone()))
            .collect();
        let mut expected = location_env("ecr");
        expected.push(("DEIS_NAMESPACE_REFRESH_TIME".into(), json!("5")));
        // The test configuration sets no refresh time (a stock refresher fails on one).
        expected.push(("DEIS_TOKEN_REFRESH_TIME".into(), json!("")));
        assert_eq!(env, expected, "{out}");
    }
}

// ---- Names spelled as only a YAML reader sees through (docs/editing.md) ---

/// `spelled` (keys or names written with tags, escapes or quotes) configured
/// for `location` means what `plain`, the same document spelled plainly,
/// configured the same way means.
fn assert_spelled_like_plain(plain: &str, spelled: &str, location: &str) {
    let Some(k) = k8sjson() else { return };
    assert_eq!(
        objects(&k, plain),
        objects(&k, spelled),
        "the spellings differ:\n{spelled}"
    );
    let want = objects(&k, &run_in(plain, location, None).unwrap());
    let out = run_in(spelled, location, None).unwrap_or_else(|e| panic!("{e}\n{spelled}"));
    assert_eq!(objects(&k, &out), want, "{out}");
}

#[test]
fn a_key_replaced_where_it_stands_loses_its_tag() {
    // `valueFrom` written as `!!binary dmFsdWVGcm9t` became `!!binary value`.
    assert_builder_configured(
        "        - {name: DEIS_REGISTRY_LOCATION, !!binary dmFsdWVGcm9t: {configMapKeyRef: {name: c, key: k}}}\n",
    );
    assert_builder_configured(
        "        - name: DEIS_REGISTRY_LOCATION\n          !!binary dmFsdWVGcm9t:\n            configMapKeyRef: {name: c, \
         key: k}\n",
    );
    assert_builder_configured(
        "        - {name: DEIS_REGISTRY_LOCATION, !<tag:yaml.org,2002:binary> dmFsdWVGcm9t: {configMapKeyRef: {name: \
         c, key: k}}}\n",
    );
}

#[test]
fn a_tagged_key_of_a_flow_mapping_is_removed_with_its_tag_and_keeps_its_neighbours() {
    // Removing the key before a tagged key took that key's tag; a tagged
    // stale key was not removed at all.
    for data in [
        "{foo: YmFy, !!binary aG9zdG5hbWU=: eA==}",
        "{hostname: eA==, !!str foo: YmFy}",
        "{!!binary Zm9v: YmFy, hostname: eA==}",
        "{hostname: eA==,!!str \"f\\x6Fo\": YmFy, &a bar: YmF6}",
        // A verbatim tag may hold a comma.
        "{hostname: eA==, !<tag:yaml.org,2002:str> foo: YmFy, bar: YmF6}",
        "{!<tag:yaml.org,2002:binary> Zm9v: YmFy,!<tag:yaml.org,2002:str> hostname: eA==}",
    ] {
        assert_secret_configured(&format!("{SECRET_HEAD}data: {data}\n"));
    }
    // A duplicate item of a flow list, written with a tag (on the line
    // before it too), and keys whose tags stand on the line before them.
    assert_builder_configured(
        "          [!!map {name: DEIS_REGISTRY_LOCATION, value: a}, !!map {name: DEIS_REGISTRY_LOCATION, value: b}]\n",
    );
    assert_builder_configured(
        "          [{name: DEIS_REGISTRY_LOCATION, value: a}, &d !!map\n           {name: DEIS_REGISTRY_LOCATION}]\n",
    );
    assert_secret_configured(&format!(
        "{SECRET_HEAD}data: {{hostname: eA==, !!binary\n  Zm9v: YmFy, &b\n  !!str bar: YmF6}}\n"
    ));
}

const DRYCC_BUILDER: &str =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: drycc-builder, namespace: drycc}\n\
spec: {template: {spec: {containers: [{name: drycc-builder, image: registry.drycc.cc/drycc/builder:canary, env: [\
{name: DRYCC_REGISTRY_LOCATION, value: on-cluster}, {name: DRYCC_REGISTRY_HOST, value: 'drycc-registry:5000'}, \
{name: DRYCC_REGISTRY_PROXY_HOST, value: '127.0.0.1:5555'}]}]}}}\n---\n\
apiVersion: v1\nkind: Secret\nmetadata: {name: builder-secret, namespace: drycc}\ntype: Opaque\n";

#[test]
fn an_item_named_through_a_tagged_key_is_removed() {
    // Off-cluster removes DRYCC_REGISTRY_PROXY_HOST; its item was found by
    // the key's text (`bmFtZQ==`), not by what it decodes to (`name`).
    for name in ["!!binary bmFtZQ==", "\"n\\x61me\"", "!!str name"] {
        let spelled = DRYCC_BUILDER.replace(
            "{name: DRYCC_REGISTRY_PROXY_HOST",
            &format!("{{{name}: DRYCC_REGISTRY_PROXY_HOST"),
        );
        assert_spelled_like_plain(DRYCC_BUILDER, &spelled, "off-cluster");
    }
}

#[test]
fn an_explicit_key_goes_with_its_question_mark_and_properties() {
    // `? foo` removed left its `?` (a null key); `? !!binary` then the key
    // on the next line left the tag.
    for data in [
        "\n  ? foo\n  : YmFy\n  hostname: eA==",
        "\n  ? !!binary\n    Zm9v\n  : YmFy\n  hostname: eA==",
        " {? foo : YmFy, ? !!str\n    bar : YmF6, hostname: eA==}",
    ] {
        assert_secret_configured(&format!("{SECRET_HEAD}data:{data}\n"));
    }
    assert_builder_configured(
        "        - name: DEIS_REGISTRY_LOCATION\n          ? !!str valueFrom\n          : {configMapKeyRef: {name: c, key: \
         k}}\n",
    );
}

#[test]
fn keys_written_as_aliases_of_scalars_are_the_keys_they_name() {
    // `*d :` where `&d data` went unfound: the edit was refused as reaching
    // through an alias.
    assert_secret_configured(&format!(
        "{SECRET_HEAD}  labels: {{x: &d data}}\n*d : {{foo: YmFy, hostname: eA==}}\n"
    ));
    let env = |name: &str, first: &str| {
        builder(&format!(
            "        - {first}: OTHER\n          value: x\n        - {name} : DEIS_REGISTRY_LOCATION\n          value: \
             on-cluster\n"
        ))
    };
    assert_spelled_like_plain(&env("name", "name"), &env("*n", "&n name"), "off-cluster");
}

#[test]
fn removing_or_replacing_a_node_whose_anchor_is_used_again_is_refused_at_the_anchor() {
    // A duplicate item removed, and a `valueFrom` replaced by `value`, took
    // the anchor a later alias names: the output did not read back.
    for (env, line) in [
        (
            "        - name: DEIS_REGISTRY_LOCATION\n          value: on-cluster\n        - name: DEIS_REGISTRY_LOCATION\n          \
             value: &v stale\n        - name: OTHER\n          value: *v\n",
            16,
        ),
        (
            "        - name: DEIS_REGISTRY_LOCATION\n          valueFrom: &v {configMapKeyRef: {name: c, key: k}}\n        - \
             name: OTHER\n          valueFrom: *v\n",
            14,
        ),
    ] {
        let e = run(&builder(env), "off-cluster").expect_err(env);
        assert!(e.contains(&format!("line {line}:")) && e.contains("anchored (&) here"), "{e}");
    }
}
