//! The tables one attack compares (original, release, control), encoded once
//! on a common footing: the same columns, one dictionary per categorical
//! column shared by all tables (so "equal" means the same code everywhere),
//! and one range per numeric column, the release's, for all tables (so
//! distances are comparable between the attack on the original and the one
//! on the control).

use std::hash::{BuildHasher, Hash, Hasher};

use anonlab_table::datatype::{DataType, Parsed, infer};
use anonlab_table::{Column, Table};
use chrono::NaiveDate;
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::error::{Error, Result};

/// The code of NULL in a categorical column.
pub const NULL: u32 = u32::MAX;

/// How a column is compared.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Numbers (integers, decimals; dates as days since 1970): ordered, and
    /// at distance `|a − b| / range`.
    Numeric {
        /// Smallest value of the release (of all tables when the release has no spread).
        min: f64,
        /// Largest minus smallest value, taken like `min` (1 when they are equal).
        range: f64,
    },
    /// Anything else: equal or not, at distance 0 or 1.
    Categorical {
        /// Every distinct value of all tables, sorted; codes index it.
        dictionary: Vec<String>,
    },
}

/// One column of the common schema.
#[derive(Debug, Clone)]
pub struct Field {
    /// The column's header.
    pub name: String,
    /// How it is compared.
    pub kind: Kind,
}

/// The columns of one table, encoded.
#[derive(Debug, Clone)]
pub enum Values {
    /// Numbers, NaN for NULL.
    Numeric(Vec<f64>),
    /// Codes into the field's dictionary, [`NULL`] for NULL.
    Categorical(Vec<u32>),
}

impl Values {
    fn select(&self, rows: &[usize]) -> Values {
        match self {
            Values::Numeric(v) => Values::Numeric(rows.iter().map(|&r| v[r]).collect()),
            Values::Categorical(v) => Values::Categorical(rows.iter().map(|&r| v[r]).collect()),
        }
    }

    /// The value in `row` as bits that are equal exactly when the values are
    /// (all NaNs alike, -0 as 0).
    pub fn bits(&self, row: usize) -> u64 {
        match self {
            Values::Numeric(v) => numeric_bits(v[row]),
            Values::Categorical(v) => u64::from(v[row]),
        }
    }
}

fn numeric_bits(x: f64) -> u64 {
    if x.is_nan() {
        f64::NAN.to_bits()
    } else if x == 0.0 {
        0
    } else {
        x.to_bits()
    }
}

/// One table in the common encoding.
#[derive(Debug, Clone)]
pub struct Frame {
    rows: usize,
    columns: Vec<Values>,
}

impl Frame {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The encoded column at schema position `index`.
    pub fn column(&self, index: usize) -> &Values {
        &self.columns[index]
    }

    /// The given rows, in the given order.
    pub fn select(&self, rows: &[usize]) -> Frame {
        Frame { rows: rows.len(), columns: self.columns.iter().map(|c| c.select(rows)).collect() }
    }

    /// Row indices of the first occurrence of each distinct row over
    /// `columns`, in order of appearance.
    pub fn first_distinct(&self, columns: &[usize]) -> Vec<usize> {
        let mut seen: FxHashMap<Vec<u64>, ()> = FxHashMap::default();
        (0..self.rows)
            .filter(|&r| seen.insert(columns.iter().map(|&c| self.columns[c].bits(r)).collect(), ()).is_none())
            .collect()
    }

    /// The table without repeated rows (first occurrences, in order) — what
    /// Anonymeter's singling-out evaluator works on.
    pub fn unique(&self) -> Frame {
        let all: Vec<usize> = (0..self.columns.len()).collect();
        self.select(&self.first_distinct(&all))
    }

    /// A hash of row `row` over `columns`, equal for equal rows.
    pub fn row_hash(&self, row: usize, columns: &[usize]) -> u64 {
        let mut h = FxBuildHasher.build_hasher();
        for &c in columns {
            self.columns[c].bits(row).hash(&mut h);
        }
        h.finish()
    }
}

/// Several tables in one encoding.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// The common columns.
    pub fields: Vec<Field>,
    /// The tables, in the order given to [`encode`].
    pub frames: Vec<Frame>,
}

impl Encoded {
    /// Schema position of the column `name`, or an error listing the columns.
    pub fn position(&self, name: &str) -> Result<usize> {
        self.fields.iter().position(|f| f.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
            Error::invalid(format!("unknown column '{name}'; the tables' columns are: {}", names.join(", ")))
        })
    }

    /// Schema positions of several columns.
    pub fn positions(&self, names: &[String]) -> Result<Vec<usize>> {
        names.iter().map(|n| self.position(n)).collect()
    }
}

/// Encodes `tables` (each with a display name for messages; the release
/// first) over `columns`
/// (all columns of the first table when empty). Every table must have every
/// column; a column is numeric when every non-empty value of every table is a
/// number or an ISO date, and categorical otherwise.
pub fn encode(tables: &[(&str, &Table)], columns: &[String]) -> Result<Encoded> {
    let Some((_, first)) = tables.first() else {
        return Err(Error::internal("encode needs at least one table"));
    };
    let names: Vec<String> =
        if columns.is_empty() { first.names().map(str::to_string).collect() } else { columns.to_vec() };
    for (label, table) in tables {
        if table.rows() == 0 {
            return Err(Error::invalid(format!("the {label} table has no rows")));
        }
        for name in &names {
            if table.column_index(name).is_err() {
                let have: Vec<&str> = table.names().collect();
                return Err(Error::invalid(format!(
                    "the {label} table has no column '{name}'; it has: {}",
                    have.join(", ")
                )));
            }
        }
    }
    let mut fields = Vec::with_capacity(names.len());
    let mut per_table: Vec<Vec<Values>> = vec![Vec::with_capacity(names.len()); tables.len()];
    for name in &names {
        let cols: Vec<&Column> =
            tables.iter().map(|(_, t)| t.column(t.column_index(name).expect("checked above"))).collect();
        let (kind, values) = encode_column(&cols);
        fields.push(Field { name: name.clone(), kind });
        for (slot, v) in per_table.iter_mut().zip(values) {
            slot.push(v);
        }
    }
    let frames = per_table.into_iter().zip(tables).map(|(columns, (_, t))| Frame { rows: t.rows(), columns }).collect();
    Ok(Encoded { fields, frames })
}

