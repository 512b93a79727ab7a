//! Research subsets: the sample to publish, given as rows of the input table
//! (which is then the population), for δ-presence and k-map with a population table.

use anonlab_table::Table;
use rustc_hash::FxHashMap;

use crate::error::{Error, Result};

/// Finds the rows of `population` that `subset` lists, with ARX's
/// `DataSubset.create` semantics: each subset record is matched, on the text of
/// every column, to the first input row with the same values not already
/// matched. Returns the matched row indices, sorted.
///
/// The subset must have the input's columns (in any order). A subset record
/// that matches no remaining input row is an error naming the file and row.
pub fn match_rows(population: &Table, subset: &Table) -> Result<Vec<u32>> {
    let file = subset.source().map_or_else(|| "the research subset".to_string(), |p| p.display().to_string());
    if subset.columns().len() != population.columns().len() {
        return Err(Error::spec(format!(
            "{file}: the research subset has {} columns, the input {}; it must have the same columns",
            subset.columns().len(),
            population.columns().len()
        )));
    }
    // Per subset column: the input column and, per subset code, the input code of the same text.
    let mut columns = Vec::with_capacity(subset.columns().len());
    for column in subset.columns() {
        let index = population.column_index(column.name()).map_err(|_| {
            Error::spec(format!("{file}: column '{}' of the research subset is not in the input", column.name()))
        })?;
        let input = population.column(index);
        let by_text: FxHashMap<&str, u32> =
            input.dictionary().iter().enumerate().map(|(code, v)| (v.as_str(), code as u32)).collect();
        let codes: Vec<Option<u32>> = column.dictionary().iter().map(|v| by_text.get(v.as_str()).copied()).collect();
        columns.push((index, codes));
    }
    let width = columns.len();
    let mut order: Vec<usize> = columns.iter().map(|c| c.0).collect();
    order.sort_unstable();
    // Input rows by their codes in input column order; each list ascending, consumed from the front.
    let mut rows: FxHashMap<Vec<u32>, std::collections::VecDeque<u32>> = FxHashMap::default();
    for r in 0..population.rows() {
        let key = order.iter().map(|&c| population.column(c).codes()[r]).collect();
        rows.entry(key).or_default().push_back(r as u32);
    }
    let position: Vec<usize> = columns.iter().map(|(index, _)| order.binary_search(index).expect("listed")).collect();
    let mut matched = Vec::with_capacity(subset.rows());
    let mut key = vec![0u32; width];
    for r in 0..subset.rows() {
        let mut known = true;
        for (j, (_, codes)) in columns.iter().enumerate() {
            match codes[subset.column(j).codes()[r] as usize] {
                Some(code) => key[position[j]] = code,
                None => known = false,
            }
        }
        let row = if known { rows.get_mut(&key).and_then(|q| q.pop_front()) } else { None };
        let Some(row) = row else {
            let values: Vec<&str> = subset.columns().iter().map(|c| c.value(r)).collect();
            return Err(Error::spec(format!(
                "{file}: data row {} ({}) matches no {}row of the input",
                r + 1,
                values.join(";"),
                if known && rows.contains_key(&key) { "remaining " } else { "" }
            )));
        };
        matched.push(row);
    }
    matched.sort_unstable();
    Ok(matched)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anonlab_table::io::csv::{CsvOptions, read_csv};

    fn table(dir: &std::path::Path, name: &str, text: &str) -> Table {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        read_csv(&path, &CsvOptions::default()).unwrap()
    }

    #[test]
    fn matches_each_record_to_the_first_unused_equal_row() {
        let dir = tempfile::tempdir().unwrap();
        let population = table(dir.path(), "p.csv", "a,b\n1,x\n2,y\n1,x\n3,z\n");
        // Columns in another order; the duplicate takes the second equal row.
        let subset = table(dir.path(), "s.csv", "b,a\nx,1\nz,3\nx,1\n");
        assert_eq!(match_rows(&population, &subset).unwrap(), vec![0, 2, 3]);
    }

    #[test]
    fn names_the_file_and_row_of_a_record_without_match() {
        let dir = tempfile::tempdir().unwrap();
        let population = table(dir.path(), "p.csv", "a,b\n1,x\n2,y\n");
        let err = match_rows(&population, &table(dir.path(), "s.csv", "a,b\n1,x\n1,x\n")).unwrap_err().to_string();
        assert!(err.contains("s.csv: data row 2 (1;x) matches no remaining row"), "{err}");
        let err = match_rows(&population, &table(dir.path(), "t.csv", "a,b\n9,x\n")).unwrap_err().to_string();
        assert!(err.contains("t.csv: data row 1 (9;x) matches no row"), "{err}");
        let err = match_rows(&population, &table(dir.path(), "u.csv", "a,c\n1,x\n")).unwrap_err().to_string();
        assert!(err.contains("column 'c' of the research subset is not in the input"), "{err}");
    }
}
