//! The router: a tree of path segments built once per isolate from the platform's routes
//! and the installed products' routes. A request walks one node per segment (a literal
//! segment before a `{param}` one), so matching costs the path's depth, not the number of
//! routes.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::platform::product::Route;

/// What a path and method found.
pub enum Match {
    Found(&'static Route, Vec<(&'static str, String)>),
    /// The path exists with other methods (listed for `Allow`).
    WrongMethod(Vec<&'static str>),
    NotFound,
}

#[derive(Default)]
struct Node {
    literal: HashMap<&'static str, Node>,
    /// A `{name}` segment: its name and the subtree.
    param: Option<(&'static str, Box<Node>)>,
    /// Routes ending here, by method.
    routes: Vec<&'static Route>,
}

pub struct Router {
    root: Node,
}

impl Router {
    pub fn new(routes: impl IntoIterator<Item = &'static Route>) -> Result<Self, String> {
        let mut root = Node::default();
        for route in routes {
            let mut node = &mut root;
            for seg in segments(route.path) {
                node = match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => {
                        let (have, child) = node
                            .param
                            .get_or_insert_with(|| (name, Box::new(Node::default())));
                        if *have != name {
                            return Err(format!(
                                "{}: parameter {{{name}}} where another route has {{{have}}}",
                                route.path
                            ));
                        }
                        child
                    }
                    None => node.literal.entry(seg).or_default(),
                };
            }
            if node.routes.iter().any(|r| r.method == route.method) {
                return Err(format!("duplicate route {} {}", route.method, route.path));
            }
            node.routes.push(route);
        }
        Ok(Self { root })
    }

    /// Finds the route for `method` and `path`. `HEAD` is served by the `GET` route.
    pub fn find(&self, method: &str, path: &str) -> Match {
        let method = if method == "HEAD" { "GET" } else { method };
        let segs: Vec<&str> = segments(path).collect();
        let mut params = Vec::new();
        let has_method = |n: &Node| n.routes.iter().any(|r| r.method == method);
        if let Some(node) = walk(&self.root, &segs, &mut params, &has_method) {
            let route = node.routes.iter().find(|r| r.method == method);
            let decoded: Option<Vec<(&'static str, String)>> = params
                .into_iter()
                .map(|(k, v)| percent_decode(v).map(|v| (k, v)))
                .collect();
            return match (route, decoded) {
                (Some(route), Some(p)) => Match::Found(route, p),
                _ => Match::NotFound,
            };
        }
        let mut ignored = Vec::new();
        let any_route = |n: &Node| !n.routes.is_empty();
        match walk(&self.root, &segs, &mut ignored, &any_route) {
            Some(node) => {
                let mut allow: Vec<&'static str> = node.routes.iter().map(|r| r.method).collect();
                allow.push("OPTIONS");
                Match::WrongMethod(allow)
            }
            None => Match::NotFound,
        }
    }
}

/// `/a/b` → `a`, `b`; the root path is one empty segment, and a trailing slash is a
/// segment of its own (so `/health/` is not `/health`).
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.strip_prefix('/').unwrap_or(path).split('/')
}

/// The node `segs` lead to that `wanted` accepts (literal segments first, then the
/// parameter, backing out of dead ends), collecting the parameter values.
fn walk<'n, 'p>(
    node: &'n Node,
    segs: &[&'p str],
    params: &mut Vec<(&'static str, &'p str)>,
    wanted: &dyn Fn(&Node) -> bool,
) -> Option<&'n Node> {
    let Some((first, rest)) = segs.split_first() else {
        return wanted(node).then_some(node);
    };
    if let Some(found) = node
        .literal
        .get(*first)
        .and_then(|child| walk(child, rest, params, wanted))
    {
        return Some(found);
    }
    let (name, child) = node.param.as_ref()?;
    if first.is_empty() {
        return None;
    }
    params.push((*name, first));
    let found = walk(child, rest, params, wanted);
    if found.is_none() {
        params.pop();
    }
    found
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

static ROUTER: OnceLock<Result<Router, String>> = OnceLock::new();

/// Every route: the platform's, then each installed product's.
pub fn routes() -> impl Iterator<Item = &'static Route> {
    crate::platform::routes::ROUTES.iter().chain(
        crate::platform::product::all()
            .iter()
            .flat_map(|p| p.routes.iter()),
    )
}

