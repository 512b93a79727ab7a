//! CSV input and output: delimiter detection, quotes, CRLF/LF, UTF-8 with or without BOM.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::column::ColumnBuilder;
use crate::error::{Error, ErrorKind, Result};
use crate::io::AtomicFile;
use crate::table::Table;

/// Delimiters tried by detection, in order of preference on ties.
pub const CANDIDATE_DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// How to read a CSV file.
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    /// The field delimiter; detected among `,` `;` tab `|` when `None`.
    pub delimiter: Option<u8>,
}

/// Parses a delimiter given by a person: a single character, `\t` or `tab`.
pub fn parse_delimiter(text: &str) -> Result<u8> {
    match text {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        s if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        s => Err(Error::format(format!("delimiter '{s}' must be a single ASCII character (or 'tab')"))),
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";
const SAMPLE_BYTES: usize = 64 * 1024;

/// Picks the delimiter that splits the sample's lines into the same number
/// (> 1) of fields on every line, preferring more fields; `,` when none does.
pub fn detect_delimiter(sample: &[u8]) -> u8 {
    // Cut the sample at its last line end so a truncated record does not count.
    let cut = sample.iter().rposition(|&b| b == b'\n').map_or(sample.len(), |p| p + 1);
    let sample = &sample[..cut];
    let mut best: Option<(usize, u8)> = None;
    for &d in &CANDIDATE_DELIMITERS {
        let mut reader = ::csv::ReaderBuilder::new().delimiter(d).has_headers(false).flexible(true).from_reader(sample);
        let mut fields = None;
        let mut consistent = true;
        for record in reader.byte_records().take(200) {
            let Ok(record) = record else {
                consistent = false;
                break;
            };
            match fields {
                None => fields = Some(record.len()),
                Some(n) if n != record.len() => {
                    consistent = false;
                    break;
                }
                Some(_) => {}
            }
        }
        if let (true, Some(n)) = (consistent, fields)
            && n > 1
            && best.is_none_or(|(m, _)| n > m)
        {
            best = Some((n, d));
        }
    }
    best.map_or(b',', |(_, d)| d)
}

/// Reads a CSV file with a header row into a dictionary-encoded table.
///
/// Input is streamed: each record is encoded as it is read. Empty fields are
/// NULL. Errors name the file, the 1-based line and the column.
pub fn read_csv(path: &Path, options: &CsvOptions) -> Result<Table> {
    let file = File::open(path).map_err(|e| Error::io(path, "open the input file", &e))?;
    let mut input = BufReader::with_capacity(1 << 16, file);
    let mut head = Vec::with_capacity(SAMPLE_BYTES);
    (&mut input)
        .take(SAMPLE_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, "read the input file", &e))?;
    let skip = if head.starts_with(BOM) { BOM.len() } else { 0 };
    if head[skip..].iter().all(u8::is_ascii_whitespace) {
        return Err(Error::schema("the file is empty: expected a header row and data rows").in_file(path));
    }
    let delimiter = options.delimiter.unwrap_or_else(|| detect_delimiter(&head[skip..]));
    let stream = std::io::Cursor::new(head).chain(input);
    read_records(path, stream, skip, delimiter)
}

fn read_records(path: &Path, stream: impl Read, skip: usize, delimiter: u8) -> Result<Table> {
    let mut stream = stream;
    std::io::copy(&mut (&mut stream).take(skip as u64), &mut std::io::sink())
        .map_err(|e| Error::io(path, "read the input file", &e))?;
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .buffer_capacity(1 << 16)
        .from_reader(stream);
    let header = reader.byte_headers().map_err(|e| csv_error(path, e))?.clone();
    let mut builders = Vec::with_capacity(header.len());
    for (i, name) in header.iter().enumerate() {
        let name = std::str::from_utf8(name).map_err(|_| {
            Error::format(format!("header field {} is not valid UTF-8", i + 1)).in_file(path).at_line(1)
        })?;
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::schema(format!("header field {} is empty: every column needs a name", i + 1))
                .in_file(path)
                .at_line(1));
        }
        builders.push(ColumnBuilder::new(name));
    }
    let mut record = ::csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(path, e)),
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record[0].is_empty() && builders.len() > 1 {
            continue; // a blank line
        }
        for (field, builder) in record.iter().zip(builders.iter_mut()) {
            let value = std::str::from_utf8(field).map_err(|_| {
                Error::format("field is not valid UTF-8").in_file(path).at_line(line).in_column(builder.name())
            })?;
            builder.push(value, line).map_err(|e| e.in_file(path).at_line(line))?;
        }
    }
    let columns = builders.into_iter().map(ColumnBuilder::finish).collect();
    Table::try_new(columns, Some(path.to_path_buf()), delimiter)
}

