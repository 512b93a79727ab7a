//! Parallel encoding of quote-free CSV blocks.
//!
//! Most large extracts have no quoted fields: then a record is exactly one
//! line, a block of whole lines can be cut anywhere between lines, and fields
//! are the bytes between delimiters. This module encodes such a block in two
//! parallel phases: the block is cut into one piece per thread and each piece
//! is split into field offsets; then each column interns its fields on its own
//! thread, piece after piece, so every column sees its values in input order
//! and gets exactly the codes the sequential reader would give. Blocks with a
//! quote byte or invalid UTF-8 are left to the `csv` crate's reader, which
//! handles every case and reports errors precisely.

use rayon::prelude::*;

use crate::column::ColumnBuilder;
use crate::error::Result;

/// Inputs smaller than this are left to the `csv` crate, and smaller blocks
/// encoded on one thread (measured on UCI Adult, 3.8 MB: 12 ms there, 13.5 ms
/// here on two threads or one).
pub(super) const PARALLEL_BYTES: usize = 4 << 20;

/// What a block needs to be encoded here rather than by the `csv` crate.
pub(super) fn is_simple(block: &[u8]) -> bool {
    !block.contains(&b'"')
}

/// Field offsets of one piece of a block.
struct Piece<'a> {
    text: &'a str,
    /// Per kept column, per record, `[start, end)` of its field, relative to
    /// `text` (column by column, so that each column's pass reads only its own).
    bounds: Vec<Vec<[u32; 2]>>,
    /// Per record, its line relative to the piece's first line (0-based).
    lines: Vec<u32>,
    /// Lines in the piece (blank ones included).
    line_count: u32,
}

/// A record with the wrong number of fields: (0-based line in its piece, fields found).
struct Ragged(u32, usize);

/// Encodes `block` (whole lines, valid UTF-8, no quote byte), whose first
/// line is input line `first_line`, into `builders` (one per kept column;
/// `keep[i]` says whether field `i` is kept), on all threads if `parallel`.
/// Returns the lines consumed.
pub(super) fn encode(
    block: &str,
    first_line: u64,
    delimiter: u8,
    keep: &[bool],
    builders: &mut [ColumnBuilder],
    parallel: bool,
) -> Result<u64> {
    let parallel = parallel && rayon::current_num_threads() > 1;
    let pieces: Vec<&str> = if parallel { cut(block, rayon::current_num_threads() * 2) } else { vec![block] };
    let parsed: Vec<std::result::Result<Piece<'_>, Ragged>> = if parallel {
        pieces.par_iter().map(|text| split(text, delimiter, keep)).collect()
    } else {
        pieces.iter().map(|text| split(text, delimiter, keep)).collect()
    };
    let mut starts = Vec::with_capacity(parsed.len());
    let mut line = first_line;
    let mut ok = Vec::with_capacity(parsed.len());
    for piece in parsed {
        match piece {
            Ok(p) => {
                starts.push(line);
                line += p.line_count as u64;
                ok.push(p);
            }
            Err(Ragged(at, found)) => {
                return Err(super::csv::ragged_row(found, keep.len()).at_line(line + at as u64));
            }
        }
    }
    let intern = |(c, builder): (usize, &mut ColumnBuilder)| -> Result<()> {
        for (piece, &start) in ok.iter().zip(&starts) {
            builder.reserve(piece.lines.len());
            for (&[s, e], &rel) in piece.bounds[c].iter().zip(&piece.lines) {
                let line = start + rel as u64;
                builder.push(&piece.text[s as usize..e as usize], line).map_err(|e| e.at_line(line))?;
            }
        }
        Ok(())
    };
    if parallel {
        builders.par_iter_mut().enumerate().try_for_each(intern)?;
    } else {
        builders.iter_mut().enumerate().try_for_each(intern)?;
    }
    Ok(line - first_line)
}

/// Cuts `block` into about `n` pieces of whole lines.
fn cut(block: &str, n: usize) -> Vec<&str> {
    let bytes = block.as_bytes();
    let target = bytes.len().div_ceil(n).max(1);
    let mut pieces = Vec::with_capacity(n);
    let mut start = 0;
    while start < bytes.len() {
        let mut end = (start + target).min(bytes.len());
        while end < bytes.len() && bytes[end - 1] != b'\n' {
            end += 1;
        }
        pieces.push(&block[start..end]);
        start = end;
    }
    pieces
}

