//! A hierarchy validated and encoded against one column's dictionary.

use rustc_hash::FxHashMap;

use super::Hierarchy;
use crate::column::Column;
use crate::error::{Error, Result};

/// One generalization level of a column.
#[derive(Debug, Clone)]
pub struct Level {
    labels: Vec<String>,
    of_value: Vec<u32>,
    up: Vec<u32>,
    leaves: Vec<u64>,
}

impl Level {
    /// The distinct labels at this level that some data value generalizes to.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Label code of each column code (data value) at this level.
    pub fn of_value(&self) -> &[u32] {
        &self.of_value
    }

    /// Label code at the next level for each label code here (empty at the top).
    pub fn up(&self) -> &[u32] {
        &self.up
    }

    /// Number of hierarchy rows (whether or not their value occurs in the data)
    /// under each label: ARX's domain share numerator for loaded hierarchies.
    pub fn leaves(&self) -> &[u64] {
        &self.leaves
    }
}

/// A column's hierarchy in the engine's form: for each level, a code for every
/// data value and the map to the next level's codes.
///
/// Built only through [`Generalization::try_new`], which checks that every data
/// value is covered, that each level only coarsens the one below (every label
/// has one parent), and that the top level is a single value.
#[derive(Debug, Clone)]
pub struct Generalization {
    column: String,
    levels: Vec<Level>,
    domain_size: u64,
}

impl Generalization {
    /// Validates `hierarchy` against `column` and encodes it.
    ///
    /// NULL data values match a hierarchy row whose original value is empty or `NULL`.
    pub fn try_new(column: &Column, hierarchy: &Hierarchy) -> Result<Self> {
        let name = column.name();
        let in_col = |e: Error| e.in_column(name);
        let rows = hierarchy.rows();
        let height = hierarchy.levels();

        // Original value -> hierarchy row; a repeated value must repeat its row exactly.
        let mut row_of: FxHashMap<&str, usize> = FxHashMap::default();
        for (i, row) in rows.iter().enumerate() {
            if let Some(&prev) = row_of.get(row[0].as_str()) {
                if rows[prev] != *row {
                    return Err(in_col(hierarchy.locate(
                        Error::hierarchy(format!("value '{}' appears twice with different generalizations", row[0])),
                        i,
                    )));
                }
            } else {
                row_of.insert(row[0].as_str(), i);
            }
        }

        // Levels only coarsen: each label at level l has exactly one parent at l + 1.
        for level in 0..height.saturating_sub(1) {
            let mut parent: FxHashMap<&str, (&str, usize)> = FxHashMap::default();
            for (i, row) in rows.iter().enumerate() {
                let (child, up) = (row[level].as_str(), row[level + 1].as_str());
                match parent.get(child) {
                    Some(&(p, first)) if p != up => {
                        return Err(in_col(hierarchy.locate(
                            Error::hierarchy(format!(
                                "level {level} value '{child}' generalizes to '{p}' (row {}) and to '{up}' at level {}: levels must only coarsen",
                                first + 1,
                                level + 1
                            )),
                            i,
                        )));
                    }
                    Some(_) => {}
                    None => {
                        parent.insert(child, (up, i));
                    }
                }
            }
        }
        let top = &rows[0][height - 1];
        if let Some(i) = rows.iter().position(|r| &r[height - 1] != top) {
            return Err(in_col(hierarchy.locate(
                Error::hierarchy(format!(
                    "the top level must be one value, but it has '{top}' and '{}'",
                    rows[i][height - 1]
                )),
                i,
            )));
        }

        // Every data value must be covered.
        let mut row_of_code = Vec::with_capacity(column.distinct());
        for (code, value) in column.dictionary().iter().enumerate() {
            let is_null = Some(code as u32) == column.null_code();
            let found =
                if is_null { row_of.get("").or_else(|| row_of.get("NULL")) } else { row_of.get(value.as_str()) };
            let Some(&row) = found else {
                let shown = if is_null { "NULL (empty field)".to_string() } else { format!("'{value}'") };
                let mut e = Error::hierarchy(format!(
                    "value {shown} of the data is missing from the hierarchy{}",
                    hierarchy.source().map(|p| format!(" {}", p.display())).unwrap_or_default()
                ))
                .in_column(name);
                if let Some(line) = column.first_line(code as u32) {
                    e = e.at_line(line);
                }
                return Err(e);
            };
            row_of_code.push(row);
        }

        let mut levels = Vec::with_capacity(height);
        for level in 0..height {
            let mut code_of: FxHashMap<&str, u32> = FxHashMap::default();
            let mut labels = Vec::new();
            let of_value: Vec<u32> = row_of_code
                .iter()
                .map(|&row| {
                    let label = rows[row][level].as_str();
                    *code_of.entry(label).or_insert_with(|| {
                        labels.push(label.to_string());
                        labels.len() as u32 - 1
                    })
                })
                .collect();
            // Rows under each label, counted over the whole hierarchy as ARX's
            // DomainShareMaterialized does (values absent from the data count too).
            let mut leaves = vec![0u64; labels.len()];
            for row in rows {
                if let Some(&c) = code_of.get(row[level].as_str()) {
                    leaves[c as usize] += 1;
                }
            }
            levels.push(Level { labels, of_value, up: Vec::new(), leaves });
        }
        for level in 0..height.saturating_sub(1) {
            let mut up = vec![u32::MAX; levels[level].labels.len()];
            for code in 0..column.distinct() {
                up[levels[level].of_value[code] as usize] = levels[level + 1].of_value[code];
            }
            levels[level].up = up;
        }
        Ok(Generalization { column: name.to_string(), levels, domain_size: rows.len() as u64 })
    }

