//! A small seeded generator for deterministic synthetic data (same seed, same values).

/// SplitMix64: small, fast, good enough for varied synthetic data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }

    /// `n` distinct indexes below `len` (n ≤ len).
    pub fn distinct(&mut self, len: usize, n: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..len).collect();
        for i in 0..n.min(len) {
            let j = i + (self.next_u64() % (len - i) as u64) as usize;
            idx.swap(i, j);
        }
        idx.truncate(n.min(len));
        idx
    }
}
