//! Routes about the service itself: `/health`, `/openapi.json`, `/docs`.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{openapi_document, Doc};

pub const HEALTH_DOC: Doc = Doc {
    tag: "platform",
    params: &[],
    summary: "Service health",
    description: "Answers after a real D1 round trip (which also reads the last cron run). \
        `db` is `ok`, or the status is 503 with `db: \"error\"`.",
    request: None,
    response: (200, health_schema),
};

pub const OPENAPI_DOC: Doc = Doc {
    tag: "platform",
    params: &[],
    summary: "This OpenAPI 3.1 document",
    description: "Generated from the routes table, so it lists exactly the routes that exist.",
    request: None,
    response: (200, || crate::schema!({"type": "object"})),
};

/// The `/docs` page and its script and style (not operations of the API document).
pub const DOCS_DOC: Doc = Doc {
    tag: "platform",
    params: &[],
    summary: "The API reference page",
    description: "A page rendering /openapi.json, with a form to send each operation.",
    request: None,
    response: (200, || crate::schema!({"type": "string"})),
};

fn health_schema() -> Value {
    crate::schema!({"title": "Health",
        "type": "object",
        "required": ["status", "stage", "timestamp", "db"],
        "properties": {
            "status": {"type": "string", "enum": ["healthy", "degraded"]},
            "stage": {"type": "string"},
            "timestamp": {"type": "string", "format": "date-time"},
            "db": {"type": "string", "enum": ["ok", "error"]},
            "last_cron_run": {
                "type": ["object", "null"],
                "properties": {
                    "job": {"type": "string"},
                    "cron": {"type": "string"},
                    "started_at": {"type": "string", "format": "date-time"},
                    "finished_at": {"type": ["string", "null"], "format": "date-time"},
                    "outcome": {"type": "string"}
                }
            }
        }
    })
}

#[derive(Deserialize, serde::Serialize)]
struct CronRun {
    job: String,
    cron: String,
    started_at: String,
    finished_at: Option<String>,
    outcome: String,
}

pub async fn health(ctx: Ctx) -> Result<Response, ApiError> {
    let db = ctx.d1()?;
    let last = db
        .prepare(
            "SELECT job, cron, started_at, finished_at, outcome FROM cron_runs \
             ORDER BY id DESC LIMIT 1",
        )
        .first::<CronRun>(None)
        .await;
    let (status, db_state, last) = match last {
        Ok(run) => (200, "ok", run),
        Err(e) => {
            worker::console_error!(
                "{}",
                json!({"level": "error", "request_id": ctx.request_id, "msg": format!("health: {e}")})
            );
            (503, "error", None)
        }
    };
    http::json(
        status,
        &json!({
            "status": if status == 200 { "healthy" } else { "degraded" },
            "stage": ctx.config.stage.as_str(),
            "timestamp": ids::now_rfc3339(),
            "db": db_state,
            "last_cron_run": last,
        }),
    )
}

pub async fn openapi(_ctx: Ctx) -> Result<Response, ApiError> {
    Ok(http::json(200, &openapi_document())?.with_header("Cache-Control", "public, max-age=300"))
}

/// `/docs`: the API reference, a page over `/openapi.json` (web/docs.*) that loads
/// nothing from anywhere else.
pub async fn docs_page(_ctx: Ctx) -> Result<Response, ApiError> {
    page_file(
        include_str!("../../web/docs.html"),
        "text/html; charset=utf-8",
    )
}

pub async fn docs_script(_ctx: Ctx) -> Result<Response, ApiError> {
    page_file(
        include_str!("../../web/docs.js"),
        "text/javascript; charset=utf-8",
    )
}

pub async fn docs_style(_ctx: Ctx) -> Result<Response, ApiError> {
    page_file(
        include_str!("../../web/docs.css"),
        "text/css; charset=utf-8",
    )
}

/// A file of the docs page, cached briefly, with a policy that lets it load only from
/// this origin (its script and style, and `fetch` to the API itself).
fn page_file(body: &'static str, content_type: &'static str) -> Result<Response, ApiError> {
    let mut resp = Response::with_body(200, content_type, body);
    for (name, value) in [
        ("Cache-Control", "public, max-age=300"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        (
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'",
        ),
    ] {
        resp.set_header(name, value);
    }
    Ok(resp)
}
