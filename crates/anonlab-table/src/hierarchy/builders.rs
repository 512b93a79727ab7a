//! Builders that make a hierarchy from a column's own values when no file is given.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::Hierarchy;
use crate::column::Column;
use crate::datatype::{DataType, Parsed};
use crate::error::{Error, Result};

/// The label every builder puts at the top level.
pub const TOP: &str = "*";

/// A level of a date hierarchy above the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateLevel {
    /// `2020-01`
    Month,
    /// `2020-Q1`
    Quarter,
    /// `2020`
    Year,
    /// `2020-2029`
    Decade,
}

/// How to build a hierarchy (the `[columns.X.builder]` table of a config).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Builder {
    /// Numeric intervals `[lo, hi[` of the given widths, one width per level,
    /// each a multiple of the one before so intervals nest; values below
    /// `bottom` / at or above `top` are coded `<bottom` / `>=top`.
    Intervals {
        /// Interval width per level, smallest first.
        widths: Vec<f64>,
        /// Bottom coding threshold; intervals start here (default 0).
        #[serde(default)]
        bottom: Option<f64>,
        /// Top coding threshold.
        #[serde(default)]
        top: Option<f64>,
    },
    /// Groups of consecutive values in the column's order (its data type's order),
    /// `sizes[l]` values per group at level `l + 1`, each a multiple of the one before.
    Ordered {
        /// Group size per level, smallest first.
        sizes: Vec<usize>,
    },
    /// Redaction from the right: level `l` replaces the last `l` characters with
    /// `mask` (ZIP codes, ICD codes, ...).
    Masking {
        /// Number of masked levels below the top (default: longest value's length − 1).
        #[serde(default)]
        levels: Option<usize>,
        /// The masking character (default `*`).
        #[serde(default = "default_mask")]
        mask: char,
    },
    /// No intermediate levels: each value or `*` (sex, region, yes/no columns).
    Suppression,
    /// Day → month → quarter → year → decade (any subset, in that order); needs a date column.
    Dates {
        /// Levels above the day, finest first (default all four).
        #[serde(default = "all_date_levels")]
        levels: Vec<DateLevel>,
    },
}

fn default_mask() -> char {
    '*'
}

fn all_date_levels() -> Vec<DateLevel> {
    vec![DateLevel::Month, DateLevel::Quarter, DateLevel::Year, DateLevel::Decade]
}

impl Builder {
    /// Builds a hierarchy over the distinct values of `column`.
    pub fn build(&self, column: &Column) -> Result<Hierarchy> {
        let name = column.name();
        let labels: Vec<Vec<String>> = match self {
            Builder::Intervals { widths, bottom, top } => intervals(column, widths, *bottom, *top)?,
            Builder::Ordered { sizes } => ordered(column, sizes)?,
            Builder::Masking { levels, mask } => masking(column, *levels, *mask)?,
            Builder::Dates { levels } => dates(column, levels)?,
            Builder::Suppression => vec![Vec::new(); column.distinct()],
        };
        let rows = column
            .dictionary()
            .iter()
            .enumerate()
            .map(|(code, value)| {
                let mut row = Vec::with_capacity(labels[code].len() + 2);
                row.push(value.clone());
                if Some(code as u32) == column.null_code() {
                    row.extend(labels[code].iter().map(|_| String::new()));
                } else {
                    row.extend(labels[code].iter().cloned());
                }
                row.push(TOP.to_string());
                row
            })
            .collect();
        Hierarchy::try_new(rows).map_err(|e| e.in_column(name))
    }
}

fn check_nesting<T: Copy + Into<f64>>(steps: &[T], what: &str, column: &str) -> Result<()> {
    if steps.is_empty() {
        return Err(Error::hierarchy(format!("the builder needs at least one {what}")).in_column(column));
    }
    let mut prev: Option<f64> = None;
    for &s in steps {
        let s: f64 = s.into();
        if !(s > 0.0 && s.is_finite()) {
            return Err(Error::hierarchy(format!("{what} {s} must be positive")).in_column(column));
        }
        if let Some(p) = prev {
            let ratio = s / p;
            if ratio < 1.0 || (ratio - ratio.round()).abs() > 1e-9 {
                return Err(Error::hierarchy(format!(
                    "{what} {s} must be a multiple of the previous {what} {p} so that levels only coarsen"
                ))
                .in_column(column));
            }
        }
        prev = Some(s);
    }
    Ok(())
}

