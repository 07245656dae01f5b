//! Routes about the service itself: `/health`, `/openapi.json`, `/docs`.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::Response;

use crate::platform::error::ApiError;
use crate::platform::http::{self, Ctx};
use crate::platform::ids;
use crate::platform::openapi::{openapi_document, Doc};

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
