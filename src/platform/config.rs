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

#[derive(Debug, Clone)]
pub struct Config {
    pub stage: Stage,
    pub cors_origins: CorsOrigins,
    pub log_requests: bool,
    pub auth: AuthConfig,
    pub llm: LlmConfig,
    pub phantom: PhantomConfig,
    pub suiftly: SuiftlyConfig,
    /// D1 statements a cron job may spend per run (paid plan 1,000, free 50); a job that
    /// has more to do stops there and the next run continues.
    pub cron_statement_budget: u32,
}

#[derive(Clone)]
pub struct SuiftlyConfig {
    pub tiers: crate::products::suiftly::pricing::Tiers,
    pub default_max_monthly_usd_cents: i64,
    pub seal_key_price_usd_cents: i64,
    /// How deposits are verified and withdrawals sent.
    pub escrow: EscrowMode,
    /// Shared secret of the gateway (`X-Gateway-Token`).
    pub gateway_token: Option<String>,
    /// AES-256-GCM key of stored service keys and the vault.
    pub vault_key: Option<[u8; 32]>,
}

impl std::fmt::Debug for SuiftlyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuiftlyConfig")
            .field("tiers", &self.tiers)
            .field("escrow", &self.escrow)
            .finish_non_exhaustive()
    }
}

/// Where escrow deposits are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscrowMode {
    /// The internal ledger believes the client (local development and tests only).
    Mock,
    /// Deposits are credited as the Sui transaction shows them; withdrawals are requests
    /// for the operator's signer.
    Sui(SuiEscrow),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiEscrow {
    /// Sui GraphQL RPC endpoint (`SUI_GRAPHQL_URL`).
    pub graphql_url: String,
    /// The address or object that receives deposits (`ESCROW_ADDRESS`, normalised `0x` + 64 hex).
    pub address: String,
    /// The coin credited (`ESCROW_COIN_TYPE`, e.g. USDC's `0x…::usdc::USDC`).
    pub coin_type: String,
    /// Decimals of that coin (`ESCROW_COIN_DECIMALS`, 6 for USDC): 10^(d−2) units per cent.
    pub coin_decimals: u32,
}

/// Which LLM answers structured-output requests (SPEC §9).
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

#[derive(Debug, Clone)]
pub struct PhantomConfig {
    /// Undelivered noise events kept per user; loops skip while it is reached.
    pub max_backlog: i64,
}

/// Settings of accounts and tokens (SPEC §2).
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

/// Largest request body accepted (SPEC §1): 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

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
        let phantom = PhantomConfig {
            max_backlog: parse_int(
                &mut errors,
                "PHANTOM_MAX_BACKLOG",
                raw("PHANTOM_MAX_BACKLOG"),
                500,
                10..=100_000,
            ),
        };

        let suiftly = parse_suiftly(&mut errors, &raw, &stage);
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
                auth,
                llm,
                phantom,
                suiftly,
                cron_statement_budget,
            })
        } else {
            Err(errors)
        }
    }

    /// Reads the config from the worker's environment.
    pub fn from_env(env: &worker::Env) -> Result<Self, Vec<String>> {
        Self::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()))
    }
}

