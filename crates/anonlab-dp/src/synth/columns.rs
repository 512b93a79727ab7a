//! How a column's values become the synthesizer's cells and back: a public
//! [`Domain`] a data owner may declare, the cells of one column (categories
//! or numeric bins), the encoding of the input's rows into cells and the
//! decoding of sampled cells into values in the input's notation.

use std::collections::BTreeMap;

use anonlab_table::datatype::DataType;
use anonlab_table::{Column, Table};
use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Marks a row whose value the column's cells cannot hold (a category that
/// was too rare to release, a number that does not parse): the row is left
/// out of every marginal of that column.
pub(crate) const UNKNOWN: u32 = u32::MAX;

/// Days from 0001-01-01 (chrono's day 1 of the common era) to 1970-01-01:
/// dates are numbered from 1970 so the data-independent grid of bound
/// candidates resolves them to days rather than years.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// At most this many decimals are reproduced (more are noise in the input's
/// notation, not information).
pub(crate) const MAX_DECIMALS: u32 = 6;

/// A public domain: what the values of each column can be, known without
/// looking at the data (a code book, a data dictionary, a published schema).
/// Columns it describes skip the private domain discovery, which saves
/// budget and keeps rare categories that discovery would have to drop.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    /// The domain of each described column, by column name; other columns
    /// are discovered privately.
    pub columns: BTreeMap<String, ColumnSpec>,
}

/// The public domain of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ColumnSpec {
    /// Every value the column may hold; `""` stands for NULL. Values outside
    /// the list are left out of the column's marginals.
    Categories {
        /// The values, in the order the report lists them.
        values: Vec<String>,
    },
    /// Numbers between `lower` and `upper` (values outside are clamped into
    /// the end bins), written with `decimals` decimals.
    Numeric {
        /// Smallest value.
        lower: f64,
        /// Largest value.
        upper: f64,
        /// Decimals of the output (0 for integers).
        #[serde(default)]
        decimals: u32,
        /// Whether the column may be NULL (empty).
        #[serde(default)]
        nullable: bool,
    },
    /// Dates between `lower` and `upper`, both written in `format`.
    Date {
        /// Earliest date.
        lower: String,
        /// Latest date.
        upper: String,
        /// chrono's strftime format of the values (default `%Y-%m-%d`).
        #[serde(default = "default_date_format")]
        format: String,
        /// Whether the column may be NULL (empty).
        #[serde(default)]
        nullable: bool,
    },
}

fn default_date_format() -> String {
    DataType::DEFAULT_DATE_FORMAT.to_string()
}

impl Domain {
    /// The domain exactly as the data shows it: every category, the exact
    /// numeric range. NOT private — reading it looks at every record, rare
    /// values included. It is for data whose domain is public anyway (the
    /// benchmark setting of the MST paper, where the domain file ships with
    /// the data) and for tests; a release from private data must not use it.
    pub fn observed(table: &Table) -> Domain {
        let columns = table
            .columns()
            .iter()
            .map(|column| {
                let null = column.null_code();
                let values = || column.dictionary().iter().enumerate().filter(move |(c, _)| Some(*c as u32) != null);
                let nullable = null.is_some();
                let declared = match column.data_type() {
                    DataType::String => anonlab_table::datatype::infer(values().map(|(_, v)| v.as_str())),
                    other => other.clone(),
                };
                let spec = match declared {
                    DataType::Integer | DataType::Decimal => {
                        let numbers: Vec<f64> = values().filter_map(|(_, v)| parse_number(v)).collect();
                        let lower = numbers.iter().copied().fold(f64::INFINITY, f64::min);
                        let upper = numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        let decimals = values().map(|(_, v)| decimals_of(v)).max().unwrap_or(0);
                        ColumnSpec::Numeric { lower, upper, decimals, nullable }
                    }
                    DataType::Date { format } => {
                        let days: Vec<i64> = values().filter_map(|(_, v)| parse_date(v, &format)).collect();
                        let text = |d: Option<&i64>| d.map_or_else(String::new, |&d| format_date(d, &format));
                        ColumnSpec::Date {
                            lower: text(days.iter().min()),
                            upper: text(days.iter().max()),
                            format,
                            nullable,
                        }
                    }
                    DataType::String | DataType::OrderedString { .. } => {
                        ColumnSpec::Categories { values: column.dictionary().to_vec() }
                    }
                };
                (column.name().to_string(), spec)
            })
            .collect();
        Domain { columns }
    }
}

