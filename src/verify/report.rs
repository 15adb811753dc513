//! What `verify` found, step by step, as a table or JSON, and the verdict.
//! Every text that enters a report is scrubbed of every form the secrets
//! take (docs/verify.md, "What is never printed").

use std::fmt::Write as _;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;

use super::transport::{encode_query, QUERY};
use crate::escape::escape_controls;

/// What was tried (docs/verify.md, "Results").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Registry,
    RegistryLogin,
    Token,
    PushCheck,
    EcrToken,
    TokenExpiry,
    AccessToken,
    Clock,
    Platform,
}

/// The name JSON gives a step or class, with spaces for the table.
fn label(value: impl Serialize) -> String {
    let json = serde_json::to_value(value).unwrap_or_default();
    json.as_str().unwrap_or_default().replace('_', " ")
}

/// The result classes an operator must tell apart (docs/verify.md, "Results").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Reachable,
    TokenIssued,
    CredentialsAccepted,
    PushAllowed,
    NotApplicable,
    AnonymousAccess,
    NotChecked,
    Information,
    Unreachable,
    TlsUntrusted,
    TlsFailed,
    CredentialsRejected,
    CredentialsWithheld,
    PermissionDenied,
    NoPushPermission,
    TokenExpired,
    ClockSkew,
    Refused,
    UnexpectedResponse,
}

impl Class {
    /// Whether the step counts as passed.
    pub fn passed(self) -> bool {
        matches!(
            self,
            Class::Reachable
                | Class::TokenIssued
                | Class::CredentialsAccepted
                | Class::PushAllowed
                | Class::NotApplicable
        )
    }

    /// Neither passed nor failed: it proves nothing either way.
    fn inconclusive(self) -> bool {
        matches!(self, Class::AnonymousAccess | Class::NotChecked | Class::Information)
    }
}

/// One step: what was tried, what came of it, and the evidence.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub step: Step,
    pub result: Class,
    pub passed: bool,
    pub detail: String,
}

/// Every step of one verification.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub location: &'static str,
    pub passed: bool,
    pub steps: Vec<Entry>,
    /// Why `passed` is false when no single step failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// Every form of every secret, longest first: a server may echo any.
    #[serde(skip)]
    forms: Vec<String>,
}

impl Report {
    pub fn new(location: &'static str) -> Self {
        Report {
            location,
            ..Report::default()
        }
    }

    pub fn add(&mut self, step: Step, result: Class, detail: impl Into<String>) {
        self.steps.push(Entry {
            step,
            result,
            passed: result.passed(),
            detail: scrub(&self.forms, &detail.into(), false),
        });
        let proven = |s: &Entry| matches!(s.result, Class::CredentialsAccepted | Class::NotApplicable);
        self.passed = !self.failed() && self.steps.iter().any(proven);
        self.verdict = (!self.failed() && !self.passed)
            .then(|| "the credentials were not proven (nothing failed, but nothing showed they work)".into());
    }