fn parse_suiftly(
    errors: &mut Vec<String>,
    raw: &dyn Fn(&str) -> Option<String>,
    stage: &Stage,
) -> SuiftlyConfig {
    use crate::products::suiftly::pricing::Tiers;
    let mut tiers = Tiers::default();
    for (name, slot) in [
        ("SUIFTLY_TIER_STARTER", &mut tiers.starter),
        ("SUIFTLY_TIER_PRO", &mut tiers.pro),
        ("SUIFTLY_TIER_ENTERPRISE", &mut tiers.enterprise),
    ] {
        if let Some(v) = raw(name).filter(|v| !v.is_empty()) {
            match Tiers::parse_tier(&v) {
                Some(t) => *slot = t,
                None => errors.push(format!("{name}={v:?} must be monthly_cents/cents_per_1000_requests/requests_per_second")),
            }
        }
    }
    let vault_key = match raw("VAULT_KEY").filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => match crate::platform::crypto::b64_decode(&v)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
        {
            Some(k) => Some(k),
            None => {
                errors
                    .push("VAULT_KEY must be base64 of 32 bytes (openssl rand -base64 32)".into());
                None
            }
        },
    };
    let gateway_token = raw("GATEWAY_TOKEN").filter(|v| !v.is_empty());
    if gateway_token.as_ref().is_some_and(|t| t.len() < 16) {
        errors.push("GATEWAY_TOKEN must be at least 16 characters".into());
    }
    SuiftlyConfig {
        tiers,
        default_max_monthly_usd_cents: parse_int(
            errors,
            "SUIFTLY_DEFAULT_MAX_MONTHLY_CENTS",
            raw("SUIFTLY_DEFAULT_MAX_MONTHLY_CENTS"),
            25_000,
            0..=100_000_000,
        ),
        seal_key_price_usd_cents: parse_int(
            errors,
            "SEAL_KEY_PRICE_CENTS",
            raw("SEAL_KEY_PRICE_CENTS"),
            500,
            0..=1_000_000,
        ),
        escrow: parse_escrow(errors, raw, stage),
        gateway_token,
        vault_key,
    }
}

fn parse_escrow(
    errors: &mut Vec<String>,
    raw: &dyn Fn(&str) -> Option<String>,
    stage: &Stage,
) -> EscrowMode {
    let mock_flag = raw("MOCK_ESCROW")
        .filter(|v| !v.is_empty())
        .map(|v| parse_bool(errors, "MOCK_ESCROW", Some(v), true));
    let mode = match (
        raw("ESCROW_MODE").filter(|v| !v.is_empty()).as_deref(),
        mock_flag,
    ) {
        (Some("mock"), Some(false)) | (Some("sui"), Some(true)) => {
            errors.push(
                "MOCK_ESCROW contradicts ESCROW_MODE; set only ESCROW_MODE (mock or sui)".into(),
            );
            "mock"
        }
        (Some("mock"), _) => "mock",
        (Some("sui"), _) => "sui",
        (Some(other), _) => {
            errors.push(format!("ESCROW_MODE={other:?} is not one of mock, sui"));
            "mock"
        }
        (None, Some(false)) => "sui",
        (None, _) => "mock",
    };
    if mode == "mock" {
        if stage.is_production() {
            errors.push(
                "ESCROW_MODE=mock (a mock: MOCK_ESCROW, or ESCROW_MODE unset) is refused when \
                 ENVIRONMENT=production; set ESCROW_MODE=sui"
                    .into(),
            );
        }
        return EscrowMode::Mock;
    }
    let graphql_url = raw("SUI_GRAPHQL_URL")
        .filter(|v| !v.is_empty())
        .unwrap_or_default();
    if !(graphql_url.starts_with("https://") || graphql_url.starts_with("http://")) {
        errors.push(
            "SUI_GRAPHQL_URL must be the http(s) URL of a Sui GraphQL RPC when ESCROW_MODE=sui"
                .into(),
        );
    }
    let address = raw("ESCROW_ADDRESS")
        .and_then(|v| crate::platform::auth::wallet::parse_address(&v))
        .unwrap_or_else(|| {
            errors.push(
                "ESCROW_ADDRESS must be 0x followed by 64 hex digits when ESCROW_MODE=sui".into(),
            );
            String::new()
        });
    let coin_type = raw("ESCROW_COIN_TYPE").filter(|v| is_coin_type(v)).unwrap_or_else(|| {
        errors.push(
            "ESCROW_COIN_TYPE must be a Move coin type (0x…::module::NAME) when ESCROW_MODE=sui".into(),
        );
        String::new()
    });
    let coin_decimals = parse_int(
        errors,
        "ESCROW_COIN_DECIMALS",
        raw("ESCROW_COIN_DECIMALS"),
        6,
        2..=18,
    ) as u32;
    EscrowMode::Sui(SuiEscrow {
        graphql_url: graphql_url.trim_end_matches('/').to_string(),
        address,
        coin_type: normalise_coin_type(&coin_type),
        coin_decimals,
    })
}

/// `0x2::sui::SUI`-shaped: an address, a module and a name.
fn is_coin_type(v: &str) -> bool {
    let mut parts = v.split("::");
    let (Some(addr), Some(module), Some(name), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let ident =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    addr.strip_prefix("0x")
        .is_some_and(|h| (1..=64).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit()))
        && ident(module)
        && ident(name)
}

