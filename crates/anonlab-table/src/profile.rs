//! Column profiles for `anonlab inspect`: type, distinct and NULL counts, and a suggested role.

use serde::Serialize;

use crate::column::Column;
use crate::datatype::{DataType, infer};
use crate::role::AttributeRole;
use crate::table::Table;

/// What `inspect` reports about one column.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnProfile {
    /// Column name.
    pub name: String,
    /// Type inferred from the values.
    pub inferred_type: DataType,
    /// Number of distinct non-NULL values.
    pub distinct: usize,
    /// Number of NULL cells.
    pub nulls: u64,
    /// A starting point for the role, to be confirmed by a person.
    pub suggested_role: AttributeRole,
    /// Why that role was suggested.
    pub reason: String,
}

const IDENTIFYING: &[&str] = &["name", "ssn", "email", "phone", "mrn", "patient_id", "address", "insurance_number"];
const QUASI: &[&str] = &[
    "age",
    "sex",
    "gender",
    "zip",
    "postcode",
    "plz",
    "birth",
    "dob",
    "race",
    "ethnic",
    "marital",
    "education",
    "country",
    "region",
    "date",
    "year",
    "occupation",
    "workclass",
];
const SENSITIVE: &[&str] =
    &["diagnos", "disease", "icd", "salary", "income", "death", "cause", "chapter", "health", "hiv", "status"];

fn matches_any(name: &str, words: &[&str]) -> bool {
    words.iter().any(|w| name.contains(w))
}

fn suggest(column: &Column, rows: u64, distinct: usize) -> (AttributeRole, String) {
    let name = column.name().to_ascii_lowercase();
    if matches_any(&name, IDENTIFYING) || name == "id" || name.ends_with("_id") {
        return (AttributeRole::Identifying, "name suggests a direct identifier".into());
    }
    if rows > 20 && distinct as u64 * 10 >= rows * 9 {
        return (
            AttributeRole::Identifying,
            format!("{distinct} distinct values in {rows} rows: nearly unique per person"),
        );
    }
    if matches_any(&name, SENSITIVE) {
        return (AttributeRole::Sensitive, "name suggests a sensitive attribute".into());
    }
    if matches_any(&name, QUASI) {
        return (AttributeRole::QuasiIdentifier, "name suggests a demographic quasi-identifier".into());
    }
    if distinct <= 100 {
        return (AttributeRole::QuasiIdentifier, format!("{distinct} distinct values: could be known to an attacker"));
    }
    (AttributeRole::Insensitive, "no rule matched; review by hand".into())
}

/// Profiles every column of `table`.
pub fn profile(table: &Table) -> Vec<ColumnProfile> {
    table
        .columns()
        .iter()
        .map(|column| {
            let non_null =
                column.dictionary().iter().enumerate().filter(|(c, _)| Some(*c as u32) != column.null_code());
            let inferred_type = match column.data_type() {
                DataType::String => infer(non_null.clone().map(|(_, v)| v.as_str())),
                declared => declared.clone(),
            };
            let distinct = non_null.count();
            let (suggested_role, reason) = suggest(column, table.row_count(), distinct);
            ColumnProfile {
                name: column.name().to_string(),
                inferred_type,
                distinct,
                nulls: column.null_count(),
                suggested_role,
                reason,
            }
        })
        .collect()
}
