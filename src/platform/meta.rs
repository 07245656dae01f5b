//! Routes about the service itself: `/health`, `/openapi.json`, `/docs`.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use worker::Response;

use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx};
use crate::platform::ids;
use crate::routes::{Auth, Doc, Route, ROUTES};

pub const HEALTH_DOC: Doc = Doc {
    tag: "platform",
    summary: "Service health",
    description: "Answers after a real D1 round trip (which also reads the last cron run). \
        `db` is `ok`, or the status is 503 with `db: \"error\"`.",
    request: None,
    response: (200, health_schema),
};

pub const OPENAPI_DOC: Doc = Doc {
    tag: "platform",
    summary: "This OpenAPI 3.1 document",
    description: "Generated from the routes table, so it lists exactly the routes that exist.",
    request: None,
    response: (200, || json!({"type": "object"})),
};

pub const DOCS_DOC: Doc = Doc {
    tag: "platform",
    summary: "API reference page",
    description: "An HTML page that renders `/openapi.json` (no external assets).",
    request: None,
    response: (
        200,
        || json!({"type": "string", "contentMediaType": "text/html"}),
    ),
};

fn health_schema() -> Value {
    json!({
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
    let mut resp = http::json(200, &openapi_document())?;
    resp.headers_mut()
        .set("Cache-Control", "public, max-age=300")
        .map_err(ApiError::from)?;
    Ok(resp)
}

pub async fn docs(_ctx: Ctx) -> Result<Response, ApiError> {
    Response::from_html(DOCS_HTML).map_err(ApiError::from)
}

/// The OpenAPI 3.1 document of every route in the table.
pub fn openapi_document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES.iter().filter(|r| r.auth != Auth::DevOnly) {
        let item = paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}));
        if let Value::Object(item) = item {
            item.insert(route.method.to_lowercase(), operation(route));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "edge-api",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Backend of Phantom, Personal OS, Assistant, Money and Suiftly. \
                Errors always use the `Error` envelope; lists take `limit` (≤ 200) and `cursor`."
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                    "description": "Access token from signup, login, refresh or wallet verify."},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "access_token",
                    "description": "The same access token as an HttpOnly cookie. State-changing requests must send JSON or come from an allowed origin."},
                "gatewayToken": {"type": "apiKey", "in": "header", "name": "X-Gateway-Token",
                    "description": "The Suiftly gateway's shared secret (GATEWAY_TOKEN)."},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                    "description": "`ek_live_…` key from POST /api/auth/api-keys."}
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message", "request_id", "details"],
                            "properties": {
                                "code": {"type": "string", "enum": [
                                    "bad_request", "validation_failed", "unauthorized", "forbidden",
                                    "not_found", "method_not_allowed", "conflict", "payload_too_large",
                                    "rate_limited", "insufficient_balance", "monthly_limit_exceeded",
                                    "upstream_failed", "internal", "dependency_cycle"]},
                                "message": {"type": "string"},
                                "request_id": {"type": "string"},
                                "details": {"type": "object"}
                            }
                        }
                    }
                }
            }
        }
    })
}

fn operation(route: &Route) -> Value {
    let params: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    let (status, schema) = route.doc.response;
    let schema = schema();
    let media = schema["contentMediaType"]
        .as_str()
        .unwrap_or("application/json")
        .to_string();
    let content = json!({ media: {"schema": schema} });
    let mut op = json!({
        "operationId": operation_id(route),
        "tags": [route.doc.tag],
        "summary": route.doc.summary,
        "description": route.doc.description,
        "responses": {
            status.to_string(): {"description": route.doc.summary, "content": content},
            "default": {
                "description": "Error envelope",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            }
        }
    });
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
    match route.auth {
        Auth::User => op["security"] = json!([{"bearer": []}, {"cookie": []}, {"apiKey": []}]),
        Auth::UserByHeader => op["security"] = json!([{"bearer": []}, {"apiKey": []}]),
        Auth::Gateway => op["security"] = json!([{"gatewayToken": []}]),
        Auth::Public | Auth::DevOnly => {}
    }
    if let Some(body) = route.doc.request {
        op["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": body()}}
        });
    }
    op
}

fn operation_id(route: &Route) -> String {
    let mut id = route.method.to_lowercase();
    for seg in route.path.split('/').filter(|s| !s.is_empty()) {
        id.push('_');
        id.extend(
            seg.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .map(|c| c.to_ascii_lowercase()),
        );
    }
    id
}

const DOCS_HTML: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>edge-api reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}
main{max-width:980px;margin:0 auto;padding:24px}
h1{margin:0 0 4px}h2{margin:32px 0 8px;text-transform:capitalize}
details{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:6px 0}
summary{cursor:pointer;padding:8px 12px;display:flex;gap:12px;align-items:baseline}
.m{font:700 12px monospace;padding:2px 6px;border-radius:4px;color:#fff;min-width:56px;text-align:center}
.get{background:#0969da}.post{background:#1a7f37}.put,.patch{background:#9a6700}.delete{background:#cf222e}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f6f8fa;padding:8px;overflow:auto;margin:0 12px 12px}
p{margin:8px 12px}
</style></head><body><main><h1>edge-api</h1><p id="about">Loading <code>/openapi.json</code>…</p><div id="ops"></div></main>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  document.getElementById('about').textContent=doc.info.description+' (OpenAPI '+doc.openapi+', v'+doc.info.version+')';
  const byTag={};
  for(const [path,item] of Object.entries(doc.paths)){for(const [method,op] of Object.entries(item)){
    (byTag[op.tags[0]]=byTag[op.tags[0]]||[]).push({path,method,op});}}
  const root=document.getElementById('ops');
  for(const tag of Object.keys(byTag).sort()){
    const h=document.createElement('h2');h.textContent=tag;root.appendChild(h);
    for(const {path,method,op} of byTag[tag]){
      const d=document.createElement('details');const s=document.createElement('summary');
      const m=document.createElement('span');m.className='m '+method;m.textContent=method.toUpperCase();
      const p=document.createElement('code');p.textContent=path;const t=document.createElement('span');t.textContent=op.summary;
      s.append(m,p,t);d.appendChild(s);
      const desc=document.createElement('p');desc.textContent=op.description||'';d.appendChild(desc);
      if(op.security){const a=document.createElement('p');a.textContent='Auth: '+op.security.map(x=>Object.keys(x).join('+')).join(' or ');d.appendChild(a);}
      if(op.requestBody){const b=document.createElement('pre');b.textContent='Request: '+JSON.stringify(op.requestBody.content['application/json'].schema,null,2);d.appendChild(b);}
      for(const [code,r] of Object.entries(op.responses)){if(code==='default')continue;
        const c=r.content&&Object.values(r.content)[0];const pre=document.createElement('pre');
        pre.textContent=code+': '+JSON.stringify(c?c.schema:{},null,2);d.appendChild(pre);}
      root.appendChild(d);}}
}).catch(e=>{document.getElementById('about').textContent='Could not load /openapi.json: '+e});
</script></body></html>"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_lists_every_public_route_with_params() {
        let doc = openapi_document();
        assert_eq!(doc["openapi"], "3.1.0");
        for route in ROUTES.iter().filter(|r| r.auth != Auth::DevOnly) {
            let op = &doc["paths"][route.path][route.method.to_lowercase()];
            assert!(op.is_object(), "{} {} missing", route.method, route.path);
            let declared = op["parameters"].as_array().map_or(0, Vec::len);
            assert_eq!(declared, route.path.matches('{').count(), "{}", route.path);
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(seen.insert(operation_id(r)), "{}", operation_id(r));
        }
    }
}
