//! From SQL text to a query plan: the subset of SQL a DP aggregate query can
//! answer — one table, a WHERE filter, GROUP BY columns, and aggregates.
//! Anything else (joins, subqueries, HAVING, LIMIT, expressions inside
//! aggregates) is refused with a message naming it: each would need its own
//! sensitivity analysis.

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, InTarget, SelectItem, SetExpr,
    Statement, TableFactor, UnaryOperator, Value,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

use crate::error::{Error, Result};

/// An aggregate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Aggregate {
    /// `COUNT(*)` or `COUNT(col)` (non-NULL values).
    Count,
    /// `SUM(col)`, each value clamped to the column's bounds.
    Sum,
    /// `AVG(col)`: a noisy sum over a noisy count.
    Avg,
    /// `VARIANCE(col)` / `VAR(col)` / `VAR_POP(col)`.
    Variance,
    /// `STDDEV(col)` / `STDDEV_POP(col)`.
    Stddev,
    /// `MEDIAN(col)` (q = 0.5) or `QUANTILE(col, q)`.
    Quantile(f64),
}

impl Aggregate {
    /// The SQL name, for labels.
    pub fn name(&self) -> String {
        match self {
            Aggregate::Count => "count".into(),
            Aggregate::Sum => "sum".into(),
            Aggregate::Avg => "avg".into(),
            Aggregate::Variance => "variance".into(),
            Aggregate::Stddev => "stddev".into(),
            Aggregate::Quantile(q) if *q == 0.5 => "median".into(),
            Aggregate::Quantile(q) => format!("quantile_{q}"),
        }
    }
}

/// One output column.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A GROUP BY column.
    Key(String),
    /// An aggregate of a column (`None`: `COUNT(*)`), with its label.
    Aggregate {
        /// Which aggregate.
        aggregate: Aggregate,
        /// Its column.
        column: Option<String>,
        /// The output label (the alias, or e.g. `avg(age)`).
        label: String,
    },
}

/// A comparison operator of a filter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cmp {
    /// `=`
    Eq,
    /// `<>` or `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A literal of a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
}

/// A WHERE condition. Filtering row by row is stable: it never lets one
/// person change an aggregate more than without the filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `col op literal`
    Compare(String, Cmp, Literal),
    /// `col IS [NOT] NULL`
    IsNull(String, bool),
    /// `col [NOT] IN (...)`
    In(String, Vec<Literal>, bool),
    /// `col [NOT] BETWEEN a AND b`
    Between(String, Literal, Literal, bool),
    /// `a AND b`
    And(Box<Filter>, Box<Filter>),
    /// `a OR b`
    Or(Box<Filter>, Box<Filter>),
    /// `NOT a`
    Not(Box<Filter>),
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The table named in FROM (informational: the data file is the table).
    pub table: String,
    /// The WHERE condition.
    pub filter: Option<Filter>,
    /// GROUP BY columns.
    pub group_by: Vec<String>,
    /// The SELECT list.
    pub outputs: Vec<Output>,
}

impl Plan {
    /// The aggregates, in SELECT order.
    pub fn aggregates(&self) -> impl Iterator<Item = (Aggregate, Option<&str>, &str)> {
        self.outputs.iter().filter_map(|o| match o {
            Output::Aggregate { aggregate, column, label } => Some((*aggregate, column.as_deref(), label.as_str())),
            Output::Key(_) => None,
        })
    }
}

fn unsupported(what: impl std::fmt::Display) -> Error {
    Error::invalid(format!("unsupported in a DP query: {what}"))
}

/// Parses one SELECT statement.
pub fn parse(sql: &str) -> Result<Plan> {
    let statements =
        Parser::parse_sql(&GenericDialect {}, sql).map_err(|e| Error::invalid(format!("SQL does not parse: {e}")))?;
    let [Statement::Query(query)] = statements.as_slice() else {
        return Err(Error::invalid("give exactly one SELECT statement"));
    };
    if query.with.is_some() || query.order_by.is_some() || query.limit_clause.is_some() || query.fetch.is_some() {
        return Err(unsupported("WITH, ORDER BY, LIMIT or FETCH (order and limit the answer yourself)"));
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return Err(unsupported("set operations (UNION, ...) or nested queries"));
    };
    if select.distinct.is_some() || select.having.is_some() || select.top.is_some() {
        return Err(unsupported("DISTINCT, HAVING or TOP"));
    }
    let [from] = select.from.as_slice() else {
        return Err(Error::invalid("the query must read exactly one table (FROM t)"));
    };
    if !from.joins.is_empty() {
        return Err(unsupported("joins"));
    }
    let TableFactor::Table { name, .. } = &from.relation else {
        return Err(unsupported(format!("FROM {}", from.relation)));
    };
    let group_by = match &select.group_by {
        GroupByExpr::Expressions(exprs, modifiers) if modifiers.is_empty() => {
            exprs.iter().map(column_name).collect::<Result<Vec<_>>>()?
        }
        other => return Err(unsupported(other)),
    };
    let mut outputs = Vec::new();
    for item in &select.projection {
        let (expr, alias) = match item {
            SelectItem::UnnamedExpr(e) => (e, None),
            SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.value.clone())),
            other => return Err(unsupported(format!("select item {other}"))),
        };
        outputs.push(output(expr, alias, &group_by)?);
    }
    if !outputs.iter().any(|o| matches!(o, Output::Aggregate { .. })) {
        return Err(Error::invalid("a DP query must compute at least one aggregate (COUNT, SUM, AVG, ...)"));
    }
    let filter = select.selection.as_ref().map(filter).transpose()?;
    Ok(Plan { table: name.to_string(), filter, group_by, outputs })
}

