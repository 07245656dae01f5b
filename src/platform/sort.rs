//! The worker's one sorting routine. Every `sort_by` of the standard library is compiled
//! anew for each element type and comparison it is called with (a few kilobytes of wasm
//! each: the 33 call sites cost 92 KB of the module). Here the standard stable sort runs
//! once, on indices, with the comparison behind a `&dyn`, and the elements are then moved
//! into place along the permutation's cycles: a few hundred bytes per call site instead.
//! Stable, `O(n log n)` comparisons, one `Vec<usize>` of scratch. `clippy.toml` refuses
//! the standard library's sorts elsewhere.

use std::cmp::Ordering;

/// Sorts `v` by `cmp`, keeping the order of equal elements.
pub fn sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    let order = {
        let v: &[T] = v;
        permutation(v.len(), &|a, b| cmp(&v[a], &v[b]))
    };
    apply(v, order);
}

/// Sorts `v` by a key of each element, keeping the order of equal keys.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` in ascending order.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// The positions of `0..n` in sorted order: `order[i]` is the index of the element that
/// goes to position `i`.
#[allow(clippy::disallowed_methods)]
fn permutation(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| cmp(*a, *b));
    order
}

/// Moves each element to its place, one cycle of the permutation at a time.
fn apply<T>(v: &mut [T], mut order: Vec<usize>) {
    for i in 0..v.len() {
        let mut j = i;
        loop {
            let k = order[j];
            order[j] = j;
            if k == i || k == j {
                break;
            }
            v.swap(j, k);
            j = k;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn sorts_like_the_standard_library_and_keeps_ties_in_order() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for n in [0usize, 1, 2, 3, 7, 64, 1000] {
            for _ in 0..20 {
                // (key, original position): ties on the key show stability.
                let v: Vec<(u64, usize)> = (0..n).map(|i| (next() % 8, i)).collect();
                let mut ours = v.clone();
                sort_by_key(&mut ours, |x| x.0);
                let mut std = v.clone();
                std.sort_by_key(|x| x.0);
                assert_eq!(ours, std);
                let mut desc = v.clone();
                sort_by(&mut desc, |a, b| b.cmp(a));
                let mut std_desc = v;
                std_desc.sort_by(|a, b| b.cmp(a));
                assert_eq!(desc, std_desc);
            }
        }
        let mut words = vec!["pear".to_string(), "apple".into(), "fig".into()];
        sort(&mut words);
        assert_eq!(words, ["apple", "fig", "pear"]);
    }
}
