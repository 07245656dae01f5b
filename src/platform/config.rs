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
}

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
                    if !(o.starts_with("http://") || o.starts_with("https://")) {
                        errors.push(format!(
                            "CORS_ORIGINS entry {o:?} must start with http:// or https://"
                        ));
                    }
                }
                CorsOrigins::List(list)
            }
        };

        let log_requests = parse_bool(&mut errors, "LOG_REQUESTS", raw("LOG_REQUESTS"), true);

        if errors.is_empty() {
            Ok(Self {
                stage,
                cors_origins,
                log_requests,
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
        let map: HashMap<String, String> = pairs
            .iter()
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
    fn int_range_is_enforced() {
        let mut e = Vec::new();
        assert_eq!(parse_int(&mut e, "X", Some("5".into()), 1, 1..=10), 5);
        assert_eq!(parse_int(&mut e, "X", Some("50".into()), 1, 1..=10), 1);
        assert_eq!(parse_int(&mut e, "X", Some("x".into()), 1, 1..=10), 1);
        assert_eq!(e.len(), 2);
    }
}
