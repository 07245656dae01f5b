//! Typed settings read from wrangler `[vars]` and secrets. Every setting has a default;
//! an invalid value fails the request loudly (500 + one log line naming the setting),
//! never silently falls back.

/// The deployment stage, as `ENVIRONMENT` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Development,
    Test,
    Staging,
    Production,
}

impl Stage {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "development" | "dev" | "local" => Some(Self::Development),
            "test" => Some(Self::Test),
            "staging" => Some(Self::Staging),
            "production" | "prod" => Some(Self::Production),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }

    pub fn is_production(&self) -> bool {
        *self == Self::Production
    }
}

/// Which browser origins may call the API with credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// `*`: any origin, but never with credentials.
    Any,
    List(Vec<String>),
}

impl CorsOrigins {
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            Self::Any => true,
            Self::List(list) => list.iter().any(|o| o == origin),
        }
    }
}

#[derive(Clone)]
pub struct Config {
    pub stage: Stage,
    pub cors_origins: CorsOrigins,
    pub log_requests: bool,
    /// `Server-Timing` on every answer: D1 and KV round trips (`SERVER_TIMING`; on by
    /// default outside production).
    pub server_timing: bool,
    /// One D1 session per request, so reads may go to a replica (`D1_SESSIONS`; on by
    /// default in staging and production, where D1 has replicas).
    pub d1_sessions: bool,
    pub auth: AuthConfig,
    pub llm: LlmConfig,
    /// Shared secret of a trusted gateway (`X-Gateway-Token`, routes with `Auth::Gateway`).
    pub gateway_token: Option<String>,
    /// Each installed product's own settings, as its parser made them.
    pub products: Vec<std::rc::Rc<dyn std::any::Any>>,
    /// D1 statements a cron job may spend per run (paid plan 1,000, free 50); a job that
    /// has more to do stops there and the next run continues.
    pub cron_statement_budget: u32,
    /// The worker's public URL (`PUBLIC_URL`, e.g. `https://api.example.com`): links in
    /// emails and OAuth metadata use it. Unset, the request's own origin is used.
    pub public_url: Option<String>,
    pub mail: crate::platform::mail::MailConfig,
}

/// Which LLM answers structured-output requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LlmBackend {
    Offline,
    OpenAi,
    Anthropic,
    Gemini,
    WorkersAi,
}

#[derive(Clone)]
pub struct LlmConfig {
    pub backend: LlmBackend,
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    pub timeout_ms: u64,
    /// First retry delay; doubles per attempt (3 attempts in all).
    pub retry_base_ms: u64,
    /// Model calls per user and UTC day (`AI_DAILY_LIMIT`), whichever product asks;
    /// offline answers and cached ones are free.
    pub daily_limit: i64,
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("backend", &self.backend)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// Settings of accounts and tokens (docs/auth.md).
#[derive(Clone)]
pub struct AuthConfig {
    /// HS256 key of access tokens (secret, at least 32 bytes).
    pub jwt_secret: Vec<u8>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    /// Accept any wallet signature (never in production).
    pub mock_auth: bool,
    pub rate_limit_ip_per_minute: u32,
    /// Attempts per account from one IP.
    pub rate_limit_account_per_minute: u32,
    /// Attempts per account from all IPs together (the ceiling of a distributed attack).
    pub rate_limit_account_total_per_minute: u32,
    /// How long a wallet sign-in challenge stays valid.
    pub wallet_challenge_ttl_secs: i64,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("jwt_secret", &"<redacted>")
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .field("access_token_ttl_secs", &self.access_token_ttl_secs)
            .field("mock_auth", &self.mock_auth)
            .finish_non_exhaustive()
    }
}

/// The value `.dev.vars.example` ships; refused in production.
pub const EXAMPLE_JWT_SECRET: &str = "dev-only-jwt-secret-change-me-0123456789abcdef";

