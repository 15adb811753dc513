//! Config files (docs/configuration.md, "The sources"): Helm Classic's params
//! file, a chart's values file (Deis Workflow's and Hephy's, or Drycc's, told by
//! its keys) and a config object's fields, read as JSON by the settings table's
//! keys only; a typo never does nothing ([`FileKind::strict`]).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value as Json;

use super::setting::{FileKind, Setting, DEFINITIONS};
use super::{suggest, Problem, Warning};
use crate::files::{self, Base};
use crate::manifest::resource;
use crate::platform::contract::{self, LocationKind};
use crate::yaml::tree::{self, Node};
use crate::yaml::yaml11;

/// The line a dotted key's value is on in the file read, when known.
pub type Lines<'a> = &'a dyn Fn(&str) -> Option<usize>;

/// The settings a config file sets, and where `@path` values in it resolve.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct File {
    pub kind: FileKind,
    /// Each setting the file sets: its value and the key(s) it came from.
    pub values: Vec<(Setting, String, String)>,
    pub warnings: Vec<Warning>,
    /// Where relative `@path` values start (and stay, unless the operator lifts it).
    pub base: Base,
}

impl File {
    /// The value and key for `setting`, if the file sets it.
    pub fn get(&self, setting: Setting) -> Option<(&str, &str)> {
        let (_, value, key) = self.values.iter().find(|(s, ..)| *s == setting)?;
        Some((value, key))
    }

    /// This file as read from `file`: `@path`s resolve in `dir`, else in
    /// the file's directory (see [`Base::for_config`]).
    pub fn located(mut self, file: Option<&Path>, dir: Option<&Path>) -> Result<Self, Problem> {
        self.base = Base::for_config(file, dir).map_err(|e| Problem::general(e.to_string()))?;
        Ok(self)
    }
}

/// Read a params file (TOML) or a values file (YAML); problems name the file and key.
pub fn load(kind: FileKind, path: &Path) -> Result<File, Vec<Problem>> {
    let params = kind == FileKind::Params;
    let flag = if params { "--params" } else { "--values" };
    let text = files::read_operator_file(path, files::Kind::ConfigFile)
        .map_err(|e| vec![Problem::general(format!("{flag}: {e}"))])?;
    parse(kind, &text)
        .and_then(|f| f.located(Some(path), None).map_err(|e| vec![e]))
        .map_err(|problems| {
            let prefix = format!("{flag} {}: ", path.display());
            problems.into_iter().map(|p| p.prefixed(&prefix)).collect()
        })
}

pub fn parse(kind: FileKind, text: &str) -> Result<File, Vec<Problem>> {
    if kind == FileKind::Params {
        let json = toml(text).map_err(|p| vec![p])?;
        return from_json(kind, &json, &[], &|key| toml_line(text, key));
    }
    // The parser's message names a position, never the content.
    let root = tree::parse(text).map_err(|e| {
        let (line, message) = (e.line, e.message);
        vec![Problem::general(format!("not valid YAML at line {line}: {message}"))]
    })?;
    let json = root.as_ref().map_or(Json::Object(Default::default()), yaml11::to_json);
    if !json.is_object() {
        return Err(vec![Problem::general("a values file must be a mapping")]);
    }
    from_json(kind, &json, &[], &|key| yaml_line(root.as_ref()?, key))
}

/// The line of a dotted key's value in a YAML tree, if written there (not by a merge key).
pub fn yaml_line(root: &Node<'_>, dotted: &str) -> Option<usize> {
    let path: Vec<&str> = dotted.split('.').collect();
    root.path(&path).map(|node| node.loc().line)
}

fn toml(text: &str) -> Result<Json, Problem> {
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // toml's message quotes the offending line, which may hold a password.
        let line = |s: std::ops::Range<usize>| text.get(..s.start).unwrap_or(text).matches('\n').count() + 1;
        let at = e.span().map(|s| format!(" at line {}", line(s))).unwrap_or_default();
        Problem::general(format!("not valid TOML{at}: {}", e.message()))
    })?;
    table.iter_mut().for_each(|(_, v)| finite(v));
    serde_json::to_value(&table).map_err(|e| Problem::general(format!("cannot read the TOML: {e}")))
}