/// Decimals written in a number (`12.50` has 2); exponent notation counts
/// as the maximum, since its precision is not visible.
pub(crate) fn decimals_of(value: &str) -> u32 {
    let t = value.trim();
    if t.contains(['e', 'E']) {
        return MAX_DECIMALS;
    }
    t.split_once('.').map_or(0, |(_, frac)| (frac.len() as u32).min(MAX_DECIMALS))
}

/// A finite number, or `None`.
pub(crate) fn parse_number(value: &str) -> Option<f64> {
    value.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Days since 1970-01-01 of a date in `format`, or `None`.
pub(crate) fn parse_date(value: &str, format: &str) -> Option<i64> {
    NaiveDate::parse_from_str(value.trim(), format).ok().map(|d| i64::from(d.num_days_from_ce()) - EPOCH_DAYS_FROM_CE)
}

/// A day number (since 1970-01-01) written in `format`.
pub(crate) fn format_date(days: i64, format: &str) -> String {
    i32::try_from(days + EPOCH_DAYS_FROM_CE)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .map_or_else(String::new, |d| d.format(format).to_string())
}

/// The cells of one column: what the marginals count.
#[derive(Debug, Clone)]
pub(crate) enum Cells {
    /// One cell per category (`""` is NULL).
    Categories(Vec<String>),
    /// Equal-width bins over a range, then optionally a NULL cell.
    Bins(Bins),
}

/// Equal-width bins of a numeric or date column, then its point masses,
/// then optionally NULL. Edges and points come from a public domain or from
/// differentially private releases, never from the data directly.
#[derive(Debug, Clone)]
pub(crate) struct Bins {
    /// Left edge of the first bin.
    pub lower: f64,
    /// Width of every bin (a whole number ≥ 1 for integers and dates, so
    /// each bin holds whole values).
    pub width: f64,
    /// Number of bins.
    pub count: usize,
    /// Whether the values are whole numbers (integers, day numbers).
    pub integer: bool,
    /// Decimals of the output for non-integers.
    pub decimals: u32,
    /// The strftime format when the values are dates.
    pub date: Option<String>,
    /// Values with a cell of their own (as written in the input), after the bins.
    pub points: Vec<String>,
    /// Whether a NULL cell follows the bins and points.
    pub null: bool,
}

impl Bins {
    /// Up to `fine` bins covering `[lower, upper]`; whole-numbered columns get
    /// bins of whole width aligned on whole numbers.
    pub fn new(lower: f64, upper: f64, fine: usize, kind: NumberKind, null: bool) -> Bins {
        let (lower, upper) = if lower <= upper { (lower, upper) } else { (upper, lower) };
        let fine = fine.max(1);
        match kind {
            NumberKind::Decimal(decimals) => {
                let span = upper - lower;
                let span = if span > 0.0 { span } else { lower.abs().max(1.0) * 0.01 };
                let width = span / fine as f64;
                Bins { lower, width, count: fine, integer: false, decimals, date: None, points: Vec::new(), null }
            }
            NumberKind::Integer | NumberKind::Date(_) => {
                let lo = lower.floor();
                let values = (upper.ceil() - lo + 1.0).max(1.0);
                let width = (values / fine as f64).ceil().max(1.0);
                let count = ((values / width).ceil() as usize).max(1);
                let date = match kind {
                    NumberKind::Date(f) => Some(f),
                    _ => None,
                };
                Bins { lower: lo, width, count, integer: true, decimals: 0, date, points: Vec::new(), null }
            }
        }
    }

    /// Gives each of `points` a cell of its own.
    pub fn with_points(mut self, points: Vec<String>) -> Bins {
        self.points = points;
        self
    }

    /// Bins, points and the NULL cell.
    pub fn cells(&self) -> usize {
        self.count + self.points.len() + usize::from(self.null)
    }

    /// The NULL cell, if there is one.
    pub fn null_cell(&self) -> Option<usize> {
        self.null.then_some(self.count + self.points.len())
    }

    /// The bin of `x`; values beyond the range fall in the end bins.
    pub fn bin(&self, x: f64) -> u32 {
        let i = ((x - self.lower) / self.width).floor();
        i.clamp(0.0, (self.count - 1) as f64) as u32
    }

    /// The value range `[from, to)` of a bin.
    pub fn range(&self, bin: usize) -> (f64, f64) {
        let from = self.lower + bin as f64 * self.width;
        (from, from + self.width)
    }

    /// A value drawn uniformly from `bin` (a point's own value, NULL's
    /// empty string), in the column's notation.
    pub fn draw(&self, bin: usize, rng: &mut impl Rng) -> String {
        if bin >= self.count {
            return self.points.get(bin - self.count).cloned().unwrap_or_default();
        }
        let (from, to) = self.range(bin);
        if self.integer {
            let whole = from as i64 + rng.random_range(0..self.width.max(1.0) as i64);
            return match &self.date {
                Some(format) => format_date(whole, format),
                None => whole.to_string(),
            };
        }
        let x = from + (to - from) * rng.random::<f64>();
        let text = format!("{:.*}", self.decimals as usize, x);
        // "-0.00" reads oddly; it is zero.
        if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
            text[1..].to_string()
        } else {
            text
        }
    }
}

