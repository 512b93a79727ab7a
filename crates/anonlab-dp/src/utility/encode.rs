//! Turns columns into cells: the discretization every utility measure shares.
//!
//! The bins come from the REAL table only. The evaluation is the data
//! owner's, run on their side and never released, so reading exact quantiles
//! of the real data is fine here; deriving bins from the synthetic table
//! instead would let a poor synthesizer move the goal posts.

use anonlab_table::Column;
use anonlab_table::datatype::{self, DataType, Parsed};
use rustc_hash::FxHashMap;
use serde::Serialize;

/// How a column is measured, decided from the real table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ColumnKind {
    /// Integers or decimals: quantile bins for marginals, Pearson correlation.
    Numeric,
    /// Dates: like numbers (days since 1970-01-01).
    Date,
    /// Anything else: each distinct value is a cell of its own.
    Categorical,
}

/// The cells of one column, fixed by the real table and applied to every
/// other table so all of them are counted in the same cells.
#[derive(Debug)]
pub(crate) struct Coder {
    pub name: String,
    pub kind: ColumnKind,
    /// Parses a value to a number (numeric and date kinds).
    number_type: Option<DataType>,
    /// Bin `i` holds values with exactly `i` edges at or below them.
    edges: Vec<f64>,
    /// Value cells of the real table (bins plus, for numbers, a NULL cell).
    base: u32,
    /// Real values → cells (categorical kind).
    index: FxHashMap<String, u32>,
    /// Values of other tables the real table lacks, each a cell of its own
    /// (a category the synthesizer invented, an unparsable number).
    extras: FxHashMap<String, u32>,
}

/// One table's column seen through a [`Coder`].
#[derive(Debug)]
pub(crate) struct Encoded {
    /// The cell of each row.
    pub cells: Vec<u32>,
    /// The number of each row for numeric and date kinds (NaN for NULL or an
    /// unparsable value); `None` for categorical columns.
    pub values: Option<Vec<f64>>,
}

/// Whole tables encoded, column by column in the real table's order.
#[derive(Debug)]
pub(crate) struct EncodedTable {
    pub columns: Vec<Encoded>,
    pub rows: usize,
}

impl Coder {
    /// Decides the kind and the bins of `column` of the real table.
    pub fn from_real(column: &Column, bins: usize) -> Coder {
        let null = column.null_code();
        let non_null = || column.dictionary().iter().enumerate().filter(move |(c, _)| Some(*c as u32) != null);
        let effective = match column.data_type() {
            DataType::String => datatype::infer(non_null().map(|(_, v)| v.as_str())),
            other => other.clone(),
        };
        let (kind, number_type) = match effective {
            DataType::Integer | DataType::Decimal => (ColumnKind::Numeric, Some(effective)),
            DataType::Date { .. } => (ColumnKind::Date, Some(effective)),
            DataType::String | DataType::OrderedString { .. } => (ColumnKind::Categorical, None),
        };
        let mut coder = Coder {
            name: column.name().to_string(),
            kind,
            number_type,
            edges: Vec::new(),
            base: 0,
            index: FxHashMap::default(),
            extras: FxHashMap::default(),
        };
        match &coder.number_type {
            Some(ty) => {
                let freq = column.frequencies();
                let mut weighted: Vec<(f64, u64)> = non_null()
                    .filter_map(|(c, v)| number(ty, v).map(|x| (x, freq[c])))
                    .filter(|&(_, n)| n > 0)
                    .collect();
                weighted.sort_by(|a, b| a.0.total_cmp(&b.0));
                coder.edges = quantile_edges(&weighted, bins);
                // The bins, then one cell for NULL.
                coder.base = coder.edges.len() as u32 + 2;
            }
            None => {
                coder.index = column.dictionary().iter().enumerate().map(|(c, v)| (v.clone(), c as u32)).collect();
                coder.base = column.dictionary().len() as u32;
            }
        }
        coder
    }

    /// How many cells the column has so far: the real table's, plus one per
    /// value of an encoded table the real table lacks.
    pub fn cells(&self) -> u32 {
        self.base + self.extras.len() as u32
    }

