//! NumPy's NPZ format, as the AnoMed wire format uses it (section 2 of
//! `ANOMED_PROTOCOL.md`): every array that crosses the protocol, `X`, `y` and
//! `prediction`, travels as the bytes of `np.savez_compressed` and is read back
//! with `np.load(..., allow_pickle=False)`. To stand in for an AnoMed server, or
//! to call one, the arena must write what numpy writes and read what numpy reads.
//!
//! An NPZ file is a zip archive with one `<name>.npy` member per array. The
//! [`zip`] crate handles the archive and [`npyz`] the `.npy` members; this module
//! only maps the dtypes the protocol uses onto [`Data`], guards against hostile
//! input (zip bombs, absurd headers) and mirrors numpy's choices where they are
//! visible on the wire (zip64 local headers, 64-byte aligned NPY 1.0 headers).
//!
//! ```
//! use anonlab_arena::anomed::npz::{Array, Limits, Npz};
//!
//! let npz = Npz::new()
//!     .with("X", Array::f64(vec![2, 2], vec![0.5, 1.0, 1.5, 2.0]))
//!     .with("y", Array::f64(vec![0], vec![]));
//! let back = Npz::from_bytes(&npz.to_bytes(), &Limits::default())?;
//! assert_eq!(back, npz);
//! assert_eq!(back.get("X").unwrap().describe(), "<f8 array of shape (2, 2)");
//! # Ok::<(), anonlab_arena::anomed::npz::NpzError>(())
//! ```

use std::collections::HashSet;
use std::io::{self, BufWriter, Cursor, Read, Write};

use npyz::{DType, Endianness, NpyFile, Order, TypeChar, TypeStr, WriterBuilder};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

/// One array: its shape and its elements in row-major (C) order.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// The length of each axis; empty for a 0-d array (a single element).
    pub shape: Vec<usize>,
    /// The elements, row-major; as many as the product of `shape`.
    pub data: Data,
}

/// The elements of an [`Array`], in one of the three dtypes the protocol uses.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// `float64`, written as `<f8`.
    F64(Vec<f64>),
    /// `int64`, written as `<i8`.
    I64(Vec<i64>),
    /// `bool`, written as `|b1`.
    Bool(Vec<bool>),
}

impl Array {
    /// A `float64` array. `data` must hold as many elements as `shape` describes
    /// (checked in debug builds; [`Npz::to_bytes`] always checks).
    pub fn f64(shape: Vec<usize>, data: Vec<f64>) -> Array {
        Self::new(shape, Data::F64(data))
    }

    /// An `int64` array; see [`Array::f64`].
    pub fn i64(shape: Vec<usize>, data: Vec<i64>) -> Array {
        Self::new(shape, Data::I64(data))
    }

    /// A `bool` array; see [`Array::f64`].
    pub fn bool(shape: Vec<usize>, data: Vec<bool>) -> Array {
        Self::new(shape, Data::Bool(data))
    }

    fn new(shape: Vec<usize>, data: Data) -> Array {
        let array = Array { shape, data };
        debug_assert!(array.is_consistent(), "{} holds {} elements", array.describe(), array.len());
        array
    }

    /// The dtype as numpy writes it in an NPY header: `"<f8"`, `"<i8"` or `"|b1"`.
    pub fn dtype(&self) -> &'static str {
        match self.data {
            Data::F64(_) => "<f8",
            Data::I64(_) => "<i8",
            Data::Bool(_) => "|b1",
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        match &self.data {
            Data::F64(values) => values.len(),
            Data::I64(values) => values.len(),
            Data::Bool(values) => values.len(),
        }
    }

    /// Returns true if and only if the array has no elements (some axis has length 0).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dtype and shape for messages, in numpy's notation: `"<f8 array of shape (105, 4)"`,
    /// `"<i8 array of shape (3,)"`, `"|b1 array of shape ()"`.
    pub fn describe(&self) -> String {
        format!("{} array of shape {}", self.dtype(), python_shape(&self.shape))
    }

    fn is_consistent(&self) -> bool {
        element_count(&self.shape) == Some(self.len())
    }
}

/// Named arrays in file order, the content of one NPZ file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Npz {
    /// The arrays and their names (without the `.npy` suffix), in member order.
    /// Names are unique in a value returned by [`Npz::from_bytes`]; [`Npz::to_bytes`]
    /// requires it.
    pub arrays: Vec<(String, Array)>,
}

impl Npz {
    /// An empty set of arrays (it still makes a valid, empty NPZ file).
    pub fn new() -> Npz {
        Npz::default()
    }

    /// Adds `array` under `name`, replacing (in place) an array of the same name.
    pub fn with(mut self, name: &str, array: Array) -> Npz {
        match self.arrays.iter_mut().find(|(existing, _)| existing == name) {
            Some(slot) => slot.1 = array,
            None => self.arrays.push((name.to_owned(), array)),
        }
        self
    }

    /// The array named `name`, if any.
    pub fn get(&self, name: &str) -> Option<&Array> {
        self.arrays.iter().find(|(existing, _)| existing == name).map(|(_, array)| array)
    }

    /// Removes and returns the array named `name`, if any.
    pub fn take(&mut self, name: &str) -> Option<Array> {
        let index = self.arrays.iter().position(|(existing, _)| existing == name)?;
        Some(self.arrays.remove(index).1)
    }