/// `x` with `decimals` decimals; "-0.00" reads oddly, it is zero.
pub(crate) fn decimal(x: f64, decimals: u32) -> String {
    let text = format!("{x:.*}", decimals as usize);
    match text.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => text,
    }
}

/// What kind of numbers a binned column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NumberKind {
    /// Whole numbers.
    Integer,
    /// Decimals written with this many digits after the point.
    Decimal(u32),
    /// Dates in this strftime format (binned as day numbers).
    Date(String),
}

impl NumberKind {
    /// The number a value stands for (a day number for dates), or `None` when it does not parse.
    pub fn parse(&self, value: &str) -> Option<f64> {
        match self {
            NumberKind::Integer | NumberKind::Decimal(_) => parse_number(value),
            NumberKind::Date(format) => parse_date(value, format).map(|d| d as f64),
        }
    }
}

impl Cells {
    /// How many cells.
    pub fn len(&self) -> usize {
        match self {
            Cells::Categories(values) => values.len(),
            Cells::Bins(bins) => bins.cells(),
        }
    }

    /// A readable name of a cell for the report.
    pub fn label(&self, cell: usize) -> String {
        match self {
            Cells::Categories(values) => values[cell].clone(),
            Cells::Bins(bins) if cell >= bins.count => bins.points.get(cell - bins.count).cloned().unwrap_or_default(),
            Cells::Bins(bins) => {
                let (from, to) = bins.range(cell);
                match (&bins.date, bins.integer) {
                    (Some(f), _) => format!("[{}, {}]", format_date(from as i64, f), format_date(to as i64 - 1, f)),
                    (None, true) => format!("[{}, {}]", from as i64, to as i64 - 1),
                    (None, false) => format!("[{}, {})", decimal(from, bins.decimals), decimal(to, bins.decimals)),
                }
            }
        }
    }
}

/// The cell of every row of `column` ([`UNKNOWN`] for values the cells
/// cannot hold). Each distinct value is resolved once.
pub(crate) fn encode(column: &Column, cells: &Cells, kind: Option<&NumberKind>) -> Vec<u32> {
    let null = column.null_code();
    let cell_of: Vec<u32> = match cells {
        Cells::Categories(values) => {
            let index: FxHashMap<&str, u32> = values.iter().enumerate().map(|(i, v)| (v.as_str(), i as u32)).collect();
            column.dictionary().iter().map(|v| index.get(v.as_str()).copied().unwrap_or(UNKNOWN)).collect()
        }
        Cells::Bins(bins) => column
            .dictionary()
            .iter()
            .enumerate()
            .map(|(code, v)| {
                if Some(code as u32) == null || v.trim().is_empty() {
                    bins.null_cell().map_or(UNKNOWN, |c| c as u32)
                } else if let Some(p) = bins.points.iter().position(|p| p == v) {
                    (bins.count + p) as u32
                } else {
                    kind.and_then(|k| k.parse(v)).map_or(UNKNOWN, |x| bins.bin(x))
                }
            })
            .collect(),
    };
    column.codes().iter().map(|&c| cell_of[c as usize]).collect()
}

