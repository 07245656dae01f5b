//! Time zones through the platform's `Intl` (no tz database in the bundle): validating
//! IANA names and reading the local wall-clock time of an instant.

use serde::Serialize;

/// Wall-clock time in some zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LocalTime {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
}

impl LocalTime {
    pub fn date(&self) -> Option<chrono::NaiveDate> {
        chrono::NaiveDate::from_ymd_opt(self.year, self.month, self.day)
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::LocalTime;
    use js_sys::{Array, Object, Reflect};
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = Intl, js_name = DateTimeFormat)]
        type Dtf;

        #[wasm_bindgen(constructor, catch, js_namespace = Intl, js_class = "DateTimeFormat")]
        fn new(locale: &str, options: &JsValue) -> Result<Dtf, JsValue>;

        #[wasm_bindgen(method, js_name = formatToParts)]
        fn format_to_parts(this: &Dtf, date: &js_sys::Date) -> Array;
    }

    fn formatter(tz: &str) -> Option<Dtf> {
        let opts = Object::new();
        let set = |k: &str, v: &str| Reflect::set(&opts, &k.into(), &v.into()).ok();
        set("timeZone", tz)?;
        set("hourCycle", "h23")?;
        set("year", "numeric")?;
        set("month", "numeric")?;
        set("day", "numeric")?;
        set("hour", "numeric")?;
        set("minute", "numeric")?;
        Dtf::new("en-US", &opts).ok()
    }

    pub fn is_valid(tz: &str) -> bool {
        !tz.is_empty() && tz.len() <= 64 && formatter(tz).is_some()
    }

    pub fn local(tz: &str, unix_ms: i64) -> Option<LocalTime> {
        let f = formatter(tz)?;
        let parts = f.format_to_parts(&js_sys::Date::new(&JsValue::from_f64(unix_ms as f64)));
        let mut t = LocalTime {
            year: 0,
            month: 0,
            day: 0,
            hour: 0,
            minute: 0,
        };
        for p in parts.iter() {
            let kind = Reflect::get(&p, &"type".into()).ok()?.as_string()?;
            let value = Reflect::get(&p, &"value".into()).ok()?.as_string()?;
            match kind.as_str() {
                "year" => t.year = value.parse().ok()?,
                "month" => t.month = value.parse().ok()?,
                "day" => t.day = value.parse().ok()?,
                "hour" => t.hour = value.parse::<u32>().ok()? % 24,
                "minute" => t.minute = value.parse().ok()?,
                _ => {}
            }
        }
        Some(t)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    //! Native builds (unit tests) know UTC and fixed `Etc/GMT±N` zones only.
    use super::LocalTime;
    use chrono::{Datelike, Timelike};

    fn offset_hours(tz: &str) -> Option<i64> {
        match tz {
            "UTC" | "Etc/UTC" => Some(0),
            _ => tz
                .strip_prefix("Etc/GMT")
                .and_then(|n| n.parse::<i64>().ok())
                .map(|n| -n),
        }
    }

    pub fn is_valid(tz: &str) -> bool {
        offset_hours(tz).is_some()
    }

    pub fn local(tz: &str, unix_ms: i64) -> Option<LocalTime> {
        let t = chrono::DateTime::from_timestamp_millis(unix_ms + offset_hours(tz)? * 3_600_000)?;
        Some(LocalTime {
            year: t.year(),
            month: t.month(),
            day: t.day(),
            hour: t.hour(),
            minute: t.minute(),
        })
    }
}

/// Whether `tz` is an IANA time zone the platform knows.
pub fn is_valid(tz: &str) -> bool {
    imp::is_valid(tz)
}

/// The zone names a client may send: the IANA names and links, and the runtime's own
/// (`Intl.supportedValuesOf("timeZone")`), each one the runtime formats with.
pub const NAMES: &str = include_str!("tz_names.txt");

/// The JSON Schema of a time zone field.
pub fn schema() -> serde_json::Value {
    serde_json::json!({"type": "string", "enum": NAMES.lines().collect::<Vec<_>>(), "default": "UTC",
        "description": "IANA time zone, such as Europe/Paris", "examples": ["Europe/Paris"]})
}

/// The wall-clock time in `tz` at `unix_ms`.
pub fn local(tz: &str, unix_ms: i64) -> Option<LocalTime> {
    imp::local(tz, unix_ms)
}