    /// Remember a secret (configured or minted); every step, earlier ones too, is scrubbed of it.
    pub fn secret(&mut self, secret: &str) {
        // Shorter values would scrub ordinary words; `run` refuses configured ones.
        if secret.len() < SHORTEST_SCRUBBED {
            return;
        }
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json.trim_matches('"');
        let query = encode_query(secret);
        // Percent-encodings as docs/verify.md lists them, also with lower-case hex.
        let percent = [
            utf8_percent_encode(secret, KEEP_SLASH).to_string(),
            query.replace("%20", "+"),
            utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string(),
            query,
        ];
        let lower = percent.iter().map(|p| lower_hex(p)).collect::<Vec<_>>();
        let base64 = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD].map(|engine| engine.encode(secret));
        let forms = [
            secret.to_owned(),
            json.to_owned(),
            json_ascii(json, false),
            json_ascii(json, true),
        ];
        self.forms
            .extend(forms.into_iter().chain(base64).chain(percent).chain(lower));
        // Longest first, so that no shorter form leaves part of a longer one.
        self.forms.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        self.forms.dedup();
        for s in &mut self.steps {
            s.detail = scrub(&self.forms, &s.detail, false);
        }
    }

    /// `text` scrubbed, then cut to `max` characters: cutting first could
    /// split a secret (or an encoding of one) so that its first part escapes.
    pub fn scrubbed(&self, text: &str, max: usize) -> String {
        let mut text = scrub(&self.forms, text, false);
        if let Some((cut, _)) = text.char_indices().nth(max) {
            // A mask the cut would split goes whole.
            let split = text.match_indices(MASK).find(|(i, _)| *i < cut && cut < i + MASK.len());
            text.truncate(split.map_or(cut, |(i, _)| i));
        }
        text
    }

    /// `url` (or an origin) scrubbed in any letter case: a host name is
    /// case-insensitive, so a secret a server put in one comes back folded.
    pub fn scrubbed_url(&self, url: &str) -> String {
        scrub(&self.forms, url, true)
    }

    /// Remember a `user:password` pair: what Basic authentication encodes.
    pub fn credentials(&mut self, user: &str, password: &str) {
        self.secret(password);
        self.secret(&format!("{user}:{password}"));
    }

    /// Whether anything failed outright (a later step cannot help then).
    pub fn failed(&self) -> bool {
        self.steps.iter().any(|s| !s.passed && !s.result.inconclusive())
    }

    /// The steps as an aligned table, then the verdict.
    pub fn table(&self) -> String {
        let width = |f: fn(&Entry) -> String, min| self.steps.iter().map(|s| f(s).len()).max().unwrap_or(0).max(min);
        let (w_step, w_result) = (width(|s| label(s.step), 4), width(|s| label(s.result), 1) + 5);
        let mut out = format!("{:<w_step$}  {:<w_result$}  DETAIL\n", "STEP", "RESULT");
        for s in &self.steps {
            let mark = match (s.passed, s.result) {
                (true, _) => "ok",
                (false, Class::Information) => "note",
                (false, r) if r.inconclusive() => "??",
                _ => "FAIL",
            };
            let result = format!("{mark:<4} {}", label(s.result));
            // What servers said, with control characters escaped: it can
            // neither start a forged line nor repaint the terminal.
            let detail = escape_controls(&s.detail);
            let _ = writeln!(out, "{:<w_step$}  {result:<w_result$}  {detail}", label(s.step));
        }
        let _ = match (&self.verdict, self.passed) {
            (_, true) => writeln!(out, "verified: the {} registry credentials work", self.location),
            (Some(why), false) => writeln!(out, "NOT verified: {why}"),
            (None, false) => writeln!(out, "NOT verified: a step failed (see above)"),
        };
        out
    }

    /// The report as JSON (`--output json`).
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into()) + "\n"
    }

    /// One line per failed or inconclusive step, for the pipeline's error.
    pub fn failures(&self) -> String {
        let steps = self.steps.iter().filter(|s| !s.passed);
        let lines = steps.map(|s| format!("{}: {}: {}", label(s.step), label(s.result), s.detail));
        lines.chain(self.verdict.clone()).collect::<Vec<_>>().join("; ")
    }
}

/// RFC 3986's unreserved characters and `/` stay (Python's `quote`).
const KEEP_SLASH: &AsciiSet = &QUERY.remove(b'/');

/// A percent-encoding with lower-case hex digits: the two after each `%`.
fn lower_hex(encoded: &str) -> String {
    let mut pieces = encoded.split('%');
    let first = pieces.next().unwrap_or_default().to_owned();
    pieces.fold(first, |out, piece| {
        let (hex, rest) = piece.split_at_checked(2).unwrap_or((piece, ""));
        format!("{out}%{}{rest}", hex.to_ascii_lowercase())
    })
}

