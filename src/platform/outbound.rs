//! Calls to outside services (LLM providers, the Sui GraphQL RPC): POST a JSON body,
//! read a JSON answer (or a streamed one), and say how it failed so each caller can
//! decide what retries.

use serde_json::Value;

/// Why an outbound call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// The request could not be built (a bad URL or header): retrying cannot help.
    Request(String),
    /// The service could not be reached, or the answer not read.
    Transport(String),
    /// A status outside 2xx.
    Status(u16),
    /// 429 or 503 with a `Retry-After` in seconds.
    Throttled { status: u16, retry_after_secs: u64 },
    /// A 2xx answer that is not JSON.
    NotJson,
}

/// POSTs `body` as JSON with `headers` and returns the parsed JSON answer.
pub async fn post_json(
    url: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> Result<Value, CallError> {
    let mut resp = post(url, headers, body, None).await?;
    let text = resp
        .text()
        .await
        .map_err(|e| CallError::Transport(e.to_string()))?;
    serde_json::from_str(&text).map_err(|_| CallError::NotJson)
}

/// POSTs `body` as JSON and returns the answer's body as it arrives (a streamed answer);
/// aborting `signal` cancels the request, and the stream with it.
pub async fn post_stream(
    url: &str,
    headers: &[(&str, &str)],
    body: &Value,
    signal: Option<&worker::AbortSignal>,
) -> Result<worker::ByteStream, CallError> {
    let mut resp = post(url, headers, body, signal).await?;
    resp.stream()
        .map_err(|e| CallError::Transport(e.to_string()))
}

/// The 2xx answer to a JSON POST; any other status is an error.
async fn post(
    url: &str,
    headers: &[(&str, &str)],
    body: &Value,
    signal: Option<&worker::AbortSignal>,
) -> Result<worker::Response, CallError> {
    let request = |e: worker::Error| CallError::Request(e.to_string());
    let h = worker::Headers::new();
    h.set("Content-Type", "application/json").map_err(request)?;
    for (k, v) in headers {
        h.set(k, v).map_err(request)?;
    }
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post)
        .with_headers(h)
        .with_body(Some(body.to_string().into()));
    let req = worker::Request::new_with_init(url, &init).map_err(request)?;
    let fetch = worker::Fetch::Request(req);
    let resp = match signal {
        Some(s) => fetch.send_with_signal(s).await,
        None => fetch.send().await,
    }
    .map_err(|e| CallError::Transport(e.to_string()))?;
    let status = resp.status_code();
    if !(200..300).contains(&status) {
        let wait = resp
            .headers()
            .get("Retry-After")
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse::<u64>().ok());
        return Err(match wait {
            Some(secs) if status == 429 || status == 503 => CallError::Throttled {
                status,
                retry_after_secs: secs,
            },
            _ => CallError::Status(status),
        });
    }
    Ok(resp)
}
