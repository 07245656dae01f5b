//! A local fake of Sui's GraphQL RPC (`POST /graphql`), real HTTP on loopback, for the
//! `ESCROW_MODE=sui` deposit check. It answers the `transaction(digest:)` query with the
//! shapes of Sui's GraphQL schema (`Transaction.sender: Address`, `effects.status:
//! ExecutionStatus`, `effects.balanceChanges.nodes: [BalanceChange {owner, coinType, amount}]`),
//! from transactions a test registers; an unknown digest answers `transaction: null`, as
//! the real service does.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

pub const USDC: &str =
    "0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC";
pub const SUI: &str =
    "0x0000000000000000000000000000000000000000000000000000000000000002::sui::SUI";
pub const ESCROW_ADDRESS: &str =
    "0x5e5c0000000000000000000000000000000000000000000000000000000e5c70";

pub struct FakeSui {
    pub port: u16,
    transactions: Arc<Mutex<HashMap<String, Value>>>,
    /// Every request body received.
    pub bodies: Arc<Mutex<Vec<Value>>>,
}

impl FakeSui {
    pub fn start() -> FakeSui {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake sui");
        let port = listener.local_addr().expect("addr").port();
        let transactions = Arc::new(Mutex::new(HashMap::new()));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let (t, b) = (transactions.clone(), bodies.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (t, b) = (t.clone(), b.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &t, &b);
                });
            }
        });
        FakeSui {
            port,
            transactions,
            bodies,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/graphql", self.port)
    }

    /// Registers a transaction the chain "has"; returns its (new, base58) digest.
    pub fn add(&self, sender: &str, status: &str, changes: Vec<Value>) -> String {
        let digest = digest();
        let tx = json!({
            "digest": digest,
            "sender": {"address": sender},
            "effects": {
                "status": status,
                "balanceChanges": {"pageInfo": {"hasNextPage": false}, "nodes": changes},
            },
        });
        self.transactions
            .lock()
            .expect("lock")
            .insert(digest.clone(), tx);
        digest
    }
}

/// One `BalanceChange` node: `amount` is a signed BigInt, sent as a string.
pub fn change(owner: &str, coin_type: &str, amount: i128) -> Value {
    json!({"owner": {"address": owner}, "coinType": {"repr": coin_type}, "amount": amount.to_string()})
}

/// A random transaction digest: base58 of 32 bytes, as Sui prints them.
pub fn digest() -> String {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("rng");
    bytes[0] |= 1; // no leading zero byte, so the length is 43 or 44
    let mut digits: Vec<u8> = Vec::new();
    for &b in &bytes {
        let mut carry = u32::from(b);
        for d in digits.iter_mut() {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    digits
        .iter()
        .rev()
        .map(|d| ALPHABET[*d as usize] as char)
        .collect()
}

fn serve(
    stream: std::net::TcpStream,
    transactions: &Mutex<HashMap<String, Value>>,
    bodies: &Mutex<Vec<Value>>,
) -> std::io::Result<()> {
    let (request_line, parsed) = crate::fake_http::read_request(&stream)?;
    if let Ok(mut b) = bodies.lock() {
        b.push(parsed.clone());
    }
    let query = parsed["query"].as_str().unwrap_or("");
    let (status, reply) = if !request_line.starts_with("POST /graphql ") {
        (404, json!({"errors": [{"message": "not found"}]}))
    } else if !query.contains("transaction(digest: $digest)") {
        (
            200,
            json!({"data": null, "errors": [{"message": "unsupported query"}]}),
        )
    } else {
        let digest = parsed["variables"]["digest"].as_str().unwrap_or("");
        let tx = transactions
            .lock()
            .ok()
            .and_then(|t| t.get(digest).cloned())
            .unwrap_or(Value::Null);
        (200, json!({"data": {"transaction": tx}}))
    };
    crate::fake_http::write_json(stream, status, &reply)
}