/// JSON has no infinity or NaN, and serde's null for `inf` reads as unset. A
/// float stands in, as the YAML reader's for `.inf`: a number, not text nor whole.
fn finite(value: &mut toml::Value) {
    match value {
        toml::Value::Float(f) if !f.is_finite() => *f = 0.0,
        toml::Value::Array(items) => items.iter_mut().for_each(finite),
        toml::Value::Table(table) => table.iter_mut().for_each(|(_, v)| finite(v)),
        _ => {}
    }
}

/// The line a dotted key's value starts on in a TOML file (parsed again: only a problem asks).
fn toml_line(text: &str, dotted: &str) -> Option<usize> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let mut keys = dotted.split('.');
    let mut value = root.get_ref().get(keys.next()?)?;
    for key in keys {
        value = match value.get_ref() {
            toml::de::DeValue::Table(table) => table.get(key)?,
            _ => return None,
        };
    }
    Some(text.get(..value.span().start)?.matches('\n').count() + 1)
}

/// Read the settings from a file's content (a values file is Drycc's when it
/// holds Drycc's keys). `extra`: top-level fields the caller reads itself (a
/// config object's options); `line`: where a key is written, for problems.
pub fn from_json(kind: FileKind, root: &Json, extra: &[&str], line: Lines<'_>) -> Result<File, Vec<Problem>> {
    let (kind, undecided) = match kind {
        FileKind::Values => chart(root)?,
        other => (other, false),
    };
    let mut r = Reader {
        root,
        file: File::default(),
        problems: Vec::new(),
        line,
    };
    r.file.kind = kind;
    r.unknown_keys(kind, extra);
    if undecided {
        // Neither chart's keys: a Drycc operator's misspelt ones, maybe.
        r.unknown_keys(FileKind::DryccValues, extra);
    }
    for d in DEFINITIONS {
        let keys = kind.keys(d);
        match (d.setting, kind) {
            (_, _) if keys.is_empty() => {}
            (Setting::Location, FileKind::DryccValues) => r.drycc_location(keys),
            (Setting::RefresherImage, FileKind::Params | FileKind::FunctionConfig) => r.helm_classic_image(keys),
            (Setting::RefresherImage, _) => r.chart_image(keys),
            (setting, _) => {
                if let Some((value, key)) = r.text(setting, keys) {
                    r.file.values.push((setting, value, key.to_owned()));
                }
            }
        }
    }
    let chart = matches!(kind, FileKind::Values | FileKind::DryccValues);
    if chart && r.file.values.is_empty() && r.file.warnings.is_empty() {
        r.file.warnings.push(Warning::general(
            "the values file sets none of the registry settings this tool reads (Deis Workflow's and Hephy's \
             under `global` and `registry-token-refresher`, Drycc's under `registry`, `builder` and `controller`): \
             each comes from the flags, the environment or its default",
        ));
    }
    r.problems.is_empty().then_some(r.file).ok_or(r.problems)
}

/// Whose chart a values file is for, by its keys, and whether it holds keys of neither.
fn chart(root: &Json) -> Result<(FileKind, bool), Vec<Problem>> {
    let holds = |kind: FileKind| {
        kind.all_keys()
            .find(|k| lookup(root, k).is_some())
            .or_else(|| root.as_object()?.keys().find(|k| kind.strict(k)).map(String::as_str))
    };
    match (holds(FileKind::Values), holds(FileKind::DryccValues)) {
        (Some(deis), Some(drycc)) => Err(vec![Problem::general(format!(
            "holds keys of Deis Workflow's (or Hephy's) chart, such as `{deis}`, and of Drycc Workflow's, such as \
             `{drycc}`: a values file is for one chart"
        ))]),
        (None, Some(_)) => Ok((FileKind::DryccValues, false)),
        (deis, None) => Ok((FileKind::Values, deis.is_none())),
    }
}

