//! What `verify` found, step by step: a table for people, JSON for scripts,
//! and the verdict (exit 0 only when the credentials were proven and nothing
//! failed). Every text that leaves this module is scrubbed of the secrets.

use std::fmt::Write as _;

use serde::Serialize;

/// The result classes an operator must be able to tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// The server answered (any HTTP status).
    Reachable,
    /// A token was obtained from ECR or Google.
    TokenIssued,
    /// The registry (or token endpoint) accepted the credentials.
    CredentialsAccepted,
    /// A blob upload was started and cancelled.
    PushAllowed,
    /// Nothing to do here (on-cluster, or a step that does not apply).
    NotApplicable,
    /// The registry answers without credentials: that proves nothing about them.
    AnonymousAccess,
    /// Could not be checked from here (e.g. an IAM role).
    NotChecked,
    Unreachable,
    /// The server's certificate chain is not trusted.
    TlsUntrusted,
    /// Another TLS failure (name mismatch, expired certificate, protocol).
    TlsFailed,
    CredentialsRejected,
    /// The credentials are valid but may not do what Workflow needs.
    PermissionDenied,
    NoPushPermission,
    TokenExpired,
    ClockSkew,
    /// Refused before any request (e.g. a foreign `token_uri`).
    Refused,
    /// The server answered something this tool does not understand.
    UnexpectedResponse,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Reachable => "reachable",
            Class::TokenIssued => "token issued",
            Class::CredentialsAccepted => "credentials accepted",
            Class::PushAllowed => "push allowed",
            Class::NotApplicable => "not applicable",
            Class::AnonymousAccess => "anonymous access allowed",
            Class::NotChecked => "not checked",
            Class::Unreachable => "unreachable",
            Class::TlsUntrusted => "TLS untrusted",
            Class::TlsFailed => "TLS failed",
            Class::CredentialsRejected => "credentials rejected",
            Class::PermissionDenied => "permission denied",
            Class::NoPushPermission => "no push permission",
            Class::TokenExpired => "token expired",
            Class::ClockSkew => "clock skew",
            Class::Refused => "refused",
            Class::UnexpectedResponse => "unexpected response",
        }
    }

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
        matches!(self, Class::AnonymousAccess | Class::NotChecked)
    }
}

/// One step: what was tried, what came of it, and the evidence.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub step: String,
    pub result: Class,
    pub passed: bool,
    pub detail: String,
}

/// Every step of one verification.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub location: &'static str,
    pub passed: bool,
    pub steps: Vec<Step>,
    /// Why `passed` is false when no single step failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    #[serde(skip)]
    secrets: Vec<String>,
}

impl Report {
    /// A report for `location`; `secrets` are scrubbed from every text.
    pub fn new(location: &'static str, secrets: Vec<String>) -> Self {
        Report {
            location,
            passed: false,
            steps: Vec::new(),
            verdict: None,
            // Short values would scrub ordinary words; none of ours is that short.
            secrets: secrets.into_iter().filter(|s| s.len() >= 4).collect(),
        }
    }

    pub fn add(&mut self, step: &str, result: Class, detail: impl Into<String>) {
        let detail = self.scrub(&detail.into());
        self.steps.push(Step {
            step: step.to_owned(),
            result,
            passed: result.passed(),
            detail,
        });
        self.conclude();
    }

    /// Remember one more secret (e.g. a token minted during the run).
    pub fn add_secret(&mut self, secret: &str) {
        if secret.len() >= 4 {
            self.secrets.push(secret.to_owned());
        }
        let steps: Vec<Step> = self.steps.drain(..).collect();
        for mut s in steps {
            s.detail = self.scrub(&s.detail);
            self.steps.push(s);
        }
    }

    /// Whether anything failed outright (a later step cannot help then).
    pub fn failed(&self) -> bool {
        self.steps.iter().any(|s| !s.passed && !s.result.inconclusive())
    }

    fn conclude(&mut self) {
        let proven = self
            .steps
            .iter()
            .any(|s| matches!(s.result, Class::CredentialsAccepted | Class::NotApplicable));
        self.passed = !self.failed() && proven;
        self.verdict = if self.failed() || self.passed {
            None
        } else {
            Some("the credentials were not proven (nothing failed, but nothing showed they work)".into())
        };
    }

    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            out = out.replace(s.as_str(), "(redacted)");
        }
        out
    }

    /// The steps as an aligned table, then the verdict.
    pub fn table(&self) -> String {
        let width =
            |f: &dyn Fn(&Step) -> usize, title: &str| self.steps.iter().map(f).max().unwrap_or(0).max(title.len());
        let w_step = width(&|s| s.step.len(), "STEP");
        let w_result = width(&|s| s.result.name().len() + 5, "RESULT");
        let mut out = String::new();
        let _ = writeln!(out, "{:<w_step$}  {:<w_result$}  DETAIL", "STEP", "RESULT");
        for s in &self.steps {
            let mark = if s.passed {
                "ok"
            } else if s.result.inconclusive() {
                "??"
            } else {
                "FAIL"
            };
            let result = format!("{mark:<4} {}", s.result.name());
            let _ = writeln!(out, "{:<w_step$}  {result:<w_result$}  {}", s.step, s.detail);
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
        let mut lines: Vec<String> = self
            .steps
            .iter()
            .filter(|s| !s.passed)
            .map(|s| format!("{}: {}: {}", s.step, s.result.name(), s.detail))
            .collect();
        if let Some(v) = &self.verdict {
            lines.push(v.clone());
        }
        lines.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_needs_proof_and_no_failure() {
        let mut r = Report::new("off-cluster", vec!["hunter2-pass".into()]);
        r.add("registry", Class::Reachable, "answered 401");
        assert!(!r.passed && r.verdict.is_some());
        r.add("login", Class::AnonymousAccess, "200 without credentials");
        assert!(!r.passed);
        r.add("push", Class::CredentialsAccepted, "the token hunter2-pass worked");
        assert!(r.passed, "{}", r.table());
        assert!(!r.json().contains("hunter2") && !r.table().contains("hunter2"));
        r.add("push", Class::NoPushPermission, "401");
        assert!(!r.passed && r.failures().contains("no push permission"));
    }

    #[test]
    fn secrets_learned_later_are_scrubbed_from_earlier_steps() {
        let mut r = Report::new("ecr", vec![]);
        r.add("token", Class::TokenIssued, "got tok-123456");
        r.add_secret("tok-123456");
        assert!(!r.table().contains("tok-123456"));
    }
}
