//! A local fake of Knot's API (development environment), real HTTP on loopback, speaking
//! the endpoints and shapes of Knot's API reference: `POST /session/create`,
//! `POST /merchant/list`, `POST /development/accounts/link` and `POST /transactions/sync`
//! (`{merchant_id, external_user_id, cursor, limit}` → `{merchant, transactions,
//! next_cursor, limit}`), with HTTP Basic auth. Scripted per merchant:
//! - 19 DoorDash: three pages (cursor null → "c1" → "c2" → null); the very first sync
//!   request is answered 429 with `Retry-After: 1`; page 3 served again later carries an
//!   updated total for `dd-5`.
//! - 44 Walmart: two pages; the first four requests with cursor "w1" fail with 500.
//! - 77 Target: one page, answered after 1.5 s (a sync in flight long enough to unlink the
//!   account meanwhile).
//!
//! Each session it creates has its own id, as Knot's do.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::fake_http::{read_request_with_headers, write_json_with};

pub const CLIENT_ID: &str = "test-client";
pub const SECRET: &str = "test-secret-0123456789";

/// One request the fake received and what it answered.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub body: Value,
    pub status: u16,
}

#[derive(Default)]
struct State {
    seen: Vec<Seen>,
    throttled_once: bool,
    w1_failures: u32,
    page3_served: u32,
    sessions: u32,
}

pub struct FakeKnot {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl FakeKnot {
    pub fn start() -> FakeKnot {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake knot");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State::default()));
        let s = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &s);
                });
            }
        });
        FakeKnot { port, state }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state
            .lock()
            .map(|s| s.seen.clone())
            .unwrap_or_default()
    }

    /// The sync requests for a merchant, in order.
    pub fn syncs(&self, merchant_id: i64) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.path == "/transactions/sync" && s.body["merchant_id"] == merchant_id)
            .collect()
    }
}

fn tx(id: &str, total: &str, status: &str, date: &str) -> Value {
    json!({
        "id": id, "external_id": format!("ext-{id}"), "datetime": format!("{date}T18:30:00+00:00"),
        "url": format!("https://www.example.com/orders/{id}"), "order_status": status,
        "payment_methods": [{"external_id": "pm1", "type": "CARD", "brand": "VISA", "last_four": "5690",
            "name": "Ada's card", "transaction_amount": total}],
        "price": {"sub_total": total, "adjustments": [], "total": total, "currency": "USD"},
        "products": [{"external_id": "p1", "name": "Pad Thai", "quantity": 1,
            "price": {"sub_total": total, "total": total, "unit_price": total}}]
    })
}

fn page(merchant: (i64, &str), txs: Vec<Value>, next: Option<&str>) -> Value {
    json!({"merchant": {"id": merchant.0, "name": merchant.1}, "transactions": txs, "next_cursor": next, "limit": 100})
}

fn serve(stream: std::net::TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let (line, headers, body) = read_request_with_headers(&stream)?;
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let expected = format!(
        "Basic {}",
        <base64ct::Base64 as base64ct::Encoding>::encode_string(
            format!("{CLIENT_ID}:{SECRET}").as_bytes()
        )
    );
    let authed = headers
        .iter()
        .any(|(k, v)| k == "authorization" && *v == expected);
    let mut st = state.lock().map_err(|_| std::io::Error::other("lock"))?;
    let (status, extra, reply): (u16, Vec<(&str, &str)>, Value) = if !authed {
        (
            401,
            vec![],
            json!({"error_type": "INVALID_API_KEYS", "error_message": "Invalid client_id or secret."}),
        )
    } else {
        match path.as_str() {
            "/session/create" => {
                st.sessions += 1;
                (
                    200,
                    vec![],
                    json!({"session": format!("915efe72-5136-4652-a91q-{:012}", st.sessions)}),
                )
            }
            "/merchant/list" => (
                200,
                vec![],
                json!([{"id": 19, "name": "DoorDash", "logo": "https://knot.example/doordash.png"},
                       {"id": 44, "name": "Walmart", "logo": "https://knot.example/walmart.png"},
                       {"id": 77, "name": "Target", "logo": "https://knot.example/target.png"}]),
            ),
            "/development/accounts/link" => (200, vec![], json!({"message": "Success"})),
            "/transactions/sync" => {
                let merchant = body["merchant_id"].as_i64().unwrap_or(0);
                let cursor = body["cursor"].as_str();
                match (merchant, cursor) {
                    (19, None) if !st.throttled_once => {
                        st.throttled_once = true;
                        (
                            429,
                            vec![("Retry-After", "1")],
                            json!({"error_type": "RATE_LIMIT_EXCEEDED"}),
                        )
                    }
                    (19, None) => (
                        200,
                        vec![],
                        page(
                            (19, "DoorDash"),
                            vec![
                                tx("dd-1", "23.20", "COMPLETED", "2026-11-02"),
                                tx("dd-2", "18.75", "DELIVERED", "2026-11-05"),
                            ],
                            Some("c1"),
                        ),
                    ),
                    (19, Some("c1")) => (
                        200,
                        vec![],
                        page(
                            (19, "DoorDash"),
                            vec![
                                tx("dd-3", "41.10", "COMPLETED", "2026-11-09"),
                                tx("dd-4", "9.99", "CANCELLED", "2026-11-10"),
                            ],
                            Some("c2"),
                        ),
                    ),
                    (19, Some("c2")) => {
                        st.page3_served += 1;
                        let total = if st.page3_served > 1 {
                            "20.00"
                        } else {
                            "12.00"
                        };
                        (
                            200,
                            vec![],
                            page(
                                (19, "DoorDash"),
                                vec![
                                    tx("dd-5", total, "COMPLETED", "2026-11-12"),
                                    tx("dd-6", "18.75", "REFUNDED", "2026-11-13"),
                                ],
                                None,
                            ),
                        )
                    }
                    (44, None) => (
                        200,
                        vec![],
                        page(
                            (44, "Walmart"),
                            vec![
                                tx("wm-1", "54.00", "COMPLETED", "2026-11-03"),
                                tx("wm-2", "12.49", "COMPLETED", "2026-11-04"),
                            ],
                            Some("w1"),
                        ),
                    ),
                    (44, Some("w1")) if st.w1_failures < 4 => {
                        st.w1_failures += 1;
                        (500, vec![], json!({"error_type": "INTERNAL_ERROR"}))
                    }
                    (44, Some("w1")) => (
                        200,
                        vec![],
                        page(
                            (44, "Walmart"),
                            vec![tx("wm-3", "7.25", "COMPLETED", "2026-11-08")],
                            None,
                        ),
                    ),
                    (77, None) => {
                        drop(st);
                        std::thread::sleep(std::time::Duration::from_millis(1500));
                        st = state.lock().map_err(|_| std::io::Error::other("lock"))?;
                        (
                            200,
                            vec![],
                            page(
                                (77, "Target"),
                                vec![tx("tg-1", "31.40", "COMPLETED", "2026-11-06")],
                                None,
                            ),
                        )
                    }
                    _ => (400, vec![], json!({"error_type": "INVALID_CURSOR"})),
                }
            }
            _ => (404, vec![], json!({"error_message": "not found"})),
        }
    };
    st.seen.push(Seen { path, body, status });
    drop(st);
    write_json_with(stream, status, &extra, &reply)
}
