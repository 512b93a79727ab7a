//! CSV input and output: delimiter detection, quotes, CRLF/LF, UTF-8 with or without BOM.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::blocks;
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
    read_csv_columns(path, options, Columns::All)
}

/// Which columns of a CSV input to encode.
#[derive(Debug, Clone, Copy)]
pub enum Columns<'a> {
    /// Every column.
    All,
    /// Only these (every column when one of them is not in the header, so
    /// that the caller's lookup fails listing the real columns).
    Only(&'a [String]),
    /// Every column but these: direct identifiers that the release drops
    /// never need to be held in memory (names not in the header are ignored).
    Except(&'a [String]),
}

/// Like [`read_csv`], but encodes only the selected `columns` (in file order),
/// so a tool that needs a few columns of a wide table neither spends time nor
/// memory on the others.
pub fn read_csv_columns(path: &Path, options: &CsvOptions, columns: Columns<'_>) -> Result<Table> {
    let file = File::open(path).map_err(|e| Error::io(path, "open the input file", &e))?;
    read_stream(path, BufReader::with_capacity(1 << 16, file), options, columns)
}

/// Reads a CSV held in memory, as [`read_csv`] reads a file.
///
/// For data that must never be written to disk in plaintext (the platform's
/// vault decrypts datasets into memory). `name` stands in for the file name:
/// errors name it with the line and column, as they name the path of a file,
/// and it becomes the table's [`Table::source`].
pub fn read_csv_bytes(bytes: &[u8], name: &str, options: &CsvOptions) -> Result<Table> {
    read_stream(Path::new(name), bytes, options, Columns::All)
}

/// The one reader behind [`read_csv_columns`] and [`read_csv_bytes`]: `path`
/// names the input in errors and as the table's source.
fn read_stream(path: &Path, mut input: impl Read + Send, options: &CsvOptions, columns: Columns<'_>) -> Result<Table> {
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
    head.drain(..skip);
    let blocks = Blocks { stream: std::io::Cursor::new(head).chain(input), carry: Vec::new(), size: BLOCK_BYTES };
    read_records(path, blocks, delimiter, columns)
}

/// Bytes per block handed to the parallel encoder: large enough that the
/// per-block fan-out is negligible, small enough to keep memory flat.
const BLOCK_BYTES: usize = 8 << 20;

/// The input cut into blocks of whole lines.
struct Blocks<R> {
    stream: R,
    /// Bytes read past the last line end of the previous block.
    carry: Vec<u8>,
    /// Bytes per block.
    size: usize,
}

impl<R: Read> Blocks<R> {
    /// The next block of whole lines (the last one may lack its line end); empty at the end.
    fn next(&mut self, path: &Path) -> Result<Vec<u8>> {
        let mut block = std::mem::take(&mut self.carry);
        let mut size = self.size;
        loop {
            let wanted = size.saturating_sub(block.len()) as u64;
            block.reserve(wanted as usize);
            let read = (&mut self.stream)
                .take(wanted)
                .read_to_end(&mut block)
                .map_err(|e| Error::io(path, "read the input file", &e))?;
            if (read as u64) < wanted {
                return Ok(block); // the end of the input
            }
            if let Some(end) = block.iter().rposition(|&b| b == b'\n') {
                self.carry = block.split_off(end + 1);
                return Ok(block);
            }
            size += self.size; // a line longer than a block
        }
    }

    /// `block` followed by everything not yet returned.
    fn rest(self, block: Vec<u8>) -> impl Read {
        std::io::Cursor::new(block).chain(std::io::Cursor::new(self.carry)).chain(self.stream)
    }
}

/// Header names, validated: UTF-8, trimmed, none empty.
fn header_names(path: &Path, fields: &[&[u8]]) -> Result<Vec<String>> {
    fields
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let name = std::str::from_utf8(name).map_err(|_| {
                Error::format(format!("header field {} is not valid UTF-8", i + 1)).in_file(path).at_line(1)
            })?;
            let name = name.trim();
            if name.is_empty() {
                return Err(Error::schema(format!("header field {} is empty: every column needs a name", i + 1))
                    .in_file(path)
                    .at_line(1));
            }
            Ok(name.to_string())
        })
        .collect()
}

/// Which header fields to encode.
fn kept(names: &[String], columns: Columns<'_>) -> Vec<bool> {
    match columns {
        Columns::Only(wanted) if wanted.iter().all(|w| names.contains(w)) => {
            names.iter().map(|n| wanted.contains(n)).collect()
        }
        Columns::Except(dropped) => names.iter().map(|n| !dropped.contains(n)).collect(),
        Columns::All | Columns::Only(_) => vec![true; names.len()],
    }
}

