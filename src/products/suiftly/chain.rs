//! Deposits as the Sui chain shows them (`ESCROW_MODE=sui`). The transaction is read from
//! Sui's GraphQL RPC (JSON-RPC was switched off on mainnet in July 2026; gRPC does not
//! suit a Worker's fetch) with one `transaction(digest:)` query for its sender, effects
//! status and balance changes. Only what the chain shows is credited: a successful
//! transaction sent by the customer's wallet, and the configured coin received by the
//! configured escrow address or object, converted to cents with integer arithmetic.

use serde_json::{json, Value};

use super::settings::{normalise_coin_type, SuiEscrow};
use crate::platform::error::ApiError;
use crate::platform::outbound::post_json;

/// The query sent for a deposit (Sui GraphQL schema: `Query.transaction(digest: String!)`,
/// `Transaction.sender: Address`, `TransactionEffects.status: ExecutionStatus` and
/// `balanceChanges: BalanceChangeConnection` of `{owner: Address, coinType: MoveType, amount: BigInt}`).
pub const DEPOSIT_QUERY: &str = "query Deposit($digest: String!) { transaction(digest: $digest) { \
     digest sender { address } effects { status balanceChanges(first: 50) { \
     pageInfo { hasNextPage } nodes { owner { address } coinType { repr } amount } } } } }";

/// Why a deposit is not credited (422 with this code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnknownTransaction,
    TransactionFailed,
    WrongSender,
    WrongRecipient,
    WrongCoin,
    AmountTooSmall,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::UnknownTransaction => "unknown_transaction",
            Self::TransactionFailed => "transaction_failed",
            Self::WrongSender => "wrong_sender",
            Self::WrongRecipient => "wrong_recipient",
            Self::WrongCoin => "wrong_coin",
            Self::AmountTooSmall => "amount_too_small",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::UnknownTransaction => "the chain has no transaction with this digest",
            Self::TransactionFailed => "the transaction failed on chain",
            Self::WrongSender => "the transaction was not sent by this account's wallet",
            Self::WrongRecipient => "the transaction paid nothing to the escrow address",
            Self::WrongCoin => "the transaction paid the escrow address in another coin",
            Self::AmountTooSmall => "the amount received is less than one cent",
        }
    }

    pub fn into_error(self) -> ApiError {
        ApiError::Rule {
            code: self.code(),
            message: self.message().into(),
        }
    }
}

/// `0x`-prefixed, lower case, padded to 64 hex digits.
fn normalise_address(a: &str) -> String {
    let hex = a.trim().trim_start_matches("0x").to_ascii_lowercase();
    format!("0x{hex:0>64}")
}

/// The cents a `transaction` query result credits to `wallet`'s deposit, or why none.
/// `data` is the GraphQL `data` object.
pub fn credited_cents(data: &Value, escrow: &SuiEscrow, wallet: &str) -> Result<i64, Refusal> {
    let tx = &data["transaction"];
    if tx.is_null() {
        return Err(Refusal::UnknownTransaction);
    }
    if tx["effects"]["status"].as_str() != Some("SUCCESS") {
        return Err(Refusal::TransactionFailed);
    }
    let sender = tx["sender"]["address"].as_str().map(normalise_address);
    if sender.as_deref() != Some(normalise_address(wallet).as_str()) {
        return Err(Refusal::WrongSender);
    }
    let recipient = normalise_address(&escrow.address);
    let coin = normalise_coin_type(&escrow.coin_type);
    let mut received: i128 = 0;
    let mut other_coin = false;
    let empty = Vec::new();
    let nodes = tx["effects"]["balanceChanges"]["nodes"]
        .as_array()
        .unwrap_or(&empty);
    for n in nodes {
        let owner = n["owner"]["address"].as_str().map(normalise_address);
        if owner.as_deref() != Some(recipient.as_str()) {
            continue;
        }
        let amount: i128 = match &n["amount"] {
            Value::String(s) => s.parse().unwrap_or(0),
            Value::Number(x) => x.as_i64().map_or(0, i128::from),
            _ => 0,
        };
        if amount <= 0 {
            continue;
        }
        match n["coinType"]["repr"].as_str() {
            Some(repr) if normalise_coin_type(repr) == coin => received += amount,
            _ => other_coin = true,
        }
    }
    if received == 0 {
        return Err(if other_coin {
            Refusal::WrongCoin
        } else {
            Refusal::WrongRecipient
        });
    }
    // 10^(decimals − 2) coin units make a cent; a fraction of a cent is not credited.
    let per_cent = 10i128.pow(escrow.coin_decimals.saturating_sub(2));
    let cents = received / per_cent;
    if cents == 0 {
        return Err(Refusal::AmountTooSmall);
    }
    i64::try_from(cents).map_err(|_| Refusal::AmountTooSmall)
}

