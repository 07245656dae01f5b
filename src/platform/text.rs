//! Plain-language text helpers the parsers share, written so that no input can make them
//! panic: every offset they find is found in the same text they cut.
//!
//! Case-folding with `str::to_lowercase` can change a text's length (the Kelvin sign U+212A
//! is 3 bytes, its lowercase `k` is 1; `İ` becomes two characters), so an offset found in
//! a lowercase copy may not be a character boundary of the original. [`fold`] lowercases
//! ASCII only: the copy has the same bytes at the same offsets except for `A`–`Z`, so any
//! offset found in it cuts the original on a boundary. The parsers' keywords are ASCII,
//! so nothing they look for is missed.

/// `s` with ASCII letters lowercased and every other byte where it was: offsets into the
/// result are offsets into `s`.
pub fn fold(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// The text of `s` from byte `at` on, or `""` when `at` is not a boundary of it.
pub fn after(s: &str, at: usize) -> &str {
    s.get(at..).unwrap_or("")
}

/// `s` without the first occurrence of `needle` (found case-insensitively for ASCII), or
/// `None` when it does not occur.
pub fn remove_folded(s: &str, needle: &str) -> Option<String> {
    let at = fold(s).find(&fold(needle))?;
    let (before, rest) = (s.get(..at)?, s.get(at + needle.len()..)?);
    Some(format!("{before}{rest}"))
}

/// `s` with its first character in upper case (which may be more than one character:
/// `ß` → `SS`).
pub fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The first `max` characters of `s`.
pub fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// A word reduced to what its inflections share ("meditated" ~ "meditate", "running" ~
/// "run", "plans" ~ "plan"): letters and digits only, lower-cased, then the first of
/// `-ing`, `-ed`, `-es`, `-s`, `-e` that leaves at least three characters is taken off, and a
/// doubled final consonant is undone. One stemmer for every product's matching.
pub fn stem(word: &str) -> String {
    let w: String = word
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let mut out: Vec<char> = w.chars().collect();
    for suffix in ["ing", "ed", "es", "s", "e"] {
        let n = suffix.chars().count();
        if out.len() >= n + 3 && out[out.len() - n..].iter().copied().eq(suffix.chars()) {
            out.truncate(out.len() - n);
            break;
        }
    }
    if let [.., a, b] = out.as_slice() {
        if out.len() > 3 && a == b && a.is_alphabetic() && !"aeiou".contains(*a) {
            out.pop();
        }
    }
    out.into_iter().collect()
}

/// Random text and numbers for the property tests of every parser: strings built from the
/// words a parser looks for, interleaved with the characters that break naive text code
/// (case-changing ones whose lowercase has another length, combining marks, emoji, right-to-
/// left text, NUL), and numbers from the ordinary to the extreme.
#[cfg(test)]
pub mod arbitrary {
    /// A small deterministic generator (xorshift64*), so a failure names its seed.
    pub struct Gen(u64);

    /// Characters that break code which assumes one byte per character or a stable length
    /// under case changes.
    pub const TRICKY: &[&str] = &[
        "\u{212a}", // KELVIN SIGN: lowercase `k`, 3 bytes → 1
        "\u{130}",  // İ: lowercase `i̇`, two characters
        "\u{1e9e}", // ẞ: lowercase `ß`, 3 bytes → 2
        "ß",        // uppercase `SS`
        "\u{3a3}",  // Σ: final sigma rules
        "ς",
        "ﬁ",       // ligature: uppercase `FI`
        "\u{301}", // combining acute
        "e\u{301}",
        "\u{200d}", // zero-width joiner
        "👩‍👩‍👧",
        "🎉",
        "\u{202e}", // right-to-left override
        "שלום",
        "مرحبا",
        "\0",
        "\u{feff}",
        "\u{85}",
        "\u{2028}",
        "Ⅻ",
        "İlker",
        "ÉTUDE",
        "\u{10ffff}",
        "\t",
        "\n",
        " ",
        "  ",
        "'",
        "\"",
        "“",
        ",",
        ".",
        "?",
        "$",
        "€",
        "-",
        ":",
        "#",
        "0",
        "7",
        "99999999999999999999",
        "-1",
        "1e308",
        "2100-12-31",
        "2101-01-01",
        "262143-12-31",
    ];

    impl Gen {
        pub fn new(seed: u64) -> Self {
            Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }

        pub fn bits(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        pub fn below(&mut self, n: usize) -> usize {
            (self.bits() % n.max(1) as u64) as usize
        }

        pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }

        /// Any character, weighted towards the planes where text lives.
        pub fn char(&mut self) -> char {
            let c = match self.below(4) {
                0 => self.below(0x80) as u32,
                1 => self.below(0x800) as u32,
                2 => self.below(0x1_0000) as u32,
                _ => self.below(0x11_0000) as u32,
            };
            char::from_u32(c).unwrap_or('\u{fffd}')
        }

        /// A text of up to `parts` pieces: `words` (the parser's vocabulary, in any case),
        /// [`TRICKY`] characters and random ones.
        pub fn text(&mut self, words: &[&str], parts: usize) -> String {
            let mut s = String::new();
            for _ in 0..self.below(parts + 1) {
                match self.below(6) {
                    0 | 1 if !words.is_empty() => {
                        let w = self.pick(words);
                        match self.below(3) {
                            0 => s.push_str(&w.to_uppercase()),
                            1 => s.push_str(&super::capitalize(w)),
                            _ => s.push_str(w),
                        }
                    }
                    2 | 3 => s.push_str(self.pick(TRICKY)),
                    4 => s.push(' '),
                    _ => s.push(self.char()),
                }
            }
            s
        }

        /// A finite float from zero to the extremes, of either sign.
        pub fn float(&mut self) -> f64 {
            let x = match self.below(8) {
                0 => 0.0,
                1 => f64::MAX,
                2 => f64::MIN_POSITIVE,
                3 => 1e-7 * self.below(1000) as f64,
                4 => 10f64.powi(self.below(309) as i32),
                5 => f64::from_bits(self.bits()),
                _ => self.below(1_000_000) as f64 / 7.0,
            };
            let x = if x.is_finite() { x } else { 1e300 };
            if self.below(2) == 0 {
                -x
            } else {
                x
            }
        }

        /// An integer from the small to the extremes of `i64`.
        pub fn int(&mut self) -> i64 {
            match self.below(6) {
                0 => i64::MAX,
                1 => i64::MIN,
                2 => self.bits() as i64,
                3 => -(self.below(1000) as i64),
                _ => self.below(10_000) as i64,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::arbitrary::{Gen, TRICKY};
    use super::*;

    #[test]
    fn folding_keeps_every_offset() {
        for s in TRICKY
            .iter()
            .chain(["ADD TAS\u{212a}K x", "İİİ URGENT", "ẞẞ"].iter())
        {
            let f = fold(s);
            assert_eq!(f.len(), s.len());
            for (i, _) in f.char_indices() {
                assert!(s.is_char_boundary(i), "{s:?} at {i}");
            }
        }
        assert_eq!(fold("Add İlker"), "add İlker");
    }

    #[test]
    fn removing_and_capitalizing_never_cut_a_character() {
        assert_eq!(
            remove_folded("İİİ URGENT call", " urgent").as_deref(),
            Some("İİİ call")
        );
        assert_eq!(remove_folded("x", "urgent"), None);
        assert_eq!(capitalize("étude du marché"), "Étude du marché");
        assert_eq!(capitalize("ßig"), "SSig");
        assert_eq!(capitalize("🎉 party"), "🎉 party");
        assert_eq!(capitalize(""), "");
        assert_eq!(after("İx", 1), "");
        assert_eq!(after("İx", 2), "x");
        let mut g = Gen::new(7);
        for _ in 0..20_000 {
            let s = g.text(&["urgent", "add"], 12);
            let n = g.text(&["urgent"], 3);
            let _ = remove_folded(&s, &n);
            let _ = capitalize(&s);
            let _ = after(&s, g.below(s.len() + 2));
            let _ = stem(&s);
        }
    }

    #[test]
    fn one_stemmer_for_every_inflection() {
        for (a, b) in [
            ("meditated", "meditate"),
            ("running", "run"),
            ("plans", "plan"),
            ("read", "reading"),
            ("Marathon", "marathons"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} ~ {b}");
        }
        assert_ne!(stem("read"), stem("run"));
        assert_eq!(stem("ÉTUDES"), "étud");
    }
}