    /// Writes what `np.savez_compressed` writes: a zip archive with one deflated
    /// `<name>.npy` member per array, in order, each an NPY version 1.0 file whose
    /// header is padded to 64 bytes. Like numpy (whose `zipfile` call passes
    /// `force_zip64=True`), every local header carries a zip64 extra field and
    /// needs version 4.5 to extract. Unlike numpy, the output is reproducible:
    /// members are dated 1980-01-01 rather than now.
    ///
    /// # Panics
    ///
    /// On values no NPZ file can hold, which are bugs of the caller: two arrays of
    /// the same name, an array whose data does not match its shape, or a name
    /// longer than a zip header allows (about 64 KiB).
    pub fn to_bytes(&self) -> Vec<u8> {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .large_file(true)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o600);
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let mut names = HashSet::new();
        for (name, array) in &self.arrays {
            assert!(names.insert(name), "Npz::to_bytes: duplicate array name '{name}'");
            assert!(
                array.is_consistent(),
                "Npz::to_bytes: array '{name}' is a {} but holds {} elements",
                array.describe(),
                array.len()
            );
            let member = format!("{name}.npy");
            if let Err(e) = zip.start_file(member.as_str(), options) {
                panic!("Npz::to_bytes: cannot add member '{member}': {e}");
            }
            if let Err(e) = write_npy(&mut zip, array) {
                panic!("Npz::to_bytes: writing member '{member}' into memory failed: {e}");
            }
        }
        match zip.finish() {
            Ok(cursor) => cursor.into_inner(),
            Err(e) => panic!("Npz::to_bytes: finishing the zip archive in memory failed: {e}"),
        }
    }

    /// Reads what `np.load` reads with `allow_pickle=False`: members stored or
    /// deflated, with or without zip64 headers, holding NPY version 1.0, 2.0 or 3.0
    /// files whose headers may or may not be aligned.
    ///
    /// Accepted dtypes are `<f8`, `<i8` and `|b1`, read as they are, plus `<f4`
    /// (widened to [`Data::F64`]), `<i4`, `<i2`, `|i1`, `|u1`, `<u2`, `<u4` and
    /// `<u8` (widened to [`Data::I64`]; `<u8` only when every value fits). Arrays
    /// stored in Fortran order are transposed into C order, so [`Array::data`] is
    /// always row-major. Rejected: big-endian and other dtypes, object arrays
    /// (numpy writes them only with pickle), members whose name does not end in
    /// `.npy`, duplicate names, and anything over `limits`. Like `np.load`, bytes
    /// after an array's data are ignored.
    pub fn from_bytes(bytes: &[u8], limits: &Limits) -> Result<Npz, NpzError> {
        check_signature(bytes)?;
        let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| NpzError::NotZip(e.to_string()))?;
        if archive.has_duplicate_names() {
            return Err(NpzError::DuplicateName { name: None });
        }
        if archive.len() > limits.max_arrays {
            return Err(NpzError::TooManyArrays { found: archive.len(), limit: limits.max_arrays });
        }
        let mut budget = limits.max_total_bytes;
        let mut npz = Npz::new();
        let mut names = HashSet::new();
        for index in 0..archive.len() {
            let member = match archive.name_for_index(index) {
                Some(Ok(name)) => name.into_owned(),
                _ => format!("#{index}"),
            };
            let Some(name) = member.strip_suffix(".npy").map(str::to_owned) else {
                return Err(NpzError::NotNpy { member });
            };
            if !names.insert(name.clone()) {
                return Err(NpzError::DuplicateName { name: Some(name) });
            }
            let contents = read_member(&mut archive, index, &member, &mut budget, limits.max_total_bytes)?;
            let array = decode_npy(&contents).map_err(|reason| NpzError::Member { member, reason })?;
            npz.arrays.push((name, array));
        }
        Ok(npz)
    }
}

/// Caps on what [`Npz::from_bytes`] accepts, so that a small upload cannot make
/// the server allocate without bound (a zip bomb).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes all members may decompress to together (NPY headers
    /// included). The decoded arrays take at most this much again, times 8 for
    /// one-byte integer dtypes, which widen to `i64`.
    pub max_total_bytes: u64,
    /// The most members (arrays) the archive may hold.
    pub max_arrays: usize,
}

impl Default for Limits {
    /// 256 MiB and 64 arrays.
    fn default() -> Self {
        Limits { max_total_bytes: 256 << 20, max_arrays: 64 }
    }
}

/// Why bytes could not be read as an NPZ file. Every case is a fault of the
/// input; the messages say what is wrong and in which member.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NpzError {
    /// The bytes are not a zip archive at all.
    #[error("not an NPZ file: no zip archive ({0})")]
    NotZip(String),
    /// The archive has more members than [`Limits::max_arrays`].
    #[error("the NPZ file holds {found} members, more than the limit of {limit}")]
    TooManyArrays {
        /// How many members the archive has.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// Decompressing would exceed [`Limits::max_total_bytes`].
    #[error("member '{member}' would decompress beyond the {limit}-byte limit")]
    TooLarge {
        /// The member whose decompression crossed the limit.
        member: String,
        /// The limit, in bytes, for all members together.
        limit: u64,
    },
    /// A member whose name does not end in `.npy`.
    #[error("member '{member}' is not an array: NPZ members are named '<name>.npy'")]
    NotNpy {
        /// The member's name.
        member: String,
    },
    /// Two members with the same name (where numpy would silently read only one).
    #[error("duplicate array name{}", .name.as_ref().map(|name| format!(" '{name}'")).unwrap_or_default())]
    DuplicateName {
        /// The array name, when known: the zip crate reports that the archive's
        /// directory repeats a name, but not which.
        name: Option<String>,
    },
    /// A member that cannot be decompressed or is not an acceptable `.npy` array.
    #[error("member '{member}': {reason}")]
    Member {
        /// The member's name.
        member: String,
        /// What is wrong with it.
        reason: String,
    },
}

// ---------------------------------------------------------------------------
// Writing

/// Writes one `.npy` file through npyz, which pads the header to 64 bytes and
/// picks version 1.0 as numpy does. (Its header text differs from numpy's only in
/// spacing inside the shape tuple, `(3, 4, )` for `(3, 4)`, which numpy parses
/// as the same tuple.)
fn write_npy<W: Write>(out: W, array: &Array) -> io::Result<()> {
    let shape: Vec<u64> = array.shape.iter().map(|&axis| axis as u64).collect();
    match &array.data {
        Data::F64(values) => write_elements(out, array.dtype(), &shape, values),
        Data::I64(values) => write_elements(out, array.dtype(), &shape, values),
        Data::Bool(values) => write_elements(out, array.dtype(), &shape, values),
    }
}

fn write_elements<T, W>(out: W, dtype: &str, shape: &[u64], values: &[T]) -> io::Result<()>
where
    T: npyz::Serialize + Copy,
    W: Write,
{
    // An explicit little-endian dtype (rather than npyz's native default) keeps the
    // bytes the same on every host.
    let dtype = DType::Plain(dtype.parse::<TypeStr>().map_err(io::Error::other)?);
    // npyz writes element by element; the buffer saves the deflater tiny writes.
    let out = BufWriter::with_capacity(1 << 16, out);
    let mut writer = npyz::WriteOptions::<T>::new().dtype(dtype).shape(shape).writer(out).begin_nd()?;
    writer.extend(values.iter().copied())?;
    writer.finish()
}

// ---------------------------------------------------------------------------
// Reading

/// The dtypes [`Npz::from_bytes`] accepts, for messages.
const ACCEPTED_DTYPES: &str = "<f8, <f4, <i8, <i4, <i2, |i1, <u8, <u4, <u2, |u1 or |b1";

/// The longest NPY header `np.load` parses (its `max_header_size` default since
/// numpy 1.24, there to protect `ast.literal_eval`).
const MAX_HEADER_BYTES: usize = 10_000;

/// The most bytes reserved up front for a member, whatever size its header
/// declares (a lie must not cost memory; the real size grows the buffer).
const MAX_PREALLOCATION: u64 = 8 << 20;

/// Rejects non-archives with numpy's own test, before the zip crate (which would
/// also find an archive behind a prefix) sees them: `np.load` opens a file as NPZ
/// only if it starts with a zip local-header or end-of-archive signature.
fn check_signature(bytes: &[u8]) -> Result<(), NpzError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Ok(());
    }
    let what = if bytes.is_empty() {
        "the input is empty".to_owned()
    } else if bytes.starts_with(b"\x93NUMPY") {
        "this is a single .npy array as np.save writes it, not an np.savez archive".to_owned()
    } else {
        let start: Vec<String> = bytes.iter().take(4).map(|byte| format!("{byte:02x}")).collect();
        format!("starts with bytes {} instead of a zip signature", start.join(" "))
    };
    Err(NpzError::NotZip(what))
}

