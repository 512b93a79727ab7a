//! The page: sections in the order a reviewer reads them, with inline CSS.
//!
//! Numbers are formatted here and every data-derived string goes through
//! [`escape`]; the charts come from [`crate::figures`] as inline SVG.

use std::fmt::Write;

use anonlab_privacy::Report;
use anonlab_privacy::risk::RiskReport;

use crate::ReportPage;
use crate::error::Result;
use crate::escape::{count, escape, percent, row};
use crate::figures;

const STYLE: &str = "
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, 'Segoe UI', 'Liberation Sans', sans-serif; color: #1f2328;
       max-width: 1100px; margin: 0 auto; padding: 24px 32px 64px; line-height: 1.45; background: #fff; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #d0d7de; }
h3 { font-size: 1.02rem; margin: 20px 0 6px; }
p.lead { color: #57606a; margin: 0 0 16px; }
p.note { color: #57606a; font-size: 0.92rem; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 0.93rem; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left; vertical-align: top; }
thead th { background: #f6f8fa; }
th[scope=row] { font-weight: 600; background: #fbfcfd; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0 4px; }
.card { flex: 1 1 auto; border: 1px solid #d0d7de; border-radius: 6px; padding: 10px 14px; min-width: 140px; }
.card .value { font-size: 1.2rem; white-space: nowrap; font-weight: 700; }
.card .label { color: #57606a; font-size: 0.85rem; }
figure { margin: 12px 0 20px; }
figcaption { color: #57606a; font-size: 0.9rem; margin-top: 4px; }
svg.chart { width: 100%; height: auto; display: block; }
.scroll { max-height: 420px; overflow: auto; display: inline-block; }
code { font-family: ui-monospace, 'Liberation Mono', monospace; font-size: 0.9em; }
footer { margin-top: 48px; color: #57606a; font-size: 0.85rem; }
";

/// The whole document.
pub(crate) fn render(page: &ReportPage<'_>) -> Result<String> {
    let r = page.anonymization;
    let mut out = String::with_capacity(64 * 1024);
    let title = format!("Anonymization report: {}", page.settings.input);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>Anonymization report</h1>\n\
         <p class=\"lead\"><code>{}</code>: {} rows, {} quasi-identifiers; {}</p>\n",
        escape(&title),
        escape(&page.settings.input),
        count(r.rows),
        r.attributes.len(),
        escape(&r.models.join(" + ")),
    );
    cards(&mut out, page);
    out.push_str("</header>\n<main>\n");
    settings(&mut out, page);
    risk(&mut out, page)?;
    classes(&mut out, page)?;
    loss(&mut out, r)?;
    suppression(&mut out, r);
    attributes(&mut out, page.before)?;
    let _ = write!(
        out,
        "</main>\n<footer>Written by anonlab {}. Risk figures follow ARX 3.9's definitions; population \
         uniqueness assumes a population of {} people.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        count(page.before.population_uniqueness.population),
    );
    Ok(out)
}

/// The headline figures, before → after.
fn cards(out: &mut String, page: &ReportPage<'_>) {
    let (b, a, r) = (page.before, page.after, page.anonymization);
    out.push_str("<div class=\"cards\">\n");
    let at_risk = at_risk_label(b);
    let cards = [
        ("highest prosecutor risk", format!("{} → {}", percent(b.prosecutor), percent(a.prosecutor))),
        ("sample uniques", format!("{} → {}", percent(b.sample_uniqueness), percent(a.sample_uniqueness))),
        (at_risk.as_str(), format!("{} → {}", percent(b.sample.records_at_risk), percent(a.sample.records_at_risk))),
        ("suppressed rows", format!("{} of {}", count(r.suppressed_rows), count(r.rows))),
        (r.metric.as_str(), format!("{:.6}", r.information_loss)),
    ];
    for (label, value) in cards {
        let _ = writeln!(
            out,
            "<div class=\"card\"><div class=\"value\">{}</div><div class=\"label\">{}</div></div>",
            escape(&value),
            escape(label)
        );
    }
    out.push_str("</div>\n");
}

/// What was asked and what the search found.
fn settings(out: &mut String, page: &ReportPage<'_>) {
    let (s, r) = (page.settings, page.anonymization);
    out.push_str("<section id=\"settings\">\n<h2>Settings</h2>\n<table>\n");
    if let Some(config) = &s.config {
        row(out, "configuration", &[config]);
    }
    row(out, "input", &[format!("{} ({} rows)", s.input, count(r.rows))]);
    row(out, "privacy models", &[r.models.join("; ")]);
    row(
        out,
        "suppression limit",
        &[format!("{} of the rows (at most {} records)", percent(r.suppression_limit), count(r.max_suppressed_rows))],
    );
    row(out, "quality metric", &[&r.metric]);
    let strategy = format!("{:?}", r.strategy).to_lowercase();
    let proof = if r.optimal { "globally optimal" } else { "not proven optimal" };
    row(
        out,
        "search",
        &[format!(
            "{strategy}, {proof}: {} of {} transformations checked in {:.0} ms",
            count(r.transformations_checked),
            count(r.lattice_size),
            r.elapsed_ms
        )],
    );
    let transformation = if r.transformation.is_empty() {
        "local recoding (one generalization per class)".to_string()
    } else {
        format!("{:?}", r.transformation)
    };
    row(out, "transformation found", &[transformation]);
    if let Some(json) = &s.checked_report {
        row(out, "matches the JSON report", &[format!("{json}: same transformation, suppressed rows and classes")]);
    }
    row(out, "population (for population uniqueness)", &[count(page.before.population_uniqueness.population)]);
    if !s.sensitive.is_empty() {
        row(out, "sensitive attributes", &[s.sensitive.join(", ")]);
    }
    for i in &s.identifying {
        row(out, "direct identifier", &[format!("{}: {}", i.name, i.treatment)]);
    }
    out.push_str("</table>\n<h3>Quasi-identifiers</h3>\n<table>\n<thead><tr><th>attribute</th><th>hierarchy</th>\
                  <th class=\"num\">level chosen</th><th class=\"num\">distinct values before → after</th></tr></thead>\n<tbody>\n");
    for a in &r.attributes {
        let hierarchy = s.quasi_identifiers.iter().find(|q| q.name == a.name).map_or("", |q| q.hierarchy.as_str());
        let level = a.level.map_or("local".to_string(), |l| format!("{l} of {}", a.max_level));
        let distinct = format!(
            "{} → {}",
            count(a.distinct_before as u64),
            a.distinct_after.map_or("per class".to_string(), |d| count(d as u64))
        );
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&a.name),
            escape(hierarchy),
            escape(&level),
            escape(&distinct)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// "records at risk > 20 %", with the threshold the analysis used.
fn at_risk_label(r: &RiskReport) -> String {
    format!("records at risk > {} %", (r.sample.threshold * 1e4).round() / 1e2)
}

/// One risk measure of a report, formatted.
type Measure = fn(&RiskReport) -> String;

/// Risk measures side by side, and the risk distribution chart.
fn risk(out: &mut String, page: &ReportPage<'_>) -> Result<()> {
    let (b, a) = (page.before, page.after);
    out.push_str(
        "<section id=\"risk\">\n<h2>Re-identification risk, input and release</h2>\n\
         <table>\n<thead><tr><th>measure</th><th class=\"num\">input</th><th class=\"num\">release</th></tr></thead>\n<tbody>\n",
    );
    let lines: [(&str, Measure); 12] = [
        ("records analysed (suppressed excluded)", |r| count(r.records)),
        ("equivalence classes", |r| count(r.classes)),
        ("prosecutor risk (highest)", |r| percent(r.prosecutor)),
        ("journalist risk", |r| percent(r.journalist)),
        ("marketer risk (expected share re-identified)", |r| percent(r.marketer)),
        ("records at risk", |r| percent(r.sample.records_at_risk)),
        ("sample uniqueness", |r| percent(r.sample_uniqueness)),
        ("population uniqueness: Pitman", |r| percent(r.population_uniqueness.pitman)),
        ("population uniqueness: Zayatz", |r| percent(r.population_uniqueness.zayatz)),
        ("population uniqueness: SNB", |r| percent(r.population_uniqueness.snb)),
        ("population uniqueness: Dankar", |r| percent(r.population_uniqueness.dankar)),
        ("Dankar's rule chose", |r| format!("{:?}", r.population_uniqueness.dankar_model).to_lowercase()),
    ];
    for (label, value) in lines {
        let label = if label == "records at risk" { at_risk_label(b) } else { label.to_string() };
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&label),
            escape(&value(b)),
            escape(&value(a))
        );
    }
    out.push_str(
        "</tbody>\n</table>\n<p class=\"note\">Population uniqueness is estimated for the population above; a \
         model that does not converge shows 0 %, as in ARX, and Dankar's rule then picks another.</p>\n",
    );
    let chart = figures::risk_distribution(b, a);
    figure(
        out,
        "risk-distribution",
        &chart.to_svg()?,
        "Share of records per risk band (ARX's bands; a record's risk is 1 / the size of its class). \
         Suppressed records are not in the release's figures.",
    );
    out.push_str("</section>\n");
    Ok(())
}

/// The release's class-size histogram.
fn classes(out: &mut String, page: &ReportPage<'_>) -> Result<()> {
    let (a, r) = (page.after, page.anonymization);
    let _ = write!(
        out,
        "<section id=\"class-sizes\">\n<h2>Equivalence classes of the release</h2>\n\
         <p>{} classes over the quasi-identifiers; the smallest holds {} records, the largest {}.</p>\n",
        count(a.classes),
        r.min_class_size.map_or("-".to_string(), count),
        a.class_sizes.keys().next_back().map_or("-".to_string(), |&s| count(s)),
    );
    if a.classes == 0 {
        out.push_str("<p class=\"note\">Every record is suppressed: the release has no classes.</p>\n</section>\n");
        return Ok(());
    }
    figure(
        out,
        "class-size-histogram",
        &figures::class_sizes(a).to_svg()?,
        "Number of equivalence classes of each size (suppressed records excluded); sizes above 10 are grouped.",
    );
    out.push_str("</section>\n");
    Ok(())
}

/// Information loss, overall and per attribute.
fn loss(out: &mut String, r: &Report) -> Result<()> {
    let _ = write!(
        out,
        "<section id=\"information-loss\">\n<h2>Information loss</h2>\n\
         <p>Metric <code>{}</code>: {:.6} (ARX's definition and scale).</p>\n",
        escape(&r.metric),
        r.information_loss
    );
    match figures::attribute_loss(r) {
        Some(chart) => figure(
            out,
            "attribute-loss",
            &chart.to_svg()?,
            "Per quasi-identifier: the metric's share for the attribute, and how far up its hierarchy it was generalized.",
        ),
        None => out.push_str(&format!(
            "<p class=\"note\">The metric <code>{}</code> has no per-attribute breakdown.</p>\n",
            escape(&r.metric)
        )),
    }
    out.push_str("</section>\n");
    Ok(())
}

/// Suppressed records against the limit.
fn suppression(out: &mut String, r: &Report) {
    let share = if r.rows == 0 { 0.0 } else { r.suppressed_rows as f64 / r.rows as f64 };
    let _ = writeln!(
        out,
        "<section id=\"suppression\">\n<h2>Suppressed records</h2>\n\
         <p>{} of {} records ({}) are suppressed: they show <code>*</code> in every quasi-identifier. \
         The limit was {} records ({} of the rows).</p>\n</section>",
        count(r.suppressed_rows),
        count(r.rows),
        percent(share),
        count(r.max_suppressed_rows),
        percent(r.suppression_limit),
    );
}

/// Distinction and separation of the quasi-identifiers in the input.
fn attributes(out: &mut String, before: &RiskReport) -> Result<()> {
    out.push_str(
        "<section id=\"quasi-identifiers\">\n<h2>Quasi-identifiers in the input: distinction and separation</h2>\n\
         <p>Distinction is the share of distinct value combinations (classes / records); separation the share of \
         record pairs the attributes tell apart. High values mark the attributes that single out patients.</p>\n",
    );
    if let Some(chart) = figures::distinction(before) {
        figure(out, "distinction", &chart.to_svg()?, "Each quasi-identifier alone, in the input.");
    }
    let mut ranked = before.attributes.clone();
    ranked.sort_by(|a, b| b.distinction.total_cmp(&a.distinction).then_with(|| a.attributes.cmp(&b.attributes)));
    out.push_str(
        "<div class=\"scroll\"><table>\n<thead><tr><th>attributes</th><th class=\"num\">distinction</th>\
         <th class=\"num\">separation</th></tr></thead>\n<tbody>\n",
    );
    for a in &ranked {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&a.attributes.join(" + ")),
            escape(&percent(a.distinction)),
            escape(&percent(a.separation))
        );
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
    Ok(())
}

/// A chart with its caption; `id` names it for readers and tests.
fn figure(out: &mut String, id: &str, svg: &str, caption: &str) {
    let _ = writeln!(out, "<figure id=\"{id}\">\n{svg}\n<figcaption>{}</figcaption>\n</figure>", escape(caption));
}