    /// The column this hierarchy generalizes.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// All levels, level 0 being the original values.
    pub fn levels(&self) -> &[Level] {
        &self.levels
    }

    /// The highest level index (number of generalization steps).
    pub fn max_level(&self) -> usize {
        self.levels.len() - 1
    }

    /// Number of rows of the hierarchy (ARX's domain size for loaded hierarchies).
    pub fn domain_size(&self) -> u64 {
        self.domain_size
    }

    /// The label of column code `code` at `level`.
    pub fn label(&self, code: u32, level: usize) -> &str {
        let l = &self.levels[level];
        &l.labels[l.of_value[code as usize] as usize]
    }

    /// Maps label codes at level `from` to label codes at level `to` (`from <= to`).
    pub fn lift(&self, from: usize, to: usize) -> Vec<u32> {
        let mut map: Vec<u32> = (0..self.levels[from].labels.len() as u32).collect();
        for level in from..to {
            let up = &self.levels[level].up;
            for m in &mut map {
                *m = up[*m as usize];
            }
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::ColumnBuilder;

    fn column(values: &[&str]) -> Column {
        let mut b = ColumnBuilder::new("zip");
        for (i, v) in values.iter().enumerate() {
            b.push(v, i as u64 + 2).unwrap();
        }
        b.finish()
    }

    fn hierarchy(rows: &[&[&str]]) -> Hierarchy {
        Hierarchy::try_new(rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect()).unwrap()
    }

    #[test]
    fn encodes_levels_and_counts_leaves() {
        let c = column(&["130", "131", "140", "130"]);
        let h = hierarchy(&[&["130", "13*", "*"], &["131", "13*", "*"], &["132", "13*", "*"], &["140", "14*", "*"]]);
        let g = Generalization::try_new(&c, &h).unwrap();
        assert_eq!(g.domain_size(), 4);
        assert_eq!(g.max_level(), 2);
        assert_eq!(g.label(0, 1), "13*");
        assert_eq!(g.levels()[1].leaves(), &[3, 1]);
        assert_eq!(g.levels()[0].up(), &[0, 0, 1]);
        assert_eq!(g.lift(0, 2), vec![0, 0, 0]);
    }

    #[test]
    fn rejects_hierarchy_missing_value() {
        let c = column(&["130", "999"]);
        let h = hierarchy(&[&["130", "*"]]);
        let err = Generalization::try_new(&c, &h).unwrap_err();
        assert!(err.to_string().contains("'999'"), "{err}");
        assert_eq!(err.location().line, Some(3));
        assert_eq!(err.location().column.as_deref(), Some("zip"));
    }

    #[test]
    fn rejects_levels_that_do_not_coarsen() {
        let c = column(&["1", "2"]);
        let h = hierarchy(&[&["1", "a", "x", "*"], &["2", "a", "y", "*"]]);
        let err = Generalization::try_new(&c, &h).unwrap_err();
        assert!(err.to_string().contains("only coarsen"), "{err}");
    }

    #[test]
    fn rejects_top_level_with_several_values() {
        let c = column(&["1", "2"]);
        let h = hierarchy(&[&["1", "a"], &["2", "b"]]);
        assert!(Generalization::try_new(&c, &h).unwrap_err().to_string().contains("top level"));
    }

    #[test]
    fn null_matches_empty_or_null_row() {
        let c = column(&["1", ""]);
        let h = hierarchy(&[&["1", "*"], &["NULL", "*"]]);
        assert!(Generalization::try_new(&c, &h).is_ok());
    }
}