/// Decompresses member `index`, charging its size to `budget`.
fn read_member(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    index: usize,
    member: &str,
    budget: &mut u64,
    limit: u64,
) -> Result<Vec<u8>, NpzError> {
    let fault = |reason: String| NpzError::Member { member: member.to_owned(), reason };
    let too_large = || NpzError::TooLarge { member: member.to_owned(), limit };
    let file = archive.by_index(index).map_err(|e| fault(format!("cannot read it from the archive: {e}")))?;
    // The declared size gives an early answer. A member cannot lie about it: the
    // zip crate fails a read that goes past it; the `take` below would enforce
    // the budget even if it did not.
    let declared = file.size();
    if declared > *budget {
        return Err(too_large());
    }
    let capacity = declared.min(MAX_PREALLOCATION) as usize;
    let mut contents = Vec::with_capacity(capacity);
    file.take(budget.saturating_add(1))
        .read_to_end(&mut contents)
        .map_err(|e| fault(format!("cannot decompress it: {e}")))?;
    let size = contents.len() as u64;
    if size > *budget {
        return Err(too_large());
    }
    *budget -= size;
    Ok(contents)
}

/// How the elements of an accepted dtype are read and widened.
#[derive(Clone, Copy)]
enum Element {
    F8,
    F4,
    I8,
    I4,
    I2,
    I1,
    U8,
    U4,
    U2,
    U1,
    B1,
}

impl Element {
    /// The accepted little-endian (or, for one byte, endian-free) dtypes.
    fn of(type_str: &TypeStr) -> Option<Element> {
        let size = type_str.size_field();
        match type_str.endianness() {
            Endianness::Little => {}
            Endianness::Irrelevant if size == 1 => {}
            _ => return None,
        }
        Some(match (type_str.type_char(), size) {
            (TypeChar::Float, 8) => Element::F8,
            (TypeChar::Float, 4) => Element::F4,
            (TypeChar::Int, 8) => Element::I8,
            (TypeChar::Int, 4) => Element::I4,
            (TypeChar::Int, 2) => Element::I2,
            (TypeChar::Int, 1) => Element::I1,
            (TypeChar::Uint, 8) => Element::U8,
            (TypeChar::Uint, 4) => Element::U4,
            (TypeChar::Uint, 2) => Element::U2,
            (TypeChar::Uint, 1) => Element::U1,
            (TypeChar::Bool, 1) => Element::B1,
            _ => return None,
        })
    }
}

/// Parses one `.npy` member into an [`Array`]; the error is the reason, to be
/// prefixed with the member's name.
fn decode_npy(bytes: &[u8]) -> Result<Array, String> {
    screen_header(bytes)?;
    let npy = NpyFile::new(bytes).map_err(|e| format!("not a valid .npy array: {e}"))?;
    let header = npy.header().clone();
    if header.uses_pickled_array() {
        return Err(format!(
            "object array (dtype {}) is stored with pickle, which is not accepted (np.load refuses it too \
             without allow_pickle=True)",
            header.dtype().descr()
        ));
    }
    let unsupported = || format!("unsupported dtype {} (expected {ACCEPTED_DTYPES})", header.dtype().descr());
    let (element, item_size) = match header.dtype() {
        DType::Plain(type_str) => (Element::of(&type_str).ok_or_else(unsupported)?, type_str.size_field() as usize),
        _ => return Err(unsupported()),
    };
    let shape = header
        .shape()
        .iter()
        .map(|&axis| usize::try_from(axis).ok())
        .collect::<Option<Vec<usize>>>()
        .ok_or_else(|| format!("shape {} is too large", python_shape(header.shape())))?;
    let count = element_count(&shape).ok_or_else(|| format!("shape {} is too large", python_shape(&shape)))?;
    let needed = count.checked_mul(item_size).ok_or_else(|| format!("shape {} is too large", python_shape(&shape)))?;
    let data: &[u8] = npy.into_inner();
    if data.len() < needed {
        return Err(format!(
            "data ends after {} of the {needed} bytes that shape {} needs",
            data.len(),
            python_shape(&shape)
        ));
    }
    let fortran = header.order() == Order::Fortran;
    let npy = NpyFile::with_header(header, &data[..needed]);
    let data = match element {
        Element::F8 => Data::F64(read_elements::<f64>(npy)?),
        Element::F4 => Data::F64(widen(read_elements::<f32>(npy)?)),
        Element::I8 => Data::I64(read_elements::<i64>(npy)?),
        Element::I4 => Data::I64(widen(read_elements::<i32>(npy)?)),
        Element::I2 => Data::I64(widen(read_elements::<i16>(npy)?)),
        Element::I1 => Data::I64(widen(read_elements::<i8>(npy)?)),
        Element::U4 => Data::I64(widen(read_elements::<u32>(npy)?)),
        Element::U2 => Data::I64(widen(read_elements::<u16>(npy)?)),
        Element::U1 => Data::I64(widen(read_elements::<u8>(npy)?)),
        Element::U8 => Data::I64(
            read_elements::<u64>(npy)?
                .into_iter()
                .enumerate()
                .map(|(index, value)| {
                    i64::try_from(value)
                        .map_err(|_| format!("<u8 value {value} at flat index {index} does not fit in int64"))
                })
                .collect::<Result<_, _>>()?,
        ),
        Element::B1 => Data::Bool(read_elements::<bool>(npy)?),
    };
    let data = if fortran && shape.len() > 1 {
        match data {
            Data::F64(values) => Data::F64(fortran_to_c(&shape, &values)),
            Data::I64(values) => Data::I64(fortran_to_c(&shape, &values)),
            Data::Bool(values) => Data::Bool(fortran_to_c(&shape, &values)),
        }
    } else {
        data
    };
    Ok(Array { shape, data })
}

fn read_elements<T: npyz::Deserialize>(npy: NpyFile<&[u8]>) -> Result<Vec<T>, String> {
    npy.into_vec::<T>().map_err(|e| format!("bad array data: {e}"))
}

fn widen<T, U: From<T>>(values: Vec<T>) -> Vec<U> {
    values.into_iter().map(U::from).collect()
}

