//! Exact splits: every cent goes to someone, the shares add up to the total, and the
//! remainder cents go one each to the first people in the order they were named.

/// Shares of `total` cents by `weights` (equal split: all 1). `None` when there is nobody
/// or a weight is zero.
pub fn split(total: i64, weights: &[u32]) -> Option<Vec<i64>> {
    if weights.is_empty() || weights.contains(&0) || total < 0 {
        return None;
    }
    let sum: i64 = weights.iter().map(|w| i64::from(*w)).sum();
    let mut shares: Vec<i64> = weights
        .iter()
        .map(|w| total * i64::from(*w) / sum)
        .collect();
    let mut left = total - shares.iter().sum::<i64>();
    // Fewer than `weights.len()` cents are left; one each, in the stated order.
    for s in shares.iter_mut() {
        if left == 0 {
            break;
        }
        *s += 1;
        left -= 1;
    }
    Some(shares)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_splits_give_the_remainder_to_the_first() {
        assert_eq!(split(10_000, &[1, 1, 1]), Some(vec![3334, 3333, 3333]));
        assert_eq!(split(1, &[1, 1]), Some(vec![1, 0]));
        assert_eq!(split(8450, &[1, 1, 1]), Some(vec![2817, 2817, 2816]));
        assert_eq!(split(5, &[1; 4]), Some(vec![2, 1, 1, 1]));
    }

    #[test]
    fn weighted_splits_add_up() {
        assert_eq!(split(9000, &[2, 1]), Some(vec![6000, 3000]));
        assert_eq!(split(1000, &[2, 1]), Some(vec![667, 333]));
        for total in [1, 7, 99, 1_000_000_000] {
            for w in [vec![1, 2, 3], vec![5, 5], vec![1; 7]] {
                let s = split(total, &w).expect("split");
                assert_eq!(s.iter().sum::<i64>(), total);
            }
        }
        assert_eq!(split(100, &[]), None);
        assert_eq!(split(100, &[1, 0]), None);
    }
}