/// Largest request body accepted: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("stage", &self.stage)
            .field("cors_origins", &self.cors_origins)
            .field("auth", &self.auth)
            .field("llm", &self.llm)
            .field("products", &self.products.len())
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Builds the config from a lookup of raw values (vars and secrets alike), collecting
    /// every problem so one log line names all of them.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();
        let raw = |name: &str| get(name).map(|v| v.trim().to_string());

        let stage = match raw("ENVIRONMENT") {
            None => Stage::Development,
            Some(v) => Stage::parse(&v).unwrap_or_else(|| {
                errors.push(format!(
                    "ENVIRONMENT={v:?} is not one of development, test, staging, production"
                ));
                Stage::Development
            }),
        };

        let cors_origins = match raw("CORS_ORIGINS") {
            None => CorsOrigins::List(Vec::new()),
            Some(v) if v == "*" => CorsOrigins::Any,
            Some(v) => {
                let list: Vec<String> = v
                    .split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_string())
                    .filter(|o| !o.is_empty())
                    .collect();
                for o in &list {
                    if !is_origin(o) {
                        errors.push(format!(
                            "CORS_ORIGINS entry {o:?} must be an origin: http(s)://host[:port], or a browser \
                             extension's chrome-extension://ID, moz-extension://ID or safari-web-extension://ID"
                        ));
                    }
                }
                CorsOrigins::List(list)
            }
        };

        let log_requests = parse_bool(&mut errors, "LOG_REQUESTS", raw("LOG_REQUESTS"), true);
        let server_timing = parse_bool(
            &mut errors,
            "SERVER_TIMING",
            raw("SERVER_TIMING"),
            !stage.is_production(),
        );

        let d1_sessions = parse_bool(
            &mut errors,
            "D1_SESSIONS",
            raw("D1_SESSIONS"),
            matches!(stage, Stage::Staging | Stage::Production),
        );

        let jwt_secret = match raw("JWT_SECRET") {
            None => {
                errors.push("JWT_SECRET is not set (wrangler secret put JWT_SECRET)".into());
                Vec::new()
            }
            Some(v) if v.len() < 32 => {
                errors.push(format!(
                    "JWT_SECRET must be at least 32 bytes, got {}",
                    v.len()
                ));
                Vec::new()
            }
            Some(v) if v == EXAMPLE_JWT_SECRET && stage.is_production() => {
                errors.push("JWT_SECRET is the example value; set a real secret".into());
                Vec::new()
            }
            Some(v) => v.into_bytes(),
        };
        let mock_auth = parse_bool(&mut errors, "MOCK_AUTH", raw("MOCK_AUTH"), false);
        if mock_auth && stage.is_production() {
            errors.push("MOCK_AUTH=true (a mock) is refused when ENVIRONMENT=production".into());
        }
        let auth = AuthConfig {
            jwt_secret,
            jwt_issuer: raw("JWT_ISSUER").unwrap_or_else(|| "edge-api".into()),
            jwt_audience: raw("JWT_AUDIENCE").unwrap_or_else(|| "edge-api".into()),
            access_token_ttl_secs: parse_int(
                &mut errors,
                "ACCESS_TOKEN_TTL",
                raw("ACCESS_TOKEN_TTL"),
                900,
                1..=86_400,
            ),
            refresh_token_ttl_secs: parse_int(
                &mut errors,
                "REFRESH_TOKEN_TTL",
                raw("REFRESH_TOKEN_TTL"),
                30 * 86_400,
                60..=365 * 86_400,
            ),
            mock_auth,
            rate_limit_ip_per_minute: parse_int(
                &mut errors,
                "AUTH_RATE_LIMIT_IP",
                raw("AUTH_RATE_LIMIT_IP"),
                60,
                1..=1_000_000,
            ) as u32,
            rate_limit_account_per_minute: parse_int(
                &mut errors,
                "AUTH_RATE_LIMIT_ACCOUNT",
                raw("AUTH_RATE_LIMIT_ACCOUNT"),
                10,
                1..=1_000_000,
            ) as u32,
            rate_limit_account_total_per_minute: parse_int(
                &mut errors,
                "AUTH_RATE_LIMIT_ACCOUNT_TOTAL",
                raw("AUTH_RATE_LIMIT_ACCOUNT_TOTAL"),
                100,
                1..=1_000_000,
            ) as u32,
            wallet_challenge_ttl_secs: parse_int(
                &mut errors,
                "WALLET_CHALLENGE_TTL",
                raw("WALLET_CHALLENGE_TTL"),
                300,
                1..=3_600,
            ),
        };

        let llm = parse_llm(&mut errors, &raw);
        let gateway_token = raw("GATEWAY_TOKEN").filter(|v| !v.is_empty());
        if gateway_token.as_ref().is_some_and(|t| t.len() < 16) {
            errors.push("GATEWAY_TOKEN must be at least 16 characters".into());
        }
        let public_url = raw("PUBLIC_URL")
            .filter(|v| !v.is_empty())
            .map(|u| parse_url(&mut errors, "PUBLIC_URL", &u));
        let mail = crate::platform::mail::MailConfig::parse(&raw, &stage, &mut errors);
        let products = crate::platform::product::all()
            .iter()
            .filter_map(|p| p.settings)
            .map(|parse| std::rc::Rc::from(parse(&raw, &stage, &mut errors)))
            .collect();
        let cron_statement_budget = parse_int(
            &mut errors,
            "CRON_STATEMENT_BUDGET",
            raw("CRON_STATEMENT_BUDGET"),
            1_000,
            20..=10_000_000,
        ) as u32;

        if errors.is_empty() {
            Ok(Self {
                stage,
                cors_origins,
                log_requests,
                server_timing,
                d1_sessions,
                auth,
                llm,
                gateway_token,
                products,
                cron_statement_budget,
                public_url,
                mail,
            })
        } else {
            Err(errors)
        }
    }

    /// A product's settings, by their type.
    pub fn product<T: 'static>(&self) -> Result<&T, crate::platform::error::ApiError> {
        self.products
            .iter()
            .find_map(|p| p.downcast_ref::<T>())
            .ok_or_else(|| {
                crate::platform::error::ApiError::internal(format!(
                    "no settings of type {}",
                    std::any::type_name::<T>()
                ))
            })
    }

    /// Reads the config from the worker's environment.
    pub fn from_env(env: &worker::Env) -> Result<Self, Vec<String>> {
        Self::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()))
    }

    /// The config of this isolate, read from the environment by its first request and
    /// kept: an isolate's variables and secrets never change (a deploy or a changed
    /// `.dev.vars` starts new isolates), and reading ~40 of them costs every request.
    pub fn cached(env: &worker::Env) -> Result<std::rc::Rc<Self>, Vec<String>> {
        thread_local! {
            static CONFIG: std::cell::OnceCell<Result<std::rc::Rc<Config>, Vec<String>>> =
                const { std::cell::OnceCell::new() };
        }
        CONFIG.with(|c| {
            c.get_or_init(|| Self::from_env(env).map(std::rc::Rc::new))
                .clone()
        })
    }
}

