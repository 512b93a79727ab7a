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

    /// True when exactly one row matches.
    pub fn singles_out(&self, frame: &Frame) -> bool {
        self.count_up_to(frame, 2) == 1
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