/// Whether a digest looks like a Sui transaction digest (base58 of 32 bytes).
pub fn looks_like_digest(d: &str) -> bool {
    (32..=44).contains(&d.len())
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l'))
}

/// Runs the deposit query against `SUI_GRAPHQL_URL` and returns its `data`.
pub async fn fetch_transaction(escrow: &SuiEscrow, digest: &str) -> Result<Value, ApiError> {
    let upstream = |why: String| {
        worker::console_error!(
            "{}",
            json!({"level": "error", "msg": "sui graphql", "reason": why})
        );
        ApiError::UpstreamFailed("the Sui GraphQL RPC could not be read; try again".into())
    };
    let body = json!({"query": DEPOSIT_QUERY, "variables": {"digest": digest}});
    let answer = post_json(
        &escrow.graphql_url,
        &[("Accept", "application/json")],
        &body,
    )
    .await
    .map_err(|e| upstream(format!("{e:?}")))?;
    if let Some(errors) = answer.get("errors").filter(|e| !e.is_null()) {
        return Err(upstream(errors.to_string()));
    }
    Ok(answer["data"].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const USDC: &str =
        "0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC";
    const ESCROW: &str = "0x00000000000000000000000000000000000000000000000000000000000e5c70";
    const WALLET: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";

    fn escrow() -> SuiEscrow {
        SuiEscrow {
            graphql_url: "http://127.0.0.1:1/graphql".into(),
            address: ESCROW.into(),
            coin_type: USDC.into(),
            coin_decimals: 6,
        }
    }

    fn tx(status: &str, sender: &str, changes: Value) -> Value {
        json!({"transaction": {"digest": "d", "sender": {"address": sender},
            "effects": {"status": status, "balanceChanges": {"pageInfo": {"hasNextPage": false}, "nodes": changes}}}})
    }

    fn change(owner: &str, coin: &str, amount: &str) -> Value {
        json!({"owner": {"address": owner}, "coinType": {"repr": coin}, "amount": amount})
    }

    #[test]
    fn credits_what_the_escrow_received_in_whole_cents() {
        let t = tx(
            "SUCCESS",
            WALLET,
            json!([
                change(WALLET, USDC, "-12345678"),
                change(ESCROW, USDC, "12345678"),
                change(WALLET, "0x2::sui::SUI", "-1000"),
            ]),
        );
        // 12.345678 USDC → 1,234 cents (0.5678 of a cent is not credited).
        assert_eq!(credited_cents(&t, &escrow(), WALLET), Ok(1_234));
    }

    #[test]
    fn refuses_anything_the_chain_does_not_show() {
        let e = escrow();
        assert_eq!(
            credited_cents(&json!({"transaction": null}), &e, WALLET),
            Err(Refusal::UnknownTransaction)
        );
        let paid = json!([change(ESCROW, USDC, "1000000")]);
        assert_eq!(
            credited_cents(&tx("FAILURE", WALLET, paid.clone()), &e, WALLET),
            Err(Refusal::TransactionFailed)
        );
        let other = "0x2222222222222222222222222222222222222222222222222222222222222222";
        assert_eq!(
            credited_cents(&tx("SUCCESS", other, paid), &e, WALLET),
            Err(Refusal::WrongSender)
        );
        assert_eq!(
            credited_cents(
                &tx("SUCCESS", WALLET, json!([change(other, USDC, "1000000")])),
                &e,
                WALLET
            ),
            Err(Refusal::WrongRecipient)
        );
        assert_eq!(
            credited_cents(
                &tx(
                    "SUCCESS",
                    WALLET,
                    json!([change(ESCROW, "0x2::sui::SUI", "1000000")])
                ),
                &e,
                WALLET
            ),
            Err(Refusal::WrongCoin)
        );
        assert_eq!(
            credited_cents(
                &tx("SUCCESS", WALLET, json!([change(ESCROW, USDC, "9999")])),
                &e,
                WALLET
            ),
            Err(Refusal::AmountTooSmall)
        );
    }

    #[test]
    fn short_addresses_and_coin_types_compare_padded() {
        let mut e = escrow();
        e.address = "0xe5c70".into();
        e.coin_type = "0x2::sui::SUI".into();
        e.coin_decimals = 9;
        let t = tx(
            "SUCCESS",
            WALLET,
            json!([change(
                ESCROW,
                "0x0000000000000000000000000000000000000000000000000000000000000002::sui::SUI",
                "2500000000"
            )]),
        );
        assert_eq!(credited_cents(&t, &e, WALLET), Ok(250));
    }

    #[test]
    fn digests_are_base58() {
        assert!(looks_like_digest(
            "7Vd3nRkQ4wXHvPzUuJ6pN5hCkxYbEZqTgFsWmA2LrB9c"
        ));
        assert!(!looks_like_digest("anything-new"));
        assert!(!looks_like_digest("0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl"));
    }
}
