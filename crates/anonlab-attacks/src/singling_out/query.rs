//! Singling-out predicates: conjunctions of column conditions, evaluated on
//! an encoded table with Polars' NULL semantics (a comparison with NULL is
//! not a match), as Anonymeter evaluates them.

use std::fmt;

use crate::frame::{Field, Frame, Kind, NULL, Values};

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `is null`
    IsNull,
    /// `is not null`
    NotNull,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::IsNull => "is null",
            Op::NotNull => "is not null",
        }
    }
}

/// One condition on one column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Predicate {
    /// Schema position of the column.
    pub column: usize,
    /// The comparison.
    pub op: Op,
    /// The number compared with (numeric columns).
    pub number: f64,
    /// The code compared with (categorical columns).
    pub code: u32,
}

impl Predicate {
    /// A condition on a numeric column.
    pub fn number(column: usize, op: Op, number: f64) -> Self {
        Predicate { column, op, number, code: NULL }
    }

    /// A condition on a categorical column.
    pub fn code(column: usize, op: Op, code: u32) -> Self {
        Predicate { column, op, number: f64::NAN, code }
    }

    /// `column is null`.
    pub fn null(column: usize) -> Self {
        Predicate { column, op: Op::IsNull, number: f64::NAN, code: NULL }
    }

    #[inline]
    fn holds(&self, frame: &Frame, row: usize) -> bool {
        match frame.column(self.column) {
            Values::Numeric(v) => {
                let x = v[row];
                match self.op {
                    Op::IsNull => x.is_nan(),
                    Op::NotNull => !x.is_nan(),
                    _ if x.is_nan() => false,
                    Op::Eq => x == self.number,
                    Op::Ne => x != self.number,
                    Op::Lt => x < self.number,
                    Op::Le => x <= self.number,
                    Op::Gt => x > self.number,
                    Op::Ge => x >= self.number,
                }
            }
            Values::Categorical(v) => {
                let x = v[row];
                match self.op {
                    Op::IsNull => x == NULL,
                    Op::NotNull => x != NULL,
                    _ if x == NULL => false,
                    Op::Eq => x == self.code,
                    Op::Ne => x != self.code,
                    // Order comparisons on categories never arise (Anonymeter uses == and != only).
                    Op::Lt | Op::Le | Op::Gt | Op::Ge => false,
                }
            }
        }
    }
}

/// A conjunction of conditions, sorted by column.
#[derive(Debug, Clone, PartialEq)]
pub struct Query(pub Vec<Predicate>);

impl Query {
    /// True when every condition holds in `row`.
    pub fn matches(&self, frame: &Frame, row: usize) -> bool {
        self.0.iter().all(|p| p.holds(frame, row))
    }

    /// The number of matching rows, counting no further than `cap`.
    pub fn count_up_to(&self, frame: &Frame, cap: usize) -> usize {
        let mut n = 0;
        for row in 0..frame.rows() {
            if self.matches(frame, row) {
                n += 1;
                if n >= cap {
                    break;
                }
            }
        }
        n
    }

    /// The query as text, e.g. `age >= 88 & sex == "Female"`.
    pub fn display<'a>(&'a self, fields: &'a [Field]) -> impl fmt::Display + 'a {
        Shown { query: self, fields }
    }
}

struct Shown<'a> {
    query: &'a Query,
    fields: &'a [Field],
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.query.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" & ")?;
            }
            let field = &self.fields[p.column];
            write!(f, "{} {}", field.name, p.op.symbol())?;
            if matches!(p.op, Op::IsNull | Op::NotNull) {
                continue;
            }
            match &field.kind {
                Kind::Numeric { .. } => write!(f, " {}", p.number)?,
                Kind::Categorical { dictionary } => write!(f, " {:?}", dictionary[p.code as usize])?,
            }
        }
        Ok(())
    }
}

/// Sorted views of a table that count a query's matches without scanning
/// every row: each condition's matching rows are a contiguous run of one
/// column's sorted order (a value range, or one category's rows), so the
/// query is checked only on the rows of its most selective condition. A
/// query that singles out usually has a rare condition, so counting costs
/// a few binary searches and a handful of row checks instead of a pass over
/// the table — what makes a million-row release cheap to attack.
pub struct Index<'a> {
    frame: &'a Frame,
    columns: Vec<Sorted>,
}

enum Sorted {
    /// Non-NULL rows by ascending value, and the NULL rows.
    Numeric { values: Vec<f64>, rows: Vec<u32>, nulls: Vec<u32> },
    /// Rows grouped by code (NULL last): group `c` is `rows[starts[c]..starts[c + 1]]`.
    Categorical { starts: Vec<usize>, rows: Vec<u32> },
}

/// The rows a condition can match, when they form one run.
enum Candidates<'s> {
    Rows(&'s [u32]),
    /// Too many to be worth listing (a `!=` or `is not null`).
    All,
}

impl Candidates<'_> {
    fn len(&self, total: usize) -> usize {
        match self {
            Candidates::Rows(r) => r.len(),
            Candidates::All => total,
        }
    }
}