/// The header names `keep` leaves out.
fn unread(names: &[String], keep: &[bool]) -> Vec<String> {
    names.iter().zip(keep).filter(|(_, k)| !**k).map(|(n, _)| n.clone()).collect()
}

fn read_records(
    path: &Path,
    mut blocks: Blocks<impl Read + Send>,
    delimiter: u8,
    columns: Columns<'_>,
) -> Result<Table> {
    let mut block = blocks.next(path)?;
    let header_end = block.iter().position(|&b| b == b'\n');
    let simple_header = header_end.is_some_and(|end| blocks::is_simple(&block[..end]));
    let threshold = blocks.size.min(blocks::PARALLEL_BYTES);
    let big = |len: usize| len >= threshold;
    let Some(header_end) = header_end.filter(|_| simple_header && big(block.len())) else {
        // A small input, or a quoted (or lone) header: the `csv` crate reads everything.
        return read_sequential(path, blocks.rest(block), delimiter, None, columns, 0);
    };
    let line = &block[..header_end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let names = header_names(path, &line.split(|&b| b == delimiter).collect::<Vec<_>>())?;
    let keep = kept(&names, columns);
    let unread = unread(&names, &keep);
    let mut builders: Vec<ColumnBuilder> =
        names.iter().zip(&keep).filter(|(_, k)| **k).map(|(n, _)| ColumnBuilder::new(n.as_str())).collect();
    block.drain(..=header_end);
    let mut next_line = 2u64;
    // The block path skips blank lines; with one column a blank line is a NULL, which the csv crate handles.
    while !block.is_empty() {
        match std::str::from_utf8(&block) {
            Ok(text) if names.len() > 1 && blocks::is_simple(&block) => {
                // The next block is read while this one is encoded.
                let parallel = big(block.len());
                let (encoded, next) = rayon::join(
                    || blocks::encode(text, next_line, delimiter, &keep, &mut builders, parallel),
                    || blocks.next(path),
                );
                next_line += encoded.map_err(|e| e.in_file(path))?;
                block = next?;
            }
            _ => {
                let state = Some((builders, keep));
                return read_sequential(path, blocks.rest(block), delimiter, state, columns, next_line - 1)
                    .map(|table| table.with_unread(unread));
            }
        }
    }
    let columns = builders.into_iter().map(ColumnBuilder::finish).collect();
    Ok(Table::try_new(columns, Some(path.to_path_buf()), delimiter)?.with_unread(unread))
}

/// Reads with the `csv` crate: from the header when `state` is `None`, else
/// continuing `state`'s builders with records whose first line is input line `offset + 1`.
fn read_sequential(
    path: &Path,
    stream: impl Read,
    delimiter: u8,
    state: Option<(Vec<ColumnBuilder>, Vec<bool>)>,
    columns: Columns<'_>,
    offset: u64,
) -> Result<Table> {
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(state.is_none())
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(LineCounting::new(stream));
    let (mut builders, keep, unread) = match state {
        // The caller read the header and knows what it left out.
        Some((builders, keep)) => (builders, keep, Vec::new()),
        None => {
            let header = reader.byte_headers().map_err(|e| csv_error(path, e, 0))?.clone();
            let names = header_names(path, &header.iter().collect::<Vec<_>>())?;
            let keep = kept(&names, columns);
            let builders = names.iter().zip(&keep).filter(|(_, k)| **k).map(|(n, _)| ColumnBuilder::new(n.as_str()));
            let unread = unread(&names, &keep);
            (builders.collect(), keep, unread)
        }
    };
    let width = keep.len();
    let mut record = ::csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(path, e, offset)),
        }
        let line = reader.get_mut().line_of_record(record.position().map_or(0, |p| p.byte())) + offset;
        if record.len() == 1 && record[0].is_empty() && width > 1 {
            continue; // a blank line
        }
        if record.len() != width {
            return Err(ragged_row(record.len(), width).in_file(path).at_line(line));
        }
        let fields = record.iter().zip(&keep).filter(|(_, k)| **k).map(|(f, _)| f);
        for (field, builder) in fields.zip(builders.iter_mut()) {
            let value = std::str::from_utf8(field).map_err(|_| {
                Error::format("field is not valid UTF-8").in_file(path).at_line(line).in_column(builder.name())
            })?;
            builder.push(value, line).map_err(|e| e.in_file(path).at_line(line))?;
        }
    }
    let columns = builders.into_iter().map(ColumnBuilder::finish).collect();
    Ok(Table::try_new(columns, Some(path.to_path_buf()), delimiter)?.with_unread(unread))
}

