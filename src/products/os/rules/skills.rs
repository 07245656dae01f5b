//! The skill tree: skills with prerequisites (acyclic, checked with `graph::would_cycle`)
//! and levels from 0 (not started) to the skill's max level.
//! - A skill is **unlocked** when every prerequisite has reached level 1; only unlocked
//!   skills go above 0, and a prerequisite cannot drop back to 0 while a skill that needs
//!   it is above 0. So the tree never shows progress on a skill whose basis is missing.
//! - A skill's **tier** is its depth: 0 without prerequisites, else 1 + the highest tier of
//!   its prerequisites (how a client lays the tree out).

use std::collections::HashMap;

use super::graph;

/// Why a level change is refused, if it is.
pub fn level_change(
    new_level: i64,
    prerequisites: &[i64],
    dependents: &[i64],
) -> Result<(), &'static str> {
    if new_level > 0 && prerequisites.iter().any(|l| *l < 1) {
        return Err("a prerequisite has not reached level 1 yet");
    }
    if new_level == 0 && dependents.iter().any(|l| *l > 0) {
        return Err("a skill that requires this one is above level 0");
    }
    Ok(())
}

pub fn unlocked(prerequisites: &[i64]) -> bool {
    prerequisites.iter().all(|l| *l >= 1)
}

/// Tier of every skill named in `edges` (skill → a skill it requires) or `skills`.
pub fn tiers(skills: &[&str], edges: &[(String, String)]) -> HashMap<String, u32> {
    let mut requires: HashMap<&str, Vec<&str>> = HashMap::new();
    for (s, r) in edges {
        requires.entry(s.as_str()).or_default().push(r.as_str());
    }
    let mut out: HashMap<String, u32> = HashMap::new();
    fn tier<'a>(
        s: &'a str,
        requires: &HashMap<&'a str, Vec<&'a str>>,
        out: &mut HashMap<String, u32>,
        depth: usize,
    ) -> u32 {
        if let Some(t) = out.get(s) {
            return *t;
        }
        // The graph is acyclic; the depth guard only keeps a corrupt one from recursing forever.
        let t = match requires.get(s) {
            Some(rs) if depth < 10_000 => rs
                .iter()
                .map(|r| tier(r, requires, out, depth + 1) + 1)
                .max()
                .unwrap_or(0),
            _ => 0,
        };
        out.insert(s.to_string(), t);
        t
    }
    for s in skills {
        tier(s, &requires, &mut out, 0);
    }
    out
}

/// Checks a whole tree (as imported): levels within bounds and locks respected, no cycle
/// (one pass over the graph, however large).
pub fn check_tree(levels: &HashMap<String, i64>, edges: &[(String, String)]) -> Result<(), String> {
    if let Some(i) = graph::cycle_edge(edges) {
        let (s, r) = &edges[i];
        return Err(format!("{s} → {r} closes a cycle"));
    }
    for (s, r) in edges {
        if levels.get(s).copied().unwrap_or(0) > 0 && levels.get(r).copied().unwrap_or(0) < 1 {
            return Err(format!(
                "{s} is above level 0 but its prerequisite {r} is not"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(a: &str, b: &str) -> (String, String) {
        (a.into(), b.into())
    }

    #[test]
    fn levels_need_started_prerequisites() {
        assert_eq!(level_change(1, &[], &[]), Ok(()));
        assert!(level_change(1, &[1, 0], &[]).is_err());
        assert_eq!(level_change(3, &[1, 5], &[]), Ok(()));
        assert!(
            level_change(0, &[], &[0, 2]).is_err(),
            "a dependent is started"
        );
        assert_eq!(level_change(0, &[], &[0]), Ok(()));
        assert_eq!(level_change(2, &[], &[3]), Ok(()), "lowering but not to 0");
        assert!(unlocked(&[]));
        assert!(!unlocked(&[2, 0]));
    }

    #[test]
    fn tiers_are_longest_prerequisite_chains() {
        // web → (html, js); js → html; react → js
        let edges = vec![
            e("web", "html"),
            e("web", "js"),
            e("js", "html"),
            e("react", "js"),
        ];
        let t = tiers(&["html", "js", "web", "react", "alone"], &edges);
        assert_eq!(t["html"], 0);
        assert_eq!(t["js"], 1);
        assert_eq!(t["web"], 2);
        assert_eq!(t["react"], 2);
        assert_eq!(t["alone"], 0);
    }

    #[test]
    fn whole_trees_are_checked() {
        let e = |a: &str, b: &str| (a.to_string(), b.to_string());
        let levels: HashMap<String, i64> =
            [("a".into(), 1), ("b".into(), 0), ("c".into(), 2)].into();
        assert!(check_tree(&levels, &[e("c", "a"), e("b", "a")]).is_ok());
        assert!(
            check_tree(&levels, &[e("a", "b")]).is_err(),
            "a started, b not"
        );
        assert!(check_tree(&levels, &[e("b", "c"), e("c", "a"), e("a", "b")]).is_err());
        assert!(
            check_tree(&levels, &[e("c", "a"), e("a", "c")]).is_err(),
            "a cycle"
        );
    }
}