struct Reader<'j> {
    root: &'j Json,
    file: File,
    problems: Vec<Problem>,
    line: Lines<'j>,
}

impl Reader<'_> {
    fn problem(&mut self, message: String) {
        self.problems.push(Problem::general(message));
    }

    /// ` at line N` for a key's value, when the file says.
    fn at_line(&self, key: &str) -> String {
        (self.line)(key).map(|n| format!(" at line {n}")).unwrap_or_default()
    }

    /// Every mapping that holds a known key of `kind`, checked for keys that
    /// are not (all of them where the layout is ours, near misses elsewhere).
    fn unknown_keys(&mut self, kind: FileKind, extra: &[&str]) {
        let known: Vec<&str> = kind.all_keys().collect();
        // Each mapping's key with its dot (`ecr.`), the top's empty.
        let mut prefixes = BTreeSet::from([""]);
        for key in &known {
            prefixes.extend(key.match_indices('.').map(|(i, _)| &key[..=i]));
        }
        for prefix in prefixes {
            let container = prefix.strip_suffix('.').unwrap_or(prefix);
            let Some(node) = lookup(self.root, container) else {
                continue;
            };
            let Json::Object(map) = node else {
                self.problem(format!("`{container}` must be a mapping, found {}", type_name(node)));
                continue;
            };
            let at = |key: &str| format!("{prefix}{key}");
            let under = known.iter().filter_map(|k| k.strip_prefix(prefix)?.split('.').next());
            let extra = extra.iter().copied().filter(|_| container.is_empty());
            let children: Vec<&str> = BTreeSet::from_iter(under.chain(extra)).into_iter().collect();
            for key in map.keys().filter(|k| !children.contains(&k.as_str())) {
                let shown = at(&key.escape_debug().to_string());
                if kind.strict(container) {
                    // The near miss when there is one, else every known name.
                    let hint = suggest::closest(key, &children)
                        .map(|m| format!("; did you mean `{m}`?"))
                        .unwrap_or_else(|| format!(" (known: {})", children.join(", ")));
                    self.problem(format!("unknown key `{shown}`{hint}"));
                } else {
                    // Short names (`ecr`) are near misses of too much (`gcs`),
                    // but not of themselves in another case (`Global`).
                    let long: Vec<&str> = children.iter().copied().filter(|c| c.len() > 8).collect();
                    let same = |c: &&str| c.eq_ignore_ascii_case(key);
                    if let Some(m) = suggest::closest(key, &long).or_else(|| children.iter().copied().find(same)) {
                        self.problem(format!("unknown key `{shown}`: did you mean `{}`?", at(m)));
                    } else if container.is_empty() && kind == self.file.kind {
                        self.problems.extend(misplaced(kind, key).map(Problem::general));
                    }
                }
            }
        }
    }

    /// The text at the first of `keys` that is set and not blank (else the
    /// first set), and its key. Where several are set they must agree.
    fn text<'k>(&mut self, setting: Setting, keys: &[&'k str]) -> Option<(String, &'k str)> {
        let number = setting.definition().number;
        let mut found: Vec<(String, &str)> = Vec::new();
        for key in keys {
            let Some(value) = lookup(self.root, key) else { continue };
            match value {
                Json::String(text) => found.push((text.clone(), key)),
                Json::Number(n) if number => found.push((n.to_string(), key)),
                // Never the value, nor an example (either may be a secret): what
                // the file's reader made of it is not what was written.
                other => {
                    let wanted = if number { "a number or a string" } else { "a string" };
                    let quote = match self.file.kind {
                        _ if !matches!(other, Json::Number(_) | Json::Bool(_)) => "",
                        FileKind::Params => ": quote it (unquoted, TOML reads it as that, not as the text written)",
                        _ => {
                            ": quote it (unquoted, YAML 1.1 reads it as that, not as the text written, and \
                              the chart refuses it)"
                        }
                    };
                    let (at, name, found) = (self.at_line(key), setting.name(), type_name(other));
                    self.problem(format!("{key}{at} ({name}) must be {wanted}, found {found}{quote}"));
                }
            }
        }
        let set: Vec<&(String, &str)> = found.iter().filter(|(v, _)| !v.trim().is_empty()).collect();
        if let [(first, first_key), rest @ ..] = set.as_slice() {
            if let Some((_, other_key)) = rest.iter().find(|(v, _)| v.trim() != first.trim()) {
                self.problem(format!(
                    "{first_key} and {other_key} are both set, to different values: they must agree (keep one)"
                ));
            }
        }
        set.first().copied().or(found.first()).map(|(v, k)| (v.clone(), *k))
    }

    /// Drycc has no location setting: each sub-chart runs on-cluster while its
    /// `registry.enabled` is true (the default). All three false is off-cluster;
    /// a mix runs the builder and controller against a registry that is not there.
    fn drycc_location(&mut self, keys: &[&str]) {
        let mut flags = Vec::new();
        for key in keys {
            let found = match lookup(self.root, key) {
                None => continue,
                Some(Json::Bool(b)) => {
                    flags.push((*key, *b));
                    continue;
                }
                Some(Json::String(text)) => format!("{text:?}"),
                Some(Json::Number(n)) => n.to_string(),
                Some(other) => type_name(other).to_owned(),
            };
            let at = self.at_line(key);
            return self.problem(format!(
                "{key}{at} must be true or false, found {found} (Helm's condition ignores anything else, and the \
                 templates read the text \"false\" as true)"
            ));
        }
        let (off, on): (Vec<&str>, Vec<&str>) = keys.iter().partition(|k| flags.contains(&(**k, false)));
        let location = match (on.is_empty(), off.is_empty()) {
            _ if flags.is_empty() => return,
            (_, true) => LocationKind::OnCluster.name(),
            (true, _) => LocationKind::OffCluster.name(),
            _ => {
                let (off, on) = (off.join(", "), on.join(", "));
                return self.problem(format!(
                    "{off} false but {on} true (or left at the default, true): the registry goes while the builder \
                     and controller stay on-cluster. Drycc's documented example (registry.enabled: false with the \
                     builder's keys) leaves two of them true; set all three to false for off-cluster"
                ));
            }
        };
        let set = flags.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ");
        self.file.values.push((Setting::Location, location.into(), set));
    }

    /// Helm Classic's template: `quay.io/{org}/registry-token-refresher:{dockerTag}`,
    /// when the file names both (the template needs both).
    fn helm_classic_image(&mut self, keys: &[&str]) {
        let set = |(v, _): &(String, &str)| !v.trim().is_empty();
        let [org, tag] = [&keys[..1], &keys[1..]].map(|k| self.text(Setting::RefresherImage, k).filter(set));
        match (org, tag) {
            (Some((org, o)), Some((tag, t))) => {
                let (org, tag, name) = (org.trim(), tag.trim(), contract::REFRESHER_IMAGE_NAME);
                let image = format!("quay.io/{org}/{name}:{tag}");
                let keys = format!("{o}, {t}");
                self.file.values.push((Setting::RefresherImage, image, keys));
            }
            (Some((_, set)), None) | (None, Some((_, set))) => {
                let missing = if set == keys[0] { keys[1] } else { keys[0] };
                let message = format!(
                    "{set} is set without {missing}: Helm Classic's template needs both, so the refresher image \
                     follows the manifest"
                );
                let warning = Warning::about(Setting::RefresherImage, message);
                self.file.warnings.push(warning);
            }
            (None, None) => {}
        }
    }

    /// A chart's values name the refresher's org and tag, not its registry:
    /// Deis's chart runs `quay.io/{org}/...`, Hephy's `{org}/...` (Docker Hub),
    /// and a values file does not say which. The manifest's image stays, warned.
    fn chart_image(&mut self, keys: &[&str]) {
        let set = |k: &&&str| lookup(self.root, k).is_some_and(|v| v.as_str().is_none_or(|v| !v.trim().is_empty()));
        let set: Vec<&str> = keys.iter().filter(set).copied().collect();
        if set.is_empty() {
            return;
        }
        let (set, name) = (set.join(" and "), contract::REFRESHER_IMAGE_NAME);
        let message = format!(
            "{set} in the values file is not used: Deis's chart runs quay.io/{{org}}/{name}:{{docker_tag}} and \
             Hephy's {{org}}/{name}:{{docker_tag}}, and the file does not say which it is for; the refresher image \
             follows the manifest (its own refresher, else the one beside Workflow's images), or set \
             REGISTRY_TOKEN_REFRESHER_IMAGE"
        );
        let warning = Warning::about(Setting::RefresherImage, message);
        self.file.warnings.push(warning);
    }
}