/// A browser origin: `http(s)://host[:port]`, or a browser extension's own origin.
pub fn is_origin(o: &str) -> bool {
    let Some((scheme, rest)) = o.split_once("://") else {
        return false;
    };
    let host_ok = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    match scheme {
        "http" | "https" => host_ok,
        "chrome-extension" | "moz-extension" | "safari-web-extension" => {
            host_ok && !rest.contains(':')
        }
        _ => false,
    }
}

/// The setting names a list of configuration problems is about (each problem starts with
/// the name), for the 503 a request gets: names only, never values.
pub fn settings_named(problems: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in problems {
        let name: String = p
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

fn parse_llm(errors: &mut Vec<String>, raw: &dyn Fn(&str) -> Option<String>) -> LlmConfig {
    let backend = match raw("LLM_BACKEND").as_deref() {
        None | Some("") | Some("offline") => LlmBackend::Offline,
        Some("openai") => LlmBackend::OpenAi,
        Some("anthropic") => LlmBackend::Anthropic,
        Some("gemini") => LlmBackend::Gemini,
        Some("workers-ai") => LlmBackend::WorkersAi,
        Some(other) => {
            errors.push(format!(
                "LLM_BACKEND={other:?} is not one of offline, openai, anthropic, gemini, workers-ai"
            ));
            LlmBackend::Offline
        }
    };
    let (default_url, default_model) = match backend {
        LlmBackend::Offline => ("", "offline"),
        LlmBackend::OpenAi => ("https://api.openai.com/v1", "gpt-4o-mini"),
        LlmBackend::Anthropic => ("https://api.anthropic.com", "claude-3-5-haiku-latest"),
        LlmBackend::Gemini => (
            "https://generativelanguage.googleapis.com",
            "gemini-1.5-flash",
        ),
        LlmBackend::WorkersAi => ("", "@cf/meta/llama-3.1-8b-instruct"),
    };
    let base_url = raw("LLM_BASE_URL")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default_url.to_string())
        .trim_end_matches('/')
        .to_string();
    let is_http = base_url.starts_with("http://") || base_url.starts_with("https://");
    if !base_url.is_empty() && !is_http {
        errors.push(format!("LLM_BASE_URL={base_url:?} must be an http(s) URL"));
    }
    let api_key = raw("LLM_API_KEY").filter(|v| !v.is_empty());
    let needs_key = matches!(backend, LlmBackend::Anthropic | LlmBackend::Gemini)
        || (backend == LlmBackend::OpenAi && base_url == default_url);
    if needs_key && api_key.is_none() {
        errors.push("LLM_API_KEY is required for this LLM_BACKEND".into());
    }
    LlmConfig {
        model: raw("LLM_MODEL")
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default_model.to_string()),
        backend,
        base_url,
        api_key,
        timeout_ms: parse_int(
            errors,
            "LLM_TIMEOUT_MS",
            raw("LLM_TIMEOUT_MS"),
            20_000,
            100..=120_000,
        ) as u64,
        retry_base_ms: parse_int(
            errors,
            "LLM_RETRY_BASE_MS",
            raw("LLM_RETRY_BASE_MS"),
            500,
            0..=10_000,
        ) as u64,
        daily_limit: parse_int(
            errors,
            "AI_DAILY_LIMIT",
            raw("AI_DAILY_LIMIT"),
            100,
            0..=1_000_000,
        ),
    }
}