/// The input of the `csv` crate's reader, passed through while counting
/// lines: the crate's own line numbers skip blank lines and are one short in
/// CRLF files, so errors named the wrong line. The bytes not yet behind the
/// current record are kept (the reader's buffer ahead, a few kilobytes) to
/// find where a record really starts.
struct LineCounting<R> {
    inner: R,
    /// Bytes read but not yet behind the current record, from input byte `window_start` on.
    window: std::collections::VecDeque<u8>,
    window_start: u64,
    /// Line ends before `window_start`.
    line_ends: u64,
}

impl<R: Read> Read for LineCounting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.window.extend(&buf[..n]);
        Ok(n)
    }
}

impl<R> LineCounting<R> {
    fn new(inner: R) -> Self {
        LineCounting { inner, window: Default::default(), window_start: 0, line_ends: 0 }
    }

    /// The 1-based line of the record that the parser began reading at
    /// input byte `from` (the end of the previous record: blank lines and
    /// line ends before the record's first byte are skipped).
    fn line_of_record(&mut self, from: u64) -> u64 {
        let behind = (from.saturating_sub(self.window_start) as usize).min(self.window.len());
        self.line_ends += self.window.drain(..behind).filter(|&b| b == b'\n').count() as u64;
        self.window_start += behind as u64;
        let blank = self.window.iter().take_while(|&&b| b == b'\n' || b == b'\r').filter(|&&b| b == b'\n').count();
        self.line_ends + blank as u64 + 1
    }
}

/// A record with `found` fields under a header of `width` (every reader says it alike).
pub(super) fn ragged_row(found: usize, width: usize) -> Error {
    Error::new(ErrorKind::Format, format!("row has {found} fields but the header has {width} (ragged row)"))
}

