//! The anonymized release: what may be published.
//!
//! A [`Release`] is a different type from the input [`Table`], built only by
//! applying a transformation that satisfied the privacy models, so raw data
//! cannot be written out by mistake. Identifying columns are removed, or
//! pseudonymized or masked when configured; quasi-identifiers show their
//! generalized labels, or `*` in every quasi-identifier for suppressed records
//! (ARX semantics). With a research subset (δ-presence, k-map on a population
//! table) only the subset's rows are released, as ARX exports them.

use anonlab_table::Table;
use rustc_hash::FxHashMap;

use crate::classes::ClassTable;
use crate::identifiers::IdentifierAction;
use crate::key::PackedKey;
use crate::plan::Plan;

/// The value suppressed records show in every quasi-identifier.
pub const SUPPRESSED: &str = "*";

struct OutputColumn {
    source: usize,
    /// Label for each source code; `None` means the original value.
    labels: Option<Vec<String>>,
    /// Suppressed records show `*` here.
    quasi_identifier: bool,
    /// Per-row indices into `labels`, where labels are per class (local recoding).
    row_codes: Option<Vec<u32>>,
}

/// An anonymized table ready to be written.
pub struct Release<'t> {
    table: &'t Table,
    header: Vec<String>,
    columns: Vec<OutputColumn>,
    suppressed: Vec<bool>,
    /// With a research subset: the input rows published, in input order (the
    /// rest of the input is the population, never released).
    published: Option<Vec<u32>>,
}

impl<'t> Release<'t> {
    pub(crate) fn build<K: PackedKey>(
        plan: &Plan<'t>,
        levels: &[u8],
        classes: &ClassTable<K>,
        suppressed_classes: &[bool],
    ) -> Self {
        let table = plan.table;
        let index: FxHashMap<K, usize> = classes.keys().iter().enumerate().map(|(i, &k)| (k, i)).collect();
        let level_codes: Vec<&[u32]> =
            plan.qis.iter().zip(levels).map(|(q, &l)| q.generalization.levels()[l as usize].of_value()).collect();
        let qi_codes: Vec<&[u32]> = plan.qis.iter().map(|q| table.column(q.column).codes()).collect();
        let suppressed = (0..table.rows())
            .map(|r| {
                let key: K = plan.layout.pack(qi_codes.iter().zip(&level_codes).map(|(c, m)| m[c[r] as usize]));
                index.get(&key).is_none_or(|&c| suppressed_classes[c])
            })
            .collect();
        let (header, columns) = Self::columns(plan, Some(levels));
        let published = plan.checker.subset().map(|s| s.rows.clone());
        Release { table, header, columns, suppressed, published }
    }

    /// The output columns: identifiers removed or transformed, quasi-identifiers
    /// labelled at `levels` (left as is when `None`, for local recoding to fill in).
    fn columns(plan: &Plan<'t>, levels: Option<&[u8]>) -> (Vec<String>, Vec<OutputColumn>) {
        let mut header = Vec::new();
        let mut columns = Vec::new();
        for (i, column) in plan.table.columns().iter().enumerate() {
            let labels = match plan.identifying.iter().find(|(c, _)| *c == i).map(|(_, a)| a) {
                Some(IdentifierAction::Remove) => continue,
                // Identifiers are transformed once per distinct value, and shown even
                // for suppressed records (they are not quasi-identifiers).
                Some(IdentifierAction::Pseudonym(p)) => {
                    let key = plan.pseudonym_key.as_ref().expect("planning requires a key for pseudonyms");
                    Some(column.dictionary().iter().map(|v| p.apply(key, v)).collect())
                }
                Some(IdentifierAction::Mask(m)) => Some(column.dictionary().iter().map(|v| m.apply(v)).collect()),
                None => levels.and_then(|levels| {
                    plan.qis.iter().zip(levels).find(|(q, _)| q.column == i).map(|(q, &l)| {
                        (0..column.distinct() as u32)
                            .map(|c| q.generalization.label(c, l as usize).to_string())
                            .collect()
                    })
                }),
            };
            header.push(column.name().to_string());
            let quasi_identifier = plan.qis.iter().any(|q| q.column == i);
            columns.push(OutputColumn { source: i, labels, quasi_identifier, row_codes: None });
        }
        (header, columns)
    }

    /// A locally recoded release: `class_of[row]` is the row's class and
    /// `labels[qi][class]` the class's label on quasi-identifier `qi` (in plan
    /// order); rows flagged in `suppressed` show `*` instead.
    pub(crate) fn local(plan: &Plan<'t>, class_of: Vec<u32>, labels: Vec<Vec<String>>, suppressed: Vec<bool>) -> Self {
        let (header, mut columns) = Self::columns(plan, None);
        for (q, labels) in plan.qis.iter().zip(labels) {
            if let Some(c) = columns.iter_mut().find(|c| c.source == q.column) {
                c.labels = Some(labels);
                c.row_codes = Some(class_of.clone());
            }
        }
        Release { table: plan.table, header, columns, suppressed, published: None }
    }

    /// Column names of the release.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Number of rows (suppressed rows included, shown as `*`).
    pub fn rows(&self) -> usize {
        self.published.as_ref().map_or(self.suppressed.len(), Vec::len)
    }

    /// Number of suppressed rows.
    pub fn suppressed_rows(&self) -> u64 {
        (0..self.rows()).filter(|&r| self.is_suppressed(r)).count() as u64
    }

    /// The input row shown as release row `r`.
    pub(crate) fn source_row(&self, r: usize) -> usize {
        self.published.as_ref().map_or(r, |rows| rows[r] as usize)
    }

    /// True when row `r` is suppressed.
    pub fn is_suppressed(&self, r: usize) -> bool {
        self.suppressed[self.source_row(r)]
    }

    /// The cells of row `r`, in header order.
    pub fn row(&self, r: usize) -> Vec<&str> {
        let r = self.source_row(r);
        self.columns
            .iter()
            .map(|c| {
                let code =
                    c.row_codes.as_ref().map_or_else(|| self.table.column(c.source).codes()[r], |codes| codes[r]);
                match &c.labels {
                    _ if c.quasi_identifier && self.suppressed[r] => SUPPRESSED,
                    Some(labels) => labels[code as usize].as_str(),
                    None => self.table.column(c.source).dictionary()[code as usize].as_str(),
                }
            })
            .collect()
    }

    /// All rows, in input order.
    pub fn iter_rows(&self) -> impl Iterator<Item = Vec<&str>> + '_ {
        (0..self.rows()).map(|r| self.row(r))
    }

    /// The field delimiter of the input.
    pub fn delimiter(&self) -> u8 {
        self.table.delimiter()
    }
}
