//! What the extension wears: `GET /fingerprint` (cached in KV `CACHE` until it rotates)
//! and `GET /form-data` (fake values consistent with the active persona).

use serde_json::{json, Value};

use super::offline::FORM_FIELDS;
use super::{fingerprint, personas, settings};
use crate::platform::auth::Caller;
use crate::platform::crypto::sha256;
use crate::platform::error::{ApiError, FieldError};
use crate::platform::http::{self, Ctx, Response};
use crate::platform::ids;
use crate::platform::openapi::{Doc, Param};

const MAX_FIELDS: usize = 30;

pub async fn get_fingerprint(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let caller = &caller;
    let row = settings::load(&ctx.d1()?, caller).await?;
    let minutes = row.settings.fingerprint_rotation_interval;
    let now = crate::platform::ids::now_ms() as i64;
    let (index, ends_ms) = fingerprint::window(now, minutes);
    let key = format!(
        "fp:{}:{minutes}:{index}:{}",
        caller.user_id, row.settings.timezone
    );
    let kv = ctx.env.kv("CACHE")?;
    // Served byte for byte as first rendered, so every answer in a window is identical.
    if let Some(cached) = kv.get(&key).text().await? {
        return http::raw_json(200, cached);
    }
    let secret = sha256(
        &[
            b"fingerprint-secret\x00".as_slice(),
            &ctx.config.auth.jwt_secret,
        ]
        .concat(),
    );
    let fp = fingerprint::derive(&caller.user_id, index, &secret, &row.settings.timezone);
    let mut body = serde_json::to_value(&fp)?;
    let rotates_at = chrono::DateTime::from_timestamp_millis(ends_ms).map(ids::rfc3339);
    body["rotates_at"] = json!(rotates_at);
    body["rotation_interval_minutes"] = json!(minutes);
    let ttl = ((ends_ms - now) / 1000).max(60) as u64;
    let text = body.to_string();
    kv.put(&key, text.as_str())?
        .expiration_ttl(ttl)
        .execute()
        .await?;
    http::raw_json(200, text)
}

/// Requested field names: comma separated, known, at most 30.
pub fn parse_fields(raw: Option<&str>) -> Result<Vec<String>, ApiError> {
    let raw = raw.unwrap_or("").trim();
    if raw.is_empty() {
        return Err(ApiError::validation(
            "fields",
            "is required, e.g. ?fields=name,email,phone",
        ));
    }
    let mut fields: Vec<String> = Vec::new();
    if raw.split(',').count() > MAX_FIELDS {
        return Err(ApiError::validation(
            "fields",
            format!("at most {MAX_FIELDS} fields"),
        ));
    }
    for f in raw
        .split(',')
        .map(|f| f.trim().to_lowercase())
        .filter(|f| !f.is_empty())
    {
        if !fields.contains(&f) {
            fields.push(f);
        }
    }
    let unknown: Vec<&str> = fields
        .iter()
        .map(String::as_str)
        .filter(|f| !FORM_FIELDS.contains(f))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "fields",
            format!(
                "unknown: {}; supported: {}",
                unknown.join(", "),
                FORM_FIELDS.join(", ")
            ),
        )]));
    }
    if fields.len() > MAX_FIELDS {
        return Err(ApiError::validation(
            "fields",
            format!("at most {MAX_FIELDS} fields"),
        ));
    }
    Ok(fields)
}

fn validate_form(v: Value) -> Result<Value, String> {
    let obj = v.as_object().ok_or("form data must be an object")?;
    if obj.values().all(|x| {
        x.as_str()
            .is_some_and(|s| !s.trim().is_empty() && s.len() <= 300)
    }) {
        Ok(v)
    } else {
        Err("every field must be a non-empty string".into())
    }
}