/// What is wrong with a top-level key of a values file that holds a setting
/// where no chart reads it: `helm --set`'s dotted path, or the params layout.
fn misplaced(kind: FileKind, key: &str) -> Option<String> {
    let shown = key.escape_debug();
    let under = |known: &str, key: &str| known == key || known.strip_prefix(key).is_some_and(|r| r.starts_with('.'));
    let charts = [FileKind::Values, FileKind::DryccValues];
    if key.contains('.') && charts.iter().any(|c| c.all_keys().any(|k| under(k, key))) {
        return Some(format!(
            "`{shown}` is one key with dots in its name: YAML does not nest it (only `helm --set` does); write each \
             part as a mapping of its own"
        ));
    }
    let first = key.split('.').next().unwrap_or(key);
    if !FileKind::Params.all_keys().any(|k| under(k, first)) {
        return None;
    }
    // Where this chart reads what the params file keeps at `first`: the
    // setting's keys (Drycc's location is three), or the table's home.
    let home = DEFINITIONS.iter().find_map(|d| {
        let (params, chart) = (d.params.first()?, kind.keys(d).first()?);
        if *params == first {
            return Some(kind.keys(d).join(", "));
        }
        let rest = params.strip_prefix(first)?.strip_prefix('.')?;
        chart.strip_suffix(rest)?.strip_suffix('.').map(str::to_owned)
    });
    Some(match home {
        Some(home) => format!("`{shown}` at the top level: the chart reads {home} (this is the params file's layout)"),
        None => format!(
            "`{shown}` at the top level is the params file's layout, which this chart does not read (`--help` \
             lists its keys)"
        ),
    })
}

