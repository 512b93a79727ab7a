//! Masking: keep a few leading/trailing characters, replace the rest.

use serde::Deserialize;

/// Replace all but `keep_start` leading and `keep_end` trailing characters by
/// `mask`, keeping the length (e.g. a phone number `0301234567` → `03******67`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mask {
    /// Leading characters kept.
    #[serde(default)]
    pub keep_start: usize,
    /// Trailing characters kept.
    #[serde(default)]
    pub keep_end: usize,
    /// The replacement character.
    #[serde(default = "star")]
    pub mask: char,
}

fn star() -> char {
    '*'
}

impl Mask {
    /// The masked value (characters, not bytes; a value shorter than what is
    /// kept is masked entirely, so short values never pass through unchanged).
    pub fn apply(&self, value: &str) -> String {
        let chars: Vec<char> = value.chars().collect();
        if self.keep_start + self.keep_end >= chars.len() {
            return std::iter::repeat_n(self.mask, chars.len()).collect();
        }
        let end = chars.len() - self.keep_end;
        chars.iter().enumerate().map(|(i, &c)| if i < self.keep_start || i >= end { c } else { self.mask }).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_ends_and_never_passes_short_values() {
        let m = Mask { keep_start: 2, keep_end: 2, mask: '*' };
        assert_eq!(m.apply("0301234567"), "03******67");
        assert_eq!(m.apply("Müller"), "Mü**er");
        assert_eq!(m.apply("abc"), "***");
        assert_eq!(m.apply(""), "");
    }
}