fn column_name(e: &Expr) -> Result<String> {
    match e {
        Expr::Identifier(i) => Ok(i.value.clone()),
        Expr::CompoundIdentifier(parts) => Ok(parts.last().map(|i| i.value.clone()).unwrap_or_default()),
        Expr::Nested(inner) => column_name(inner),
        other => Err(unsupported(format!("'{other}' where a column name is expected"))),
    }
}

fn output(e: &Expr, alias: Option<String>, group_by: &[String]) -> Result<Output> {
    let Expr::Function(f) = e else {
        let name = column_name(e)?;
        if !group_by.contains(&name) {
            return Err(Error::invalid(format!("column '{name}' is selected but neither grouped by nor aggregated")));
        }
        return Ok(Output::Key(name));
    };
    if f.filter.is_some() || f.over.is_some() || !f.within_group.is_empty() {
        return Err(unsupported(format!("'{e}' (FILTER, OVER or WITHIN GROUP)")));
    }
    let function = f.name.to_string().to_ascii_lowercase();
    let args: Vec<&FunctionArgExpr> = match &f.args {
        FunctionArguments::List(list) => {
            if list.duplicate_treatment.is_some() {
                return Err(unsupported(format!("'{e}' (DISTINCT inside an aggregate)")));
            }
            list.args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(x) => Ok(x),
                    other => Err(unsupported(format!("named argument {other}"))),
                })
                .collect::<Result<_>>()?
        }
        FunctionArguments::None => Vec::new(),
        FunctionArguments::Subquery(_) => return Err(unsupported("subqueries")),
    };
    let column = |i: usize| -> Result<String> {
        match args.get(i) {
            Some(FunctionArgExpr::Expr(x)) => column_name(x),
            _ => Err(Error::invalid(format!("'{e}' needs a column argument"))),
        }
    };
    let (aggregate, column) = match (function.as_str(), args.len()) {
        ("count", 1) if matches!(args[0], FunctionArgExpr::Wildcard) => (Aggregate::Count, None),
        ("count", 1) => (Aggregate::Count, Some(column(0)?)),
        ("sum", 1) => (Aggregate::Sum, Some(column(0)?)),
        ("avg" | "mean", 1) => (Aggregate::Avg, Some(column(0)?)),
        ("variance" | "var" | "var_pop" | "var_samp", 1) => (Aggregate::Variance, Some(column(0)?)),
        ("stddev" | "std" | "stddev_pop" | "stddev_samp", 1) => (Aggregate::Stddev, Some(column(0)?)),
        ("median", 1) => (Aggregate::Quantile(0.5), Some(column(0)?)),
        ("quantile" | "percentile", 2) => {
            let q = match args[1] {
                FunctionArgExpr::Expr(x) => number(x)?,
                _ => return Err(Error::invalid(format!("'{e}': the second argument is the quantile, 0 to 1"))),
            };
            if !(0.0..=1.0).contains(&q) {
                return Err(Error::invalid(format!("'{e}': the quantile must lie in [0, 1]; got {q}")));
            }
            (Aggregate::Quantile(q), Some(column(0)?))
        }
        (name, n) => {
            return Err(unsupported(format!(
                "function {name} with {n} argument(s) (COUNT, SUM, AVG, VARIANCE, STDDEV, MEDIAN, QUANTILE(col, q))"
            )));
        }
    };
    let label = alias.unwrap_or_else(|| format!("{}({})", aggregate.name(), column.as_deref().unwrap_or("*")));
    Ok(Output::Aggregate { aggregate, column, label })
}

fn number(e: &Expr) -> Result<f64> {
    match literal(e)? {
        Literal::Number(x) => Ok(x),
        Literal::Text(t) => Err(Error::invalid(format!("'{t}' is not a number"))),
    }
}

