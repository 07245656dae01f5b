//! Suiftly's settings: tier prices, limits, the seal-key price, the escrow (mock or Sui)
//! and the vault key. Parsed with the platform's at the first request; a bad value or a
//! mock in production makes every request answer 503 naming the setting.

use crate::platform::config::{parse_bool, parse_int, Config, Stage};
use crate::platform::error::ApiError;

use super::pricing::Tiers;

/// Suiftly's settings of this worker.
pub fn of(config: &Config) -> Result<&SuiftlySettings, ApiError> {
    config.product::<SuiftlySettings>()
}

/// Suiftly's settings, parsed once with the platform's.
#[derive(Clone)]
pub struct SuiftlySettings {
    pub tiers: Tiers,
    pub default_max_monthly_usd_cents: i64,
    pub seal_key_price_usd_cents: i64,
    /// How deposits are verified and withdrawals sent.
    pub escrow: EscrowMode,
    /// AES-256-GCM key of stored service keys and the vault.
    pub vault_key: Option<[u8; 32]>,
}

impl std::fmt::Debug for SuiftlySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuiftlySettings")
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

/// Parses Suiftly's settings; each problem names its setting.
pub fn parse(
    raw: &dyn Fn(&str) -> Option<String>,
    stage: &Stage,
    errors: &mut Vec<String>,
) -> SuiftlySettings {
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
    SuiftlySettings {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::config::settings_named;
    use std::collections::HashMap;

    fn parse_with(pairs: &[(&str, &str)], stage: &Stage) -> Result<SuiftlySettings, Vec<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut errors = Vec::new();
        let s = parse(&|k| map.get(k).cloned(), stage, &mut errors);
        if errors.is_empty() {
            Ok(s)
        } else {
            Err(errors)
        }
    }

    fn cfg(pairs: &[(&str, &str)]) -> Result<SuiftlySettings, Vec<String>> {
        parse_with(pairs, &Stage::Development)
    }

    #[test]
    fn suiftly_settings() {
        let c = cfg(&[]).expect("defaults");
        assert_eq!(c.tiers.pro.monthly_usd_cents, 2_900);
        assert_eq!(c.default_max_monthly_usd_cents, 25_000);
        assert!(c.escrow == EscrowMode::Mock && c.vault_key.is_none());
        let c = cfg(&[
            ("SUIFTLY_TIER_PRO", "3000/7/600"),
            ("VAULT_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
        ])
        .expect("valid");
        assert_eq!(c.tiers.pro.per_1000_requests_usd_cents, 7);
        assert_eq!(c.vault_key.map(|k| k[31]), Some(31));
        assert!(cfg(&[("VAULT_KEY", "c2hvcnQ=")]).is_err());
        assert!(cfg(&[("SUIFTLY_TIER_STARTER", "cheap")]).is_err());
    }

    const USDC: &str =
        "0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC";
    const ESCROW: &str = "0x00000000000000000000000000000000000000000000000000000000000e5c70";

    fn production(extra: &[(&str, &str)]) -> Result<SuiftlySettings, Vec<String>> {
        parse_with(extra, &Stage::Production)
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
        let EscrowMode::Sui(e) = c.escrow else {
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
}
