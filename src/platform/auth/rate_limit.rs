//! Sign-in rate limits, per client IP and per account. Each limited key (`ip:…`,
//! `acct:…`) is its own `AUTH_LIMITER` Durable Object holding a sliding-window log of
//! attempt times. A Durable Object is single-threaded and strongly consistent, so the
//! count is exact: the 11th attempt within 60 s is refused, even when attempts race.
//! (KV would be eventually consistent and allows one write per key per second.)

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State};

use crate::platform::error::ApiError;

pub const WINDOW_MS: i64 = 60_000;

/// Records an attempt at `now` if fewer than `limit` happened in the window; otherwise
/// returns the seconds until the oldest one leaves it.
pub fn admit(log: &mut Vec<i64>, now: i64, limit: u32, window_ms: i64) -> Result<(), u64> {
    log.retain(|&t| t > now - window_ms);
    if log.len() >= limit as usize {
        let oldest = log.iter().copied().min().unwrap_or(now);
        let wait_ms = (oldest + window_ms - now).max(1);
        return Err(((wait_ms + 999) / 1000) as u64);
    }
    log.push(now);
    Ok(())
}

#[derive(Serialize, Deserialize)]
struct Hit {
    limit: u32,
}

#[derive(Serialize, Deserialize)]
struct Verdict {
    allowed: bool,
    retry_after: u64,
}

#[durable_object]
pub struct AttemptCounter {
    state: State,
}

impl DurableObject for AttemptCounter {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let hit: Hit = req.json().await?;
        let storage = self.state.storage();
        let mut log: Vec<i64> = storage.get("log").await?.unwrap_or_default();
        let now = js_sys::Date::now() as i64;
        let verdict = match admit(&mut log, now, hit.limit, WINDOW_MS) {
            Ok(()) => Verdict {
                allowed: true,
                retry_after: 0,
            },
            Err(secs) => Verdict {
                allowed: false,
                retry_after: secs,
            },
        };
        storage.put("log", &log).await?;
        Response::from_json(&verdict)
    }
}

async fn hit(env: &Env, key: &str, limit: u32) -> Result<Verdict, ApiError> {
    let stub = env
        .durable_object("AUTH_LIMITER")?
        .id_from_name(key)?
        .get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(&Hit { limit })?.into()));
    let req = Request::new_with_init("https://limiter/hit", &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    Ok(resp.json().await?)
}

/// Counts one attempt against every `(key, limit)`; 429 with `Retry-After` when any is
/// over its limit.
pub async fn check(env: &Env, keys: &[(String, u32)]) -> Result<(), ApiError> {
    let verdicts = futures::future::join_all(keys.iter().map(|(k, l)| hit(env, k, *l))).await;
    let mut retry = 0;
    for v in verdicts {
        let v = v?;
        if !v.allowed {
            retry = retry.max(v.retry_after);
        }
    }
    if retry > 0 {
        return Err(ApiError::RateLimited {
            retry_after_secs: retry,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleventh_attempt_in_a_minute_is_refused() {
        let mut log = Vec::new();
        for i in 0..10 {
            assert!(admit(&mut log, 1_000 + i * 100, 10, WINDOW_MS).is_ok());
        }
        let retry = admit(&mut log, 5_000, 10, WINDOW_MS).expect_err("11th refused");
        assert_eq!(retry, 56, "oldest at 1.0 s leaves the window at 61.0 s");
        assert_eq!(log.len(), 10, "a refused attempt is not recorded");
    }

    #[test]
    fn window_slides() {
        let mut log = Vec::new();
        for i in 0..10 {
            admit(&mut log, i * 1_000, 10, WINDOW_MS).expect("under limit");
        }
        assert!(admit(&mut log, 59_999, 10, WINDOW_MS).is_err());
        assert!(
            admit(&mut log, 60_001, 10, WINDOW_MS).is_ok(),
            "first attempt left the window"
        );
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let mut log = vec![0];
        assert_eq!(admit(&mut log, 59_999, 1, WINDOW_MS), Err(1));
    }
}
