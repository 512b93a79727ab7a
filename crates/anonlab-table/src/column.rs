//! One dictionary-encoded column: `u32` codes into a dictionary of distinct values.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use crate::datatype::{DataType, Parsed};
use crate::error::{Error, Result};

/// A dictionary-encoded column. Each row holds a `u32` code; the dictionary
/// holds each distinct value once, so memory grows with distinct values, not
/// with rows × width. NULL (an empty field) is an explicit code of its own.
#[derive(Debug, Clone)]
pub struct Column {
    name: String,
    data_type: DataType,
    dictionary: Vec<String>,
    /// 1-based input line where each dictionary value first appeared (for errors).
    first_lines: Vec<u64>,
    null_code: Option<u32>,
    codes: Vec<u32>,
}

impl Column {
    /// The column's name (its header).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The declared or inferred data type.
    pub fn data_type(&self) -> &DataType {
        &self.data_type
    }

    /// The distinct values; code `c` stands for `dictionary()[c]`.
    pub fn dictionary(&self) -> &[String] {
        &self.dictionary
    }

    /// The code that stands for NULL, if the column has NULLs.
    pub fn null_code(&self) -> Option<u32> {
        self.null_code
    }

    /// One code per row.
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// The value of `row` (empty string for NULL).
    pub fn value(&self, row: usize) -> &str {
        &self.dictionary[self.codes[row] as usize]
    }

    /// Number of distinct values, NULL included.
    pub fn distinct(&self) -> usize {
        self.dictionary.len()
    }

    /// Number of NULL cells.
    pub fn null_count(&self) -> u64 {
        match self.null_code {
            Some(null) => self.codes.iter().filter(|&&c| c == null).count() as u64,
            None => 0,
        }
    }

    /// The input line where the value with `code` first appeared, if known.
    pub fn first_line(&self, code: u32) -> Option<u64> {
        self.first_lines.get(code as usize).copied().filter(|&l| l > 0)
    }

    /// The rows `rows` of this column, in that order, with the same dictionary
    /// and codes: hierarchies validated against this column stay valid for the
    /// subset (iterative local recoding re-anonymizes subsets this way).
    pub fn select(&self, rows: &[u32]) -> Column {
        Column { codes: rows.iter().map(|&r| self.codes[r as usize]).collect(), ..self.clone_without_codes() }
    }

    fn clone_without_codes(&self) -> Column {
        Column {
            name: self.name.clone(),
            data_type: self.data_type.clone(),
            dictionary: self.dictionary.clone(),
            first_lines: self.first_lines.clone(),
            null_code: self.null_code,
            codes: Vec::new(),
        }
    }

    /// How many rows hold each code.
    pub fn frequencies(&self) -> Vec<u64> {
        let mut freq = vec![0u64; self.dictionary.len()];
        for &c in &self.codes {
            freq[c as usize] += 1;
        }
        freq
    }

    /// Declares the column's type: parses every distinct value and re-codes the
    /// column so codes follow the type's order (NULL last). A value that does
    /// not parse is an error naming the value and the line it first appears on.
    pub fn set_data_type(&mut self, data_type: DataType) -> Result<()> {
        let mut parsed: Vec<(Option<Parsed>, u32)> = Vec::with_capacity(self.dictionary.len());
        for (code, value) in self.dictionary.iter().enumerate() {
            let code = code as u32;
            if Some(code) == self.null_code {
                continue;
            }
            let p = data_type.parse(value).map_err(|e| {
                let e = e.in_column(&self.name);
                match self.first_line(code) {
                    Some(line) => e.at_line(line),
                    None => e,
                }
            })?;
            parsed.push((p, code));
        }
        match data_type {
            DataType::String => {
                parsed.sort_by(|a, b| self.dictionary[a.1 as usize].cmp(&self.dictionary[b.1 as usize]))
            }
            _ => parsed.sort_by(|a, b| {
                let (x, y) = (a.0.as_ref(), b.0.as_ref());
                x.zip(y).map(|(x, y)| DataType::compare(x, y)).unwrap_or(std::cmp::Ordering::Equal)
            }),
        }
        let mut order: Vec<u32> = parsed.into_iter().map(|(_, c)| c).collect();
        order.extend(self.null_code);
        self.reorder(&order);
        self.data_type = data_type;
        Ok(())
    }

