//! Email the platform sends (address verification, password reset), through the backend
//! `EMAIL_BACKEND` names:
//! - `outbox` (development and tests): nothing leaves the worker; each message is logged
//!   and kept in D1 `email_outbox`, readable at `GET /__dev/outbox`. Refused in production.
//! - `resend`: Resend's HTTP API (`POST {EMAIL_API_URL}/emails`, Bearer `EMAIL_API_KEY`).
//! - `postmark`: Postmark's HTTP API (`POST {EMAIL_API_URL}/email`,
//!   `X-Postmark-Server-Token: EMAIL_API_KEY`).

use serde_json::{json, Value};

use crate::platform::config::{parse_url, Stage};
use crate::platform::error::ApiError;
use crate::platform::outbound::{post_json, CallError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Outbox,
    Resend,
    Postmark,
}

#[derive(Clone)]
pub struct MailConfig {
    pub backend: Backend,
    /// `From:` of every message (`Name <address>`).
    pub from: String,
    pub api_key: Option<String>,
    /// The provider's API base URL (its public one unless set, e.g. for a test double).
    pub api_url: String,
    /// Where the links in messages point: a front end's pages `{base}/verify-email?token=…`
    /// and `{base}/reset-password?token=…`; by default the worker's own pages under
    /// `/auth`.
    pub link_base: Option<String>,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("backend", &self.backend)
            .field("from", &self.from)
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

impl MailConfig {
    /// Parses `EMAIL_*`, pushing one problem per bad setting.
    pub fn parse(
        raw: &dyn Fn(&str) -> Option<String>,
        stage: &Stage,
        errors: &mut Vec<String>,
    ) -> MailConfig {
        let backend = match raw("EMAIL_BACKEND").as_deref() {
            None | Some("") | Some("outbox") => Backend::Outbox,
            Some("resend") => Backend::Resend,
            Some("postmark") => Backend::Postmark,
            Some(other) => {
                errors.push(format!(
                    "EMAIL_BACKEND={other:?} is not one of outbox, resend, postmark"
                ));
                Backend::Outbox
            }
        };
        if backend == Backend::Outbox && stage.is_production() {
            errors.push(
                "EMAIL_BACKEND=outbox (a development backend: mail is kept, never sent) is refused when \
                 ENVIRONMENT=production; set resend or postmark"
                    .into(),
            );
        }
        let api_key = raw("EMAIL_API_KEY").filter(|v| !v.is_empty());
        if backend != Backend::Outbox && api_key.is_none() {
            errors.push("EMAIL_API_KEY is required for this EMAIL_BACKEND".into());
        }
        let default_url = match backend {
            Backend::Outbox => "",
            Backend::Resend => "https://api.resend.com",
            Backend::Postmark => "https://api.postmarkapp.com",
        };
        let api_url = match raw("EMAIL_API_URL").filter(|v| !v.is_empty()) {
            Some(u) => parse_url(errors, "EMAIL_API_URL", &u),
            None => default_url.to_string(),
        };
        let link_base = raw("EMAIL_LINK_BASE")
            .filter(|v| !v.is_empty())
            .map(|u| parse_url(errors, "EMAIL_LINK_BASE", &u));
        let from = raw("EMAIL_FROM")
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "edge-api <no-reply@example.com>".into());
        if stage.is_production() && (from.contains("@example.com") || !from.contains('@')) {
            errors.push("EMAIL_FROM must be an address of your own domain in production".into());
        }
        MailConfig {
            backend,
            from,
            api_key,
            api_url,
            link_base,
        }
    }
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Sends `mail`. A provider's refusal is `upstream_failed`, with its status, never its key.
pub async fn send(db: &worker::D1Database, cfg: &MailConfig, mail: &Mail) -> Result<(), ApiError> {
    let key = cfg.api_key.as_deref().unwrap_or_default();
    let result = match cfg.backend {
        Backend::Outbox => {
            worker::console_log!(
                "{}",
                json!({"msg": "email kept in the development outbox (EMAIL_BACKEND=outbox)",
                    "to": mail.to, "subject": mail.subject})
            );
            db.prepare(
                "INSERT INTO email_outbox (to_address, subject, text, created_at) VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(&[
                mail.to.as_str().into(),
                mail.subject.as_str().into(),
                mail.text.as_str().into(),
                crate::platform::ids::now_rfc3339().into(),
            ])?
            .run()
            .await?;
            return Ok(());
        }
        Backend::Resend => {
            let auth = format!("Bearer {key}");
            post_json(
                &format!("{}/emails", cfg.api_url),
                &[("Authorization", &auth)],
                &resend_body(cfg, mail),
            )
            .await
        }
        Backend::Postmark => {
            post_json(
                &format!("{}/email", cfg.api_url),
                &[
                    ("X-Postmark-Server-Token", key),
                    ("Accept", "application/json"),
                ],
                &postmark_body(cfg, mail),
            )
            .await
        }
    };
    result.map(|_| ()).map_err(|e| {
        ApiError::UpstreamFailed(format!(
            "the email provider refused the message ({})",
            match e {
                CallError::Status(s) | CallError::Throttled { status: s, .. } =>
                    format!("HTTP {s}"),
                CallError::Transport(_) => "unreachable".into(),
                CallError::NotJson => "not JSON".into(),
                CallError::Request(_) => "bad request".into(),
            }
        ))
    })
}

/// Resend's `POST /emails` body.
fn resend_body(cfg: &MailConfig, mail: &Mail) -> Value {
    json!({"from": cfg.from, "to": [mail.to], "subject": mail.subject, "text": mail.text})
}

/// Postmark's `POST /email` body.
fn postmark_body(cfg: &MailConfig, mail: &Mail) -> Value {
    json!({"From": cfg.from, "To": mail.to, "Subject": mail.subject, "TextBody": mail.text,
        "MessageStream": "outbound"})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)], stage: Stage) -> (MailConfig, Vec<String>) {
        let mut errors = Vec::new();
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        (MailConfig::parse(&get, &stage, &mut errors), errors)
    }

    #[test]
    fn the_outbox_is_refused_in_production() {
        let (c, e) = parse(&[], Stage::Development);
        assert_eq!((c.backend, e.len()), (Backend::Outbox, 0));
        let (_, e) = parse(&[], Stage::Production);
        assert!(
            e.iter().any(|p| p.starts_with("EMAIL_BACKEND=outbox")),
            "{e:?}"
        );
        let (c, e) = parse(
            &[
                ("EMAIL_BACKEND", "resend"),
                ("EMAIL_API_KEY", "re_x"),
                ("EMAIL_FROM", "A <a@a.example>"),
            ],
            Stage::Production,
        );
        assert_eq!(
            (c.backend, c.api_url.as_str()),
            (Backend::Resend, "https://api.resend.com")
        );
        assert!(e.is_empty(), "{e:?}");
        let (_, e) = parse(&[("EMAIL_BACKEND", "postmark")], Stage::Development);
        assert!(e.iter().any(|p| p.starts_with("EMAIL_API_KEY")), "{e:?}");
    }

    #[test]
    fn each_provider_gets_its_own_fields() {
        let (c, _) = parse(&[("EMAIL_FROM", "Me <me@x.example>")], Stage::Development);
        let m = Mail {
            to: "a@b.example".into(),
            subject: "S".into(),
            text: "T".into(),
        };
        assert_eq!(resend_body(&c, &m)["to"], json!(["a@b.example"]));
        assert_eq!(postmark_body(&c, &m)["TextBody"], "T");
        assert_eq!(postmark_body(&c, &m)["From"], "Me <me@x.example>");
    }
}