fn non_null(c: &Column) -> impl Iterator<Item = &str> {
    c.dictionary().iter().enumerate().filter(move |(i, _)| Some(*i as u32) != c.null_code()).map(|(_, v)| v.as_str())
}

fn encode_column(cols: &[&Column]) -> (Kind, Vec<Values>) {
    let declared = cols[0].data_type();
    let data_type = if matches!(declared, DataType::String) {
        infer(cols.iter().flat_map(|c| non_null(c)))
    } else {
        declared.clone()
    };
    if matches!(data_type, DataType::Integer | DataType::Decimal | DataType::Date { .. }) {
        let values: Vec<Vec<f64>> = cols.iter().map(|c| numbers(c, &data_type)).collect();
        if values.iter().flatten().any(|x| !x.is_nan()) || cols.iter().all(|c| c.distinct() == c.null_count() as usize)
        {
            // The scale is the first table's range (the release: what the
            // attacker holds), the same for every table, so the attack on the
            // original and the one on the control use one metric; all tables'
            // range only when the first has no spread.
            let (mut min, mut max) = spread(values[0].iter());
            if max <= min {
                (min, max) = spread(values.iter().flatten());
            }
            let range = if max > min { max - min } else { 1.0 };
            let min = if min.is_finite() { min } else { 0.0 };
            return (Kind::Numeric { min, range }, values.into_iter().map(Values::Numeric).collect());
        }
    }
    let mut dictionary: Vec<String> = cols.iter().flat_map(|c| non_null(c)).map(str::to_string).collect();
    dictionary.sort_unstable();
    dictionary.dedup();
    let index: FxHashMap<&str, u32> = dictionary.iter().enumerate().map(|(i, v)| (v.as_str(), i as u32)).collect();
    let values = cols
        .iter()
        .map(|c| {
            let map: Vec<u32> = c
                .dictionary()
                .iter()
                .enumerate()
                .map(|(i, v)| if Some(i as u32) == c.null_code() { NULL } else { index[v.as_str()] })
                .collect();
            Values::Categorical(c.codes().iter().map(|&code| map[code as usize]).collect())
        })
        .collect();
    (Kind::Categorical { dictionary }, values)
}

/// The smallest and largest non-NaN value (infinities when there is none).
fn spread<'a>(values: impl Iterator<Item = &'a f64>) -> (f64, f64) {
    values.filter(|x| !x.is_nan()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

/// Every row's number (NaN for NULL or a value that does not parse).
fn numbers(c: &Column, data_type: &DataType) -> Vec<f64> {
    let by_code: Vec<f64> = c
        .dictionary()
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if Some(i as u32) == c.null_code() {
                return f64::NAN;
            }
            match data_type.parse(v) {
                Ok(Some(Parsed::Integer(x))) => x as f64,
                Ok(Some(Parsed::Decimal(x))) => x,
                Ok(Some(Parsed::Date(d))) => d.signed_duration_since(NaiveDate::default()).num_days() as f64,
                _ => f64::NAN,
            }
        })
        .collect();
    c.codes().iter().map(|&code| by_code[code as usize]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::table;

    #[test]
    fn shares_dictionaries_and_ranges_across_tables() {
        let a = table("age,sex\n30,m\n40,f\n");
        let b = table("age,sex\n20,x\n,f\n");
        let e = encode(&[("release", &a), ("original", &b)], &[]).unwrap();
        assert_eq!(e.fields[0].kind, Kind::Numeric { min: 30.0, range: 10.0 });

        assert_eq!(e.fields[1].kind, Kind::Categorical { dictionary: vec!["f".into(), "m".into(), "x".into()] });
        let Values::Categorical(sex_b) = e.frames[1].column(1) else { panic!() };
        assert_eq!(sex_b, &vec![2, 0]);
        let Values::Numeric(age_b) = e.frames[1].column(0) else { panic!() };
        assert!(age_b[1].is_nan());
    }

    #[test]
    fn a_column_that_is_not_numeric_everywhere_is_categorical() {
        let a = table("age\n30\n40\n");
        let b = table("age\n30-39\n40\n");
        let e = encode(&[("original", &a), ("release", &b)], &[]).unwrap();
        assert!(matches!(e.fields[0].kind, Kind::Categorical { .. }));
    }

    #[test]
    fn missing_columns_and_empty_tables_are_named() {
        let a = table("age\n30\n");
        let b = table("sex\nm\n");
        let err = encode(&[("original", &a), ("release", &b)], &[]).unwrap_err().to_string();
        assert!(err.contains("release table has no column 'age'"), "{err}");
    }

    #[test]
    fn unique_keeps_first_occurrences() {
        let a = table("x,y\n1,a\n2,b\n1,a\n3,a\n2,b\n");
        let e = encode(&[("original", &a)], &[]).unwrap();
        assert_eq!(e.frames[0].first_distinct(&[0, 1]), vec![0, 1, 3]);
        assert_eq!(e.frames[0].unique().rows(), 3);
    }
}