/// JSON string content with every non-ASCII character as `\uXXXX` (UTF-16).
fn json_ascii(json: &str, upper: bool) -> String {
    let escape = |u: &u16| match upper {
        true => format!("\\u{u:04X}"),
        false => format!("\\u{u:04x}"),
    };
    let escaped = |c: char| match c.is_ascii() {
        true => c.to_string(),
        false => c.encode_utf16(&mut [0; 2]).iter().map(escape).collect(),
    };
    json.chars().map(escaped).collect()
}

const MASK: &str = "(redacted)";

/// The shortest secret (in bytes) that is scrubbed: a shorter one would mask ordinary words.
pub const SHORTEST_SCRUBBED: usize = 4;

/// `text` with every known form of a secret replaced (in any ASCII letter
/// case if `any_case`), then opaque runs masked.
fn scrub(forms: &[String], text: &str, any_case: bool) -> String {
    let fold = |s: &str| if any_case { s.to_ascii_lowercase() } else { s.to_owned() };
    let known = forms.iter().fold(text.to_owned(), |text, form| {
        // ASCII case folding keeps every byte where it was.
        let (folded, form) = (fold(&text), fold(form));
        let (mut out, mut last) = (String::new(), 0);
        for (i, _) in folded.match_indices(form.as_str()) {
            out.push_str(&text[last..i]);
            out.push_str(MASK);
            last = i + form.len();
        }
        out + &text[last..]
    });
    mask_opaque(&known)
}