/// Splits one piece into field offsets; a blank line is skipped (as the `csv` crate does).
///
/// Delimiters and line ends are found eight bytes at a time: each word is
/// compared with both bytes at once (a zero-byte test on the XOR), and only
/// the separators found are visited, in order. A byte-by-byte scan took a
/// branch per byte that the data decided (a field ends every few bytes).
fn split<'a>(text: &'a str, delimiter: u8, keep: &[bool]) -> std::result::Result<Piece<'a>, Ragged> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const LOW7: u64 = u64::from_le_bytes([0x7f; 8]);
    // The high bit of each zero byte of `v`, exactly (no false hits).
    let zero_bytes = |v: u64| !(((v & LOW7).wrapping_add(LOW7)) | v | LOW7);
    let (delimiters, line_ends) = (ONES * u64::from(delimiter), ONES * u64::from(b'\n'));
    let bytes = text.as_bytes();
    let mut fields = Fields::new(bytes, keep);
    let words = bytes.chunks_exact(8);
    let tail = words.remainder().len();
    for (w, word) in words.enumerate() {
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let mut hits = zero_bytes(word ^ delimiters) | zero_bytes(word ^ line_ends);
        while hits != 0 {
            let at = w * 8 + (hits.trailing_zeros() / 8) as usize;
            fields.separator(at, bytes[at] == b'\n')?;
            hits &= hits - 1;
        }
    }
    let tail_start = bytes.len() - tail;
    for (at, &b) in (tail_start..).zip(&bytes[tail_start..]) {
        if b == delimiter || b == b'\n' {
            fields.separator(at, b == b'\n')?;
        }
    }
    if fields.line_start < bytes.len() {
        fields.separator(bytes.len(), true)?; // a last line without its line end
    }
    debug_assert!(fields.bounds.iter().all(|b| b.len() == fields.lines.len()));
    Ok(Piece { text, bounds: fields.bounds, lines: fields.lines, line_count: fields.line })
}

/// The state of [`split`] between separators.
struct Fields<'k> {
    /// The piece's bytes.
    text: &'k [u8],
    keep: &'k [bool],
    bounds: Vec<Vec<[u32; 2]>>,
    lines: Vec<u32>,
    /// The current line (0-based in the piece), where it and its current field start.
    line: u32,
    line_start: usize,
    field_start: usize,
    /// The current field's index in the line, and the kept column it fills next.
    field: usize,
    column: usize,
}

impl<'k> Fields<'k> {
    fn new(text: &'k [u8], keep: &'k [bool]) -> Self {
        let expected_lines = text.len() / 32;
        let kept = keep.iter().filter(|&&k| k).count();
        Fields {
            text,
            keep,
            bounds: (0..kept).map(|_| Vec::with_capacity(expected_lines)).collect(),
            lines: Vec::with_capacity(expected_lines),
            line: 0,
            line_start: 0,
            field_start: 0,
            field: 0,
            column: 0,
        }
    }

    /// A delimiter, or a line end if `line_end`, at byte `at`.
    #[inline]
    fn separator(&mut self, at: usize, line_end: bool) -> std::result::Result<(), Ragged> {
        let mut end = at;
        if line_end && end > self.line_start && self.text[end - 1] == b'\r' {
            end -= 1;
        }
        let blank = line_end && end == self.line_start;
        if !blank {
            if self.keep.get(self.field).copied().unwrap_or(false) {
                self.bounds[self.column].push([self.field_start as u32, end as u32]);
                self.column += 1;
            }
            self.field += 1;
            if line_end {
                if self.field != self.keep.len() {
                    return Err(Ragged(self.line, self.field));
                }
                self.lines.push(self.line);
            }
        }
        self.field_start = at + 1;
        if line_end {
            self.line += 1;
            self.line_start = (at + 1).min(self.text.len());
            (self.field, self.column) = (0, 0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_line_ends_only() {
        let block = "a,b\nccc,d\ne,f\n";
        for n in 1..6 {
            let pieces = cut(block, n);
            assert_eq!(pieces.concat(), block);
            assert!(pieces.iter().all(|p| p.ends_with('\n')), "{pieces:?}");
        }
    }

    #[test]
    fn encodes_kept_columns_with_lines_and_skips_blank_lines() {
        let keep = [true, false, true];
        let mut builders = vec![ColumnBuilder::new("a"), ColumnBuilder::new("c")];
        let lines = encode("1,x,p\r\n\n2,y,\n1,z,q", 2, b',', &keep, &mut builders, true).unwrap();
        assert_eq!(lines, 4);
        let [a, c]: [_; 2] = builders.try_into().unwrap();
        let (a, c) = (a.finish(), c.finish());
        assert_eq!(a.codes(), &[0, 1, 0]);
        assert_eq!(a.dictionary(), &["1", "2"]);
        assert_eq!(c.null_count(), 1);
        assert_eq!(c.value(2), "q");
        assert_eq!(c.first_line(2), Some(5), "'q' first appears on input line 5");
    }

    #[test]
    fn ragged_row_names_its_input_line() {
        let mut builders = vec![ColumnBuilder::new("a"), ColumnBuilder::new("b")];
        let err = encode("1,2\n3,4\n5\n", 10, b',', &[true, true], &mut builders, true).unwrap_err();
        assert_eq!(err.location().line, Some(12));
        assert!(err.to_string().contains("ragged"), "{err}");
    }
}