    /// Cells of values the real table lacks, found so far.
    pub fn unseen(&self) -> usize {
        self.extras.len()
    }

    /// The cell and number of each dictionary entry of `column`.
    pub fn encode(&mut self, column: &Column) -> Encoded {
        let null = column.null_code();
        let mut cell_of = Vec::with_capacity(column.dictionary().len());
        let mut number_of = Vec::with_capacity(column.dictionary().len());
        for (code, value) in column.dictionary().iter().enumerate() {
            let (cell, x) = match &self.number_type {
                Some(_) if Some(code as u32) == null => (self.base - 1, f64::NAN),
                Some(ty) => match number(ty, value) {
                    Some(x) => (self.edges.partition_point(|&e| e <= x) as u32, x),
                    None => (self.extra(value), f64::NAN),
                },
                None => match self.index.get(value.as_str()) {
                    Some(&c) => (c, f64::NAN),
                    None => (self.extra(value), f64::NAN),
                },
            };
            cell_of.push(cell);
            number_of.push(x);
        }
        let codes = column.codes();
        Encoded {
            cells: codes.iter().map(|&c| cell_of[c as usize]).collect(),
            values: self.number_type.as_ref().map(|_| codes.iter().map(|&c| number_of[c as usize]).collect()),
        }
    }

    fn extra(&mut self, value: &str) -> u32 {
        let next = self.base + self.extras.len() as u32;
        *self.extras.entry(value.to_string()).or_insert(next)
    }
}

/// A value as a number under the real column's type. Integers and decimals
/// parse alike, so a synthesizer that writes `42.0` for `42` still lands in
/// the right bin.
fn number(ty: &DataType, value: &str) -> Option<f64> {
    match ty {
        DataType::Integer | DataType::Decimal => value.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        DataType::Date { .. } => match ty.parse(value) {
            Ok(Some(Parsed::Date(d))) => Some(d.signed_duration_since(Default::default()).num_days() as f64),
            _ => None,
        },
        _ => None,
    }
}

/// Cut points of at most `bins` bins holding about equal shares of the real
/// values (`sorted`: distinct values ascending with their counts). A column
/// with no more distinct values than bins keeps each value in a bin of its
/// own, cut halfway between neighbours, so a synthetic value between two real
/// ones lands with the nearer. Heavy ties merge bins (a column that is 90 %
/// zeros has one bin for the zeros); values beyond the real range fall in the
/// end bins.
fn quantile_edges(sorted: &[(f64, u64)], bins: usize) -> Vec<f64> {
    if sorted.len() <= bins {
        return sorted.windows(2).map(|w| w[0].0 + (w[1].0 - w[0].0) / 2.0).collect();
    }
    let total: u64 = sorted.iter().map(|&(_, n)| n).sum();
    let min = sorted[0].0;
    let mut edges: Vec<f64> = Vec::with_capacity(bins);
    let (mut at, mut below) = (0usize, 0u64);
    for i in 1..bins as u64 {
        // The value of 0-based rank ⌊i·n/bins⌋ opens bin i.
        let rank = (u128::from(i) * u128::from(total) / bins as u128) as u64;
        while below + sorted[at].1 <= rank {
            below += sorted[at].1;
            at += 1;
        }
        let edge = sorted[at].0;
        if edge > min && edges.last().is_none_or(|&last| edge > last) {
            edges.push(edge);
        }
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_edges_split_evenly_and_merge_ties() {
        let values: Vec<(f64, u64)> = (1..=100).map(|v| (v as f64, 1)).collect();
        assert_eq!(quantile_edges(&values, 4), vec![26.0, 51.0, 76.0]);
        // Few distinct values: one bin each, cut halfway.
        assert_eq!(quantile_edges(&[(0.0, 5), (1.0, 5), (3.0, 1)], 10), vec![0.5, 2.0]);
        // 90 % zeros: the zeros share one bin, no empty bin below them.
        let mut skewed = vec![(0.0, 900)];
        skewed.extend((1..=100).map(|v| (v as f64, 1)));
        let edges = quantile_edges(&skewed, 10);
        assert_eq!(edges[0], 1.0);
        assert!(edges.windows(2).all(|w| w[0] < w[1]));
    }
}