pub async fn form_data(ctx: Ctx, caller: Caller) -> Result<Response, ApiError> {
    let fields = parse_fields(ctx.query_param("fields").as_deref())?;
    let caller = &caller;
    let db = ctx.d1()?;
    let (_, persona) = personas::settings_and_current(&db, &caller.user_id).await?;
    let persona =
        persona.ok_or_else(|| ApiError::Conflict("no active persona; create one first".into()))?;
    // The same persona gets the same details every time (one email, one address).
    let digest = sha256(persona.id.as_bytes());
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&digest[..8]);
    let task = super::ai::Task {
        feature: "form_data",
        instructions: format!(
            "Fill a web form as this persona. JSON object with exactly these string fields: {}. \
             Use fictional but plausible values consistent with the persona (name, location, age).",
            fields.join(", ")
        ),
        context: json!({"persona": persona, "fields": fields, "year": chrono::Datelike::year(&crate::platform::ids::now())}),
        seed: u64::from_be_bytes(seed),
        validate: validate_form,
    };
    let mut value = super::ai::generate(&ctx.env, &ctx.config.llm, &caller.user_id, &task).await?;
    // Answer exactly the requested keys, in the requested order.
    let mut out = serde_json::Map::new();
    for f in &fields {
        let v = value
            .get_mut(f.as_str())
            .map(Value::take)
            .filter(|v| v.is_string());
        out.insert(
            f.clone(),
            v.ok_or_else(|| ApiError::UpstreamFailed(format!("form data lacks {f}")))?,
        );
    }
    http::json(200, &Value::Object(out))
}

pub const FINGERPRINT_DOC: Doc = Doc {
    tag: "phantom",
    params: &[],
    summary: "The browser fingerprint for the current rotation window",
    description: "Deterministic for (user, window): identical within a window of `fingerprint_rotation_interval` \
        minutes, different in the next; `rotates_at` says when. Coherent by OS family (platform, user agent, fonts, \
        WebGL vendor/renderer, screens, hardware). Cached in KV until it rotates.",
    request: None,
    response: (200, || crate::schema!({"type": "object", "properties": {
        "user_agent": {"type": "string"}, "platform": {"type": "string"}, "os": {"type": "string"}, "browser": {"type": "string"},
        "languages": {"type": "array", "items": {"type": "string"}}, "timezone": {"type": "string"},
        "screen": {"type": "object"}, "hardware_concurrency": {"type": "integer"}, "device_memory": {"type": ["integer", "null"]},
        "webgl": {"type": "object", "properties": {"vendor": {"type": "string"}, "renderer": {"type": "string"}}},
        "canvas_noise_seed": {"type": "integer"}, "audio_noise_seed": {"type": "integer"},
        "fonts": {"type": "array", "items": {"type": "string"}}, "rotates_at": {"type": "string", "format": "date-time"}}})),
};

pub const FORM_DATA_DOC: Doc = Doc {
    tag: "phantom",
    params: &[Param {
        name: "fields",
        required: true,
        description: "The form's fields, comma separated.",
        schema: || json!({"type": "array", "minItems": 1, "maxItems": 30, "items": {"type": "string", "enum": FORM_FIELDS},
            "examples": [["name", "email", "phone", "address"]]}),
    }],
    summary: "Fake form values for the active persona",
    description: "`?fields=name,email,phone,address,…` (comma separated, at most 30) → an object keyed by those names. \
        Supported: name, full_name, first_name, last_name, email, phone, address, street, address_line1, city, state, \
        region, zip, postal_code, country, birthday, date_of_birth, dob, age, occupation, job_title, company, username, \
        website. Phone numbers use reserved fictional ranges. 409 when no persona is active.",
    request: None,
    response: (200, || crate::schema!({"type": "object", "additionalProperties": {"type": "string"}})),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_parsed_deduped_and_checked() {
        assert_eq!(
            parse_fields(Some(" Name, email,name ")).expect("ok"),
            vec!["name", "email"]
        );
        assert!(parse_fields(None).is_err());
        assert!(parse_fields(Some("name,ssn")).is_err());
        assert!(parse_fields(Some(&FORM_FIELDS.join(","))).is_ok());
    }
}
