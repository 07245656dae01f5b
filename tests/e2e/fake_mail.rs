//! A local fake of Resend's HTTP API (`POST /emails`, `Authorization: Bearer <key>`), real
//! HTTP on loopback: it answers as Resend does (200 `{id}`, or 401 with Resend's error body
//! for another key) and keeps every message it accepted.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

pub const KEY: &str = "re_test_0123456789";

pub struct FakeResend {
    pub port: u16,
    /// Accepted messages, as sent.
    pub sent: Arc<Mutex<Vec<Value>>>,
}

impl FakeResend {
    pub fn start() -> FakeResend {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake resend");
        let port = listener.local_addr().expect("addr").port();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let kept = sent.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = kept.clone();
                std::thread::spawn(move || {
                    let Ok((line, headers, body)) =
                        crate::fake_http::read_request_with_headers(&stream)
                    else {
                        return;
                    };
                    let auth = headers
                        .iter()
                        .find(|(k, _)| k == "authorization")
                        .map(|(_, v)| v.as_str());
                    let (status, answer) = if !line.starts_with("POST /emails ") {
                        (
                            404,
                            json!({"statusCode": 404, "message": "Not found", "name": "not_found"}),
                        )
                    } else if auth != Some(&format!("Bearer {KEY}")) {
                        (
                            401,
                            json!({"statusCode": 401, "message": "API key is invalid", "name": "validation_error"}),
                        )
                    } else if !body["to"].is_array()
                        || !body["from"].is_string()
                        || !body["subject"].is_string()
                    {
                        (
                            422,
                            json!({"statusCode": 422, "message": "Missing required field", "name": "missing_required_field"}),
                        )
                    } else {
                        let mut m = kept.lock().unwrap_or_else(|p| p.into_inner());
                        m.push(body);
                        (
                            200,
                            json!({"id": format!("49a3999c-0ce1-4ea6-ab68-afcd6dc2e7{:02}", m.len())}),
                        )
                    };
                    let _ = crate::fake_http::write_json(stream, status, &answer);
                });
            }
        });
        FakeResend { port, sent }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The messages accepted for `to`.
    pub fn to(&self, to: &str) -> Vec<Value> {
        self.sent
            .lock()
            .map(|m| m.iter().filter(|x| x["to"][0] == to).cloned().collect())
            .unwrap_or_default()
    }
}