fn numeric_values(column: &Column) -> Result<Vec<Option<f64>>> {
    column
        .dictionary()
        .iter()
        .enumerate()
        .map(|(code, v)| {
            if Some(code as u32) == column.null_code() {
                return Ok(None);
            }
            v.trim().parse::<f64>().ok().filter(|x| x.is_finite()).map(Some).ok_or_else(|| {
                let e =
                    Error::hierarchy(format!("interval builder needs numbers, found '{v}'")).in_column(column.name());
                match column.first_line(code as u32) {
                    Some(l) => e.at_line(l),
                    None => e,
                }
            })
        })
        .collect()
}

fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

fn intervals(column: &Column, widths: &[f64], bottom: Option<f64>, top: Option<f64>) -> Result<Vec<Vec<String>>> {
    check_nesting(widths, "width", column.name())?;
    if let (Some(b), Some(t)) = (bottom, top)
        && b >= t
    {
        return Err(Error::hierarchy(format!("bottom {b} must be below top {t}")).in_column(column.name()));
    }
    let origin = bottom.unwrap_or(0.0);
    Ok(numeric_values(column)?
        .into_iter()
        .map(|value| {
            widths
                .iter()
                .map(|&w| match value {
                    None => String::new(),
                    Some(v) if bottom.is_some_and(|b| v < b) => format!("<{}", number(origin)),
                    Some(v) if top.is_some_and(|t| v >= t) => format!(">={}", number(top.unwrap_or_default())),
                    Some(v) => {
                        let lo = origin + ((v - origin) / w).floor() * w;
                        let hi = top.map_or(lo + w, |t| (lo + w).min(t));
                        format!("[{}, {}[", number(lo), number(hi))
                    }
                })
                .collect()
        })
        .collect())
}

fn ordered(column: &Column, sizes: &[usize]) -> Result<Vec<Vec<String>>> {
    let as_f64: Vec<f64> = sizes.iter().map(|&s| s as f64).collect();
    check_nesting(&as_f64, "group size", column.name())?;
    // Codes already follow the data type's order (NULL last), see Column::set_data_type.
    let non_null: Vec<usize> = (0..column.distinct()).filter(|&c| Some(c as u32) != column.null_code()).collect();
    let dict = column.dictionary();
    let mut labels = vec![Vec::with_capacity(sizes.len()); column.distinct()];
    for &size in sizes {
        for (rank, &code) in non_null.iter().enumerate() {
            let start = rank / size * size;
            let end = (start + size).min(non_null.len()) - 1;
            let (first, last) = (&dict[non_null[start]], &dict[non_null[end]]);
            labels[code].push(if start == end { first.clone() } else { format!("[{first}..{last}]") });
        }
    }
    if let Some(null) = column.null_code() {
        labels[null as usize] = vec![String::new(); sizes.len()];
    }
    Ok(labels)
}

fn masking(column: &Column, levels: Option<usize>, mask: char) -> Result<Vec<Vec<String>>> {
    let longest = column.dictionary().iter().map(|v| v.chars().count()).max().unwrap_or(0);
    let levels = levels.unwrap_or(longest.saturating_sub(1)).max(1);
    Ok(column
        .dictionary()
        .iter()
        .map(|value| {
            let chars: Vec<char> = value.chars().collect();
            (1..=levels)
                .map(|l| {
                    let keep = chars.len().saturating_sub(l);
                    chars[..keep].iter().chain(std::iter::repeat_n(&mask, chars.len() - keep)).collect()
                })
                .collect()
        })
        .collect())
}

