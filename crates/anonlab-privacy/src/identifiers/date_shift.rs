//! Per-patient date shifting.

use anonlab_table::Table;
use anonlab_table::column::ColumnBuilder;
use anonlab_table::datatype::{DataType, Parsed};
use chrono::Duration;
use serde::Deserialize;

use super::PseudonymKey;
use crate::error::{Error, Result};

/// The purpose label mixed into every offset's MAC (see [`PseudonymKey::mac`]).
const PURPOSE: &str = "anonlab-date-shift-v1";

/// Shift every date of a patient by the same secret number of days.
///
/// The offset is drawn from the key and the patient's identifier (uniform in
/// `−max_days..=max_days`), so it is the same in every run, table and column
/// for that patient, and unknown to anyone without the key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateShift {
    /// The column that identifies the patient (usually an identifying column).
    pub patient: String,
    /// The largest shift in days, either way.
    pub max_days: u32,
    /// The date columns to shift (declared `type = "date"`).
    pub columns: Vec<String>,
}

impl DateShift {
    /// The offset in days for one patient.
    pub fn offset(&self, key: &PseudonymKey, patient: &str) -> i64 {
        let mac = key.mac(PURPOSE, patient.as_bytes());
        let draw = u64::from_be_bytes(mac[..8].try_into().expect("a MAC has 32 bytes"));
        let span = 2 * self.max_days as u64 + 1;
        (draw % span) as i64 - self.max_days as i64
    }
}

/// Shifts the configured date columns of `table` in place.
pub fn shift_dates(table: &mut Table, key: &PseudonymKey, shift: &DateShift) -> Result<()> {
    let patient_index = table.column_index(&shift.patient)?;
    let patients = table.column(patient_index);
    if let Some(null) = patients.null_code()
        && let Some(row) = patients.codes().iter().position(|&c| c == null)
    {
        return Err(Error::spec(format!(
            "row {} has no value in patient column '{}': its dates cannot be shifted consistently",
            row + 1,
            shift.patient
        )));
    }
    let offsets: Vec<i64> = patients.dictionary().iter().map(|p| shift.offset(key, p)).collect();
    let patient_codes = patients.codes().to_vec();
    for name in &shift.columns {
        let index = table.column_index(name)?;
        let column = table.column(index);
        let DataType::Date { format } = column.data_type().clone() else {
            return Err(Error::spec(format!(
                "column '{name}' is shifted as a date but is declared {}: set type = \"date\" (and its format)",
                column.data_type().name()
            )));
        };
        let dates = column.parsed_values();
        let mut shifted = ColumnBuilder::new(name.clone());
        for (row, (&code, &patient)) in column.codes().iter().zip(&patient_codes).enumerate() {
            let value = match dates[code as usize] {
                Some(Parsed::Date(d)) => (d + Duration::days(offsets[patient as usize])).format(&format).to_string(),
                _ => String::new(),
            };
            shifted.push(&value, row as u64 + 2)?;
        }
        let mut shifted = shifted.finish();
        shifted.set_data_type(DataType::Date { format })?;
        table.replace_column(index, shifted)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identifiers::key::test_key;

    /// Expected offset computed with Python's hmac: first 8 bytes big-endian mod 61, minus 30.
    #[test]
    fn offset_matches_an_independent_implementation() {
        let shift = DateShift { patient: "id".into(), max_days: 30, columns: vec![] };
        assert_eq!(shift.offset(&test_key(), "4711"), -20);
    }

    #[test]
    fn shifts_all_dates_of_a_patient_alike() {
        let mut columns = vec![ColumnBuilder::new("id"), ColumnBuilder::new("in"), ColumnBuilder::new("out")];
        for (i, row) in
            [["4711", "2020-01-31", "2020-02-10"], ["42", "2021-06-01", ""], ["4711", "2020-03-01", "2020-03-05"]]
                .iter()
                .enumerate()
        {
            for (c, v) in columns.iter_mut().zip(row) {
                c.push(v, i as u64 + 2).unwrap();
            }
        }
        let mut table = Table::try_new(columns.into_iter().map(ColumnBuilder::finish).collect(), None, b',').unwrap();
        for c in 1..3 {
            table.column_mut(c).set_data_type(DataType::Date { format: "%Y-%m-%d".into() }).unwrap();
        }
        let shift = DateShift { patient: "id".into(), max_days: 30, columns: vec!["in".into(), "out".into()] };
        shift_dates(&mut table, &test_key(), &shift).unwrap();
        // Patient 4711 moves by -20 days everywhere; the stay lengths survive; NULL stays NULL.
        assert_eq!(table.column(1).value(0), "2020-01-11");
        assert_eq!(table.column(2).value(0), "2020-01-21");
        assert_eq!(table.column(1).value(2), "2020-02-10");
        assert_eq!(table.column(2).value(1), "");
        let other = shift.offset(&test_key(), "42");
        assert_eq!(
            table.column(1).value(1),
            (chrono::NaiveDate::from_ymd_opt(2021, 6, 1).unwrap() + Duration::days(other))
                .format("%Y-%m-%d")
                .to_string()
        );
    }

    #[test]
    fn refuses_undeclared_dates_and_missing_patients() {
        let mut columns = vec![ColumnBuilder::new("id"), ColumnBuilder::new("in")];
        for (i, row) in [["", "2020-01-31"]].iter().enumerate() {
            for (c, v) in columns.iter_mut().zip(row) {
                c.push(v, i as u64 + 2).unwrap();
            }
        }
        let mut table = Table::try_new(columns.into_iter().map(ColumnBuilder::finish).collect(), None, b',').unwrap();
        let shift = DateShift { patient: "id".into(), max_days: 30, columns: vec!["in".into()] };
        assert!(
            shift_dates(&mut table, &test_key(), &shift)
                .unwrap_err()
                .to_string()
                .contains("no value in patient column")
        );
    }
}