    /// Parsed value of each dictionary entry in code order (`None` for NULL or strings).
    pub fn parsed_values(&self) -> Vec<Option<Parsed>> {
        self.dictionary
            .iter()
            .enumerate()
            .map(|(c, v)| if Some(c as u32) == self.null_code { None } else { self.data_type.parse(v).ok().flatten() })
            .collect()
    }

    /// The number of each dictionary entry for integer and decimal columns
    /// (NaN for NULL and for any other type), indexed by code.
    pub fn numbers(&self) -> Vec<f64> {
        self.parsed_values()
            .into_iter()
            .map(|p| match p {
                Some(Parsed::Integer(v)) => v as f64,
                Some(Parsed::Decimal(v)) => v,
                _ => f64::NAN,
            })
            .collect()
    }

    /// Renumbers codes so that new code `i` is old code `order[i]`.
    fn reorder(&mut self, order: &[u32]) {
        let mut remap = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old as usize] = new as u32;
        }
        self.dictionary = order.iter().map(|&o| std::mem::take(&mut self.dictionary[o as usize])).collect();
        self.first_lines = order.iter().map(|&o| self.first_lines[o as usize]).collect();
        self.null_code = self.null_code.map(|n| remap[n as usize]);
        for c in &mut self.codes {
            *c = remap[*c as usize];
        }
    }
}

/// Builds a column row by row, interning each distinct value once.
///
/// The index finds a value's code by hashing it. A value of at most
/// [`SHORT`] bytes (numbers, dates, codes: nearly every value of a medical
/// table) is held in its index entry, packed into two words, so a lookup
/// compares two words in the entry itself; comparing with the dictionary's
/// string took a pointer chase and a `memcmp` call per value (a third of the
/// time of reading 10 M rows). Longer values are compared with their
/// dictionary entry, so each is stored once (a map from strings would hold a
/// second copy: on a near-unique column of 10 M rows, half a gigabyte more at
/// the peak).
pub struct ColumnBuilder {
    name: String,
    lookup: HashTable<Entry>,
    hasher: FxBuildHasher,
    dictionary: Vec<String>,
    first_lines: Vec<u64>,
    null_code: Option<u32>,
    codes: Vec<u32>,
}

/// Values this long or shorter are packed into their index entry.
const SHORT: usize = 15;

/// An index entry: the value packed (bytes, then its length in the last
/// byte; [`LONG`] for a longer value) and its code.
#[derive(Debug, Clone, Copy)]
struct Entry {
    packed: [u64; 2],
    code: u32,
}

/// The packing of every value longer than [`SHORT`] (no short value packs
/// to it: a packed value's last byte is its length, at least 1).
const LONG: [u64; 2] = [0, 0];

/// `value` packed into two words with its length, if it is short. Built in
/// registers: copying the bytes into a buffer and loading words back stalled
/// on every value (a store the load cannot forward).
#[inline]
fn pack(value: &[u8]) -> Option<[u64; 2]> {
    let n = value.len();
    if n > SHORT {
        return None;
    }
    let [low, high] = match value.split_first_chunk::<8>() {
        Some((first, rest)) => [u64::from_le_bytes(*first), little_endian(rest)],
        None => [little_endian(value), 0],
    };
    Some([low, high | (n as u64) << 56])
}

/// Up to 8 bytes as a little-endian word.
#[inline]
fn little_endian(bytes: &[u8]) -> u64 {
    bytes.iter().rev().fold(0u64, |word, &b| (word << 8) | u64::from(b))
}

/// The hash of a packed value (one multiply; the index uses its top bits for
/// control bytes and low bits for the bucket, both mixed by the multiply).
#[inline]
fn hash_packed(packed: [u64; 2]) -> u64 {
    (packed[0] ^ packed[1].rotate_left(32).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_mul(0xD6E8_FEB8_6659_FD93)
        .rotate_left(26)
}

impl std::fmt::Debug for ColumnBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColumnBuilder").field("name", &self.name).field("distinct", &self.dictionary.len()).finish()
    }
}

