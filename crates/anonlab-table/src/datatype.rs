//! Column data types: how a column's distinct values are parsed and ordered.

use std::cmp::Ordering;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The data type of a column. Values stay strings in the dictionary; the type
/// decides their order (numeric and date columns are ordered by value, which
/// interval and date hierarchies and ordered t-closeness rely on) and how they parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum DataType {
    /// Free text, ordered lexicographically.
    #[default]
    String,
    /// Text with a user-given order (e.g. education levels, lowest first).
    OrderedString {
        /// All values in ascending order.
        order: Vec<String>,
    },
    /// Whole numbers (64-bit).
    Integer,
    /// Decimal numbers (64-bit float).
    Decimal,
    /// Calendar dates written in `format` (chrono's strftime syntax, default `%Y-%m-%d`).
    Date {
        /// The strftime-style format of the values.
        format: String,
    },
}

/// A parsed value, comparable within one data type.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub enum Parsed {
    /// Position in an ordered string's order.
    Rank(usize),
    /// An integer.
    Integer(i64),
    /// A decimal.
    Decimal(f64),
    /// A date.
    Date(NaiveDate),
}

impl DataType {
    /// The default date format.
    pub const DEFAULT_DATE_FORMAT: &'static str = "%Y-%m-%d";

    /// A short name for messages and reports.
    pub fn name(&self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::OrderedString { .. } => "ordered-string",
            DataType::Integer => "integer",
            DataType::Decimal => "decimal",
            DataType::Date { .. } => "date",
        }
    }

    /// True when values have a natural order beyond text order.
    pub fn is_ordered(&self) -> bool {
        !matches!(self, DataType::String)
    }

    /// Parses one non-NULL value; `None` for a plain string (nothing to parse).
    pub fn parse(&self, value: &str) -> Result<Option<Parsed>> {
        let trimmed = value.trim();
        let parsed = match self {
            DataType::String => return Ok(None),
            DataType::OrderedString { order } => order
                .iter()
                .position(|v| v == value)
                .map(Parsed::Rank)
                .ok_or_else(|| Error::data_type(format!("value '{value}' is not in the column's declared order")))?,
            DataType::Integer => trimmed
                .parse::<i64>()
                .map(Parsed::Integer)
                .map_err(|_| Error::data_type(format!("value '{value}' is not an integer")))?,
            DataType::Decimal => match trimmed.parse::<f64>() {
                Ok(v) if v.is_finite() => Parsed::Decimal(v),
                _ => return Err(Error::data_type(format!("value '{value}' is not a decimal number"))),
            },
            DataType::Date { format } => NaiveDate::parse_from_str(trimmed, format)
                .map(Parsed::Date)
                .map_err(|e| Error::data_type(format!("value '{value}' is not a date in format '{format}' ({e})")))?,
        };
        Ok(Some(parsed))
    }

    /// Compares two parsed values of this type.
    pub fn compare(a: &Parsed, b: &Parsed) -> Ordering {
        a.partial_cmp(b).unwrap_or(Ordering::Equal)
    }
}

/// Guesses a data type from sample values (NULLs skipped): integer, decimal,
/// ISO date, else string. Used by `anonlab inspect` and for plain CSVs.
pub fn infer<'a>(values: impl IntoIterator<Item = &'a str>) -> DataType {
    let mut seen = false;
    let (mut int, mut dec, mut date) = (true, true, true);
    for v in values {
        seen = true;
        let t = v.trim();
        int &= t.parse::<i64>().is_ok();
        dec &= t.parse::<f64>().is_ok_and(f64::is_finite);
        date &= NaiveDate::parse_from_str(t, DataType::DEFAULT_DATE_FORMAT).is_ok();
        if !(int || dec || date) {
            break;
        }
    }
    match (seen, int, dec, date) {
        (false, ..) => DataType::String,
        (_, true, ..) => DataType::Integer,
        (_, _, true, _) => DataType::Decimal,
        (_, _, _, true) => DataType::Date { format: DataType::DEFAULT_DATE_FORMAT.to_string() },
        _ => DataType::String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_types_from_values() {
        assert_eq!(infer(["1", "22", "-3"]), DataType::Integer);
        assert_eq!(infer(["1", "2.5"]), DataType::Decimal);
        assert!(matches!(infer(["2020-01-31", "1999-12-01"]), DataType::Date { .. }));
        assert_eq!(infer(["1", "x"]), DataType::String);
        assert_eq!(infer([]), DataType::String);
    }

    #[test]
    fn rejects_values_that_do_not_parse() {
        assert!(DataType::Integer.parse("4.5").is_err());
        assert!(DataType::Decimal.parse("NaN").is_err());
        let date = DataType::Date { format: "%d.%m.%Y".into() };
        assert_eq!(
            date.parse("31.01.2020").unwrap(),
            Some(Parsed::Date(NaiveDate::from_ymd_opt(2020, 1, 31).unwrap()))
        );
        assert!(date.parse("2020-01-31").is_err());
    }
}
