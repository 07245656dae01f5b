//! Task dependencies form a directed graph (task → the tasks it waits for); it must stay
//! acyclic.

use std::collections::{HashMap, HashSet};

/// Whether adding `task → depends_on` to `edges` closes a cycle: true when `task` is
/// already reachable from `depends_on` (or they are the same task).
pub fn would_cycle(edges: &[(String, String)], task: &str, depends_on: &str) -> bool {
    if task == depends_on {
        return true;
    }
    let mut next: HashMap<&str, Vec<&str>> = HashMap::new();
    for (a, b) in edges {
        next.entry(a.as_str()).or_default().push(b.as_str());
    }
    let mut seen = HashSet::new();
    let mut stack = vec![depends_on];
    while let Some(n) = stack.pop() {
        if n == task {
            return true;
        }
        if seen.insert(n) {
            stack.extend(next.get(n).into_iter().flatten());
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(a: &str, b: &str) -> (String, String) {
        (a.into(), b.into())
    }

    #[test]
    fn detects_direct_indirect_and_self_cycles() {
        let edges = vec![e("a", "b"), e("b", "c")];
        assert!(would_cycle(&edges, "c", "a"), "c → a closes a → b → c → a");
        assert!(would_cycle(&edges, "b", "a"));
        assert!(would_cycle(&edges, "a", "a"));
        assert!(!would_cycle(&edges, "a", "c"), "a shortcut is fine");
        assert!(!would_cycle(&edges, "d", "a"));
        assert!(!would_cycle(&[], "x", "y"));
    }

    #[test]
    fn diamonds_are_not_cycles() {
        let edges = vec![e("a", "b"), e("a", "c"), e("b", "d"), e("c", "d")];
        assert!(!would_cycle(&edges, "a", "d"));
        assert!(would_cycle(&edges, "d", "a"));
    }
}
