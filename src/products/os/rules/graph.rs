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

/// An edge of `edges` that lies on a cycle, if the graph has one: its index. One
/// depth-first pass, O(nodes + edges), so a whole imported graph is checked at once
/// instead of one reachability search per edge.
pub fn cycle_edge(edges: &[(String, String)]) -> Option<usize> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (a, b) in edges {
        for n in [a.as_str(), b.as_str()] {
            let next = index.len();
            index.entry(n).or_insert(next);
        }
    }
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); index.len()];
    for (i, (a, b)) in edges.iter().enumerate() {
        out[index[a.as_str()]].push((index[b.as_str()], i));
    }
    // 0 unvisited, 1 on the current path, 2 done.
    let mut state = vec![0u8; index.len()];
    for root in 0..index.len() {
        if state[root] != 0 {
            continue;
        }
        // (node, position in its edge list)
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some(top) = stack.last_mut() {
            let (node, pos) = *top;
            match out[node].get(pos) {
                Some(&(next, edge)) => {
                    top.1 += 1;
                    match state[next] {
                        1 => return Some(edge),
                        0 => {
                            state[next] = 1;
                            stack.push((next, 0));
                        }
                        _ => {}
                    }
                }
                None => {
                    state[node] = 2;
                    stack.pop();
                }
            }
        }
    }
    None
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
    fn cycle_edge_finds_an_edge_on_the_cycle_in_linear_time() {
        assert_eq!(cycle_edge(&[]), None);
        assert_eq!(cycle_edge(&[e("a", "a")]), Some(0));
        let diamond = vec![e("a", "b"), e("a", "c"), e("b", "d"), e("c", "d")];
        assert_eq!(cycle_edge(&diamond), None);
        let mut looped = diamond.clone();
        looped.push(e("d", "a"));
        let i = cycle_edge(&looped).expect("cycle");
        // The edge reported lies on the cycle: removing it breaks this one.
        let mut without = looped.clone();
        without.remove(i);
        assert!(would_cycle(&without, &looped[i].0, &looped[i].1));
        // A long chain (the import attack's shape) is checked in one pass.
        let n = 200_000;
        let mut chain: Vec<(String, String)> = (0..n)
            .map(|k| (format!("t{k}"), format!("t{}", k + 1)))
            .collect();
        assert_eq!(cycle_edge(&chain), None);
        chain.push((format!("t{n}"), "t0".into()));
        assert!(cycle_edge(&chain).is_some());
    }

    #[test]
    fn diamonds_are_not_cycles() {
        let edges = vec![e("a", "b"), e("a", "c"), e("b", "d"), e("c", "d")];
        assert!(!would_cycle(&edges, "a", "d"));
        assert!(would_cycle(&edges, "d", "a"));
    }
}