pub fn parse_bool(
    errors: &mut Vec<String>,
    name: &str,
    value: Option<String>,
    default: bool,
) -> bool {
    match value.as_deref() {
        None | Some("") => default,
        Some("true" | "1" | "yes" | "on") => true,
        Some("false" | "0" | "no" | "off") => false,
        Some(other) => {
            errors.push(format!("{name}={other:?} is not a boolean (true/false)"));
            default
        }
    }
}

/// Parses an integer setting within `range`, or reports it.
/// An http(s) URL setting, without a trailing slash; a problem naming the setting when it
/// is not one.
pub fn parse_url(errors: &mut Vec<String>, name: &str, value: &str) -> String {
    let v = value.trim().trim_end_matches('/');
    if !crate::platform::fields::is_http_url(v) {
        errors.push(format!("{name}={v:?} must be an http(s) URL"));
    }
    v.to_string()
}

pub fn parse_int(
    errors: &mut Vec<String>,
    name: &str,
    value: Option<String>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> i64 {
    match value.as_deref() {
        None | Some("") => default,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if range.contains(&n) => n,
            _ => {
                errors.push(format!(
                    "{name}={v:?} must be an integer in {}..={}",
                    range.start(),
                    range.end()
                ));
                default
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, Vec<String>> {
        let secret = [("JWT_SECRET", "0123456789abcdef0123456789abcdef-test")];
        let map: HashMap<String, String> = secret
            .iter()
            .chain(pairs)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let c = cfg(&[]).expect("defaults are valid");
        assert_eq!(c.stage, Stage::Development);
        assert!(c.log_requests);
        assert!(!c.cors_origins.allows("https://evil.example"));
    }

    #[test]
    fn cors_list_is_exact_and_trailing_slash_insensitive() {
        let c = cfg(&[(
            "CORS_ORIGINS",
            "https://app.example/, http://localhost:3000",
        )])
        .expect("valid");
        assert!(c.cors_origins.allows("https://app.example"));
        assert!(c.cors_origins.allows("http://localhost:3000"));
        assert!(!c.cors_origins.allows("https://app.example.evil"));
    }

    #[test]
    fn invalid_values_are_all_reported() {
        let errs = cfg(&[
            ("ENVIRONMENT", "prodution"),
            ("LOG_REQUESTS", "maybe"),
            ("CORS_ORIGINS", "app.example"),
        ])
        .expect_err("three bad values");
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].contains("ENVIRONMENT"));
    }

    #[test]
    fn jwt_secret_is_required_long_and_not_the_example_in_production() {
        assert!(cfg(&[("JWT_SECRET", "short")]).is_err());
        assert!(cfg(&[("JWT_SECRET", EXAMPLE_JWT_SECRET)]).is_ok());
        let errs = cfg(&[
            ("JWT_SECRET", EXAMPLE_JWT_SECRET),
            ("ENVIRONMENT", "production"),
        ])
        .expect_err("example secret in production");
        assert!(errs[0].contains("example"), "{errs:?}");
        let c = cfg(&[]).expect("valid");
        assert_eq!(c.auth.access_token_ttl_secs, 900);
        assert_eq!(c.auth.rate_limit_account_per_minute, 10);
        assert!(!format!("{:?}", c.auth).contains("0123456789abcdef"));
    }

    #[test]
    fn mock_auth_is_refused_in_production() {
        assert!(cfg(&[("MOCK_AUTH", "true")]).is_ok());
        assert!(cfg(&[("MOCK_AUTH", "true"), ("ENVIRONMENT", "production")]).is_err());
    }

    #[test]
    fn llm_backends_need_what_they_need() {
        assert_eq!(cfg(&[]).expect("offline").llm.backend, LlmBackend::Offline);
        assert!(
            cfg(&[("LLM_BACKEND", "openai")]).is_err(),
            "OpenAI itself needs a key"
        );
        let local = cfg(&[
            ("LLM_BACKEND", "openai"),
            ("LLM_BASE_URL", "http://127.0.0.1:11434/v1/"),
        ])
        .expect("Ollama needs no key");
        assert_eq!(local.llm.base_url, "http://127.0.0.1:11434/v1");
        assert!(cfg(&[("LLM_BACKEND", "anthropic")]).is_err());
        assert!(cfg(&[("LLM_BACKEND", "gemini"), ("LLM_API_KEY", "k")]).is_ok());
        assert!(cfg(&[("LLM_BACKEND", "gpt")]).is_err());
    }

    #[test]
    fn production_refuses_the_auth_mock_and_names_it() {
        let mail = [
            ("EMAIL_BACKEND", "resend"),
            ("EMAIL_API_KEY", "re_key"),
            ("EMAIL_FROM", "A <a@a.test>"),
        ];
        let errs = cfg(&[
            &[("ENVIRONMENT", "production"), ("MOCK_AUTH", "true")][..],
            &mail,
        ]
        .concat())
        .expect_err("mock auth in production");
        assert_eq!(settings_named(&errs), vec!["MOCK_AUTH"]);
        // The development mail outbox is a mock too.
        let errs = cfg(&[("ENVIRONMENT", "production")]).expect_err("outbox in production");
        assert_eq!(settings_named(&errs), vec!["EMAIL_BACKEND", "EMAIL_FROM"]);
        assert!(cfg(&[("GATEWAY_TOKEN", "short")]).is_err());
        let problems = [
            "JWT_SECRET a".to_string(),
            "MOCK_AUTH b".into(),
            "JWT_SECRET c".into(),
        ];
        assert_eq!(
            settings_named(&problems),
            vec!["JWT_SECRET", "MOCK_AUTH"],
            "each name once"
        );
    }

    #[test]
    fn extension_origins_are_first_class() {
        let c = cfg(&[(
            "CORS_ORIGINS",
            "https://app.example,chrome-extension://abcdefghijklmnopabcdefghijklmnop,moz-extension://0b5f7c1e-1111-4a2b-9c3d-5e6f7a8b9c0d",
        )])
        .expect("extension origins are valid");
        assert!(c
            .cors_origins
            .allows("chrome-extension://abcdefghijklmnopabcdefghijklmnop"));
        assert!(c
            .cors_origins
            .allows("moz-extension://0b5f7c1e-1111-4a2b-9c3d-5e6f7a8b9c0d"));
        for bad in [
            "ftp://x",
            "chrome-extension://",
            "https://a.example/path",
            "*.example",
        ] {
            let errs = cfg(&[("CORS_ORIGINS", bad)]).expect_err(bad);
            assert_eq!(settings_named(&errs), vec!["CORS_ORIGINS"]);
        }
    }

    #[test]
    fn int_range_is_enforced() {
        let mut e = Vec::new();
        assert_eq!(parse_int(&mut e, "X", Some("5".into()), 1, 1..=10), 5);
        assert_eq!(parse_int(&mut e, "X", Some("50".into()), 1, 1..=10), 1);
        assert_eq!(parse_int(&mut e, "X", Some("x".into()), 1, 1..=10), 1);
        assert_eq!(e.len(), 2);
    }
}