fn dates(column: &Column, levels: &[DateLevel]) -> Result<Vec<Vec<String>>> {
    if !matches!(column.data_type(), DataType::Date { .. }) {
        return Err(Error::hierarchy(format!(
            "the dates builder needs a date column; declare type = \"date\" (and a format), found {}",
            column.data_type().name()
        ))
        .in_column(column.name()));
    }
    if levels.is_empty() || levels.windows(2).any(|w| w[0] as u8 >= w[1] as u8) {
        return Err(Error::hierarchy(
            "date levels must be a non-empty subset of month, quarter, year, decade, finest first",
        )
        .in_column(column.name()));
    }
    let label = |d: NaiveDate, level: DateLevel| match level {
        DateLevel::Month => format!("{:04}-{:02}", d.year(), d.month()),
        DateLevel::Quarter => format!("{:04}-Q{}", d.year(), d.month0() / 3 + 1),
        DateLevel::Year => format!("{:04}", d.year()),
        DateLevel::Decade => {
            let start = d.year().div_euclid(10) * 10;
            format!("{start:04}-{:04}", start + 9)
        }
    };
    Ok(column
        .parsed_values()
        .into_iter()
        .map(|p| match p {
            Some(Parsed::Date(d)) => levels.iter().map(|&l| label(d, l)).collect(),
            _ => vec![String::new(); levels.len()],
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::ColumnBuilder;
    use crate::hierarchy::Generalization;

    fn column(values: &[&str], data_type: DataType) -> Column {
        let mut b = ColumnBuilder::new("c");
        for (i, v) in values.iter().enumerate() {
            b.push(v, i as u64 + 2).unwrap();
        }
        let mut c = b.finish();
        c.set_data_type(data_type).unwrap();
        c
    }

    fn built(builder: Builder, c: &Column) -> Generalization {
        Generalization::try_new(c, &builder.build(c).unwrap()).unwrap()
    }

    #[test]
    fn intervals_nest_with_bottom_and_top_coding() {
        let c = column(&["3", "17", "24", "95", ""], DataType::Integer);
        let g = built(Builder::Intervals { widths: vec![5.0, 10.0], bottom: Some(10.0), top: Some(90.0) }, &c);
        assert_eq!(g.label(1, 1), "[15, 20[");
        assert_eq!(g.label(1, 2), "[10, 20[");
        assert_eq!(g.label(0, 1), "<10");
        assert_eq!(g.label(3, 2), ">=90");
        assert_eq!(g.label(4, 1), "");
        assert_eq!(g.label(2, 3), "*");
    }

    #[test]
    fn intervals_reject_widths_that_do_not_nest() {
        let c = column(&["1"], DataType::Integer);
        let b = Builder::Intervals { widths: vec![5.0, 7.0], bottom: None, top: None };
        assert!(b.build(&c).unwrap_err().to_string().contains("multiple"));
    }

    #[test]
    fn masking_redacts_from_the_right() {
        let c = column(&["13053", "13055", "14000"], DataType::String);
        let g = built(Builder::Masking { levels: None, mask: '*' }, &c);
        assert_eq!(g.max_level(), 5);
        assert_eq!(g.label(0, 1), "1305*");
        assert_eq!(g.label(2, 3), "14***");
        assert_eq!(g.levels()[1].labels().len(), 2);
    }

    #[test]
    fn ordered_groups_follow_type_order() {
        let c = column(&["5", "1", "3", "2", "4"], DataType::Integer);
        let g = built(Builder::Ordered { sizes: vec![2, 4] }, &c);
        assert_eq!(g.label(0, 1), "[1..2]");
        assert_eq!(g.label(4, 1), "5");
        assert_eq!(g.label(2, 2), "[1..4]");
    }

    #[test]
    fn dates_generalize_to_month_quarter_year_decade() {
        let c = column(&["2019-11-05", "2021-02-28"], DataType::Date { format: "%Y-%m-%d".into() });
        let g = built(Builder::Dates { levels: all_date_levels() }, &c);
        assert_eq!(g.label(0, 1), "2019-11");
        assert_eq!(g.label(0, 2), "2019-Q4");
        assert_eq!(g.label(1, 3), "2021");
        assert_eq!(g.label(0, 4), "2010-2019");
        assert_eq!(g.label(1, 5), "*");
    }

    #[test]
    fn suppression_has_value_and_top_only() {
        let c = column(&["m", "f"], DataType::String);
        let g = built(Builder::Suppression, &c);
        assert_eq!(g.max_level(), 1);
        assert_eq!(g.label(0, 0), "f");
        assert_eq!(g.label(0, 1), "*");
    }

    #[test]
    fn dates_need_a_date_column() {
        let c = column(&["x"], DataType::String);
        assert!(Builder::Dates { levels: all_date_levels() }.build(&c).is_err());
    }
}