fn csv_error(path: &Path, err: ::csv::Error, offset: u64) -> Error {
    let line = err.position().map(|p| p.line() + offset);
    let e = match err.kind() {
        ::csv::ErrorKind::UnequalLengths { expected_len, len, .. } => ragged_row(*len as usize, *expected_len as usize),
        ::csv::ErrorKind::Utf8 { err, .. } => {
            Error::new(ErrorKind::Format, format!("field {} is not valid UTF-8", err.field() + 1))
        }
        ::csv::ErrorKind::Io(e) => return Error::io(path, "read the input file", e),
        other => Error::new(ErrorKind::Format, format!("malformed CSV: {other:?}")),
    }
    .in_file(path);
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

    /// Every column of `a` and `b` has the same values, codes and first lines.
    fn assert_same(a: &Table, b: &Table) {
        assert_eq!(a.row_count(), b.row_count());
        for (x, y) in a.columns().iter().zip(b.columns()) {
            assert_eq!((x.name(), x.dictionary(), x.codes()), (y.name(), y.dictionary(), y.codes()));
            assert!((0..x.distinct() as u32).all(|c| x.first_line(c) == y.first_line(c)), "{}", x.name());
        }
    }

    /// The parallel block path, with small blocks and a quoted field late in
    /// the file (the rest then goes through the `csv` crate), gives the table
    /// the `csv` crate alone gives.
    #[test]
    fn block_path_equals_sequential_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stays.csv");
        crate::generate::write_csv(&path, 3_000, 5, b',').unwrap();
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("\"P9\",\"4\",f,10115,2020-01-01,2020-01-02,1,I10,1.00,13.0,90,\"2,5\"\r\n\n");
        std::fs::write(&path, &text).unwrap();
        let sequential = read_sequential(&path, text.as_bytes(), b',', None, Columns::All, 0).unwrap();
        for size in [1 << 10, 1 << 14, 1 << 20] {
            let blocks = Blocks { stream: text.as_bytes(), carry: Vec::new(), size };
            assert_same(&read_records(&path, blocks, b',', Columns::All).unwrap(), &sequential);
        }
        assert_same(&read_csv(&path, &CsvOptions::default()).unwrap(), &sequential);
        assert_eq!(sequential.column(11).value(3_000), "2,5");
    }

    proptest::proptest! {
        /// The block path (SWAR field splitting, short values packed into
        /// the index) against the text itself: every cell reads back as
        /// written and names the line its value first appears on, whatever
        /// the mix of empty, short, 8-, 15- and 16-byte and multi-byte values,
        /// CRLF and LF line ends and blank lines; and the table equals the
        /// `csv` crate reader's.
        #[test]
        fn block_path_reads_back_every_cell(
            rows in proptest::collection::vec(
                (proptest::collection::vec("|[a-z]{1,3}|[0-9]{8}|[0-9]{15}|[0-9]{16}|é[a-z]{0,20}|x{7}", 3), 0u8..4),
                1..300,
            ),
            block in 64usize..2_048,
        ) {
            let mut text = String::from("a,b,c\n");
            let mut expected = Vec::new();
            // Per column, the input line each value first appears on.
            let mut first_lines = vec![std::collections::HashMap::new(); 3];
            let mut line = 2u64;
            for (fields, end) in &rows {
                text.push_str(&fields.join(","));
                text.push_str(match end { 0 => "\r\n", 1 => "\n\n", _ => "\n" });
                for (c, field) in fields.iter().enumerate() {
                    first_lines[c].entry(field.clone()).or_insert(line);
                }
                line += if *end == 1 { 2 } else { 1 };
                expected.push(fields.clone());
            }
            let path = Path::new("cells.csv");
            let blocks = Blocks { stream: text.as_bytes(), carry: Vec::new(), size: block };
            let table = read_records(path, blocks, b',', Columns::All).unwrap();
            proptest::prop_assert_eq!(table.row_count(), expected.len() as u64);
            for (r, fields) in expected.iter().enumerate() {
                for (c, field) in fields.iter().enumerate() {
                    let column = table.column(c);
                    proptest::prop_assert_eq!(column.value(r), field.as_str());
                    proptest::prop_assert_eq!(column.first_line(column.codes()[r]), Some(first_lines[c][field]));
                }
            }
            assert_same(&table, &read_sequential(path, text.as_bytes(), b',', None, Columns::All, 0).unwrap());
        }
    }

    /// The `csv` crate's own line count skips blank lines and is one short in CRLF files.
    #[test]
    fn errors_name_the_line_after_blank_lines_and_crlf() {
        for (text, line) in [("a,b\r\n\"1\",2\r\n\r\n3\r\n", 4), ("a,b\n\"1\",2\n\n\n3\n", 5)] {
            let err = read_csv_bytes(text.as_bytes(), "t.csv", &CsvOptions::default()).unwrap_err();
            assert_eq!(err.location().line, Some(line), "{text:?}: {err}");
        }
    }

    #[test]
    fn reads_only_the_named_columns_unless_one_is_unknown() {
        let content = b"a,b,c\n1,2,3\n4,5,6\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, content).unwrap();
        let wanted = ["c".to_string(), "a".to_string()];
        let t = read_csv_columns(&path, &CsvOptions::default(), Columns::Only(&wanted)).unwrap();
        assert_eq!(t.names().collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!(t.column(1).value(1), "6");
        let unknown = ["a".to_string(), "x".to_string()];
        assert_eq!(
            read_csv_columns(&path, &CsvOptions::default(), Columns::Only(&unknown)).unwrap().columns().len(),
            3
        );
        let except = read_csv_columns(&path, &CsvOptions::default(), Columns::Except(&wanted)).unwrap();
        assert_eq!(except.names().collect::<Vec<_>>(), vec!["b"]);
    }

    /// The in-memory reader gives the table the file reader gives, and its
    /// errors name the input as the file reader's name the path.
    #[test]
    fn bytes_reader_equals_file_reader_and_names_the_input() {
        let text = b"\xEF\xBB\xBFname;note\r\n\"Doe; J\";\r\nX;\"a \"\"q\"\"\"\r\n";
        let from_bytes = read_csv_bytes(text, "dataset 7 (train)", &CsvOptions::default()).unwrap();
        assert_same(&from_bytes, &read_str(text, &CsvOptions::default()).unwrap());
        assert_eq!(from_bytes.delimiter(), b';');
        assert_eq!(from_bytes.source(), Some(Path::new("dataset 7 (train)")));

        let err =
            read_csv_bytes(b"a,b\n1,2\n3,\xff\n", "dataset 7", &CsvOptions { delimiter: Some(b',') }).unwrap_err();
        assert_eq!(err.location().file.as_deref(), Some(Path::new("dataset 7")));
        assert_eq!(err.location().line, Some(3));
        assert_eq!(err.location().column.as_deref(), Some("b"));
        let err = read_csv_bytes(b"a,b\n1,2\n3\n", "dataset 7", &CsvOptions::default()).unwrap_err();
        assert!(err.to_string().starts_with("dataset 7, line 3: "), "{err}");
        assert!(read_csv_bytes(b"", "dataset 7", &CsvOptions::default()).unwrap_err().to_string().contains("empty"));
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