/// Runs of 20 or more base64, hex or percent-encoding characters mixing upper
/// case, lower case and digits look like tokens and keys, not words or codes.
fn mask_opaque(text: &str) -> String {
    let opaque = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '=' | '_' | '-' | '%');
    let classes = [char::is_ascii_uppercase, char::is_ascii_lowercase, char::is_ascii_digit];
    // Each piece is one run (maybe empty) and the character that ends it.
    let pieces = text.split_inclusive(|c| !opaque(c)).map(|piece| {
        let word = piece.trim_end_matches(|c| !opaque(c));
        let mixed = classes.iter().all(|class| word.chars().any(|c| class(&c)));
        if word.len() >= 20 && mixed {
            format!("{MASK}{}", &piece[word.len()..])
        } else {
            piece.to_owned()
        }
    });
    pieces.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_needs_proof_and_no_failure() {
        let mut r = Report::new("off-cluster");
        r.secret("hunter2-pass");
        r.add(Step::Registry, Class::Reachable, "answered 401");
        assert!(!r.passed && r.verdict.is_some());
        r.add(Step::RegistryLogin, Class::AnonymousAccess, "200 without credentials");
        r.add(Step::Platform, Class::Information, "a note");
        assert!(!r.passed);
        r.add(
            Step::PushCheck,
            Class::CredentialsAccepted,
            "the token hunter2-pass worked",
        );
        assert!(r.passed, "{}", r.table());
        assert!(!r.json().contains("hunter2") && !r.table().contains("hunter2"));
        r.add(Step::PushCheck, Class::CredentialsWithheld, "another host");
        assert!(!r.passed && r.failures().contains("credentials withheld"));
    }

    #[test]
    fn every_form_of_a_secret_is_scrubbed_also_from_earlier_steps() {
        let mut r = Report::new("off-cluster");
        let echoed = format!(
            "Basic {} | {} | {} | user%3Apass%2Fword%3F | \"pass\\\"word\"",
            STANDARD.encode("user:pass/word?"),
            URL_SAFE_NO_PAD.encode("user:pass/word?"),
            STANDARD_NO_PAD.encode("tok-123456")
        );
        r.add(Step::RegistryLogin, Class::CredentialsRejected, echoed);
        r.credentials("user", "pass/word?");
        r.secret("tok-123456");
        r.secret("pass\"word");
        let table = r.table();
        assert!(!table.contains("dXNlcjpwYXNzL3dvcmQ"), "{table}");
        assert!(!table.contains("%3Apass") && !table.contains("pass\\\"word"), "{table}");
        assert!(!table.contains("dG9rLTEyMzQ1Ng"), "{table}");
    }

    #[test]
    fn server_text_in_the_table_cannot_forge_lines_or_drive_the_terminal() {
        let mut r = Report::new("off-cluster");
        let said = "bad\nregistry login  ok   credentials accepted  FORGED\r\x1b[31mRED\x1b[0m\u{202e}evil\u{2028}";
        r.add(Step::RegistryLogin, Class::CredentialsRejected, said);
        let table = r.table();
        assert_eq!(table.lines().count(), 3, "{table}");
        assert!(
            table.contains(
                "bad\\nregistry login  ok   credentials accepted  FORGED\\r\\x1b[31mRED\\x1b[0m\\u{202e}evil\\u{2028}"
            ),
            "{table}"
        );
        assert!(!table
            .chars()
            .any(|c| c != '\n' && crate::escape::escape_controls(&c.to_string()) != c.to_string()));
        // JSON escapes them its own way and keeps the text as it was.
        let json: serde_json::Value = serde_json::from_str(&r.json()).unwrap();
        assert_eq!(json["steps"][0]["detail"], said);
        assert!(!r.json().contains('\x1b'));
    }

    #[test]
    fn a_cut_comes_after_the_scrub_and_never_splits_a_mask() {
        let mut r = Report::new("off-cluster");
        r.credentials("alice", "S3cretPassw0rdXyz9");
        let pad = "x".repeat(195);
        let echoed = format!("{pad}S3cretPassw0rdXyz9");
        assert_eq!(r.scrubbed(&echoed, 200), pad);
        let b64 = STANDARD.encode("alice:S3cretPassw0rdXyz9");
        assert_eq!(r.scrubbed(&format!("{pad}{b64}"), 200), pad);
        assert_eq!(
            r.scrubbed("said S3cretPassw0rdXyz9 twice", 200),
            "said (redacted) twice"
        );
        assert_eq!(r.scrubbed(&format!("{pad}abcdefgh"), 200), format!("{pad}abcde"));
        assert_eq!(r.scrubbed("é".repeat(300).as_str(), 200), "é".repeat(200));
    }

    #[test]
    fn percent_form_and_json_ascii_echoes_are_scrubbed() {
        let mut r = Report::new("off-cluster");
        r.secret("Tr0ub/dor &3x!");
        r.secret("pässwört-geheim");
        let echoes = [
            "Tr0ub/dor%20%263x%21",
            "Tr0ub%2Fdor+%263x%21",
            "Tr0ub%2fdor%20%263x%21",
            "p\\u00e4ssw\\u00f6rt-geheim",
            "p\\u00E4ssw\\u00F6rt-geheim",
            "p%c3%a4ssw%c3%b6rt-geheim",
            "p%C3%A4ssw%C3%B6rt%2Dgeheim",
        ];
        for echoed in echoes {
            r.add(
                Step::RegistryLogin,
                Class::CredentialsRejected,
                format!("you sent {echoed}"),
            );
        }
        let table = r.table();
        assert_eq!(table.matches("you sent (redacted)\n").count(), echoes.len(), "{table}");
        assert_eq!(json_ascii("a😀", false), "a\\ud83d\\ude00");
    }

    #[test]
    fn opaque_runs_are_masked_and_words_kept() {
        let text = "InvalidClientTokenId SignatureDoesNotMatch us-west-2 arn:aws:iam::123456789012:user/ecr-none \
                    workflow-registry-probe ya29.c0AfH6SMBx9qZ3kLmN0pQrStUv 2015-01-01";
        let masked = mask_opaque(text);
        assert!(
            masked.contains("InvalidClientTokenId SignatureDoesNotMatch us-west-2"),
            "{masked}"
        );
        assert!(
            masked.contains("123456789012:user/ecr-none workflow-registry-probe"),
            "{masked}"
        );
        assert!(masked.contains("ya29.(redacted) 2015-01-01"), "{masked}");
        assert_eq!(mask_opaque("é ünï ✓"), "é ünï ✓");
    }
}
