//! Parquet input and output through arrow.
//!
//! Input columns of any primitive type are read as their display strings (so
//! hierarchies match them like CSV values); nulls become NULL. Output columns
//! are UTF-8 strings, since generalized values such as `[20, 25[` or `*` are text;
//! [`table_to_parquet_bytes`] instead types the columns whose every value is a
//! number, for readers (pandas) that compute on them.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::{DataType as ArrowType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::ChunkReader;

use crate::column::ColumnBuilder;
use crate::error::{Error, ErrorKind, Result};
use crate::io::AtomicFile;
use crate::table::Table;

const BATCH_ROWS: usize = 64 * 1024;

fn parquet_error(path: &Path, what: &str, err: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Format, format!("{what}: {err}")).in_file(path)
}

/// Reads a Parquet file into a dictionary-encoded table, batch by batch.
pub fn read_parquet(path: &Path) -> Result<Table> {
    let file = File::open(path).map_err(|e| Error::io(path, "open the input file", &e))?;
    read_from(file, path)
}

/// Reads Parquet held in memory (an upload); `name` stands for the file in messages.
pub fn read_parquet_bytes(bytes: &[u8], name: &str) -> Result<Table> {
    read_from(bytes::Bytes::copy_from_slice(bytes), Path::new(name))
}

fn read_from<R: ChunkReader + 'static>(input: R, path: &Path) -> Result<Table> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(input)
        .map_err(|e| parquet_error(path, "not a readable Parquet file", e))?;
    let schema = builder.schema().clone();
    let reader =
        builder.with_batch_size(BATCH_ROWS).build().map_err(|e| parquet_error(path, "cannot read Parquet data", e))?;
    let mut columns: Vec<ColumnBuilder> = schema.fields().iter().map(|f| ColumnBuilder::new(f.name())).collect();
    let options = FormatOptions::default().with_null("");
    let mut row = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| parquet_error(path, "cannot read Parquet data", e))?;
        for (column, array) in columns.iter_mut().zip(batch.columns()) {
            let formatter = ArrayFormatter::try_new(array.as_ref(), &options)
                .map_err(|e| parquet_error(path, "unsupported Parquet column type", e).in_column(column.name()))?;
            let mut text = String::new();
            for i in 0..array.len() {
                text.clear();
                use std::fmt::Write;
                write!(text, "{}", formatter.value(i))
                    .map_err(|e| parquet_error(path, "cannot format value", e).in_column(column.name()))?;
                // Parquet has no lines; report the 1-based row (+1 for a notional header).
                column.push(&text, row + i as u64 + 2)?;
            }
        }
        row += batch.num_rows() as u64;
    }
    Table::try_new(columns.into_iter().map(ColumnBuilder::finish).collect(), Some(path.to_path_buf()), b',')
}

/// Writes string rows as a Parquet file of nullable UTF-8 columns (empty = null), atomically.
pub fn write_parquet<'a, I>(path: &Path, header: &[String], rows: I) -> Result<()>
where
    I: Iterator<Item = Vec<&'a str>>,
{
    let schema = Arc::new(Schema::new(header.iter().map(|h| Field::new(h, ArrowType::Utf8, true)).collect::<Vec<_>>()));
    let mut file = AtomicFile::create(path)?;
    {
        let mut writer = ArrowWriter::try_new(file.writer(), schema.clone(), None)
            .map_err(|e| parquet_error(path, "cannot start Parquet output", e))?;
        let mut buffers: Vec<Vec<Option<&str>>> = vec![Vec::with_capacity(BATCH_ROWS); header.len()];
        let mut flush = |buffers: &mut Vec<Vec<Option<&str>>>| -> Result<()> {
            let arrays: Vec<ArrayRef> =
                buffers.iter_mut().map(|b| Arc::new(StringArray::from(std::mem::take(b))) as ArrayRef).collect();
            let batch = RecordBatch::try_new(schema.clone(), arrays)
                .map_err(|e| parquet_error(path, "cannot build Parquet batch", e))?;
            writer.write(&batch).map_err(|e| parquet_error(path, "cannot write Parquet", e))
        };
        let mut pending = 0;
        for row in rows {
            for (buffer, cell) in buffers.iter_mut().zip(row) {
                buffer.push(if cell.is_empty() { None } else { Some(cell) });
            }
            pending += 1;
            if pending == BATCH_ROWS {
                flush(&mut buffers)?;
                pending = 0;
            }
        }
        if pending > 0 || header.is_empty() {
            flush(&mut buffers)?;
        }
        writer.close().map_err(|e| parquet_error(path, "cannot finish Parquet output", e))?;
    }
    file.commit()
}