impl<'a> Index<'a> {
    /// Sorts every column of `frame`.
    pub fn new(frame: &'a Frame, fields: &[Field]) -> Self {
        use rayon::prelude::*;
        let columns = (0..fields.len())
            .into_par_iter()
            .map(|c| match frame.column(c) {
                Values::Numeric(v) => {
                    let mut pairs: Vec<(f64, u32)> =
                        v.iter().enumerate().filter(|(_, x)| !x.is_nan()).map(|(r, &x)| (x, r as u32)).collect();
                    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    let nulls = v.iter().enumerate().filter(|(_, x)| x.is_nan()).map(|(r, _)| r as u32).collect();
                    let (values, rows) = pairs.into_iter().unzip();
                    Sorted::Numeric { values, rows, nulls }
                }
                Values::Categorical(v) => {
                    let groups = match &fields[c].kind {
                        Kind::Categorical { dictionary } => dictionary.len() + 1,
                        Kind::Numeric { .. } => unreachable!("frame and fields disagree"),
                    };
                    let slot = |code: u32| if code == NULL { groups - 1 } else { code as usize };
                    let mut starts = vec![0usize; groups + 1];
                    for &code in v {
                        starts[slot(code) + 1] += 1;
                    }
                    for g in 0..groups {
                        starts[g + 1] += starts[g];
                    }
                    let mut next = starts.clone();
                    let mut rows = vec![0u32; v.len()];
                    for (r, &code) in v.iter().enumerate() {
                        rows[next[slot(code)]] = r as u32;
                        next[slot(code)] += 1;
                    }
                    Sorted::Categorical { starts, rows }
                }
            })
            .collect();
        Index { frame, columns }
    }

    fn candidates(&self, p: &Predicate) -> Candidates<'_> {
        match &self.columns[p.column] {
            Sorted::Numeric { values, rows, nulls } => {
                let x = p.number;
                let below = |strict: bool| values.partition_point(|&v| if strict { v < x } else { v <= x });
                match p.op {
                    Op::IsNull => Candidates::Rows(nulls),
                    Op::Eq => Candidates::Rows(&rows[below(true)..below(false)]),
                    Op::Lt => Candidates::Rows(&rows[..below(true)]),
                    Op::Le => Candidates::Rows(&rows[..below(false)]),
                    Op::Gt => Candidates::Rows(&rows[below(false)..]),
                    Op::Ge => Candidates::Rows(&rows[below(true)..]),
                    Op::Ne | Op::NotNull => Candidates::All,
                }
            }
            Sorted::Categorical { starts, rows } => {
                let group = |g: usize| Candidates::Rows(&rows[starts[g]..starts[g + 1]]);
                match p.op {
                    Op::IsNull => group(starts.len() - 2),
                    Op::Eq if (p.code as usize) < starts.len() - 2 => group(p.code as usize),
                    Op::Eq | Op::Lt | Op::Le | Op::Gt | Op::Ge => Candidates::Rows(&[]),
                    Op::Ne | Op::NotNull => Candidates::All,
                }
            }
        }
    }

    /// The number of rows matching `query`, counting no further than `cap`.
    pub fn count_up_to(&self, query: &Query, cap: usize) -> usize {
        let total = self.frame.rows();
        let best = query.0.iter().map(|p| self.candidates(p)).min_by_key(|c| c.len(total));
        let mut n = 0;
        let mut check = |row: usize| {
            if query.matches(self.frame, row) {
                n += 1;
            }
            n >= cap
        };
        match best {
            Some(Candidates::Rows(rows)) => {
                for &r in rows {
                    if check(r as usize) {
                        break;
                    }
                }
            }
            Some(Candidates::All) | None => {
                for r in 0..total {
                    if check(r) {
                        break;
                    }
                }
            }
        }
        n
    }

    /// The indexed table.
    pub fn frame(&self) -> &'a Frame {
        self.frame
    }

    /// True when exactly one row matches.
    pub fn singles_out(&self, query: &Query) -> bool {
        self.count_up_to(query, 2) == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::encode;
    use anonlab_table::io::csv::{CsvOptions, read_csv};
    use proptest::prelude::*;

    const OPS: [Op; 8] = [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge, Op::IsNull, Op::NotNull];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The index counts exactly what a scan of every row counts.
        #[test]
        fn index_counts_like_a_scan(
            rows in prop::collection::vec((prop::option::of(0u8..8), prop::option::of(0u8..4)), 1..80),
            queries in prop::collection::vec(prop::collection::vec((0usize..2, 0usize..8, 0u8..9), 1..3), 1..20),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut text = String::from("n,c\n");
            for (n, c) in &rows {
                text.push_str(&format!("{},{}\n", n.map(|x| x.to_string()).unwrap_or_default(), c.map(|x| format!("k{x}")).unwrap_or_default()));
            }
            let path = dir.path().join("t.csv");
            std::fs::write(&path, text).unwrap();
            let table = read_csv(&path, &CsvOptions::default()).unwrap();
            let e = encode(&[("release", &table)], &[]).unwrap();
            let frame = &e.frames[0];
            let index = Index::new(frame, &e.fields);
            for q in queries {
                let query = Query(q.into_iter().map(|(col, op, v)| match frame.column(col) {
                    Values::Numeric(_) => Predicate::number(col, OPS[op], f64::from(v)),
                    Values::Categorical(_) => Predicate::code(col, OPS[op], u32::from(v % 5)),
                }).collect());
                for cap in [1, 2, usize::MAX] {
                    prop_assert_eq!(index.count_up_to(&query, cap), query.count_up_to(frame, cap));
                }
            }
        }
    }
}