/// A coin type with its address padded to 64 hex digits, as Sui GraphQL prints `repr`.
pub fn normalise_coin_type(v: &str) -> String {
    match v.split_once("::") {
        Some((addr, rest)) => {
            let hex = addr.trim_start_matches("0x").to_ascii_lowercase();
            format!("0x{hex:0>64}::{rest}")
        }
        None => v.to_string(),
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
    let mut names: Vec<String> = problems
        .iter()
        .map(|p| {
            p.chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect::<String>()
        })
        .filter(|n| !n.is_empty())
        .collect();
    names.dedup();
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
    fn suiftly_settings() {
        let c = cfg(&[]).expect("defaults");
        assert_eq!(c.suiftly.tiers.pro.monthly_usd_cents, 2_900);
        assert_eq!(c.suiftly.default_max_monthly_usd_cents, 25_000);
        assert!(c.suiftly.escrow == EscrowMode::Mock && c.suiftly.vault_key.is_none());
        let c = cfg(&[
            ("SUIFTLY_TIER_PRO", "3000/7/600"),
            ("VAULT_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
        ])
        .expect("valid");
        assert_eq!(c.suiftly.tiers.pro.per_1000_requests_usd_cents, 7);
        assert_eq!(c.suiftly.vault_key.map(|k| k[31]), Some(31));
        assert!(cfg(&[("VAULT_KEY", "c2hvcnQ=")]).is_err());
        assert!(cfg(&[("SUIFTLY_TIER_STARTER", "cheap")]).is_err());
        assert!(cfg(&[("GATEWAY_TOKEN", "short")]).is_err());
    }

    const USDC: &str =
        "0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC";
    const ESCROW: &str = "0x00000000000000000000000000000000000000000000000000000000000e5c70";

    fn production(extra: &[(&str, &str)]) -> Result<Config, Vec<String>> {
        let mut pairs = vec![("ENVIRONMENT", "production")];
        pairs.extend_from_slice(extra);
        cfg(&pairs)
    }

    #[test]
    fn production_refuses_every_mock_and_names_it() {
        let sui = [
            ("ESCROW_MODE", "sui"),
            ("SUI_GRAPHQL_URL", "https://graphql.mainnet.sui.io/graphql"),
            ("ESCROW_ADDRESS", ESCROW),
            ("ESCROW_COIN_TYPE", USDC),
        ];
        let c = production(&sui).expect("a real escrow in production");
        let EscrowMode::Sui(e) = c.suiftly.escrow else {
            panic!("sui mode")
        };
        assert_eq!(e.coin_decimals, 6);
        assert_eq!(e.address, ESCROW);
        // The escrow mock, however it is asked for, and the auth mock.
        for mock in [
            vec![],
            vec![("MOCK_ESCROW", "true")],
            vec![("ESCROW_MODE", "mock")],
        ] {
            let errs = production(&mock).expect_err("mock escrow in production");
            assert_eq!(settings_named(&errs), vec!["ESCROW_MODE"], "{errs:?}");
        }
        let mut with_auth_mock = sui.to_vec();
        with_auth_mock.push(("MOCK_AUTH", "true"));
        let errs = production(&with_auth_mock).expect_err("mock auth");
        assert_eq!(settings_named(&errs), vec!["MOCK_AUTH"]);
        assert!(
            cfg(&[("ESCROW_MODE", "sui")]).is_err(),
            "sui needs its settings"
        );
        assert!(cfg(&[("ESCROW_MODE", "sui"), ("MOCK_ESCROW", "true")]).is_err());
        assert!(cfg(&[("ESCROW_MODE", "chain")]).is_err());
    }

    #[test]
    fn coin_types_are_padded_like_graphql_prints_them() {
        assert_eq!(
            normalise_coin_type("0x2::sui::SUI"),
            "0x0000000000000000000000000000000000000000000000000000000000000002::sui::SUI"
        );
        assert!(is_coin_type(USDC));
        assert!(!is_coin_type("usdc"));
        assert!(!is_coin_type("0x2::sui"));
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
