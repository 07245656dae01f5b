//! The products. This list is the one line a new product adds: the platform builds the
//! router, the settings, the scheduler's job kinds, the cron tick and its event listeners
//! from it.

use crate::platform::product::Product;

/// `products!(a, b)` declares the modules `a` and `b` and lists their `PRODUCT`s in [`ALL`].
macro_rules! products {
    ($($name:ident),+ $(,)?) => {
        $(pub mod $name;)+
        pub static ALL: &[&Product] = &[$(&$name::PRODUCT),+];
    };
}

products!(phantom, os, suiftly, assistant, money);

#[cfg(test)]
mod tests {
    use super::*;
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
            if route.auth == Auth::DevOnly {
                continue;
            }
            let op = &doc["paths"][route.path][route.method.to_lowercase()];
            assert!(op.is_object(), "{} {} missing", route.method, route.path);
            let declared = op["parameters"]
                .as_array()
                .map_or(0, |ps| ps.iter().filter(|p| p["in"] == "path").count());
            assert_eq!(declared, route.path.matches('{').count(), "{}", route.path);
            assert!(ids.insert(op["operationId"].as_str().unwrap_or("").to_string()));
        }
        assert_eq!(n, 190, "every route of the five products and the platform");
    }
}
