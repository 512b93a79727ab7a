//! Parquet input and output through arrow.
//!
//! Input columns of any primitive type are read as their display strings (so
//! hierarchies match them like CSV values); nulls become NULL. Output columns
//! are UTF-8 strings, since generalized values such as `[20, 25[` or `*` are text.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::{DataType as ArrowType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

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
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
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
    fn non_parquet_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        std::fs::write(&path, b"a,b\n1,2\n").unwrap();
        let err = read_parquet(&path).unwrap_err();
        assert!(err.to_string().contains("not a readable Parquet file"), "{err}");
    }
}
