//! Does a generalized release value cover an original value? The attacker's
//! matching rule for generalized releases: a release record is a candidate
//! for a target when each of its quasi-identifier values contains the
//! target's value.

use anonlab_table::hierarchy::Hierarchy;
use rustc_hash::{FxHashMap, FxHashSet};

/// The containment rule of one column.
#[derive(Debug, Default)]
pub struct Cover {
    /// Leaves under each label of the column's hierarchy, when one is known.
    leaves: FxHashMap<String, FxHashSet<String>>,
    /// The hierarchy's leaves (the original values).
    values: FxHashSet<String>,
}

impl Cover {
    /// A rule that knows the column's hierarchy (ARX format: leaf, then one
    /// label per level), so any of its labels covers exactly its leaves.
    pub fn with_hierarchy(hierarchy: &Hierarchy) -> Self {
        let mut leaves: FxHashMap<String, FxHashSet<String>> = FxHashMap::default();
        for row in hierarchy.rows() {
            let Some(leaf) = row.first() else { continue };
            for label in &row[1..] {
                leaves.entry(label.clone()).or_default().insert(leaf.clone());
            }
        }
        let values = hierarchy.rows().iter().filter_map(|r| r.first().cloned()).collect();
        Cover { leaves, values }
    }

    /// True when `label` is a label or a leaf of the hierarchy, or full suppression.
    pub fn knows(&self, label: &str) -> bool {
        label.trim().chars().all(|c| c == '*') || self.leaves.contains_key(label) || self.values.contains(label)
    }

    /// True when the release value `label` covers the original value `value`.
    ///
    /// In order: equal values; a label of the hierarchy covering its leaves;
    /// full suppression (`*`, `****`); a masked prefix (`130**` covers `13053`);
    /// a numeric range `a-b` (inclusive, as Mondrian writes it), `[a, b[` or
    /// `[a, b)` (upper end excluded, as ARX's interval hierarchies write it),
    /// `[a, b]`; a set `{a, b, c}`.
    pub fn covers(&self, label: &str, value: &str) -> bool {
        if label == value {
            return true;
        }
        if let Some(leaves) = self.leaves.get(label) {
            return leaves.contains(value);
        }
        let label = label.trim();
        let value = value.trim();
        if !label.is_empty() && label.chars().all(|c| c == '*') {
            return true;
        }
        if let Some(prefix) = label.strip_suffix('*').map(|l| l.trim_end_matches('*'))
            && label.chars().count() == value.chars().count()
        {
            return value.starts_with(prefix);
        }
        if let Some(inner) = label.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
            return inner.split(',').any(|v| v.trim() == value);
        }
        let Ok(x) = value.parse::<f64>() else { return false };
        range(label).is_some_and(|(low, high, high_included)| x >= low && (x < high || (high_included && x == high)))
    }
}

/// Parses `a-b`, `[a, b[`, `[a, b)` or `[a, b]` into (low, high, high included).
fn range(label: &str) -> Option<(f64, f64, bool)> {
    if let Some(inner) = label.strip_prefix('[') {
        let (body, included) = if let Some(b) = inner.strip_suffix(']') {
            (b, true)
        } else {
            (inner.strip_suffix('[').or_else(|| inner.strip_suffix(')'))?, false)
        };
        let (a, b) = body.split_once(',')?;
        return Some((a.trim().parse().ok()?, b.trim().parse().ok()?, included));
    }
    // `a-b`, where a may be negative: split at a '-' that is not the first character.
    let cut = label.char_indices().skip(1).find(|&(_, c)| c == '-').map(|(i, _)| i)?;
    let (a, b) = (&label[..cut], &label[cut + 1..]);
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_forms_cover_their_values() {
        let c = Cover::default();
        assert!(c.covers("35", "35"));
        assert!(c.covers("*", "anything"));
        assert!(c.covers("130**", "13053"));
        assert!(!c.covers("130**", "13153"));
        assert!(!c.covers("130**", "1305"));
        assert!(c.covers("30-39", "39"));
        assert!(!c.covers("30-39", "40"));
        assert!(c.covers("[30, 40[", "39.5"));
        assert!(!c.covers("[30, 40[", "40"));
        assert!(c.covers("[30, 40]", "40"));
        assert!(c.covers("-10--5", "-7"));
        assert!(c.covers("{a, b}", "b"));
        assert!(!c.covers("{a, b}", "c"));
        assert!(!c.covers("Male", "Female"));
    }

    #[test]
    fn hierarchy_labels_cover_exactly_their_leaves() {
        let h = Hierarchy::try_new(vec![
            vec!["Bachelors".into(), "Undergraduate".into(), "Higher education".into(), "*".into()],
            vec!["Masters".into(), "Graduate".into(), "Higher education".into(), "*".into()],
            vec!["9th".into(), "Secondary".into(), "Secondary".into(), "*".into()],
        ])
        .unwrap();
        let c = Cover::with_hierarchy(&h);
        assert!(c.covers("Higher education", "Masters"));
        assert!(!c.covers("Higher education", "9th"));
        assert!(c.covers("*", "9th"));
    }
}