/// A table as Parquet bytes: a column whose every non-null value is an integer
/// is written as Int64, one whose values are all numbers as Float64, any other
/// as UTF-8; empty values are nulls.
pub fn table_to_parquet_bytes(table: &Table) -> Result<Vec<u8>> {
    let name = Path::new("table.parquet");
    let mut fields = Vec::with_capacity(table.columns().len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(table.columns().len());
    for column in table.columns() {
        let values: Vec<Option<&str>> = column
            .codes()
            .iter()
            .map(|&c| Some(column.dictionary()[c as usize].as_str()).filter(|v| !v.is_empty()))
            .collect();
        let mut present = values.iter().flatten();
        let (kind, array): (ArrowType, ArrayRef) = if present.clone().all(|v| v.parse::<i64>().is_ok()) {
            (
                ArrowType::Int64,
                Arc::new(values.iter().map(|v| v.and_then(|v| v.parse::<i64>().ok())).collect::<Int64Array>()),
            )
        } else if present.all(|v| v.parse::<f64>().is_ok_and(f64::is_finite)) {
            (
                ArrowType::Float64,
                Arc::new(values.iter().map(|v| v.and_then(|v| v.parse::<f64>().ok())).collect::<Float64Array>()),
            )
        } else {
            (ArrowType::Utf8, Arc::new(StringArray::from(values)))
        };
        fields.push(Field::new(column.name(), kind, true));
        arrays.push(array);
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays)
        .map_err(|e| parquet_error(name, "cannot build Parquet batch", e))?;
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema, None)
        .map_err(|e| parquet_error(name, "cannot start Parquet output", e))?;
    writer.write(&batch).map_err(|e| parquet_error(name, "cannot write Parquet", e))?;
    writer.close().map_err(|e| parquet_error(name, "cannot finish Parquet output", e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_strings_and_nulls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let header = vec!["age".to_string(), "zip".to_string()];
        write_parquet(&path, &header, vec![vec!["39", "12345"], vec!["", "1234*"]].into_iter()).unwrap();
        let t = read_parquet(&path).unwrap();
        assert_eq!(t.row_count(), 2);
        assert_eq!(t.column(1).value(1), "1234*");
        assert_eq!(t.column(0).null_count(), 1);
    }

    #[test]
    fn typed_bytes_round_trip() {
        let csv = b"age,kappa,sex,creatinine\n97,5.7,F,1.7\n92,0.87,M,\n";
        let table = crate::io::csv::read_csv_bytes(csv, "t", &Default::default()).unwrap();
        let bytes = table_to_parquet_bytes(&table).unwrap();
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes.clone())).unwrap();
        let kinds: Vec<ArrowType> = builder.schema().fields().iter().map(|f| f.data_type().clone()).collect();
        assert_eq!(kinds, [ArrowType::Int64, ArrowType::Float64, ArrowType::Utf8, ArrowType::Float64]);
        let back = read_parquet_bytes(&bytes, "upload").unwrap();
        assert_eq!((back.column(0).value(0), back.column(1).value(1), back.column(2).value(1)), ("97", "0.87", "M"));
        assert_eq!(back.column(3).null_count(), 1);
        let err = read_parquet_bytes(b"PAR1 not really", "anon_data").unwrap_err();
        assert!(
            err.to_string().contains("anon_data") && err.to_string().contains("not a readable Parquet file"),
            "{err}"
        );
    }

    #[test]
    fn non_parquet_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        std::fs::write(&path, b"a,b\n1,2\n").unwrap();
        let err = read_parquet(&path).unwrap_err();
        assert!(err.to_string().contains("not a readable Parquet file"), "{err}");
    }
}