/// Checks the NPY header before npyz parses it, for three things npyz does not
/// guard against on hostile input:
///
/// - it allocates the declared header length (up to 4 GiB) before reading it,
///   so the length is capped at numpy's own limit first;
/// - its parser (py_literal, recursive descent) recurses per bracket: a 9 KB
///   header nested 3000 deep overflowed a 2 MiB thread stack and aborted the
///   whole process in a test, so the depth is capped far above any real header's;
/// - it multiplies the shape's dimensions unchecked, which panics in builds with
///   overflow checks, so a shape whose product could overflow `u64` is refused
///   here (see [`literals_could_overflow`]).
///
/// A header it cannot locate is left to npyz, whose message is then returned.
fn screen_header(bytes: &[u8]) -> Result<(), String> {
    if !bytes.starts_with(b"\x93NUMPY") || bytes.len() < 12 {
        return Ok(());
    }
    let (start, length) = match bytes[6] {
        1 => (10, usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))),
        2 | 3 => (12, u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize),
        _ => return Ok(()),
    };
    if length > MAX_HEADER_BYTES {
        return Err(format!("NPY header of {length} bytes exceeds numpy's {MAX_HEADER_BYTES}-byte limit"));
    }
    let Some(text) = bytes.get(start..start + length) else {
        return Err(format!("NPY header of {length} bytes runs past the end of the member"));
    };
    const MAX_DEPTH: usize = 32;
    let mut depth = 0usize;
    for &byte in text {
        match byte {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!("NPY header nests brackets more than {MAX_DEPTH} deep"));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if literals_could_overflow(text) {
        return Err("NPY header describes a shape too large to address".to_owned());
    }
    Ok(())
}

/// Returns true if the integer literals of an NPY header could combine into a
/// shape whose element count overflows `u64`.
///
/// A dimension is a Python number expression: integer literals (decimal, `0x`,
/// `0o` or `0b`, with `_` separators) joined by `+` and `-`. With each literal
/// `v` counted as `max(v, 2)`, the product over all literals bounds every such
/// dimension (`a + b <= max(a, 2) * max(b, 2)`) and so the product of all of
/// them. Digits inside strings (`'<f8'`) and floats only add factors, which makes
/// the bound safer; the price is that shapes of about 60 axes of length 0 or 1
/// are refused, which no protocol array has.
fn literals_could_overflow(text: &[u8]) -> bool {
    let mut bound: u64 = 1;
    for token in text.split(|&byte| !(byte.is_ascii_alphanumeric() || byte == b'_')) {
        if !token.first().is_some_and(u8::is_ascii_digit) {
            continue;
        }
        let digits: String = token.iter().filter(|&&byte| byte != b'_').map(|&byte| char::from(byte)).collect();
        let (radix, digits) = match digits.get(..2) {
            Some("0x" | "0X") => (16, &digits[2..]),
            Some("0o" | "0O") => (8, &digits[2..]),
            Some("0b" | "0B") => (2, &digits[2..]),
            _ => (10, digits.as_str()),
        };
        let factor = match u64::from_str_radix(digits, radix) {
            Ok(value) => value.max(2),
            Err(e) if matches!(e.kind(), std::num::IntErrorKind::PosOverflow) => return true,
            Err(_) => continue, // not an integer literal (`1e5`, `5j`)
        };
        match bound.checked_mul(factor) {
            Some(product) => bound = product,
            None => return true,
        }
    }
    false
}

/// Reorders `data`, the elements of an array of `shape` in column-major
/// (Fortran) order, into row-major (C) order.
fn fortran_to_c<T: Copy>(shape: &[usize], data: &[T]) -> Vec<T> {
    // Column-major strides: the first axis is contiguous.
    let mut strides = Vec::with_capacity(shape.len());
    let mut stride = 1;
    for &axis in shape {
        strides.push(stride);
        stride *= axis;
    }
    // Walk the multi-index in row-major order, tracking its column-major offset.
    let mut index = vec![0; shape.len()];
    let mut offset = 0;
    let mut out = Vec::with_capacity(data.len());
    for _ in 0..data.len() {
        out.push(data[offset]);
        for axis in (0..shape.len()).rev() {
            index[axis] += 1;
            offset += strides[axis];
            if index[axis] < shape[axis] {
                break;
            }
            offset -= strides[axis] * shape[axis];
            index[axis] = 0;
        }
    }
    out
}

/// The product of `shape`, or `None` if it overflows.
fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |count, &axis| count.checked_mul(axis))
}