impl ColumnBuilder {
    /// Starts an empty column called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        ColumnBuilder {
            name: name.into(),
            lookup: HashTable::new(),
            hasher: FxBuildHasher,
            dictionary: Vec::new(),
            first_lines: Vec::new(),
            null_code: None,
            codes: Vec::new(),
        }
    }

    /// The column's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Makes room for `rows` more rows, so a large input is not copied as the column grows.
    pub fn reserve(&mut self, rows: usize) {
        self.codes.reserve(rows);
    }

    /// Appends a value; an empty field is NULL. `line` is the 1-based input line.
    pub fn push(&mut self, value: &str, line: u64) -> Result<()> {
        if value.is_empty() {
            let code = match self.null_code {
                Some(c) => c,
                None => {
                    let c = self.intern_new(String::new(), line)?;
                    self.null_code = Some(c);
                    c
                }
            };
            self.codes.push(code);
            return Ok(());
        }
        let packed = pack(value.as_bytes());
        let hash = match packed {
            Some(packed) => hash_packed(packed),
            None => self.hasher.hash_one(value),
        };
        let dictionary = &self.dictionary;
        let found = match packed {
            Some(packed) => self.lookup.find(hash, |e| e.packed == packed),
            None => self.lookup.find(hash, |e| e.packed == LONG && dictionary[e.code as usize] == value),
        };
        let code = match found {
            Some(e) => e.code,
            None => {
                let code = self.intern_new(value.to_string(), line)?;
                let (dictionary, hasher) = (&self.dictionary, &self.hasher);
                let entry = Entry { packed: packed.unwrap_or(LONG), code };
                self.lookup.insert_unique(hash, entry, |e| match e.packed {
                    LONG => hasher.hash_one(dictionary[e.code as usize].as_str()),
                    packed => hash_packed(packed),
                });
                code
            }
        };
        self.codes.push(code);
        Ok(())
    }

    fn intern_new(&mut self, value: String, line: u64) -> Result<u32> {
        let code = u32::try_from(self.dictionary.len())
            .ok()
            .filter(|&c| c < u32::MAX)
            .ok_or_else(|| Error::schema("more than 2^32-1 distinct values").in_column(&self.name))?;
        self.dictionary.push(value);
        self.first_lines.push(line);
        Ok(code)
    }

    /// Finishes the column as a plain string column.
    pub fn finish(self) -> Column {
        Column {
            name: self.name,
            data_type: DataType::String,
            dictionary: self.dictionary,
            first_lines: self.first_lines,
            null_code: self.null_code,
            codes: self.codes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: &[&str]) -> Column {
        let mut b = ColumnBuilder::new("c");
        for (i, v) in values.iter().enumerate() {
            b.push(v, i as u64 + 2).unwrap();
        }
        b.finish()
    }

    #[test]
    fn integer_columns_are_ordered_by_value_with_null_last() {
        let mut c = column(&["10", "", "9", "10", "100"]);
        c.set_data_type(DataType::Integer).unwrap();
        assert_eq!(c.dictionary(), &["9", "10", "100", ""]);
        assert_eq!(c.codes(), &[1, 3, 0, 1, 2]);
        assert_eq!(c.null_code(), Some(3));
        assert_eq!(c.null_count(), 1);
    }

    #[test]
    fn numbers_follow_codes_with_nan_for_null() {
        let mut c = column(&["2.5", "", "-1"]);
        c.set_data_type(DataType::Decimal).unwrap();
        let n = c.numbers();
        assert_eq!((n[0], n[1]), (-1.0, 2.5));
        assert!(n[2].is_nan());
        assert!(column(&["a"]).numbers()[0].is_nan());
    }

    #[test]
    fn type_error_names_column_and_line() {
        let mut c = column(&["1", "2", "x"]);
        let err = c.set_data_type(DataType::Integer).unwrap_err();
        assert_eq!(err.location().line, Some(4));
        assert_eq!(err.location().column.as_deref(), Some("c"));
        assert!(err.to_string().contains("'x' is not an integer"), "{err}");
    }
}
