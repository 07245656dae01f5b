//! The products. A new product adds its module here and its `PRODUCT` to [`ALL`]: the
//! platform builds the router, the settings, the scheduler's job kinds, the cron tick and
//! its event listeners from that list. (Plain `pub mod` lines, so that `cargo fmt` formats
//! every product's files.)

use crate::platform::product::Product;

pub mod assistant;
pub mod money;
pub mod os;
pub mod phantom;
pub mod suiftly;

/// Every product, in the order the document and the router list them.
pub static ALL: &[&Product] = &[
    &phantom::PRODUCT,
    &os::PRODUCT,
    &suiftly::PRODUCT,
    &assistant::PRODUCT,
    &money::PRODUCT,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::config::{settings_named, Config};
    use crate::platform::openapi::openapi_document;
    use crate::platform::product::Auth;
    use crate::platform::router;

    #[test]
    fn every_route_is_routed_and_documented() {
        crate::platform::product::install(ALL);
        let r = router::get().expect("the route table builds");
        let doc = openapi_document();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut ids = std::collections::HashSet::new();
        let mut n = 0;
        for route in router::routes() {
            n += 1;
            let concrete = route.path.replace('{', "x").replace('}', "");
            match r.find(route.method, &concrete) {
                router::Match::Found(found, _) => assert_eq!(found.path, route.path),
                _ => panic!("{} {} not routed", route.method, route.path),
            }
            let op = &doc["paths"][route.path][route.method.to_lowercase()];
            if matches!(route.auth, Auth::DevOnly | Auth::Page) {
                assert!(op.is_null(), "{} is not an API operation", route.path);
                continue;
            }
            assert!(op.is_object(), "{} {} missing", route.method, route.path);
            let declared = op["parameters"]
                .as_array()
                .map_or(0, |ps| ps.iter().filter(|p| p["in"] == "path").count());
            assert_eq!(declared, route.path.matches('{').count(), "{}", route.path);
            assert!(ids.insert(op["operationId"].as_str().unwrap_or("").to_string()));
        }
        assert_eq!(n, 202, "every route of the five products and the platform");
    }

    thread_local! {
        static NAMED: std::cell::RefCell<serde_json::Value> = const { std::cell::RefCell::new(serde_json::Value::Null) };
    }

    /// Every keyword and pattern a request body uses is one the body check enforces, so
    /// the document never promises a rule the API does not keep.
    #[test]
    fn request_bodies_use_only_what_the_check_enforces() {
        const KNOWN: &[&str] = &[
            "type",
            "properties",
            "required",
            "additionalProperties",
            "enum",
            "const",
            "anyOf",
            "minLength",
            "maxLength",
            "pattern",
            "format",
            "minimum",
            "maximum",
            "items",
            "minItems",
            "maxItems",
            "uniqueItems",
            "prefixItems",
            // Annotations.
            "description",
            "default",
            "examples",
            "readOnly",
            "title",
        ];
        fn walk(v: &serde_json::Value, at: &str, problems: &mut Vec<String>) {
            let Some(o) = v.as_object() else { return };
            if let Some(name) = o.get("$ref").and_then(|r| r.as_str()) {
                let name = name.trim_start_matches("#/components/schemas/");
                let doc = NAMED.with(|n| n.borrow()[name].clone());
                return walk(&doc, at, problems);
            }
            for (k, child) in o {
                if !KNOWN.contains(&k.as_str()) {
                    problems.push(format!("{at}: {k}"));
                }
                match k.as_str() {
                    "properties" => {
                        for (name, p) in child.as_object().into_iter().flatten() {
                            walk(p, &format!("{at}.{name}"), problems);
                        }
                    }
                    "items" | "additionalProperties" => walk(child, at, problems),
                    "anyOf" | "prefixItems" => {
                        for c in child.as_array().into_iter().flatten() {
                            walk(c, at, problems);
                        }
                    }
                    "pattern" => {
                        let p = child.as_str().unwrap_or("");
                        if crate::platform::schema::matches_pattern(p, "").is_none() {
                            problems.push(format!("{at}: pattern {p}"));
                        }
                    }
                    _ => {}
                }
            }
        }
        crate::platform::product::install(ALL);
        let doc = openapi_document();
        NAMED.with(|n| *n.borrow_mut() = doc["components"]["schemas"].clone());
        let mut problems = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let body = &op["requestBody"]["content"]["application/json"]["schema"];
                walk(body, &format!("{method} {path}"), &mut problems);
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn every_title_names_one_schema() {
        crate::platform::product::install(ALL);
        let (doc, clashes) = crate::platform::openapi::document();
        assert!(clashes.is_empty(), "{clashes:?}");
        for name in [
            "Task",
            "TaskCreate",
            "TaskUpdate",
            "Goal",
            "Persona",
            "Customer",
            "Error",
        ] {
            assert!(doc["components"]["schemas"][name].is_object(), "{name}");
        }
        let text = doc.to_string();
        for (name, _) in doc["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
        {
            assert!(
                name == "Error" || text.contains(&format!("\"#/components/schemas/{name}\"")),
                "{name} is used"
            );
        }
    }

    /// Every request example the document shows passes the body check, and every success
    /// example matches its schema.
    #[test]
    fn examples_match_their_schemas() {
        crate::platform::product::install(ALL);
        let doc = openapi_document();
        let named = &doc["components"]["schemas"];
        fn resolve(v: &serde_json::Value, named: &serde_json::Value) -> serde_json::Value {
            match v {
                serde_json::Value::Object(o) => match o.get("$ref").and_then(|r| r.as_str()) {
                    Some(r) => {
                        resolve(&named[r.trim_start_matches("#/components/schemas/")], named)
                    }
                    None => o
                        .iter()
                        .map(|(k, v)| (k.clone(), resolve(v, named)))
                        .collect(),
                },
                serde_json::Value::Array(a) => a.iter().map(|v| resolve(v, named)).collect(),
                other => other.clone(),
            }
        }
        let mut problems = Vec::new();
        let mut n = 0;
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let mut media: Vec<&serde_json::Value> =
                    vec![&op["requestBody"]["content"]["application/json"]];
                for (status, r) in op["responses"].as_object().into_iter().flatten() {
                    if status.starts_with('2') {
                        media.push(&r["content"]["application/json"]);
                    }
                }
                for m in media.into_iter().filter(|m| m.is_object()) {
                    n += 1;
                    let schema = resolve(&m["schema"], named);
                    assert!(m.get("example").is_some(), "{method} {path} has no example");
                    for p in crate::platform::schema::validate(&m["example"], &schema) {
                        problems.push(format!("{method} {path}: {}: {}", p.field, p.message));
                    }
                }
            }
        }
        assert!(n > 250, "{n} bodies");
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// wrangler.toml's `[env.production.vars]`, with the secrets production needs, read with
    /// every product's settings: refused,
    /// naming every setting that still says "set-me"; accepted once they are set.
    #[test]
    fn the_production_section_is_refused_until_its_placeholders_are_set() {
        crate::platform::product::install(ALL);
        let toml = include_str!("../../wrangler.toml");
        let section = toml
            .split("[env.production.vars]")
            .nth(1)
            .expect("[env.production.vars]");
        let mut pairs: Vec<(String, String)> = section
            .lines()
            .take_while(|l| !l.starts_with('['))
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
            .collect();
        pairs.extend(
            [
                ("GATEWAY_TOKEN", "a-gateway-token-0123456789abcdef"),
                ("VAULT_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
                ("EMAIL_API_KEY", "re_0123456789"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let run = |p: &[(String, String)]| {
            let secret = (
                "JWT_SECRET".to_string(),
                "0123456789abcdef0123456789abcdef-test".to_string(),
            );
            let all: Vec<(String, String)> = p.iter().cloned().chain([secret]).collect();
            Config::from_lookup(|k| all.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
        };
        let placeholders: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| v.starts_with("set-me"))
            .map(|(k, _)| k.clone())
            .collect();
        assert!(placeholders.len() >= 6, "{placeholders:?}");
        let named = settings_named(&run(&pairs).expect_err("placeholders refused"));
        for p in &placeholders {
            assert!(named.contains(p), "{p} is not refused: {named:?}");
        }
        let real = |k: &str| match k {
            "PUBLIC_URL" => "https://api.example.org",
            "CORS_ORIGINS" => "https://app.example.org",
            "EMAIL_FROM" => "Example <no-reply@example.org>",
            "SUI_GRAPHQL_URL" => "https://graphql.mainnet.sui.io/graphql",
            "ESCROW_ADDRESS" => {
                "0x1111111111111111111111111111111111111111111111111111111111111111"
            }
            _ => "0xdba34672e30cb065b1f93e3ab55318768fd6fef66c15942c9f7cb846e2f900e7::usdc::USDC",
        };
        let mut set = pairs.clone();
        for (k, v) in set.iter_mut().filter(|(_, v)| v.starts_with("set-me")) {
            *v = real(k).to_string();
        }
        let c = run(&set).expect("the production section, once set, is accepted");
        assert!(c.stage.is_production());
    }
}