/// A shape as Python prints a tuple: `()`, `(3,)`, `(3, 4)`.
fn python_shape<T: std::fmt::Display>(shape: &[T]) -> String {
    match shape {
        [only] => format!("({only},)"),
        _ => format!("({})", shape.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Written by real numpy 1.26 with fixtures/make_fixtures.py.
    const SAVEZ_COMPRESSED: &[u8] = include_bytes!("fixtures/savez_compressed.npz");
    const SAVEZ_STORED: &[u8] = include_bytes!("fixtures/savez_stored.npz");
    const NARROW_TYPES: &[u8] = include_bytes!("fixtures/narrow_types.npz");
    const FORTRAN_ORDER: &[u8] = include_bytes!("fixtures/fortran_order.npz");
    const NPY_VERSIONS: &[u8] = include_bytes!("fixtures/npy_versions.npz");
    const PICKLED_OBJECT: &[u8] = include_bytes!("fixtures/pickled_object.npz");
    const BIG_ENDIAN: &[u8] = include_bytes!("fixtures/big_endian.npz");
    const UNICODE_STRINGS: &[u8] = include_bytes!("fixtures/unicode_strings.npz");

    fn read(bytes: &[u8]) -> Npz {
        Npz::from_bytes(bytes, &Limits::default()).unwrap_or_else(|e| panic!("read failed: {e}"))
    }

    fn error(bytes: &[u8]) -> String {
        error_with(bytes, &Limits::default()).to_string()
    }

    fn error_with(bytes: &[u8], limits: &Limits) -> NpzError {
        match Npz::from_bytes(bytes, limits) {
            Ok(npz) => panic!("expected an error, read {npz:?}"),
            Err(e) => e,
        }
    }

    fn names(npz: &Npz) -> Vec<&str> {
        npz.arrays.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// Asserts equal names, shapes and elements, floats compared bit for bit
    /// (so that NaN equals itself and -0.0 differs from 0.0).
    fn assert_same(left: &Npz, right: &Npz) {
        fn bits(npz: &Npz) -> Vec<(&str, &[usize], &str, Vec<u64>)> {
            npz.arrays
                .iter()
                .map(|(name, array)| {
                    let values = match &array.data {
                        Data::F64(values) => values.iter().map(|value| value.to_bits()).collect(),
                        Data::I64(values) => values.iter().map(|&value| value as u64).collect(),
                        Data::Bool(values) => values.iter().map(|&value| u64::from(value)).collect(),
                    };
                    (name.as_str(), array.shape.as_slice(), array.dtype(), values)
                })
                .collect()
        }
        assert_eq!(bits(left), bits(right));
    }

    /// A version 1.0 `.npy` file with header `dict`, padded as numpy pads it.
    fn npy(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut header = dict.as_bytes().to_vec();
        while !(10 + header.len() + 1).is_multiple_of(64) {
            header.push(b' ');
        }
        header.push(b'\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend(header);
        out.extend_from_slice(data);
        out
    }

    fn f8_bytes(values: &[f64]) -> Vec<u8> {
        values.iter().flat_map(|value| value.to_le_bytes()).collect()
    }

    /// A zip of `members` with no zip64 and no compression, so tests can find and
    /// patch bytes in it.
    fn stored_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, contents) in members {
            zip.start_file(*name, options).unwrap();
            zip.write_all(contents).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// An NPZ holding the one member `a.npy` with header `dict` and `data`.
    fn npz_of(dict: &str, data: &[u8]) -> Vec<u8> {
        stored_zip(&[("a.npy", &npy(dict, data))])
    }

    /// Replaces every occurrence of `from` by `to` (of the same length); returns how many.
    fn patch(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
        assert_eq!(from.len(), to.len());
        let mut count = 0;
        let mut at = 0;
        while let Some(found) = bytes[at..].windows(from.len()).position(|window| window == from) {
            bytes[at + found..at + found + to.len()].copy_from_slice(to);
            count += 1;
            at += found + to.len();
        }
        count
    }

    fn find(bytes: &[u8], needle: &[u8]) -> usize {
        bytes.windows(needle.len()).position(|window| window == needle).expect("needle present")
    }

    fn u16_at(bytes: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([bytes[at], bytes[at + 1]])
    }

    fn u32_at(bytes: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    fn u64_at(bytes: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
    }

    /// The protocol's arrays plus the edge cases: 0-d, empty, extreme values.
    fn sample() -> Npz {
        Npz::new()
            .with("X", Array::f64(vec![2, 3], vec![0.0, -0.0, 1.5, f64::NAN, f64::INFINITY, f64::MIN_POSITIVE]))
            .with("y", Array::i64(vec![3], vec![i64::MIN, 0, i64::MAX]))
            .with("prediction", Array::bool(vec![3], vec![true, false, true]))
            .with("scalar", Array::f64(vec![], vec![42.5]))
            .with("empty", Array::f64(vec![0], vec![]))
            .with("no_rows", Array::i64(vec![0, 4], vec![]))
    }

    // --- Files written by numpy -------------------------------------------

    #[test]
    fn reads_numpy_savez_compressed() {
        let npz = read(SAVEZ_COMPRESSED);
        assert_eq!(names(&npz), ["X", "y", "membership", "empty"]);
        let x = npz.get("X").unwrap();
        assert_eq!(
            x,
            &Array::f64(
                vec![3, 4],
                vec![
                    0.0,
                    -1.5,
                    2.25,
                    1e300,
                    -0.0,
                    3.0,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    0.1,
                    0.2,
                    0.3,
                    f64::from_bits(1)
                ]
            )
        );
        let Data::F64(values) = &x.data else { unreachable!() };
        assert_eq!(values[4].to_bits(), (-0.0f64).to_bits());
        assert_eq!(npz.get("y"), Some(&Array::i64(vec![3], vec![i64::MIN, 0, i64::MAX])));
        assert_eq!(npz.get("membership"), Some(&Array::bool(vec![3], vec![true, false, true])));
        // The challenge sends `y` like this.
        assert_eq!(npz.get("empty"), Some(&Array::f64(vec![0], vec![])));
    }

    #[test]
    fn reads_numpy_savez_stored() {
        let mut archive = ZipArchive::new(Cursor::new(SAVEZ_STORED)).unwrap();
        assert_eq!(archive.by_index(0).unwrap().compression(), CompressionMethod::Stored);
        let npz = read(SAVEZ_STORED);
        assert_eq!(names(&npz), ["scalar", "counts", "flags"]);
        assert_eq!(npz.get("scalar"), Some(&Array::f64(vec![], vec![42.5])));
        assert_eq!(npz.get("counts"), Some(&Array::i64(vec![2, 3], vec![-2, -1, 0, 1, 2, 3])));
        assert_eq!(npz.get("flags"), Some(&Array::bool(vec![2, 0, 3], vec![])));
    }

    #[test]
    fn widens_numpy_narrow_types() {
        let npz = read(NARROW_TYPES);
        assert_eq!(names(&npz), ["f4", "i4", "i2", "i1", "u1", "u2", "u4", "u8"]);
        let expect = [
            ("f4", Array::f64(vec![3], vec![0.5, -1.25, f64::from(f32::MAX)])),
            ("i4", Array::i64(vec![2, 2], vec![i32::MIN.into(), 7, 0, i32::MAX.into()])),
            ("i2", Array::i64(vec![2], vec![-32768, 32767])),
            ("i1", Array::i64(vec![2], vec![-128, 127])),
            ("u1", Array::i64(vec![2], vec![0, 255])),
            ("u2", Array::i64(vec![1], vec![65535])),
            ("u4", Array::i64(vec![1], vec![4294967295])),
            ("u8", Array::i64(vec![1], vec![i64::MAX])),
        ];
        for (name, array) in expect {
            assert_eq!(npz.get(name), Some(&array), "{name}");
        }
    }

    #[test]
    fn transposes_numpy_fortran_order_into_c_order() {
        let npz = read(FORTRAN_ORDER);
        assert_eq!(npz.get("F2"), Some(&Array::f64(vec![2, 3], vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0])));
        assert_eq!(npz.get("F3"), Some(&Array::i64(vec![2, 3, 4], (0..24).collect())));
    }

    #[test]
    fn reads_npy_versions_2_and_3_and_unaligned_headers() {
        let npz = read(NPY_VERSIONS);
        assert_eq!(names(&npz), ["v2", "v3", "unaligned"]);
        assert_eq!(npz.get("v2"), Some(&Array::f64(vec![2], vec![1.0, 2.0])));
        assert_eq!(npz.get("v3"), Some(&Array::i64(vec![2], vec![3, 4])));
        assert_eq!(npz.get("unaligned"), Some(&Array::f64(vec![3], vec![5.0, 6.0, 7.0])));
    }

    #[test]
    fn rejects_numpy_pickled_object_array() {
        let message = error(PICKLED_OBJECT);
        assert!(message.starts_with("member 'o.npy': object array (dtype '|O') is stored with pickle"), "{message}");
    }

    #[test]
    fn rejects_numpy_big_endian_and_strings() {
        assert_eq!(error(BIG_ENDIAN), format!("member 'b.npy': unsupported dtype '>f8' (expected {ACCEPTED_DTYPES})"));
        assert_eq!(
            error(UNICODE_STRINGS),
            format!("member 's.npy': unsupported dtype '<U2' (expected {ACCEPTED_DTYPES})")
        );
    }

    // --- Our writer, read by numpy --------------------------------------------

    /// Loads an NPZ with `np.load(allow_pickle=False)` and prints each array's
    /// name, dtype, shape and elements as JSON, floats as their bit patterns.
    const NUMPY_LOAD: &str = r#"
import json, sys, zipfile
import numpy as np
path = sys.argv[1]
assert zipfile.ZipFile(path).testzip() is None, "a member fails its CRC"
report = []
with np.load(path, allow_pickle=False) as npz:
    for name in npz.files:
        a = npz[name]
        flat = (a.view("<u8") if a.dtype == np.float64 else a).reshape(-1)
        report.append({"name": name, "dtype": a.dtype.str, "shape": list(a.shape),
                       "c_contiguous": bool(a.flags.c_contiguous), "values": flat.tolist()})
print(json.dumps(report))
"#;

    #[test]
    fn numpy_loads_what_we_write() {
        let Some(python) = std::env::var_os("ANONLAB_NUMPY_PYTHON") else {
            eprintln!("skipped: ANONLAB_NUMPY_PYTHON not set (a python with numpy)");
            return;
        };
        let npz = sample().with("ünïcode name", Array::bool(vec![1, 1], vec![false]));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ours.npz");
        std::fs::write(&path, npz.to_bytes()).unwrap();
        let output = std::process::Command::new(python).arg("-c").arg(NUMPY_LOAD).arg(&path).output().unwrap();
        assert!(output.status.success(), "numpy failed: {}", String::from_utf8_lossy(&output.stderr));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let expected: Vec<serde_json::Value> = npz
            .arrays
            .iter()
            .map(|(name, array)| {
                let values = match &array.data {
                    Data::F64(values) => serde_json::json!(values.iter().map(|v| v.to_bits()).collect::<Vec<_>>()),
                    Data::I64(values) => serde_json::json!(values),
                    Data::Bool(values) => serde_json::json!(values),
                };
                serde_json::json!({
                    "name": name, "dtype": array.dtype(), "shape": array.shape,
                    "c_contiguous": true, "values": values,
                })
            })
            .collect();
        assert_eq!(report, serde_json::Value::Array(expected));
    }

    // --- Our writer, byte by byte ---------------------------------------------

    #[test]
    fn writes_zip64_local_headers_like_numpy() {
        let bytes = sample().to_bytes();
        let mut archive = ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        assert_eq!(archive.len(), 6);
        for index in 0..archive.len() {
            let file = archive.by_index(index).unwrap();
            let name = file.name().unwrap().into_owned();
            let (start, compressed, size) = (file.header_start() as usize, file.compressed_size(), file.size());
            assert_eq!(file.compression(), CompressionMethod::Deflated, "{name}");
            drop(file);
            let header = &bytes[start..];
            assert_eq!(&header[..4], b"PK\x03\x04", "{name}");
            assert_eq!(u16_at(header, 4), 45, "{name}: version needed to extract (4.5, zip64)");
            assert_eq!(u16_at(header, 6) & 0x0008, 0, "{name}: no data descriptor");
            assert_eq!(u16_at(header, 8), 8, "{name}: deflate");
            assert_eq!(u32_at(header, 18), 0xFFFF_FFFF, "{name}: compressed size deferred to zip64");
            assert_eq!(u32_at(header, 22), 0xFFFF_FFFF, "{name}: size deferred to zip64");
            let (name_len, extra_len) = (usize::from(u16_at(header, 26)), usize::from(u16_at(header, 28)));
            assert_eq!(&header[30..30 + name_len], name.as_bytes());
            // Exactly numpy's extra field: zip64 (0x0001), 16 bytes of sizes.
            assert_eq!(extra_len, 20, "{name}");
            let extra = &header[30 + name_len..30 + name_len + extra_len];
            assert_eq!((u16_at(extra, 0), u16_at(extra, 2)), (0x0001, 16), "{name}");
            assert_eq!((u64_at(extra, 4), u64_at(extra, 12)), (size, compressed), "{name}");
        }
    }

    #[test]
    fn writes_npy_1_0_headers_aligned_to_64_bytes() {
        let npz = sample();
        let bytes = npz.to_bytes();
        let mut archive = ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        for (index, (name, array)) in npz.arrays.iter().enumerate() {
            let mut file = archive.by_index(index).unwrap();
            assert_eq!(file.name().unwrap(), format!("{name}.npy"));
            let mut member = Vec::new();
            file.read_to_end(&mut member).unwrap();
            assert!(member.starts_with(b"\x93NUMPY\x01\x00"), "{name}");
            let header_len = usize::from(u16_at(&member, 8));
            assert_eq!((10 + header_len) % 64, 0, "{name}: data starts 64-byte aligned");
            let text = std::str::from_utf8(&member[10..10 + header_len]).unwrap();
            assert!(text.ends_with('\n'), "{name}");
            let shape: String = array.shape.iter().map(|axis| format!("{axis}, ")).collect();
            let dict = format!("{{'descr': '{}', 'fortran_order': False, 'shape': ({shape}), }}", array.dtype());
            assert_eq!(text.trim_end(), dict, "{name}");
            let item_size = if array.dtype() == "|b1" { 1 } else { 8 };
            assert_eq!(member.len() - 10 - header_len, array.len() * item_size, "{name}");
        }
    }

    #[test]
    fn writes_reproducible_bytes() {
        assert_eq!(sample().to_bytes(), sample().to_bytes());
    }

    // --- Round trips ------------------------------------------------------------

    #[test]
    fn round_trips_protocol_arrays_and_edge_cases() {
        let npz = sample();
        let back = read(&npz.to_bytes());
        assert_same(&back, &npz);
        assert_eq!(names(&back), ["X", "y", "prediction", "scalar", "empty", "no_rows"]);
    }

    #[test]
    fn round_trips_an_empty_npz() {
        let bytes = Npz::new().to_bytes();
        assert!(bytes.starts_with(b"PK\x05\x06"), "an empty zip is its end record alone");
        assert_eq!(read(&bytes), Npz::new());
    }

    fn array_strategy() -> impl Strategy<Value = Array> {
        prop::collection::vec(0usize..4, 0..4).prop_flat_map(|shape| {
            let count = shape.iter().product::<usize>();
            let (s1, s2, s3) = (shape.clone(), shape.clone(), shape);
            prop_oneof![
                prop::collection::vec(any::<u64>().prop_map(f64::from_bits), count)
                    .prop_map(move |data| Array::f64(s1.clone(), data)),
                prop::collection::vec(any::<i64>(), count).prop_map(move |data| Array::i64(s2.clone(), data)),
                prop::collection::vec(any::<bool>(), count).prop_map(move |data| Array::bool(s3.clone(), data)),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn round_trips_any_arrays(
            arrays in prop::collection::btree_map("[a-zA-Z_é][a-zA-Z0-9_ é]{0,10}", array_strategy(), 0..5),
        ) {
            let npz = Npz { arrays: arrays.into_iter().collect() };
            assert_same(&read(&npz.to_bytes()), &npz);
        }

        #[test]
        fn never_panics_on_corrupted_input(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
            let mut bytes = sample().to_bytes();
            for (at, value) in flips {
                let at = at.index(bytes.len());
                bytes[at] = value;
            }
            let _ = Npz::from_bytes(&bytes, &Limits::default());
        }
    }

    // --- The API ----------------------------------------------------------------

    #[test]
    fn arrays_describe_themselves_in_numpy_notation() {
        let x = Array::f64(vec![105, 4], vec![0.0; 420]);
        assert_eq!((x.dtype(), x.len(), x.is_empty()), ("<f8", 420, false));
        assert_eq!(x.describe(), "<f8 array of shape (105, 4)");
        assert_eq!(Array::i64(vec![3], vec![1, 2, 3]).describe(), "<i8 array of shape (3,)");
        assert_eq!(Array::bool(vec![], vec![true]).describe(), "|b1 array of shape ()");
        let empty = Array::f64(vec![0], vec![]);
        assert!(empty.is_empty());
        assert_eq!(empty.describe(), "<f8 array of shape (0,)");
    }

    #[test]
    fn with_replaces_in_place_and_take_removes() {
        let mut npz = Npz::new()
            .with("a", Array::i64(vec![1], vec![1]))
            .with("b", Array::i64(vec![1], vec![2]))
            .with("a", Array::i64(vec![1], vec![3]));
        assert_eq!(names(&npz), ["a", "b"]);
        assert_eq!(npz.get("a"), Some(&Array::i64(vec![1], vec![3])));
        assert_eq!(npz.get("c"), None);
        assert_eq!(npz.take("a"), Some(Array::i64(vec![1], vec![3])));
        assert_eq!(npz.take("a"), None);
        assert_eq!(names(&npz), ["b"]);
    }

    #[test]
    fn default_limits() {
        assert_eq!(Limits::default(), Limits { max_total_bytes: 256 * 1024 * 1024, max_arrays: 64 });
    }

    #[test]
    #[should_panic(expected = "duplicate array name 'a'")]
    fn to_bytes_panics_on_duplicate_names() {
        let array = Array::i64(vec![1], vec![1]);
        let _ = Npz { arrays: vec![("a".into(), array.clone()), ("a".into(), array)] }.to_bytes();
    }

    #[test]
    #[should_panic(expected = "array 'a' is a <i8 array of shape (2, 2) but holds 3 elements")]
    fn to_bytes_panics_on_data_that_does_not_fit_the_shape() {
        let array = Array { shape: vec![2, 2], data: Data::I64(vec![1, 2, 3]) };
        let _ = Npz::new().with("a", array).to_bytes();
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "holds 3 elements")]
    fn constructors_check_the_shape_in_debug_builds() {
        let _ = Array::f64(vec![2], vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn fortran_to_c_matches_index_arithmetic() {
        let shape = [2, 3, 4];
        // Column-major: the first index varies fastest.
        let mut fortran = Vec::new();
        for k in 0..4 {
            for j in 0..3 {
                for i in 0..2 {
                    fortran.push(100 * i + 10 * j + k);
                }
            }
        }
        let c: Vec<_> =
            (0..2).flat_map(|i| (0..3).flat_map(move |j| (0..4).map(move |k| 100 * i + 10 * j + k))).collect();
        assert_eq!(fortran_to_c(&shape, &fortran), c);
        assert_eq!(fortran_to_c(&[2, 0, 3], &[] as &[u8]), Vec::<u8>::new());
        assert_eq!(fortran_to_c(&[], &[7]), [7]);
    }

    // --- Errors: the archive ------------------------------------------------------

    #[test]
    fn rejects_what_is_not_a_zip_archive() {
        assert_eq!(error(b""), "not an NPZ file: no zip archive (the input is empty)");
        assert_eq!(
            error(b"hello world"),
            "not an NPZ file: no zip archive (starts with bytes 68 65 6c 6c instead of a zip signature)"
        );
        let bare = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", &f8_bytes(&[1.0]));
        assert_eq!(
            error(&bare),
            "not an NPZ file: no zip archive (this is a single .npy array as np.save writes it, not an np.savez \
             archive)"
        );
        let truncated = error_with(&SAVEZ_COMPRESSED[..200], &Limits::default());
        assert!(matches!(truncated, NpzError::NotZip(_)), "{truncated}");
        assert!(truncated.to_string().starts_with("not an NPZ file: no zip archive ("), "{truncated}");
    }

    #[test]
    fn rejects_more_members_than_the_limit() {
        let limits = Limits { max_arrays: 3, ..Limits::default() };
        assert_eq!(
            error_with(SAVEZ_COMPRESSED, &limits).to_string(),
            "the NPZ file holds 4 members, more than the limit of 3"
        );
        assert_eq!(read(SAVEZ_COMPRESSED).arrays.len(), 4);
    }

    #[test]
    fn rejects_members_beyond_the_size_limit() {
        // X.npy decompresses to 224 bytes and y.npy to 152: the limit counts them together.
        let limits = Limits { max_total_bytes: 300, ..Limits::default() };
        assert_eq!(
            error_with(SAVEZ_COMPRESSED, &limits).to_string(),
            "member 'y.npy' would decompress beyond the 300-byte limit"
        );
        let limits = Limits { max_total_bytes: 224 + 152 + 131 + 128, ..Limits::default() };
        assert!(Npz::from_bytes(SAVEZ_COMPRESSED, &limits).is_ok());
        let limits = Limits { max_total_bytes: 224 + 152 + 131 + 127, ..Limits::default() };
        assert!(
            matches!(error_with(SAVEZ_COMPRESSED, &limits), NpzError::TooLarge { member, .. } if member == "empty.npy")
        );
    }

    #[test]
    fn enforces_the_size_limit_when_the_header_lies() {
        // A deflated megabyte of zeros whose headers claim 16 bytes.
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("bomb.npy", options).unwrap();
        zip.write_all(&vec![0; 1 << 20]).unwrap();
        let mut bytes = zip.finish().unwrap().into_inner();
        assert_eq!(patch(&mut bytes, &(1u32 << 20).to_le_bytes(), &16u32.to_le_bytes()), 2);
        // The zip crate stops at the declared size itself (our own cap is the
        // second guard), with either limit.
        for limits in [Limits { max_total_bytes: 4096, ..Limits::default() }, Limits::default()] {
            let err = error_with(&bytes, &limits);
            assert!(err.to_string().starts_with("member 'bomb.npy': cannot decompress it: "), "{err}");
        }
    }

    #[test]
    fn rejects_members_that_are_not_npy_files() {
        let one = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", &f8_bytes(&[1.0]));
        let bytes = stored_zip(&[("X.npy", &one), ("notes.txt", b"hello")]);
        assert_eq!(error(&bytes), "member 'notes.txt' is not an array: NPZ members are named '<name>.npy'");
    }

    #[test]
    fn rejects_duplicate_names() {
        let one = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", &f8_bytes(&[1.0]));
        // The zip crate refuses to write a name twice, so rename a member afterwards
        // (its local and central headers both); the CRC does not cover names.
        let mut bytes = stored_zip(&[("a.npy", &one), ("b.npy", &one)]);
        assert_eq!(patch(&mut bytes, b"b.npy", b"a.npy"), 2);
        assert_eq!(error(&bytes), "duplicate array name");
        // Two raw names that decode alike: CP437 0x82 and UTF-8 "é".
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file_with_options(options.name(b"\x82.npy")).unwrap();
        zip.write_all(&one).unwrap();
        zip.start_file("é.npy", options).unwrap();
        zip.write_all(&one).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        assert_eq!(error(&bytes), "duplicate array name 'é'");
    }

    #[test]
    fn rejects_corrupted_member_data() {
        let one = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", &f8_bytes(&[1.0]));
        let mut bytes = stored_zip(&[("a.npy", &one)]);
        let last = find(&bytes, b"\x93NUMPY") + one.len() - 1;
        bytes[last] ^= 0x40;
        let message = error(&bytes);
        assert!(message.starts_with("member 'a.npy': cannot decompress it: "), "{message}");
    }

    #[test]
    fn rejects_unsupported_compression_methods() {
        let one = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", &f8_bytes(&[1.0]));
        let mut bytes = stored_zip(&[("a.npy", &one)]);
        // Method 12 (bzip2) in the local header (offset 8) and the central one (offset 10).
        bytes[8] = 12;
        let central = find(&bytes, b"PK\x01\x02");
        bytes[central + 10] = 12;
        // (The zip crate reports it only when reading starts.)
        let message = error(&bytes);
        assert!(message.starts_with("member 'a.npy': cannot "), "{message}");
        assert!(message.contains("12"), "{message}");
    }

    // --- Errors: the .npy members -------------------------------------------------

    #[test]
    fn rejects_unsupported_dtypes() {
        for (descr, shown) in [
            ("'>i8'", "'>i8'"),
            ("'<f2'", "'<f2'"),
            ("'<c16'", "'<c16'"),
            ("'|S3'", "'|S3'"),
            ("'<m8[D]'", "'<m8[D]'"),
            ("[('a', '<f8')]", "[('a', '<f8'), ]"),
        ] {
            let bytes = npz_of(&format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (0,), }}"), &[]);
            assert_eq!(
                error(&bytes),
                format!("member 'a.npy': unsupported dtype {shown} (expected {ACCEPTED_DTYPES})")
            );
        }
    }

    #[test]
    fn reads_little_endian_one_byte_dtypes_however_marked() {
        let bytes = npz_of("{'descr': '<u1', 'fortran_order': False, 'shape': (2,), }", &[7, 200]);
        assert_eq!(read(&bytes).get("a"), Some(&Array::i64(vec![2], vec![7, 200])));
    }

    #[test]
    fn rejects_u8_values_beyond_int64() {
        let data: Vec<u8> = [1u64, 1 << 63].iter().flat_map(|value| value.to_le_bytes()).collect();
        let bytes = npz_of("{'descr': '<u8', 'fortran_order': False, 'shape': (2,), }", &data);
        assert_eq!(
            error(&bytes),
            "member 'a.npy': <u8 value 9223372036854775808 at flat index 1 does not fit in int64"
        );
    }

    #[test]
    fn rejects_bool_bytes_other_than_0_and_1() {
        let bytes = npz_of("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", &[0, 2]);
        assert_eq!(error(&bytes), "member 'a.npy': bad array data: invalid value for bool: 2");
    }

    #[test]
    fn rejects_truncated_data_and_ignores_trailing_bytes() {
        let bytes = npz_of("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", &f8_bytes(&[1.0, 2.0]));
        assert_eq!(error(&bytes), "member 'a.npy': data ends after 16 of the 24 bytes that shape (3,) needs");
        let bytes = npz_of("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", &f8_bytes(&[1.0, 2.0]));
        assert_eq!(read(&bytes).get("a"), Some(&Array::f64(vec![1], vec![1.0])));
    }

    #[test]
    fn rejects_malformed_headers() {
        for (dict, expected) in [
            ("[1, 2]", "not a valid .npy array: "),
            ("{'descr': '<f8', 'shape': (1,), }", "not a valid .npy array: "),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }", "not a valid .npy array: "),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (1.5,), }", "not a valid .npy array: "),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,) ", "not a valid .npy array: "),
            ("{'descr': 'x', 'fortran_order': False, 'shape': (1,), }", "not a valid .npy array: "),
        ] {
            let message = error(&npz_of(dict, &f8_bytes(&[1.0])));
            assert!(message.starts_with(&format!("member 'a.npy': {expected}")), "{dict}: {message}");
        }
        let message = error(&stored_zip(&[("a.npy", b"PK not an npy file at all")]));
        assert!(message.starts_with("member 'a.npy': not a valid .npy array: "), "{message}");
        let message = error(&stored_zip(&[("a.npy", b"\x93NUMPY\x04\x00\x10\x00\x00\x00")]));
        assert!(message.starts_with("member 'a.npy': not a valid .npy array: "), "{message}");
    }

    #[test]
    fn rejects_hostile_headers_before_npyz_parses_them() {
        // A header length beyond numpy's limit (npyz would allocate it first).
        let mut member = b"\x93NUMPY\x02\x00".to_vec();
        member.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            error(&stored_zip(&[("a.npy", &member)])),
            "member 'a.npy': NPY header of 4294967295 bytes exceeds numpy's 10000-byte limit"
        );
        let mut member = b"\x93NUMPY\x01\x00".to_vec();
        member.extend_from_slice(&500u16.to_le_bytes());
        member.extend_from_slice(b"{'descr': '<f8'");
        assert_eq!(
            error(&stored_zip(&[("a.npy", &member)])),
            "member 'a.npy': NPY header of 500 bytes runs past the end of the member"
        );
        // Deep nesting (npyz's parser recurses per bracket).
        let nested = format!(
            "{{'descr': '<f8', 'fortran_order': False, 'shape': {}1{}, }}",
            "(".repeat(2000),
            ",)".repeat(2000)
        );
        assert_eq!(error(&npz_of(&nested, &[])), "member 'a.npy': NPY header nests brackets more than 32 deep");
        // Shapes whose product overflows (npyz multiplies unchecked).
        for shape in [
            "(4294967296, 4294967296, 4294967296)",
            "(0x100000000, 0o40000000000, 0b1_0000_0000_0000_0000_0000_0000_0000_0000)",
            "(99999999999999999999999,)",
            &format!("({})", "1+1, ".repeat(70)),
        ] {
            let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
            assert_eq!(
                error(&npz_of(&dict, &[])),
                "member 'a.npy': NPY header describes a shape too large to address",
                "{shape}"
            );
        }
        // A product that fits u64 but not as bytes.
        let dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({},), }}", 1u64 << 62);
        assert_eq!(error(&npz_of(&dict, &[])), "member 'a.npy': shape (4611686018427387904,) is too large");
    }

    #[test]
    fn overflow_screen_passes_real_headers() {
        assert!(!literals_could_overflow(b"{'descr': '<f8', 'fortran_order': False, 'shape': (105, 4), }"));
        assert!(!literals_could_overflow(b"{'descr': '<i8', 'fortran_order': False, 'shape': (1000000, 1000), }"));
        assert!(!literals_could_overflow(b"{'descr': '<f8', 'fortran_order': False, 'shape': (), }"));
        assert!(literals_could_overflow(b"(4294967296, 4294967296)"));
        assert!(!literals_could_overflow(b"(4294967295, 4294967295)"));
    }
}