/// The router of this isolate, built at its first request.
pub fn get() -> Result<&'static Router, &'static str> {
    ROUTER
        .get_or_init(|| Router::new(routes()))
        .as_ref()
        .map_err(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::openapi::Doc;
    use crate::platform::product::{Auth, Handler};

    fn route(method: &'static str, path: &'static str) -> Route {
        Route {
            method,
            path,
            auth: Auth::Public,
            handler: Handler::Anyone(|_| {
                Box::pin(async { Err(crate::platform::error::ApiError::internal("test")) })
            }),
            doc: Doc {
                tag: "t",
                params: &[],
                summary: "",
                description: "",
                request: None,
                response: (200, crate::platform::openapi::no_body),
            },
        }
    }

    fn table() -> &'static [Route] {
        Box::leak(Box::new([
            route("GET", "/health"),
            route("GET", "/api/os/tasks"),
            route("POST", "/api/os/tasks"),
            route("GET", "/api/os/tasks/{id}"),
            route("GET", "/api/os/tasks/due"),
            route("DELETE", "/api/os/tasks/{id}"),
            route("POST", "/api/os/tasks/{id}/dependencies/{dep_id}"),
            route("GET", "/api/os/habits/{id}/logs"),
            route("DELETE", "/api/os/habits/{id}/logs/{date}"),
        ]))
    }

    fn router() -> Router {
        Router::new(table().iter()).expect("valid table")
    }

    fn found(m: Match) -> (&'static str, &'static str, Vec<(&'static str, String)>) {
        match m {
            Match::Found(r, p) => (r.method, r.path, p),
            _ => panic!("expected a route"),
        }
    }

    #[test]
    fn params_are_extracted_and_decoded() {
        let (_, path, p) = found(router().find("POST", "/api/os/tasks/a/dependencies/b%20c"));
        assert_eq!(path, "/api/os/tasks/{id}/dependencies/{dep_id}");
        assert_eq!(
            p,
            vec![("id", "a".to_string()), ("dep_id", "b c".to_string())]
        );
        assert!(matches!(
            router().find("GET", "/api/os/tasks/"),
            Match::NotFound
        ));
        assert!(matches!(
            router().find("GET", "/api/os/tasks/a/b"),
            Match::NotFound
        ));
        assert!(matches!(router().find("GET", "/health/"), Match::NotFound));
        assert!(matches!(
            router().find("GET", "/api/os/tasks/%zz"),
            Match::NotFound
        ));
    }

    #[test]
    fn literal_segments_win_over_params_and_fall_back() {
        assert_eq!(
            found(router().find("GET", "/api/os/tasks/due")).1,
            "/api/os/tasks/due"
        );
        assert_eq!(
            found(router().find("GET", "/api/os/tasks/x1")).1,
            "/api/os/tasks/{id}"
        );
        // `due` is literal under tasks, yet `/tasks/due/dependencies/x` needs the param.
        let (_, path, p) = found(router().find("POST", "/api/os/tasks/due/dependencies/x"));
        assert_eq!(path, "/api/os/tasks/{id}/dependencies/{dep_id}");
        assert_eq!(p[0], ("id", "due".to_string()));
        // The method decides too: DELETE /tasks/due is the `{id}` route.
        assert_eq!(
            found(router().find("DELETE", "/api/os/tasks/due")).1,
            "/api/os/tasks/{id}"
        );
    }

    #[test]
    fn wrong_method_lists_allowed_ones() {
        match router().find("DELETE", "/api/os/tasks") {
            Match::WrongMethod(allow) => assert_eq!(allow, vec!["GET", "POST", "OPTIONS"]),
            _ => panic!("expected 405"),
        }
        match router().find("QUERY", "/health") {
            Match::WrongMethod(allow) => assert_eq!(allow, vec!["GET", "OPTIONS"]),
            _ => panic!("expected 405"),
        }
        assert!(matches!(router().find("GET", "/nope"), Match::NotFound));
        assert!(matches!(router().find("HEAD", "/health"), Match::Found(..)));
    }

    #[test]
    fn duplicates_and_clashing_params_are_refused() {
        let dup: &'static [Route] =
            Box::leak(Box::new([route("GET", "/a/{id}"), route("GET", "/a/{id}")]));
        assert!(Router::new(dup.iter()).is_err());
        let clash: &'static [Route] = Box::leak(Box::new([
            route("GET", "/a/{id}"),
            route("GET", "/a/{name}/b"),
        ]));
        assert!(Router::new(clash.iter()).is_err());
    }
}