/// The value at a dotted key (`""` is the top), unless absent or null.
fn lookup<'j>(root: &'j Json, dotted: &str) -> Option<&'j Json> {
    dotted
        .split('.')
        .filter(|key| !key.is_empty())
        .try_fold(root, |value, key| value.as_object()?.get(key))
        .filter(|v| !v.is_null())
}

fn type_name(value: &Json) -> &'static str {
    match value {
        // The toml crate hands a date or time to serde as this one-key table.
        Json::Object(map) if map.len() == 1 && map.contains_key("$__toml_private_datetime") => {
            "a date or time (quote the value to make it a string)"
        }
        other => resource::type_name(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_types_and_bad_toml_are_problems_without_the_value() {
        let e = parse(FileKind::Params, "[ecr]\nregion = [\"us-east-1\"]\n").unwrap_err();
        assert!(
            e[0].to_string()
                .contains("ecr.region at line 2 (ECR_REGION) must be a string, found a list"),
            "{}",
            e[0]
        );
        let e = parse(FileKind::Params, "ecr = 1\n").unwrap_err();
        assert!(e[0].to_string().contains("`ecr` must be a mapping"), "{}", e[0]);
        let e = parse(
            FileKind::Params,
            "[off_cluster_registry]\npassword = \"hunter2\nx = 1\n",
        )
        .unwrap_err();
        let shown = e[0].to_string();
        assert!(shown.contains("line 2") && !shown.contains("hunter2"), "{shown}");
        assert!(parse(FileKind::Values, "- a list\n").is_err());
    }
}