/// The numbers of a column's non-NULL values that parse (for private bounds).
pub(crate) fn numbers(column: &Column, kind: &NumberKind) -> Vec<f64> {
    let parsed: Vec<Option<f64>> = column.dictionary().iter().map(|v| kind.parse(v)).collect();
    column.codes().iter().filter_map(|&c| parsed[c as usize]).collect()
}

/// Checks a public column domain and turns it into cells.
pub(crate) fn cells_from_spec(name: &str, spec: &ColumnSpec, fine: usize) -> Result<(Cells, Option<NumberKind>)> {
    match spec {
        ColumnSpec::Categories { values } => {
            if values.is_empty() {
                return Err(Error::invalid(format!("the domain of column '{name}' lists no values")));
            }
            let mut seen = rustc_hash::FxHashSet::default();
            if let Some(dup) = values.iter().find(|v| !seen.insert(v.as_str())) {
                return Err(Error::invalid(format!("the domain of column '{name}' lists '{dup}' twice")));
            }
            Ok((Cells::Categories(values.clone()), None))
        }
        ColumnSpec::Numeric { lower, upper, decimals, nullable } => {
            if !(lower.is_finite() && upper.is_finite() && lower <= upper) {
                return Err(Error::invalid(format!(
                    "the domain of column '{name}' needs finite bounds with lower ≤ upper; got {lower} and {upper}"
                )));
            }
            let kind =
                if *decimals == 0 { NumberKind::Integer } else { NumberKind::Decimal((*decimals).min(MAX_DECIMALS)) };
            Ok((Cells::Bins(Bins::new(*lower, *upper, fine, kind.clone(), *nullable)), Some(kind)))
        }
        ColumnSpec::Date { lower, upper, format, nullable } => {
            let parse = |d: &str| {
                parse_date(d, format).ok_or_else(|| {
                    Error::invalid(format!("the domain of column '{name}': '{d}' is not a date in format '{format}'"))
                })
            };
            let (lo, hi) = (parse(lower)?, parse(upper)?);
            if lo > hi {
                return Err(Error::invalid(format!("the domain of column '{name}': {lower} is after {upper}")));
            }
            let kind = NumberKind::Date(format.clone());
            Ok((Cells::Bins(Bins::new(lo as f64, hi as f64, fine, kind.clone(), *nullable)), Some(kind)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn integer_bins_hold_whole_values() {
        let b = Bins::new(17.0, 90.0, 128, NumberKind::Integer, false);
        assert_eq!((b.width, b.count), (1.0, 74));
        assert_eq!(b.bin(17.0), 0);
        assert_eq!(b.bin(90.0), 73);
        assert_eq!(b.bin(1000.0), 73);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        assert_eq!(b.draw(3, &mut rng), "20");
        let wide = Bins::new(0.0, 999.0, 100, NumberKind::Integer, true).with_points(vec!["0".into()]);
        assert_eq!((wide.width, wide.count, wide.cells()), (10.0, 100, 102));
        assert_eq!(wide.draw(100, &mut rng), "0");
        assert_eq!(wide.draw(101, &mut rng), "");
        assert_eq!(wide.null_cell(), Some(101));
    }

    #[test]
    fn decimals_and_dates_round_trip() {
        assert_eq!(decimals_of("12.50"), 2);
        assert_eq!(decimals_of("7"), 0);
        assert_eq!(decimals_of("1e5"), MAX_DECIMALS);
        let d = parse_date("2020-02-29", "%Y-%m-%d").unwrap();
        assert_eq!(format_date(d, "%Y-%m-%d"), "2020-02-29");
        assert_eq!(parse_date("1970-01-01", "%Y-%m-%d"), Some(0));
        let b = Bins::new(0.0, 1.0, 4, NumberKind::Decimal(1), false);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let x: f64 = b.draw(0, &mut rng).parse().unwrap();
        assert!((0.0..=0.3).contains(&x));
    }
}
