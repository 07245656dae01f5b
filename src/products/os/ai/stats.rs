//! Statistics the AI helpers compute exactly from the user's rows: means, medians,
//! percentiles, least-squares lines, Pearson and Spearman correlation, robust z-scores.
//! Pure functions over plain numbers, unit-tested natively.

pub fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

pub fn median(xs: &[f64]) -> Option<f64> {
    percentile(xs, 50.0)
}

/// Linear interpolation between closest ranks (`p` in 0–100).
pub fn percentile(xs: &[f64], p: f64) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut v = xs.to_vec();
    crate::platform::sort::sort_by(&mut v, |a, b| a.total_cmp(b));
    let rank = (p.clamp(0.0, 100.0) / 100.0) * (v.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (rank - lo as f64))
}

/// Least-squares line `y = intercept + slope·x`.
pub fn linear_fit(xs: &[f64], ys: &[f64]) -> Option<(f64, f64)> {
    if xs.len() != ys.len() || xs.len() < 2 {
        return None;
    }
    let (mx, my) = (mean(xs)?, mean(ys)?);
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = sxy / sxx;
    Some((my - slope * mx, slope))
}

/// Pearson's r; `None` when a side has no variance or there are fewer than 2 pairs.
pub fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    if xs.len() != ys.len() || xs.len() < 2 {
        return None;
    }
    let (mx, my) = (mean(xs)?, mean(ys)?);
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let syy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx.sqrt() * syy.sqrt()))
}

/// Ranks from 1, ties sharing their mean rank.
pub fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..xs.len()).collect();
    crate::platform::sort::sort_by(&mut idx, |a, b| xs[*a].total_cmp(&xs[*b]));
    let mut out = vec![0.0; xs.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && xs[idx[j + 1]] == xs[idx[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for k in &idx[i..=j] {
            out[*k] = rank;
        }
        i = j + 1;
    }
    out
}

/// Spearman's ρ: Pearson's r of the ranks.
pub fn spearman(xs: &[f64], ys: &[f64]) -> Option<f64> {
    pearson(&ranks(xs), &ranks(ys))
}

/// Robust z-scores: 0.6745·(x − median) / MAD. `None` when the MAD is 0.
pub fn robust_z(xs: &[f64]) -> Option<Vec<f64>> {
    let m = median(xs)?;
    let deviations: Vec<f64> = xs.iter().map(|x| (x - m).abs()).collect();
    let mad = median(&deviations)?;
    (mad > 0.0).then(|| xs.iter().map(|x| 0.6745 * (x - m) / mad).collect())
}

/// Rounded to `places` decimals, for figures shown to people.
pub fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_numbers_panic() {
        let mut g = crate::platform::text::arbitrary::Gen::new(37);
        for _ in 0..5_000 {
            let n = g.below(12);
            let xs: Vec<f64> = (0..n).map(|_| g.float()).collect();
            let ys: Vec<f64> = (0..n).map(|_| g.float()).collect();
            let _ = (
                mean(&xs),
                median(&xs),
                percentile(&xs, g.float()),
                linear_fit(&xs, &ys),
            );
            let _ = (
                pearson(&xs, &ys),
                spearman(&xs, &ys),
                robust_z(&xs),
                round(g.float(), g.below(12) as i32),
            );
        }
    }

    #[test]
    fn centre_and_spread() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 75.0), Some(4.0));
        assert_eq!(mean(&[]), None);
    }

    #[test]
    fn lines_and_correlations() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        let ys = [2.0, 4.1, 5.9, 8.2, 9.8];
        let (a, b) = linear_fit(&xs, &ys).expect("fit");
        assert!(
            (b - 1.97).abs() < 1e-9 && (a - 0.09).abs() < 1e-9,
            "{a} {b}"
        );
        let r = pearson(&xs, &ys).expect("r");
        assert!((r - 0.998_829_649_3).abs() < 1e-9, "{r}");
        let rho = spearman(&xs, &[10.0, 20.0, 30.0, 40.0, 1000.0]).expect("rho");
        assert!((rho - 1.0).abs() < 1e-12, "monotonic: {rho}");
        assert_eq!(pearson(&xs, &[1.0; 5]), None);
        assert_eq!(ranks(&[10.0, 20.0, 20.0, 5.0]), vec![2.0, 3.5, 3.5, 1.0]);
    }

    #[test]
    fn robust_z_flags_the_outlier() {
        let xs = [10.0, 11.0, 9.0, 10.0, 12.0, 10.0, 40.0, 11.0, 9.0];
        let z = robust_z(&xs).expect("z");
        let flagged: Vec<usize> = z
            .iter()
            .enumerate()
            .filter(|(_, z)| z.abs() > 3.5)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(flagged, [6]);
        assert_eq!(robust_z(&[5.0; 4]), None);
    }
}