fn csv_error(path: &Path, err: ::csv::Error) -> Error {
    let line = err.position().map(|p| p.line());
    let message = match err.kind() {
        ::csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("row has {len} fields but the header has {expected_len} (ragged row)")
        }
        ::csv::ErrorKind::Utf8 { err, .. } => format!("field {} is not valid UTF-8", err.field() + 1),
        ::csv::ErrorKind::Io(e) => return Error::io(path, "read the input file", e),
        other => format!("malformed CSV: {other:?}"),
    };
    let e = Error::new(ErrorKind::Format, message).in_file(path);
    match line {
        Some(l) => e.at_line(l),
        None => e,
    }
}

/// Writes a header and rows of cells as CSV atomically (temp file, then rename).
pub fn write_csv<'a, I>(path: &Path, header: &[String], delimiter: u8, rows: I) -> Result<()>
where
    I: Iterator<Item = Vec<&'a str>>,
{
    let mut file = AtomicFile::create(path)?;
    {
        let mut writer = ::csv::WriterBuilder::new().delimiter(delimiter).from_writer(file.writer());
        let fail = |e: ::csv::Error| Error::new(ErrorKind::Io, format!("cannot write CSV: {e}")).in_file(path);
        writer.write_record(header).map_err(fail)?;
        for row in rows {
            writer.write_record(&row).map_err(fail)?;
        }
        writer.flush().map_err(|e| Error::io(path, "write", &e))?;
    }
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(content: &[u8], options: &CsvOptions) -> Result<Table> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, content).unwrap();
        read_csv(&path, options)
    }

    #[test]
    fn detects_each_candidate_delimiter() {
        for d in [",", ";", "\t", "|"] {
            let text = format!("a{d}b{d}c\n1{d}2{d}3\n4{d}5{d}6\n");
            let t = read_str(text.as_bytes(), &CsvOptions::default()).unwrap();
            assert_eq!(t.delimiter(), d.as_bytes()[0]);
            assert_eq!(t.columns().len(), 3);
            assert_eq!(t.row_count(), 2);
        }
    }

    #[test]
    fn handles_bom_crlf_quotes_and_nulls() {
        let t =
            read_str(b"\xEF\xBB\xBFname;note\r\n\"Doe; J\";\r\nX;\"a \"\"q\"\"\"\r\n", &CsvOptions::default()).unwrap();
        assert_eq!(t.column(0).name(), "name");
        assert_eq!(t.column(0).value(0), "Doe; J");
        assert_eq!(t.column(1).null_count(), 1);
        assert_eq!(t.column(1).value(1), "a \"q\"");
    }

    #[test]
    fn ragged_row_names_the_line() {
        let err = read_str(b"a,b\n1,2\n3\n", &CsvOptions { delimiter: Some(b',') }).unwrap_err();
        assert_eq!(err.location().line, Some(3));
        assert!(err.to_string().contains("ragged"), "{err}");
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let err = read_str(b"a,b\n1,2\n3,\xff\n", &CsvOptions { delimiter: Some(b',') }).unwrap_err();
        assert_eq!(err.location().line, Some(3));
        assert_eq!(err.location().column.as_deref(), Some("b"));
    }

    #[test]
    fn empty_file_is_an_error() {
        let err = read_str(b"", &CsvOptions::default()).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }

    #[test]
    fn duplicate_header_is_an_error() {
        assert!(read_str(b"a,a\n1,2\n", &CsvOptions::default()).is_err());
    }

    #[test]
    fn round_trips_through_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.csv");
        let header = vec!["x".to_string(), "y".to_string()];
        write_csv(&path, &header, b';', vec![vec!["1", "a;b"], vec!["", "c"]].into_iter()).unwrap();
        let t = read_csv(&path, &CsvOptions::default()).unwrap();
        assert_eq!(t.delimiter(), b';');
        assert_eq!(t.column(1).value(0), "a;b");
        assert_eq!(t.column(0).null_count(), 1);
    }
}
