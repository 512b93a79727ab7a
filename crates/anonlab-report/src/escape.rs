//! HTML escaping: every string that comes from data (column names, values,
//! paths, model descriptions) goes through [`escape`] before it reaches the page.

use std::fmt::Write;

/// `text` with `& < > " '` replaced by entities, safe in element content and in
/// quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A share as a percentage with enough digits for small risks (`0.0123 %`).
pub(crate) fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p == 0.0 {
        "0 %".to_string()
    } else if p.abs() >= 1.0 {
        format!("{p:.2} %")
    } else {
        // Four significant digits, so 3.3e-5 shows as 0.003315 % and not 0.00 %.
        let digits = (3 - p.abs().log10().floor() as i32).clamp(2, 12) as usize;
        format!("{p:.digits$} %")
    }
}

/// An integer with thin-space thousands separators (30 162 → "30 162").
pub(crate) fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    out
}

/// Appends one table row of header and escaped cells.
pub(crate) fn row(out: &mut String, head: &str, cells: &[impl AsRef<str>]) {
    let _ = write!(out, "<tr><th scope=\"row\">{}</th>", escape(head));
    for c in cells {
        let _ = write!(out, "<td>{}</td>", escape(c.as_ref()));
    }
    out.push_str("</tr>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape("<b a=\"x\" b='y'>&</b>"), "&lt;b a=&quot;x&quot; b=&#39;y&#39;&gt;&amp;&lt;/b&gt;");
        assert_eq!(escape("plain äge"), "plain äge");
    }

    #[test]
    fn percentages_keep_small_risks_visible() {
        assert_eq!(percent(0.0), "0 %");
        assert_eq!(percent(0.2), "20.00 %");
        assert_eq!(percent(3.3156e-5), "0.003316 %");
        assert_eq!(percent(0.005), "0.5000 %");
    }

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(30162), "30\u{2009}162");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000_000), "1\u{2009}000\u{2009}000");
    }
}