fn literal(e: &Expr) -> Result<Literal> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => {
                n.parse().map(Literal::Number).map_err(|_| Error::invalid(format!("'{n}' is not a number")))
            }
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Ok(Literal::Text(s.clone())),
            Value::Boolean(b) => Ok(Literal::Text(b.to_string())),
            other => Err(unsupported(format!("literal {other}"))),
        },
        Expr::UnaryOp { op: UnaryOperator::Minus, expr } => match literal(expr)? {
            Literal::Number(x) => Ok(Literal::Number(-x)),
            Literal::Text(t) => Err(Error::invalid(format!("cannot negate '{t}'"))),
        },
        Expr::Nested(inner) => literal(inner),
        other => Err(unsupported(format!("'{other}' where a literal is expected"))),
    }
}

fn filter(e: &Expr) -> Result<Filter> {
    Ok(match e {
        Expr::Nested(inner) => filter(inner)?,
        Expr::BinaryOp { left, op: BinaryOperator::And, right } => {
            Filter::And(Box::new(filter(left)?), Box::new(filter(right)?))
        }
        Expr::BinaryOp { left, op: BinaryOperator::Or, right } => {
            Filter::Or(Box::new(filter(left)?), Box::new(filter(right)?))
        }
        Expr::UnaryOp { op: UnaryOperator::Not, expr } => Filter::Not(Box::new(filter(expr)?)),
        Expr::BinaryOp { left, op, right } => {
            let cmp = match op {
                BinaryOperator::Eq => Cmp::Eq,
                BinaryOperator::NotEq => Cmp::Ne,
                BinaryOperator::Lt => Cmp::Lt,
                BinaryOperator::LtEq => Cmp::Le,
                BinaryOperator::Gt => Cmp::Gt,
                BinaryOperator::GtEq => Cmp::Ge,
                other => return Err(unsupported(format!("operator {other} in WHERE"))),
            };
            // Either side may hold the column.
            match (column_name(left), literal(right)) {
                (Ok(c), Ok(l)) => Filter::Compare(c, cmp, l),
                _ => {
                    let flipped = match cmp {
                        Cmp::Lt => Cmp::Gt,
                        Cmp::Le => Cmp::Ge,
                        Cmp::Gt => Cmp::Lt,
                        Cmp::Ge => Cmp::Le,
                        same => same,
                    };
                    Filter::Compare(column_name(right)?, flipped, literal(left)?)
                }
            }
        }
        Expr::IsNull(x) => Filter::IsNull(column_name(x)?, false),
        Expr::IsNotNull(x) => Filter::IsNull(column_name(x)?, true),
        Expr::In { expr, target: InTarget::List(list), negated, .. } => {
            Filter::In(column_name(expr)?, list.iter().map(literal).collect::<Result<_>>()?, *negated)
        }
        Expr::Between { expr, negated, low, high } => {
            Filter::Between(column_name(expr)?, literal(low)?, literal(high)?, *negated)
        }
        other => return Err(unsupported(format!("'{other}' in WHERE"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_issue_example() {
        let p = parse("SELECT sex, COUNT(*), AVG(age) AS mean_age FROM t WHERE age >= 18 AND race IN ('White', 'Black') GROUP BY sex").unwrap();
        assert_eq!(p.group_by, vec!["sex"]);
        assert_eq!(p.outputs[0], Output::Key("sex".into()));
        assert_eq!(
            p.outputs[1],
            Output::Aggregate { aggregate: Aggregate::Count, column: None, label: "count(*)".into() }
        );
        assert_eq!(
            p.outputs[2],
            Output::Aggregate { aggregate: Aggregate::Avg, column: Some("age".into()), label: "mean_age".into() }
        );
        assert!(matches!(p.filter, Some(Filter::And(..))));
        let q = parse("SELECT MEDIAN(age), QUANTILE(age, 0.9), STDDEV(age) FROM t WHERE 30 < age").unwrap();
        assert_eq!(q.filter, Some(Filter::Compare("age".into(), Cmp::Gt, Literal::Number(30.0))));
        assert_eq!(q.aggregates().count(), 3);
    }

    #[test]
    fn refuses_what_it_cannot_answer_privately() {
        for (sql, message) in [
            ("SELECT age FROM t", "neither grouped by nor aggregated"),
            ("SELECT COUNT(*) FROM a JOIN b ON a.x = b.x", "joins"),
            ("SELECT COUNT(*) FROM t LIMIT 3", "LIMIT"),
            ("SELECT MAX(age) FROM t", "function max"),
            ("SELECT COUNT(DISTINCT age) FROM t", "DISTINCT"),
            ("SELECT QUANTILE(age, 2) FROM t", "[0, 1]"),
            ("SELEC COUNT(*) FROM t", "does not parse"),
            ("SELECT sex FROM t GROUP BY sex", "at least one aggregate"),
            ("SELECT COUNT(*) FROM t WHERE age + 1 > 3", "where a column name is expected"),
        ] {
            let err = parse(sql).unwrap_err().to_string();
            assert!(err.contains(message), "{sql}: {err}");
        }
    }
}
